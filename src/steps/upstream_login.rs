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

use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, LazyLock, Mutex};
use std::time::{Duration, Instant};

use cucumber::{given, then, when};
use serde_json::{Value, json};
use url::Url;

use super::control::ControlKind;
use super::outcome::unmet;
use super::{Finding, Spec, fail, skip};
use crate::driver::flow::{self, AuthorizationOutcome, AuthorizationResponse, WalkOptions};
use crate::driver::forms::{ConsentChoice, parse_forms};
use crate::driver::http::{Browser, Driver, HostPort, HttpRequest, HttpResponse, redact_body};
use crate::driver::pkce::random_token;
use crate::target::TargetKind;
use crate::upstream::{
    ClientPair, FakeUpstream, Misbehaviour, Provider, UpstreamConfig, UserClaims,
};

/// How long the reference server may wait on the fake, per call (set through
/// its admin API), and how long `slow` holds the fake's answers.
const RP_TIMEOUT: Duration = Duration::from_secs(3);
const SLOW_DELAY: Duration = Duration::from_secs(20);
// `slow` is not part of the spec (no RFC sets a time limit), but the walk
// still bounds every wait on the target by these.
/// Time a target gets beyond its own upstream timeout to answer the user
/// (generous: the kill matrix runs several servers at once on two cores).
const GRACE: Duration = Duration::from_secs(5);

/// Scenarios against one fixed upstream port take turns.
static PORT_LOCKS: LazyLock<Mutex<HashMap<u16, Arc<tokio::sync::Mutex<()>>>>> =
    LazyLock::new(|| Mutex::new(HashMap::new()));

/// What an upstream-login scenario keeps between its steps.
#[derive(Default)]
pub struct UpstreamScenario {
    pub misbehaviours: BTreeSet<Misbehaviour>,
    /// Change `state` on the way back from the provider.
    pub tamper_state: bool,
    pub fake: Option<FakeUpstream>,
    port_turn: Option<tokio::sync::OwnedMutexGuard<()>>,
    pub outcome: Option<LoginOutcome>,
    /// The local user the target should map the provider's user to.
    pub expected_user: Option<String>,
    /// How long the target may take at its callback.
    pub answer_within: Duration,
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
    /// The target's answer at its callback (after any redirects it made
    /// within its own hosts, for a relying-party app).
    pub callback: Option<Answer>,
    /// How long the callback took to answer, or that it did not.
    pub callback_elapsed: Option<Duration>,
    pub callback_timed_out: bool,
    /// Authorization servers: what finally reached the client.
    pub client: Option<AuthorizationOutcome>,
    /// One line on where the walk stopped, for findings.
    pub summary: String,
}

#[derive(Debug, Clone)]
pub struct Answer {
    pub status: u16,
    pub url: Url,
    pub content_type: Option<String>,
    pub body: Vec<u8>,
}

impl Answer {
    fn of(r: &HttpResponse) -> Self {
        Answer {
            status: r.status,
            url: r.url.clone(),
            content_type: r.content_type().map(str::to_owned),
            body: r.body.clone(),
        }
    }

    fn excerpt(&self) -> String {
        format!(
            "{} at {}: {}",
            self.status,
            self.url,
            redact_body(self.content_type.as_deref(), &self.body, 400).trim_end()
        )
    }
}

impl Spec {
    fn upstream_scenario(&mut self) -> &mut UpstreamScenario {
        self.area::<UpstreamScenario>()
    }
}

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
            .is_some_and(|r| r.provider == "github")
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

/// A driver that may also contact the fake provider.
fn driver_with(w: &mut Spec, fake: &FakeUpstream) -> Driver {
    let base = w.http();
    let mut allow = base.allowlist().clone();
    allow.insert(HostPort::new(
        fake.addr().ip().to_string(),
        fake.addr().port(),
    ));
    let driver = Driver::new(allow, base.config().clone())
        .unwrap_or_else(|e| unmet(format!("harness bug: cannot build a driver: {e}")));
    w.driver = Some(driver.clone());
    driver
}

