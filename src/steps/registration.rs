//! Steps of `features/registration.feature`: dynamic client registration
//! (RFC 7591) and its management protocol (RFC 7592), checked from the
//! outside with metadata the steps choose.

use cucumber::{given, then, when};
use serde_json::{Value, json};
use url::Url;

use super::support::TestClient;
use super::{Finding, Spec, fail, skip};
use crate::driver::flow::{self, AuthMethod};
use crate::driver::http::HttpRequest;
use crate::driver::pkce::{ClientId, ClientSecret, Scope};

/// The last answer of the registration endpoint, kept for the Then steps.
const REGISTERED: &str = "registration.answer";
/// The last answer of a management request (RFC 7592).
const MANAGED: &str = "registration.management";

/// An HTTP answer as the steps judge it.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub(crate) struct RegAnswer {
    /// What was sent, in a few words, for findings.
    pub what: String,
    pub status: u16,
    pub body: Option<Value>,
    pub text: String,
}

impl RegAnswer {
    fn member(&self, name: &str) -> Option<&Value> {
        self.body.as_ref().and_then(|b| b.get(name))
    }

    fn str_member(&self, name: &str) -> Option<&str> {
        self.member(name).and_then(Value::as_str)
    }

    fn error(&self) -> Option<&str> {
        self.str_member("error")
    }

    /// One line: the status and the gist of the body.
    pub fn describe(&self) -> String {
        match (&self.body, self.error()) {
            (_, Some(e)) => format!(
                "{} error={e} ({})",
                self.status,
                self.str_member("error_description").unwrap_or("")
            ),
            (Some(b), None) if (200..300).contains(&self.status) => {
                let keys: Vec<&str> = b
                    .as_object()
                    .map(|o| o.keys().map(String::as_str).collect())
                    .unwrap_or_default();
                let shown: Vec<String> = [
                    "redirect_uris",
                    "grant_types",
                    "response_types",
                    "token_endpoint_auth_method",
                ]
                .iter()
                .filter_map(|k| b.get(*k).map(|v| format!("{k}={v}")))
                .collect();
                format!(
                    "{} (accepted) with members {}{}",
                    self.status,
                    keys.join(", "),
                    if shown.is_empty() {
                        String::new()
                    } else {
                        format!("; {}", shown.join(", "))
                    }
                )
            }
            _ => {
                let t: String = self.text.chars().take(200).collect();
                format!("{} {t}", self.status)
            }
        }
    }
}

fn parse_method(word: &str) -> AuthMethod {
    serde_json::from_value(json!(word)).unwrap_or_else(|_| {
        panic!("harness bug: unknown authentication method {word:?} in the feature")
    })
}

impl Spec {
    /// The registration the profile allows, or a SKIP saying why there is none.
    fn registration_profile(&self) -> crate::target::profile::RegistrationProfile {
        let target = self.target();
        let Some(reg) = target.profile.registration.clone().filter(|r| r.enabled) else {
            skip("the profile does not let the harness register clients ([registration])");
        };
        if target.endpoints.registration.is_none() {
            skip("the target has no registration endpoint");
        }
        reg
    }

    /// Registration metadata for the authorization code flow with `method`,
    /// as the harness would send it, for steps to alter.
    pub(crate) fn code_client_metadata(&self, method: &str) -> Value {
        let reg = self.registration_profile();
        let mut metadata = json!({
            "client_name": format!("oauthspec: {}", self.scenario),
            "redirect_uris": [reg.redirect_uri],
            "grant_types": ["authorization_code"],
            "response_types": ["code"],
            "token_endpoint_auth_method": method,
        });
        if let Some(s) = self.wanted_scope() {
            metadata["scope"] = json!(s.to_string());
        }
        metadata
    }

