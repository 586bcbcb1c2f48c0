//! What every scenario of a run shares: the target and run-wide settings.

use std::time::Duration;

use crate::report::TargetInfo;

/// The run-wide context handed to every scenario's [`crate::steps::Spec`].
///
/// For now a placeholder that names the target; once `crate::target` lands,
/// a field holding the discovered `Target` (and the flow driver's shared
/// HTTP client) goes here, and steps reach it with `w.ctx().target`.
/// Only [`RunContext::target_info`] feeds the reports, so the rest can change
/// freely.
#[derive(Clone, Debug)]
pub struct RunContext {
    /// The target profile's name.
    pub name: String,
    /// Issuer or base URL of the target.
    pub base_url: String,
    /// What kind of target it is (`"bundled reference server"`, `"profile"`…).
    pub kind: String,
    /// The usual limit for one wait on the target (see
    /// [`crate::steps::with_timeout`]).
    pub step_timeout: Duration,
}

impl RunContext {
    /// Default for [`RunContext::step_timeout`].
    pub const DEFAULT_STEP_TIMEOUT: Duration = Duration::from_secs(30);

    pub fn new(name: impl Into<String>, base_url: impl Into<String>) -> Self {
        RunContext {
            name: name.into(),
            base_url: base_url.into(),
            kind: "profile".to_owned(),
            step_timeout: Self::DEFAULT_STEP_TIMEOUT,
        }
    }

    /// What the reports say about the target.
    pub fn target_info(&self) -> TargetInfo {
        TargetInfo {
            name: self.name.clone(),
            issuer: self.base_url.clone(),
            kind: self.kind.clone(),
        }
    }
}
