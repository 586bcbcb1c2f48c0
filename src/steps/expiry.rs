//! Steps of `features/expiry.feature`: tokens stop working when their
//! lifetime is over, and not before.
//!
//! Time passes through [`Spec::let_time_pass`]: the reference server's
//! test-admin clock moves at once; other targets are waited for, up to the
//! profile's `max_wait`, else the scenario SKIPs. Every scenario of the
//! feature is `@serial`, since the admin clock is shared by the whole run.

use cucumber::{given, then, when};

use super::revocation::expect_resource_refuses;
use super::{Spec, skip};

/// Seconds past a token's end of life before the harness calls it expired:
/// servers may tolerate clock skew on `exp` (RFC 7519 §4.1.4, "a small
/// leeway, usually no more than a few minutes"; the reference server
/// allows 30 s).
pub(crate) const EXPIRY_MARGIN: u64 = 60;

/// Lifetimes the harness gives its client through the test-admin API, when
/// the target has one: short, so the shared clock moves little.
const SHORT_ACCESS: i64 = 20;
const SHORT_REFRESH: i64 = 120;

/// `vars` key: the refresh token lifetime the harness set, in seconds.
const REFRESH_LIFETIME: &str = "expiry.refresh_lifetime";

impl Spec {
    /// The latest access token's lifetime as the token response gave it.
    fn access_lifetime(&self) -> u64 {
        self.flow
            .tokens
            .last()
            .and_then(|t| t.expires_in)
            .unwrap_or_else(|| {
                skip("the token response has no expires_in, so the harness cannot tell when the access token expires")
            })
    }

    /// The current refresh token's lifetime: as set through the test-admin
    /// API, else from introspection (`exp - iat`), else a SKIP.
    async fn refresh_lifetime(&mut self) -> u64 {
        if let Some(s) = self
            .vars
            .get(REFRESH_LIFETIME)
            .and_then(serde_json::Value::as_u64)
        {
            return s;
        }
        let client = self.client();
        let token = self.current_refresh_token();
        if client.is_public() || self.target().endpoints.introspection.is_none() {
            skip(
                "the target does not say when its refresh tokens expire (no test-admin API, no introspection)",
            );
        }
        let status = self
            .introspect_with(&client.auth(), token.secret(), Some("refresh_token"))
            .await;
        let body: Option<serde_json::Value> = self
            .vars
            .get("introspection.body")
            .and_then(serde_json::Value::as_str)
            .and_then(|b| serde_json::from_str(b).ok());
        let exp = body
            .as_ref()
            .and_then(|b| b.get("exp"))
            .and_then(serde_json::Value::as_i64);
        let iat = body
            .as_ref()
            .and_then(|b| b.get("iat"))
            .and_then(serde_json::Value::as_i64);
        match (status, exp, iat) {
            (200, Some(exp), Some(iat)) if exp > iat => {
                u64::try_from(exp - iat).unwrap_or(u64::MAX)
            }
            _ => skip(
                "the target does not say when its refresh tokens expire (introspection gives no exp and iat)",
            ),
        }
    }
}

// ── the client ────────────────────────────────────────────────────────

#[given("a client with short-lived tokens")]
async fn short_lived_client(w: &mut Spec) {
    let client = w.confidential_client("authorization_code").await;
    w.flow.client = Some(client.clone());
    let Some(admin) = w.ctx().admin.clone() else {
        // Other targets: the tokens live as long as the target says.
        return;
    };
    let driver = w.http();
    let set = admin
        .set_lifetimes(
            &driver,
            client.id.as_str(),
            Some(SHORT_ACCESS),
            Some(SHORT_REFRESH),
            None,
        )
        .await;
    if set.is_ok() {
        w.vars.insert(REFRESH_LIFETIME.into(), SHORT_REFRESH.into());
    }
}

// ── time passing ──────────────────────────────────────────────────────

#[given("the access token's lifetime has passed")]
#[when("the access token's lifetime has passed")]
async fn access_lifetime_passes(w: &mut Spec) {
    let lifetime = w.access_lifetime();
    w.let_time_pass(lifetime + EXPIRY_MARGIN).await;
}

#[when("half of the access token's lifetime has passed")]
async fn half_access_lifetime_passes(w: &mut Spec) {
    let lifetime = w.access_lifetime();
    if lifetime < 2 {
        skip("the access token lives less than 2 s");
    }
    w.let_time_pass(lifetime / 2).await;
}

#[given("the refresh token's lifetime has passed")]
#[when("the refresh token's lifetime has passed")]
async fn refresh_lifetime_passes(w: &mut Spec) {
    let lifetime = w.refresh_lifetime().await;
    w.let_time_pass(lifetime + EXPIRY_MARGIN).await;
}

// ── outcomes ──────────────────────────────────────────────────────────

#[then("the expired access token is refused by the protected resource")]
async fn expired_refused(w: &mut Spec) {
    let token = w.access_token();
    expect_resource_refuses(
        w,
        &token,
        "a resource server refuses an expired access token (RFC 6749 §7, RFC 6750 §3.1)",
    )
    .await;
}