    /// Sends `metadata` to the registration endpoint and keeps the answer
    /// for the Then steps.
    pub(crate) async fn register_metadata(&mut self, what: &str, metadata: &Value) -> RegAnswer {
        let reg = self.registration_profile();
        let endpoint = self.registration_endpoint();
        let driver = self.http();
        let res = flow::register(
            &driver,
            &endpoint,
            metadata,
            reg.initial_access_token.as_deref(),
        )
        .await
        .unwrap_or_else(|e| {
            fail(Finding::new(
                "the registration endpoint answers (RFC 7591 §3)",
                "an HTTP answer",
                e.to_string(),
            ))
        });
        let answer = RegAnswer {
            what: what.to_owned(),
            status: res.status,
            body: serde_json::from_slice(&res.body).ok(),
            text: res.text(),
        };
        self.vars.insert(REGISTERED.into(), json!(answer));
        answer
    }

    fn registration_answer(&self) -> RegAnswer {
        self.vars
            .get(REGISTERED)
            .and_then(|v| serde_json::from_value(v.clone()).ok())
            .unwrap_or_else(|| panic!("harness bug: no registration request was sent"))
    }

    /// The client a successful registration answer describes.
    pub(crate) fn client_from_registration(
        &self,
        answer: &RegAnswer,
        method: AuthMethod,
        grants: &[&str],
    ) -> TestClient {
        let reg = self.registration_profile();
        let Some(id) = answer.str_member("client_id").filter(|s| !s.is_empty()) else {
            fail(Finding::new(
                "a successful registration returns the client_id (RFC 7591 §3.2.1)",
                "201 with a client_id",
                answer.describe(),
            ));
        };
        TestClient {
            id: ClientId::new(id),
            secret: answer.str_member("client_secret").map(ClientSecret::new),
            method,
            redirect_uri: reg.redirect_uri,
            scope: answer
                .str_member("scope")
                .map(Scope::parse)
                .or_else(|| self.wanted_scope()),
            grant_types: grants.iter().map(|g| (*g).to_owned()).collect(),
            registration: answer.body.clone(),
        }
    }

    /// Where and with which token the scenario's client is managed, or a
    /// SKIP when the server does not offer RFC 7592.
    fn management(&self) -> (Url, String) {
        let client = self.client();
        let reg = client.registration.unwrap_or_else(|| {
            skip("the client was not registered by the harness, so there is no registration to manage")
        });
        let uri = reg.get("registration_client_uri").and_then(Value::as_str);
        let token = reg.get("registration_access_token").and_then(Value::as_str);
        let (Some(uri), Some(token)) = (uri, token) else {
            skip(
                "the server does not offer client management (RFC 7592): the registration response has no registration_client_uri and registration_access_token",
            );
        };
        let url = Url::parse(uri).unwrap_or_else(|e| {
            fail(Finding::new(
                "registration_client_uri is an absolute URL (RFC 7592 §3)",
                "an absolute URL",
                format!("{uri:?}: {e}"),
            ))
        });
        (url, token.to_owned())
    }

    /// Sends a management request and keeps the answer.
    async fn manage(&mut self, what: &str, request: HttpRequest) -> RegAnswer {
        let driver = self.http();
        if !driver.allowlist().allows(&request.url) {
            skip(format!(
                "the registration_client_uri {} is on a host the profile does not name",
                request.url
            ));
        }
        let res = driver
            .send(request.header("Accept", "application/json"))
            .await
            .unwrap_or_else(|e| {
                fail(Finding::new(
                    "the client configuration endpoint answers (RFC 7592 §2)",
                    "an HTTP answer",
                    e.to_string(),
                ))
            });
        let answer = RegAnswer {
            what: what.to_owned(),
            status: res.status,
            body: serde_json::from_slice(&res.body).ok(),
            text: res.text(),
        };
        self.vars.insert(MANAGED.into(), json!(answer));
        answer
    }

    fn management_answer(&self) -> RegAnswer {
        self.vars
            .get(MANAGED)
            .and_then(|v| serde_json::from_value(v.clone()).ok())
            .unwrap_or_else(|| panic!("harness bug: no management request was sent"))
    }

