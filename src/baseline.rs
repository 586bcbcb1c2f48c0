//! Baselines: the non-PASS verdicts a team has accepted for its target, so that CI fails only
//! when something *changes*. A run compared with a baseline has three kinds of scenario:
//! **new** (a FAIL, or a WARN under `--strict`, that the baseline does not accept with that
//! verdict), **accepted** (a non-PASS verdict the baseline names), and **stale** (an entry whose
//! scenario now passes, gets another verdict than the one accepted, or no longer exists in the
//! spec). New findings and stale entries fail the run, so a baseline never goes out of date.
//!
//! ```toml
//! # oauthspec baseline
//! version = 1
//!
//! [[accepted]]
//! scenario = "resource_server/a-forged-token-is-answered-401"
//! verdict = "warn"
//! reason = "answers 403; tracked as OPS-123"
//! ```

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::report::{RunReport, Verdict};

/// The version this build reads and writes.
pub const VERSION: u32 = 1;

/// One accepted verdict.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Accepted {
    pub scenario: String,
    pub verdict: Verdict,
    pub reason: Option<String>,
}

/// A parsed baseline file.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Baseline {
    pub entries: Vec<Accepted>,
}

/// A baseline file that cannot be used: where and why.
#[derive(Debug, thiserror::Error)]
pub enum BaselineError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{path}:{line}: {field}: {message}")]
    Invalid {
        path: PathBuf,
        line: usize,
        field: String,
        message: String,
    },
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawBaseline {
    version: toml::Spanned<u32>,
    #[serde(default)]
    accepted: Vec<toml::Spanned<RawEntry>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawEntry {
    scenario: String,
    verdict: toml::Spanned<String>,
    reason: Option<String>,
}

fn line_of(text: &str, offset: usize) -> usize {
    text[..offset.min(text.len())].matches('\n').count() + 1
}

impl Baseline {
    /// Reads and checks a baseline file.
    pub fn load(path: &Path) -> Result<Self, BaselineError> {
        let text = std::fs::read_to_string(path).map_err(|source| BaselineError::Read {
            path: path.to_owned(),
            source,
        })?;
        Self::parse(&text, path)
    }

    /// Parses `text`; errors name the line and field.
    pub fn parse(text: &str, path: &Path) -> Result<Self, BaselineError> {
        let invalid = |offset: usize, field: &str, message: String| BaselineError::Invalid {
            path: path.to_owned(),
            line: line_of(text, offset),
            field: field.to_owned(),
            message,
        };
        let raw: RawBaseline = toml::from_str(text).map_err(|e| {
            let offset = e.span().map_or(0, |s| s.start);
            invalid(offset, "", e.message().to_owned())
        })?;
        if *raw.version.get_ref() != VERSION {
            return Err(invalid(
                raw.version.span().start,
                "version",
                format!(
                    "this oauthspec reads baseline version {VERSION}, not {}",
                    raw.version.get_ref()
                ),
            ));
        }
        let mut seen = BTreeSet::new();
        let mut entries = Vec::new();
        for (i, e) in raw.accepted.iter().enumerate() {
            let at = e.span().start;
            let e = e.get_ref();
            let field = |f: &str| format!("accepted[{i}].{f}");
            let verdict = match e.verdict.get_ref().as_str() {
                "fail" => Verdict::Fail,
                "warn" => Verdict::Warn,
                "skip" => Verdict::Skip,
                "error" => Verdict::Error,
                "pass" => {
                    return Err(invalid(
                        e.verdict.span().start,
                        &field("verdict"),
                        "a PASS needs no accepting: remove the entry".into(),
                    ));
                }
                other => {
                    return Err(invalid(
                        e.verdict.span().start,
                        &field("verdict"),
                        format!("unknown verdict `{other}` (fail, warn, skip or error)"),
                    ));
                }
            };
            if !e.scenario.contains('/') {
                return Err(invalid(
                    at,
                    &field("scenario"),
                    format!(
                        "`{}` is not a scenario id (area/slug, as results.json names it)",
                        e.scenario
                    ),
                ));
            }
            if !seen.insert(e.scenario.clone()) {
                return Err(invalid(
                    at,
                    &field("scenario"),
                    format!("`{}` is accepted twice", e.scenario),
                ));
            }
            entries.push(Accepted {
                scenario: e.scenario.clone(),
                verdict,
                reason: e.reason.clone().filter(|r| !r.trim().is_empty()),
            });
        }
        Ok(Baseline { entries })
    }

    /// A baseline accepting every non-PASS verdict of `report`, each with the finding or the
    /// reason it had as its reason.
    pub fn from_report(report: &RunReport) -> Self {
        let entries = report
            .scenarios
            .iter()
            .filter(|s| s.verdict != Verdict::Pass)
            .map(|s| Accepted {
                scenario: s.id.clone(),
                verdict: s.verdict,
                reason: s
                    .finding
                    .as_ref()
                    .map(|f| f.requirement.clone())
                    .or_else(|| s.reason().map(str::to_owned))
                    .map(|r| {
                        r.lines()
                            .next()
                            .unwrap_or_default()
                            .chars()
                            .take(160)
                            .collect()
                    }),
            })
            .collect();
        Baseline { entries }
    }

    /// The file's text (TOML), entries in scenario order.
    pub fn render(&self, target: &str) -> String {
        let target = target.replace(['\n', '\r'], " ");
        let mut o = String::new();
        let _ = writeln!(
            o,
            "# oauthspec baseline: the non-PASS verdicts accepted for {target}.\n\
             # `oauthspec check --baseline FILE` fails only on new FAILs (WARNs with --strict) and on\n\
             # entries that went stale (the scenario passes now, changed verdict, or no longer exists).\n\
             version = {VERSION}"
        );
        let mut entries = self.entries.clone();
        entries.sort_by(|a, b| a.scenario.cmp(&b.scenario));
        for e in entries {
            let q = |s: &str| toml::Value::String(s.to_owned()).to_string();
            let _ = write!(
                o,
                "\n[[accepted]]\nscenario = {}\nverdict = {}\n",
                q(&e.scenario),
                q(&e.verdict.as_str().to_ascii_lowercase())
            );
            if let Some(r) = &e.reason {
                let _ = writeln!(o, "reason = {}", q(r));
            }
        }
        o
    }
}

/// Why an entry went stale.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Staleness {
    /// The scenario passes now.
    Passes,
    /// It has another non-PASS verdict than the one accepted.
    Changed(Verdict),
    /// No scenario of the spec has this id any more.
    Gone,
}

