//! Steps of `features/upstream_login.feature`: logging in through an
//! upstream identity provider that the harness fakes in-process
//! ([`crate::upstream`]).
//!
//! Two kinds of target run these scenarios:
//! - an authorization server with a test-admin API (the reference server):
//!   each scenario starts its own fake on a free port, configures it as an
//!   upstream of the target (`PUT /__admin/upstreams/{name}`), and walks an
//!   authorization request of the target through "Log in with NAME", the
//!   fake, the target's callback, and on to the client;
//! - a relying-party app (`kind = "relying-party"`): the fake must listen on
//!   the fixed port the app's configuration points at, so these scenarios
//!   take turns on it; the walk starts at the app's login URL and ends with
//!   the app's answer at its callback.
//!
//! Other targets SKIP: the harness has no way to put a fake provider in
//! front of them.

use std::collections::BTreeSet;
use std::time::Duration;

use cucumber::{given, then, when};
use serde_json::Value;

use super::control::ControlKind;
use super::outcome::unmet;
use super::rp_login::{Answer, PortTurn, RpLogin, SLOW_DELAY};
use super::{Finding, Spec, fail, skip};
use crate::driver::flow::AuthorizationOutcome;
use crate::target::TargetKind;
use crate::upstream::{FakeUpstream, Misbehaviour, Provider};

/// How long the reference server may wait on the fake, per call (set through
/// its admin API).
const RP_TIMEOUT: Duration = Duration::from_secs(3);

/// What an upstream-login scenario keeps between its steps.
#[derive(Default)]
pub struct UpstreamScenario {
    pub misbehaviours: BTreeSet<Misbehaviour>,
    /// Change `state` on the way back from the provider.
    pub tamper_state: bool,
    pub fake: Option<FakeUpstream>,
    port_turn: Option<PortTurn>,
    pub outcome: Option<LoginOutcome>,
    /// The local user the target should map the provider's user to.
    pub expected_user: Option<String>,
}

impl std::fmt::Debug for UpstreamScenario {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UpstreamScenario")
            .field("misbehaviours", &self.misbehaviours)
            .field("tamper_state", &self.tamper_state)
            .field("fake", &self.fake)
            .field("outcome", &self.outcome)
            .finish_non_exhaustive()
    }
}

/// How a login through the provider ended.
#[derive(Debug, Clone)]
pub struct LoginOutcome {
    /// Authorization servers: the target's answer at its callback.
    pub callback: Option<Answer>,
    pub callback_timed_out: bool,
    /// Authorization servers: what finally reached the client.
    pub client: Option<AuthorizationOutcome>,
    /// Relying-party apps: everything the login gave the user.
    pub rp: Option<RpLogin>,
    /// One line on where the walk stopped, for findings.
    pub summary: String,
}

impl LoginOutcome {
    /// Whether the walk got as far as the target's answer at its callback.
    fn reached(&self) -> bool {
        self.callback.is_some()
            || self.client.is_some()
            || self.callback_timed_out
            || self.rp.as_ref().is_some_and(RpLogin::reached_callback)
    }
}

impl Spec {
    fn upstream_scenario(&mut self) -> &mut UpstreamScenario {
        self.area::<UpstreamScenario>()
    }
}

mod authorization_server;
use authorization_server::authorization_server_login;

// ── Given ─────────────────────────────────────────────────────────────

#[given("a fake upstream identity provider")]
async fn fake_provider(w: &mut Spec) {
    let kind = w.target().profile.kind;
    if kind != TargetKind::RelyingParty && w.ctx().admin.is_none() {
        skip(
            "the target is neither a relying-party app nor an authorization server with a test-admin API to configure an upstream provider with",
        );
    }
    w.upstream_scenario();
}

#[given(expr = "the upstream provider misbehaves with {string}")]
async fn misbehaves(w: &mut Spec, name: String) {
    let m: Misbehaviour = name
        .parse()
        .unwrap_or_else(|e| unmet(format!("harness bug in the feature file: {e}")));
    if m.needs_id_token()
        && w.target()
            .profile
            .relying_party
            .as_ref()
            .is_some_and(|r| r.provider == Provider::Github)
    {
        skip(format!(
            "{m} alters the ID token, and the app's provider (github) issues none"
        ));
    }
    w.upstream_scenario().misbehaviours.insert(m);
}

// ── When ──────────────────────────────────────────────────────────────