    /// Reads the client's registration (RFC 7592 §2.1) with `token`.
    async fn read_registration(&mut self, what: &str, token: Option<&str>) -> RegAnswer {
        let (url, _) = self.management();
        let mut req = HttpRequest::get(url);
        if let Some(t) = token {
            req = req.bearer(t);
        }
        self.manage(what, req).await
    }
}

// ── registering ───────────────────────────────────────────────────────

#[given("the target lets the harness register clients")]
async fn can_register(w: &mut Spec) {
    w.registration_profile();
}

#[given(expr = "the client registers with {word} for the authorization code flow")]
#[when(expr = "the client registers with {word} for the authorization code flow")]
async fn register_code_client(w: &mut Spec, method: String) {
    let m = parse_method(&method);
    let metadata = w.code_client_metadata(&method);
    let answer = w
        .register_metadata(
            &format!("a {method} client for the authorization code flow"),
            &metadata,
        )
        .await;
    if (200..300).contains(&answer.status) {
        let c = w.client_from_registration(&answer, m, &["authorization_code"]);
        w.flow.client = Some(c);
    } else {
        // A valid registration that fails leaves nothing to check.
        fail(Finding::new(
            "a valid registration request succeeds (RFC 7591 §3.2.1)",
            "201 with a client_id",
            answer.describe(),
        ));
    }
}

#[when(expr = "the client registers with the redirect URI {string}")]
async fn register_redirect(w: &mut Spec, uri: String) {
    let mut metadata = w.code_client_metadata("client_secret_basic");
    metadata["redirect_uris"] = json!([uri]);
    w.register_metadata(&format!("redirect_uris [{uri:?}]"), &metadata)
        .await;
}

#[when("the client registers for the authorization code grant without the code response type")]
async fn register_inconsistent(w: &mut Spec) {
    let mut metadata = w.code_client_metadata("client_secret_basic");
    metadata["response_types"] = json!([]);
    w.register_metadata(
        "grant_types [\"authorization_code\"] with response_types []",
        &metadata,
    )
    .await;
}

#[when(expr = "the client registers with the authentication method {string}")]
async fn register_unknown_method(w: &mut Spec, method: String) {
    let metadata = w.code_client_metadata(&method);
    w.register_metadata(&format!("token_endpoint_auth_method {method:?}"), &metadata)
        .await;
}

// ── the registration response ─────────────────────────────────────────

#[then("the registration succeeds with a client ID")]
async fn succeeds(w: &mut Spec) {
    let a = w.registration_answer();
    if a.status != 201 || a.str_member("client_id").is_none_or(str::is_empty) {
        fail(Finding::new(
            "a successful registration answers 201 Created with the client_id (RFC 7591 §3.2.1)",
            "201 with a client_id",
            a.describe(),
        ));
    }
    if let Some(v) = a
        .member("client_id_issued_at")
        .filter(|v| !v.is_i64() && !v.is_u64())
    {
        fail(Finding::format(
            "client_id_issued_at is a number of seconds since the epoch (RFC 7591 §3.2.1)",
            "an integer",
            format!("client_id_issued_at = {v}"),
        ));
    }
}

#[then("the registration response carries the client secret and when it expires")]
async fn has_secret(w: &mut Spec) {
    let a = w.registration_answer();
    if a.str_member("client_secret").is_none_or(str::is_empty) {
        fail(Finding::new(
            "a confidential client receives a client_secret (RFC 7591 §3.2.1)",
            "a non-empty client_secret",
            a.describe(),
        ));
    }
    match a.member("client_secret_expires_at") {
        Some(v) if v.as_u64().is_some() => {}
        other => fail(Finding::new(
            "client_secret_expires_at is REQUIRED when a client_secret is issued: 0 for never, else seconds since the epoch (RFC 7591 §3.2.1)",
            "client_secret_expires_at = 0 or a time",
            format!(
                "client_secret_expires_at = {}",
                other.map_or("(absent)".into(), Value::to_string)
            ),
        )),
    }
}

