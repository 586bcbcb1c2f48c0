//! Steps of `features/revocation.feature`: token revocation (RFC 7009),
//! checked from the outside.

use cucumber::{given, then, when};

use super::answer::Answer;
use super::control::ControlKind;
use super::outcome::{skip_with, unmet};
use super::tokens::describe_token_answer;
use super::{Finding, Spec, fail};
use crate::driver::flow::ClientAuth;
use crate::driver::http::HttpRequest;
use crate::protocol::random_token;
use crate::target::Endpoint;

fn own_token(w: &Spec, kind: &str) -> String {
    match kind {
        "access" => w.access_token(),
        "refresh" => w.current_refresh_token().secret().to_owned(),
        other => unmet(format!("harness bug: no {other} token")),
    }
}

impl Spec {
    /// Revokes `token` with this authentication and hint; keeps the answer.
    async fn revoke_with(&mut self, auth: &ClientAuth, token: &str, hint: Option<&str>) -> Answer {
        let endpoint = self.endpoint(Endpoint::Revocation);
        let mut form = vec![("token".to_owned(), token.to_owned())];
        if let Some(h) = hint {
            form.push(("token_type_hint".into(), h.into()));
        }
        let req = auth.apply(HttpRequest::post(endpoint), &mut form);
        let a = self.send(req.form(form)).await;
        if a.status.is_none() {
            unmet(a.describe());
        }
        self.flow.revocation = Some(a.clone());
        a
    }

    fn revocation(&self) -> Answer {
        self.flow
            .revocation
            .clone()
            .unwrap_or_else(|| unmet("harness bug: nothing was revoked"))
    }
}

// ── revoking ──────────────────────────────────────────────────────────

#[when(regex = r"^the client revokes its (access|refresh) token$")]
async fn revokes(w: &mut Spec, kind: String) {
    let client = w.client();
    let token = own_token(w, &kind);
    let hint = format!("{kind}_token");
    w.revoke_with(&client.auth(), &token, Some(&hint)).await;
}

#[when(
    regex = r#"^the client revokes its (access|refresh) token with token_type_hint "([a-z_]+)"$"#
)]
async fn revokes_with_hint(w: &mut Spec, kind: String, hint: String) {
    let client = w.client();
    let token = own_token(w, &kind);
    w.revoke_with(&client.auth(), &token, Some(&hint)).await;
}

#[when(regex = r"^the second client revokes the client's (access|refresh) token$")]
async fn other_client_revokes(w: &mut Spec, kind: String) {
    let other = w.other_client();
    w.control(&ControlKind::TokenEndpoint(other.id.clone()));
    let token = own_token(w, &kind);
    let hint = format!("{kind}_token");
    w.revoke_with(&other.auth(), &token, Some(&hint)).await;
}

#[when("the client revokes a token the server never issued")]
async fn revokes_unknown(w: &mut Spec) {
    let client = w.client();
    let token = format!("oauthspec-unknown-{}", random_token(24));
    w.revoke_with(&client.auth(), &token, None).await;
}

#[given("the client's revocation of a token the server never issued is answered 200")]
async fn revocation_control(w: &mut Spec) {
    let client = w.confidential();
    let token = format!("oauthspec-unknown-{}", random_token(24));
    let a = w.revoke_with(&client.auth(), &token, None).await;
    if a.status != Some(200) {
        unmet(format!(
            "control: the revocation endpoint did not accept the client's own credentials: {}",
            a.describe()
        ));
    }
    w.control_held(
        ControlKind::Revocation(client.id.clone()),
        "200 to the client's authenticated revocation of an unknown token",
    );
}

#[when("the client revokes its refresh token without authenticating")]
async fn revokes_unauthenticated(w: &mut Spec) {
    let client = w.confidential();
    let token = w.current_refresh_token();
    // Names the client, as a public client would, but presents no secret.
    w.revoke_with(
        &ClientAuth::None {
            id: client.id.clone(),
        },
        token.secret(),
        Some("refresh_token"),
    )
    .await;
}

