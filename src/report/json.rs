//! `results.json`: the machine-readable results, schema `oauthspec/results/v2`.
//!
//! # Schema `oauthspec/results/v2`
//!
//! ```text
//! {
//!   "schema": "oauthspec/results/v2",      // bumped on any incompatible change
//!   "tool_version": "0.1.0",
//!   "target": { "name": str, "issuer": str, "kind": str },
//!   "started_at": "2024-05-01T12:00:00Z",  // RFC 3339, UTC
//!   "duration_secs": 1.234,                // wall clock, ms precision
//!   "verdict": "pass" | "fail" | "warn" | "error",  // FAIL if any fail; else ERROR if any
//!                                          // could not be set up or none was checked; else WARN if any warn
//!   "totals": { "pass": n, "fail": n, "warn": n, "skip": n, "error": n },
//!   "areas": [ { "area": "pkce", "pass": n, "fail": n, "warn": n, "skip": n, "error": n } ],
//!   "scenarios": [ {
//!     "id": "pkce/a-verifier-that-does-not-match-is-rejected",   // stable across runs
//!     "area": "pkce",                       // feature file stem
//!     "feature": str, "scenario": str,      // titles
//!     "level": "must" | "should" | "may",
//!     "sources": ["RFC 7636 §4.6"],
//!     "tags": ["must", "rfc7636-4.6"],      // without "@"
//!     "verdict": "pass" | "fail" | "warn" | "skip" | "error",
//!     "rule": str,                          // the RFC sentence and the answers accepted, as the feature states them
//!     "kind": "security" | "format" | "behaviour" | null,   // FAIL and WARN only
//!     "finding": { "requirement": str, "expected": str, "actual": str,
//!                  "kind": "security" | "format" | "behaviour" } | null,
//!     "not_reached": { "reason": str, "fix": str? } | null,  // SKIP and ERROR only
//!     "controls": [ str ],                  // positive controls the scenario showed
//!     "duration_secs": 0.012,
//!     "steps": [ { "keyword": "Given", "text": str,
//!                  "status": "passed" | "failed" | "skipped" | "undefined" | "not_run" } ],
//!     "evidence": [ str ]                   // every verdict: rendered HTTP exchanges, secrets redacted
//!   } ]
//! }
//! ```
//!
//! Readers must ignore fields they do not know: new optional fields may be
//! added within `v2`. v1 readers: `skip_reason` became `not_reached.reason`.

use serde::Serialize;

use super::model::{AreaSummary, Counts, RunReport, ScenarioOutcome, TargetInfo, Verdict};

#[derive(Serialize)]
struct ResultsV1<'a> {
    schema: &'a str,
    tool_version: &'a str,
    target: &'a TargetInfo,
    started_at: &'a str,
    duration_secs: f64,
    verdict: Verdict,
    totals: Counts,
    areas: Vec<AreaSummary>,
    scenarios: &'a [ScenarioOutcome],
}

/// Renders the report as pretty-printed JSON, ending with a newline.
pub fn render(report: &RunReport) -> String {
    let view = ResultsV1 {
        schema: &report.schema_version,
        tool_version: &report.tool_version,
        target: &report.target,
        started_at: &report.started_at,
        duration_secs: (report.duration.as_millis() as f64) / 1000.0,
        verdict: report.overall(),
        totals: report.totals(),
        areas: report.summary(),
        scenarios: &report.scenarios,
    };
    // Serializing plain data with string keys cannot fail.
    let mut s = serde_json::to_string_pretty(&view).unwrap_or_else(|e| {
        format!(
            "{{\"schema\":\"oauthspec/results/v2\",\"error\":{}}}",
            serde_json::Value::String(e.to_string())
        )
    });
    s.push('\n');
    s
}

/// Reads a `results.json` back (the derived fields `verdict`, `totals` and
/// `areas` are ignored: they follow from the scenarios).
pub fn parse(json: &str) -> Result<RunReport, serde_json::Error> {
    serde_json::from_str(json)
}
