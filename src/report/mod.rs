//! The outcome model of a run and the writers that render it.
//!
//! Every writer is a pure function `&RunReport -> String`;
//! [`write_all`] writes the report files into a directory.

pub mod github;
pub mod html;
pub mod json;
pub mod junit;
pub mod markdown;
pub mod model;
pub mod sarif;
mod sources;
pub mod terminal;
mod text;

use std::path::{Path, PathBuf};

pub use model::{
    AreaSummary, Counts, Finding, FindingKind, Level, RunReport, SCHEMA_VERSION, ScenarioOutcome,
    StepOutcome, StepStatus, TargetInfo, Verdict,
};

/// File names written by [`write_all`].
pub const JUNIT_FILE: &str = "junit.xml";
pub const JSON_FILE: &str = "results.json";
pub const MARKDOWN_FILE: &str = "summary.md";
pub const SARIF_FILE: &str = "results.sarif";
pub const HTML_FILE: &str = "report.html";

/// Writing the report files failed.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    #[error("cannot create report directory {path}: {source}")]
    CreateDir {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot write report file {path}: {source}")]
    Write {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// Writes `junit.xml`, `results.json`, `summary.md`, `results.sarif` and `report.html`
/// into `dir` (created if missing) and returns their paths.
pub fn write_all(report: &RunReport, dir: &Path) -> Result<Vec<PathBuf>, ReportError> {
    std::fs::create_dir_all(dir).map_err(|source| ReportError::CreateDir {
        path: dir.to_path_buf(),
        source,
    })?;
    let files = [
        (JUNIT_FILE, junit::render(report)),
        (JSON_FILE, json::render(report)),
        (MARKDOWN_FILE, markdown::render(report)),
        (SARIF_FILE, sarif::render(report)),
        (HTML_FILE, html::render(report)),
    ];
    let mut written = Vec::with_capacity(files.len());
    for (name, content) in files {
        let path = dir.join(name);
        std::fs::write(&path, content).map_err(|source| ReportError::Write {
            path: path.clone(),
            source,
        })?;
        written.push(path);
    }
    Ok(written)
}
