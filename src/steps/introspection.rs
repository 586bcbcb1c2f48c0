//! Steps of `features/introspection.feature`: token introspection (RFC
//! 7662), checked from the outside. The expiry scenarios use these steps
//! too (by their phrases).

use cucumber::{given, then, when};
use serde_json::Value;

use super::answer::Answer;
use super::control::ControlKind;
use super::outcome::{skip_with, unmet};
use super::{Finding, Spec, fail};
use crate::driver::flow::ClientAuth;
use crate::driver::http::HttpRequest;
use crate::protocol::{Scope, random_token};
use crate::target::Endpoint;

/// The token a control showed introspection reporting active, for the
/// scenario's later requests about it.
#[derive(Default)]
struct Shown {
    which: Option<&'static str>,
}

/// Which token of the scenario to introspect.
fn pick_token(w: &Spec, which: &str) -> (String, Option<&'static str>) {
    match which {
        "its access token" => (w.access_token(), Some("access_token")),
        "its refresh token" => (
            w.current_refresh_token().secret().to_owned(),
            Some("refresh_token"),
        ),
        "a token the server never issued" => {
            (format!("oauthspec-unknown-{}", random_token(24)), None)
        }
        other => unmet(format!("harness bug: no token called {other:?}")),
    }
}

impl Spec {
    /// Introspects `token` with this authentication and keeps the answer.
    async fn introspect_with(
        &mut self,
        auth: &ClientAuth,
        token: &str,
        hint: Option<&str>,
    ) -> Answer {
        let endpoint = self.endpoint(Endpoint::Introspection);
        let mut form = vec![("token".to_owned(), token.to_owned())];
        if let Some(h) = hint {
            form.push(("token_type_hint".into(), h.into()));
        }
        let req = auth.apply(HttpRequest::post(endpoint), &mut form);
        let a = self
            .send(req.header("Accept", "application/json").form(form))
            .await;
        if a.status.is_none() {
            unmet(a.describe());
        }
        self.flow.introspection = Some(a.clone());
        a
    }

    /// The client introspects one of its tokens with its own credentials.
    /// SKIPs with a public client: RFC 7662 §2.1 lets the server require
    /// credentials that a public client does not have.
    async fn introspect_own(&mut self, which: &str) -> Answer {
        let client = self.client();
        if client.is_public() {
            skip_with(
                "introspection needs a caller with credentials, and the scenario's client is public",
                "add a confidential [[clients]] entry, or enable [registration]",
            );
        }
        let (token, hint) = pick_token(self, which);
        self.introspect_with(&client.auth(), &token, hint).await
    }

    /// The last introspection answer.
    fn introspection(&self) -> Answer {
        self.flow
            .introspection
            .clone()
            .unwrap_or_else(|| unmet("harness bug: nothing was introspected"))
    }

