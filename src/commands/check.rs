//! `oauthspec check`: run the spec against a target and write the reports.

use std::path::PathBuf;
use std::sync::Arc;

use clap::Args;
use oauthspec::report;
use oauthspec::runner::{self, FeatureSource, Progress, RunContext, RunError, RunOptions};
use oauthspec::target::{Target, TargetProfile};
use oauthspec_reference_server::{Fault, RunningServer, Settings, start};

use crate::exit;

/// The profile of the bundled reference server; its URL is replaced by the
/// one the server actually binds.
const REFERENCE_PROFILE: &str = include_str!("../../examples/targets/reference.toml");
const REFERENCE_URL: &str = "http://127.0.0.1:8080";

#[derive(Debug, Args)]
pub struct CheckArgs {
    /// Target profile (TOML). Without one, the bundled reference server is
    /// started on a free loopback port and checked.
    #[arg(long)]
    target: Option<PathBuf>,
    /// Only scenarios matching this tag expression, e.g. "@must and not @slow".
    #[arg(long)]
    tags: Option<String>,
    /// SHOULD violations fail the run too (exit 1).
    #[arg(long)]
    strict: bool,
    /// Where to write junit.xml, results.json and summary.md.
    /// [default: reports/<timestamp>]
    #[arg(long)]
    report_dir: Option<PathBuf>,
    /// Run the .feature files of this directory instead of the embedded spec.
    #[arg(long)]
    features: Option<PathBuf>,
    /// Scenarios run at once.
    #[arg(long, default_value_t = 8)]
    concurrency: usize,
    /// Check the bundled reference server with this deliberate defect in
    /// (repeatable): see what a broken server looks like in a report.
    #[arg(long = "fault", value_name = "NAME", conflicts_with = "target")]
    faults: Vec<Fault>,
}

/// Starts the bundled reference server (in memory, test-admin on) and
/// returns it with a profile that points at it.
pub async fn bundled_reference(settings: Settings) -> Result<(RunningServer, TargetProfile), String> {
    let server = start(settings)
        .await
        .map_err(|e| format!("cannot start the bundled reference server: {e}"))?;
    let url = server.url();
    let mut text = REFERENCE_PROFILE.replace(REFERENCE_URL, &url);
    if let Some(token) = server.admin_token() {
        text.push_str(&format!(
            "\n[test_admin]\nurl = \"{url}/__admin\"\ntoken = \"{}\"\n",
            token.expose()
        ));
    }
    let profile = TargetProfile::parse(&text, "<bundled reference server>")
        .map_err(|e| format!("harness bug: the bundled profile is invalid: {e}"))?;
    Ok((server, profile))
}

/// `reports/20261122T095300Z`.
fn default_report_dir() -> PathBuf {
    let stamp: String = report::model::rfc3339(std::time::SystemTime::now())
        .chars()
        .filter(|c| !matches!(c, '-' | ':'))
        .collect();
    PathBuf::from("reports").join(stamp)
}

pub async fn run(args: CheckArgs) -> u8 {
    // The bundled server lives until the run ends.
    let (_server, profile, kind) = match &args.target {
        Some(path) => match TargetProfile::load(path) {
            Ok(p) => (None, p, "profile"),
            Err(e) => {
                eprintln!("error: {e}");
                return exit::USAGE;
            }
        },
        None => {
            let settings = Settings {
                test_admin: true,
                faults: args.faults.clone(),
                ..Settings::default()
            };
            match bundled_reference(settings).await {
                Ok((server, profile)) => (Some(server), profile, "bundled reference server"),
                Err(e) => {
                    eprintln!("error: {e}");
                    return exit::BROKEN;
                }
            }
        }
    };
    let driver = match profile.driver() {
        Ok(d) => d,
        Err(e) => {
            eprintln!("error: {e}");
            return exit::BROKEN;
        }
    };
    let target = match Target::resolve(profile, &driver).await {
        Ok(t) => t,
        Err(e) => {
            eprintln!("error: the target could not be reached: {e}");
            return exit::BROKEN;
        }
    };
    let ctx = Arc::new(RunContext::for_target(target, driver, kind));
    let source = match &args.features {
        Some(dir) => FeatureSource::Dir(dir.clone()),
        None => FeatureSource::Embedded,
    };
    let options = RunOptions {
        max_concurrent_scenarios: args.concurrency.max(1),
        progress: Progress::Auto,
        ..RunOptions::default()
    };
    let report = match runner::run(source, ctx, args.tags.clone(), &options).await {
        Ok(r) => r,
        Err(e @ RunError::TimedOut(_)) => {
            eprintln!("error: {e}");
            return exit::BROKEN;
        }
        Err(e) => {
            eprintln!("error: {e}");
            return exit::USAGE;
        }
    };
    {
        use std::io::Write as _;
        // A closed stdout (`| head`) must not turn into a panic.
        let mut out = std::io::stdout().lock();
        let _ = write!(out, "{}", report::terminal::render(&report));
    }
    let dir = args.report_dir.clone().unwrap_or_else(default_report_dir);
    match report::write_all(&report, &dir) {
        Ok(paths) => {
            use std::io::Write as _;
            let mut out = std::io::stdout().lock();
            for p in paths {
                let _ = writeln!(out, "wrote {}", p.display());
            }
        }
        Err(e) => {
            eprintln!("error: cannot write the reports: {e}");
            return exit::BROKEN;
        }
    }
    report.exit_code(args.strict)
}
