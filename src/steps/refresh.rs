//! Steps of `features/refresh.feature`: the refresh token grant (RFC 6749
//! §6), rotation and replay detection (RFC 9700 §4.14.2), scope on refresh,
//! and the binding of a refresh token to its client.

use cucumber::{given, then, when};

use super::clients::TestClient;
use super::common::expect_token_error;
use super::control::ControlKind;
use super::outcome::{skip_with, unmet};
use super::tokens::describe_token_answer;
use super::{Finding, Spec, fail};
use crate::driver::flow::ClientAuth;
use crate::driver::forms::ConsentChoice;
use crate::protocol::Scope;

impl Spec {
    /// A scope narrower than the client's: the scope the first scoped
    /// resource of the profile needs. SKIPs when there is nothing narrower.
    fn narrower_scope(&self, client: &TestClient) -> Scope {
        let fix =
            "give the client a scope of several values, and [[resources]] that need one of them";
        let full = client
            .scope
            .clone()
            .unwrap_or_else(|| skip_with("the client has no scope to narrow", fix));
        let narrow = self
            .target()
            .profile
            .resources
            .iter()
            .find_map(|r| r.scope.clone())
            .unwrap_or_else(|| {
                skip_with("the profile names no protected resource with a scope", fix)
            });
        if !full.includes(&narrow) || narrow == full {
            skip_with(
                format!(
                    "the client's scope \"{full}\" has nothing narrower that a resource of the profile needs"
                ),
                fix,
            );
        }
        narrow
    }

    /// The refresh answer's tokens, or a finding that the refresh failed.
    fn refreshed(&self) -> crate::driver::flow::TokenResponse {
        let res = self.token_answer();
        res.success().cloned().unwrap_or_else(|| {
            fail(Finding::new(
                "a valid refresh request succeeds (RFC 6749 §6)",
                "200 with tokens",
                describe_token_answer(res),
            ))
        })
    }

    /// Calls every scoped resource of the profile with `token`; the ones
    /// that accepted it beyond `allowed`, and the ones that refused it
    /// within `allowed`.
    async fn scope_check(&mut self, token: &str, allowed: &Scope) -> (Vec<String>, Vec<String>) {
        let resources = self.target().profile.resources.clone();
        let (mut beyond, mut within_refused) = (Vec::new(), Vec::new());
        for r in &resources {
            let Some(needed) = &r.scope else { continue };
            let a = self.call(r, Some(token)).await;
            if a.status.is_none() {
                unmet(a.describe());
            }
            let at = format!(
                "{} {} (needs \"{needed}\"): {}",
                r.method,
                r.url,
                a.describe()
            );
            match (allowed.includes(needed), a.accepted()) {
                (false, true) => beyond.push(at),
                (true, false) => within_refused.push(at),
                _ => {}
            }
        }
        (beyond, within_refused)
    }
}

// ── obtaining tokens ──────────────────────────────────────────────────

#[given("the client holds tokens the user granted for a narrower scope")]
async fn holds_narrow_tokens(w: &mut Spec) {
    let client = w.client();
    let narrow = w.narrower_scope(&client);
    let mut pending = w.new_authorization(&client);
    pending.request = pending.request.clone().set("scope", &narrow.to_string());
    w.flow.pending = Some(pending);
    w.walk(ConsentChoice::Approve).await;
    let code = w.setup_code();
    let verifier = w.flow.verifier.take();
    let res = w.exchange(&client, &code, verifier.as_ref()).await;
    let Some(t) = res.success().cloned() else {
        unmet(format!(
            "a code for the narrower scope \"{narrow}\" was not exchanged: {}",
            describe_token_answer(&res)
        ));
    };
    w.control_held(
        ControlKind::TokenEndpoint(client.id.clone()),
        format!("{} with tokens for \"{narrow}\"", res.status),
    );
    if let Some(granted) = &t.scope
        && !narrow.includes(granted)
    {
        skip_with(
            format!(
                "the user asked for \"{narrow}\" but the target granted \"{granted}\", so there is no narrower grant to widen"
            ),
            "nothing to change",
        );
    }
    w.flow.narrow_scope = Some(narrow);
}

// ── refreshing ────────────────────────────────────────────────────────

#[given("the client has refreshed its tokens")]
async fn has_refreshed(w: &mut Spec) {
    w.refresh_as_setup().await;
}

#[when("the client refreshes its tokens")]
async fn refreshes(w: &mut Spec) {
    w.refresh_with(None).await;
}

