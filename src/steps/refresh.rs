//! Steps of `features/refresh.feature`: the refresh token grant (RFC 6749
//! §6), rotation and replay detection (RFC 9700 §4.14.2), scope on refresh,
//! and the binding of a refresh token to its client.
//!
//! The helpers on [`Spec`] here (`current_refresh_token`, `send_refresh`,
//! `refresh_with`) are used by the expiry, revocation and introspection
//! steps too.

use cucumber::{given, then, when};

use super::common::describe_token_answer;
use super::support::TestClient;
use super::{Finding, Spec, fail, skip};
use crate::driver::flow::{self, ClientAuth, EndpointResponse, TokenResponse};
use crate::driver::forms::ConsentChoice;
use crate::driver::pkce::{RefreshToken, Scope};

/// `vars` key: the refresh tokens the client has presented, oldest first.
const USED: &str = "refresh.used";
/// `vars` key: the narrower scope a scenario asked for.
const NARROW: &str = "refresh.narrow_scope";

impl Spec {
    /// The refresh token of the latest token response that carried one (the
    /// client's current one). SKIPs when the target issued none.
    pub(crate) fn current_refresh_token(&self) -> RefreshToken {
        self.flow
            .tokens
            .iter()
            .rev()
            .find_map(|t| t.refresh_token.clone())
            .unwrap_or_else(|| {
                skip("the target issued no refresh token with the tokens (RFC 6749 §1.5 makes them optional)")
            })
    }

