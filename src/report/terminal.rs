//! The plain-text summary table printed at the end of a run: one row per
//! area with pass/fail/warn/skip counts, a total row and the overall verdict.
//! No colours, so it reads the same in a terminal and in a CI log.

use std::fmt::Write as _;

use super::model::{Counts, RunReport, Verdict};

/// Renders the summary table.
pub fn render(report: &RunReport) -> String {
    let areas = report.summary();
    let totals = report.totals();
    let width = areas
        .iter()
        .map(|a| a.area.chars().count())
        .chain(["area".len(), "total".len()])
        .max()
        .unwrap_or(5);

    let mut out = String::new();
    let row = |out: &mut String, name: &str, c: &Counts| {
        let _ = writeln!(
            out,
            "{name:<width$}  {:>5}  {:>5}  {:>5}  {:>5}",
            c.pass, c.fail, c.warn, c.skip
        );
    };
    let _ = writeln!(
        out,
        "{:<width$}  {:>5}  {:>5}  {:>5}  {:>5}",
        "area", "pass", "fail", "warn", "skip"
    );
    let rule = "-".repeat(width + 4 * 7);
    let _ = writeln!(out, "{rule}");
    for a in &areas {
        row(&mut out, &a.area, &a.counts);
    }
    let _ = writeln!(out, "{rule}");
    row(&mut out, "total", &totals);
    let verdict = report.overall();
    let _ = writeln!(
        out,
        "\n{verdict}: {} scenarios against {} ({}) in {:.1} s",
        totals.total(),
        report.target.name,
        report.target.issuer,
        report.duration.as_secs_f64()
    );
    for s in report
        .scenarios
        .iter()
        .filter(|s| s.verdict == Verdict::Fail)
    {
        let _ = writeln!(out, "  FAIL {}", s.id);
    }
    for s in report
        .scenarios
        .iter()
        .filter(|s| s.verdict == Verdict::Warn)
    {
        let _ = writeln!(out, "  WARN {}", s.id);
    }
    out
}