/// Follows redirects by hand from `request`. The request to `callback`
/// (path match) is timed, and with `tamper` its `state` is replaced.
/// Stops at a non-redirect answer, at `redirect_uri`, or at a host the
/// driver may not contact.
async fn follow(
    driver: &Driver,
    browser: &Browser,
    mut request: HttpRequest,
    leg: &Leg<'_>,
    timing: &mut (Option<Duration>, bool),
) -> Result<Walk, String> {
    let Leg {
        callback,
        redirect_uri,
        tamper,
        answer_within,
    } = *leg;
    for _ in 0..12 {
        let at_callback = request.url.path() == callback.path()
            && HostPort::from_url(&request.url) == HostPort::from_url(callback);
        if at_callback {
            request = request.timeout(answer_within + GRACE);
        }
        let started = Instant::now();
        let res = match driver.send_in(browser, request).await {
            Ok(r) => r,
            Err(e) if at_callback => {
                *timing = (Some(started.elapsed()), true);
                return Err(format!(
                    "no answer at the callback within {} s: {e}",
                    (answer_within + GRACE).as_secs()
                ));
            }
            Err(e) => return Err(e.to_string()),
        };
        if at_callback {
            *timing = (Some(started.elapsed()), false);
        }
        if !(300..400).contains(&res.status) {
            return Ok(Walk::Page(res, at_callback));
        }
        let Some(Ok(mut next)) = res.location() else {
            return Ok(Walk::Page(res, at_callback));
        };
        if let Some(r) = redirect_uri
            && flow::matches_redirect_uri(&next, r)
        {
            return Ok(Walk::Client(AuthorizationResponse::from_location(
                next, res.status,
            )));
        }
        if !driver.allowlist().allows(&next) {
            return Ok(Walk::Elsewhere(next));
        }
        if tamper && next.path() == callback.path() {
            let pairs: Vec<(String, String)> = next
                .query_pairs()
                .map(|(k, v)| {
                    let v = if k == "state" {
                        format!("tampered-{}", random_token(8))
                    } else {
                        v.into_owned()
                    };
                    (k.into_owned(), v)
                })
                .collect();
            next.query_pairs_mut().clear().extend_pairs(pairs);
        }
        request = HttpRequest::get(next);
    }
    Err("more than 12 redirects".into())
}

/// Where a walk goes: the target's callback (timed, maybe tampered with)
/// and the client's redirect URI (where it stops).
#[derive(Clone, Copy)]
struct Leg<'a> {
    callback: &'a Url,
    redirect_uri: Option<&'a str>,
    tamper: bool,
    answer_within: Duration,
}

#[derive(Debug)]
enum Walk {
    /// A page that does not redirect; `true` when it is the callback's answer.
    Page(HttpResponse, bool),
    Client(AuthorizationResponse),
    Elsewhere(Url),
}

impl Walk {
    /// One line for notes and reasons.
    fn describe(&self) -> String {
        match self {
            Walk::Page(p, _) => Answer::of(p).excerpt(),
            Walk::Client(r) => {
                super::authorize::describe(&AuthorizationOutcome::Redirected(r.clone()))
            }
            Walk::Elsewhere(u) => format!("a redirect to {u}, a host the profile does not name"),
        }
    }
}