#[when("the user logs in through the upstream provider")]
async fn log_in(w: &mut Spec) {
    log_in_through(w, false).await;
}

#[when("the user logs in through the upstream provider, and the state is changed on the way back")]
async fn log_in_tampered(w: &mut Spec) {
    log_in_through(w, true).await;
}

async fn log_in_through(w: &mut Spec, tamper: bool) {
    w.upstream_scenario().tamper_state = tamper;
    let limit = w.step_timeout() + SLOW_DELAY;
    let outcome = match w.target().profile.kind {
        TargetKind::RelyingParty => {
            super::with_timeout(
                limit,
                "the login through the upstream provider",
                relying_party_login(w),
            )
            .await
        }
        _ => {
            super::with_timeout(
                limit,
                "the login through the upstream provider",
                authorization_server_login(w),
            )
            .await
        }
    };
    w.upstream_scenario().outcome = Some(outcome);
}

/// A relying-party app: the fake on its fixed port, the walk from its login
/// URL, the user's session judged after the callback.
async fn relying_party_login(w: &mut Spec) -> LoginOutcome {
    let rp = w
        .target()
        .profile
        .relying_party
        .clone()
        .unwrap_or_else(|| skip("the profile has no [relying_party] table"));
    // The scenario keeps its turn on the port across its logins (the honest
    // control, then the misbehaving one); the previous fake lets go of it.
    let turn = match w.upstream_scenario().port_turn.take() {
        Some(t) => t,
        None => PortTurn::take(rp.upstream_port).await,
    };
    let (misbehaviours, tamper) = {
        let s = w.upstream_scenario();
        s.fake = None;
        s.port_turn = Some(turn);
        s.expected_user = None;
        (s.misbehaviours.clone(), s.tamper_state)
    };
    let (login, fake) = w.rp_login(&rp, misbehaviours, tamper).await;
    w.upstream_scenario().fake = Some(fake);
    LoginOutcome {
        callback: None,
        callback_timed_out: login.timed_out,
        client: None,
        summary: login.summary.clone(),
        rp: Some(login),
    }
}

// ── Then ──────────────────────────────────────────────────────────────

fn outcome(w: &mut Spec) -> LoginOutcome {
    w.upstream_scenario()
        .outcome
        .clone()
        .unwrap_or_else(|| unmet("harness bug: no login through the upstream provider was made"))
}

fn misbehaviour_label(w: &mut Spec) -> String {
    let s = w.upstream_scenario();
    let mut parts: Vec<String> = s
        .misbehaviours
        .iter()
        .map(|m| m.describe().to_owned())
        .collect();
    if s.tamper_state {
        parts.push("The state was changed on the way back from the provider.".into());
    }
    parts.join(" ")
}

fn rp_profile(w: &Spec) -> crate::target::profile::RelyingPartyProfile {
    w.target()
        .profile
        .relying_party
        .clone()
        .unwrap_or_else(|| skip("the profile has no [relying_party] table"))
}

/// Whether the login succeeded: for a relying-party app, whether the user
/// got a session (or, without a session page in the profile, whether the
/// callback answered the way the profile says a login looks); for an
/// authorization server, whether the client got a code.
fn succeeded(w: &mut Spec, o: &LoginOutcome) -> bool {
    match (&o.rp, w.target().profile.kind) {
        (Some(login), TargetKind::RelyingParty) => login.logged_in(&rp_profile(w)),
        (None, TargetKind::RelyingParty) => false,
        _ => matches!(&o.client, Some(AuthorizationOutcome::Redirected(r)) if r.code.is_some()),
    }
}

/// Why an honest login did not count as one, naming the profile field to look at.
fn why_not_logged_in(w: &Spec, o: &LoginOutcome) -> String {
    let Some(login) = &o.rp else {
        return o.summary.clone();
    };
    let rp = rp_profile(w);
    match (&rp.session, &login.mismatch) {
        (Some(s), _) if login.session.is_some() => format!(
            "{}; the session page {} is not what [relying_party.session] says a logged-in user gets",
            o.summary, s.url
        ),
        (None, Some(m)) => format!("{}; [relying_party.success]: {m}", o.summary),
        _ => o.summary.clone(),
    }
}

#[given("an honest login through the upstream provider succeeds")]
async fn honest_login_control(w: &mut Spec) {
    honest_login(w).await;
}

