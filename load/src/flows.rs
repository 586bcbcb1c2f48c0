//! The seam between the load profiles and the harness: what a profile asks of a target, one
//! HTTP exchange at a time. `oauthspec` implements it
//! (`oauthspec::load::DriverFlows`); this crate only schedules, validates and measures.
//!
//! The harness depends on this crate, so this crate cannot depend on the harness (Cargo
//! refuses cyclic packages): the driver reaches the profiles through this trait.

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

/// A boxed, sendable future (the trait must be object-safe).
pub type BoxFut<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// An answer as it came: status, content type and body.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Reply {
    pub status: u16,
    pub content_type: Option<String>,
    pub body: Vec<u8>,
}

/// One request: what it was (`method`, a stable `name` for the metrics), how long it took
/// from sending to the last byte of the answer, and the answer or why none came.
#[derive(Clone, Debug)]
pub struct Exchange {
    pub method: &'static str,
    pub name: String,
    pub elapsed: Duration,
    pub outcome: Result<Reply, String>,
}

/// What the authorization code flow gives the client: the code and its PKCE verifier
/// (RFC 7636 §4.1), to be exchanged at the token endpoint (RFC 6749 §4.1.3).
#[derive(Clone, Debug)]
pub struct CodeGrant {
    pub code: String,
    pub verifier: String,
}

/// A walk through the authorization endpoint, login form and consent (RFC 6749 §4.1.1–4.1.2):
/// every request it made, and the code it ended with or why it did not.
#[derive(Clone, Debug)]
pub struct Walk {
    pub steps: Vec<Exchange>,
    pub grant: Result<CodeGrant, String>,
}

/// What the load profiles need from a target. Each call makes exactly the requests it says,
/// and never retries.
pub trait Flows: Send + Sync + 'static {
    /// A short name of the target, for the report.
    fn target_name(&self) -> String;
    /// The base URL goose is pointed at (it is only shown in goose's reports).
    fn base_url(&self) -> String;
    /// RFC 6749 §4.4: one client credentials grant.
    fn client_credentials(&self) -> BoxFut<'_, Exchange>;
    /// A fresh browser walks the authorization endpoint, logs in and consents.
    fn authorize(&self) -> BoxFut<'_, Walk>;
    /// RFC 6749 §4.1.3: exchanges a code for tokens.
    fn exchange_code<'a>(&'a self, grant: &'a CodeGrant) -> BoxFut<'a, Exchange>;
    /// RFC 6749 §6: uses a refresh token.
    fn refresh<'a>(&'a self, refresh_token: &'a str) -> BoxFut<'a, Exchange>;
    /// RFC 7662 §2.1: introspects a token.
    fn introspect<'a>(&'a self, token: &'a str) -> BoxFut<'a, Exchange>;
    /// RFC 6750 §2.1: calls the first protected resource with a Bearer token.
    fn resource<'a>(&'a self, access_token: &'a str) -> BoxFut<'a, Exchange>;
    /// The cheapest request the target answers (`/healthz`).
    fn baseline(&self) -> BoxFut<'_, Exchange>;
    /// What `baseline` requests, for the report (e.g. `GET /healthz`).
    fn baseline_name(&self) -> String;
    /// A loopback endpoint the generator serves itself, through the same HTTP client as
    /// every other request: the generator's own ceiling, no target in it.
    fn ceiling(&self) -> BoxFut<'_, Exchange>;
    /// What `ceiling` requests, for the report.
    fn ceiling_name(&self) -> String;
}
