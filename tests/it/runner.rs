//! The scenario runner against the fixture features in
//! `tests/fixtures/features/` (steps from `src/steps/smoke.rs`).

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;

use oauthspec::report::{FindingKind, Level, RunReport, StepStatus, Verdict};
use oauthspec::runner::{self, FeatureSource, Progress, RunContext, RunError, RunOptions};

fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/features")
}

fn options() -> RunOptions {
    RunOptions {
        progress: Progress::Never,
        ..RunOptions::default()
    }
}

fn ctx() -> Arc<RunContext> {
    Arc::new(RunContext::new("fixture", "http://127.0.0.1:9"))
}

async fn run(tags: Option<&str>) -> RunReport {
    runner::run(
        FeatureSource::Dir(fixtures()),
        ctx(),
        tags.map(str::to_owned),
        &options(),
    )
    .await
    .expect("the fixture run completes")
}

fn verdicts(r: &RunReport) -> BTreeMap<&str, Verdict> {
    r.scenarios
        .iter()
        .map(|s| (s.id.as_str(), s.verdict))
        .collect()
}

#[tokio::test]
async fn every_scenario_gets_the_right_verdict() {
    let r = run(None).await;
    let expected: BTreeMap<&str, Verdict> = [
        ("harness/a-plain-panic-is-a-harness-error", Verdict::Error),
        ("harness/a-step-that-hangs-is-cut-off", Verdict::Error),
        ("harness/an-error-result-is-a-harness-error", Verdict::Error),
        (
            "harness/an-undefined-step-is-a-harness-error-even-in-a-should",
            Verdict::Error,
        ),
        ("harness/outlines-get-distinct-ids", Verdict::Pass),
        ("harness/outlines-get-distinct-ids-2", Verdict::Pass),
        (
            "smoke/a-broken-may-is-not-offered-never-a-warning",
            Verdict::Skip,
        ),
        ("smoke/a-broken-must-fails", Verdict::Fail),
        ("smoke/a-broken-should-warns", Verdict::Warn),
        (
            "smoke/a-finding-while-setting-up-is-an-error-not-a-failure",
            Verdict::Error,
        ),
        ("smoke/a-forged-token-is-rejected", Verdict::Fail),
        ("smoke/a-kept-should-passes", Verdict::Pass),
        ("smoke/a-missing-capability-skips", Verdict::Skip),
        (
            "smoke/a-profile-gap-skips-with-the-change-that-would-run-it",
            Verdict::Skip,
        ),
        (
            "smoke/a-refusal-in-the-wrong-shape-stays-a-format-finding-in-a-security-scenario",
            Verdict::Fail,
        ),
        (
            "smoke/a-setup-that-cannot-be-done-is-an-error",
            Verdict::Error,
        ),
        ("smoke/adding-works", Verdict::Pass),
    ]
    .into_iter()
    .collect();
    assert_eq!(verdicts(&r), expected);
    assert_eq!(r.exit_code(false), 1, "a FAIL wins over the errors");
    assert_eq!(r.exit_code(true), 1);

    // Report order: by area, then by position in the file.
    let ids: Vec<&str> = r.scenarios.iter().map(|s| s.id.as_str()).collect();
    assert_eq!(
        ids[0],
        "harness/an-undefined-step-is-a-harness-error-even-in-a-should"
    );
    assert_eq!(ids[6], "smoke/adding-works");

    let t = r.totals();
    assert_eq!((t.pass, t.fail, t.warn, t.skip, t.error), (4, 3, 1, 3, 6));
    assert_eq!(r.target.name, "fixture");
    assert_eq!(r.schema_version, "oauthspec/results/v2");
}

