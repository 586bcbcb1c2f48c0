//! Walking the authorization endpoint like a browser: redirects, login and consent forms,
//! or a login done elsewhere (a command, a headless Chromium).

use std::ops::ControlFlow;

use url::Url;

use super::FlowError;
use super::options::WalkOptions;
use super::outcome::{
    AuthorizationOutcome, AuthorizationResponse, ResponseDelivery, StopReason, Stopped,
    matches_redirect_uri,
};
use super::redirects::{Arrival, NoHook, Redirects};
use crate::driver::api_login;
use crate::driver::browser::login::BrowserLogin;
use crate::driver::command::LoginCommand;
use crate::driver::forms::{ConsentChoice, Form, SubmitButton, parse_forms};
use crate::driver::http::{Browser, Driver, HttpRequest, HttpResponse, redact_body};

/// Walks an authorization request like a browser: follows redirects by hand (only to hosts the
/// driver allows), logs in and consents through HTML forms, and stops at the first redirect to
/// `redirect_uri`, which is never contacted.
pub async fn authorize(
    driver: &Driver,
    browser: &Browser,
    request_url: &Url,
    redirect_uri: &str,
    options: &WalkOptions,
) -> Result<AuthorizationOutcome, FlowError> {
    if let Some(command) = &options.command {
        return Ok(by_command(command, request_url, redirect_uri, options).await);
    }
    if let Some(browser_login) = &options.browser {
        return Ok(by_browser(driver, browser_login, request_url, redirect_uri, options).await);
    }
    let mut redirects = Redirects::new(driver, browser, Some(redirect_uri), options.max_steps);
    let mut pages = Pages {
        driver,
        browser,
        request_url,
        redirect_uri,
        options,
        api_done: false,
        logins: 0,
        consents: 0,
    };
    let mut request = if options.post_request {
        as_post_form(request_url)
    } else {
        HttpRequest::get(request_url.clone())
    };
    loop {
        let page = match redirects.follow(request, &mut NoHook).await? {
            Arrival::Page(page) => page,
            Arrival::Client(mut r) => {
                r.consent_pages = Some(pages.consents);
                return Ok(AuthorizationOutcome::Redirected(r));
            }
            Arrival::Elsewhere { status, location } => {
                return Ok(AuthorizationOutcome::RedirectedElsewhere { status, location });
            }
            Arrival::BadRedirect(resp, why) => {
                return Ok(stopped(StopReason::BadRedirect(why), &resp));
            }
            Arrival::TooManySteps(resp) => return Ok(stopped(StopReason::TooManySteps, &resp)),
        };
        request = match pages.next(&page, redirects.exhausted()).await {
            ControlFlow::Continue(next) => next,
            ControlFlow::Break(outcome) => return Ok(outcome),
        };
    }
}

/// The request of `url` as a POST of its query parameters, form-encoded, to
/// the URL without its query (OpenID Connect Core §3.1.2.1, RFC 7231).
fn as_post_form(url: &Url) -> HttpRequest {
    let pairs: Vec<(String, String)> = url.query_pairs().into_owned().collect();
    let mut bare = url.clone();
    bare.set_query(None);
    HttpRequest::post(bare).form(pairs)
}

/// Where a walk stopped at `resp`, and why.
fn stopped(reason: StopReason, resp: &HttpResponse) -> AuthorizationOutcome {
    AuthorizationOutcome::NotRedirected(Stopped {
        status: resp.status,
        url: resp.url.clone(),
        reason,
        content_type: resp.content_type().map(str::to_owned),
        body_excerpt: redact_body(resp.content_type(), &resp.body, 1024),
    })
}

/// The pages of a walk (what is not a redirect): the `form_post` response, the `api` login,
/// the login form, consent. Each page either hands the walker its next request or ends it.
struct Pages<'a> {
    driver: &'a Driver,
    browser: &'a Browser,
    request_url: &'a Url,
    redirect_uri: &'a str,
    options: &'a WalkOptions,
    api_done: bool,
    logins: usize,
    consents: usize,
}

