//! `oauthspec load`: a goose load profile against a target, or against the reference server
//! started in its own process (so the server and the load do not share one runtime).

use std::io::IsTerminal as _;
use std::path::PathBuf;
use std::process::Stdio;
use std::sync::Arc;
use std::time::Duration;

use clap::Args;
use oauthspec::bundled::reference_profile;
use oauthspec::context::read_profile;
use oauthspec::load::DriverFlows;
use oauthspec::report;
use oauthspec::target::TargetProfile;
use oauthspec_load::start_at::parse_start_at;
use oauthspec_load::{
    LoadError, Plan, Profile, RunResult, Shard, Threshold, TokenFormat, parse_run_time,
    write_summary,
};
use tokio::io::{AsyncBufReadExt as _, BufReader};

use super::{broken, usage};
use crate::exit;

#[derive(Debug, Args)]
pub struct LoadArgs {
    #[command(subcommand)]
    action: Option<LoadAction>,
    /// client-credentials, authorization-code, refresh, introspection, resource, mixed,
    /// refresh-race or healthz.
    #[arg(required = true)]
    profile: Option<String>,
    /// Target profile (TOML). Without one, the reference server is started in its own
    /// process on a free loopback port.
    #[arg(long)]
    target: Option<PathBuf>,
    /// Concurrent users.
    #[arg(long, default_value_t = 8)]
    users: usize,
    /// Users started per second. [default: all within about 0.1 s]
    #[arg(long)]
    increase_rate: Option<f64>,
    /// How long the load runs once the users are started: 30, 30s, 2m, 1m30s.
    #[arg(long, default_value = "10s")]
    run_time: String,
    /// Pass/fail rule on the measured requests, e.g. p95<50ms, error-rate<0.1%, rps>=1000
    /// (repeatable). A miss exits with 1.
    #[arg(long = "threshold", value_name = "EXPR")]
    thresholds: Vec<String>,
    /// Where to write summary.md and goose's report.html and report.json.
    /// [default: reports/<timestamp>]
    #[arg(long)]
    report_dir: Option<PathBuf>,
    /// The bundled server's signing algorithm: EdDSA, ES256 or RS256. [default: EdDSA]
    #[arg(long, conflicts_with = "target")]
    signing_alg: Option<String>,
    /// The bundled server keeps its data in memory instead of its default SQLite store (in
    /// a temporary directory removed afterwards).
    #[arg(long, conflicts_with = "target")]
    in_memory: bool,
    /// Skip the /healthz ceiling measured after the run.
    #[arg(long)]
    no_baseline: bool,
    /// The access tokens' format: jwt (each answer's token must parse as a JWT), opaque
    /// (checked once before the run by introspection or the resource), or detect (from the
    /// first token the target issues).
    #[arg(long, default_value = "detect", value_name = "FORMAT")]
    token_format: String,
    /// Same as --token-format opaque.
    #[arg(long, hide = true)]
    opaque_tokens: bool,
    /// Drop the default threshold error-rate<1%: a run where requests fail can then pass.
    #[arg(long)]
    allow_errors: bool,
    /// Run shard INDEX of COUNT (INDEX from 0): this shard's part of --users and
    /// --increase-rate. Default: JOB_COMPLETION_INDEX with OAUTHSPEC_SHARDS (Kubernetes
    /// Indexed Jobs). `load merge` adds the shards' result.json up.
    #[arg(long, value_name = "INDEX/COUNT")]
    shard: Option<String>,
    /// Start the load at this UTC instant (2026-12-02T05:00:00Z), after the setup, so that
    /// every shard starts together.
    #[arg(long, value_name = "INSTANT")]
    start_at: Option<String>,
}

#[derive(Debug, clap::Subcommand)]
enum LoadAction {
    /// Add up the result.json of a sharded run's report directories into the figures one
    /// run would give, and apply the thresholds to them.
    Merge(MergeArgs),
}

#[derive(Debug, Args)]
struct MergeArgs {
    /// Report directories of the shards (or their result.json files).
    #[arg(required = true, value_name = "DIR")]
    dirs: Vec<PathBuf>,
    /// Where to write the merged summary.md and result.json. [default: reports/<timestamp>]
    #[arg(long)]
    report_dir: Option<PathBuf>,
    /// Judge the merged run by these instead of the thresholds the shards were given.
    #[arg(long = "threshold", value_name = "EXPR")]
    thresholds: Vec<String>,
}

/// The threshold every run has unless it names its own error-rate threshold or says
/// --allow-errors: a run where requests fail is not a green run.
const DEFAULT_ERROR_RATE: &str = "error-rate<1%";

