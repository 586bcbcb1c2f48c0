//! The cucumber `World` ([`Spec`]) and the step definitions of the spec.
//!
//! Step definitions live in `src/steps/<area>.rs`, mirroring
//! `features/<area>.feature`. They must live in this crate: cucumber collects
//! them with `inventory` at link time.
//!
//! # How a step says how things went
//!
//! A step ends in one of four ways; the runner maps each to the scenario's
//! verdict (DESIGN.md, "Verdicts"):
//!
//! | the step…                                   | step status | scenario verdict                      |
//! |---------------------------------------------|-------------|---------------------------------------|
//! | returns normally                            | passed      | PASS if every step passes             |
//! | calls [`skip`]`("no refresh tokens")`       | skipped     | SKIP, with that reason                |
//! | calls [`fail`]`(Finding { .. })`            | failed      | FAIL (`@must`) or WARN (`@should`/`@may`) |
//! | panics otherwise, or returns `Err(e)`       | failed      | like [`fail`], with the panic message as "actual" |
//!
//! [`skip`] and [`fail`] never return: they unwind with a typed payload
//! ([`Skip`] or [`Finding`]) that cucumber catches and hands to the runner's
//! collector, which reads it back. Later steps of the scenario do not run.
//! Prefer a [`Finding`] over `assert!`: it names the requirement, what was
//! expected and what came back. Helpers: [`expect_eq`], [`expect`],
//! [`OrSkip::or_skip`], [`OrFail::or_fail`].
//!
//! Whether a finding is a security one or a format one: a `@security` (or
//! `@format`) tag on the scenario decides; otherwise the kind the step gave
//! ([`Finding::security`], [`Finding::format`], [`Finding::new`]).
//!
//! An undefined step (text that no definition matches) is a harness bug and
//! always FAILs the scenario, whatever its level.
//!
//! # Evidence
//!
//! Steps push every HTTP exchange they make, rendered and with secrets
//! redacted, with [`Spec::record`]. The evidence of a scenario that fails,
//! warns or skips goes into the reports.
//!
//! # Timeouts
//!
//! cucumber 0.23 has no step timeout. Anything that waits on the target goes
//! through [`with_timeout`] (with [`Spec::step_timeout`] as the usual limit),
//! which fails the step with a finding when time runs out. The runner also
//! has a whole-run limit ([`crate::runner::RunOptions::run_timeout`]).

pub mod authorization_code;
pub mod client_authentication;
pub mod client_credentials;
pub mod common;
pub mod discovery;
pub mod expiry;
pub mod introspection;
pub mod jwks;
pub mod jwt_attacks;
pub mod pkce;
pub mod refresh;
pub mod registration;
pub mod resource_server;
pub mod revocation;
pub mod scopes;
pub mod smoke;
pub mod support;
pub mod token_response;
pub mod upstream_login;

use std::fmt::Display;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

pub use crate::report::{Finding, FindingKind};
pub use crate::runner::RunContext;

/// The per-scenario world. cucumber builds a fresh one for every scenario;
/// the runner's `before` hook hands it the shared [`RunContext`].
#[derive(Debug, Default, cucumber::World)]
pub struct Spec {
    ctx: Option<Arc<RunContext>>,
    /// Title of the running scenario (set by the runner).
    pub scenario: String,
    /// Free-form per-scenario state that steps pass to each other
    /// (client ids, tokens, the last response…). Typed fields can be added
    /// here as the steps grow.
    pub vars: serde_json::Map<String, serde_json::Value>,
    /// Rendered HTTP exchanges of this scenario, oldest first, secrets
    /// redacted. See [`Spec::record`].
    pub evidence: Vec<String>,
    /// This scenario's driver (see [`Spec::http`]); its exchanges are
    /// evidence too ([`Spec::collected_evidence`]).
    pub driver: Option<crate::driver::http::Driver>,
    /// Typed state the steps pass to each other.
    pub flow: support::Flow,
    /// The fake upstream provider of an upstream-login scenario and what
    /// its login came to (see [`upstream_login`]).
    pub upstream: Option<Box<upstream_login::UpstreamScenario>>,
}

impl Spec {
    /// A world bound to `ctx` (the runner does this through its `before`
    /// hook; tests of single steps can call it directly).
    pub fn with_context(ctx: Arc<RunContext>) -> Self {
        Spec {
            ctx: Some(ctx),
            ..Spec::default()
        }
    }

