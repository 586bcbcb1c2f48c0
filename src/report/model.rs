//! The outcome model of one `oauthspec check` run: what every report writer
//! renders. It is plain data (serde), built by the scenario runner and
//! independent of cucumber.

use std::collections::BTreeMap;
use std::fmt;
use std::time::Duration;

use serde::{Deserialize, Serialize};

pub use super::sources::{level_from_tags, source_url, sources_from_tags};
pub use super::text::{KEPT_TEXT, bounded, rfc3339, slug};

/// Identifier of the results schema, written as `"schema"` in `results.json`.
/// v2 added the ERROR verdict, `reason`/`fix` (replacing v1's `skip_reason`),
/// `rule`, `controls` and evidence on every verdict.
pub const SCHEMA_VERSION: &str = "oauthspec/results/v2";

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
    /// The profile turned certificate verification off (`[tls] insecure_skip_verify`): every
    /// report says so, loudly. Absent from `results.json` when false.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub tls_verification_off: bool,
}

/// What every report says when [`TargetInfo::tls_verification_off`] is set.
pub const TLS_OFF_WARNING: &str = "TLS certificate verification was OFF ([tls] insecure_skip_verify = true): the harness could not tell the target from an impostor, so no verdict here proves the real server answered";

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

/// How a scenario ended (README, "Verdicts").
///
/// Only [`Verdict::Fail`] and [`Verdict::Warn`] say something about the
/// server, and only because a When or Then step saw it break the rule.
/// [`Verdict::Skip`] and [`Verdict::Error`] say the rule was never reached.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    /// The rule held, shown by the scenario's own exchanges (and, for a
    /// refusal, after a positive control in the same scenario).
    Pass,
    /// A MUST was broken by the server.
    Fail,
    /// A SHOULD was broken by the server.
    Warn,
    /// The target (or its profile) does not offer what the scenario needs;
    /// always with the reason and, when there is one, the profile change
    /// that would run it.
    Skip,
    /// The scenario could not be set up, so its rule was never checked: a
    /// login page the harness cannot use, a registration or setup request
    /// that failed, a host the profile does not allow, a control that did
    /// not hold, a harness bug. Never the server's verdict; JUnit `<error>`.
    Error,
}

impl Verdict {
    /// Upper-case name: `PASS`, `FAIL`, `WARN`, `SKIP`, `ERROR`.
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Pass => "PASS",
            Verdict::Fail => "FAIL",
            Verdict::Warn => "WARN",
            Verdict::Skip => "SKIP",
            Verdict::Error => "ERROR",
        }
    }

    /// Whether the scenario reached its rule (PASS, FAIL or WARN).
    pub fn checked(self) -> bool {
        matches!(self, Verdict::Pass | Verdict::Fail | Verdict::Warn)
    }
}

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What sort of deviation a FAIL or WARN is. It comes from what happened,
/// never from the scenario's tags: a `@security` scenario whose server
/// refused in the wrong shape has a format finding.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FindingKind {
    /// The server granted or accepted what it had to refuse (a forged token
    /// accepted, a code redeemed twice). Built with [`Finding::security`].
    Security,
    /// The server refused, but not in the shape the RFC asks (a 422 where
    /// RFC 6750 asks for 401, a missing `error` field). Built with
    /// [`Finding::format`].
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
    /// What happened: security (granted what it had to refuse), format
    /// (refused in the wrong shape) or behaviour; set by the step that saw
    /// it, never by the scenario's tags.
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

/// Why a scenario did not reach its rule (SKIP or ERROR), and what would
/// let it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NotReached {
    /// The cause in words ("the profile names no second client for the
    /// authorization code flow"). Scenarios with the same cause share it
    /// word for word, so reports can group them.
    pub reason: String,
    /// The profile change (or other action) that would let the scenario
    /// run, when there is one ("add a second [[clients]] entry with
    /// grant_types = [\"authorization_code\"]").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fix: Option<String>,
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
    /// The requirement as the feature file states it: the RFC sentence,
    /// quoted, and the answers the scenario accepts (the scenario's
    /// description). Empty when the feature gives none.
    #[serde(default)]
    pub rule: String,
    /// Set for FAIL and WARN only.
    pub kind: Option<FindingKind>,
    /// Set for FAIL and WARN only.
    pub finding: Option<Finding>,
    /// Set for SKIP and ERROR only.
    #[serde(default)]
    pub not_reached: Option<NotReached>,
    /// The positive controls the scenario showed before judging a refusal
    /// ("the genuine access token was accepted by GET …/api/profile: 200").
    #[serde(default)]
    pub controls: Vec<String>,
    #[serde(rename = "duration_secs", with = "secs")]
    pub duration: Duration,
    pub steps: Vec<StepOutcome>,
    /// Rendered HTTP exchanges (secrets already redacted), oldest first.
    /// Recorded for every verdict, PASS included.
    pub evidence: Vec<String>,
}

impl ScenarioOutcome {
    /// Why the scenario did not reach its rule (SKIP and ERROR).
    pub fn reason(&self) -> Option<&str> {
        self.not_reached.as_ref().map(|n| n.reason.as_str())
    }

    /// What would let it run (SKIP and ERROR), when known.
    pub fn fix(&self) -> Option<&str> {
        self.not_reached.as_ref().and_then(|n| n.fix.as_deref())
    }
}

/// PASS/FAIL/WARN/SKIP/ERROR counts.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counts {
    pub pass: usize,
    pub fail: usize,
    pub warn: usize,
    pub skip: usize,
    #[serde(default)]
    pub error: usize,
}