/// The reference server in a child process, killed when dropped.
struct Spawned {
    child: tokio::process::Child,
    url: String,
    alg: String,
    /// The SQLite store's directory (`None`: in memory); removed when dropped, after the child.
    data: Option<tempfile::TempDir>,
}

impl Spawned {
    async fn start(alg: Option<&str>, in_memory: bool) -> Result<Self, String> {
        let exe = std::env::current_exe().map_err(|e| format!("cannot find this program: {e}"))?;
        let mut cmd = tokio::process::Command::new(exe);
        cmd.args(["serve", "--bind", "127.0.0.1:0", "--test-admin"]);
        let data = if in_memory {
            cmd.arg("--in-memory");
            None
        } else {
            let dir = tempfile::Builder::new()
                .prefix("oauthspec-load-")
                .tempdir()
                .map_err(|e| {
                    format!("cannot make a directory for the server's SQLite store: {e}")
                })?;
            cmd.arg("--data-dir").arg(dir.path());
            Some(dir)
        };
        if let Some(a) = alg {
            cmd.args(["--signing-alg", a]);
        }
        // Its own process group: a Ctrl-C at the terminal stops the load, which then stops
        // the server, rather than killing the server under a running load.
        #[cfg(unix)]
        cmd.process_group(0);
        cmd.stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .kill_on_drop(true);
        let mut child = cmd
            .spawn()
            .map_err(|e| format!("cannot start the reference server: {e}"))?;
        let stdout = child.stdout.take().ok_or("no stdout")?;
        let mut lines = BufReader::new(stdout).lines();
        let url = tokio::time::timeout(Duration::from_secs(30), async {
            while let Ok(Some(line)) = lines.next_line().await {
                if let Some(url) = line.strip_prefix("listening on ") {
                    return Some(url.trim().to_owned());
                }
            }
            None
        })
        .await
        .ok()
        .flatten()
        .ok_or("the reference server did not print `listening on` within 30 s")?;
        // Keep draining its stdout so it never blocks on a full pipe.
        tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
        Ok(Self {
            child,
            url,
            alg: alg.unwrap_or("EdDSA").to_owned(),
            data,
        })
    }

    /// `VmRSS` and `VmHWM` of the server, from /proc (Linux).
    fn memory(&self) -> Option<String> {
        let pid = self.child.id()?;
        let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
        let kb = |key: &str| {
            status
                .lines()
                .find(|l| l.starts_with(key))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse::<u64>().ok())
        };
        Some(format!(
            "reference server: own process (pid {pid}), {} signing, {} store, RSS at the end {:.1} MB, peak {:.1} MB",
            self.alg,
            if self.data.is_some() {
                "SQLite"
            } else {
                "in-memory"
            },
            kb("VmRSS:")? as f64 / 1024.0,
            kb("VmHWM:")? as f64 / 1024.0
        ))
    }

    async fn stop(mut self) {
        let _ = self.child.start_kill();
        let _ = self.child.wait().await;
    }
}

fn default_report_dir() -> PathBuf {
    let stamp: String = report::model::rfc3339(std::time::SystemTime::now())
        .chars()
        .filter(|c| !matches!(c, '-' | ':'))
        .collect();
    PathBuf::from("reports").join(stamp)
}

pub async fn run(args: LoadArgs) -> u8 {
    if let Some(LoadAction::Merge(m)) = &args.action {
        return merge(m);
    }
    match load(&args).await {
        Ok(code) | Err(code) => code,
    }
}

/// The run; `Err` is an exit code already explained on stderr.
async fn load(args: &LoadArgs) -> Result<u8, u8> {
    let share = share(args)?;
    let profile: Profile = args
        .profile
        .as_deref()
        .unwrap_or_default()
        .parse()
        .map_err(usage)?;
    let thresholds = thresholds(args)?;
    let token_format = if args.opaque_tokens {
        TokenFormat::Opaque
    } else {
        args.token_format.parse::<TokenFormat>().map_err(usage)?
    };
    let run_time = parse_run_time(&args.run_time).map_err(usage)?;
    if let Some(a) = &args.signing_alg
        && !matches!(a.as_str(), "EdDSA" | "ES256" | "RS256")
    {
        return Err(usage(format!(
            "invalid --signing-alg `{a}`: use EdDSA, ES256 or RS256"
        )));
    }
    let (spawned, target_profile, name) = target(args).await?;
    let code = run_against(
        args,
        &share,
        (profile, token_format),
        thresholds,
        run_time,
        target_profile,
        name,
        spawned.as_ref(),
    )
    .await;
    if let Some(s) = spawned {
        s.stop().await;
    }
    Ok(code)
}

