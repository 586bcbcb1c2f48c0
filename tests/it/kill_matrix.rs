//! The kill matrix (issue 4): the spec run against the reference server
//! once per fault. Every fault must be caught by a scenario of its own
//! area, and the clean server must pass every scenario. The matrix is
//! written to `target/kill-matrix.md` for the CI log and artifacts.

use oauthspec::matrix;
use oauthspec::runner::FeatureSource;
use oauthspec_reference_server::Fault;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_fault_is_caught_by_its_own_area_and_the_clean_server_passes() {
    let m = matrix::build(Fault::ALL, FeatureSource::Embedded, 8)
        .await
        .expect("the matrix runs");
    let md = m.to_markdown();
    let out = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("kill-matrix.md");
    std::fs::write(&out, &md).expect("write the matrix");
    assert!(
        m.clean.caught,
        "the clean reference server fails scenarios: {:?}",
        m.clean.failing
    );
    assert!(
        Fault::ALL.len() >= 30,
        "issue 4 asks for at least 30 faults"
    );
    let holes: Vec<_> = m
        .uncaught()
        .iter()
        .map(|r| r.fault.clone().unwrap_or_default())
        .collect();
    assert!(
        holes.is_empty(),
        "faults no scenario of their area catches: {holes:?}\n\n{md}"
    );
    for row in &m.rows {
        assert_eq!(row.exit_code, 1, "{:?} must make the run fail", row.fault);
    }
}