#[then("the registration response repeats the registered metadata")]
async fn repeats_metadata(w: &mut Spec) {
    let a = w.registration_answer();
    let sent = w.code_client_metadata("client_secret_basic");
    let mut wrong = Vec::new();
    if a.member("redirect_uris") != sent.get("redirect_uris") {
        wrong.push(format!(
            "redirect_uris = {} (sent {})",
            a.member("redirect_uris")
                .map_or("(absent)".into(), Value::to_string),
            sent["redirect_uris"]
        ));
    }
    let grants = a.member("grant_types").and_then(Value::as_array);
    if !grants.is_some_and(|g| g.iter().any(|x| x == "authorization_code")) {
        wrong.push(format!(
            "grant_types = {} (sent [\"authorization_code\"])",
            a.member("grant_types")
                .map_or("(absent)".into(), Value::to_string)
        ));
    }
    if a.str_member("token_endpoint_auth_method") != Some("client_secret_basic") {
        wrong.push(format!(
            "token_endpoint_auth_method = {} (sent \"client_secret_basic\")",
            a.member("token_endpoint_auth_method")
                .map_or("(absent)".into(), Value::to_string)
        ));
    }
    if !wrong.is_empty() {
        fail(Finding::format(
            "the registration response contains all registered metadata about the client (RFC 7591 §3.2.1)",
            "the redirect URIs, grant types and authentication method that were registered",
            wrong.join("; "),
        ));
    }
}

#[then("the registration response says where and how to manage the client")]
async fn management_fields(w: &mut Spec) {
    let a = w.registration_answer();
    let uri = a.str_member("registration_client_uri");
    let token = a.str_member("registration_access_token");
    if uri.is_none() && token.is_none() {
        skip(
            "the server does not offer client management (RFC 7592): no registration_client_uri or registration_access_token",
        );
    }
    let uri_ok = uri.and_then(|u| Url::parse(u).ok()).is_some_and(|u| {
        u.scheme() == "https" || (u.scheme() == "http" && super::discovery::is_loopback(&u))
    });
    if !uri_ok || token.is_none_or(str::is_empty) {
        fail(Finding::new(
            "a server that offers management returns both registration_client_uri (an absolute https URL) and registration_access_token (RFC 7592 §3)",
            "registration_client_uri and registration_access_token",
            format!(
                "registration_client_uri = {}, registration_access_token {}",
                uri.map_or("(absent)".into(), |u| format!("{u:?}")),
                if token.is_some_and(|t| !t.is_empty()) {
                    "present"
                } else {
                    "absent or empty"
                }
            ),
        ));
    }
}

#[then(expr = "the registration is refused with {string}")]
async fn refused_with(w: &mut Spec, code: String) {
    let a = w.registration_answer();
    if (200..300).contains(&a.status) {
        let why = if a.what.contains('#') {
            "a redirect URI has no fragment (RFC 6749 §3.1.2): "
        } else if a.what.contains("http://") {
            "plain-http redirect URIs are allowed only on the loopback interface (RFC 9700 §2.6, RFC 8252 §7.3): "
        } else {
            ""
        };
        fail(Finding::new(
            format!(
                "{why}a registration with {} is refused with {code} (RFC 7591 §3.2.2)",
                a.what
            ),
            format!("400 error={code}"),
            a.describe(),
        ));
    }
    if a.status != 400 || a.error() != Some(code.as_str()) {
        fail(Finding::format(
            format!("the refusal is 400 with error={code} (RFC 7591 §3.2.2)"),
            format!("400 error={code}"),
            a.describe(),
        ));
    }
}