/// The reference server (or any authorization server with its test-admin
/// API): "Log in with NAME" through a fake of our own.
async fn authorization_server_login(w: &mut Spec) -> LoginOutcome {
    let admin = w
        .ctx()
        .admin
        .clone()
        .unwrap_or_else(|| skip("the target has no test-admin API"));
    let client = w.confidential_client("authorization_code").await;
    w.flow.client = Some(client.clone());
    let secret = random_token(24);
    let client_id = format!("rp-{}", random_token(8));
    let user: UserClaims = format!("sub={},email=ann@example.com,name=Ann", random_token(6))
        .parse()
        .unwrap_or_else(|e| unmet(format!("harness bug: {e}")));
    let misbehaviours = w.upstream_scenario().misbehaviours.clone();
    let config = UpstreamConfig {
        provider: Provider::Google,
        clients: vec![ClientPair {
            id: client_id.clone(),
            secret: secret.clone(),
        }],
        users: vec![user.clone()],
        misbehaviours,
        slow_delay: SLOW_DELAY,
        ..UpstreamConfig::default()
    };
    let fake = FakeUpstream::start(config)
        .await
        .unwrap_or_else(|e| unmet(format!("the fake upstream provider did not start: {e}")));
    let name = format!("up{}", random_token(6).replace(['-', '_'], "x"));
    let driver = driver_with(w, &fake);
    let callback = admin
        .put_upstream(
            &driver,
            &name,
            &json!({
                "discovery_url": fake.discovery_url(),
                "client_id": client_id,
                "client_secret": secret,
                "timeout_ms": RP_TIMEOUT.as_millis() as u64,
            }),
        )
        .await
        .unwrap_or_else(|e| {
            unmet(format!(
                "the test-admin API did not configure the upstream provider: {e}"
            ))
        });
    let callback = Url::parse(&callback).unwrap_or_else(|_| {
        unmet(format!(
            "the test-admin API named no usable callback for the provider: {callback}"
        ))
    });
    {
        let s = w.upstream_scenario();
        s.expected_user = Some(format!("{name}:{}", user.sub()));
        s.answer_within = RP_TIMEOUT;
        s.fake = Some(fake);
    }
    let tamper = w.upstream_scenario().tamper_state;

    let leg = Leg {
        callback: &callback,
        redirect_uri: Some(&client.redirect_uri),
        tamper,
        answer_within: RP_TIMEOUT,
    };
    // The client's authorization request, to the login page.
    let pending = w.new_authorization(&client);
    w.flow.verifier = pending.verifier;
    w.flow.last_state = Some(pending.state.clone());
    let browser = driver.new_browser();
    let mut timing = (None, false);
    let walk = follow(
        &driver,
        &browser,
        HttpRequest::get(pending.request.url()),
        &Leg {
            tamper: false,
            ..leg
        },
        &mut timing,
    )
    .await
    .unwrap_or_else(|e| unmet(format!("the authorization endpoint did not answer: {e}")));
    let Walk::Page(login_page, _) = walk else {
        unmet(format!(
            "the authorization request showed no login page ({})",
            walk.describe()
        ));
    };
    let forms = parse_forms(&login_page.text(), &login_page.url);
    let suffix = format!("/upstream/{name}");
    let Some(form) = forms.iter().find(|f| f.action.path().ends_with(&suffix)) else {
        unmet(format!(
            "the login page offers no \"Log in with {name}\" form posting to …{suffix}: {}",
            Answer::of(&login_page).excerpt()
        ));
    };
    // "Log in with NAME" → the provider → the callback.
    let walk = follow(
        &driver,
        &browser,
        flow::submit(form, None),
        &leg,
        &mut timing,
    )
    .await;
    let (callback_elapsed, callback_timed_out) = timing;
    let mut outcome = LoginOutcome {
        callback: None,
        callback_elapsed,
        callback_timed_out,
        client: None,
        summary: String::new(),
    };
    let page = match walk {
        Err(e) => {
            outcome.summary = e;
            return outcome;
        }
        Ok(Walk::Client(r)) => {
            outcome.summary = "sent straight back to the client".into();
            outcome.client = Some(AuthorizationOutcome::Redirected(r));
            return outcome;
        }
        Ok(Walk::Elsewhere(u)) => {
            outcome.summary = format!("sent to {u}, a host the harness may not contact");
            return outcome;
        }
        Ok(Walk::Page(p, _)) => p,
    };
    outcome.callback = Some(Answer::of(&page));
    if page.status < 400 {
        // Logged in: consent, then back to the client.
        let options = WalkOptions {
            login: None,
            consent: ConsentChoice::Approve,
            max_steps: 6,
            ..WalkOptions::default()
        };
        let end = flow::authorize(&driver, &browser, &page.url, &client.redirect_uri, &options)
            .await
            .unwrap_or_else(|e| unmet(format!("the consent page did not answer: {e}")));
        outcome.summary = format!("logged in, then {end}");
        outcome.client = Some(end);
        return outcome;
    }
    // Refused: the way back to the client, if the page offers one.
    let forms = parse_forms(&page.text(), &page.url);
    match forms.iter().find(|f| f.action.path().ends_with("/abort")) {
        Some(back) => {
            let mut t = (None, false);
            let end = follow(
                &driver,
                &browser,
                flow::submit(back, None),
                &Leg {
                    tamper: false,
                    ..leg
                },
                &mut t,
            )
            .await;
            outcome.summary = format!(
                "refused at the callback ({}), then back to the client",
                page.status
            );
            outcome.client = match end {
                Ok(Walk::Client(r)) => Some(AuthorizationOutcome::Redirected(r)),
                Ok(other) => {
                    outcome.summary = format!(
                        "refused at the callback, and the way back ended with {}",
                        other.describe()
                    );
                    None
                }
                Err(e) => {
                    outcome.summary =
                        format!("refused at the callback, and the way back failed: {e}");
                    None
                }
            };
        }
        None => {
            outcome.summary = format!(
                "refused at the callback ({}), with no way back to the client",
                page.status
            )
        }
    }
    outcome
}

