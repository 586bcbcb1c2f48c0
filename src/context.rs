//! What every scenario of a run shares: the target and run-wide settings.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use crate::driver::http::{Driver, DriverError};
use crate::report::TargetInfo;
use crate::target::{AdminApi, DiscoveryError, ProfileError, Target, TargetProfile};

/// The profile a run's `--target` names (`check` and `load`), read and validated. A profile
/// that turns TLS verification off is told on stderr before anything is sent.
pub fn read_profile(path: &Path) -> Result<TargetProfile, ProfileError> {
    let profile = TargetProfile::load(path)?;
    if profile.tls.skip_verify {
        eprintln!("WARNING: {}", crate::report::model::TLS_OFF_WARNING);
    }
    Ok(profile)
}

/// Why a target could not be resolved into a run context.
#[derive(Debug, thiserror::Error)]
pub enum ResolveError {
    #[error("cannot build the HTTP client: {0}")]
    Driver(#[from] DriverError),
    #[error("target {name} cannot be discovered: {source}")]
    Discovery {
        name: String,
        #[source]
        source: DiscoveryError,
    },
}

/// The run-wide context handed to every scenario (the steps' `Spec` world reads it).
///
/// Steps reach the target through [`RunContext::target`] and send every
/// request through a per-scenario clone of [`RunContext::driver`] (shared
/// connection pool, host allowlist, its own evidence log). Only
/// [`RunContext::target_info`] feeds the reports.
#[derive(Clone, Debug)]
pub struct RunContext {
    /// The target profile's name.
    pub name: String,
    /// Issuer or base URL of the target.
    pub base_url: String,
    /// What kind of target it is (`"bundled reference server"`, `"profile"`…).
    pub kind: String,
    /// The usual limit for one wait on the target (see
    /// `steps::with_timeout`).
    pub step_timeout: Duration,
    /// The resolved target (profile + discovery); `None` only in the
    /// runner's own tests.
    pub target: Option<Arc<Target>>,
    /// The flow driver, bound to the profile's allowed hosts.
    pub driver: Option<Driver>,
    /// The target's test-admin API, when it has one (the bundled reference
    /// server does): expiry scenarios move its clock instead of sleeping.
    pub admin: Option<AdminApi>,
}

impl RunContext {
    /// Resolves a profile (RFC 8414 discovery, the profile's overrides)
    /// into the context a run needs; `kind` names the target in reports.
    pub async fn resolve(profile: TargetProfile, kind: &str) -> Result<Arc<Self>, ResolveError> {
        let driver = profile.driver()?;
        let name = profile.name.clone();
        let target = Target::resolve(profile, &driver)
            .await
            .map_err(|source| ResolveError::Discovery { name, source })?;
        Ok(Arc::new(RunContext::for_target(target, driver, kind)))
    }

    /// Default for [`RunContext::step_timeout`].
    pub const DEFAULT_STEP_TIMEOUT: Duration = Duration::from_secs(30);

    pub fn new(name: impl Into<String>, base_url: impl Into<String>) -> Self {
        RunContext {
            name: name.into(),
            base_url: base_url.into(),
            kind: "profile".to_owned(),
            step_timeout: Self::DEFAULT_STEP_TIMEOUT,
            target: None,
            driver: None,
            admin: None,
        }
    }

    /// The context of a run against a resolved target.
    pub fn for_target(target: Target, driver: Driver, kind: impl Into<String>) -> Self {
        let name = target.profile.name.clone();
        let base = target
            .profile
            .issuer
            .as_ref()
            .map(|u| u.as_str().trim_end_matches('/').to_owned())
            .or_else(|| {
                target
                    .profile
                    .jwt_api
                    .as_ref()
                    .map(|j| j.login_url.origin().ascii_serialization())
            })
            .or_else(|| {
                target
                    .profile
                    .relying_party
                    .as_ref()
                    .map(|r| r.login_url.origin().ascii_serialization())
            })
            .unwrap_or_default();
        let admin = target
            .profile
            .test_admin
            .as_ref()
            .map(|a| AdminApi::new(a.url.clone(), a.token.clone()));
        RunContext {
            kind: kind.into(),
            target: Some(Arc::new(target)),
            driver: Some(driver),
            admin,
            ..RunContext::new(name, base)
        }
    }

    /// What the reports say about the target.
    pub fn target_info(&self) -> TargetInfo {
        TargetInfo {
            name: self.name.clone(),
            issuer: self.base_url.clone(),
            kind: self.kind.clone(),
            tls_verification_off: self
                .target
                .as_ref()
                .is_some_and(|t| t.profile.tls.skip_verify),
        }
    }
}
