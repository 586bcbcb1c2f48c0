//! Steps of `features/introspection.feature`: token introspection (RFC
//! 7662), checked from the outside. The expiry and revocation scenarios
//! use these steps too.

use cucumber::{then, when};
use serde_json::Value;

use super::{Finding, Spec, fail, skip};
use crate::driver::flow::{self, ClientAuth};
use crate::driver::pkce::{Scope, random_token};

/// `vars` keys: the last introspection answer's status and body.
const STATUS: &str = "introspection.status";
const BODY: &str = "introspection.body";

/// Which token of the scenario to introspect.
pub(crate) fn pick_token(w: &Spec, which: &str) -> (String, Option<&'static str>) {
    match which {
        "its access token" => (w.access_token(), Some("access_token")),
        "its refresh token" => (
            w.current_refresh_token().secret().to_owned(),
            Some("refresh_token"),
        ),
        "a token the server never issued" => {
            (format!("oauthspec-unknown-{}", random_token(24)), None)
        }
        other => panic!("harness bug: no token called {other:?}"),
    }
}

impl Spec {
    /// Introspects `token` with this authentication and keeps the answer.
    pub(crate) async fn introspect_with(
        &mut self,
        auth: &ClientAuth,
        token: &str,
        hint: Option<&str>,
    ) -> u16 {
        let endpoint = self.introspection_endpoint();
        let driver = self.http();
        let res = super::with_timeout(
            self.step_timeout(),
            "the introspection request",
            flow::introspect(&driver, &endpoint, auth, token, hint),
        )
        .await
        .unwrap_or_else(|e| {
            fail(Finding::new(
                "the introspection endpoint answers (RFC 7662 §2)",
                "an HTTP answer",
                e.to_string(),
            ))
        });
        self.vars.insert(STATUS.into(), res.status.into());
        self.vars.insert(BODY.into(), res.text().into());
        res.status
    }

    /// The client introspects one of its tokens with its own credentials.
    /// SKIPs with a public client: RFC 7662 §2.1 lets the server require
    /// credentials that a public client does not have.
    pub(crate) async fn introspect_own(&mut self, which: &str) -> u16 {
        let client = self.client();
        if client.is_public() {
            skip(
                "introspection needs a caller with credentials, and the scenario's client is public",
            );
        }
        let (token, hint) = pick_token(self, which);
        self.introspect_with(&client.auth(), &token, hint).await
    }

    /// The last introspection answer: status, raw body, and the body as JSON.
    fn introspection_answer(&self) -> (u16, String, Option<Value>) {
        let status = self
            .vars
            .get(STATUS)
            .and_then(Value::as_u64)
            .and_then(|s| u16::try_from(s).ok())
            .unwrap_or_else(|| panic!("harness bug: nothing was introspected"));
        let body = self
            .vars
            .get(BODY)
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned();
        let json = serde_json::from_str(&body).ok();
        (status, body, json)
    }

    /// The last introspection answer as a JSON object with a boolean
    /// `active`, or a finding saying what came back instead.
    fn introspection_object(&self) -> (serde_json::Map<String, Value>, bool) {
        let (status, body, json) = self.introspection_answer();
        let shape = "200 with a JSON object whose \"active\" is a boolean (RFC 7662 §2.2)";
        if status != 200 {
            fail(Finding::new(
                "a properly authorized introspection request answers 200 (RFC 7662 §2.2)",
                shape,
                format!("{status} {body}"),
            ));
        }
        match json {
            Some(Value::Object(m)) => match m.get("active") {
                Some(Value::Bool(a)) => {
                    let a = *a;
                    (m, a)
                }
                other => fail(Finding::format(
                    "an introspection answer has a boolean \"active\" (RFC 7662 §2.2)",
                    shape,
                    format!(
                        "\"active\": {}",
                        other.map_or("missing".to_owned(), Value::to_string)
                    ),
                )),
            },
            _ => fail(Finding::format(
                "an introspection answer is a JSON object (RFC 7662 §2.2)",
                shape,
                format!("{status} {body}"),
            )),
        }
    }

    /// The scope the client's latest token carries: what the token response
    /// said, else what the client asked for.
    fn latest_token_scope(&self) -> Option<Scope> {
        self.flow
            .tokens
            .last()
            .and_then(|t| t.scope.clone())
            .or_else(|| self.client().scope)
    }
}

// ── introspecting ─────────────────────────────────────────────────────

#[when(
    regex = r"^the client introspects (its access token|its refresh token|a token the server never issued)$"
)]
async fn introspects(w: &mut Spec, which: String) {
    w.introspect_own(&which).await;
}

#[when("an unauthenticated caller introspects the client's access token")]
async fn introspects_unauthenticated(w: &mut Spec) {
    let token = w.access_token();
    w.introspect_with(&ClientAuth::Omitted, &token, Some("access_token"))
        .await;
}

// ── outcomes ──────────────────────────────────────────────────────────