type Next = ControlFlow<AuthorizationOutcome, HttpRequest>;

impl Pages<'_> {
    async fn next(&mut self, resp: &HttpResponse, exhausted: bool) -> Next {
        if resp.status >= 400 {
            return ControlFlow::Break(stopped(StopReason::ErrorStatus, resp));
        }
        let forms = parse_forms(&resp.text(), &resp.url);
        // response_mode=form_post: a self-submitting form aimed at the redirect URI.
        if let Some(f) = forms
            .iter()
            .find(|f| matches_redirect_uri(&f.action, self.redirect_uri))
        {
            let mut r = AuthorizationResponse::from_pairs(
                f.submission(None),
                f.action.clone(),
                resp.status,
                ResponseDelivery::FormPost,
            );
            r.consent_pages = Some(self.consents);
            return ControlFlow::Break(AuthorizationOutcome::Redirected(r));
        }
        if exhausted {
            return ControlFlow::Break(stopped(StopReason::TooManySteps, resp));
        }
        // A page with forms but no login form is the consent page of a user the server
        // already knows (a login session): the API login is not run on it.
        let (uf, pf) = self
            .options
            .login
            .as_ref()
            .map(|l| (l.username_field.as_str(), l.password_field.as_str()))
            .unwrap_or(("username", "password"));
        let logged_in = !forms.is_empty() && !forms.iter().any(|f| f.is_login_form(uf, pf));
        if let Some(api) = self
            .options
            .api
            .as_ref()
            .filter(|_| !self.api_done && !logged_in)
        {
            self.api_done = true;
            let user = self.options.user();
            let run = api_login::run(self.driver, self.browser, api, resp, self.request_url, user);
            return match run.await {
                Ok(next) => ControlFlow::Continue(HttpRequest::get(next)),
                Err(e) => ControlFlow::Break(stopped(StopReason::Api(e.to_string()), resp)),
            };
        }
        if let Some(next) = self.login(resp, &forms) {
            return next;
        }
        self.consent(resp, &forms)
    }

    /// A login form: filled once with the profile's user; shown again, the login was
    /// rejected.
    fn login(&mut self, resp: &HttpResponse, forms: &[Form]) -> Option<Next> {
        let (uf, pf) = self
            .options
            .login
            .as_ref()
            .map(|l| (l.username_field.as_str(), l.password_field.as_str()))
            .unwrap_or(("username", "password"));
        let form = forms.iter().find(|f| f.is_login_form(uf, pf))?;
        let stop = |reason| Some(ControlFlow::Break(stopped(reason, resp)));
        if self.api_done {
            return stop(StopReason::LoginRejected);
        }
        let Some(login) = &self.options.login else {
            return stop(StopReason::LoginRequired);
        };
        if self.logins > 0 {
            return stop(StopReason::LoginRejected);
        }
        self.logins += 1;
        let mut form = form.clone();
        if form.fill(uf, pf, &login.username, &login.password).is_err() {
            return stop(StopReason::LoginRequired);
        }
        let button = form.choose_button(&ConsentChoice::Approve).cloned();
        Some(ControlFlow::Continue(submit(&form, button.as_ref())))
    }

    /// A consent (or any other interstitial) form, answered as the options say.
    fn consent(&mut self, resp: &HttpResponse, forms: &[Form]) -> Next {
        let stop = |reason| ControlFlow::Break(stopped(reason, resp));
        if !self.options.consent_page && !forms.is_empty() {
            return stop(StopReason::UnexpectedForm);
        }
        let choice = &self.options.consent;
        let candidate = forms
            .iter()
            .find(|f| f.choose_button(choice).is_some())
            .or_else(|| {
                (*choice == ConsentChoice::Approve)
                    .then(|| forms.iter().find(|f| f.method == "POST"))
                    .flatten()
            });
        match candidate {
            Some(form) if self.consents < 3 => {
                self.consents += 1;
                ControlFlow::Continue(submit(form, form.choose_button(choice)))
            }
            Some(_) => stop(StopReason::TooManySteps),
            None if forms.is_empty() && loads_script(&resp.body) => stop(if self.api_done {
                StopReason::LoginRejected
            } else {
                StopReason::ScriptPage
            }),
            None if forms.is_empty() => stop(StopReason::NoForm),
            None => stop(StopReason::NoMatchingButton),
        }
    }
}

