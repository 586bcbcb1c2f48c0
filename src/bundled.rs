//! The bundled reference server as a target: started in-process on a free
//! loopback port, with a profile that points at it and its test-admin API.

use std::sync::Arc;

use oauthspec_reference_server::config::UserConfig;
use oauthspec_reference_server::{RunningServer, Settings, start};

use crate::context::ResolveError;
use crate::context::RunContext;
use crate::target::TargetProfile;

/// The profile of the reference server (`examples/targets/reference.toml`);
/// its URL is replaced by the one the server actually binds.
const REFERENCE_PROFILE: &str = include_str!("../examples/targets/reference.toml");
const REFERENCE_URL: &str = "http://127.0.0.1:8080";

#[derive(Debug, thiserror::Error)]
pub enum BundledError {
    #[error("cannot start the bundled reference server: {0}")]
    Start(#[from] oauthspec_reference_server::StartError),
    #[error("harness bug: the bundled profile is invalid: {0}")]
    Profile(#[from] crate::target::ProfileError),
    #[error("the bundled reference server cannot be resolved: {0}")]
    Resolve(#[from] ResolveError),
}

/// Starts the reference server with `settings` and returns it with a
/// profile for it (its admin API included when `settings.test_admin`).
pub async fn start_reference(
    settings: Settings,
) -> Result<(RunningServer, TargetProfile), BundledError> {
    let server = start(settings).await?;
    let url = server.url();
    let mut text = reference_profile_text(&url);
    if let Some(token) = server.admin_token() {
        text.push_str(&format!(
            "\n[test_admin]\nurl = \"{url}/__admin\"\ntoken = \"{}\"\n",
            token.expose()
        ));
    }
    let profile = TargetProfile::parse(&text, "<bundled reference server>")?;
    Ok((server, profile))
}

/// The profile of the reference server (`examples/targets/reference.toml`) pointed at `url`:
/// what `load` resolves when no target is given (`check` resolves the same text with the
/// server's `[test_admin]` added, [`start_reference`]).
pub fn reference_profile(url: &str) -> Result<TargetProfile, crate::target::ProfileError> {
    TargetProfile::parse(&reference_profile_text(url), "<bundled reference server>")
}

/// The text of [`reference_profile`].
pub fn reference_profile_text(url: &str) -> String {
    REFERENCE_PROFILE.replace(REFERENCE_URL, url)
}

/// argon2id of `alice-password` with the smallest parameters (m=64 KiB,
/// t=1): the bundled server is a test fixture whose user logs in once per
/// scenario, so a login costs ~0.1 ms instead of the ~20 ms (release) of
/// `serve`'s default hash. The server still verifies it as argon2.
const FIXTURE_ALICE_HASH: &str = "$argon2id$v=19$m=64,t=1,p=1$HB0HpCa9Bl9NQ6B545GsdQ$93S3KlJHlTYbBNYp7EoDSo52ByEOkNEO3+GKMsq/giQ";

/// The bundled server in memory with test-admin on (and `faults`), and
/// the context to check it: what `oauthspec check` runs with no target.
pub async fn reference_context(
    faults: Vec<oauthspec_reference_server::Fault>,
) -> Result<(RunningServer, Arc<RunContext>), BundledError> {
    let settings = Settings {
        test_admin: true,
        faults,
        users: vec![UserConfig {
            username: "alice".into(),
            password_hash: Some(FIXTURE_ALICE_HASH.into()),
            password: None,
        }],
        ..Settings::default()
    };
    let (server, profile) = start_reference(settings).await?;
    let ctx = RunContext::resolve(profile, "bundled reference server").await?;
    Ok((server, ctx))
}