    /// The refresh tokens the client has already presented, oldest first.
    pub(crate) fn used_refresh_tokens(&self) -> Vec<RefreshToken> {
        self.vars
            .get(USED)
            .and_then(|v| v.as_array())
            .map(|a| {
                a.iter()
                    .filter_map(|v| v.as_str())
                    .map(RefreshToken::new)
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Sends a refresh request (RFC 6749 §6) with this authentication,
    /// token and scope. Keeps the answer as the last token answer, but not
    /// its tokens: use [`Spec::refresh_with`] for the client's own refresh.
    pub(crate) async fn send_refresh(
        &mut self,
        auth: &ClientAuth,
        token: &RefreshToken,
        scope: Option<&Scope>,
    ) -> EndpointResponse<TokenResponse> {
        let endpoint = self.token_endpoint();
        let driver = self.http();
        let res = super::with_timeout(
            self.step_timeout(),
            "the refresh request",
            flow::refresh(&driver, &endpoint, auth, token, scope),
        )
        .await
        .unwrap_or_else(|e| {
            fail(Finding::new(
                "the token endpoint answers a refresh request (RFC 6749 §6)",
                "an HTTP answer",
                e.to_string(),
            ))
        });
        self.flow.token_answer = Some(res.clone());
        res
    }

    /// The client refreshes with its current refresh token, properly
    /// authenticated; a successful answer's tokens become the client's.
    pub(crate) async fn refresh_with(
        &mut self,
        scope: Option<&Scope>,
    ) -> EndpointResponse<TokenResponse> {
        let client = self.client();
        let token = self.current_refresh_token();
        let res = self.send_refresh(&client.auth(), &token, scope).await;
        let used = self
            .vars
            .entry(USED)
            .or_insert_with(|| serde_json::Value::Array(Vec::new()));
        if let Some(a) = used.as_array_mut() {
            a.push(serde_json::Value::String(token.secret().to_owned()));
        }
        self.keep_token_answer(res.clone());
        res
    }

    /// A scope narrower than the client's: the scope the first scoped
    /// resource of the profile needs. SKIPs when there is nothing narrower.
    pub(crate) fn narrower_scope(&self, client: &TestClient) -> Scope {
        let full = client
            .scope
            .clone()
            .unwrap_or_else(|| skip("the client has no scope to narrow"));
        let narrow = self
            .scoped_resource()
            .scope
            .unwrap_or_else(|| skip("the profile names no protected resource with a scope"));
        if !full.includes(&narrow) || narrow == full {
            skip(format!(
                "the client's scope \"{full}\" has nothing narrower that a resource of the profile needs"
            ));
        }
        narrow
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
    w.send_authorization(ConsentChoice::Approve).await;
    let code = w.expect_code();
    let verifier = w.flow.verifier.take();
    let res = w.exchange(&client, &code, verifier.as_ref()).await;
    if res.success().is_none() {
        fail(Finding::new(
            "a valid code is exchanged for tokens (RFC 6749 §4.1.3)",
            "200 with an access token",
            describe_token_answer(&res),
        ));
    }
    if let Some(granted) = res.success().and_then(|t| t.scope.clone())
        && !narrow.includes(&granted)
    {
        skip(format!(
            "the user asked for \"{narrow}\" but the target granted \"{granted}\", so there is no narrower grant to widen"
        ));
    }
    w.vars.insert(NARROW.into(), narrow.to_string().into());
}

// ── refreshing ────────────────────────────────────────────────────────

#[given("the client refreshes its tokens")]
#[when("the client refreshes its tokens")]
async fn refreshes(w: &mut Spec) {
    w.refresh_with(None).await;
}

#[when("the client refreshes its tokens asking for a narrower scope")]
async fn refreshes_narrower(w: &mut Spec) {
    let client = w.client();
    let narrow = w.narrower_scope(&client);
    w.vars.insert(NARROW.into(), narrow.to_string().into());
    w.refresh_with(Some(&narrow)).await;
}

#[when("the client refreshes its tokens asking for its full scope")]
async fn refreshes_full(w: &mut Spec) {
    let client = w.client();
    let full = client
        .scope
        .clone()
        .unwrap_or_else(|| skip("the client has no scope to ask for"));
    w.refresh_with(Some(&full)).await;
}

#[when("the client refreshes its tokens without authenticating")]
async fn refreshes_unauthenticated(w: &mut Spec) {
    let client = w.client();
    if client.is_public() {
        skip("the scenario needs a confidential client and the target gave a public one");
    }
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
        .used_refresh_tokens()
        .first()
        .cloned()
        .unwrap_or_else(|| panic!("harness bug: the client has not refreshed yet"));
    let current = w.current_refresh_token();
    if used == current {
        skip(
            "the target did not issue a new refresh token on refresh, so there is no replaced token to replay",
        );
    }
    w.send_refresh(&client.auth(), &used, None).await;
}

#[when("the second client refreshes with the client's refresh token")]
async fn other_client_refreshes(w: &mut Spec) {
    let other = w
        .flow
        .other_client
        .clone()
        .unwrap_or_else(|| panic!("harness bug: no second client in this scenario"));
    let token = w.current_refresh_token();
    w.send_refresh(&other.auth(), &token, None).await;
}

// ── outcomes ──────────────────────────────────────────────────────────

#[then("the client receives a new refresh token, different from the one it used")]
async fn rotated(w: &mut Spec) {
    let requirement =
        "a public client's refresh token is replaced by a new one at every use (RFC 9700 §4.14.2)";
    let used = w
        .used_refresh_tokens()
        .last()
        .cloned()
        .unwrap_or_else(|| panic!("harness bug: the client has not refreshed yet"));
    let answer = w
        .flow
        .token_answer
        .as_ref()
        .and_then(|a| a.success())
        .unwrap_or_else(|| panic!("harness bug: no successful refresh to look at"));
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

#[then("the refreshed access token works only within the narrower scope")]
async fn narrower_holds(w: &mut Spec) {
    let narrow = Scope::parse(
        w.vars
            .get(NARROW)
            .and_then(|v| v.as_str())
            .unwrap_or_else(|| panic!("harness bug: no narrower scope was asked for")),
    );
    let answer = w
        .flow
        .token_answer
        .as_ref()
        .and_then(|a| a.success())
        .cloned()
        .unwrap_or_else(|| panic!("harness bug: no successful refresh to look at"));
    if let Some(s) = &answer.scope
        && *s != narrow
    {
        fail(Finding::new(
            "a refresh asking for less scope gets exactly that scope (RFC 6749 §6, §5.1)",
            format!("scope \"{narrow}\""),
            format!("scope \"{s}\" in the refresh response"),
        ));
    }
    let token = answer.access_token.secret().to_owned();
    let resources = w.target().profile.resources.clone();
    for r in &resources {
        let Some(needed) = &r.scope else { continue };
        let status = w.call(r, Some(&token)).await;
        let within = narrow.includes(needed);
        if within && !(200..300).contains(&status) {
            fail(Finding::new(
                "the refreshed access token works for the scope it was given (RFC 6749 §6)",
                format!("2xx from {} {} (needs \"{needed}\")", r.method, r.url),
                format!("{status}"),
            ));
        }
        if !within && (200..300).contains(&status) {
            fail(Finding::security(
                "a refresh asking for less scope gives a token limited to that scope (RFC 6749 §6)",
                format!(
                    "403 insufficient_scope from {} {} (needs \"{needed}\", the token has \"{narrow}\")",
                    r.method, r.url
                ),
                format!("{status}: the narrowed token still carries the dropped scope"),
            ));
        }
    }
}