/// The control: an honest login through the same kind of provider logs the
/// user in (and, for a relying-party app, its success matchers hold too).
async fn honest_login(w: &mut Spec) -> LoginOutcome {
    let saved = {
        let s = w.upstream_scenario();
        (std::mem::take(&mut s.misbehaviours), s.tamper_state)
    };
    log_in_through(w, false).await;
    let o = outcome(w);
    if !o.reached() {
        unmet(format!(
            "control: an honest login did not reach the app's callback: {}",
            o.summary
        ));
    }
    let mismatch = o.rp.as_ref().and_then(|l| l.mismatch.clone());
    if !succeeded(w, &o) || mismatch.is_some() {
        let why = match mismatch {
            Some(m) if succeeded(w, &o) => format!("{}; [relying_party.success]: {m}", o.summary),
            _ => why_not_logged_in(w, &o),
        };
        unmet(format!(
            "control: an honest login through the upstream provider did not succeed ({why}), so a refused forgery would prove nothing"
        ));
    }
    if let Some(rp) = w.target().profile.relying_party.clone() {
        w.session_page_tells_logins_apart(&rp).await;
    }
    w.control_held(ControlKind::UpstreamLogin, o.summary.clone());
    let s = w.upstream_scenario();
    s.misbehaviours = saved.0;
    s.tamper_state = saved.1;
    s.outcome = None;
    o
}

/// The login reached the target's answer, and for a relying party the session page
/// answered: else there is nothing to judge (a setup error).
fn judgeable(o: &LoginOutcome) {
    if !o.reached() {
        unmet(format!(
            "the login walk did not reach the app's callback: {}",
            o.summary
        ));
    }
    if let Some(e) = o.rp.as_ref().and_then(|l| l.session_error.clone()) {
        unmet(format!(
            "the session page did not answer after the login, so whether the user got a session is unknown: {e}"
        ));
    }
}

#[then("the login succeeds")]
async fn login_succeeds(w: &mut Spec) {
    let o = outcome(w);
    judgeable(&o);
    if !succeeded(w, &o) {
        fail(Finding::new(
            "a genuine login through the upstream provider succeeds (OpenID Connect Core §3.1)",
            "logged in",
            why_not_logged_in(w, &o),
        ));
    }
    if let Some(m) = o.rp.as_ref().and_then(|l| l.mismatch.clone()) {
        fail(Finding::new(
            "a genuine login answers at the callback the way [relying_party.success] says",
            "the success matchers hold",
            format!("{}; {m}", o.summary),
        ));
    }
    if let Some(rp) = w.target().profile.relying_party.clone() {
        // A login judged by a page that shows everyone a logged-in user proves nothing.
        w.session_page_tells_logins_apart(&rp).await;
        return;
    }
    // The client got a code: it must carry the client's state, and buy the
    // target's own tokens for the mapped local user.
    let Some(AuthorizationOutcome::Redirected(r)) = o.client.clone() else {
        unmet("harness bug: a successful login without a redirect");
    };
    let expected_state = w.last_state();
    if r.state.as_deref() != Some(expected_state.as_str()) {
        fail(Finding::new(
            "the authorization response carries the client's state (RFC 6749 §4.1.2)",
            format!("state={expected_state}"),
            r.state
                .map_or("no state".to_owned(), |s| format!("state={s}")),
        ));
    }
    w.flow.outcome = Some(AuthorizationOutcome::Redirected(r.clone()));
    let client = w.client();
    let code = w.setup_code();
    let verifier = w.flow.verifier.take();
    let res = w.exchange(&client, &code, verifier.as_ref()).await;
    let Some(tokens) = res.success() else {
        fail(Finding::new(
            "the code of an upstream login is exchanged for the target's own tokens (RFC 6749 §4.1.3)",
            "200 with an access token",
            super::tokens::describe_token_answer(&res),
        ));
    };
    let sub = super::api::unverified_claims(tokens.access_token.secret())
        .and_then(|c| c.get("sub").and_then(Value::as_str).map(str::to_owned));
    let expected = w.upstream_scenario().expected_user.clone();
    if let (Some(expected), Some(sub)) = (expected, sub)
        && sub != expected
    {
        fail(Finding::new(
            "the upstream subject is mapped to its local user",
            expected,
            sub,
        ));
    }
}

#[then("the login is refused")]
async fn login_refused(w: &mut Spec) {
    refused(w).await;
}

