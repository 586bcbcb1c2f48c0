//! Where a walk ends: the authorization response that came back to the client (RFC 6749
//! §4.1.2, §4.1.2.1, RFC 9207 `iss`), or the page it stopped at and why.

use std::fmt;

use url::Url;

use crate::protocol::AuthorizationCode;

/// The authorization response that came back to the client's redirect URI (RFC 6749 §4.1.2,
/// §4.1.2.1, RFC 9207 `iss`).
#[derive(Clone, Debug)]
pub struct AuthorizationResponse {
    pub code: Option<AuthorizationCode>,
    pub state: Option<String>,
    pub iss: Option<String>,
    pub error: Option<String>,
    pub error_description: Option<String>,
    pub error_uri: Option<String>,
    /// Every parameter in order (to spot duplicates or unexpected ones).
    pub params: Vec<(String, String)>,
    /// The full redirect target.
    pub raw_location: Url,
    /// The status of the redirecting answer (`200` for a `form_post` page).
    pub status: u16,
    /// How the parameters arrived.
    pub delivery: ResponseDelivery,
    /// How many consent pages the form walker answered on the way (`None`
    /// when another strategy walked, or no walker: it cannot tell). `Some(0)`
    /// with a code: the server did not ask, it remembered an earlier
    /// approval, so the user never had a chance to deny.
    pub consent_pages: Option<usize>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ResponseDelivery {
    Query,
    Fragment,
    FormPost,
}

impl AuthorizationResponse {
    pub(super) fn from_pairs(
        params: Vec<(String, String)>,
        raw_location: Url,
        status: u16,
        delivery: ResponseDelivery,
    ) -> Self {
        let get = |n: &str| params.iter().find(|(k, _)| k == n).map(|(_, v)| v.clone());
        Self {
            code: get("code").map(AuthorizationCode::new),
            state: get("state"),
            iss: get("iss"),
            error: get("error"),
            error_description: get("error_description"),
            error_uri: get("error_uri"),
            params,
            raw_location,
            status,
            delivery,
            consent_pages: None,
        }
    }

    /// Parses the parameters of a redirect: the query, or the fragment if the query has none.
    pub fn from_location(location: Url, status: u16) -> Self {
        let query: Vec<(String, String)> = location
            .query_pairs()
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
        let (params, delivery) = if query.is_empty() {
            let frag = location.fragment().unwrap_or("");
            let pairs = url::form_urlencoded::parse(frag.as_bytes())
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect();
            (pairs, ResponseDelivery::Fragment)
        } else {
            (query, ResponseDelivery::Query)
        };
        Self::from_pairs(params, location, status, delivery)
    }

    /// How many times a parameter appears.
    pub fn count(&self, name: &str) -> usize {
        self.params.iter().filter(|(k, _)| k == name).count()
    }
}

/// Why a walk ended without a redirect.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StopReason {
    /// A 4xx/5xx answer that does not redirect.
    ErrorStatus,
    /// A page with nothing to submit.
    NoForm,
    /// A page with nothing to submit that loads a script: a login or consent
    /// page built with JavaScript, which a form walker cannot use.
    ScriptPage,
    /// A form, where the profile says there is no consent page.
    UnexpectedForm,
    /// The login form came back after it was submitted.
    LoginRejected,
    /// A login form, and no credentials in the options.
    LoginRequired,
    /// No button matching the consent choice.
    NoMatchingButton,
    /// More than `max_steps` requests.
    TooManySteps,
    /// A 3xx without a usable `Location`.
    BadRedirect(String),
    /// The login command could not do what was asked (it failed, timed out
    /// or printed no URL): nothing the server decided.
    Command(String),
    /// The login command's browser ended on this page, not at the client:
    /// where the server stopped.
    CommandEndedHere,
    /// The API login's requests failed: nothing the server decided about
    /// the authorization request.
    Api(String),
    /// The browser could not walk (not installed, crashed, timed out).
    Browser(String),
    /// The browser sat on this page with nothing to fill or press.
    BrowserIdle,
}