    /// The last introspection answer as a JSON object with a boolean
    /// `active`, or a finding saying what came back instead.
    fn introspection_object(&self) -> (serde_json::Map<String, Value>, bool) {
        let a = self.introspection();
        let shape = "200 with a JSON object whose \"active\" is a boolean (RFC 7662 §2.2)";
        if a.status != Some(200) {
            fail(Finding::new(
                "a properly authorized introspection request answers 200 (RFC 7662 §2.2)",
                shape,
                a.describe(),
            ));
        }
        match a.json() {
            Some(Value::Object(m)) => match m.get("active") {
                Some(Value::Bool(active)) => {
                    let active = *active;
                    (m, active)
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
                a.describe(),
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

    /// Introspects `which` of the client's tokens as a control: `Ok` when it
    /// is reported active, else why not (a SKIP's reason, or an ERROR's).
    async fn active_or_why(&mut self, which: &'static str) -> Result<(), Result<String, String>> {
        let a = self.introspect_own(which).await;
        let active = a
            .json()
            .and_then(|v| v.get("active").and_then(Value::as_bool));
        match (a.status, active) {
            (Some(200), Some(true)) => Ok(()),
            (Some(200), Some(false)) => Err(Ok(format!(
                "the server reports {which} inactive to the client that holds it, which RFC 7662 §2.2 allows (the caller may not be allowed to introspect it)"
            ))),
            // The server will not describe this kind of token (a finding of
            // the scenario that asks for it), so there is nothing to compare.
            _ if a.error_code().as_deref() == Some("unsupported_token_type") => Err(Ok(format!(
                "the server does not introspect {which} (unsupported_token_type)"
            ))),
            _ => Err(Err(format!(
                "control: introspecting {which} with the client's own credentials did not give an answer to judge: {}",
                a.describe()
            ))),
        }
    }

    /// The control: `which` is reported active. SKIPs when the server does
    /// not describe it to this client (allowed), ERROR when it does not
    /// answer properly at all.
    async fn reported_active(&mut self, which: &'static str, kind: ControlKind) {
        match self.active_or_why(which).await {
            Ok(()) => {
                self.area::<Shown>().which = Some(which);
                self.control_held(kind, format!("200 with \"active\": true for {which}"));
            }
            Err(Ok(skip)) => skip_with(
                skip,
                "nothing to change: introspection is for what the server chooses to describe",
            ),
            Err(Err(error)) => unmet(error),
        }
    }

    /// Revokes one of the client's tokens as setup.
    async fn revoked_as_setup(&mut self, which: &str) {
        let client = self.client();
        let (token, hint) = pick_token(self, which);
        let endpoint = self.endpoint(Endpoint::Revocation);
        let mut form = vec![("token".to_owned(), token)];
        if let Some(h) = hint {
            form.push(("token_type_hint".into(), h.into()));
        }
        let req = client.auth().apply(HttpRequest::post(endpoint), &mut form);
        let a = self.send(req.form(form)).await;
        if a.error_code().as_deref() == Some("unsupported_token_type") {
            skip_with(
                format!(
                    "the server does not revoke {which} (RFC 7009 §2.2.1 unsupported_token_type)"
                ),
                "nothing to change: the server does not offer it",
            );
        }
        if a.status != Some(200) {
            unmet(format!("revoking {which} failed: {}", a.describe()));
        }
    }
}

// ── controls and setup ────────────────────────────────────────────────

#[given("the client's access token is reported active by introspection")]
async fn access_active(w: &mut Spec) {
    let client = w.client();
    w.reported_active(
        "its access token",
        ControlKind::IntrospectionActive(client.id),
    )
    .await;
}

#[given("a genuine token of the client is reported active by introspection")]
async fn any_active(w: &mut Spec) {
    let client = w.client();
    // The access token first; a server that describes only refresh tokens
    // (RFC 7662 lets it choose) is shown with the refresh token.
    let first = w.active_or_why("its access token").await;
    let which = match first {
        Ok(()) => "its access token",
        Err(_) if w.flow.tokens.iter().any(|t| t.refresh_token.is_some()) => {
            match w.active_or_why("its refresh token").await {
                Ok(()) => "its refresh token",
                Err(Ok(skip)) => skip_with(
                    skip,
                    "nothing to change: introspection is for what the server chooses to describe",
                ),
                Err(Err(error)) => unmet(error),
            }
        }
        Err(Ok(skip)) => skip_with(
            skip,
            "nothing to change: introspection is for what the server chooses to describe",
        ),
        Err(Err(error)) => unmet(error),
    };
    w.area::<Shown>().which = Some(which);
    w.control_held(
        ControlKind::IntrospectionActive(client.id),
        format!("200 with \"active\": true for {which}"),
    );
}

#[given("the client's refresh token is reported active by introspection")]
async fn refresh_active(w: &mut Spec) {
    w.reported_active("its refresh token", ControlKind::RefreshIntrospectsActive)
        .await;
}

#[given(regex = r"^the client has revoked (its access token|its refresh token)$")]
async fn has_revoked(w: &mut Spec, which: String) {
    w.revoked_as_setup(&which).await;
}

// ── introspecting ─────────────────────────────────────────────────────

#[when(
    regex = r"^the client introspects (its access token|its refresh token|a token the server never issued)$"
)]
async fn introspects(w: &mut Spec, which: String) {
    w.introspect_own(&which).await;
}

#[when("the public client introspects the client's token")]
async fn public_introspects(w: &mut Spec) {
    // "a public client registered …" made it the scenario's client; the
    // token is the first client's, whose tokens the flow keeps.
    let public = w.client();
    if !public.is_public() {
        unmet("harness bug: the scenario's client is not public");
    }
    let which = w.area::<Shown>().which.unwrap_or("its access token");
    let (token, hint) = pick_token(w, which);
    w.introspect_with(&ClientAuth::None { id: public.id }, &token, hint)
        .await;
}

#[then("the answer says nothing about the token")]
async fn says_nothing(w: &mut Spec) {
    if !w
        .controls
        .iter()
        .any(|c| matches!(c.kind, ControlKind::IntrospectionActive(_)))
    {
        unmet(
            "no positive control: the scenario never showed introspection reporting a genuine token active",
        );
    }
    let a = w.introspection();
    let json = a.json();
    let said = a.accepted()
        && json.as_ref().and_then(Value::as_object).is_some_and(|o| {
            o.get("active") == Some(&Value::Bool(true)) || o.keys().any(|k| k != "active")
        });
    if said {
        fail(Finding::security(
            "the introspection endpoint requires authorization; naming a public client is none (RFC 7662 §2.1, §4)",
            "a refusal (401, or 400 error=invalid_client)",
            format!(
                "{}: anyone who knows a public client's id can ask what a token is worth",
                a.describe()
            ),
        ));
    }
}

#[when("an unauthenticated caller introspects the client's token")]
async fn introspects_unauthenticated(w: &mut Spec) {
    // The token the control showed active to the client.
    let which = w.area::<Shown>().which.unwrap_or("its access token");
    let (token, hint) = pick_token(w, which);
    w.introspect_with(&ClientAuth::Omitted, &token, hint).await;
}

// ── outcomes ──────────────────────────────────────────────────────────

#[then("the introspection request is refused as unauthenticated")]
async fn refused_unauthenticated(w: &mut Spec) {
    let client = w.client();
    w.control(&ControlKind::IntrospectionActive(client.id));
    let a = w.introspection();
    let json = a.json();
    let active = json.as_ref().and_then(|j| j.get("active")).cloned();
    if a.accepted() {
        let said_more = json
            .as_ref()
            .and_then(Value::as_object)
            .is_some_and(|o| o.keys().any(|k| k != "active"));
        if active == Some(Value::Bool(true)) || said_more {
            fail(Finding::security(
                "the introspection endpoint requires the caller to be authorized, against token scanning (RFC 7662 §2.1)",
                "401 (or 400 error=invalid_client)",
                format!("{}: anyone can ask what a token is worth", a.describe()),
            ));
        }
        fail(Finding::format(
            "an unauthorized introspection request is refused, not answered (RFC 7662 §2.1, §2.3)",
            "401 (or 400 error=invalid_client)",
            a.describe(),
        ));
    }
    let ok = a.status == Some(401)
        || (a.status == Some(400) && a.error_code().as_deref() == Some("invalid_client"));
    if !ok {
        fail(Finding::format(
            "a request without client authentication is refused with invalid_client (RFC 7662 §2.3, RFC 6749 §5.2)",
            "401, or 400 error=invalid_client",
            a.describe(),
        ));
    }
}

#[then("the introspection answer says the token is active")]
async fn says_active(w: &mut Spec) {
    let (_, active) = w.introspection_object();
    if !active {
        skip_with(
            "the server reports the token inactive to the client that holds it, which RFC 7662 §2.2 allows (the caller may not be allowed to introspect it)",
            "nothing to change: introspection is for the resource servers this server trusts",
        );
    }
}

#[then("the introspection answer says the token is inactive")]
async fn says_inactive(w: &mut Spec) {
    if !w.controls.iter().any(|c| {
        matches!(
            c.kind,
            ControlKind::IntrospectionActive(_) | ControlKind::RefreshIntrospectsActive
        )
    }) {
        unmet(
            "no positive control: the scenario never showed introspection reporting a genuine token active",
        );
    }
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
    let client = w.client();
    w.control(&ControlKind::IntrospectionActive(client.id));
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
        fail(Finding::format(
            "the answer about an inactive token says nothing more, not even why (RFC 7662 §2.2)",
            "{\"active\": false}",
            format!(
                "{} (extra members: {})",
                Value::Object(m.clone()),
                extra.join(", ")
            ),
        ));
    }
}

/// What the truthfulness checks of an introspection answer hold it to.
const TRUTHFUL: &str = "the members of an introspection answer describe the token (RFC 7662 §2.2)";

#[then("the introspection answer describes the access token truthfully")]
async fn truthful(w: &mut Spec) {
    let (m, _) = w.introspection_object();
    let client = w.client();
    let requirement = TRUTHFUL;
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
    times_are_truthful(&m, &shown);
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

/// `exp`, `iat` and `nbf` are integers (RFC 7662 §2.2), and the token
/// expires after it was issued.
fn times_are_truthful(m: &serde_json::Map<String, Value>, shown: &str) {
    let requirement = TRUTHFUL;
    for claim in ["exp", "iat", "nbf"] {
        if let Some(v) = m.get(claim)
            && !v.is_i64()
            && !v.is_u64()
        {
            fail(Finding::format(
                format!("{claim} is an integer number of seconds since the epoch (RFC 7662 §2.2)"),
                format!("{claim} as a JSON integer"),
                shown.to_owned(),
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
}
