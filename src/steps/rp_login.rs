//! Walking a login through a fake upstream provider, and judging a
//! relying-party app's login by what the user gets: the walk follows
//! redirects by hand (times the target's callback, may change `state` on the
//! way back), and for a relying-party app asks right after the callback for
//! the page only a logged-in user gets (`[relying_party.session]`) and takes
//! the app's own token (`[relying_party] token`). Shared by the
//! upstream-login area and by the API areas, which call a relying party's
//! API with the token of an honest login.

mod browser_walk;

use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, LazyLock, Mutex};
use std::time::Duration;

use tokio::sync::OwnedMutexGuard;
use url::Url;

use super::Spec;
use super::outcome::{unmet, unmet_with};
use crate::driver::flow::{
    Arrival, AuthorizationOutcome, AuthorizationResponse, HopHook, Redirects,
};
use crate::driver::http::{
    Browser, Driver, DriverError, HostPort, HttpRequest, HttpResponse, redact_body,
};
use crate::protocol::random_token;
use crate::target::profile::{RelyingPartyProfile, RpSession};
use crate::upstream::{ClientPair, FakeUpstream, Misbehaviour, UpstreamConfig, UpstreamError};
use browser_walk::walk_browser;

/// How long `slow` holds the fake's answers (no RFC sets a time limit; the
/// walk still bounds every wait on the target).
pub const SLOW_DELAY: Duration = Duration::from_secs(20);
/// Time a target gets beyond its own upstream timeout to answer the user
/// (generous: the kill matrix runs several servers at once on two cores).
pub const GRACE: Duration = Duration::from_secs(5);

/// Scenarios against one fixed upstream port take turns.
static PORT_LOCKS: LazyLock<Mutex<HashMap<u16, Arc<tokio::sync::Mutex<()>>>>> =
    LazyLock::new(|| Mutex::new(HashMap::new()));