/// Where a walk done outside the driver (a login command, the browser) stopped: the
/// harness has no page of its own to show.
fn stopped_elsewhere(status: u16, url: Url, reason: StopReason) -> AuthorizationOutcome {
    AuthorizationOutcome::NotRedirected(Stopped {
        status,
        url,
        reason,
        content_type: None,
        body_excerpt: String::new(),
    })
}

/// The walk, done by the profile's login command: the URL it printed is the
/// redirect to the client, or the page where the server stopped.
async fn by_command(
    command: &LoginCommand,
    request_url: &Url,
    redirect_uri: &str,
    options: &WalkOptions,
) -> AuthorizationOutcome {
    // The program saw the statuses; the harness did not.
    let stop = |url: Url, reason: StopReason| stopped_elsewhere(0, url, reason);
    let ended = crate::driver::command::run(
        command,
        request_url,
        redirect_uri,
        &options.consent,
        options.user(),
    )
    .await;
    match ended {
        Ok(url) if matches_redirect_uri(&url, redirect_uri) => {
            AuthorizationOutcome::Redirected(AuthorizationResponse::from_location(url, 0))
        }
        Ok(url) => stop(url, StopReason::CommandEndedHere),
        Err(e) => stop(request_url.clone(), StopReason::Command(e.to_string())),
    }
}

/// The walk, done by a headless Chromium.
async fn by_browser(
    driver: &Driver,
    login: &BrowserLogin,
    request_url: &Url,
    redirect_uri: &str,
    options: &WalkOptions,
) -> AuthorizationOutcome {
    use crate::driver::browser::login::BrowserEnd;
    let stop = stopped_elsewhere;
    let ended = crate::driver::browser::login::walk(
        login,
        driver.allowlist(),
        request_url,
        redirect_uri,
        &options.consent,
        options.user(),
    )
    .await;
    match ended {
        Ok(BrowserEnd::Redirected(url)) => {
            AuthorizationOutcome::Redirected(AuthorizationResponse::from_location(url, 0))
        }
        Ok(BrowserEnd::Stopped { status, url, idle }) => {
            let reason = if idle && status < 400 {
                StopReason::BrowserIdle
            } else {
                StopReason::ErrorStatus
            };
            stop(status, url, reason)
        }
        Ok(BrowserEnd::LoginRejected { url }) => stop(0, url, StopReason::LoginRejected),
        Ok(BrowserEnd::NoDenyButton) => stop(0, request_url.clone(), StopReason::NoMatchingButton),
        Err(e) => stop(0, request_url.clone(), StopReason::Browser(e.to_string())),
    }
}

/// Whether an HTML page loads or runs a script.
fn loads_script(body: &[u8]) -> bool {
    let text = String::from_utf8_lossy(body).to_ascii_lowercase();
    text.contains("<script")
}

/// The request a browser sends when `button` of `form` is pressed.
pub fn submit(form: &Form, button: Option<&SubmitButton>) -> HttpRequest {
    let (method, mut action) = form.target(button);
    let pairs = form.submission(button);
    if method == "POST" {
        HttpRequest::post(action).form(pairs)
    } else {
        action.set_query(None);
        if !pairs.is_empty() {
            action.query_pairs_mut().extend_pairs(pairs);
        }
        HttpRequest::get(action)
    }
}