#[then("the introspection request is refused as unauthenticated")]
async fn refused_unauthenticated(w: &mut Spec) {
    let (status, body, json) = w.introspection_answer();
    if (200..300).contains(&status) {
        let active = json
            .as_ref()
            .and_then(|j| j.get("active"))
            .map_or("no \"active\"".to_owned(), |a| format!("\"active\": {a}"));
        fail(Finding::security(
            "the introspection endpoint requires the caller to be authorized, against token scanning (RFC 7662 §2.1, §4)",
            "401 Unauthorized",
            format!("{status} with {active}: anyone can ask what a token is worth"),
        ));
    }
    if status != 401 {
        fail(Finding::format(
            "an unauthorized introspection request is answered 401 (RFC 7662 §2.3)",
            "401 Unauthorized",
            format!("{status} {body}"),
        ));
    }
}

#[then("the introspection answer says the token is active")]
async fn says_active(w: &mut Spec) {
    let (m, active) = w.introspection_object();
    if !active {
        fail(Finding::new(
            "a valid token is reported active (RFC 7662 §2.2)",
            "\"active\": true",
            Value::Object(m).to_string(),
        ));
    }
}

#[then("the introspection answer says the token is inactive")]
async fn says_inactive(w: &mut Spec) {
    let (m, active) = w.introspection_object();
    if active {
        fail(Finding::security(
            "a token that is expired, revoked or unknown is reported inactive (RFC 7662 §2.2)",
            "\"active\": false",
            Value::Object(m).to_string(),
        ));
    }
}

#[then(regex = r#"^the introspection answer is exactly \{"active": false\}$"#)]
async fn exactly_inactive(w: &mut Spec) {
    let (m, active) = w.introspection_object();
    if active {
        fail(Finding::security(
            "a token that is expired, revoked or unknown is reported inactive (RFC 7662 §2.2)",
            "{\"active\": false}",
            Value::Object(m).to_string(),
        ));
    }
    let extra: Vec<&str> = m
        .keys()
        .map(String::as_str)
        .filter(|k| *k != "active")
        .collect();
    if !extra.is_empty() {
        fail(Finding::security(
            "the answer about an inactive token says nothing more, not even why (RFC 7662 §2.2, §4)",
            "{\"active\": false}",
            format!(
                "{} (extra members: {})",
                Value::Object(m.clone()),
                extra.join(", ")
            ),
        ));
    }
}

#[then("the introspection answer describes the access token truthfully")]
async fn truthful(w: &mut Spec) {
    let (m, _) = w.introspection_object();
    let client = w.client();
    let requirement = "the members of an introspection answer describe the token (RFC 7662 §2.2)";
    let shown = Value::Object(m.clone()).to_string();
    if let Some(c) = m.get("client_id")
        && c.as_str() != Some(client.id.as_str())
    {
        fail(Finding::new(
            requirement,
            format!(
                "client_id \"{}\" (the client the token was issued to)",
                client.id
            ),
            shown,
        ));
    }
    if let Some(s) = m.get("scope") {
        let granted = w.latest_token_scope();
        let said = s.as_str().map(Scope::parse);
        if let (Some(g), Some(said)) = (&granted, &said)
            && g != said
        {
            fail(Finding::new(
                requirement,
                format!("scope \"{g}\" (the scope the token was issued with)"),
                shown,
            ));
        }
        if said.is_none() {
            fail(Finding::format(
                "scope is a space-separated string (RFC 7662 §2.2)",
                "a JSON string",
                shown,
            ));
        }
    }
    for claim in ["exp", "iat", "nbf"] {
        if let Some(v) = m.get(claim)
            && !v.is_i64()
            && !v.is_u64()
        {
            fail(Finding::format(
                format!("{claim} is an integer number of seconds since the epoch (RFC 7662 §2.2)"),
                format!("{claim} as a JSON integer"),
                shown,
            ));
        }
    }
    if let (Some(exp), Some(iat)) = (
        m.get("exp").and_then(Value::as_i64),
        m.get("iat").and_then(Value::as_i64),
    ) && exp <= iat
    {
        fail(Finding::new(
            requirement,
            "exp after iat",
            format!("exp={exp}, iat={iat}"),
        ));
    }
    let issuer = w
        .target()
        .metadata
        .as_ref()
        .and_then(|md| md.issuer.clone());
    if let (Some(i), Some(issuer)) = (m.get("iss"), issuer)
        && i.as_str() != Some(issuer.as_str())
    {
        fail(Finding::new(
            requirement,
            format!("iss \"{issuer}\" (the server's issuer identifier)"),
            shown,
        ));
    }
    if let Some(t) = m.get("token_type")
        && t.as_str()
            .is_some_and(|t| t.eq_ignore_ascii_case("refresh_token"))
    {
        fail(Finding::new(
            requirement,
            "token_type of the access token (RFC 6749 §5.1), e.g. Bearer",
            shown,
        ));
    }
}

#[then(regex = r"^the introspection answer includes (.+)$")]
async fn includes(w: &mut Spec, list: String) {
    let (m, _) = w.introspection_object();
    let wanted: Vec<&str> = list
        .split([',', ' '])
        .map(str::trim)
        .filter(|s| !s.is_empty() && *s != "and")
        .collect();
    let missing: Vec<&str> = wanted
        .iter()
        .copied()
        .filter(|k| !m.contains_key(*k))
        .collect();
    if !missing.is_empty() {
        fail(Finding::new(
            "an introspection answer tells the resource server what the token is worth (RFC 7662 §2.2)",
            format!("the members {}", wanted.join(", ")),
            format!(
                "{} (missing: {})",
                Value::Object(m.clone()),
                missing.join(", ")
            ),
        ));
    }
}
