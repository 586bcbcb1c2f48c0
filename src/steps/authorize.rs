//! The authorization request (RFC 6749 §4.1.1), walked through the target's
//! login and consent pages like a browser, and the code that comes back.
//!
//! A walk's *outcome* (a redirect with a code or an error, or an error page
//! at the server) is for the Then steps to judge. A walk the harness could
//! not complete (a login page it cannot use, credentials refused, a host the
//! profile does not allow) is a setup error with the page's reason and the
//! profile change that would fix it, never a FAIL.

use super::Spec;
use super::clients::TestClient;
use super::control::ControlKind;
use super::outcome::{skip_with, unmet, unmet_with};
use super::state::PendingAuthorization;
use crate::driver::flow::{
    self, AuthorizationOutcome, AuthorizationRequest, StopReason, Stopped, WalkOptions,
};
use crate::driver::forms::ConsentChoice;
use crate::driver::http::HostPort;
use crate::protocol::{PkceCodeChallenge, PkceCodeVerifier, random_token};
use crate::target::Endpoint;

/// One line saying how an authorization request ended, for findings.
pub fn describe(outcome: &AuthorizationOutcome) -> String {
    match outcome {
        AuthorizationOutcome::Redirected(r) => {
            let params: Vec<String> = r
                .params
                .iter()
                .map(|(k, v)| {
                    if k == "code" {
                        format!("{k}=«code»")
                    } else {
                        format!("{k}={v}")
                    }
                })
                .collect();
            let status = match r.status {
                0 => "a".to_owned(), // seen by the login command, status unknown
                n => n.to_string(),
            };
            format!("{status} redirect to the client with {}", params.join("&"))
        }
        AuthorizationOutcome::RedirectedElsewhere { status, location } => {
            format!("{status} redirect to {location}, a host the profile does not name")
        }
        AuthorizationOutcome::NotRedirected(s) => s.to_string(),
    }
}

/// Why a walk that had to reach the client did not, as a setup error.
pub fn walk_failed(outcome: &AuthorizationOutcome) -> ! {
    match outcome {
        AuthorizationOutcome::Redirected(r) => unmet_with(
            format!(
                "a well-formed authorization request was answered with error={} ({}) instead of a code",
                r.error.as_deref().unwrap_or("(none)"),
                r.error_description.as_deref().unwrap_or("")
            ),
            "check the client's scope and redirect_uri in the profile, and [login] authorization_params",
        ),
        AuthorizationOutcome::RedirectedElsewhere { location, .. } => {
            let host = HostPort::from_url(location)
                .map_or_else(|| location.to_string(), |h| h.to_string());
            unmet_with(
                format!(
                    "the walk through the authorization endpoint was sent to {location}, a host the profile does not name"
                ),
                format!("add \"{host}\" to [http] allow_hosts if the login lives there"),
            )
        }
        AuthorizationOutcome::NotRedirected(s) => stopped(s),
    }
}

/// Where a walk stopped, the same for every scenario that stops there (so
/// reports can group them): the page's origin and path, with the segments
/// that look like per-request ids (URL-safe tokens of 16 characters or
/// more, or of 8 or more with a digit) shown as `…`, and no query. The
/// whole URL is in the evidence.
pub fn page_of(url: &url::Url) -> String {
    let path: Vec<&str> = url
        .path()
        .split('/')
        .map(|seg| {
            let token_like = seg
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
            if token_like
                && (seg.len() >= 16 || (seg.len() >= 8 && seg.chars().any(|c| c.is_ascii_digit())))
            {
                "…"
            } else {
                seg
            }
        })
        .collect();
    format!("{}{}", url.origin().ascii_serialization(), path.join("/"))
}

