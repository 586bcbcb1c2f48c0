//! `summary.md` from fixed input, compared with `tests/fixtures/summary.md`.
//! `UPDATE_GOLDEN=1 cargo test -p oauthspec-load --test summary_golden` rewrites it.

use std::time::{Duration, Instant};

use oauthspec_load::check::{Failure, FailureKind};
use oauthspec_load::stats::Recorder;
use oauthspec_load::{Summary, Threshold};

fn recorded() -> Recorder {
    let rec = Recorder::new();
    let t0 = Instant::now();
    // 1000 measured requests of 1..=1000 µs, ending over exactly 2 s.
    for i in 1..=1000u64 {
        let failure = (i % 250 == 0)
            .then(|| Failure::new(FailureKind::Status(401), "status 401 error=invalid_client"));
        let end = t0 + Duration::from_millis(2 * i);
        rec.record(
            "token client_credentials",
            false,
            Duration::from_micros(i),
            end,
            failure.as_ref(),
        );
    }
    rec.record(
        "token client_credentials",
        false,
        Duration::from_micros(1),
        t0 + Duration::from_micros(1),
        Some(&Failure::new(
            FailureKind::ContentType,
            "content type text/html where application/json is required",
        )),
    );
    // Setup requests are listed apart.
    rec.record(
        "walk GET /authorize",
        true,
        Duration::from_millis(3),
        t0,
        None,
    );
    rec.race(1, Some(("a0", Some("r0"))));
    rec.race(1, None);
    rec.race(1, None);
    // Every winner of round 2 got the same pair; round 3 minted one pair per winner.
    rec.race(2, Some(("a1", Some("r1"))));
    rec.race(2, Some(("a1", Some("r1"))));
    rec.race(3, Some(("a2", Some("r2"))));
    rec.race(3, Some(("a3", Some("r3"))));
    rec
}

#[test]
fn summary_md_matches_the_golden_file() {
    let baseline = Recorder::new();
    let t0 = Instant::now();
    for i in 1..=4000u64 {
        baseline.record(
            "ceiling GET /oauthspec-ceiling",
            false,
            Duration::from_micros(200),
            t0 + Duration::from_micros(500 * i),
            None,
        );
    }
    let rec = recorded();
    let snapshot = rec.snapshot();
    let figures = oauthspec_load::summary::Figures::of(&snapshot);
    let thresholds: Vec<Threshold> = ["p95<50ms", "error-rate<0.1%", "rps>=1000"]
        .iter()
        .map(|t| t.parse().unwrap())
        .collect();
    let summary = Summary {
        profile: "client-credentials".into(),
        target: "bundled reference server at http://127.0.0.1:40000".into(),
        started: "2026-11-22T10:00:00Z".into(),
        users: 8,
        run_time: Duration::from_secs(2),
        verdicts: Summary::evaluate(&thresholds, &figures),
        snapshot,
        baseline: Some((
            "GET http://127.0.0.1:40001/oauthspec-ceiling".into(),
            baseline.snapshot(),
        )),
        baseline_missing: None,
        notes: vec!["reference server: own process (pid 1), EdDSA signing, RSS at the end 20.0 MB, peak 21.0 MB".into()],
        files: vec!["report.html".into(), "report.json".into()],
        interrupted: false,
    };
    assert!(
        !summary.passed(),
        "error-rate and rps miss, and round 2 had two winners"
    );
    let rendered = summary.render();
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/summary.md");
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::write(&path, &rendered).unwrap();
    }
    let golden =
        std::fs::read_to_string(&path).expect("the golden file (UPDATE_GOLDEN=1 writes it)");
    assert_eq!(
        rendered,
        golden,
        "summary.md differs from {}",
        path.display()
    );
}

/// A run within 20% of the generator's own ceiling is flagged generator-bound, at the top
/// and under the ceiling; one further from it is not.
#[test]
fn a_run_close_to_the_generator_ceiling_is_flagged() {
    let summary_at = |ceiling_every_us: u64| {
        let ceiling = Recorder::new();
        let t0 = Instant::now();
        for i in 1..=1000u64 {
            ceiling.record(
                "ceiling GET /oauthspec-ceiling",
                false,
                Duration::from_micros(100),
                t0 + Duration::from_micros(ceiling_every_us * i),
                None,
            );
        }
        let rec = recorded();
        Summary {
            profile: "client-credentials".into(),
            target: "t".into(),
            started: "2026-11-22T10:00:00Z".into(),
            users: 8,
            run_time: Duration::from_secs(2),
            verdicts: Vec::new(),
            snapshot: rec.snapshot(),
            baseline: Some(("GET /oauthspec-ceiling".into(), ceiling.snapshot())),
            baseline_missing: None,
            notes: Vec::new(),
            files: Vec::new(),
            interrupted: false,
        }
    };
    // The run measures 500.5 req/s: a ceiling of ~550 req/s is within 20%, ~2000 is not.
    let close = summary_at(1818).render();
    assert!(close.contains("- generator-bound: 9"), "{close}");
    assert!(close.contains("**Generator-bound**"), "{close}");
    let far = summary_at(500).render();
    assert!(!far.contains("enerator-bound"), "{far}");
}
