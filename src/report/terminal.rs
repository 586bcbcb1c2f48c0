//! The plain-text summary printed at the end of a run: a first line saying
//! how many scenarios reached their rule, one row per area with
//! pass/fail/warn/skip/error counts, a total row, the overall verdict and
//! the scenarios that failed, warned or could not be set up. No colours, so
//! it reads the same in a terminal and in a CI log.

use std::fmt::Write as _;

use super::model::{Counts, RunReport, Verdict};

/// Renders the summary.
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
    if report.target.tls_verification_off {
        let _ = writeln!(out, "WARNING: {}", super::model::TLS_OFF_WARNING);
    }
    let _ = writeln!(
        out,
        "{}: {} passed, {} failed, {} warned; {} skipped, {} could not be set up",
        super::markdown::headline(&totals),
        totals.pass,
        totals.fail,
        totals.warn,
        totals.skip,
        totals.error
    );
    let row = |out: &mut String, name: &str, c: &Counts| {
        let _ = writeln!(
            out,
            "{name:<width$}  {:>5}  {:>5}  {:>5}  {:>5}  {:>5}",
            c.pass, c.fail, c.warn, c.skip, c.error
        );
    };
    let _ = writeln!(
        out,
        "{:<width$}  {:>5}  {:>5}  {:>5}  {:>5}  {:>5}",
        "area", "pass", "fail", "warn", "skip", "error"
    );
    let rule = "-".repeat(width + 5 * 7);
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
    for v in [Verdict::Fail, Verdict::Warn] {
        for s in report.with_verdict(v) {
            let _ = writeln!(out, "  {v} {}", s.id);
        }
    }
    for s in report.with_verdict(Verdict::Error) {
        let _ = writeln!(
            out,
            "  ERROR {} ({})",
            s.id,
            s.reason().unwrap_or("no reason given")
        );
    }
    out
}
