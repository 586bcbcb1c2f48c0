//! `oauthspec check`: run the spec against a target and write the reports.

use std::path::PathBuf;
use std::sync::Arc;

use clap::Args;
use oauthspec::baseline::{Baseline, Comparison, Staleness};
use oauthspec::bundled;
use oauthspec::context::read_profile;
use oauthspec::plan;
use oauthspec::report;
use oauthspec::report::model::ExitPolicy;
use oauthspec::runner::{self, FeatureSource, Progress, RunContext, RunError, RunOptions};
use oauthspec::target::Target;
use oauthspec_reference_server::{Fault, RunningServer};

use super::{broken, usage};
use crate::exit;

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
    /// Where to write junit.xml, results.json, summary.md, results.sarif and report.html.
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
    /// Print which scenarios would run against the target and, for the
    /// others, why not and what would run them; run nothing.
    #[arg(long)]
    plan: bool,
    /// Fail the run (exit 3) when fewer than this percentage of the selected
    /// scenarios reached their rule (PASS, FAIL or WARN), e.g. 80.
    #[arg(long, value_name = "PERCENT", value_parser = percent)]
    min_checked: Option<f64>,
    /// Accepted non-PASS verdicts (`oauthspec baseline` writes one from a run's
    /// results.json): the run fails only on new FAILs (WARNs with --strict) and on stale
    /// entries, and baseline.md says which.
    #[arg(long, value_name = "FILE")]
    baseline: Option<PathBuf>,
}

fn percent(s: &str) -> Result<f64, String> {
    let v: f64 = s
        .trim_end_matches('%')
        .parse()
        .map_err(|_| format!("`{s}` is not a percentage"))?;
    if (0.0..=100.0).contains(&v) {
        Ok(v)
    } else {
        Err(format!("{v} is not between 0 and 100"))
    }
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
    match check(&args).await {
        Ok(code) | Err(code) => code,
    }
}

/// The run; `Err` is an exit code already explained on stderr.
async fn check(args: &CheckArgs) -> Result<u8, u8> {
    // A bad baseline is a usage error before anything runs.
    let baseline = args
        .baseline
        .as_deref()
        .map(Baseline::load)
        .transpose()
        .map_err(usage)?;
    // The bundled server lives until the run ends.
    let (_server, ctx) = context(args).await?;
    let source = match &args.features {
        Some(dir) => FeatureSource::Dir(dir.clone()),
        None => FeatureSource::Embedded,
    };
    // Every scenario of the spec, to tell a baseline entry whose scenario is gone.
    let spec_ids = match baseline.as_ref() {
        None => Vec::new(),
        Some(_) => runner::features::scenario_ids(&source).map_err(usage)?,
    };
    if let Some(target) = ctx.target.as_deref() {
        for u in &target.unreachable {
            eprintln!(
                "warning: discovery names {u}, on a host the profile does not name: scenarios that need it will not run (add the host to [http] allow_hosts)"
            );
        }
    }
    if args.plan {
        return plan_only(&source, &ctx, args);
    }
    let options = RunOptions {
        max_concurrent_scenarios: args.concurrency.max(1),
        progress: Progress::Auto,
        ..RunOptions::default()
    };
    let report = match runner::run(source, ctx, args.tags.clone(), &options).await {
        Ok(r) => r,
        Err(e @ RunError::TimedOut(_)) => return Err(broken(e)),
        Err(e) => return Err(usage(e)),
    };
    {
        use std::io::Write as _;
        // A closed stdout (`| head`) must not turn into a panic.
        let mut out = std::io::stdout().lock();
        let _ = write!(out, "{}", report::terminal::render(&report));
    }
    github_output(&report);
    let dir = args.report_dir.clone().unwrap_or_else(default_report_dir);
    write_reports(&report, &dir)?;
    let policy = ExitPolicy {
        strict: args.strict,
        min_checked_percent: args.min_checked,
    };
    Ok(match baseline {
        None => report.exit_code_with(policy),
        Some(b) => {
            let c = Comparison::of(&report, &b, &spec_ids, args.strict);
            compared(&report, &c, &dir, policy)
        }
    })
}

