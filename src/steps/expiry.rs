//! Steps of `features/expiry.feature`: tokens stop working when their
//! lifetime is over, and not before.
//!
//! Time passes through [`Spec::outlive`] (`time.rs`): the reference
//! server's test-admin clock moves at once; other targets are waited for,
//! exactly a lifetime plus the clock-skew margin, up to the profile's
//! `max_wait`, else the scenario SKIPs. Every scenario of the feature is
//! `@serial`, since the admin clock is shared by the whole run.

use cucumber::{given, then, when};

use super::Spec;
use super::outcome::{skip_with, unmet};
use super::time::Lifetime;

/// Lifetimes the harness gives its client through the test-admin API, when
/// the target has one: short, so the shared clock moves little.
const SHORT_ACCESS: i64 = 20;
const SHORT_REFRESH: i64 = 120;

#[given("a client with short-lived tokens")]
async fn short_lived_client(w: &mut Spec) {
    let client = w
        .client_for(super::clients::ClientNeed::Any, "authorization_code")
        .await;
    w.flow.client = Some(client.clone());
    let Some(admin) = w.ctx().admin.clone() else {
        // Other targets: the tokens live as long as the target says.
        return;
    };
    let driver = w.http();
    admin
        .set_lifetimes(
            &driver,
            client.id.as_str(),
            Some(SHORT_ACCESS),
            Some(SHORT_REFRESH),
            None,
        )
        .await
        .unwrap_or_else(|e| unmet(format!("the test-admin API did not set the lifetimes: {e}")));
    w.flow.refresh_lifetime_set = Some(SHORT_REFRESH as u64);
}

#[given("the refresh token outlives the access token")]
async fn refresh_outlives(w: &mut Spec) {
    w.current_refresh_token();
    let access = w.lifetime(Lifetime::Access).await.seconds;
    let refresh = w.lifetime(Lifetime::Refresh).await.seconds;
    let skew = w.clock_skew();
    if refresh <= access + skew {
        skip_with(
            format!(
                "the refresh token lives {refresh} s, no longer than the access token ({access} s) plus the clock-skew margin ({skew} s)"
            ),
            "nothing to change, unless [lifetimes] is wrong",
        );
    }
}

/// The control for an expired refresh token's refusal: the grant took it
/// while it was alive (the new refresh token, if the server rotates, is
/// the one that then expires).
#[given("the client's refresh token works")]
async fn refresh_works(w: &mut Spec) {
    w.refresh_as_setup().await;
}

#[when("the access token's lifetime has passed")]
async fn access_lifetime_passes(w: &mut Spec) {
    w.outlive(Lifetime::Access).await;
}

#[when("half of the access token's lifetime has passed")]
async fn half_access_lifetime_passes(w: &mut Spec) {
    let known = w.lifetime(Lifetime::Access).await;
    if known.seconds < 2 {
        skip_with("the access token lives less than 2 s", "nothing to change");
    }
    let half = known.seconds / 2;
    w.let_time_pass(
        half,
        &format!(
            "half the access token's lifetime ({} s, {})",
            known.seconds, known.source
        ),
    )
    .await;
}

#[when("the refresh token's lifetime has passed")]
async fn refresh_lifetime_passes(w: &mut Spec) {
    w.current_refresh_token();
    w.outlive(Lifetime::Refresh).await;
}

#[then("the expired access token is refused by the protected resource")]
async fn expired_refused(w: &mut Spec) {
    let token = w.access_token();
    super::common::expect_refused(
        w,
        &token,
        "a resource server refuses an expired access token (RFC 6749 §7)",
    )
    .await;
}
