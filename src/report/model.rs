//! The outcome model of one `oauthspec check` run: what every report writer
//! renders. It is plain data (serde), built by the scenario runner and
//! independent of cucumber.

use std::collections::BTreeMap;
use std::fmt;
use std::time::Duration;

use serde::{Deserialize, Serialize};

/// Identifier of the results schema, written as `"schema"` in `results.json`.
pub const SCHEMA_VERSION: &str = "oauthspec/results/v1";

/// Everything one run found out.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RunReport {
    /// Always [`SCHEMA_VERSION`] for reports built by this version.
    #[serde(rename = "schema")]
    pub schema_version: String,
    /// Version of the oauthspec tool that made the report.
    pub tool_version: String,
    /// The server that was checked.
    pub target: TargetInfo,
    /// When the run started, RFC 3339 in UTC (`2024-05-01T12:00:00Z`).
    pub started_at: String,
    /// Wall-clock time of the whole run.
    #[serde(rename = "duration_secs", with = "secs")]
    pub duration: Duration,
    /// One entry per scenario that ran (after tag filtering), in a stable
    /// order: by area, then by position in the feature file.
    pub scenarios: Vec<ScenarioOutcome>,
}

/// What the report says about the target.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TargetInfo {
    /// The profile's name, e.g. `"reference"` or `"keycloak"`.
    pub name: String,
    /// Issuer or base URL of the target.
    pub issuer: String,
    /// What kind of target it is, e.g. `"bundled reference server"`, `"profile"`.
    pub kind: String,
}

/// Requirement level of a scenario, from its `@must` / `@should` / `@may` tag.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    Must,
    Should,
    May,
}

impl Level {
    /// Upper-case name as written in RFC 2119 (`MUST`, `SHOULD`, `MAY`).
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Must => "MUST",
            Level::Should => "SHOULD",
            Level::May => "MAY",
        }
    }
}

impl fmt::Display for Level {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How a scenario ended (DESIGN.md, "Verdicts").
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    /// Every step passed.
    Pass,
    /// A MUST was broken, or the harness itself could not run the scenario
    /// (undefined step, failing hook).
    Fail,
    /// A SHOULD or MAY was broken.
    Warn,
    /// The target does not offer what the scenario needs; always with a reason.
    Skip,
}

impl Verdict {
    /// Upper-case name: `PASS`, `FAIL`, `WARN`, `SKIP`.
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Pass => "PASS",
            Verdict::Fail => "FAIL",
            Verdict::Warn => "WARN",
            Verdict::Skip => "SKIP",
        }
    }
}

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What sort of deviation a FAIL or WARN is.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FindingKind {
    /// The server let something through that it must not (a forged token
    /// accepted, a code redeemed twice). Scenarios tagged `@security`.
    Security,
    /// The right decision in the wrong shape (a 422 where RFC 6750 asks for
    /// 401, a missing `error` field). Scenarios tagged `@format`, or findings
    /// built with [`Finding::format`].
    Format,
    /// Any other behaviour that differs from the requirement.
    #[default]
    Behaviour,
}

impl FindingKind {
    pub fn as_str(self) -> &'static str {
        match self {
            FindingKind::Security => "security",
            FindingKind::Format => "format",
            FindingKind::Behaviour => "behaviour",
        }
    }
}

impl fmt::Display for FindingKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A broken requirement: what was asked, what was expected, what came back.
///
/// Steps raise one with [`crate::steps::fail`]; the runner turns it into the
/// scenario's FAIL or WARN.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Finding {
    /// The requirement in words, e.g. "the token endpoint rejects a reused
    /// authorization code".
    pub requirement: String,
    /// What the requirement asks to see.
    pub expected: String,
    /// What the target did instead.
    pub actual: String,
    /// The step's own idea of the kind; a scenario's `@security` / `@format`
    /// tag takes precedence (see [`ScenarioOutcome::kind`]).
    #[serde(default)]
    pub kind: FindingKind,
}

impl Finding {
    /// A behaviour finding.
    pub fn new(
        requirement: impl Into<String>,
        expected: impl Into<String>,
        actual: impl Into<String>,
    ) -> Self {
        Finding {
            requirement: requirement.into(),
            expected: expected.into(),
            actual: actual.into(),
            kind: FindingKind::Behaviour,
        }
    }

    /// A security finding (something was let through).
    pub fn security(
        requirement: impl Into<String>,
        expected: impl Into<String>,
        actual: impl Into<String>,
    ) -> Self {
        Finding {
            kind: FindingKind::Security,
            ..Finding::new(requirement, expected, actual)
        }
    }