/// This process's share of the users and the rate (`--shard`, or the environment's), and
/// when it starts.
fn share(args: &LoadArgs) -> Result<Share, u8> {
    let shard = match args.shard.as_deref() {
        Some(s) => s.parse::<Shard>().map(Some),
        None => Shard::from_env(),
    };
    let shard = shard.map_err(usage)?;
    let start_at = args
        .start_at
        .as_deref()
        .map(parse_start_at)
        .transpose()
        .map_err(usage)?;
    let users = shard.map_or(args.users, |s| s.users(args.users));
    if users == 0 {
        return Err(usage(format!(
            "--users {} cannot be shared among {} shards: give at least one user per shard",
            args.users,
            shard.map_or(1, |s| s.count)
        )));
    }
    Ok(Share {
        shard,
        users,
        increase_rate: args.increase_rate.map(|r| shard.map_or(r, |s| s.rate(r))),
        start_at,
    })
}

/// `--threshold`s, and the default error rate unless one is given or `--allow-errors`.
fn thresholds(args: &LoadArgs) -> Result<Vec<Threshold>, u8> {
    let mut thresholds: Vec<Threshold> = Vec::new();
    for t in &args.thresholds {
        thresholds.push(t.parse::<Threshold>().map_err(usage)?);
    }
    if !args.allow_errors
        && !thresholds
            .iter()
            .any(|t| t.metric == oauthspec_load::threshold::Metric::ErrorRate)
    {
        match DEFAULT_ERROR_RATE.parse::<Threshold>() {
            Ok(mut t) => {
                t.text = format!("{DEFAULT_ERROR_RATE} (the default; --allow-errors drops it)");
                thresholds.push(t);
            }
            Err(e) => return Err(broken(format!("harness bug: {e}"))),
        }
    }
    Ok(thresholds)
}

/// The target: the profile `--target` names, or the reference server started in its own
/// process with the bundled profile pointed at it (stopped by the caller).
async fn target(args: &LoadArgs) -> Result<(Option<Spawned>, TargetProfile, String), u8> {
    if let Some(path) = &args.target {
        let p = read_profile(path).map_err(usage)?;
        let name = format!("{} ({})", p.name, path.display());
        return Ok((None, p, name));
    }
    let server = Spawned::start(args.signing_alg.as_deref(), args.in_memory)
        .await
        .map_err(broken)?;
    let profile = match reference_profile(&server.url) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("error: harness bug: the bundled profile is invalid: {e}");
            server.stop().await;
            return Err(exit::BROKEN);
        }
    };
    let name = format!("bundled reference server at {}", server.url);
    Ok((Some(server), profile, name))
}

/// This process's part of the run.
struct Share {
    shard: Option<Shard>,
    users: usize,
    increase_rate: Option<f64>,
    start_at: Option<std::time::SystemTime>,
}

#[allow(clippy::too_many_arguments)]
async fn run_against(
    args: &LoadArgs,
    share: &Share,
    (profile, token_format): (Profile, TokenFormat),
    thresholds: Vec<Threshold>,
    run_time: Duration,
    target: TargetProfile,
    name: String,
    spawned: Option<&Spawned>,
) -> u8 {
    let shown = name.clone();
    let flows = match DriverFlows::new(target, name).await {
        Ok(f) => Arc::new(f),
        Err(e) => {
            eprintln!("error: {shown} could not be prepared for load: {e}");
            return exit::BROKEN;
        }
    };
    // The profile's requests once, before the run: a target it cannot serve is a setup
    // error, and the tokens' format is known.
    let probed = match oauthspec_load::probe(flows.as_ref(), profile, token_format).await {
        Ok(p) => p,
        Err(e) => {
            eprintln!("error: the {profile} load cannot run against this target: {e}");
            return exit::BROKEN;
        }
    };
    let dir = args.report_dir.clone().unwrap_or_else(default_report_dir);
    if let Some(at) = share.start_at {
        match at.duration_since(std::time::SystemTime::now()) {
            Ok(wait) => tokio::time::sleep(wait).await,
            Err(late) => eprintln!(
                "warning: --start-at was {:.1} s ago: starting now",
                late.duration().as_secs_f64()
            ),
        }
    }
    let plan = Plan {
        profile,
        users: share.users,
        increase_rate: share.increase_rate,
        run_time,
        thresholds,
        report_dir: dir.clone(),
        jwt_access_tokens: probed.jwt,
        baseline: !args.no_baseline,
        progress: std::io::stderr().is_terminal(),
        started: report::model::rfc3339(std::time::SystemTime::now()),
    };
    let mut summary = match oauthspec_load::run(&plan, flows).await {
        Ok(s) => s,
        Err(e @ LoadError::Usage(_)) => {
            eprintln!("error: {e}");
            return exit::USAGE;
        }
        Err(e) => {
            eprintln!("error: {e}");
            return exit::BROKEN;
        }
    };
    summary.notes.extend(probed.notes);
    if let Some(m) = spawned.and_then(Spawned::memory) {
        summary.notes.push(m);
    }
    let path = match write_summary(&summary, &dir) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("error: {e}");
            return exit::BROKEN;
        }
    };
    let mut result = RunResult::of(&summary, share.shard);
    result.total_users = args.users;
    result.start_at = args.start_at.clone();
    if let Err(e) = write_result(&result, &dir) {
        eprintln!("error: {e}");
        return exit::BROKEN;
    }
    outcome(&profile.to_string(), &summary, &path)
}