// ── outcomes ──────────────────────────────────────────────────────────

#[then("the revocation succeeds")]
async fn revocation_succeeds(w: &mut Spec) {
    let a = w.revocation();
    if a.status != Some(200) {
        let requirement = if a.error_code().as_deref() == Some("unsupported_token_type") {
            "the server revokes this kind of token (RFC 7009 §2: MUST for refresh tokens, SHOULD for access tokens; it answered unsupported_token_type)"
        } else {
            "the revocation endpoint answers 200 to a valid request (RFC 7009 §2.2)"
        };
        fail(Finding::new(requirement, "200", a.describe()));
    }
}

#[then(expr = "the revocation is refused with {string}")]
async fn revocation_refused(w: &mut Spec, code: String) {
    let client = w.client();
    w.control(&ControlKind::Revocation(client.id.clone()));
    let a = w.revocation();
    // RFC 6749 §5.2: 401 is required only when the client tried the
    // Authorization header; without it, 400 invalid_client is allowed too.
    let status_ok = matches!(a.status, Some(400 | 401));
    if !status_ok || a.error_code().as_deref() != Some(code.as_str()) {
        fail(Finding::format(
            format!("the refusal is an RFC 6749 §5.2 error with error={code} (RFC 7009 §2.2.1)"),
            format!("400 or 401 error={code}"),
            a.describe(),
        ));
    }
}

#[then("the revoked access token is refused by the protected resource")]
async fn revoked_access_refused(w: &mut Spec) {
    let token = w.access_token();
    super::common::expect_refused(
        w,
        &token,
        "a revoked access token stops working (RFC 7009 §2.1)",
    )
    .await;
}

#[then(
    "the access token issued with the revoked refresh token is refused by the protected resource"
)]
async fn family_access_refused(w: &mut Spec) {
    let token = w.access_token();
    let r = w.api_resource();
    w.control(&ControlKind::Resource(format!("{} {}", r.method, r.url)));
    let a = w.call(&r, Some(&token)).await;
    if a.status.is_none() {
        unmet(a.describe());
    }
    if !a.accepted() {
        return;
    }
    // RFC 7009 §2.1's SHOULD applies to servers that revoke access tokens
    // at all: find out before calling this a finding.
    let client = w.client();
    let probe = w
        .revoke_with(&client.auth(), &token, Some("access_token"))
        .await;
    if probe.error_code().as_deref() == Some("unsupported_token_type") {
        skip_with(
            "the server does not revoke access tokens at all (unsupported_token_type), so RFC 7009 §2.1's SHOULD does not apply",
            "nothing to change: the server does not offer it",
        );
    }
    fail(Finding::security(
        "revoking a refresh token also invalidates the access tokens of the same grant (RFC 7009 §2.1)",
        format!("a refusal from {} {}", r.method, r.url),
        format!("{}: the grant's access token still works", a.describe()),
    ));
}

#[then("the client can still refresh its tokens")]
async fn still_refreshes(w: &mut Spec) {
    let res = w.refresh_with(None).await;
    if res.success().is_none() {
        let a = w.revocation();
        fail(Finding::security(
            "a party that may not revoke a token cannot end it (RFC 7009 §2.1)",
            "the refresh token still works: 200 with new tokens",
            format!(
                "the revocation got {}, then the refresh got {}",
                a.describe(),
                describe_token_answer(&res)
            ),
        ));
    }
}

#[then("the client's own revocation of its refresh token takes effect")]
async fn own_revocation_works(w: &mut Spec) {
    let client = w.client();
    let token = w.current_refresh_token();
    let a = w
        .revoke_with(&client.auth(), token.secret(), Some("refresh_token"))
        .await;
    let res = w.refresh_with(None).await;
    if a.status != Some(200) || res.success().is_some() {
        unmet(format!(
            "control: the client's own revocation of its refresh token did not take effect ({}; then the refresh got {}), so the other client's failed attempt proves nothing",
            a.describe(),
            describe_token_answer(&res)
        ));
    }
}
