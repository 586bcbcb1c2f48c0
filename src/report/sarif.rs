//! SARIF 2.1.0 (OASIS) for code-scanning tools such as GitHub's: one rule per scenario that
//! found something, one result per FAIL and WARN. A pure writer like the others.
//!
//! - A rule carries the scenario's name, its rule text (the RFC's own words) as help, its
//!   first source as `helpUri` (the RFC section), and its level (`MUST` → `error`, `SHOULD`
//!   → `warning`, `MAY` → `note`) as `defaultConfiguration.level`.
//! - A security finding (the server let through what it had to refuse) gives the rule a
//!   `security-severity` (8.0 for a MUST, 5.0 otherwise: GitHub's "high" and "medium") and
//!   the `security` tag; format and behaviour findings have neither.
//! - A result is `error` for a FAIL and `warning` for a WARN; its location is the target's
//!   URL (an absolute `artifactLocation.uri`, as §3.4.3 allows) and the scenario as a
//!   logical location; `partialFingerprints` keep one alert per scenario across runs.
//!
//! `tests/it/reports.rs` validates the output against the OASIS schema.

use serde_json::{Value, json};

use super::model::{FindingKind, Level, RunReport, ScenarioOutcome, Verdict, source_url};

/// The `$schema` written at the top (the OASIS errata01 schema).
pub const SCHEMA_URI: &str =
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json";

fn rule_level(level: Level) -> &'static str {
    match level {
        Level::Must => "error",
        Level::Should => "warning",
        Level::May => "note",
    }
}

fn rule(s: &ScenarioOutcome) -> Value {
    let security = s.kind == Some(FindingKind::Security);
    let mut tags = vec![
        Value::from(s.level.as_str().to_ascii_lowercase()),
        Value::from(s.area.clone()),
    ];
    if security {
        tags.push("security".into());
    }
    tags.extend(s.sources.iter().map(|src| Value::from(src.clone())));
    let mut properties = json!({ "tags": tags, "precision": "high" });
    if security {
        let severity = if s.level == Level::Must { "8.0" } else { "5.0" };
        properties["security-severity"] = severity.into();
    }
    let rule_text = if s.rule.is_empty() {
        format!("{} ({})", s.scenario, s.level)
    } else {
        s.rule.clone()
    };
    let mut help = rule_text.clone();
    if !s.sources.is_empty() {
        help.push_str(&format!("\n\nSource: {}", s.sources.join(", ")));
    }
    let mut r = json!({
        "id": s.id,
        "shortDescription": { "text": s.scenario },
        "fullDescription": { "text": rule_text },
        "help": { "text": help },
        "defaultConfiguration": { "level": rule_level(s.level) },
        "properties": properties,
    });
    if let Some(url) = s.sources.iter().find_map(|src| source_url(src)) {
        r["helpUri"] = url.into();
    }
    r
}

fn result(report: &RunReport, s: &ScenarioOutcome, index: usize) -> Value {
    let level = if s.verdict == Verdict::Fail {
        "error"
    } else {
        "warning"
    };
    let text = match &s.finding {
        Some(f) => format!(
            "{}: expected {}, got {}",
            f.requirement, f.expected, f.actual
        ),
        None => s.scenario.clone(),
    };
    let uri = if report.target.issuer.is_empty() {
        report.target.name.clone()
    } else {
        report.target.issuer.clone()
    };
    json!({
        "ruleId": s.id,
        "ruleIndex": index,
        "kind": "fail",
        "level": level,
        "message": { "text": text },
        "locations": [{
            "physicalLocation": { "artifactLocation": { "uri": uri } },
            "logicalLocations": [{
                "name": s.scenario,
                "fullyQualifiedName": s.id,
                "kind": "test",
            }],
        }],
        "partialFingerprints": { "oauthspecScenario/v1": s.id },
        "properties": {
            "verdict": s.verdict.as_str(),
            "findingKind": s.kind.unwrap_or_default().as_str(),
            "controls": s.controls,
        },
    })
}

/// `report` as a SARIF 2.1.0 log (pretty JSON, ending in a newline).
pub fn render(report: &RunReport) -> String {
    let found: Vec<&ScenarioOutcome> = report
        .scenarios
        .iter()
        .filter(|s| matches!(s.verdict, Verdict::Fail | Verdict::Warn))
        .collect();
    let rules: Vec<Value> = found.iter().map(|s| rule(s)).collect();
    let results: Vec<Value> = found
        .iter()
        .enumerate()
        .map(|(i, s)| result(report, s, i))
        .collect();
    let t = report.totals();
    // The run could not tell the target from an impostor: said where SARIF says such things.
    let notifications: Vec<Value> = if report.target.tls_verification_off {
        vec![json!({
            "level": "warning",
            "descriptor": { "id": "tls-verification-off" },
            "message": { "text": super::model::TLS_OFF_WARNING },
        })]
    } else {
        Vec::new()
    };
    let log = json!({
        "$schema": SCHEMA_URI,
        "version": "2.1.0",
        "runs": [{
            "tool": {
                "driver": {
                    "name": "oauthspec",
                    "version": report.tool_version,
                    "semanticVersion": report.tool_version,
                    "rules": rules,
                }
            },
            "invocations": [{
                "executionSuccessful": true,
                "startTimeUtc": report.started_at,
                "toolConfigurationNotifications": notifications,
                "properties": {
                    "target": report.target.name,
                    "targetKind": report.target.kind,
                    "tlsVerificationOff": report.target.tls_verification_off,
                    "pass": t.pass, "fail": t.fail, "warn": t.warn,
                    "skip": t.skip, "error": t.error,
                },
            }],
            "results": results,
        }]
    });
    let mut out = serde_json::to_string_pretty(&log).unwrap_or_default();
    out.push('\n');
    out
}