#[then("the login is refused, if the app sent a nonce")]
async fn login_refused_if_nonce(w: &mut Spec) {
    let saw = match &w.upstream_scenario().fake {
        Some(f) => f.saw_nonce().await,
        None => false,
    };
    if !saw {
        super::skip_with(
            "the app sent no nonce in its authentication request, and OpenID Connect Core §3.1.3.7 checks the nonce only when one was sent",
            "nothing to change: the app does not use a nonce",
        );
    }
    refused(w).await;
}

/// The misbehaving login did not log the user in. How the app tells the
/// user is its own affair (no RFC sets the status of an app's error page);
/// only a login counts.
async fn refused(w: &mut Spec) {
    w.control(&ControlKind::UpstreamLogin);
    let o = outcome(w);
    judgeable(&o);
    let what = misbehaviour_label(w);
    if succeeded(w, &o) {
        fail(Finding::security(
            format!("a forged or broken answer of the upstream provider is refused: {what}"),
            "the login refused",
            format!("the login succeeded: {}", o.summary),
        ));
    }
    if let Some(cb) = o.rp.as_ref().and_then(|l| l.callback.as_ref())
        && cb.status < 400
    {
        w.record(format!(
            "The app refused the login but answered its callback with {}: no RFC sets the status of an app's own error page, so this is no finding.",
            cb.status
        ));
    }
}

// ── The app's API after a forged login ───────────────────────────────

/// The access token a login gave: a relying-party app's own token (where
/// the profile says it comes back), or for an authorization server the
/// token its code buys. `Err` says why there is none.
async fn token_of(w: &mut Spec, o: &LoginOutcome) -> Result<String, String> {
    if let Some(login) = &o.rp {
        return login
            .token
            .clone()
            .ok_or_else(|| format!("the login gave no token ({})", o.summary));
    }
    let Some(AuthorizationOutcome::Redirected(r)) = &o.client else {
        return Err(format!("no redirect reached the client ({})", o.summary));
    };
    let Some(code) = r.code.as_ref().map(|c| c.secret().to_owned()) else {
        return Err(format!("the client got no code ({})", o.summary));
    };
    let client = w.client();
    let verifier = w.flow.verifier.take();
    let res = w.exchange(&client, &code, verifier.as_ref()).await;
    match res.success() {
        Some(t) => Ok(t.access_token.secret().to_owned()),
        None => Err(format!(
            "the code bought no token: {}",
            super::tokens::describe_token_answer(&res)
        )),
    }
}

/// The API a login's token is for: `[[resources]]`, and for a relying
/// party the profile must say where its token comes back.
fn the_api(w: &Spec) -> crate::target::profile::ResourceProfile {
    if let Some(rp) = &w.target().profile.relying_party
        && rp.token.is_none()
    {
        super::skip_with(
            "the profile does not say where the app's own token comes back, so its API cannot be called as the user",
            "set [relying_party] token = \"json:/pointer\", \"cookie:NAME\" or \"header:NAME\", and list the app's API in [[resources]]",
        );
    }
    w.api_resource()
}

#[given("an honest login through the upstream provider gives a token the app's API accepts")]
async fn honest_login_token_accepted(w: &mut Spec) {
    let resource = the_api(w);
    let o = honest_login(w).await;
    let token = token_of(w, &o).await.unwrap_or_else(|e| {
        unmet(format!(
            "control: an honest login through the upstream provider gave no token for the API: {e}"
        ))
    });
    w.accepted_by(
        &resource,
        &token,
        "the token of an honest login through the upstream provider",
    )
    .await;
}

#[then("the app's API accepts nothing that login gave")]
async fn api_accepts_nothing(w: &mut Spec) {
    let resource = the_api(w);
    w.control(&ControlKind::Resource(format!(
        "{} {}",
        resource.method, resource.url
    )));
    let o = outcome(w);
    if !o.reached() {
        unmet(format!(
            "the login walk did not reach the app's callback: {}",
            o.summary
        ));
    }
    let token = match token_of(w, &o).await {
        Ok(t) => t,
        Err(e) => {
            w.record(format!("Nothing to present to the API: {e}"));
            return;
        }
    };
    let a = w.call(&resource, Some(&token)).await;
    if a.accepted() {
        let what = misbehaviour_label(w);
        fail(Finding::security(
            format!(
                "a login on a forged answer of the upstream provider gives no access to the API: {what}"
            ),
            "the API refuses whatever that login gave",
            format!(
                "{} {} accepted the token of that login: {}",
                resource.method,
                resource.url,
                a.describe()
            ),
        ));
    }
}