#[tokio::test]
async fn outcomes_carry_levels_sources_findings_and_evidence() {
    let r = run(None).await;
    let by_id = |id: &str| r.scenarios.iter().find(|s| s.id == id).expect(id);

    let pass = by_id("smoke/adding-works");
    assert_eq!(pass.level, Level::Must);
    assert_eq!(pass.sources, vec!["RFC 6749 §4.1.2"]);
    assert_eq!(
        pass.rule,
        "RFC 6749 §4.1.2: \"code REQUIRED.\"\nAccepted: 3."
    );
    assert!(pass.finding.is_none() && pass.kind.is_none() && pass.not_reached.is_none());
    let statuses: Vec<StepStatus> = pass.steps.iter().map(|s| s.status).collect();
    assert_eq!(
        statuses,
        vec![StepStatus::Passed; 3],
        "background + 2 steps"
    );

    let fail = by_id("smoke/a-broken-must-fails");
    let f = fail.finding.as_ref().expect("finding");
    assert_eq!(f.requirement, "the sum is right");
    assert_eq!((f.expected.as_str(), f.actual.as_str()), ("4", "3"));
    assert_eq!(fail.kind, Some(FindingKind::Behaviour));
    assert_eq!(
        fail.evidence,
        vec!["POST /token HTTP/1.1\nHost: example\n\nHTTP/1.1 200 OK"]
    );
    let statuses: Vec<StepStatus> = fail.steps.iter().map(|s| s.status).collect();
    assert_eq!(
        statuses,
        vec![
            StepStatus::Passed,
            StepStatus::Passed,
            StepStatus::Passed,
            StepStatus::Failed,
            StepStatus::NotRun
        ]
    );

    let warn = by_id("smoke/a-broken-should-warns");
    assert_eq!(warn.level, Level::Should);
    assert_eq!(warn.sources, vec!["RFC 9700 §4.14.2"]);

    let may = by_id("smoke/a-broken-may-is-not-offered-never-a-warning");
    assert!(may.reason().unwrap().contains("optional (MAY)"), "{may:?}");

    let skip = by_id("smoke/a-missing-capability-skips");
    assert_eq!(
        skip.reason(),
        Some("the target does not offer dynamic client registration")
    );
    assert_eq!(skip.fix(), None);
    assert!(skip.finding.is_none());
    assert_eq!(
        skip.steps.last().map(|s| s.status),
        Some(StepStatus::NotRun)
    );
    let gap = by_id("smoke/a-profile-gap-skips-with-the-change-that-would-run-it");
    assert_eq!(gap.fix(), Some("add second client to the profile"));

    let setup = by_id("smoke/a-setup-that-cannot-be-done-is-an-error");
    assert_eq!(setup.reason(), Some("registration answered 500"));
    assert!(setup.finding.is_none() && setup.kind.is_none());

    // A Given step can never FAIL the server, whatever it raises.
    let given = by_id("smoke/a-finding-while-setting-up-is-an-error-not-a-failure");
    assert_eq!(given.verdict, Verdict::Error);
    assert!(
        given
            .reason()
            .unwrap()
            .starts_with("a precondition did not hold"),
        "{given:?}"
    );

    let sec = by_id("smoke/a-forged-token-is-rejected");
    assert_eq!(sec.kind, Some(FindingKind::Security));
    assert_eq!(
        sec.finding.as_ref().map(|f| f.expected.as_str()),
        Some("401 Unauthorized")
    );
    // The @security tag does not turn a format finding into a security one.
    let shape =
        by_id("smoke/a-refusal-in-the-wrong-shape-stays-a-format-finding-in-a-security-scenario");
    assert_eq!(shape.kind, Some(FindingKind::Format));

    let undefined = by_id("harness/an-undefined-step-is-a-harness-error-even-in-a-should");
    assert_eq!(undefined.level, Level::Should);
    assert!(
        undefined
            .steps
            .iter()
            .any(|s| s.status == StepStatus::Undefined)
    );
    assert!(undefined.reason().unwrap().contains("harness bug"));

    let hang = by_id("harness/a-step-that-hangs-is-cut-off");
    assert_eq!(hang.level, Level::May);
    assert!(hang.reason().unwrap().contains("did not complete"));
    assert!(
        hang.duration.as_millis() < 4000,
        "the step timeout cut the 5 s wait"
    );

    let panic = by_id("harness/a-plain-panic-is-a-harness-error");
    assert!(panic.reason().unwrap().contains("boom <&> \"quoted\""));
    let err = by_id("harness/an-error-result-is-a-harness-error");
    assert!(err.reason().unwrap().contains("no route to host"));
    // Feature tags are inherited.
    assert!(err.tags.iter().any(|t| t == "slow"));
}

#[tokio::test]
async fn a_run_that_checked_nothing_or_could_not_set_up_is_not_a_pass() {
    // Only SKIPs: nothing was checked.
    let r = run(Some("@rfc7591")).await;
    assert_eq!(r.totals().checked(), 0);
    assert_eq!(r.exit_code(false), 3);
    assert_eq!(r.overall(), Verdict::Error);
    // PASSes and an ERROR, no FAIL: the harness could not check everything.
    let r = run(Some("@rfc6749-4.1.2 or @slow")).await;
    assert_eq!(r.totals().fail, 0);
    assert!(r.totals().error > 0);
    assert_eq!(r.exit_code(false), 3);
    // A coverage floor.
    let r = run(Some("@rfc6749-4.1.2 or @rfc7591")).await;
    assert_eq!(r.exit_code(false), 0, "one PASS, one SKIP");
    let policy = |floor| oauthspec::report::model::ExitPolicy {
        strict: false,
        min_checked_percent: Some(floor),
    };
    assert_eq!(r.exit_code_with(policy(50.0)), 0);
    assert_eq!(r.exit_code_with(policy(60.0)), 3);
}

