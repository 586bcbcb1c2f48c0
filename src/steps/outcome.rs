//! How a step ends when it does not simply return.
//!
//! A step ends in one of four typed ways, which the runner's collector reads
//! back from the unwinding payload (see `runner/collector.rs`):
//!
//! | the step calls…          | payload    | scenario verdict                                   |
//! |--------------------------|------------|----------------------------------------------------|
//! | [`fail`]`(Finding)`      | [`Finding`]| FAIL (`@must`), WARN (`@should`); in a **Given** step: ERROR |
//! | [`unmet`]`(reason)`      | [`Unmet`]  | ERROR: the scenario could not be set up            |
//! | [`skip`]`(reason)`       | [`Skip`]   | SKIP: the target or its profile does not offer it  |
//! | anything else panics     | —          | ERROR: a harness bug                               |
//!
//! The split between setup and assertion is kept by the types and by the
//! runner, not by convention: a [`Finding`] raised while a Given step runs
//! is never a FAIL (a Given only establishes preconditions), and a refusal
//! can only be judged with a [`super::control::Control`] in hand. Steps that
//! set things up should still say so with [`unmet`], whose reason and fix
//! reach the report as they are.

use std::fmt::Display;
use std::future::Future;
use std::time::Duration;

pub use crate::report::{Finding, FindingKind};

/// The scenario cannot run against this target as its profile describes it
/// (no registration endpoint, no second client, no refresh tokens).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Skip {
    pub reason: String,
    /// The profile change that would let it run, when there is one.
    pub fix: Option<String>,
}

impl Display for Skip {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "skipped: {}", self.reason)
    }
}

/// A precondition of the scenario could not be met, so its rule was never
/// reached: the harness's or the profile's problem until shown otherwise.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Unmet {
    pub reason: String,
    /// What would let it run, when known.
    pub fix: Option<String>,
}

impl Display for Unmet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "could not set up: {}", self.reason)
    }
}

fn non_empty(reason: String, what: &str) -> String {
    if reason.trim().is_empty() {
        format!("{what} without a reason (harness bug: say why)")
    } else {
        reason
    }
}

/// Ends the step and SKIPs the scenario with `reason` ("the target has no
/// registration endpoint"). Never returns.
pub fn skip(reason: impl Into<String>) -> ! {
    std::panic::panic_any(Skip {
        reason: non_empty(reason.into(), "skipped"),
        fix: None,
    })
}

/// Like [`skip`], with the profile change that would run the scenario.
pub fn skip_with(reason: impl Into<String>, fix: impl Into<String>) -> ! {
    std::panic::panic_any(Skip {
        reason: non_empty(reason.into(), "skipped"),
        fix: Some(fix.into()),
    })
}

/// Ends the step: the scenario could not be set up (ERROR). Never returns.
pub fn unmet(reason: impl Into<String>) -> ! {
    std::panic::panic_any(Unmet {
        reason: non_empty(reason.into(), "could not set up"),
        fix: None,
    })
}

/// Like [`unmet`], with what would let the scenario run.
pub fn unmet_with(reason: impl Into<String>, fix: impl Into<String>) -> ! {
    std::panic::panic_any(Unmet {
        reason: non_empty(reason.into(), "could not set up"),
        fix: Some(fix.into()),
    })
}

/// Ends the step with a finding: the server broke the scenario's rule.
/// The scenario FAILs (`@must`) or WARNs (`@should`); raised in a Given step
/// it is an ERROR instead. Never returns.
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

/// Awaits `fut` for at most `limit`; past it the scenario could not be set
/// up ("`what` did not complete within …"). Steps whose rule is about time
/// measure it themselves instead.
pub async fn with_timeout<F: Future>(limit: Duration, what: &str, fut: F) -> F::Output {
    match tokio::time::timeout(limit, fut).await {
        Ok(v) => v,
        Err(_) => unmet(format!(
            "{what} did not complete within {} ms",
            limit.as_millis()
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

/// `.or_unmet(|e| reason)` on a `Result` (or `Option`): the value, or an
/// ERROR with that reason.
pub trait OrUnmet<T, E> {
    fn or_unmet(self, f: impl FnOnce(E) -> String) -> T;
}

impl<T, E> OrUnmet<T, E> for Result<T, E> {
    fn or_unmet(self, f: impl FnOnce(E) -> String) -> T {
        match self {
            Ok(v) => v,
            Err(e) => unmet(f(e)),
        }
    }
}

impl<T> OrUnmet<T, ()> for Option<T> {
    fn or_unmet(self, f: impl FnOnce(()) -> String) -> T {
        match self {
            Some(v) => v,
            None => unmet(f(())),
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
