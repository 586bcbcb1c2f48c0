//! The kill matrix: the spec run against the reference server once per
//! fault. A fault is *caught* when the run fails (strict: a broken SHOULD
//! counts) and at least one scenario of the fault's own area is among the
//! failures. A fault no scenario catches is a hole in the spec.

use std::fmt::Write as _;
use std::time::{Duration, Instant};

use futures::StreamExt as _;
use oauthspec_reference_server::Fault;
use serde::Serialize;

use crate::bundled::{self, BundledError};
use crate::report::{RunReport, Verdict};
use crate::runner::{self, FeatureSource, Progress, RunError, RunOptions};

/// What one run with one fault (or none) found.
#[derive(Clone, Debug, Serialize)]
pub struct Row {
    /// `None` for the clean server.
    pub fault: Option<String>,
    pub area: Option<String>,
    pub breaks: Option<String>,
    /// Exit code of the run, with `--strict`.
    pub exit_code: u8,
    /// Ids of the scenarios that failed or warned.
    pub failing: Vec<String>,
    /// Failing scenarios in the fault's own area.
    pub failing_in_area: Vec<String>,
    pub caught: bool,
    pub scenarios: usize,
    #[serde(with = "secs")]
    pub duration: Duration,
}

mod secs {
    pub fn serialize<S: serde::Serializer>(
        d: &std::time::Duration,
        s: S,
    ) -> Result<S::Ok, S::Error> {
        s.serialize_f64(d.as_secs_f64())
    }
}

#[derive(Clone, Debug, Serialize)]
pub struct KillMatrix {
    pub clean: Row,
    pub rows: Vec<Row>,
    #[serde(with = "secs")]
    pub duration: Duration,
}

#[derive(Debug, thiserror::Error)]
pub enum MatrixError {
    #[error(transparent)]
    Bundled(#[from] BundledError),
    #[error(transparent)]
    Run(#[from] RunError),
}

fn failing(report: &RunReport) -> Vec<(String, String)> {
    report
        .scenarios
        .iter()
        .filter(|s| matches!(s.verdict, Verdict::Fail | Verdict::Warn))
        .map(|s| (s.id.clone(), s.area.clone()))
        .collect()
}

async fn run_one(fault: Option<Fault>, source: &FeatureSource) -> Result<Row, MatrixError> {
    let started = Instant::now();
    let (server, ctx) = bundled::reference_context(fault.into_iter().collect()).await?;
    let options = RunOptions {
        progress: Progress::Never,
        ..RunOptions::default()
    };
    let report = runner::run(source.clone(), ctx, None, &options).await?;
    let _ = server.shutdown().await;
    let failing = failing(&report);
    let failing_in_area: Vec<String> = failing
        .iter()
        .filter(|(_, area)| fault.is_some_and(|f| f.area() == area))
        .map(|(id, _)| id.clone())
        .collect();
    let exit_code = report.exit_code(true);
    Ok(Row {
        fault: fault.map(|f| f.name().to_owned()),
        area: fault.map(|f| f.area().to_owned()),
        breaks: fault.map(|f| f.breaks().to_owned()),
        exit_code,
        caught: match fault {
            Some(_) => exit_code == 1 && !failing_in_area.is_empty(),
            None => exit_code == 0,
        },
        failing: failing.into_iter().map(|(id, _)| id).collect(),
        failing_in_area,
        scenarios: report.scenarios.len(),
        duration: started.elapsed(),
    })
}

/// Runs the spec against the clean server and against one server per
/// fault, `parallel` runs at a time (each server in-process on its own
/// loopback port).
pub async fn build(
    faults: &[Fault],
    source: FeatureSource,
    parallel: usize,
) -> Result<KillMatrix, MatrixError> {
    let started = Instant::now();
    let clean = run_one(None, &source).await?;
    let results: Vec<Result<Row, MatrixError>> = futures::stream::iter(faults.iter().copied())
        .map(|f| {
            let source = source.clone();
            async move { run_one(Some(f), &source).await }
        })
        .buffered(parallel.max(1))
        .collect()
        .await;
    let rows = results.into_iter().collect::<Result<Vec<_>, _>>()?;
    Ok(KillMatrix {
        clean,
        rows,
        duration: started.elapsed(),
    })
}

impl KillMatrix {
    /// Faults no scenario of their own area caught.
    pub fn uncaught(&self) -> Vec<&Row> {
        self.rows.iter().filter(|r| !r.caught).collect()
    }

    /// The matrix as Markdown: one row per fault, the scenarios that caught it.
    pub fn to_markdown(&self) -> String {
        let mut out = String::new();
        let caught = self.rows.iter().filter(|r| r.caught).count();
        let _ = writeln!(out, "# Kill matrix\n");
        let _ = writeln!(
            out,
            "{caught} of {} faults caught; the clean reference server {} ({} scenarios). Built in {:.1} s.\n",
            self.rows.len(),
            if self.clean.caught {
                "passes every scenario"
            } else {
                "FAILS some scenarios"
            },
            self.clean.scenarios,
            self.duration.as_secs_f64()
        );
        if !self.clean.failing.is_empty() {
            let _ = writeln!(
                out,
                "Failing against the clean server: {}\n",
                self.clean.failing.join(", ")
            );
        }
        let _ = writeln!(
            out,
            "| fault | area | caught | failing scenarios (own area first) | breaks |"
        );
        let _ = writeln!(out, "|:--|:--|:--:|:--|:--|");
        for r in &self.rows {
            let mut scenarios: Vec<String> =
                r.failing_in_area.iter().map(|s| format!("`{s}`")).collect();
            let others = r.failing.len() - r.failing_in_area.len();
            if others > 0 {
                scenarios.push(format!("+{others} elsewhere"));
            }
            let _ = writeln!(
                out,
                "| `{}` | {} | {} | {} | {} |",
                r.fault.as_deref().unwrap_or(""),
                r.area.as_deref().unwrap_or(""),
                if r.caught { "yes" } else { "**NO**" },
                if scenarios.is_empty() {
                    "—".to_owned()
                } else {
                    scenarios.join("<br>")
                },
                r.breaks.as_deref().unwrap_or("").replace('|', "\\|")
            );
        }
        out
    }
}