#[when("the client refreshes its tokens asking for a narrower scope")]
async fn refreshes_narrower(w: &mut Spec) {
    let client = w.client();
    let narrow = w.narrower_scope(&client);
    w.flow.narrow_scope = Some(narrow.clone());
    w.refresh_with(Some(&narrow)).await;
}

#[given("the client has refreshed its tokens asking for a narrower scope")]
async fn has_refreshed_narrower(w: &mut Spec) {
    let client = w.client();
    let narrow = w.narrower_scope(&client);
    let before = w.current_refresh_token();
    let res = w.refresh_with(Some(&narrow)).await;
    if res.success().is_none() {
        unmet(format!(
            "a refresh asking for the narrower scope \"{narrow}\" failed: {}",
            describe_token_answer(&res)
        ));
    }
    if w.current_refresh_token() == before {
        skip_with(
            "the server kept the refresh token on refresh, so no new refresh token's scope can be checked",
            "nothing to change: the server does not rotate refresh tokens for this client",
        );
    }
    w.control_held(
        ControlKind::Refresh(client.id.clone()),
        format!("{} with tokens for \"{narrow}\"", res.status),
    );
    w.flow.narrow_scope = Some(narrow);
}

#[then("the refreshed access token covers the original scope")]
async fn covers_original(w: &mut Spec) {
    let client = w.client();
    let full = client
        .scope
        .clone()
        .unwrap_or_else(|| unmet("harness bug: the client has no scope"));
    let answer = w.refreshed();
    let requirement =
        "a refresh token issued on refresh has the scope of the one it replaced (RFC 6749 §6)";
    if let Some(s) = &answer.scope
        && !s.includes(&full)
    {
        fail(Finding::new(
            requirement,
            format!(
                "scope \"{full}\" (the original grant) for a refresh without a scope parameter"
            ),
            format!("scope \"{s}\""),
        ));
    }
    let token = answer.access_token.secret().to_owned();
    let (_, refused) = w.scope_check(&token, &full).await;
    if !refused.is_empty() {
        fail(Finding::new(
            requirement,
            format!("an access token that works within \"{full}\""),
            format!("refused within the original scope: {}", refused.join("; ")),
        ));
    }
}

#[when("the client refreshes its tokens asking for its full scope")]
async fn refreshes_full(w: &mut Spec) {
    let client = w.client();
    let full = client
        .scope
        .clone()
        .unwrap_or_else(|| unmet("harness bug: the client has no scope to ask for"));
    w.refresh_with(Some(&full)).await;
}

#[when("the client refreshes its tokens without authenticating")]
async fn refreshes_unauthenticated(w: &mut Spec) {
    let client = w.confidential();
    let token = w.current_refresh_token();
    // Identifies itself with client_id, as a public client would, but
    // presents no secret.
    w.send_refresh(
        &ClientAuth::None {
            id: client.id.clone(),
        },
        &token,
        None,
    )
    .await;
}

#[when("the client refreshes again with the refresh token it has already used")]
async fn replays_used(w: &mut Spec) {
    let client = w.client();
    let used = w
        .flow
        .used_refresh
        .first()
        .cloned()
        .unwrap_or_else(|| unmet("harness bug: the client has not refreshed yet"));
    let current = w.current_refresh_token();
    if used == current {
        skip_with(
            "the target did not issue a new refresh token on refresh, so there is no replaced token to replay",
            "nothing to change: the server does not rotate refresh tokens for this client",
        );
    }
    w.send_refresh(&client.auth(), &used, None).await;
}

#[when("the second client refreshes with the client's refresh token")]
async fn other_client_refreshes(w: &mut Spec) {
    let other = w.other_client();
    w.control(&ControlKind::TokenEndpoint(other.id.clone()));
    let token = w.current_refresh_token();
    w.send_refresh(&other.auth(), &token, None).await;
}

// ── outcomes ──────────────────────────────────────────────────────────

#[then("the client receives a new refresh token, different from the one it used")]
async fn rotated(w: &mut Spec) {
    let requirement = "a public client's refresh token is replaced by a new one at every use (RFC 9700 §2.2.2, §4.14.2)";
    let used = w
        .flow
        .used_refresh
        .last()
        .cloned()
        .unwrap_or_else(|| unmet("harness bug: the client has not refreshed yet"));
    let answer = w.refreshed();
    if answer.token_type.eq_ignore_ascii_case("dpop") {
        skip_with(
            "the server sender-constrains its tokens (token_type DPoP), which RFC 9700 §2.2.2 accepts instead of rotation",
            "nothing to change: the harness cannot present DPoP proofs",
        );
    }
    match &answer.refresh_token {
        None => fail(Finding::security(
            requirement,
            "a refresh_token in the refresh response",
            "a refresh response without refresh_token: the old token stays valid, so a stolen copy works as long as it does",
        )),
        Some(t) if *t == used => fail(Finding::security(
            requirement,
            "a refresh_token different from the one presented",
            "the same refresh_token as the one presented",
        )),
        Some(_) => {}
    }
}

