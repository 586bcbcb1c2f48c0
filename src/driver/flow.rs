//! The authorization-code flow, walked like a browser, and the token-endpoint family of
//! requests (exchange, refresh, client credentials, revocation, introspection, registration).

use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use reqwest::header::HeaderMap;
use serde::Deserialize;
use serde::de::DeserializeOwned;
use url::Url;

use super::api_login::ApiLogin;
use super::browser::login::BrowserLogin;
use super::command::LoginCommand;
use super::forms::{ConsentChoice, Form, parse_forms};
use super::http::{Browser, Driver, DriverError, HttpRequest, HttpResponse, redact_body};
use crate::protocol::{
    AccessToken, AuthMethod, AuthorizationCode, ClientId, ClientSecret, PkceCodeChallenge,
    PkceCodeVerifier, RefreshToken, Scope,
};

/// Errors of a flow: the driver could not talk to the server. A server answering wrongly is
/// never an error here; it is an outcome for the scenario to judge.
#[derive(Debug, thiserror::Error)]
pub enum FlowError {
    #[error(transparent)]
    Driver(#[from] DriverError),
}

impl From<FlowError> for DriverError {
    fn from(e: FlowError) -> Self {
        match e {
            FlowError::Driver(d) => d,
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Authorization request

/// An authorization request: the endpoint and its query parameters, in order. Every parameter
/// can be left out, replaced or duplicated, for negative tests.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuthorizationRequest {
    pub endpoint: Url,
    pub params: Vec<(String, String)>,
}

impl AuthorizationRequest {
    /// No parameters at all.
    pub fn new(endpoint: Url) -> Self {
        Self {
            endpoint,
            params: Vec::new(),
        }
    }

    /// The usual code-flow request: `response_type=code`, `client_id`, `redirect_uri`,
    /// `scope` (if any), `state`, and `code_challenge`/`code_challenge_method` (if any).
    pub fn code(
        endpoint: Url,
        client_id: &ClientId,
        redirect_uri: &str,
        scope: Option<&Scope>,
        state: &str,
        challenge: Option<&PkceCodeChallenge>,
    ) -> Self {
        let mut r = Self::new(endpoint)
            .set("response_type", "code")
            .set("client_id", client_id.as_str())
            .set("redirect_uri", redirect_uri);
        if let Some(s) = scope {
            r = r.set("scope", &s.to_string());
        }
        r = r.set("state", state);
        if let Some(c) = challenge {
            r = r
                .set("code_challenge", c.as_str())
                .set("code_challenge_method", c.method().as_str());
        }
        r
    }

    /// Sets a parameter, replacing every earlier value of it.
    pub fn set(mut self, name: &str, value: &str) -> Self {
        if let Some(pos) = self.params.iter().position(|(k, _)| k == name) {
            self.params[pos].1 = value.to_owned();
            let mut i = 0;
            self.params.retain(|(k, _)| {
                i += 1;
                k != name || i - 1 == pos
            });
        } else {
            self.params.push((name.to_owned(), value.to_owned()));
        }
        self
    }

    /// Adds a parameter, keeping earlier values (duplicate-parameter tests).
    pub fn append(mut self, name: &str, value: &str) -> Self {
        self.params.push((name.to_owned(), value.to_owned()));
        self
    }

    /// Removes every value of a parameter.
    pub fn remove(mut self, name: &str) -> Self {
        self.params.retain(|(k, _)| k != name);
        self
    }

    pub fn get(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// The URL: the endpoint's own query (kept, RFC 6749 §3.1) followed by the parameters.
    pub fn url(&self) -> Url {
        let mut url = self.endpoint.clone();
        if !self.params.is_empty() {
            let mut q = url.query_pairs_mut();
            for (k, v) in &self.params {
                q.append_pair(k, v);
            }
        }
        url
    }
}

// ---------------------------------------------------------------------------------------------
// Walking the authorization endpoint

/// The user to log in as, and the names of the login form's fields.
#[derive(Clone)]
pub struct LoginCredentials {
    pub username: String,
    pub password: String,
    pub username_field: String,
    pub password_field: String,
}

impl fmt::Debug for LoginCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LoginCredentials")
            .field("username", &self.username)
            .field("password", &"«redacted»")
            .field("username_field", &self.username_field)
            .field("password_field", &self.password_field)
            .finish()
    }
}

/// How to walk the authorization endpoint.
#[derive(Clone, Debug)]
pub struct WalkOptions {
    /// `None`: a login form stops the walk with `StopReason::LoginRequired`.
    pub login: Option<LoginCredentials>,
    pub consent: ConsentChoice,
    /// `false`: the server is said to have no consent page, so a form after
    /// login stops the walk with `StopReason::UnexpectedForm`.
    pub consent_page: bool,
    /// Requests at most (redirects and form submissions together).
    pub max_steps: usize,
    /// `Some`: an external program logs in instead of the form walker
    /// (see [`super::command`]).
    pub command: Option<LoginCommand>,
    /// `Some`: HTTP calls log in at the first page the walk reaches (see
    /// [`super::api_login`]); `login` then holds the user.
    pub api: Option<ApiLogin>,
    /// `Some`: a headless Chromium walks instead of the form walker (see
    /// [`super::browser::login`]).
    pub browser: Option<BrowserLogin>,
}

impl WalkOptions {
    /// The username and password the login strategies type (empty when
    /// the profile gives none).
    pub fn user(&self) -> (&str, &str) {
        self.login
            .as_ref()
            .map_or(("", ""), |l| (l.username.as_str(), l.password.as_str()))
    }
}

impl Default for WalkOptions {
    fn default() -> Self {
        Self {
            login: None,
            consent: ConsentChoice::Approve,
            consent_page: true,
            max_steps: 10,
            command: None,
            api: None,
            browser: None,
        }
    }
}

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
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ResponseDelivery {
    Query,
    Fragment,
    FormPost,
}

impl AuthorizationResponse {
    fn from_pairs(
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
                super::http::redact_url(self.url.as_str()),
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
                super::http::redact_url(location.as_str())
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
    let mut request = HttpRequest::get(request_url.clone());
    let mut api_done = false;
    let mut logins = 0;
    let mut consents = 0;
    let mut steps = 0;
    loop {
        let resp = driver.send_in(browser, request).await?;
        steps += 1;
        let stop = |reason: StopReason, resp: &HttpResponse| {
            Ok(AuthorizationOutcome::NotRedirected(Stopped {
                status: resp.status,
                url: resp.url.clone(),
                reason,
                content_type: resp.content_type().map(str::to_owned),
                body_excerpt: redact_body(resp.content_type(), &resp.body, 1024),
            }))
        };

        if (300..400).contains(&resp.status) {
            let next = match resp.location() {
                None => return stop(StopReason::BadRedirect("no Location header".into()), &resp),
                Some(Err(e)) => return stop(StopReason::BadRedirect(e.to_string()), &resp),
                Some(Ok(next)) => next,
            };
            if matches_redirect_uri(&next, redirect_uri) {
                return Ok(AuthorizationOutcome::Redirected(
                    AuthorizationResponse::from_location(next, resp.status),
                ));
            }
            if !driver.allowlist().allows(&next) {
                return Ok(AuthorizationOutcome::RedirectedElsewhere {
                    status: resp.status,
                    location: next,
                });
            }
            if steps >= options.max_steps {
                return stop(StopReason::TooManySteps, &resp);
            }
            request = HttpRequest::get(next);
            continue;
        }
        if resp.status >= 400 {
            return stop(StopReason::ErrorStatus, &resp);
        }

        let forms = parse_forms(&resp.text(), &resp.url);
        // response_mode=form_post: a self-submitting form aimed at the redirect URI.
        if let Some(f) = forms
            .iter()
            .find(|f| matches_redirect_uri(&f.action, redirect_uri))
        {
            return Ok(AuthorizationOutcome::Redirected(
                AuthorizationResponse::from_pairs(
                    f.submission(None),
                    f.action.clone(),
                    resp.status,
                    ResponseDelivery::FormPost,
                ),
            ));
        }
        if steps >= options.max_steps {
            return stop(StopReason::TooManySteps, &resp);
        }
        if let Some(api) = options.api.as_ref().filter(|_| !api_done) {
            api_done = true;
            match super::api_login::run(driver, browser, api, &resp, request_url, options.user())
                .await
            {
                Ok(next) => {
                    request = HttpRequest::get(next);
                    continue;
                }
                Err(e) => return stop(StopReason::Api(e.to_string()), &resp),
            }
        }

        let (uf, pf) = options
            .login
            .as_ref()
            .map(|l| (l.username_field.as_str(), l.password_field.as_str()))
            .unwrap_or(("username", "password"));
        if let Some(form) = forms.iter().find(|f| f.is_login_form(uf, pf)) {
            if api_done {
                return stop(StopReason::LoginRejected, &resp);
            }
            let Some(login) = &options.login else {
                return stop(StopReason::LoginRequired, &resp);
            };
            if logins > 0 {
                return stop(StopReason::LoginRejected, &resp);
            }
            logins += 1;
            let mut form = form.clone();
            if form.fill(uf, pf, &login.username, &login.password).is_err() {
                return stop(StopReason::LoginRequired, &resp);
            }
            let button = form.choose_button(&ConsentChoice::Approve).cloned();
            request = submit(&form, button.as_ref());
            continue;
        }

        // A consent (or any other interstitial) form.
        if !options.consent_page && !forms.is_empty() {
            return stop(StopReason::UnexpectedForm, &resp);
        }
        let candidate = forms
            .iter()
            .find(|f| f.choose_button(&options.consent).is_some())
            .or_else(|| {
                (options.consent == ConsentChoice::Approve)
                    .then(|| forms.iter().find(|f| f.method == "POST"))
                    .flatten()
            });
        match candidate {
            Some(form) if consents < 3 => {
                consents += 1;
                let button = form.choose_button(&options.consent);
                request = submit(form, button);
            }
            Some(_) => return stop(StopReason::TooManySteps, &resp),
            None if forms.is_empty() && loads_script(&resp.body) => {
                let reason = if api_done {
                    StopReason::LoginRejected
                } else {
                    StopReason::ScriptPage
                };
                return stop(reason, &resp);
            }
            None if forms.is_empty() => return stop(StopReason::NoForm, &resp),
            None => return stop(StopReason::NoMatchingButton, &resp),
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
    let ended = super::command::run(
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
    use super::browser::login::BrowserEnd;
    let stop = stopped_elsewhere;
    let ended = super::browser::login::walk(
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
pub fn submit(form: &Form, button: Option<&super::forms::SubmitButton>) -> HttpRequest {
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

// ---------------------------------------------------------------------------------------------
// Client authentication

/// How a request to the token, revocation or introspection endpoint authenticates the client.
#[derive(Clone, Debug)]
pub enum ClientAuth {
    /// RFC 6749 §2.3.1: `Authorization: Basic base64(urlencode(id) ":" urlencode(secret))`.
    Basic { id: ClientId, secret: ClientSecret },
    /// `client_id` and `client_secret` in the body.
    Post { id: ClientId, secret: ClientSecret },
    /// A public client: `client_id` in the body and nothing else.
    None { id: ClientId },
    /// Mutual TLS (RFC 8705 §2): the certificate is presented in the handshake (the driver's
    /// `[tls] client_cert`); the body carries `client_id` (§2: the client "MUST include the
    /// client_id parameter").
    Certificate { id: ClientId },
    /// Wrong on purpose: Basic without form-urlencoding id and secret first.
    BasicUnencoded { id: ClientId, secret: ClientSecret },
    /// Wrong on purpose: Basic *and* body credentials (RFC 6749 §2.3: one method only).
    BasicAndPost { id: ClientId, secret: ClientSecret },
    /// No client identification at all.
    Omitted,
    /// This `Authorization` header value, verbatim.
    RawHeader(String),
}

impl ClientAuth {
    /// The right authentication for a client's method; `None` if the method needs a secret
    /// and there is none.
    pub fn for_method(
        method: AuthMethod,
        id: &ClientId,
        secret: Option<&ClientSecret>,
    ) -> Option<Self> {
        match (method, secret) {
            (AuthMethod::ClientSecretBasic, Some(s)) => Some(ClientAuth::Basic {
                id: id.clone(),
                secret: s.clone(),
            }),
            (AuthMethod::ClientSecretPost, Some(s)) => Some(ClientAuth::Post {
                id: id.clone(),
                secret: s.clone(),
            }),
            (AuthMethod::None, _) => Some(ClientAuth::None { id: id.clone() }),
            (AuthMethod::TlsClientAuth | AuthMethod::SelfSignedTlsClientAuth, _) => {
                Some(ClientAuth::Certificate { id: id.clone() })
            }
            _ => None,
        }
    }

    /// Adds the authentication to a request whose body is `form`.
    pub fn apply(&self, mut request: HttpRequest, form: &mut Vec<(String, String)>) -> HttpRequest {
        let enc = |s: &str| url::form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>();
        let basic =
            |user: &str, pass: &str| format!("Basic {}", STANDARD.encode(format!("{user}:{pass}")));
        match self {
            ClientAuth::Basic { id, secret } => {
                request = request.header(
                    "Authorization",
                    basic(&enc(id.as_str()), &enc(secret.secret())),
                );
            }
            ClientAuth::Post { id, secret } => {
                form.push(("client_id".into(), id.as_str().into()));
                form.push(("client_secret".into(), secret.secret().into()));
            }
            ClientAuth::None { id } | ClientAuth::Certificate { id } => {
                form.push(("client_id".into(), id.as_str().into()))
            }
            ClientAuth::BasicUnencoded { id, secret } => {
                request = request.header("Authorization", basic(id.as_str(), secret.secret()));
            }
            ClientAuth::BasicAndPost { id, secret } => {
                request = request.header(
                    "Authorization",
                    basic(&enc(id.as_str()), &enc(secret.secret())),
                );
                form.push(("client_id".into(), id.as_str().into()));
                form.push(("client_secret".into(), secret.secret().into()));
            }
            ClientAuth::Omitted => {}
            ClientAuth::RawHeader(v) => request = request.header("Authorization", v.clone()),
        }
        request
    }
}

// ---------------------------------------------------------------------------------------------
// Endpoint answers

/// An RFC 6749 §5.2 error response.
#[derive(Clone, Debug, Deserialize)]
pub struct ErrorResponse {
    pub error: String,
    #[serde(default)]
    pub error_description: Option<String>,
    #[serde(default)]
    pub error_uri: Option<String>,
    #[serde(skip)]
    pub raw: serde_json::Value,
}

/// An RFC 6749 §5.1 access token response.
#[derive(Clone, Debug, Deserialize)]
pub struct TokenResponse {
    pub access_token: AccessToken,
    pub token_type: String,
    #[serde(default)]
    pub expires_in: Option<u64>,
    #[serde(default)]
    pub refresh_token: Option<RefreshToken>,
    #[serde(default)]
    pub scope: Option<Scope>,
    #[serde(default)]
    pub id_token: Option<String>,
    #[serde(skip)]
    pub raw: serde_json::Value,
}

/// An RFC 7662 §2.2 introspection response.
#[derive(Clone, Debug, Deserialize)]
pub struct IntrospectionResponse {
    pub active: bool,
    #[serde(default)]
    pub scope: Option<Scope>,
    #[serde(default)]
    pub client_id: Option<String>,
    #[serde(default)]
    pub username: Option<String>,
    #[serde(default)]
    pub token_type: Option<String>,
    #[serde(default)]
    pub exp: Option<i64>,
    #[serde(default)]
    pub iat: Option<i64>,
    #[serde(default)]
    pub nbf: Option<i64>,
    #[serde(default)]
    pub sub: Option<String>,
    #[serde(default)]
    pub aud: Option<serde_json::Value>,
    #[serde(default)]
    pub iss: Option<String>,
    #[serde(default)]
    pub jti: Option<String>,
    #[serde(skip)]
    pub raw: serde_json::Value,
}

/// An RFC 7591 §3.2.1 client information response.
#[derive(Clone, Debug, Deserialize)]
pub struct RegistrationResponse {
    pub client_id: ClientId,
    #[serde(default)]
    pub client_secret: Option<ClientSecret>,
    #[serde(default)]
    pub client_id_issued_at: Option<i64>,
    #[serde(default)]
    pub client_secret_expires_at: Option<i64>,
    #[serde(default)]
    pub registration_access_token: Option<AccessToken>,
    #[serde(default)]
    pub registration_client_uri: Option<String>,
    #[serde(default)]
    pub redirect_uris: Vec<String>,
    #[serde(default)]
    pub token_endpoint_auth_method: Option<String>,
    #[serde(default)]
    pub grant_types: Vec<String>,
    #[serde(default)]
    pub scope: Option<Scope>,
    #[serde(skip)]
    pub raw: serde_json::Value,
}

/// Types that keep their raw JSON next to the typed fields.
pub trait WithRaw: DeserializeOwned {
    fn set_raw(&mut self, raw: serde_json::Value);
}

macro_rules! with_raw {
    ($($t:ty),*) => {$(
        impl WithRaw for $t {
            fn set_raw(&mut self, raw: serde_json::Value) {
                self.raw = raw;
            }
        }
    )*};
}
with_raw!(
    ErrorResponse,
    TokenResponse,
    IntrospectionResponse,
    RegistrationResponse
);

/// Revocation answers carry no body of interest (RFC 7009 §2.2).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Revoked;

/// What an endpoint answered, typed.
#[derive(Clone, Debug)]
pub enum Answer<T> {
    /// A 2xx answer of the expected shape.
    Success(T),
    /// A non-2xx answer with an RFC 6749 §5.2 error object.
    Error(ErrorResponse),
    /// Anything else: why it does not fit.
    Malformed(String),
}

/// An endpoint's answer: status, headers and body as they came, and the typed reading.
#[derive(Clone, Debug)]
pub struct EndpointResponse<T> {
    pub status: u16,
    pub headers: HeaderMap,
    /// As it came; a successful answer longer than 256 KiB keeps its first
    /// 256 KiB (the typed reading was made from all of it).
    pub body: Vec<u8>,
    pub answer: Answer<T>,
}

impl<T> EndpointResponse<T> {
    pub fn success(&self) -> Option<&T> {
        match &self.answer {
            Answer::Success(t) => Some(t),
            _ => None,
        }
    }

    pub fn into_success(self) -> Option<T> {
        match self.answer {
            Answer::Success(t) => Some(t),
            _ => None,
        }
    }

    pub fn error(&self) -> Option<&ErrorResponse> {
        match &self.answer {
            Answer::Error(e) => Some(e),
            _ => None,
        }
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    pub fn has_cache_control_no_store(&self) -> bool {
        self.headers
            .get_all("cache-control")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .any(|v| {
                v.split(',')
                    .any(|d| d.trim().eq_ignore_ascii_case("no-store"))
            })
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

fn parse_error(status: u16, body: &[u8]) -> Answer<std::convert::Infallible> {
    match serde_json::from_slice::<serde_json::Value>(body) {
        Ok(raw) => match serde_json::from_value::<ErrorResponse>(raw.clone()) {
            Ok(mut e) => {
                e.set_raw(raw);
                Answer::Error(e)
            }
            Err(err) => Answer::Malformed(format!(
                "status {status} without an RFC 6749 §5.2 error object: {err}"
            )),
        },
        Err(err) => Answer::Malformed(format!(
            "status {status} and a body that is not JSON: {err}"
        )),
    }
}

/// An endpoint answer's body is kept up to this size (for evidence and
/// descriptions); the typed reading has everything it needs.
const KEPT_BODY: usize = 256 * 1024;

/// Strings longer than this in a kept raw answer are replaced by their size.
const KEPT_STRING: usize = 4096;

/// JSON read like [`serde_json::Value`], except that a string longer than
/// [`KEPT_STRING`] becomes a note of its size: the typed fields hold what
/// the harness uses (a 5 MB access token once), the raw answer its shape,
/// and reading it never copies the long strings.
struct Lean(serde_json::Value);

impl<'de> Deserialize<'de> for Lean {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        use serde::de::{MapAccess, SeqAccess, Visitor};
        use serde_json::Value;
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Lean;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("JSON")
            }
            fn visit_bool<E>(self, b: bool) -> Result<Lean, E> {
                Ok(Lean(Value::Bool(b)))
            }
            fn visit_i64<E>(self, n: i64) -> Result<Lean, E> {
                Ok(Lean(n.into()))
            }
            fn visit_u64<E>(self, n: u64) -> Result<Lean, E> {
                Ok(Lean(n.into()))
            }
            fn visit_f64<E>(self, n: f64) -> Result<Lean, E> {
                Ok(Lean(
                    serde_json::Number::from_f64(n).map_or(Value::Null, Value::Number),
                ))
            }
            fn visit_str<E>(self, s: &str) -> Result<Lean, E> {
                Ok(Lean(Value::String(if s.len() > KEPT_STRING {
                    format!("«a string of {} bytes»", s.len())
                } else {
                    s.to_owned()
                })))
            }
            fn visit_unit<E>(self) -> Result<Lean, E> {
                Ok(Lean(Value::Null))
            }
            fn visit_none<E>(self) -> Result<Lean, E> {
                Ok(Lean(Value::Null))
            }
            fn visit_some<D: serde::Deserializer<'de>>(self, d: D) -> Result<Lean, D::Error> {
                Lean::deserialize(d)
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Lean, A::Error> {
                let mut items = Vec::new();
                while let Some(Lean(v)) = seq.next_element()? {
                    items.push(v);
                }
                Ok(Lean(Value::Array(items)))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Lean, A::Error> {
                let mut members = serde_json::Map::new();
                while let Some((k, Lean(v))) = map.next_entry::<String, Lean>()? {
                    members.insert(k, v);
                }
                Ok(Lean(Value::Object(members)))
            }
        }
        d.deserialize_any(V)
    }
}

fn read_answer<T: WithRaw>(resp: HttpResponse) -> EndpointResponse<T> {
    let answer = if (200..300).contains(&resp.status) {
        match serde_json::from_slice::<Lean>(&resp.body) {
            Ok(Lean(raw)) => match serde_json::from_slice::<T>(&resp.body) {
                Ok(mut t) => {
                    t.set_raw(raw);
                    Answer::Success(t)
                }
                Err(e) => Answer::Malformed(format!(
                    "status {} but the body does not fit the expected response: {e}",
                    resp.status
                )),
            },
            Err(e) => Answer::Malformed(format!(
                "status {} and a body that is not JSON: {e}",
                resp.status
            )),
        }
    } else {
        error_answer(resp.status, &resp.body)
    };
    let mut body = resp.body;
    if matches!(answer, Answer::Success(_)) && body.len() > KEPT_BODY {
        // Read in full above; the rest would only be copied around.
        body.truncate(KEPT_BODY);
        body.shrink_to_fit();
    }
    EndpointResponse {
        status: resp.status,
        headers: resp.headers,
        body,
        answer,
    }
}

fn error_answer<T>(status: u16, body: &[u8]) -> Answer<T> {
    match parse_error(status, body) {
        Answer::Error(e) => Answer::Error(e),
        Answer::Malformed(m) => Answer::Malformed(m),
        Answer::Success(never) => match never {},
    }
}

// ---------------------------------------------------------------------------------------------
// Token-endpoint family

/// A POST of `form` to `endpoint` with client authentication, read as a token response. The
/// building block of the helpers below, and of negative tests with hand-made bodies.
pub async fn token_request(
    driver: &Driver,
    endpoint: &Url,
    auth: &ClientAuth,
    form: Vec<(String, String)>,
) -> Result<EndpointResponse<TokenResponse>, FlowError> {
    let resp = driver
        .send(authenticated_post(endpoint, auth, form))
        .await?;
    Ok(read_answer(resp))
}

/// A form POST to a token, introspection or revocation endpoint, the client authenticated
/// as `auth` says (RFC 6749 §2.3.1) and JSON asked for; built, not sent.
pub fn authenticated_post(
    endpoint: &Url,
    auth: &ClientAuth,
    mut form: Vec<(String, String)>,
) -> HttpRequest {
    let req = auth.apply(HttpRequest::post(endpoint.clone()), &mut form);
    req.header("Accept", "application/json").form(form)
}

/// RFC 6749 §4.1.3 (+ RFC 7636 §4.5): exchanges a code.
pub async fn exchange_code(
    driver: &Driver,
    token_endpoint: &Url,
    auth: &ClientAuth,
    code: &AuthorizationCode,
    redirect_uri: Option<&str>,
    verifier: Option<&PkceCodeVerifier>,
) -> Result<EndpointResponse<TokenResponse>, FlowError> {
    let mut form = vec![
        ("grant_type".to_owned(), "authorization_code".to_owned()),
        ("code".to_owned(), code.secret().to_owned()),
    ];
    if let Some(r) = redirect_uri {
        form.push(("redirect_uri".into(), r.into()));
    }
    if let Some(v) = verifier {
        form.push(("code_verifier".into(), v.secret().into()));
    }
    token_request(driver, token_endpoint, auth, form).await
}

/// RFC 6749 §6: refreshes an access token.
pub async fn refresh(
    driver: &Driver,
    token_endpoint: &Url,
    auth: &ClientAuth,
    refresh_token: &RefreshToken,
    scope: Option<&Scope>,
) -> Result<EndpointResponse<TokenResponse>, FlowError> {
    let mut form = vec![
        ("grant_type".to_owned(), "refresh_token".to_owned()),
        (
            "refresh_token".to_owned(),
            refresh_token.secret().to_owned(),
        ),
    ];
    if let Some(s) = scope {
        form.push(("scope".into(), s.to_string()));
    }
    token_request(driver, token_endpoint, auth, form).await
}

/// RFC 6749 §4.4: the client credentials grant.
pub async fn client_credentials(
    driver: &Driver,
    token_endpoint: &Url,
    auth: &ClientAuth,
    scope: Option<&Scope>,
) -> Result<EndpointResponse<TokenResponse>, FlowError> {
    let mut form = vec![("grant_type".to_owned(), "client_credentials".to_owned())];
    if let Some(s) = scope {
        form.push(("scope".into(), s.to_string()));
    }
    token_request(driver, token_endpoint, auth, form).await
}

/// RFC 7009: revokes a token. Success is any 2xx.
pub async fn revoke(
    driver: &Driver,
    endpoint: &Url,
    auth: &ClientAuth,
    token: &str,
    token_type_hint: Option<&str>,
) -> Result<EndpointResponse<Revoked>, FlowError> {
    let mut form = vec![("token".to_owned(), token.to_owned())];
    if let Some(h) = token_type_hint {
        form.push(("token_type_hint".into(), h.into()));
    }
    let req = auth.apply(HttpRequest::post(endpoint.clone()), &mut form);
    let resp = driver.send(req.form(form)).await?;
    let answer = if (200..300).contains(&resp.status) {
        Answer::Success(Revoked)
    } else {
        error_answer(resp.status, &resp.body)
    };
    Ok(EndpointResponse {
        status: resp.status,
        headers: resp.headers,
        body: resp.body,
        answer,
    })
}

/// RFC 7662: introspects a token.
pub async fn introspect(
    driver: &Driver,
    endpoint: &Url,
    auth: &ClientAuth,
    token: &str,
    token_type_hint: Option<&str>,
) -> Result<EndpointResponse<IntrospectionResponse>, FlowError> {
    let mut form = vec![("token".to_owned(), token.to_owned())];
    if let Some(h) = token_type_hint {
        form.push(("token_type_hint".into(), h.into()));
    }
    let resp = driver
        .send(authenticated_post(endpoint, auth, form))
        .await?;
    Ok(read_answer(resp))
}

/// RFC 7591: registers a client with this metadata (a JSON object).
pub async fn register(
    driver: &Driver,
    endpoint: &Url,
    metadata: &serde_json::Value,
    initial_access_token: Option<&str>,
) -> Result<EndpointResponse<RegistrationResponse>, FlowError> {
    let mut req = HttpRequest::post(endpoint.clone())
        .header("Accept", "application/json")
        .json(metadata.clone());
    if let Some(t) = initial_access_token {
        req = req.bearer(t);
    }
    Ok(read_answer(driver.send(req).await?))
}

/// A request to a protected resource, with the access token as a Bearer header (RFC 6750 §2.1)
/// if there is one.
pub async fn call_resource(
    driver: &Driver,
    method: reqwest::Method,
    url: &Url,
    access_token: Option<&str>,
    body: Option<serde_json::Value>,
) -> Result<HttpResponse, FlowError> {
    let mut req = HttpRequest::new(method, url.clone());
    if let Some(t) = access_token {
        req = req.bearer(t);
    }
    if let Some(b) = body {
        req = req.json(b);
    }
    Ok(driver.send(req).await?)
}

/// One challenge of a `WWW-Authenticate` header: the scheme and its parameters.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Challenge {
    pub scheme: String,
    pub params: Vec<(String, String)>,
}

impl Challenge {
    pub fn param(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// Parses a `WWW-Authenticate` value of auth-param challenges (RFC 9110 §11.6.1), e.g.
/// `Bearer realm="x", error="invalid_token", error_description="expired"`.
pub fn parse_www_authenticate(value: &str) -> Vec<Challenge> {
    let mut out: Vec<Challenge> = Vec::new();
    let chars: Vec<char> = value.chars().collect();
    let mut i = 0;
    let skip_ws = |i: &mut usize| {
        while *i < chars.len() && (chars[*i] == ' ' || chars[*i] == '\t' || chars[*i] == ',') {
            *i += 1;
        }
    };
    while i < chars.len() {
        skip_ws(&mut i);
        let start = i;
        while i < chars.len() && !matches!(chars[i], ' ' | '\t' | ',' | '=') {
            i += 1;
        }
        let token: String = chars[start..i].iter().collect();
        if token.is_empty() {
            break;
        }
        // token68 or a parameter name?
        let mut j = i;
        while j < chars.len() && (chars[j] == ' ' || chars[j] == '\t') {
            j += 1;
        }
        if j < chars.len() && chars[j] == '=' && !out.is_empty() {
            i = j + 1;
            while i < chars.len() && (chars[i] == ' ' || chars[i] == '\t') {
                i += 1;
            }
            let mut val = String::new();
            if i < chars.len() && chars[i] == '"' {
                i += 1;
                while i < chars.len() && chars[i] != '"' {
                    if chars[i] == '\\' && i + 1 < chars.len() {
                        i += 1;
                    }
                    val.push(chars[i]);
                    i += 1;
                }
                i += 1;
            } else {
                while i < chars.len() && chars[i] != ',' {
                    val.push(chars[i]);
                    i += 1;
                }
                val = val.trim().to_owned();
            }
            if let Some(c) = out.last_mut() {
                c.params.push((token, val));
            }
        } else {
            out.push(Challenge {
                scheme: token,
                params: Vec::new(),
            });
        }
    }
    out
}

#[cfg(test)]
mod tests;

#[cfg(test)]
mod reference_tests;