/// A run compared with a baseline.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Comparison {
    /// FAIL, WARN and ERROR verdicts the baseline does not accept with that verdict (and
    /// SKIPs accepted with another): `(id, verdict)`. Only FAILs (and WARNs under `strict`)
    /// fail the run; an ERROR keeps exit 3.
    pub new: Vec<(String, Verdict)>,
    pub accepted: Vec<Accepted>,
    pub stale: Vec<(Accepted, Staleness)>,
    /// Entries whose scenario this run did not select (`--tags`).
    pub not_run: Vec<Accepted>,
    pub strict: bool,
}

impl Comparison {
    /// Compares `report` with `baseline`; `spec_ids` are every scenario of the spec.
    pub fn of(report: &RunReport, baseline: &Baseline, spec_ids: &[String], strict: bool) -> Self {
        let by_id: BTreeMap<&str, &Accepted> = baseline
            .entries
            .iter()
            .map(|e| (e.scenario.as_str(), e))
            .collect();
        let ran: BTreeMap<&str, Verdict> = report
            .scenarios
            .iter()
            .map(|s| (s.id.as_str(), s.verdict))
            .collect();
        let mut c = Comparison {
            strict,
            ..Comparison::default()
        };
        for s in &report.scenarios {
            if s.verdict == Verdict::Pass {
                continue;
            }
            match by_id.get(s.id.as_str()) {
                Some(e) if e.verdict == s.verdict => c.accepted.push((*e).clone()),
                // A SKIP the baseline does not name is no news (summary.md lists them).
                None if s.verdict == Verdict::Skip => {}
                Some(_) | None => c.new.push((s.id.clone(), s.verdict)),
            }
        }
        for e in &baseline.entries {
            match ran.get(e.scenario.as_str()) {
                Some(Verdict::Pass) => c.stale.push((e.clone(), Staleness::Passes)),
                Some(v) if *v != e.verdict => c.stale.push((e.clone(), Staleness::Changed(*v))),
                Some(_) => {}
                None if !spec_ids.iter().any(|id| id == &e.scenario) => {
                    c.stale.push((e.clone(), Staleness::Gone));
                }
                None => c.not_run.push(e.clone()),
            }
        }
        c
    }

