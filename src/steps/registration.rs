//! Steps of `features/registration.feature`: dynamic client registration
//! (RFC 7591) and its management protocol (RFC 7592), checked from the
//! outside with metadata the steps choose.

use cucumber::{given, then, when};
use serde_json::{Value, json};
use url::Url;

use super::answer::Answer;
use super::clients::TestClient;
use super::outcome::{skip_with, unmet};
use super::{Finding, Spec, fail};
use crate::driver::flow;
use crate::driver::http::HttpRequest;
use crate::protocol::AuthMethod;
use crate::protocol::{ClientId, ClientSecret, Scope};
use crate::target::Endpoint;

/// An answer of the registration or client configuration endpoint, with
/// what was sent, in a few words.
#[derive(Clone, Debug)]
struct Sent {
    what: String,
    answer: Answer,
    /// The redirect URI the request asked for, if it was the point.
    redirect_uri: Option<String>,
}

impl Sent {
    fn describe(&self) -> String {
        format!("{}: {}", self.what, self.answer.describe())
    }

    fn member(&self, name: &str) -> Option<Value> {
        self.answer.json().and_then(|b| b.get(name).cloned())
    }

    fn str_member(&self, name: &str) -> Option<String> {
        self.answer.member_str(name)
    }

    fn strings(&self, name: &str) -> Option<Vec<String>> {
        self.member(name).and_then(|v| {
            v.as_array().map(|a| {
                a.iter()
                    .filter_map(|x| x.as_str().map(str::to_owned))
                    .collect()
            })
        })
    }

    fn accepted(&self) -> bool {
        self.answer.accepted()
    }
}

/// What this area keeps between its steps.
#[derive(Default)]
struct RegState {
    registered: Option<Sent>,
    managed: Option<Sent>,
    /// The registration access token to use now (RFC 7592 §2.2: an update
    /// may replace it).
    token: Option<String>,
}

fn parse_method(word: &str) -> AuthMethod {
    serde_json::from_value(json!(word)).unwrap_or_else(|_| {
        unmet(format!(
            "harness bug: unknown authentication method {word:?} in the feature"
        ))
    })
}

impl Spec {
    /// The registration the profile allows, or a SKIP saying why there is none.
    fn registration_profile(&self) -> crate::target::profile::RegistrationProfile {
        self.require_authorization_server();
        let target = self.target();
        let Some(reg) = target.profile.registration.clone().filter(|r| r.enabled) else {
            skip_with(
                "the profile does not let the harness register clients",
                "add [registration] with enabled = true, if the server offers RFC 7591 registration",
            );
        };
        if target.endpoints.get(Endpoint::Registration).is_none() {
            skip_with(
                "the target has no registration endpoint",
                "nothing to change, unless the server has one: give [endpoints] registration",
            );
        }
        reg
    }