/// The run's context: the profile's target resolved (from the profile alone for a plan, when
/// the target cannot be reached), or the bundled reference server started, which the caller
/// keeps alive until the run ends.
async fn context(args: &CheckArgs) -> Result<(Option<RunningServer>, Arc<RunContext>), u8> {
    let Some(path) = &args.target else {
        return match bundled::reference_context(args.faults.clone()).await {
            Ok((server, ctx)) => Ok((Some(server), ctx)),
            Err(e) => Err(broken(e)),
        };
    };
    let profile = read_profile(path).map_err(usage)?;
    match RunContext::resolve(profile.clone(), "profile").await {
        Ok(ctx) => Ok((None, ctx)),
        // A plan can be made from the profile alone.
        Err(e) if args.plan => {
            eprintln!("warning: {e}; planning from the profile alone");
            let driver = profile.driver().map_err(broken)?;
            let target = Target::without_discovery(profile);
            Ok((
                None,
                Arc::new(RunContext::for_target(target, driver, "profile")),
            ))
        }
        Err(e) => {
            eprintln!("error: the target could not be reached: {e}");
            Err(exit::BROKEN)
        }
    }
}

/// `--plan`: what would run against the target, and nothing run.
fn plan_only(source: &FeatureSource, ctx: &RunContext, args: &CheckArgs) -> Result<u8, u8> {
    let Some(target) = ctx.target.as_deref() else {
        eprintln!("error: harness bug: no target to plan for");
        return Err(exit::BROKEN);
    };
    let p = plan::plan(source, target, args.tags.as_deref()).map_err(usage)?;
    use std::io::Write as _;
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{}", plan::clients_line(target));
    let _ = write!(out, "{}", plan::render(&p, &ctx.name));
    Ok(exit::OK)
}

/// Every report into `dir`, each path printed.
fn write_reports(report: &report::RunReport, dir: &std::path::Path) -> Result<(), u8> {
    match report::write_all(report, dir) {
        Ok(paths) => {
            use std::io::Write as _;
            let mut out = std::io::stdout().lock();
            for p in paths {
                let _ = writeln!(out, "wrote {}", p.display());
            }
            Ok(())
        }
        Err(e) => {
            eprintln!("error: cannot write the reports: {e}");
            Err(exit::BROKEN)
        }
    }
}

/// In GitHub Actions: an annotation per FAIL and WARN, and summary.md appended to the job's
/// step summary.
fn github_output(report: &report::RunReport) {
    use std::io::Write as _;
    if std::env::var("GITHUB_ACTIONS").is_ok_and(|v| v == "true") {
        let _ = write!(
            std::io::stdout().lock(),
            "{}",
            report::github::annotations(report)
        );
    }
    if let Some(path) = std::env::var_os("GITHUB_STEP_SUMMARY").filter(|p| !p.is_empty()) {
        let text = report::github::step_summary(&report::markdown::render(report));
        let appended = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)
            .and_then(|mut f| f.write_all(text.as_bytes()));
        if let Err(e) = appended {
            eprintln!(
                "warning: cannot append to GITHUB_STEP_SUMMARY ({}): {e}",
                std::path::Path::new(&path).display()
            );
        }
    }
}

/// Writes baseline.md, prints what changed, and picks the exit code: 1 on new failing
/// findings or stale entries; else 3 on ERRORs the baseline does not accept, or too little
/// checked; else 0.
fn compared(
    report: &report::RunReport,
    c: &Comparison,
    dir: &std::path::Path,
    policy: ExitPolicy,
) -> u8 {
    use std::io::Write as _;
    let path = dir.join("baseline.md");
    if let Err(e) = std::fs::write(&path, c.render_markdown()) {
        eprintln!("error: cannot write {}: {e}", path.display());
        return exit::BROKEN;
    }
    let mut out = std::io::stdout().lock();
    for (id, v) in c.failing_new() {
        let _ = writeln!(out, "NEW {} {id}", v.as_str());
    }
    for (e, why) in &c.stale {
        let _ = writeln!(
            out,
            "STALE {} ({} accepted, {}): update the baseline",
            e.scenario,
            e.verdict.as_str(),
            match why {
                Staleness::Passes => "passes now".to_owned(),
                Staleness::Changed(v) => format!("{} now", v.as_str()),
                Staleness::Gone => "no such scenario any more".to_owned(),
            }
        );
    }
    let _ = writeln!(
        out,
        "baseline: {} new failing, {} stale, {} accepted; wrote {}",
        c.failing_new().count(),
        c.stale.len(),
        c.accepted.len(),
        path.display()
    );
    if c.fails() {
        return exit::CHECK_FAILED;
    }
    let t = report.totals();
    let unaccepted_errors = report
        .with_verdict(report::Verdict::Error)
        .any(|s| !c.accepts(&s.id, report::Verdict::Error));
    let below_floor = policy
        .min_checked_percent
        .is_some_and(|floor| t.checked_percent() + 1e-9 < floor);
    if unaccepted_errors || t.checked() == 0 || below_floor {
        return exit::BROKEN;
    }
    exit::OK
}
