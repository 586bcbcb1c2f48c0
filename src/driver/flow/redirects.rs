//! The one redirect walker: follows redirects by hand, like a browser, and stops at a page, at
//! the client's redirect URI (never contacted), at a host the driver may not contact, or when
//! its step budget is spent. Every walk of the harness goes through it: the authorization
//! endpoint's login and consent walk (`walk.rs`), and the upstream-provider logins of the
//! steps, which time the relying party's callback and may change `state` on the way there
//! through a [`HopHook`].

use std::ops::ControlFlow;
use std::time::{Duration, Instant};

use url::Url;

use super::outcome::{AuthorizationResponse, matches_redirect_uri};
use crate::driver::http::{Browser, Driver, DriverError, HttpRequest, HttpResponse};

/// What a walker's user may do at each hop. Every method has a default that does nothing.
pub trait HopHook {
    /// Called before each request is sent (`via_redirect` is false for the request the walk
    /// started with); may change it (a timeout, a tampered query).
    fn before(&mut self, request: HttpRequest, _via_redirect: bool) -> HttpRequest {
        request
    }

    /// Called with each answer, or the error instead of one, and how long it took.
    fn after(
        &mut self,
        _url: &Url,
        _answer: &Result<HttpResponse, DriverError>,
        _elapsed: Duration,
    ) {
    }
}

/// A hook that does nothing.
pub struct NoHook;

impl HopHook for NoHook {}

/// Where a run of redirects ended.
#[derive(Debug)]
pub enum Arrival {
    /// An answer that is not a redirect.
    Page(HttpResponse),
    /// A redirect to the client's redirect URI, which was not contacted.
    Client(AuthorizationResponse),
    /// A redirect to a host the driver may not contact.
    Elsewhere { status: u16, location: Url },
    /// A redirect without a usable `Location`, and why.
    BadRedirect(HttpResponse, String),
    /// A redirect when the step budget was spent.
    TooManySteps(HttpResponse),
}

/// A walker: a driver, a browser (cookie jar), the client's redirect URI if the walk should
/// stop there, and a step budget shared by every request it sends (redirects and the form
/// submissions its user hands it).
pub struct Redirects<'a> {
    driver: &'a Driver,
    browser: &'a Browser,
    redirect_uri: Option<&'a str>,
    max_steps: usize,
    steps: usize,
}

impl<'a> Redirects<'a> {
    pub fn new(
        driver: &'a Driver,
        browser: &'a Browser,
        redirect_uri: Option<&'a str>,
        max_steps: usize,
    ) -> Self {
        Self {
            driver,
            browser,
            redirect_uri,
            max_steps,
            steps: 0,
        }
    }

    /// Whether the step budget is spent.
    pub fn exhausted(&self) -> bool {
        self.steps >= self.max_steps
    }

    /// Sends `request`, then follows redirects until one of the [`Arrival`]s. A request the
    /// driver could not send (refused, timed out, no connection) is an error.
    pub async fn follow(
        &mut self,
        request: HttpRequest,
        hook: &mut impl HopHook,
    ) -> Result<Arrival, DriverError> {
        let mut request = hook.before(request, false);
        loop {
            let url = request.url.clone();
            let started = Instant::now();
            let answer = self.driver.send_in(self.browser, request).await;
            hook.after(&url, &answer, started.elapsed());
            let resp = answer?;
            self.steps += 1;
            let next = match self.next_hop(resp) {
                ControlFlow::Continue(next) => next,
                ControlFlow::Break(arrival) => return Ok(arrival),
            };
            request = hook.before(HttpRequest::get(next), true);
        }
    }

    /// Where a redirect leads, if the walk goes on.
    fn next_hop(&self, resp: HttpResponse) -> ControlFlow<Arrival, Url> {
        if !(300..400).contains(&resp.status) {
            return ControlFlow::Break(Arrival::Page(resp));
        }
        let next = match resp.location() {
            None => {
                return ControlFlow::Break(Arrival::BadRedirect(resp, "no Location header".into()));
            }
            Some(Err(e)) => return ControlFlow::Break(Arrival::BadRedirect(resp, e.to_string())),
            Some(Ok(next)) => next,
        };
        if let Some(r) = self.redirect_uri
            && matches_redirect_uri(&next, r)
        {
            return ControlFlow::Break(Arrival::Client(AuthorizationResponse::from_location(
                next,
                resp.status,
            )));
        }
        if !self.driver.allowlist().allows(&next) {
            return ControlFlow::Break(Arrival::Elsewhere {
                status: resp.status,
                location: next,
            });
        }
        if self.exhausted() {
            return ControlFlow::Break(Arrival::TooManySteps(resp));
        }
        ControlFlow::Continue(next)
    }
}
