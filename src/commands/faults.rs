//! `oauthspec faults`: every injectable fault of the reference server, one
//! a line: its name, then the requirement it breaks. With `--matrix`, runs
//! the spec against the reference server once per fault and writes the
//! kill matrix (which scenarios catch which fault).

use std::io::Write as _;
use std::path::PathBuf;

use clap::Args;
use oauthspec::matrix;
use oauthspec::runner::FeatureSource;
use oauthspec_reference_server::Fault;

use crate::exit;

#[derive(Debug, Args)]
pub struct FaultsArgs {
    /// Build the kill matrix: check the reference server once per fault.
    #[arg(long)]
    matrix: bool,
    /// Where `--matrix` writes kill-matrix.md and kill-matrix.json. [default: reports]
    #[arg(long, default_value = "reports")]
    report_dir: PathBuf,
    /// Runs at a time for `--matrix`.
    #[arg(long, default_value_t = 8)]
    parallel: usize,
}

pub async fn run(args: FaultsArgs) -> u8 {
    if !args.matrix {
        let width = Fault::ALL.iter().map(|f| f.name().len()).max().unwrap_or(0);
        let mut out = std::io::stdout().lock();
        for f in Fault::ALL {
            let _ = writeln!(out, "{:width$}  {}", f.name(), f.breaks());
        }
        return exit::OK;
    }
    let m = match matrix::build(Fault::ALL, FeatureSource::Embedded, args.parallel).await {
        Ok(m) => m,
        Err(e) => {
            eprintln!("error: {e}");
            return exit::BROKEN;
        }
    };
    let md = m.to_markdown();
    let json = serde_json::to_string_pretty(&m).unwrap_or_default();
    let write = std::fs::create_dir_all(&args.report_dir)
        .and_then(|()| std::fs::write(args.report_dir.join("kill-matrix.md"), &md))
        .and_then(|()| std::fs::write(args.report_dir.join("kill-matrix.json"), json));
    if let Err(e) = write {
        eprintln!("error: cannot write the kill matrix: {e}");
        return exit::BROKEN;
    }
    let mut out = std::io::stdout().lock();
    let _ = write!(out, "{md}");
    let _ = writeln!(
        out,
        "wrote {}",
        args.report_dir.join("kill-matrix.md").display()
    );
    if m.clean.caught && m.uncaught().is_empty() {
        exit::OK
    } else {
        exit::CHECK_FAILED
    }
}