#[then("the registration is refused with \"invalid_client_metadata\" or its types made consistent")]
async fn inconsistent_refused(w: &mut Spec) {
    let a = w.registration_answer();
    if (200..300).contains(&a.status) {
        // The server MAY replace what the client asked for (RFC 7591 §2):
        // fine, as long as what it registered is consistent.
        let has = |member: &str, value: &str| {
            a.member(member)
                .and_then(Value::as_array)
                .is_some_and(|l| l.iter().any(|v| v == value))
        };
        if has("grant_types", "authorization_code") != has("response_types", "code") {
            fail(Finding::new(
                format!(
                    "a registration with {} is refused or corrected, never registered inconsistent (RFC 7591 §2.1)",
                    a.what
                ),
                "400 error=invalid_client_metadata",
                a.describe(),
            ));
        }
        return;
    }
    if a.status != 400 || a.error() != Some("invalid_client_metadata") {
        fail(Finding::format(
            "the refusal is 400 with error=invalid_client_metadata (RFC 7591 §3.2.2)",
            "400 error=invalid_client_metadata",
            a.describe(),
        ));
    }
}

#[then("the unknown method is refused or replaced with one the server supports")]
async fn unknown_method(w: &mut Spec) {
    let a = w.registration_answer();
    if (200..300).contains(&a.status) {
        let supported = w
            .target()
            .metadata
            .as_ref()
            .map(crate::target::Metadata::token_endpoint_auth_methods)
            .unwrap_or_else(|| {
                ["client_secret_basic", "client_secret_post", "none"]
                    .map(str::to_owned)
                    .to_vec()
            });
        let got = a.str_member("token_endpoint_auth_method");
        if !got.is_some_and(|m| supported.iter().any(|s| s == m)) {
            fail(Finding::new(
                format!(
                    "a registration with {} is refused with invalid_client_metadata, or registered with a method the server supports (RFC 7591 §2, §3.2.2)",
                    a.what
                ),
                format!("400 error=invalid_client_metadata, or one of {supported:?}"),
                a.describe(),
            ));
        }
        return;
    }
    if a.status != 400 || a.error() != Some("invalid_client_metadata") {
        fail(Finding::format(
            "the refusal is 400 with error=invalid_client_metadata (RFC 7591 §3.2.2)",
            "400 error=invalid_client_metadata",
            a.describe(),
        ));
    }
}

// ── managing the registration (RFC 7592) ──────────────────────────────

#[when("the client reads its registration with its registration access token")]
async fn read_with_token(w: &mut Spec) {
    let (_, token) = w.management();
    w.read_registration("GET with the registration access token", Some(&token))
        .await;
}

#[when("the client reads its registration without a registration access token")]
async fn read_without_token(w: &mut Spec) {
    w.read_registration("GET without a registration access token", None)
        .await;
}

#[when("the client's registration is read with another client's registration access token")]
async fn read_with_other_token(w: &mut Spec) {
    let mine = w.client();
    let metadata = w.code_client_metadata("client_secret_basic");
    let other = w.register_metadata("a second client", &metadata).await;
    let other_client = w.client_from_registration(
        &other,
        AuthMethod::ClientSecretBasic,
        &["authorization_code"],
    );
    let other_token = other
        .str_member("registration_access_token")
        .map(str::to_owned)
        .unwrap_or_else(|| skip("the second registration carries no registration_access_token"));
    w.flow.client = Some(mine);
    w.flow.other_client = Some(other_client);
    w.read_registration(
        "GET with another client's registration access token",
        Some(&other_token),
    )
    .await;
}

#[when(expr = "the client updates its registration with the client name {string}")]
async fn update(w: &mut Spec, name: String) {
    let (url, token) = w.management();
    let reg = w.client().registration.unwrap_or_default();
    let mut body = reg.as_object().cloned().unwrap_or_default();
    // RFC 7592 §2.2: everything the server returned, except these.
    for k in [
        "registration_access_token",
        "registration_client_uri",
        "client_secret_expires_at",
        "client_id_issued_at",
        "client_secret",
    ] {
        body.remove(k);
    }
    body.insert("client_name".into(), json!(name));
    let req = HttpRequest::new(reqwest::Method::PUT, url)
        .bearer(&token)
        .json(Value::Object(body));
    let a = w
        .manage("PUT with the registration access token", req)
        .await;
    not_offered(a.status, "update");
}