impl Counts {
    pub fn add(&mut self, verdict: Verdict) {
        match verdict {
            Verdict::Pass => self.pass += 1,
            Verdict::Fail => self.fail += 1,
            Verdict::Warn => self.warn += 1,
            Verdict::Skip => self.skip += 1,
            Verdict::Error => self.error += 1,
        }
    }

    pub fn total(&self) -> usize {
        self.pass + self.fail + self.warn + self.skip + self.error
    }

    /// Scenarios that reached their rule: PASS, FAIL or WARN.
    pub fn checked(&self) -> usize {
        self.pass + self.fail + self.warn
    }

    /// The share of scenarios that reached their rule, in percent (100 for
    /// an empty run).
    pub fn checked_percent(&self) -> f64 {
        if self.total() == 0 {
            100.0
        } else {
            100.0 * self.checked() as f64 / self.total() as f64
        }
    }
}

/// When a run's exit code says it failed (README, "Exit codes").
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct ExitPolicy {
    /// A broken SHOULD fails the run too.
    pub strict: bool,
    /// The run fails (exit 3) when fewer than this percentage of its
    /// scenarios reached their rule (`--min-checked`).
    pub min_checked_percent: Option<f64>,
}

/// Process exit codes (README, "Exit codes").
pub mod exit {
    /// Every checked MUST held (and every SHOULD, with `--strict`).
    pub const OK: u8 = 0;
    /// The server broke a MUST (or a SHOULD, with `--strict`).
    pub const FAILED: u8 = 1;
    /// Bad usage or an invalid target profile.
    pub const USAGE: u8 = 2;
    /// The target could not be reached, the run broke, a scenario could
    /// not be set up (ERROR), nothing could be checked, or fewer scenarios
    /// reached their rule than `--min-checked` asks.
    pub const NOT_CHECKED: u8 = 3;
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

    /// The verdict of the run as a whole: FAIL if any scenario failed; else
    /// ERROR if any could not be set up or none reached its rule; else WARN
    /// if any warned; else PASS.
    pub fn overall(&self) -> Verdict {
        let t = self.totals();
        if t.fail > 0 {
            Verdict::Fail
        } else if t.error > 0 || t.checked() == 0 {
            Verdict::Error
        } else if t.warn > 0 {
            Verdict::Warn
        } else {
            Verdict::Pass
        }
    }

    /// Process exit code with `--strict` or not and no coverage floor; see
    /// [`RunReport::exit_code_with`].
    pub fn exit_code(&self, strict: bool) -> u8 {
        self.exit_code_with(ExitPolicy {
            strict,
            min_checked_percent: None,
        })
    }

    /// Process exit code: 1 when the server broke a MUST (or a SHOULD under
    /// `strict`); else 3 when a scenario could not be set up, when nothing
    /// reached its rule, or when fewer scenarios did than the policy's
    /// floor; else 0. "Your server is wrong" (1) wins over "the harness
    /// could not check everything" (3).
    pub fn exit_code_with(&self, policy: ExitPolicy) -> u8 {
        let t = self.totals();
        if t.fail > 0 || (policy.strict && t.warn > 0) {
            return exit::FAILED;
        }
        let below_floor = policy
            .min_checked_percent
            .is_some_and(|floor| t.checked_percent() + 1e-9 < floor);
        if t.error > 0 || t.checked() == 0 || below_floor {
            return exit::NOT_CHECKED;
        }
        exit::OK
    }

    /// Scenarios with the given verdict, in report order.
    pub fn with_verdict(&self, verdict: Verdict) -> impl Iterator<Item = &ScenarioOutcome> {
        self.scenarios.iter().filter(move |s| s.verdict == verdict)
    }
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
    fn source_urls() {
        assert_eq!(
            source_url("RFC 6749 §4.1.2").as_deref(),
            Some("https://www.rfc-editor.org/rfc/rfc6749#section-4.1.2")
        );
        assert_eq!(
            source_url("RFC 7636").as_deref(),
            Some("https://www.rfc-editor.org/rfc/rfc7636")
        );
        assert_eq!(
            source_url("RFC 7515 §A.5").as_deref(),
            Some("https://www.rfc-editor.org/rfc/rfc7515#appendix-A.5")
        );
        assert_eq!(
            source_url("OpenID Connect Core §3.1.3.7").as_deref(),
            Some("https://openid.net/specs/openid-connect-core-1_0.html#rfc.section.3.1.3.7")
        );
        assert_eq!(source_url("CVE-2022-21449"), None);
        assert_eq!(source_url("RFC x §1"), None);
    }

    #[test]
    fn sources() {
        let tags = [
            "must",
            "rfc6749-4.1.2",
            "rfc9700-4.14.2",
            "rfc7636",
            "rfcx",
            "rfc1-",
            "oidc-core-3.1.3.7",
            "oidc-discovery-3",
            "oidc-nonsense-1",
            "oidc-core-",
        ];
        assert_eq!(
            sources_from_tags(&tags),
            vec![
                "RFC 6749 §4.1.2",
                "RFC 9700 §4.14.2",
                "RFC 7636",
                "OpenID Connect Core §3.1.3.7",
                "OpenID Connect Discovery §3"
            ]
        );
    }

    #[test]
    fn long_texts_are_bounded_on_a_char_boundary() {
        assert_eq!(bounded("short".into(), 10), "short");
        let long = "é".repeat(100);
        let b = bounded(long, 9);
        assert_eq!(b, "éééé… (cut; 200 bytes in all)");
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
