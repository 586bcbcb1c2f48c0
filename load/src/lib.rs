//! oauthspec-load: goose load profiles for OAuth 2.0 token endpoints, introspection and
//! protected resources.
//!
//! A run ([`run`]) is one goose attack of a [`Profile`] against a target reached through
//! [`Flows`] (implemented by the harness), then the same users against a loopback endpoint
//! the generator serves itself, for its own ceiling. Every
//! answer is validated ([`check`]); [`summary::Summary`] renders `summary.md` beside goose's
//! HTML and JSON reports; [`threshold::Threshold`]s decide pass or fail.

pub mod attack;
pub mod check;
pub mod flows;
pub mod probe;
pub mod profile;
pub mod shard;
pub mod start_at;
pub mod stats;
pub mod summary;
pub mod threshold;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

pub use flows::{BoxFut, CodeGrant, Exchange, Flows, Reply, Walk};
pub use probe::{ProbeError, Probed, TokenFormat, probe};
pub use profile::Profile;
pub use shard::{RunResult, Shard};
pub use summary::Summary;
pub use threshold::Threshold;

/// What to run.
#[derive(Clone, Debug)]
pub struct Plan {
    pub profile: Profile,
    pub users: usize,
    /// Users started per second; `None`: all within about a tenth of a second.
    pub increase_rate: Option<f64>,
    pub run_time: Duration,
    pub thresholds: Vec<Threshold>,
    pub report_dir: PathBuf,
    /// Access tokens must be JWTs (RFC 9068); off for targets with opaque tokens.
    pub jwt_access_tokens: bool,
    /// Measure the generator's own ceiling after the run (always off for the ceiling profile).
    pub baseline: bool,
    /// A progress line on stderr.
    pub progress: bool,
    /// When the run started, RFC 3339 (shown in the summary).
    pub started: String,
}

#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("{0}")]
    Usage(String),
    #[error("goose could not run the load: {0}")]
    Goose(String),
    #[error("cannot write the reports into {dir}: {source}")]
    Io {
        dir: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

impl From<goose::GooseError> for LoadError {
    fn from(e: goose::GooseError) -> Self {
        LoadError::Goose(e.to_string())
    }
}

/// Parses `--run-time`: `30`, `30s`, `2m`, `1h`, `1m30s` (whole seconds, at least one).
pub fn parse_run_time(text: &str) -> Result<Duration, String> {
    let t = text.trim();
    let err = || format!("invalid run time `{text}`: use whole seconds like 30, 30s, 2m or 1m30s");
    if t.is_empty() {
        return Err(err());
    }
    let mut total: u64 = 0;
    let mut num = String::new();
    for c in t.chars() {
        if c.is_ascii_digit() {
            num.push(c);
            continue;
        }
        let n: u64 = num.parse().map_err(|_| err())?;
        num.clear();
        let unit = match c {
            's' => 1,
            'm' => 60,
            'h' => 3600,
            _ => return Err(err()),
        };
        total = total
            .checked_add(n.checked_mul(unit).ok_or_else(err)?)
            .ok_or_else(err)?;
    }
    if !num.is_empty() {
        total = total
            .checked_add(num.parse().map_err(|_| err())?)
            .ok_or_else(err)?;
    }
    if total == 0 {
        return Err(format!("invalid run time `{text}`: it must be at least 1s"));
    }
    Ok(Duration::from_secs(total))
}

/// Runs the plan against `flows`: the profile, then (unless interrupted or the profile is the
/// ceiling itself) the generator's own ceiling, against a loopback endpoint it serves. goose's reports are written into the report
/// directory as it runs; the summary is returned for the caller to add notes and write.
pub async fn run(plan: &Plan, flows: Arc<dyn Flows>) -> Result<Summary, LoadError> {
    if plan.users == 0 {
        return Err(LoadError::Usage("--users must be at least 1".into()));
    }
    if plan.profile == Profile::RefreshRace && plan.users < 2 {
        return Err(LoadError::Usage(
            "the refresh-race profile needs at least 2 users (they race each other)".into(),
        ));
    }
    if plan
        .increase_rate
        .is_some_and(|r| !(r.is_finite() && r > 0.0))
    {
        return Err(LoadError::Usage(
            "--increase-rate must be a positive number".into(),
        ));
    }
    let dir = &plan.report_dir;
    std::fs::create_dir_all(dir).map_err(|source| LoadError::Io {
        dir: dir.clone(),
        source,
    })?;
    let file = |name: &str| dir.join(name).to_string_lossy().into_owned();
    let increase_rate = plan
        .increase_rate
        .unwrap_or((plan.users as f64 * 10.0).max(1.0));
    let settings = attack::AttackSettings {
        users: plan.users,
        increase_rate,
        run_time: plan.run_time,
        report_files: vec![file("report.html"), file("report.json")],
        jwt: plan.jwt_access_tokens,
        progress: plan.progress,
    };
    goose::reset_killswitch();
    let rec = attack::attack(plan.profile, &settings, flows.clone()).await?;
    let interrupted = goose::is_killswitch_triggered();
    let mut files = vec!["report.html".to_owned(), "report.json".to_owned()];

    let (baseline, baseline_missing) = if plan.profile == Profile::Ceiling {
        (None, Some("this run is the ceiling".to_owned()))
    } else if interrupted {
        (None, Some("the run was interrupted".to_owned()))
    } else if !plan.baseline {
        (None, Some("turned off".to_owned()))
    } else {
        let b = attack::AttackSettings {
            report_files: vec![file("ceiling-report.html"), file("ceiling-report.json")],
            ..settings.clone()
        };
        let brec = attack::attack(Profile::Ceiling, &b, flows.clone()).await?;
        files.push("ceiling-report.html".into());
        files.push("ceiling-report.json".into());
        (Some((flows.ceiling_name(), brec.snapshot())), None)
    };
    let interrupted = interrupted || goose::is_killswitch_triggered();
    let snapshot = rec.snapshot();
    let figures = summary::Figures::of(&snapshot);
    Ok(Summary {
        profile: plan.profile.name().to_owned(),
        target: flows.target_name(),
        started: plan.started.clone(),
        users: plan.users,
        run_time: plan.run_time,
        verdicts: Summary::evaluate(&plan.thresholds, &figures),
        snapshot,
        baseline,
        baseline_missing,
        notes: Vec::new(),
        files,
        interrupted,
    })
}

/// Writes `summary.md` into `dir` and returns its path.
pub fn write_summary(summary: &Summary, dir: &Path) -> Result<PathBuf, LoadError> {
    let path = dir.join("summary.md");
    std::fs::create_dir_all(dir)
        .and_then(|()| std::fs::write(&path, summary.render()))
        .map_err(|source| LoadError::Io {
            dir: dir.to_owned(),
            source,
        })?;
    Ok(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn run_times() {
        assert_eq!(parse_run_time("30").unwrap(), Duration::from_secs(30));
        assert_eq!(parse_run_time("2m").unwrap(), Duration::from_secs(120));
        assert_eq!(parse_run_time("1m30s").unwrap(), Duration::from_secs(90));
        assert!(parse_run_time("0s").unwrap_err().contains("at least 1s"));
        assert!(parse_run_time("5x").is_err());
        assert!(parse_run_time("").is_err());
        assert!(parse_run_time("m").is_err());
    }

    #[test]
    fn profiles_round_trip() {
        for p in Profile::ALL {
            assert_eq!(p.name().parse::<Profile>().unwrap(), p);
        }
        assert!(
            "password"
                .parse::<Profile>()
                .unwrap_err()
                .to_string()
                .contains("client-credentials")
        );
    }
}