    /// Registration metadata for the authorization code flow with `method`,
    /// as the harness would send it, for steps to alter.
    fn code_client_metadata(&self, method: &str) -> Value {
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

    /// Sends `metadata` to the registration endpoint and keeps the answer.
    async fn register_metadata(&mut self, what: &str, metadata: &Value) -> Sent {
        let reg = self.registration_profile();
        let endpoint = self.endpoint(Endpoint::Registration);
        let driver = self.http();
        let res = flow::register(
            &driver,
            &endpoint,
            metadata,
            reg.initial_access_token.as_ref(),
        )
        .await;
        let res = self.answered(res, "the registration endpoint");
        let sent = Sent {
            what: what.to_owned(),
            answer: Answer::of_endpoint(format!("POST {endpoint}"), &res),
            redirect_uri: None,
        };
        self.area::<RegState>().registered = Some(sent.clone());
        sent
    }

    fn registered(&mut self) -> Sent {
        self.area::<RegState>()
            .registered
            .clone()
            .unwrap_or_else(|| unmet("harness bug: no registration request was sent"))
    }

    /// The client a successful registration answer describes.
    fn client_from(&self, sent: &Sent, method: AuthMethod) -> TestClient {
        let reg = self.registration_profile();
        let Some(id) = sent.str_member("client_id").filter(|s| !s.is_empty()) else {
            unmet(format!(
                "a successful registration returned no client_id: {}",
                sent.describe()
            ));
        };
        TestClient {
            id: ClientId::new(id),
            secret: sent.str_member("client_secret").map(ClientSecret::new),
            method,
            redirect_uri: reg.redirect_uri,
            scope: sent
                .str_member("scope")
                .map(|s| Scope::parse(&s))
                .or_else(|| self.wanted_scope()),
            grant_types: vec!["authorization_code".into()],
            registration: sent.answer.json(),
        }
    }

    /// Where and with which token the scenario's client is managed, or a
    /// SKIP when the server does not offer RFC 7592.
    fn management(&mut self) -> (Url, String) {
        let client = self.client();
        let reg = client
            .registration
            .unwrap_or_else(|| unmet("harness bug: the client was not registered by the harness"));
        let uri = reg.get("registration_client_uri").and_then(Value::as_str);
        let token = self.area::<RegState>().token.clone().or_else(|| {
            reg.get("registration_access_token")
                .and_then(Value::as_str)
                .map(str::to_owned)
        });
        let (Some(uri), Some(token)) = (uri, token) else {
            skip_with(
                "the server does not offer client management (RFC 7592): the registration response has no registration_client_uri and registration_access_token",
                "nothing to change: RFC 7592 is optional",
            );
        };
        let url = Url::parse(uri).unwrap_or_else(|e| {
            unmet(format!(
                "registration_client_uri {uri:?} is not an absolute URL: {e}"
            ))
        });
        (url, token)
    }

    /// Sends a management request and keeps the answer.
    async fn manage(&mut self, what: &str, request: HttpRequest) -> Sent {
        let a = self
            .send(request.header("Accept", "application/json"))
            .await;
        if a.status.is_none() {
            unmet(a.describe());
        }
        let sent = Sent {
            what: what.to_owned(),
            answer: a,
            redirect_uri: None,
        };
        self.area::<RegState>().managed = Some(sent.clone());
        sent
    }

    fn managed(&mut self) -> Sent {
        self.area::<RegState>()
            .managed
            .clone()
            .unwrap_or_else(|| unmet("harness bug: no management request was sent"))
    }

    /// Reads the client's registration (RFC 7592 §2.1) with `token`.
    async fn read_registration(&mut self, what: &str, token: Option<&str>) -> Sent {
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

async fn register_code_client(w: &mut Spec, method: &str) -> Sent {
    let m = parse_method(method);
    let metadata = w.code_client_metadata(method);
    let sent = w
        .register_metadata(
            &format!("a {method} client for the authorization code flow"),
            &metadata,
        )
        .await;
    if sent.accepted() {
        let c = w.client_from(&sent, m);
        w.flow.client = Some(c);
    }
    sent
}

#[given(expr = "the client registers with {word} for the authorization code flow")]
async fn registered_code_client(w: &mut Spec, method: String) {
    let sent = register_code_client(w, &method).await;
    if !sent.accepted() {
        unmet(format!(
            "a valid registration was refused: {}",
            sent.describe()
        ));
    }
}

#[when(expr = "the client registers with {word} for the authorization code flow")]
async fn registers_code_client(w: &mut Spec, method: String) {
    register_code_client(w, &method).await;
}

#[when(expr = "the client registers with the redirect URI {string}")]
async fn register_redirect(w: &mut Spec, uri: String) {
    let mut metadata = w.code_client_metadata("client_secret_basic");
    metadata["redirect_uris"] = json!([uri]);
    w.register_metadata(&format!("redirect_uris [{uri:?}]"), &metadata)
        .await;
    if let Some(s) = w.area::<RegState>().registered.as_mut() {
        s.redirect_uri = Some(uri);
    }
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
    let a = w.registered();
    if !a.accepted() || a.str_member("client_id").is_none_or(|s| s.is_empty()) {
        fail(Finding::new(
            "a valid registration succeeds with the client_id (RFC 7591 §3.2.1)",
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

/// The method the server registered: what the answer says, else RFC 7591
/// §2's default.
fn registered_method(a: &Sent) -> String {
    a.str_member("token_endpoint_auth_method")
        .unwrap_or_else(|| "client_secret_basic".into())
}

#[then("the registration response carries the client secret and when it expires")]
async fn has_secret(w: &mut Spec) {
    let a = w.registered();
    let method = registered_method(&a);
    if !method.starts_with("client_secret") {
        w.record(format!(
            "note: the server registered token_endpoint_auth_method {method}, which needs no client secret"
        ));
        return;
    }
    if a.str_member("client_secret").is_none_or(|s| s.is_empty()) {
        fail(Finding::new(
            "a client registered for a secret-based method receives its client_secret (RFC 7591 §3.2.1)",
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
                other.map_or("(absent)".into(), |v| v.to_string())
            ),
        )),
    }
}

#[then("the registration response repeats the registered metadata")]
async fn repeats_metadata(w: &mut Spec) {
    let a = w.registered();
    // The server MAY replace values (RFC 7591 §3.2.1): what it must do is
    // say what it registered. Absent grant types and method mean the
    // defaults of RFC 7591 §2.
    if a.strings("redirect_uris")
        .is_none_or(|uris| uris.is_empty())
    {
        fail(Finding::format(
            "the registration response contains all registered metadata about the client (RFC 7591 §3.2.1)",
            "the registered redirect_uris",
            format!("redirect_uris absent: {}", a.describe()),
        ));
    }
}

#[then("the registration response says where and how to manage the client")]
async fn management_fields(w: &mut Spec) {
    let a = w.registered();
    let uri = a.str_member("registration_client_uri");
    let token = a.str_member("registration_access_token");
    if uri.is_none() && token.is_none() {
        skip_with(
            "the server does not offer client management (RFC 7592): no registration_client_uri or registration_access_token",
            "nothing to change: RFC 7592 is optional",
        );
    }
    let uri_ok = uri.as_deref().and_then(|u| Url::parse(u).ok()).is_some();
    if !uri_ok || token.as_deref().is_none_or(str::is_empty) {
        fail(Finding::new(
            "a server that offers management returns both registration_client_uri (a fully qualified URL) and registration_access_token (RFC 7592 §3)",
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

#[then(expr = "the registration is refused with {string} or the URI replaced")]
async fn refused_or_replaced(w: &mut Spec, code: String) {
    let a = w.registered();
    let uri = a
        .redirect_uri
        .clone()
        .unwrap_or_else(|| unmet("harness bug: no redirect URI was registered"));
    if a.accepted() {
        let kept = a
            .strings("redirect_uris")
            .is_some_and(|uris| uris.contains(&uri));
        if kept {
            let (security, why) = if uri.starts_with("http://") {
                (
                    true,
                    "plain-http redirect URIs are allowed only on the loopback interface (RFC 9700 §2.6, RFC 8252 §7.3)",
                )
            } else {
                (false, "a redirect URI has no fragment (RFC 6749 §3.1.2)")
            };
            let finding = if security {
                Finding::security
            } else {
                Finding::new
            };
            fail(finding(
                format!(
                    "{why}: a registration with {} is refused or corrected",
                    a.what
                ),
                format!("400 error={code}, or a registration without {uri}"),
                a.describe(),
            ));
        }
        w.record(format!(
            "note: the server registered the client with other redirect URIs than {uri}, which RFC 7591 §3.2.1 allows"
        ));
        return;
    }
    let error = a.answer.error_code();
    let ok = a.answer.status_is(400)
        && matches!(error.as_deref(), Some(e) if e == code || e == "invalid_client_metadata");
    if !ok {
        fail(Finding::format(
            format!("the refusal is 400 with error={code} (RFC 7591 §3.2.2)"),
            format!("400 error={code} (or invalid_client_metadata)"),
            a.describe(),
        ));
    }
}

#[then("the registration is refused with \"invalid_client_metadata\" or its types made consistent")]
async fn inconsistent_refused(w: &mut Spec) {
    let a = w.registered();
    if a.accepted() {
        // RFC 7591 §2 defaults: no response_types means ["code"], no
        // grant_types means ["authorization_code"].
        let responses = a
            .strings("response_types")
            .unwrap_or_else(|| vec!["code".into()]);
        let grants = a
            .strings("grant_types")
            .unwrap_or_else(|| vec!["authorization_code".into()]);
        let code_grant = grants.iter().any(|g| g == "authorization_code");
        let code_response = responses.iter().any(|r| r == "code");
        if code_grant != code_response {
            fail(Finding::new(
                format!(
                    "a registration with {} is refused or corrected, never registered inconsistent (RFC 7591 §2.1)",
                    a.what
                ),
                "400 error=invalid_client_metadata, or consistent grant and response types",
                a.describe(),
            ));
        }
        return;
    }
    if !a.answer.status_is(400)
        || a.answer.error_code().as_deref() != Some("invalid_client_metadata")
    {
        fail(Finding::format(
            "the refusal is 400 with error=invalid_client_metadata (RFC 7591 §3.2.2)",
            "400 error=invalid_client_metadata",
            a.describe(),
        ));
    }
}

#[then("the unknown method is refused or replaced with one the server supports")]
async fn unknown_method(w: &mut Spec) {
    let a = w.registered();
    if a.accepted() {
        let supported = w
            .target()
            .metadata
            .as_ref()
            .map(crate::target::Metadata::token_endpoint_auth_methods)
            .unwrap_or_else(|| vec!["client_secret_basic".into()]);
        let got = registered_method(&a);
        if !supported.contains(&got) {
            fail(Finding::new(
                format!(
                    "a registration with {} is refused with invalid_client_metadata, or registered with a method the server supports (RFC 7591 §3.2.2)",
                    a.what
                ),
                format!(
                    "400 error=invalid_client_metadata, or one of {}",
                    supported.join(", ")
                ),
                a.describe(),
            ));
        }
        return;
    }
    if !a.answer.status_is(400)
        || a.answer.error_code().as_deref() != Some("invalid_client_metadata")
    {
        fail(Finding::format(
            "the refusal is 400 with error=invalid_client_metadata (RFC 7591 §3.2.2)",
            "400 error=invalid_client_metadata",
            a.describe(),
        ));
    }
}

mod management;
