//! `oauthspec baseline`: a baseline file from a run's results.json, accepting every non-PASS
//! verdict of that run with its finding or reason.

use std::path::PathBuf;

use clap::Args;
use oauthspec::baseline::Baseline;
use oauthspec::report;

use crate::exit;

#[derive(Debug, Args)]
pub struct BaselineArgs {
    /// The results.json of a run (in its report directory).
    results: PathBuf,
    /// Where to write the baseline. [default: standard output]
    #[arg(long)]
    out: Option<PathBuf>,
}

pub fn run(args: BaselineArgs) -> u8 {
    let text = match std::fs::read_to_string(&args.results) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("error: cannot read {}: {e}", args.results.display());
            return exit::USAGE;
        }
    };
    let run = match report::json::parse(&text) {
        Ok(r) => r,
        Err(e) => {
            eprintln!(
                "error: {}:{}: not an oauthspec results.json: {e}",
                args.results.display(),
                e.line()
            );
            return exit::USAGE;
        }
    };
    let b = Baseline::from_report(&run);
    let text = b.render(&run.target.name);
    match &args.out {
        None => {
            use std::io::Write as _;
            let _ = write!(std::io::stdout().lock(), "{text}");
        }
        Some(path) => {
            if let Err(e) = std::fs::write(path, &text) {
                eprintln!("error: cannot write {}: {e}", path.display());
                return exit::BROKEN;
            }
            eprintln!(
                "wrote {} ({} accepted verdicts)",
                path.display(),
                b.entries.len()
            );
        }
    }
    exit::OK
}