/// `result.json`: what `load merge` reads.
fn write_result(result: &RunResult, dir: &std::path::Path) -> Result<(), String> {
    let path = dir.join(oauthspec_load::shard::RESULT_FILE);
    let text = serde_json::to_string_pretty(result).map_err(|e| e.to_string())?;
    std::fs::write(&path, text + "\n")
        .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    println!("wrote {}", path.display());
    Ok(())
}

/// `oauthspec load merge DIR…`.
fn merge(args: &MergeArgs) -> u8 {
    let mut results = Vec::new();
    for d in &args.dirs {
        match oauthspec_load::shard::read(d) {
            Ok(r) => results.push(r),
            Err(e) => {
                eprintln!("error: {e}");
                return exit::USAGE;
            }
        }
    }
    let merged = match oauthspec_load::shard::merge(&results) {
        Ok(m) => m,
        Err(e) => {
            eprintln!("error: {e}");
            return exit::USAGE;
        }
    };
    let texts = if args.thresholds.is_empty() {
        merged.thresholds.clone()
    } else {
        args.thresholds.clone()
    };
    let mut thresholds = Vec::new();
    for t in &texts {
        match t.parse::<Threshold>() {
            Ok(t) => thresholds.push(t),
            Err(e) => {
                eprintln!("error: {e}");
                return exit::USAGE;
            }
        }
    }
    let profile = merged.profile.clone();
    let summary = merged.summary(&thresholds);
    let dir = args.report_dir.clone().unwrap_or_else(default_report_dir);
    let path = match write_summary(&summary, &dir) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("error: {e}");
            return exit::BROKEN;
        }
    };
    if let Err(e) = write_result(&RunResult::of(&summary, None), &dir) {
        eprintln!("error: {e}");
        return exit::BROKEN;
    }
    outcome(&profile, &summary, &path)
}

/// Prints what a run (or a merge) measured and picks the exit code.
fn outcome(profile: &str, summary: &oauthspec_load::Summary, path: &std::path::Path) -> u8 {
    let f = summary.figures();
    {
        use std::io::Write as _;
        let mut out = std::io::stdout().lock();
        let _ = writeln!(
            out,
            "{profile}: {:.1} req/s, {} requests, {} failed, p50 {}, p95 {}, p99 {}",
            f.measured.rps,
            f.requests,
            f.failures,
            oauthspec_load::threshold::format_us(f.measured.p50_us),
            oauthspec_load::threshold::format_us(f.measured.p95_us),
            oauthspec_load::threshold::format_us(f.measured.p99_us),
        );
        for why in summary.why_failed() {
            let _ = writeln!(out, "FAIL: {why}");
        }
        for v in &summary.verdicts {
            let _ = writeln!(
                out,
                "threshold {}: measured {}: {}",
                v.threshold.text,
                v.measured,
                if v.passed { "pass" } else { "MISSED" }
            );
        }
        let (races, bad) = summary.race_violations();
        if races > 0 {
            let _ = writeln!(
                out,
                "refresh race: {races} rounds, {bad} with more than one winner"
            );
        }
        let _ = writeln!(out, "wrote {}", path.display());
    }
    if summary.interrupted {
        eprintln!("interrupted: the report covers the time the load ran");
        return exit::BROKEN;
    }
    if f.requests == 0 {
        eprintln!(
            "error: no request was measured (see the setup requests in {})",
            path.display()
        );
        return exit::BROKEN;
    }
    if summary.passed() {
        exit::OK
    } else {
        exit::CHECK_FAILED
    }
}
