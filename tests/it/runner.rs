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
        ("harness/a-plain-panic-fails", Verdict::Fail),
        ("harness/a-step-that-hangs-is-cut-off", Verdict::Warn),
        ("harness/an-error-result-fails", Verdict::Fail),
        (
            "harness/an-undefined-step-fails-even-in-a-should",
            Verdict::Fail,
        ),
        ("harness/outlines-get-distinct-ids", Verdict::Pass),
        ("harness/outlines-get-distinct-ids-2", Verdict::Pass),
        ("smoke/a-broken-must-fails", Verdict::Fail),
        ("smoke/a-broken-should-warns", Verdict::Warn),
        ("smoke/a-forged-token-is-rejected", Verdict::Fail),
        ("smoke/a-kept-should-passes", Verdict::Pass),
        ("smoke/a-missing-capability-skips", Verdict::Skip),
        ("smoke/adding-works", Verdict::Pass),
    ]
    .into_iter()
    .collect();
    assert_eq!(verdicts(&r), expected);
    assert_eq!(r.exit_code(false), 1);
    assert_eq!(r.exit_code(true), 1);

    // Report order: by area, then by position in the file.
    let ids: Vec<&str> = r.scenarios.iter().map(|s| s.id.as_str()).collect();
    assert_eq!(ids[0], "harness/an-undefined-step-fails-even-in-a-should");
    assert_eq!(ids[6], "smoke/adding-works");

    let t = r.totals();
    assert_eq!((t.pass, t.fail, t.warn, t.skip), (4, 5, 2, 1));
    assert_eq!(r.target.name, "fixture");
    assert_eq!(r.schema_version, "oauthspec/results/v1");
}

#[tokio::test]
async fn outcomes_carry_levels_sources_findings_and_evidence() {
    let r = run(None).await;
    let by_id = |id: &str| r.scenarios.iter().find(|s| s.id == id).expect(id);

    let pass = by_id("smoke/adding-works");
    assert_eq!(pass.level, Level::Must);
    assert_eq!(pass.sources, vec!["RFC 6749 §4.1.2"]);
    assert!(pass.finding.is_none() && pass.kind.is_none());
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

    let skip = by_id("smoke/a-missing-capability-skips");
    assert_eq!(
        skip.skip_reason.as_deref(),
        Some("the target does not offer dynamic client registration")
    );
    assert!(skip.finding.is_none());
    assert_eq!(
        skip.steps.last().map(|s| s.status),
        Some(StepStatus::NotRun)
    );

    let sec = by_id("smoke/a-forged-token-is-rejected");
    assert_eq!(sec.kind, Some(FindingKind::Security));
    assert_eq!(
        sec.finding.as_ref().map(|f| f.expected.as_str()),
        Some("401 Unauthorized")
    );

    let undefined = by_id("harness/an-undefined-step-fails-even-in-a-should");
    assert_eq!(undefined.level, Level::Should);
    assert!(
        undefined
            .steps
            .iter()
            .any(|s| s.status == StepStatus::Undefined)
    );
    assert!(
        undefined
            .finding
            .as_ref()
            .unwrap()
            .requirement
            .contains("harness bug")
    );

    let hang = by_id("harness/a-step-that-hangs-is-cut-off");
    assert_eq!(hang.level, Level::May);
    assert!(hang.finding.as_ref().unwrap().actual.contains("timed out"));
    assert!(
        hang.duration.as_millis() < 4000,
        "the step timeout cut the 5 s wait"
    );

    let panic = by_id("harness/a-plain-panic-fails");
    assert_eq!(
        panic.finding.as_ref().unwrap().actual,
        "boom <&> \"quoted\""
    );
    let err = by_id("harness/an-error-result-fails");
    assert_eq!(err.finding.as_ref().unwrap().actual, "no route to host");
    // Feature tags are inherited.
    assert!(err.tags.iter().any(|t| t == "slow"));
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