/// A relying-party app: the fake on its fixed port, the walk from its login URL.
async fn relying_party_login(w: &mut Spec) -> LoginOutcome {
    let rp = w
        .target()
        .profile
        .relying_party
        .clone()
        .unwrap_or_else(|| skip("the profile has no [relying_party] table"));
    // The scenario keeps its turn on the port across its logins (the honest
    // control, then the misbehaving one); the previous fake lets go of it.
    let guard = match w.upstream_scenario().port_turn.take() {
        Some(g) => g,
        None => {
            let turn = {
                let mut locks = PORT_LOCKS.lock().unwrap_or_else(|e| e.into_inner());
                locks.entry(rp.upstream_port).or_default().clone()
            };
            turn.lock_owned().await
        }
    };
    w.upstream_scenario().fake = None;
    let provider: Provider = rp.provider.parse().unwrap_or_default();
    let config = UpstreamConfig {
        provider,
        bind: Some(std::net::SocketAddr::from((
            [127, 0, 0, 1],
            rp.upstream_port,
        ))),
        clients: vec![ClientPair {
            id: rp.client_id.clone(),
            secret: rp.client_secret.clone(),
        }],
        users: vec![],
        misbehaviours: w.upstream_scenario().misbehaviours.clone(),
        slow_delay: rp.answer_within + SLOW_DELAY,
    };
    // The previous scenario's fake may still be letting go of the port.
    let mut tries = 0;
    let fake = loop {
        match FakeUpstream::start(config.clone()).await {
            Ok(f) => break f,
            Err(crate::upstream::UpstreamError::Bind { .. }) if tries < 40 => {
                tries += 1;
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            Err(e) => unmet(format!(
                "the fake upstream provider did not start on 127.0.0.1:{}, the port the app's configuration points at: {e}",
                rp.upstream_port
            )),
        }
    };
    let tamper = {
        let s = w.upstream_scenario();
        s.port_turn = Some(guard);
        s.answer_within = rp.answer_within;
        s.expected_user = None;
        s.tamper_state
    };
    let driver = driver_with(w, &fake);
    w.upstream_scenario().fake = Some(fake);
    let browser = driver.new_browser();
    let mut timing = (None, false);
    let walk = follow(
        &driver,
        &browser,
        HttpRequest::get(rp.login_url.clone()),
        &Leg {
            callback: &rp.callback_url,
            redirect_uri: None,
            tamper,
            answer_within: rp.answer_within,
        },
        &mut timing,
    )
    .await;
    let mut outcome = LoginOutcome {
        callback: None,
        callback_elapsed: timing.0,
        callback_timed_out: timing.1,
        client: None,
        summary: String::new(),
    };
    match walk {
        Err(e) => outcome.summary = e,
        Ok(Walk::Page(p, at_callback)) => {
            outcome.summary = format!(
                "{} {}",
                if at_callback {
                    "the callback answered"
                } else {
                    "the walk ended at"
                },
                Answer::of(&p).excerpt()
            );
            if timing.0.is_some() {
                outcome.callback = Some(Answer::of(&p));
            }
        }
        Ok(Walk::Client(r)) => {
            outcome.summary = format!(
                "harness bug: a relying party has no client ({})",
                super::authorize::describe(&AuthorizationOutcome::Redirected(r))
            )
        }
        Ok(Walk::Elsewhere(u)) => {
            outcome.summary = format!("sent to {u}, a host the profile does not name")
        }
    }
    outcome
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

/// Whether the login succeeded.
fn succeeded(w: &mut Spec, o: &LoginOutcome) -> bool {
    match w.target().profile.kind {
        TargetKind::RelyingParty => {
            let rp = w
                .target()
                .profile
                .relying_party
                .clone()
                .unwrap_or_else(|| skip("no [relying_party]"));
            o.callback
                .as_ref()
                .is_some_and(|a| rp.success.matches(a.status, &a.body))
        }
        _ => matches!(&o.client, Some(AuthorizationOutcome::Redirected(r)) if r.code.is_some()),
    }
}

#[given("an honest login through the upstream provider succeeds")]
async fn honest_login_control(w: &mut Spec) {
    let saved = {
        let s = w.upstream_scenario();
        (std::mem::take(&mut s.misbehaviours), s.tamper_state)
    };
    log_in_through(w, false).await;
    let o = outcome(w);
    if !succeeded(w, &o) {
        unmet(format!(
            "control: an honest login through the upstream provider did not succeed ({}), so a refused forgery would prove nothing",
            o.summary
        ));
    }
    w.control_held(ControlKind::UpstreamLogin, o.summary.clone());
    let s = w.upstream_scenario();
    s.misbehaviours = saved.0;
    s.tamper_state = saved.1;
    s.outcome = None;
}

#[then("the login succeeds")]
async fn login_succeeds(w: &mut Spec) {
    let o = outcome(w);
    if !succeeded(w, &o) {
        if o.callback.is_none() && o.client.is_none() {
            // The walk never reached the target's answer: nothing to judge.
            unmet(format!(
                "the login walk did not reach the app's callback: {}",
                o.summary
            ));
        }
        fail(Finding::new(
            "a genuine login through the upstream provider succeeds (OpenID Connect Core §3.1)",
            "logged in",
            o.summary,
        ));
    }
    if w.target().profile.kind == TargetKind::RelyingParty {
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
/// user is its own affair; only a login counts.
async fn refused(w: &mut Spec) {
    w.control(&ControlKind::UpstreamLogin);
    let o = outcome(w);
    if o.callback.is_none() && o.client.is_none() && !o.callback_timed_out {
        // The walk never reached the target's answer: nothing to judge.
        unmet(format!(
            "the login walk did not reach the app's callback: {}",
            o.summary
        ));
    }
    let what = misbehaviour_label(w);
    if succeeded(w, &o) {
        fail(Finding::security(
            format!("a forged or broken answer of the upstream provider is refused: {what}"),
            "the login refused",
            format!("the login succeeded: {}", o.summary),
        ));
    }
}