    /// A format finding (right decision, wrong shape).
    pub fn format(
        requirement: impl Into<String>,
        expected: impl Into<String>,
        actual: impl Into<String>,
    ) -> Self {
        Finding {
            kind: FindingKind::Format,
            ..Finding::new(requirement, expected, actual)
        }
    }
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}: expected {}, got {}",
            self.requirement, self.expected, self.actual
        )
    }
}

/// Status of one step as it ran.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StepStatus {
    Passed,
    Failed,
    /// The step asked to skip the scenario.
    Skipped,
    /// No step definition matches the step's text (a harness bug).
    Undefined,
    /// Not run because an earlier step failed or skipped.
    NotRun,
}

impl StepStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            StepStatus::Passed => "passed",
            StepStatus::Failed => "failed",
            StepStatus::Skipped => "skipped",
            StepStatus::Undefined => "undefined",
            StepStatus::NotRun => "not_run",
        }
    }
}

/// One step of a scenario as it ran.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StepOutcome {
    /// `Given`, `When`, `Then`, `And`… as written (trimmed).
    pub keyword: String,
    pub text: String,
    pub status: StepStatus,
}

/// How one scenario ended, and why.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ScenarioOutcome {
    /// Stable identifier `"<area>/<slug of scenario name>"` (a `-2`, `-3`…
    /// suffix tells apart scenarios of one area with the same name).
    pub id: String,
    /// The feature file's stem, e.g. `"pkce"`.
    pub area: String,
    /// The feature's title.
    pub feature: String,
    /// The scenario's title.
    pub scenario: String,
    pub level: Level,
    /// Normative sources, e.g. `"RFC 6749 §4.1.2"`.
    pub sources: Vec<String>,
    /// All tags of the scenario (feature, rule and scenario), without `@`.
    pub tags: Vec<String>,
    pub verdict: Verdict,
    /// Set for FAIL and WARN only.
    pub kind: Option<FindingKind>,
    /// Set for FAIL and WARN only.
    pub finding: Option<Finding>,
    /// Set for SKIP only.
    pub skip_reason: Option<String>,
    #[serde(rename = "duration_secs", with = "secs")]
    pub duration: Duration,
    pub steps: Vec<StepOutcome>,
    /// Rendered HTTP exchanges (secrets already redacted), oldest first.
    /// Recorded for FAIL, WARN and SKIP.
    pub evidence: Vec<String>,
}

/// PASS/FAIL/WARN/SKIP counts.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counts {
    pub pass: usize,
    pub fail: usize,
    pub warn: usize,
    pub skip: usize,
}

impl Counts {
    pub fn add(&mut self, verdict: Verdict) {
        match verdict {
            Verdict::Pass => self.pass += 1,
            Verdict::Fail => self.fail += 1,
            Verdict::Warn => self.warn += 1,
            Verdict::Skip => self.skip += 1,
        }
    }

    pub fn total(&self) -> usize {
        self.pass + self.fail + self.warn + self.skip
    }
}

/// Counts of one area (feature file).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AreaSummary {
    pub area: String,
    #[serde(flatten)]
    pub counts: Counts,
}

impl RunReport {
    /// Counts per area, areas sorted by name.
    pub fn summary(&self) -> Vec<AreaSummary> {
        let mut by_area: BTreeMap<&str, Counts> = BTreeMap::new();
        for s in &self.scenarios {
            by_area.entry(&s.area).or_default().add(s.verdict);
        }
        by_area
            .into_iter()
            .map(|(area, counts)| AreaSummary {
                area: area.to_owned(),
                counts,
            })
            .collect()
    }

    /// Counts over the whole run.
    pub fn totals(&self) -> Counts {
        let mut c = Counts::default();
        for s in &self.scenarios {
            c.add(s.verdict);
        }
        c
    }

    /// The verdict of the run as a whole: FAIL if any scenario failed, else
    /// WARN if any warned, else PASS (a run of only skips is a PASS: nothing
    /// was found wrong).
    pub fn overall(&self) -> Verdict {
        let t = self.totals();
        if t.fail > 0 {
            Verdict::Fail
        } else if t.warn > 0 {
            Verdict::Warn
        } else {
            Verdict::Pass
        }
    }

    /// Process exit code (DESIGN.md, "Command line"): 0 when no scenario
    /// failed (and, with `strict`, none warned), else 1.
    pub fn exit_code(&self, strict: bool) -> u8 {
        let t = self.totals();
        if t.fail > 0 || (strict && t.warn > 0) {
            1
        } else {
            0
        }
    }

    /// Scenarios with the given verdict, in report order.
    pub fn with_verdict(&self, verdict: Verdict) -> impl Iterator<Item = &ScenarioOutcome> {
        self.scenarios.iter().filter(move |s| s.verdict == verdict)
    }
}