/// A scenario's turn on a fixed upstream port, held until dropped.
pub struct PortTurn(#[allow(dead_code)] OwnedMutexGuard<()>);

impl PortTurn {
    /// Waits for the turn on `port`.
    pub async fn take(port: u16) -> Self {
        let turn = {
            let mut locks = PORT_LOCKS.lock().unwrap_or_else(|e| e.into_inner());
            locks.entry(port).or_default().clone()
        };
        PortTurn(turn.lock_owned().await)
    }
}

/// An answer of the walk, kept for findings.
#[derive(Debug, Clone)]
pub struct Answer {
    pub status: u16,
    pub url: Url,
    pub content_type: Option<String>,
    pub body: Vec<u8>,
}

impl Answer {
    pub fn of(r: &HttpResponse) -> Self {
        Answer {
            status: r.status,
            url: r.url.clone(),
            content_type: r.content_type().map(str::to_owned),
            body: r.body.clone(),
        }
    }

    pub fn excerpt(&self) -> String {
        format!(
            "{} at {}: {}",
            self.status,
            self.url,
            redact_body(self.content_type.as_deref(), &self.body, 400).trim_end()
        )
    }
}

/// A driver that may also contact the fake provider; it becomes the
/// scenario's driver, so its evidence is the scenario's.
pub fn driver_with(w: &mut Spec, fake: &FakeUpstream) -> Driver {
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

/// Where a walk goes: the target's callback (timed, maybe tampered with)
/// and the client's redirect URI (where it stops).
#[derive(Clone, Copy)]
pub struct Leg<'a> {
    pub callback: &'a Url,
    pub redirect_uri: Option<&'a str>,
    pub tamper: bool,
    pub answer_within: Duration,
}

/// What a walk saw at and after the target's callback.
#[derive(Debug, Default, Clone)]
pub struct Trace {
    /// The callback's own answer (before any redirect it makes).
    pub callback: Option<HttpResponse>,
    pub elapsed: Option<Duration>,
    pub timed_out: bool,
    /// Every `Set-Cookie` from the callback's answer on.
    pub set_cookies: Vec<String>,
}

#[derive(Debug)]
pub enum Walk {
    /// A page that does not redirect; `true` when it is the callback's answer.
    Page(HttpResponse, bool),
    Client(AuthorizationResponse),
    Elsewhere(Url),
}

impl Walk {
    /// One line for notes and reasons.
    pub fn describe(&self) -> String {
        match self {
            Walk::Page(p, _) => Answer::of(p).excerpt(),
            Walk::Client(r) => {
                super::authorize::describe(&AuthorizationOutcome::Redirected(r.clone()))
            }
            Walk::Elsewhere(u) => format!("a redirect to {u}, a host the profile does not name"),
        }
    }
}

/// Follows redirects by hand from `request`, through the driver's one
/// redirect walker (at most 12 requests). The request to the callback (path
/// match) is timed, and with `tamper` its `state` is replaced. Stops at a
/// non-redirect answer, at the redirect URI, or at a host the driver may not
/// contact.
pub async fn follow(
    driver: &Driver,
    browser: &Browser,
    request: HttpRequest,
    leg: &Leg<'_>,
    trace: &mut Trace,
) -> Result<Walk, String> {
    let mut redirects = Redirects::new(driver, browser, leg.redirect_uri, 12);
    let mut watch = Watch {
        leg: *leg,
        trace,
        failed_at_callback: false,
    };
    let at_callback = |url: &Url| is_callback(url, leg.callback);
    match redirects.follow(request, &mut watch).await {
        Ok(Arrival::Page(res) | Arrival::BadRedirect(res, _)) => {
            let here = at_callback(&res.url);
            Ok(Walk::Page(res, here))
        }
        Ok(Arrival::Client(r)) => Ok(Walk::Client(r)),
        Ok(Arrival::Elsewhere { location, .. }) => Ok(Walk::Elsewhere(location)),
        Ok(Arrival::TooManySteps(_)) => Err("more than 12 redirects".into()),
        Err(e) if watch.failed_at_callback => Err(format!(
            "no answer at the callback within {} s: {e}",
            (leg.answer_within + GRACE).as_secs()
        )),
        Err(e) => Err(e.to_string()),
    }
}

/// Whether `url` is the target's callback (host, port and path).
fn is_callback(url: &Url, callback: &Url) -> bool {
    url.path() == callback.path() && HostPort::from_url(url) == HostPort::from_url(callback)
}

/// The walker's hook of a login leg: times the callback, keeps its answer
/// and every cookie set from it on, and may change `state` on the way there.
struct Watch<'l, 't> {
    leg: Leg<'l>,
    trace: &'t mut Trace,
    failed_at_callback: bool,
}

impl HopHook for Watch<'_, '_> {
    fn before(&mut self, mut request: HttpRequest, via_redirect: bool) -> HttpRequest {
        if via_redirect && self.leg.tamper && request.url.path() == self.leg.callback.path() {
            let pairs: Vec<(String, String)> = request
                .url
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
            request.url.query_pairs_mut().clear().extend_pairs(pairs);
        }
        if is_callback(&request.url, self.leg.callback) {
            request = request.timeout(self.leg.answer_within + GRACE);
        }
        request
    }

    fn after(&mut self, url: &Url, answer: &Result<HttpResponse, DriverError>, elapsed: Duration) {
        if is_callback(url, self.leg.callback) {
            self.trace.elapsed = Some(elapsed);
            match answer {
                Ok(res) => self.trace.callback = Some(res.clone()),
                Err(_) => {
                    self.trace.timed_out = true;
                    self.failed_at_callback = true;
                }
            }
        }
        if let Ok(res) = answer
            && self.trace.callback.is_some()
        {
            self.trace
                .set_cookies
                .extend(res.header_all("set-cookie").into_iter().map(str::to_owned));
        }
    }
}

/// A login through a relying-party app, as the user got it.
#[derive(Debug, Clone, Default)]
pub struct RpLogin {
    /// The callback's own answer, and the page the walk ended at.
    pub callback: Option<Answer>,
    pub page: Option<Answer>,
    pub timed_out: bool,
    /// The first matcher of `[relying_party.success]` that did not hold.
    pub mismatch: Option<String>,
    /// The answer of the session page, when the profile names one.
    pub session: Option<Answer>,
    pub session_established: bool,
    /// Why the session page gave no answer.
    pub session_error: Option<String>,
    /// The app's own token, when the profile says where it comes back.
    pub token: Option<String>,
    /// One line on where the walk stopped, for findings.
    pub summary: String,
}

impl RpLogin {
    /// Whether the walk got as far as the app's answer at its callback.
    pub fn reached_callback(&self) -> bool {
        self.callback.is_some() || self.timed_out
    }

    /// Whether the user was logged in: the session page says so when the
    /// profile names one (whatever the callback answered), else the
    /// callback's answer matches `[relying_party.success]`.
    pub fn logged_in(&self, rp: &RelyingPartyProfile) -> bool {
        if rp.session.is_some() {
            self.session_established
        } else {
            self.callback.is_some() && self.mismatch.is_none()
        }
    }
}

impl Spec {
    /// Logs in at the relying-party app `rp` with a fake provider on the
    /// app's fixed upstream port (the caller holds the port's turn), then
    /// asks for the session page and takes the app's token. The fake is
    /// returned for the caller to keep (or drop, freeing the port).
    pub async fn rp_login(
        &mut self,
        rp: &RelyingPartyProfile,
        misbehaviours: BTreeSet<Misbehaviour>,
        tamper: bool,
    ) -> (RpLogin, FakeUpstream) {
        let fake = start_fake_on_port(rp, misbehaviours).await;
        let driver = driver_with(self, &fake);
        let browser = driver.new_browser();
        let (trace, page, summary) = match &rp.browser {
            None => walk_http(&driver, &browser, rp, tamper).await,
            Some(b) => walk_browser(&driver, &browser, rp, b, tamper).await,
        };
        let mut login = RpLogin {
            timed_out: trace.timed_out,
            callback: trace.callback.as_ref().map(Answer::of),
            summary,
            ..RpLogin::default()
        };
        let (Some(callback), Some(page)) = (trace.callback.as_ref(), page) else {
            return (login, fake);
        };
        login.page = Some(Answer::of(&page));
        login.mismatch = rp.success.mismatch(callback, &page, &trace.set_cookies);
        login.token = rp
            .token
            .as_ref()
            .and_then(|t| t.take(callback, &page, &trace.set_cookies));
        if let Some(session) = &rp.session {
            ask_session(&driver, &browser, session, &mut login).await;
        }
        (login, fake)
    }
}

/// A fake provider on the app's fixed upstream port. The previous
/// scenario's fake may still be letting go of the port: binding is tried
/// again for up to two seconds.
async fn start_fake_on_port(
    rp: &RelyingPartyProfile,
    misbehaviours: BTreeSet<Misbehaviour>,
) -> FakeUpstream {
    let config = UpstreamConfig {
        provider: rp.provider,
        bind: Some(std::net::SocketAddr::from((
            [127, 0, 0, 1],
            rp.upstream_port,
        ))),
        clients: vec![ClientPair {
            id: rp.client_id.clone(),
            secret: rp.client_secret.secret().to_owned(),
        }],
        users: vec![],
        misbehaviours,
        slow_delay: rp.answer_within + SLOW_DELAY,
    };
    // The previous scenario's fake may still be letting go of the port.
    let mut tries = 0;
    loop {
        match FakeUpstream::start(config.clone()).await {
            Ok(f) => break f,
            Err(UpstreamError::Bind { .. }) if tries < 40 => {
                tries += 1;
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            Err(e) => unmet(format!(
                "the fake upstream provider did not start on 127.0.0.1:{}, the port the app's configuration points at: {e}",
                rp.upstream_port
            )),
        }
    }
}

/// Asks for the session page (`[relying_party.session]`), with the app's
/// token when it has one, and says whether it showed a logged-in user.
async fn ask_session(driver: &Driver, browser: &Browser, session: &RpSession, login: &mut RpLogin) {
    let mut req = HttpRequest::get(session.url.clone());
    if let Some(t) = &login.token {
        req = req.bearer(t);
    }
    match driver.send_in(browser, req).await {
        Ok(res) => {
            login.session_established = session.established(&res);
            login.summary = format!(
                "{}; then the session page {} ({})",
                login.summary,
                if login.session_established {
                    "showed a logged-in user"
                } else {
                    "showed no logged-in user"
                },
                Answer::of(&res).excerpt()
            );
            login.session = Some(Answer::of(&res));
        }
        Err(e) => {
            login.summary = format!(
                "{}; then the session page did not answer: {e}",
                login.summary
            );
            login.session_error = Some(e.to_string());
        }
    }
}

impl Spec {
    /// The app's own token from an honest login through the relying-party
    /// app, for its API: SKIP when the profile does not say where it comes
    /// back, a setup error when the login does not work or carries none.
    pub async fn rp_token(&mut self) -> String {
        let rp = self
            .target()
            .profile
            .relying_party
            .clone()
            .unwrap_or_else(|| unmet("harness bug: no [relying_party] table"));
        let Some(from) = rp.token.clone() else {
            super::skip_with(
                "the profile does not say where the app's own token comes back, so its API cannot be called as the user",
                "set [relying_party] token = \"json:/pointer\", \"cookie:NAME\" or \"header:NAME\", and list the app's API in [[resources]]",
            );
        };
        let turn = PortTurn::take(rp.upstream_port).await;
        let (login, fake) = self.rp_login(&rp, BTreeSet::new(), false).await;
        drop(fake);
        drop(turn);
        if !login.logged_in(&rp) {
            unmet(format!(
                "an honest login through the app did not log the user in: {}",
                login.summary
            ));
        }
        login.token.unwrap_or_else(|| {
            unmet(format!(
                "an honest login through the app carried no token at {from}: {}",
                login.summary
            ))
        })
    }
}

/// The plain HTTP walk from the app's login URL: the trace, the page it
/// ended at, and one line on where it stopped.
async fn walk_http(
    driver: &Driver,
    browser: &Browser,
    rp: &RelyingPartyProfile,
    tamper: bool,
) -> (Trace, Option<HttpResponse>, String) {
    let mut trace = Trace::default();
    let walk = follow(
        driver,
        browser,
        HttpRequest::get(rp.login_url.clone()),
        &Leg {
            callback: &rp.callback_url,
            redirect_uri: None,
            tamper,
            answer_within: rp.answer_within,
        },
        &mut trace,
    )
    .await;
    let (page, summary) = match walk {
        Err(e) => (None, e),
        Ok(Walk::Page(p, at_callback)) => {
            let summary = format!(
                "{} {}{}",
                if at_callback {
                    "the callback answered"
                } else if trace.callback.is_some() {
                    "after the callback, the walk ended at"
                } else {
                    "the walk ended at"
                },
                Answer::of(&p).excerpt(),
                if trace.callback.is_none() && p.status < 400 {
                    ", before the provider: if the app's login starts from a script or a button, walk it in a browser with [relying_party.browser] (start = the button's CSS selector)"
                } else {
                    ""
                }
            );
            (Some(p), summary)
        }
        Ok(Walk::Client(r)) => (
            None,
            format!(
                "harness bug: a relying party has no client ({})",
                super::authorize::describe(&AuthorizationOutcome::Redirected(r))
            ),
        ),
        Ok(Walk::Elsewhere(u)) => (
            None,
            format!("sent to {u}, a host the profile does not name"),
        ),
    };
    (trace, page, summary)
}

impl Spec {
    /// The control behind judging by the session page: asked with no cookie and no token,
    /// it must not show a logged-in user, else it cannot tell a login from none (a setup
    /// error naming the profile field). Nothing to do without a session page.
    pub async fn session_page_tells_logins_apart(&mut self, rp: &RelyingPartyProfile) {
        let Some(session) = &rp.session else {
            return;
        };
        let driver = self.http();
        let res = driver
            .send_in(&driver.new_browser(), HttpRequest::get(session.url.clone()))
            .await;
        match res {
            Ok(r) if session.established(&r) => unmet_with(
                format!(
                    "control: the session page {} shows a logged-in user to a request with no cookie and no token ({}), so it cannot tell a login from none",
                    session.url,
                    Answer::of(&r).excerpt()
                ),
                "name a page only a logged-in user gets in [relying_party.session] url, or add body_contains = text only a logged-in user sees",
            ),
            Ok(_) => {}
            Err(e) => unmet(format!(
                "control: the session page {} did not answer: {e}",
                session.url
            )),
        }
    }
}