impl fmt::Display for StopReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StopReason::ErrorStatus => f.write_str("error status"),
            StopReason::NoForm => f.write_str("a page with no form to submit"),
            StopReason::ScriptPage => f.write_str(
                "a page with no form to submit that loads a script (a JavaScript login or consent page)",
            ),
            StopReason::UnexpectedForm => f.write_str(
                "a form, although the profile says there is no consent page ([login] consent = \"none\")",
            ),
            StopReason::LoginRejected => {
                f.write_str("the login form came back after submitting the credentials")
            }
            StopReason::LoginRequired => f.write_str("a login form, and no credentials to use"),
            StopReason::NoMatchingButton => {
                f.write_str("no button on the consent page matches the requested choice")
            }
            StopReason::TooManySteps => f.write_str("too many redirects and form submissions"),
            StopReason::BadRedirect(why) => write!(f, "unusable redirect: {why}"),
            StopReason::Command(why) | StopReason::Api(why) | StopReason::Browser(why) => {
                f.write_str(why)
            }
            StopReason::BrowserIdle => {
                f.write_str("the browser sat on a page with nothing to fill or press")
            }
            StopReason::CommandEndedHere => {
                f.write_str("the login command's browser ended on this page")
            }
        }
    }
}

/// Where a walk stopped without being redirected to the client.
#[derive(Clone, Debug)]
pub struct Stopped {
    pub status: u16,
    pub url: Url,
    pub reason: StopReason,
    pub content_type: Option<String>,
    /// The start of the page (secrets redacted, at most 1 KiB).
    pub body_excerpt: String,
}

impl fmt::Display for Stopped {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.status == 0 {
            // Seen by the login command, not by the harness.
            return write!(
                f,
                "not redirected, ended at {} ({})",
                crate::driver::http::redact_url(self.url.as_str()),
                self.reason
            );
        }
        write!(
            f,
            "not redirected, status {} at {} ({}), body: {}",
            self.status, self.url, self.reason, self.body_excerpt
        )
    }
}

/// The end of a walk through the authorization endpoint.
#[derive(Clone, Debug)]
pub enum AuthorizationOutcome {
    /// Sent back to the client's redirect URI (which was not contacted).
    Redirected(AuthorizationResponse),
    /// Redirected to a host the target profile does not name (not followed).
    RedirectedElsewhere { status: u16, location: Url },
    /// Never redirected to the client.
    NotRedirected(Stopped),
}

impl AuthorizationOutcome {
    pub fn response(&self) -> Option<&AuthorizationResponse> {
        match self {
            AuthorizationOutcome::Redirected(r) => Some(r),
            _ => None,
        }
    }

    pub fn into_response(self) -> Option<AuthorizationResponse> {
        match self {
            AuthorizationOutcome::Redirected(r) => Some(r),
            _ => None,
        }
    }
}

impl fmt::Display for AuthorizationOutcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AuthorizationOutcome::Redirected(r) => match (&r.code, &r.error) {
                (_, Some(e)) => write!(f, "redirected to the client with error={e}"),
                (Some(_), None) => f.write_str("redirected to the client with a code"),
                (None, None) => f.write_str("redirected to the client with neither code nor error"),
            },
            AuthorizationOutcome::RedirectedElsewhere { status, location } => write!(
                f,
                "redirected ({status}) to {} which the target profile does not name",
                crate::driver::http::redact_url(location.as_str())
            ),
            AuthorizationOutcome::NotRedirected(s) => s.fmt(f),
        }
    }
}

/// Whether `url` is the redirect URI (same scheme, host, port and path; its query and
/// fragment carry the response).
pub fn matches_redirect_uri(url: &Url, redirect_uri: &str) -> bool {
    let Ok(r) = Url::parse(redirect_uri) else {
        return false;
    };
    url.scheme() == r.scheme()
        && url.host_str() == r.host_str()
        && url.port_or_known_default() == r.port_or_known_default()
        && url.path() == r.path()
        && r.query()
            .is_none_or(|rq| url.query().is_some_and(|uq| uq.starts_with(rq)))
}