/// Reads the requirement level from tags (without `@`). `None` if no level
/// tag is present; the first one wins if several are.
pub fn level_from_tags<S: AsRef<str>>(tags: &[S]) -> Option<Level> {
    tags.iter()
        .find_map(|t| match t.as_ref().to_ascii_lowercase().as_str() {
            "must" => Some(Level::Must),
            "should" => Some(Level::Should),
            "may" => Some(Level::May),
            _ => None,
        })
}

/// Turns source tags into citations: `rfc6749-4.1.2` → `RFC 6749 §4.1.2`,
/// `rfc7636` → `RFC 7636`. Other tags are ignored; duplicates are dropped.
pub fn sources_from_tags<S: AsRef<str>>(tags: &[S]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for src in tags.iter().filter_map(|t| source_from_tag(t.as_ref())) {
        if !out.contains(&src) {
            out.push(src);
        }
    }
    out
}

fn source_from_tag(tag: &str) -> Option<String> {
    let tag = tag.strip_prefix('@').unwrap_or(tag);
    let rest = tag
        .strip_prefix("rfc")
        .or_else(|| tag.strip_prefix("RFC"))?;
    let (number, section) = match rest.split_once('-') {
        Some((n, s)) => (n, Some(s)),
        None => (rest, None),
    };
    if number.is_empty() || !number.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    match section {
        None => Some(format!("RFC {number}")),
        Some(s) if !s.is_empty() && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'.') => {
            Some(format!("RFC {number} §{s}"))
        }
        Some(_) => None,
    }
}

/// The kind of a FAIL/WARN: a `@security` tag makes it [`FindingKind::Security`],
/// a `@format` tag [`FindingKind::Format`]; otherwise the finding's own kind.
pub fn kind_from_tags<S: AsRef<str>>(tags: &[S], finding: Option<&Finding>) -> FindingKind {
    let has = |name: &str| tags.iter().any(|t| t.as_ref().eq_ignore_ascii_case(name));
    if has("security") {
        FindingKind::Security
    } else if has("format") {
        FindingKind::Format
    } else {
        finding.map(|f| f.kind).unwrap_or_default()
    }
}

/// Lower-case slug of a scenario name: letters and digits kept, every other
/// run of characters becomes one `-`.
pub fn slug(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut dash = false;
    for c in name.chars() {
        if c.is_alphanumeric() {
            if dash && !out.is_empty() {
                out.push('-');
            }
            dash = false;
            out.extend(c.to_lowercase());
        } else {
            dash = true;
        }
    }
    if out.is_empty() {
        "scenario".to_owned()
    } else {
        out
    }
}

/// Formats a [`std::time::SystemTime`] as RFC 3339 in UTC, to the second.
pub fn rfc3339(t: std::time::SystemTime) -> String {
    let secs = match t.duration_since(std::time::UNIX_EPOCH) {
        Ok(d) => d.as_secs() as i64,
        Err(e) => -(e.duration().as_secs() as i64),
    };
    let days = secs.div_euclid(86_400);
    let sod = secs.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        sod / 3600,
        (sod % 3600) / 60,
        sod % 60
    )
}

// Howard Hinnant's days-to-civil algorithm.
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// Serde helper: a [`Duration`] as fractional seconds (millisecond precision).
pub mod secs {
    use std::time::Duration;

    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_f64((d.as_millis() as f64) / 1000.0)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
        let v = f64::deserialize(d)?;
        if !v.is_finite() || v < 0.0 {
            return Err(serde::de::Error::custom(
                "duration must be a non-negative number",
            ));
        }
        Ok(Duration::from_secs_f64(v))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sources() {
        let tags = [
            "must",
            "rfc6749-4.1.2",
            "rfc9700-4.14.2",
            "rfc7636",
            "rfcx",
            "rfc1-",
        ];
        assert_eq!(
            sources_from_tags(&tags),
            vec!["RFC 6749 §4.1.2", "RFC 9700 §4.14.2", "RFC 7636"]
        );
    }

    #[test]
    fn levels_and_slugs() {
        assert_eq!(level_from_tags(&["rfc1", "should"]), Some(Level::Should));
        assert_eq!(level_from_tags::<&str>(&[]), None);
        assert_eq!(
            slug("A code is redeemed  twice (S256)!"),
            "a-code-is-redeemed-twice-s256"
        );
        assert_eq!(slug("%%"), "scenario");
    }

    #[test]
    fn rfc3339_format() {
        let t = std::time::UNIX_EPOCH + Duration::from_secs(1_714_564_800);
        assert_eq!(rfc3339(t), "2024-05-01T12:00:00Z");
        assert_eq!(rfc3339(std::time::UNIX_EPOCH), "1970-01-01T00:00:00Z");
    }
}
