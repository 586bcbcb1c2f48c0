//! Steps of `features/revocation.feature`: token revocation (RFC 7009),
//! checked from the outside. `expect_resource_refuses` is used by the
//! expiry steps too.

use cucumber::{then, when};

use super::{Finding, Spec, fail};
use crate::driver::flow::{self, ClientAuth, parse_www_authenticate};
use crate::driver::pkce::random_token;

/// `vars` keys: the last revocation answer's status and body.
const STATUS: &str = "revocation.status";
const BODY: &str = "revocation.body";

impl Spec {
    /// Revokes `token` at the revocation endpoint with this authentication
    /// and hint, and keeps the answer.
    pub(crate) async fn revoke_with(
        &mut self,
        auth: &ClientAuth,
        token: &str,
        hint: Option<&str>,
    ) -> u16 {
        let endpoint = self.revocation_endpoint();
        let driver = self.http();
        let res = super::with_timeout(
            self.step_timeout(),
            "the revocation request",
            flow::revoke(&driver, &endpoint, auth, token, hint),
        )
        .await
        .unwrap_or_else(|e| {
            fail(Finding::new(
                "the revocation endpoint answers (RFC 7009 §2)",
                "an HTTP answer",
                e.to_string(),
            ))
        });
        self.vars.insert(STATUS.into(), res.status.into());
        self.vars.insert(BODY.into(), res.text().into());
        res.status
    }

    fn revocation_answer(&self) -> (u16, String) {
        let status = self
            .vars
            .get(STATUS)
            .and_then(serde_json::Value::as_u64)
            .and_then(|s| u16::try_from(s).ok())
            .unwrap_or_else(|| panic!("harness bug: nothing was revoked"));
        let body = self
            .vars
            .get(BODY)
            .and_then(serde_json::Value::as_str)
            .unwrap_or_default()
            .to_owned();
        (status, body)
    }
}

/// Calls the profile's scoped resource with `token` and fails unless it is
/// refused: a 2xx is a `security` finding (the token still works), anything
/// but a 401 with a Bearer `invalid_token` challenge a `format` one (RFC
/// 6750 §3.1).
pub(crate) async fn expect_resource_refuses(w: &mut Spec, token: &str, requirement: &str) {
    let r = w.scoped_resource();
    let status = w.call(&r, Some(token)).await;
    let at = format!("{} {}", r.method, r.url);
    if (200..300).contains(&status) {
        fail(Finding::security(
            requirement,
            format!("401 with error=\"invalid_token\" from {at}"),
            format!("{status}: the token still works"),
        ));
    }
    let challenges: Vec<String> = w
        .flow
        .last_headers
        .iter()
        .filter(|(k, _)| k.eq_ignore_ascii_case("www-authenticate"))
        .map(|(_, v)| v.clone())
        .collect();
    let invalid_token = challenges
        .iter()
        .flat_map(|v| parse_www_authenticate(v))
        .any(|c| {
            c.scheme.eq_ignore_ascii_case("bearer") && c.param("error") == Some("invalid_token")
        });
    if status != 401 || !invalid_token {
        fail(Finding::format(
            "a protected resource refuses an invalid token with 401 and error=\"invalid_token\" (RFC 6750 §3.1)",
            format!("401 with WWW-Authenticate: Bearer error=\"invalid_token\" from {at}"),
            format!(
                "{status} with {}",
                if challenges.is_empty() {
                    "no WWW-Authenticate".to_owned()
                } else {
                    format!("WWW-Authenticate: {}", challenges.join(" | "))
                }
            ),
        ));
    }
}

fn own_token(w: &Spec, kind: &str) -> String {
    match kind {
        "access" => w.access_token(),
        "refresh" => w.current_refresh_token().secret().to_owned(),
        other => panic!("harness bug: no {other} token"),
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
    let other = w
        .flow
        .other_client
        .clone()
        .unwrap_or_else(|| panic!("harness bug: no second client in this scenario"));
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

#[when("the client revokes its access token without authenticating")]
async fn revokes_unauthenticated(w: &mut Spec) {
    let client = w.client();
    if client.is_public() {
        super::skip("the scenario needs a confidential client and the target gave a public one");
    }
    let token = w.access_token();
    // Names the client, as a public client would, but presents no secret.
    w.revoke_with(
        &ClientAuth::None {
            id: client.id.clone(),
        },
        &token,
        Some("access_token"),
    )
    .await;
}

// ── outcomes ──────────────────────────────────────────────────────────

#[then("the revocation succeeds")]
async fn revocation_succeeds(w: &mut Spec) {
    let (status, body) = w.revocation_answer();
    if status != 200 {
        fail(Finding::new(
            "the revocation endpoint answers 200 to a valid request, whether or not the token was known (RFC 7009 §2.2)",
            "200",
            format!("{status} {body}"),
        ));
    }
}

#[then(expr = "the revocation is refused with {string}")]
async fn revocation_refused(w: &mut Spec, code: String) {
    let (status, body) = w.revocation_answer();
    if (200..300).contains(&status) {
        fail(Finding::security(
            "the revocation endpoint authenticates the client before it revokes anything (RFC 7009 §2.1)",
            format!("401 error={code}"),
            format!("{status}: the revocation was accepted"),
        ));
    }
    let error = serde_json::from_str::<serde_json::Value>(&body)
        .ok()
        .and_then(|v| v.get("error").and_then(|e| e.as_str()).map(str::to_owned));
    // RFC 6749 §5.2: 401 is required only when the client tried the
    // Authorization header; without it, 400 invalid_client is allowed too.
    let status_ok = if code == "invalid_client" {
        status == 401 || status == 400
    } else {
        status == 400
    };
    if !status_ok || error.as_deref() != Some(code.as_str()) {
        fail(Finding::format(
            format!("the refusal is an RFC 6749 §5.2 error with error={code} (RFC 7009 §2.2.1)"),
            format!("401 error={code}"),
            format!("{status} {body}"),
        ));
    }
}

#[then("the revoked access token is refused by the protected resource")]
async fn revoked_access_refused(w: &mut Spec) {
    let token = w.access_token();
    expect_resource_refuses(
        w,
        &token,
        "a revoked access token stops working (RFC 7009 §2.1, §2.2)",
    )
    .await;
}

#[then(
    "the access token issued with the revoked refresh token is refused by the protected resource"
)]
async fn family_access_refused(w: &mut Spec) {
    let token = w.access_token();
    expect_resource_refuses(
        w,
        &token,
        "revoking a refresh token also invalidates the access tokens of the same grant (RFC 7009 §2.1)",
    )
    .await;
}

#[then("the client can still refresh its tokens")]
async fn still_refreshes(w: &mut Spec) {
    let res = w.refresh_with(None).await;
    if res.success().is_none() {
        let (status, body) = w.revocation_answer();
        fail(Finding::security(
            "a client cannot revoke a token that was issued to another client (RFC 7009 §2.1)",
            "the refresh token still works: 200 with new tokens",
            format!(
                "the other client's revocation got {status} {body}, then the refresh got {}",
                super::common::describe_token_answer(&res)
            ),
        ));
    }
}