#[tokio::test]
async fn tag_expressions_select_scenarios_and_strict_turns_warnings_into_failures() {
    let r = run(Some("@should and not @slow")).await;
    assert_eq!(
        verdicts(&r),
        [
            ("smoke/a-broken-should-warns", Verdict::Warn),
            ("smoke/a-kept-should-passes", Verdict::Pass)
        ]
        .into_iter()
        .collect()
    );
    assert_eq!(r.exit_code(false), 0);
    assert_eq!(r.exit_code(true), 1);

    let r = run(Some("@rfc6749-4.1.2 or @rfc7591")).await;
    assert_eq!(
        verdicts(&r),
        [
            ("smoke/adding-works", Verdict::Pass),
            ("smoke/a-missing-capability-skips", Verdict::Skip)
        ]
        .into_iter()
        .collect()
    );
    assert_eq!(r.exit_code(false), 0);
    assert_eq!(
        r.exit_code(true),
        0,
        "a skip is not a failure, even when strict"
    );
}

#[tokio::test]
async fn bad_input_is_a_typed_error() {
    let bad_tags = runner::run(
        FeatureSource::Dir(fixtures()),
        ctx(),
        Some("@must and and".into()),
        &options(),
    )
    .await;
    assert!(
        matches!(bad_tags, Err(RunError::BadTags { .. })),
        "{bad_tags:?}"
    );

    let missing = runner::run(
        FeatureSource::Dir(fixtures().join("nope")),
        ctx(),
        None,
        &options(),
    )
    .await;
    assert!(
        matches!(missing, Err(RunError::FeaturesDir { .. })),
        "{missing:?}"
    );

    let nothing = runner::run(
        FeatureSource::Dir(fixtures()),
        ctx(),
        Some("@nope".into()),
        &options(),
    )
    .await;
    assert!(
        matches!(nothing, Err(RunError::NoScenarios { .. })),
        "{nothing:?}"
    );

    let unparsable = runner::run(
        FeatureSource::Texts(vec![(
            "broken.feature".into(),
            "this is not gherkin\n".into(),
        )]),
        ctx(),
        None,
        &options(),
    )
    .await;
    assert!(
        matches!(unparsable, Err(RunError::Parse { .. })),
        "{unparsable:?}"
    );

    let empty = tempfile::tempdir().unwrap();
    let none = runner::run(
        FeatureSource::Dir(empty.path().to_owned()),
        ctx(),
        None,
        &options(),
    )
    .await;
    assert!(matches!(none, Err(RunError::NoFeatures { .. })), "{none:?}");
}

#[tokio::test]
async fn in_memory_features_reach_the_run_context() {
    let text = "Feature: Context\n\n  @must\n  Scenario: The world knows its target\n    Then smoke: the target is named \"fixture\"\n";
    let r = runner::run(
        FeatureSource::Texts(vec![("context.feature".into(), text.into())]),
        ctx(),
        None,
        &options(),
    )
    .await
    .unwrap();
    assert_eq!(
        verdicts(&r),
        [("context/the-world-knows-its-target", Verdict::Pass)]
            .into_iter()
            .collect()
    );
    assert_eq!(r.exit_code(true), 0);
}

#[test]
fn the_embedded_spec_is_the_features_directory() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("features");
    let mut on_disk: Vec<String> = std::fs::read_dir(&dir)
        .map(|rd| {
            rd.flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|n| n.ends_with(".feature"))
                .collect()
        })
        .unwrap_or_default();
    on_disk.sort();
    let embedded: Vec<String> = runner::features::embedded()
        .iter()
        .map(|(n, _)| (*n).to_owned())
        .collect();
    assert_eq!(embedded, on_disk);
    for (name, text) in runner::features::embedded() {
        assert_eq!(std::fs::read_to_string(dir.join(name)).unwrap(), *text);
    }
}

/// A third-party target that cannot be discovered is named as itself (not as the bundled
/// server), with exit 3, and no log record reaches the terminal unless OAUTHSPEC_LOG asks.
#[test]
fn an_unreachable_target_is_named_and_logs_stay_out() {
    let dir = tempfile::tempdir().unwrap();
    let profile = dir.path().join("keycloak.toml");
    // Port 9 (discard) on loopback: nothing listens.
    std::fs::write(
        &profile,
        "name = \"my-keycloak\"\nissuer = \"http://127.0.0.1:9\"\n\n[[clients]]\nid = \"a\"\nsecret = \"s\"\ngrant_types = [\"client_credentials\"]\n",
    )
    .unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_oauthspec"))
        .args(["check", "--target"])
        .arg(&profile)
        .env_remove("OAUTHSPEC_LOG")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    assert!(
        stderr.starts_with(
            "error: the target could not be reached: target my-keycloak cannot be discovered"
        ),
        "{stderr}"
    );
    assert!(!stderr.contains("bundled"), "{stderr}");
    assert!(
        !stderr.contains(" WARN ") && !stderr.contains(" INFO ") && !stderr.contains(" ERROR "),
        "{stderr}"
    );
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
}