    /// Binds the world to the run's context.
    pub fn set_context(&mut self, ctx: Arc<RunContext>) {
        self.ctx = Some(ctx);
    }

    /// The run's context (the target and run-wide settings).
    ///
    /// Panics (failing the step) if the runner did not bind one: a harness bug.
    pub fn ctx(&self) -> &RunContext {
        match &self.ctx {
            Some(c) => c,
            None => panic!(
                "harness bug: the World has no RunContext (the runner's before hook did not run)"
            ),
        }
    }

    /// The run's context as a shared handle.
    pub fn ctx_arc(&self) -> Option<Arc<RunContext>> {
        self.ctx.clone()
    }

    /// The usual limit for one wait on the target.
    pub fn step_timeout(&self) -> Duration {
        self.ctx
            .as_ref()
            .map_or(RunContext::DEFAULT_STEP_TIMEOUT, |c| c.step_timeout)
    }

    /// Records one piece of evidence (a rendered, redacted HTTP exchange).
    pub fn record(&mut self, exchange: impl Into<String>) {
        self.evidence.push(exchange.into());
    }
}

/// Payload of a skip: the reason the scenario cannot run against this target.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Skip(pub String);

impl Display for Skip {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "skipped: {}", self.0)
    }
}

/// Ends the step and SKIPs the scenario with `reason` ("the target has no
/// registration endpoint"). Never returns.
pub fn skip(reason: impl Into<String>) -> ! {
    let mut reason = reason.into();
    if reason.trim().is_empty() {
        reason = "skipped without a reason (harness bug: say why)".to_owned();
    }
    std::panic::panic_any(Skip(reason))
}

/// Ends the step with a finding: the scenario FAILs (`@must`) or WARNs
/// (`@should`, `@may`). Never returns.
pub fn fail(finding: Finding) -> ! {
    std::panic::panic_any(finding)
}

/// Fails with a finding unless `expected == actual`; both are shown with
/// `Display`.
pub fn expect_eq<T: PartialEq + Display + ?Sized>(requirement: &str, expected: &T, actual: &T) {
    if expected != actual {
        fail(Finding::new(
            requirement,
            expected.to_string(),
            actual.to_string(),
        ));
    }
}

/// Fails with the finding `f()` unless `cond` holds.
pub fn expect(cond: bool, f: impl FnOnce() -> Finding) {
    if !cond {
        fail(f());
    }
}

/// Awaits `fut` for at most `limit`; past it the step fails with a finding
/// saying that `what` did not complete in time.
pub async fn with_timeout<F: Future>(limit: Duration, what: &str, fut: F) -> F::Output {
    match tokio::time::timeout(limit, fut).await {
        Ok(v) => v,
        Err(_) => fail(Finding::new(
            format!("{what} completes"),
            format!("completion within {} ms", limit.as_millis()),
            "no completion: timed out",
        )),
    }
}

/// `.or_skip("reason")` on an `Option` or `Result`: the value, or a SKIP.
pub trait OrSkip<T> {
    fn or_skip(self, reason: impl Into<String>) -> T;
}

impl<T> OrSkip<T> for Option<T> {
    fn or_skip(self, reason: impl Into<String>) -> T {
        match self {
            Some(v) => v,
            None => skip(reason),
        }
    }
}

impl<T, E> OrSkip<T> for Result<T, E> {
    fn or_skip(self, reason: impl Into<String>) -> T {
        match self {
            Ok(v) => v,
            Err(_) => skip(reason),
        }
    }
}

/// `.or_fail(|e| Finding::new(..))` on a `Result` (or `Option`, with `()`):
/// the value, or a failure with that finding.
pub trait OrFail<T, E> {
    fn or_fail(self, f: impl FnOnce(E) -> Finding) -> T;
}

impl<T, E> OrFail<T, E> for Result<T, E> {
    fn or_fail(self, f: impl FnOnce(E) -> Finding) -> T {
        match self {
            Ok(v) => v,
            Err(e) => fail(f(e)),
        }
    }
}

impl<T> OrFail<T, ()> for Option<T> {
    fn or_fail(self, f: impl FnOnce(()) -> Finding) -> T {
        match self {
            Some(v) => v,
            None => fail(f(())),
        }
    }
}
