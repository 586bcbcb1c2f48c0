//! The flow driver: the one HTTP client of the harness, used by scenarios and load profiles
//! alike. It never follows redirects by itself, never contacts a host the target profile does
//! not name, and records every exchange as evidence with secrets redacted.
//!
//! - [`http`]: the `Driver`, browsers (cookie jars), the allowlist, evidence and redaction;
//! - [`forms`]: HTML forms, parsed and filled like a browser does;
//! - [`pkce`]: protocol values as types (PKCE, client credentials, scopes, tokens);
//! - [`flow`]: the authorization-code walker and the token-endpoint requests;
//! - [`command`]: the login done by an external program instead of the walker;
//! - [`api_login`]: the login done by HTTP calls the profile lists;
//! - [`browser`]: a headless Chromium: the `browser` login strategy, and relying-party logins;
//! - [`jwt_api`]: login, refresh and logout against APIs that issue their own JWTs.

pub mod api_login;
pub mod browser;
pub mod command;
pub mod flow;
pub mod forms;
pub mod http;
pub mod tls;

pub use flow::{
    Answer, AuthorizationOutcome, AuthorizationRequest, AuthorizationResponse, ClientAuth,
    EndpointResponse, ErrorResponse, FlowError, LoginCredentials, TokenResponse, WalkOptions,
};
pub use forms::{ConsentChoice, Form};
pub use http::{
    Browser, Driver, DriverConfig, DriverError, Evidence, Exchange, HostAllowlist, HostPort,
    HttpRequest, HttpResponse,
};
// The protocol values the driver's signatures use, where callers of the driver find them.
pub use crate::protocol::{
    AccessToken, AuthMethod, AuthorizationCode, ClientId, ClientSecret, PkceCodeChallenge,
    PkceCodeVerifier, RefreshToken, Scope,
};
