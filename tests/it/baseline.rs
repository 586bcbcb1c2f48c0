//! `check --baseline` end to end with the real binary against the bundled server: a run
//! with a fault, its baseline written by `oauthspec baseline`, then the same fault accepted
//! (exit 0), the fault gone (its entries stale: exit 1), and a broken baseline file (exit 2,
//! with line and field, before anything runs).

use std::path::Path;
use std::process::{Command, Output};

const FAULT: &str = "upstream-id-token-signature-not-verified";

fn oauthspec(args: &[&str], dir: &Path) -> Output {
    let out = Command::new(env!("CARGO_BIN_EXE_oauthspec"))
        .args(args)
        .current_dir(dir)
        .env("OAUTHSPEC_LOG", "warn")
        .output()
        .expect("oauthspec runs");
    eprintln!(
        "oauthspec {args:?}: {:?}\n{}\n{}",
        out.status.code(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

#[test]
fn a_baseline_accepts_known_failures_and_goes_stale_when_they_are_fixed() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let check = |extra: &[&str], report: &str| {
        let mut args = vec!["check", "--tags", "@upstream_login", "--report-dir", report];
        args.extend_from_slice(extra);
        oauthspec(&args, dir)
    };

    let out = check(&["--fault", FAULT], "first");
    assert_eq!(out.status.code(), Some(1), "the fault FAILs");
    let out = oauthspec(
        &["baseline", "first/results.json", "--out", "baseline.toml"],
        dir,
    );
    assert_eq!(out.status.code(), Some(0));
    let text = std::fs::read_to_string(dir.join("baseline.toml")).unwrap();
    assert!(text.starts_with("# oauthspec baseline"), "{text}");
    assert_eq!(text.matches("[[accepted]]").count(), 2, "{text}");

    let out = check(
        &["--fault", FAULT, "--baseline", "baseline.toml"],
        "accepted",
    );
    assert_eq!(out.status.code(), Some(0), "the same failures are accepted");
    let md = std::fs::read_to_string(dir.join("accepted/baseline.md")).unwrap();
    assert!(md.contains("**PASS**") && md.contains("2 accepted"), "{md}");

    let out = check(&["--baseline", "baseline.toml"], "fixed");
    assert_eq!(
        out.status.code(),
        Some(1),
        "fixed failures make the baseline stale"
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(stdout.matches("STALE ").count(), 2, "{stdout}");
    assert!(stdout.contains("passes now"), "{stdout}");

    std::fs::write(
        dir.join("bad.toml"),
        "version = 1\n\n[[accepted]]\nscenario = \"pkce/x\"\nverdict = \"pass\"\n",
    )
    .unwrap();
    let out = check(&["--baseline", "bad.toml"], "bad");
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("bad.toml:5: accepted[0].verdict: a PASS needs no accepting"),
        "{err}"
    );
    assert!(!dir.join("bad").exists(), "nothing ran");
}
