//! `oauthspec requirements`: the requirement table of the spec (or of
//! `--features DIR`) as Markdown on stdout, the text of
//! `docs/REQUIREMENTS.md`. Exit 3 when the spec has a defect (a scenario
//! without a quoted rule, an "Accepted:" line, one level or a source).

use std::io::Write as _;
use std::path::PathBuf;

use clap::Args;
use oauthspec::requirements;
use oauthspec::runner::{FeatureSource, features};

use crate::exit;

#[derive(Debug, Args)]
pub struct RequirementsArgs {
    /// The .feature files of this directory instead of the embedded spec.
    #[arg(long)]
    features: Option<PathBuf>,
}

pub fn run(args: RequirementsArgs) -> u8 {
    let source = args
        .features
        .map_or(FeatureSource::Embedded, FeatureSource::Dir);
    let spec = match features::load(&source) {
        Ok(spec) => spec,
        Err(e) => {
            eprintln!("oauthspec: {e}");
            return exit::USAGE;
        }
    };
    let table = requirements::collect(&spec);
    let _ = std::io::stdout()
        .lock()
        .write_all(requirements::markdown(&table).as_bytes());
    let problems = requirements::problems(&table);
    for p in &problems {
        eprintln!("oauthspec: {p}");
    }
    if problems.is_empty() {
        exit::OK
    } else {
        exit::BROKEN
    }
}