fn stopped(s: &Stopped) -> ! {
    let at = match s.status {
        0 => page_of(&s.url),
        n => format!("{} (status {n})", page_of(&s.url)),
    };
    match &s.reason {
        StopReason::LoginRejected => unmet_with(
            format!(
                "the login page at {at} came back after the harness logged in: the credentials were not accepted"
            ),
            "check [login] username, password and fields",
        ),
        StopReason::LoginRequired => unmet_with(
            format!(
                "a login page appeared at {at}, but the profile says there is none ([login] strategy = \"none\")"
            ),
            "set [login] strategy = \"form\" with username and password",
        ),
        StopReason::ScriptPage => unmet_with(
            format!(
                "the page at {at} has no form and loads a script: a JavaScript login or consent page, which the form walker cannot use"
            ),
            "set [login] strategy = \"browser\" with the page's CSS selectors, strategy = \"api\" with the requests its script makes, or strategy = \"command\" with a program that logs in (README, Logging in)",
        ),
        StopReason::NoForm => unmet_with(
            format!(
                "the page at {at} has no form to submit and does not redirect: {}",
                s.body_excerpt.chars().take(200).collect::<String>()
            ),
            "check that [login] describes the server's login page, or set strategy = \"none\" if it auto-approves",
        ),
        StopReason::NoMatchingButton => unmet_with(
            format!("no button of the consent page at {at} approves the request"),
            "set [login] consent_button to the value or label of the approving button",
        ),
        StopReason::UnexpectedForm => unmet_with(
            format!("a form appeared at {at}, but the profile says there is no consent page"),
            "set [login] consent = \"form\"",
        ),
        StopReason::Command(why) => unmet_with(
            why.clone(),
            "check [login] command: run it by hand with the authorization URL as its last argument; it must exit 0 and print the URL the browser was sent to last",
        ),
        StopReason::Api(why) => unmet_with(
            format!("{why} (the walk had reached {at})"),
            "check [[login.api]]: each request's url, body and headers, and the captures feeding them",
        ),
        StopReason::Browser(why) => unmet_with(
            why.clone(),
            "check [login.browser]: the selectors, the timeout, and that Chromium is installed",
        ),
        StopReason::BrowserIdle => unmet_with(
            format!("the browser sat on the page at {at} with nothing to fill or press"),
            "check [login.browser] selectors (username, password, submit, approve) against the page",
        ),
        StopReason::TooManySteps => unmet(format!(
            "the walk through the authorization endpoint did not reach the client within its step limit (last page {at})"
        )),
        StopReason::ErrorStatus | StopReason::BadRedirect(_) | StopReason::CommandEndedHere => {
            unmet_with(
                format!(
                    "a well-formed authorization request ended at {at} ({}): {}",
                    s.reason,
                    s.body_excerpt.chars().take(200).collect::<String>()
                ),
                "check the client's scope and redirect_uri in the profile, and [login] authorization_params",
            )
        }
    }
}

impl Spec {
    /// A correct authorization request for `client` (PKCE S256, a fresh
    /// state, the profile's extra parameters) for steps to modify.
    pub fn new_authorization(&self, client: &TestClient) -> PendingAuthorization {
        let verifier = PkceCodeVerifier::new_random();
        let challenge = PkceCodeChallenge::s256(&verifier);
        let state = random_token(16);
        let mut request = AuthorizationRequest::code(
            self.endpoint(Endpoint::Authorization),
            &client.id,
            &client.redirect_uri,
            client.scope.as_ref(),
            &state,
            Some(&challenge),
        );
        if let Some(login) = &self.target().profile.login {
            for (k, v) in &login.authorization_params {
                request = request.set(k, v);
            }
        }
        PendingAuthorization {
            request,
            verifier: Some(verifier),
            state,
            redirect_uri: client.redirect_uri.clone(),
            post: false,
        }
    }

    /// The prepared authorization request.
    pub fn pending(&mut self) -> &mut PendingAuthorization {
        self.flow
            .pending
            .as_mut()
            .unwrap_or_else(|| unmet("harness bug: no authorization request was prepared"))
    }

