//! The `oauthspec` command line. Only this file maps errors to exit codes:
//! 0 all required checks passed, 1 a check failed, 2 bad usage or an
//! invalid profile, 3 the target could not be reached or the run broke.

mod commands;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Conformance and load-testing harness for OAuth 2.0 / JWT servers.
#[derive(Debug, Parser)]
#[command(name = "oauthspec", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the reference authorization server and resource server.
    Serve(commands::serve::ServeArgs),
    /// Check a server against the spec (the bundled reference server by default).
    Check(commands::check::CheckArgs),
    /// Write a baseline from a run's results.json: every non-PASS verdict accepted, for
    /// `check --baseline`.
    Baseline(commands::baseline::BaselineArgs),
    /// List every injectable fault of the reference server, one a line
    /// (`--matrix`: prove the spec catches each one).
    Faults(commands::faults::FaultsArgs),
    /// Run a fake upstream identity provider (Google, GitHub or a plain
    /// OpenID provider) on loopback, optionally misbehaving.
    Upstream(commands::upstream::UpstreamArgs),
    /// Load-test a target with a goose profile (the reference server, in its own process,
    /// by default); `load merge DIR…` adds up the results of a sharded run.
    #[command(args_conflicts_with_subcommands = true, subcommand_negates_reqs = true)]
    Load(commands::load::LoadArgs),
    /// Print the requirement table of the spec (Markdown): each scenario's
    /// level, sources, quoted rule and accepted answers.
    Requirements(commands::requirements::RequirementsArgs),
}

/// Exit codes, the contract CI relies on.
pub mod exit {
    pub const OK: u8 = 0;
    pub const CHECK_FAILED: u8 = 1;
    pub const USAGE: u8 = 2;
    pub const BROKEN: u8 = 3;
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let code = if e.use_stderr() {
                exit::USAGE
            } else {
                exit::OK
            };
            let _ = e.print();
            return ExitCode::from(code);
        }
    };
    // Structured logs stay out of the reports `check` and `load` print unless asked for
    // with OAUTHSPEC_LOG; the long-running servers log their warnings by default.
    let default_log = match cli.command {
        Command::Serve(_) | Command::Upstream(_) => "warn",
        _ => "off",
    };
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("OAUTHSPEC_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default_log)),
        )
        .with_writer(std::io::stderr)
        .init();
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::from(exit::BROKEN);
        }
    };
    let code = runtime.block_on(async {
        match cli.command {
            Command::Serve(args) => commands::serve::run(args).await,
            Command::Check(args) => commands::check::run(args).await,
            Command::Baseline(args) => commands::baseline::run(args),
            Command::Faults(args) => commands::faults::run(args).await,
            Command::Upstream(args) => commands::upstream::run(args).await,
            Command::Load(args) => commands::load::run(args).await,
            Command::Requirements(args) => commands::requirements::run(args),
        }
    });
    ExitCode::from(code)
}