/// RFC 7592 is optional, and a server may offer only the read of §2.1: a
/// 404, 405 or 501 to an update or delete means the operation is not
/// offered, so the scenario SKIPs rather than fails.
fn not_offered(status: u16, operation: &str) {
    if matches!(status, 404 | 405 | 501) {
        super::skip(format!(
            "the client configuration endpoint does not offer {operation} (answered {status}; RFC 7592 is optional)"
        ));
    }
}

#[given("the client deletes its registration with its registration access token")]
#[when("the client deletes its registration with its registration access token")]
async fn delete(w: &mut Spec) {
    let (url, token) = w.management();
    let req = HttpRequest::new(reqwest::Method::DELETE, url).bearer(&token);
    let a = w
        .manage("DELETE with the registration access token", req)
        .await;
    not_offered(a.status, "delete");
    if a.status != 204 {
        fail(Finding::new(
            "deleting a registration with its registration access token answers 204 No Content (RFC 7592 §2.3)",
            "204",
            a.describe(),
        ));
    }
}

#[then("the registration read succeeds and shows the client")]
async fn read_ok(w: &mut Spec) {
    let a = w.management_answer();
    let id = w.client().id;
    if a.status != 200 || a.str_member("client_id") != Some(id.as_str()) {
        fail(Finding::new(
            "reading a registration with its registration access token returns the client's information (RFC 7592 §2.1)",
            format!("200 with client_id {id}"),
            a.describe(),
        ));
    }
}

#[then("the registration management request is refused with 401")]
async fn management_refused(w: &mut Spec) {
    let a = w.management_answer();
    if (200..300).contains(&a.status) {
        fail(Finding::security(
            format!(
                "the client configuration endpoint refuses a request ({}) that lacks this client's registration access token (RFC 7592 §2.1)",
                a.what
            ),
            "401 Unauthorized",
            a.describe(),
        ));
    }
    if a.status != 401 {
        fail(Finding::format(
            "a missing or wrong registration access token is answered 401 Unauthorized (RFC 7592 §2.1, RFC 6750 §3.1)",
            "401",
            a.describe(),
        ));
    }
}

#[then(expr = "the registration update succeeds and shows the client name {string}")]
async fn update_ok(w: &mut Spec, name: String) {
    let a = w.management_answer();
    let id = w.client().id;
    if a.status != 200
        || a.str_member("client_id") != Some(id.as_str())
        || a.str_member("client_name") != Some(name.as_str())
    {
        fail(Finding::new(
            "an update with the registration access token returns the client's new information (RFC 7592 §2.2)",
            format!("200 with client_id {id} and client_name {name:?}"),
            format!(
                "{}; client_name = {}",
                a.describe(),
                a.member("client_name")
                    .map_or("(absent)".into(), Value::to_string)
            ),
        ));
    }
}

#[then(expr = "reading the registration shows the client name {string}")]
async fn read_shows_name(w: &mut Spec, name: String) {
    let (_, token) = w.management();
    let a = w
        .read_registration("GET with the registration access token", Some(&token))
        .await;
    if a.status != 200 || a.str_member("client_name") != Some(name.as_str()) {
        fail(Finding::new(
            "an update is kept: a later read shows the new metadata (RFC 7592 §2.2)",
            format!("200 with client_name {name:?}"),
            format!(
                "{}; client_name = {}",
                a.describe(),
                a.member("client_name")
                    .map_or("(absent)".into(), Value::to_string)
            ),
        ));
    }
}

#[then("reading the deleted registration is refused")]
async fn deleted_read_refused(w: &mut Spec) {
    let (_, token) = w.management();
    let a = w
        .read_registration(
            "GET of a deleted registration with its old registration access token",
            Some(&token),
        )
        .await;
    if (200..300).contains(&a.status) {
        fail(Finding::security(
            "a deleted client's registration and registration access token stop working (RFC 7592 §2.3)",
            "401 Unauthorized",
            a.describe(),
        ));
    }
    if a.status != 401 {
        fail(Finding::format(
            "a request about a client that no longer exists is answered 401 (RFC 7592 §2.1)",
            "401",
            a.describe(),
        ));
    }
}