    /// Walks the prepared request through login and consent in the
    /// scenario's browser, and keeps the outcome, the verifier and the
    /// state. The outcome is for the caller to judge; a walk the harness
    /// could not do (credentials refused, a login page it cannot use) is a
    /// setup error.
    pub async fn walk(&mut self, consent: ConsentChoice) -> AuthorizationOutcome {
        let deny = matches!(consent, ConsentChoice::Deny);
        let pending = self
            .flow
            .pending
            .take()
            .unwrap_or_else(|| unmet("harness bug: no authorization request was prepared"));
        let Some(login) = self.target().profile.login.clone() else {
            skip_with(
                "the profile says nothing of how to log in",
                "add [login] with username and password, or strategy = \"none\" if the server has no login page",
            );
        };
        let mut options: WalkOptions = login.walk_options();
        if deny && !options.consent_page {
            skip_with(
                "the profile says the server has no consent page ([login] consent = \"none\"), so the user has no way to deny the request",
                "nothing to change, unless the server does show a consent page: then set [login] consent = \"form\"",
            );
        }
        options.consent = consent;
        if pending.post {
            if options.command.is_some() || options.browser.is_some() {
                skip_with(
                    "the profile's login strategy starts the walk itself, with a GET: it cannot send the authorization request as a POST",
                    "nothing to change: the form and api strategies can",
                );
            }
            options.post_request = true;
        }
        let driver = self.http();
        // Denying needs a consent page: a fresh browser, where no login
        // session remembers an earlier approval of this client.
        let browser = if deny {
            crate::driver::http::Browser::new()
        } else {
            self.browser()
        };
        let url = pending.request.url();
        let res = super::outcome::with_timeout(
            self.step_timeout(),
            "the walk through the authorization endpoint",
            flow::authorize(&driver, &browser, &url, &pending.redirect_uri, &options),
        )
        .await;
        let outcome = self.answered(res, "the authorization endpoint");
        if let AuthorizationOutcome::NotRedirected(s) = &outcome {
            match s.reason {
                // Nothing the server decided: the harness could not get through.
                StopReason::LoginRejected
                | StopReason::LoginRequired
                | StopReason::UnexpectedForm
                | StopReason::TooManySteps
                | StopReason::Command(_)
                | StopReason::Api(_)
                | StopReason::Browser(_) => stopped(s),
                StopReason::NoMatchingButton if deny => skip_with(
                    "the consent page offers no way to deny the request",
                    "nothing to change: the server's consent page has no deny button",
                ),
                StopReason::NoMatchingButton => stopped(s),
                _ => {}
            }
        }
        if deny
            && let AuthorizationOutcome::Redirected(r) = &outcome
            && r.code.is_some()
            && r.consent_pages == Some(0)
        {
            skip_with(
                "the server showed no consent page (it remembered an earlier approval of this client), so the user had no way to deny the request",
                "nothing to change if the server remembers consent; a server that honours prompt=consent asks again with [login] authorization_params = { prompt = \"consent\" }",
            );
        }
        self.flow.verifier = pending.verifier;
        self.flow.last_state = Some(pending.state.clone());
        self.flow.outcome = Some(outcome.clone());
        outcome
    }

    /// The code of the last walk, when the scenario needs one to go on: a
    /// walk that did not bring one is a setup error.
    pub fn setup_code(&self) -> String {
        match &self.flow.outcome {
            Some(AuthorizationOutcome::Redirected(r)) if r.code.is_some() => r
                .code
                .as_ref()
                .map(|c| c.secret().to_owned())
                .unwrap_or_default(),
            Some(other) => walk_failed(other),
            None => unmet("harness bug: no authorization request was sent"),
        }
    }

    /// A well-formed authorization request of `client`, approved: the code
    /// it brings (and its verifier in `flow.verifier`). Records the
    /// control that the client gets codes; a walk that brings none is a
    /// setup error.
    pub async fn approved_code(&mut self, client: &TestClient) -> String {
        self.flow.pending = Some(self.new_authorization(client));
        self.walk(ConsentChoice::Approve).await;
        let code = self.setup_code();
        self.control_held(
            ControlKind::AuthorizationCode(client.id.clone()),
            "a redirect to the client with a code",
        );
        code
    }

    /// The state the last authorization request carried.
    pub fn last_state(&self) -> String {
        self.flow.last_state.clone().unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::page_of;

    #[test]
    fn a_stop_page_hides_per_request_ids_and_the_query() {
        let url = url::Url::parse("http://127.0.0.1:3000/interaction/S-y3-m_aoaiT2-HG3kdrAw?x=1")
            .expect("a URL");
        assert_eq!(page_of(&url), "http://127.0.0.1:3000/interaction/…");
        let url = url::Url::parse("https://as.example/o/authorize/?client_id=abc").expect("a URL");
        assert_eq!(page_of(&url), "https://as.example/o/authorize/");
        let url =
            url::Url::parse("http://h/interaction/mFOtgfRDjSrqbgwHaCvZag/consent").expect("a URL");
        assert_eq!(page_of(&url), "http://h/interaction/…/consent");
    }
}
