//! How to walk the authorization endpoint: the user, the login strategy, the consent choice.

use std::fmt;

use crate::driver::api_login::ApiLogin;
use crate::driver::browser::login::BrowserLogin;
use crate::driver::command::LoginCommand;
use crate::driver::forms::ConsentChoice;

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
    /// (see [`crate::driver::command`]).
    pub command: Option<LoginCommand>,
    /// `Some`: HTTP calls log in at the first page the walk reaches (see
    /// [`crate::driver::api_login`]); `login` then holds the user.
    pub api: Option<ApiLogin>,
    /// `Some`: a headless Chromium walks instead of the form walker (see
    /// [`crate::driver::browser::login`]).
    pub browser: Option<BrowserLogin>,
    /// `true`: the authorization request itself is sent as a POST form
    /// (OpenID Connect Core §3.1.2.1: the endpoint supports GET and POST)
    /// rather than a GET with a query. Only the form walker can.
    pub post_request: bool,
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
            post_request: false,
        }
    }
}