#[then("the client's newest refresh token no longer works")]
async fn newest_dead(w: &mut Spec) {
    let client = w.client();
    w.control(&ControlKind::Refresh(client.id.clone()));
    let newest = w.current_refresh_token();
    let res = w.send_refresh(&client.auth(), &newest, None).await;
    let requirement = "replaying a replaced refresh token revokes the active refresh token of its family (RFC 9700 §4.14.2)";
    if res.success().is_some() {
        fail(Finding::security(
            requirement,
            "400 error=invalid_grant for the newest refresh token",
            format!(
                "{}: the newest refresh token still works after the replay",
                describe_token_answer(&res)
            ),
        ));
    }
    if res.error().is_none_or(|e| e.error != "invalid_grant") {
        fail(Finding::format(
            "a revoked refresh token is refused with invalid_grant (RFC 6749 §5.2)",
            "400 error=invalid_grant",
            describe_token_answer(&res),
        ));
    }
}

#[then("the refreshed access token works within the scope the answer names")]
async fn narrower_holds(w: &mut Spec) {
    let narrow = w
        .flow
        .narrow_scope
        .clone()
        .unwrap_or_else(|| unmet("harness bug: no narrower scope was asked for"));
    let answer = w.refreshed();
    // What the server says it granted: the scope parameter, else (RFC 6749
    // §5.1) exactly what was asked for.
    let said = answer.scope.clone().unwrap_or_else(|| narrow.clone());
    let token = answer.access_token.secret().to_owned();
    let (beyond, refused) = w.scope_check(&token, &said).await;
    if !beyond.is_empty() {
        fail(Finding::format(
            "a refresh whose token differs from the scope asked for says so in the scope parameter (RFC 6749 §3.3, §5.1)",
            format!("a token limited to \"{said}\", as the answer says"),
            format!(
                "the token works beyond it: {}{}",
                beyond.join("; "),
                if answer.scope.is_none() {
                    " (the answer carried no scope parameter, which means the scope asked for)"
                } else {
                    ""
                }
            ),
        ));
    }
    if !refused.is_empty() {
        fail(Finding::new(
            "the refreshed access token works for the scope it was given (RFC 6749 §6)",
            format!("2xx within \"{said}\""),
            refused.join("; "),
        ));
    }
}

#[then("no token beyond the granted scope is issued")]
async fn no_widening(w: &mut Spec) {
    super::common::token_endpoint_control(w);
    let granted = w
        .flow
        .narrow_scope
        .clone()
        .unwrap_or_else(|| unmet("harness bug: no narrower grant"));
    let res = w.token_answer();
    let requirement = "a refresh cannot widen the scope the resource owner granted (RFC 6749 §6, RFC 9700 §4.14.2)";
    let Some(t) = res.success().cloned() else {
        // Refused: it must be invalid_scope ("exceeds the scope granted by
        // the resource owner", RFC 6749 §5.2).
        expect_token_error(w, &["invalid_scope".into()]);
        return;
    };
    if let Some(s) = &t.scope
        && !granted.includes(s)
    {
        fail(Finding::security(
            requirement,
            format!("invalid_scope, or a token for at most \"{granted}\""),
            format!("200 with scope \"{s}\""),
        ));
    }
    let token = t.access_token.secret().to_owned();
    let (beyond, _) = w.scope_check(&token, &granted).await;
    if !beyond.is_empty() {
        fail(Finding::security(
            requirement,
            format!("invalid_scope, or a token for at most \"{granted}\""),
            format!(
                "the refreshed token works beyond the grant: {}",
                beyond.join("; ")
            ),
        ));
    }
    if t.scope.is_none() {
        fail(Finding::format(
            "a refresh answered with another scope than asked for says so in the scope parameter (RFC 6749 §3.3, §5.1)",
            format!("scope \"{granted}\" in the answer"),
            "200 without a scope parameter, which claims the wider scope asked for was granted",
        ));
    }
}