    /// New findings that fail the run: FAILs, and WARNs under `strict`.
    pub fn failing_new(&self) -> impl Iterator<Item = &(String, Verdict)> {
        self.new
            .iter()
            .filter(|(_, v)| *v == Verdict::Fail || (self.strict && *v == Verdict::Warn))
    }

    /// Whether the run fails on this comparison.
    pub fn fails(&self) -> bool {
        self.failing_new().next().is_some() || !self.stale.is_empty()
    }

    /// Whether an ERROR of this run is accepted by the baseline.
    pub fn accepts(&self, id: &str, verdict: Verdict) -> bool {
        self.accepted
            .iter()
            .any(|a| a.scenario == id && a.verdict == verdict)
    }

    /// `baseline.md`: new, stale and accepted, in that order.
    pub fn render_markdown(&self) -> String {
        let mut o = String::new();
        let failing = self.failing_new().count();
        let _ = writeln!(
            o,
            "# Compared with the baseline\n\n**{}**: {} new finding{} that fail{} the run, {} stale entr{}, {} accepted.\n",
            if self.fails() { "FAIL" } else { "PASS" },
            failing,
            if failing == 1 { "" } else { "s" },
            if failing == 1 { "s" } else { "" },
            self.stale.len(),
            if self.stale.len() == 1 { "y" } else { "ies" },
            self.accepted.len()
        );
        o.push_str("## New (not in the baseline)\n\n");
        if self.new.is_empty() {
            o.push_str("None.\n");
        } else {
            o.push_str("| scenario | verdict | fails the run |\n|---|---|---|\n");
            for (id, v) in &self.new {
                let fails = *v == Verdict::Fail || (self.strict && *v == Verdict::Warn);
                let _ = writeln!(
                    o,
                    "| `{id}` | {} | {} |",
                    v.as_str(),
                    match (fails, v) {
                        (true, _) => "yes",
                        (false, Verdict::Error) => "no, but it was not checked (exit 3)",
                        _ => "no",
                    }
                );
            }
        }
        o.push_str("\n## Stale (the baseline is out of date: update it)\n\n");
        if self.stale.is_empty() {
            o.push_str("None.\n");
        } else {
            o.push_str("| scenario | accepted | now |\n|---|---|---|\n");
            for (e, why) in &self.stale {
                let now = match why {
                    Staleness::Passes => "PASS: remove the entry".to_owned(),
                    Staleness::Changed(v) => format!("{}: update the entry", v.as_str()),
                    Staleness::Gone => "no such scenario in the spec: remove the entry".to_owned(),
                };
                let _ = writeln!(o, "| `{}` | {} | {now} |", e.scenario, e.verdict.as_str());
            }
        }
        o.push_str("\n## Accepted\n\n");
        if self.accepted.is_empty() {
            o.push_str("None.\n");
        } else {
            o.push_str("| scenario | verdict | reason |\n|---|---|---|\n");
            for e in &self.accepted {
                let _ = writeln!(
                    o,
                    "| `{}` | {} | {} |",
                    e.scenario,
                    e.verdict.as_str(),
                    e.reason.as_deref().unwrap_or("").replace('|', "\\|")
                );
            }
        }
        if !self.not_run.is_empty() {
            let _ = writeln!(
                o,
                "\n{} entr{} not checked: this run did not select {}.",
                self.not_run.len(),
                if self.not_run.len() == 1 { "y" } else { "ies" },
                if self.not_run.len() == 1 {
                    "its scenario"
                } else {
                    "their scenarios"
                }
            );
        }
        o
    }
}
