//! `oauthspec load` end to end: the real binary, the reference server it starts in its own
//! process, goose, and the reports. Runs are short (1 s, a few users) and bounded: these
//! tests check behaviour, never speed (timings live in load/BENCHMARKS.md).

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

fn oauthspec() -> Command {
    Command::new(env!("CARGO_BIN_EXE_oauthspec"))
}

fn load(dir: &Path, args: &[&str]) -> Output {
    let out = oauthspec()
        .arg("load")
        .args(args)
        .arg("--report-dir")
        .arg(dir)
        .env("OAUTHSPEC_LOG", "warn")
        .output()
        .expect("oauthspec runs");
    eprintln!(
        "oauthspec load {args:?}: {:?}\n{}\n{}",
        out.status.code(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

fn summary(dir: &Path) -> String {
    std::fs::read_to_string(dir.join("summary.md")).expect("summary.md is written")
}

/// The number in the `| **all measured** | N |` row.
fn measured(summary: &str) -> u64 {
    let row = summary
        .lines()
        .find(|l| l.starts_with("| **all measured** |"))
        .expect("a totals row");
    row.split('|').nth(2).unwrap().trim().parse().unwrap()
}

#[test]
fn every_profile_runs_against_the_reference_server_and_writes_its_reports() {
    let tmp = tempfile::tempdir().unwrap();
    for profile in [
        "client-credentials",
        "authorization-code",
        "refresh",
        "introspection",
        "resource",
        "mixed",
        "refresh-race",
        "healthz",
        "ceiling",
    ] {
        let dir = tmp.path().join(profile);
        // The baseline is measured once (client-credentials), the other runs skip it.
        let mut args = vec![profile, "--users", "3", "--run-time", "1s"];
        if profile != "client-credentials" {
            args.push("--no-baseline");
        }
        let out = load(&dir, &args);
        assert_eq!(out.status.code(), Some(0), "{profile}");
        let s = summary(&dir);
        assert!(
            s.starts_with(&format!("# oauthspec load: {profile}\n")),
            "{s}"
        );
        assert!(measured(&s) > 0, "{profile} measured nothing:\n{s}");
        assert!(
            s.contains("None: every answer was a valid success."),
            "{profile}:\n{s}"
        );
        assert!(s.contains("reference server: own process"), "{s}");
        for f in ["report.html", "report.json"] {
            let len = std::fs::metadata(dir.join(f)).map(|m| m.len()).unwrap_or(0);
            assert!(len > 0, "{profile}: goose's {f} is missing or empty");
        }
        let json: serde_json::Value =
            serde_json::from_slice(&std::fs::read(dir.join("report.json")).unwrap()).unwrap();
        assert!(json.is_object(), "{profile}: report.json is JSON");
        if profile == "client-credentials" {
            // The ceiling is the generator's own loopback endpoint, not the target.
            assert!(
                s.contains("/oauthspec-ceiling`, a loopback endpoint the generator serves itself"),
                "{s}"
            );
            assert!(dir.join("ceiling-report.json").exists());
        }
    }
}

#[test]
fn a_missed_threshold_exits_1_and_a_bad_one_exits_2() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("miss");
    let out = load(
        &dir,
        &[
            "client-credentials",
            "--users",
            "2",
            "--run-time",
            "1s",
            "--no-baseline",
            "--threshold",
            "rps>=100000000",
            "--threshold",
            "error-rate<0.1%",
        ],
    );
    assert_eq!(out.status.code(), Some(1));
    let s = summary(&dir);
    assert!(s.contains("| `rps>=100000000` |"), "{s}");
    assert!(s.contains("| MISSED |"), "{s}");
    assert!(s.contains("| `error-rate<0.1%` | 0.000% | pass |"), "{s}");

    let out = load(
        &tmp.path().join("bad"),
        &["client-credentials", "--threshold", "p95<50"],
    );
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("invalid threshold `p95<50` at column 7"),
        "{err}"
    );
    assert!(
        !tmp.path().join("bad").exists(),
        "nothing runs on a bad threshold"
    );

    let out = load(&tmp.path().join("bad"), &["passwords"]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn refresh_race_against_the_reference_server_has_exactly_one_winner_per_round() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("race");
    let out = load(
        &dir,
        &[
            "refresh-race",
            "--users",
            "6",
            "--run-time",
            "2s",
            "--no-baseline",
        ],
    );
    assert_eq!(out.status.code(), Some(0));
    let s = summary(&dir);
    let rounds: u64 = s
        .lines()
        .find_map(|l| l.strip_prefix("| exactly one | "))
        .and_then(|v| v.trim_end_matches(" |").parse().ok())
        .expect("the race table");
    assert!(rounds >= 1, "{s}");
    assert!(s.contains("| more than one | 0 |"), "{s}");
    assert!(s.contains("| none | 0 |"), "{s}");
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

struct Node(std::process::Child);

impl Drop for Node {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn client_credentials_against_the_oidc_provider_peer() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let peer = root.join("target/peers/oidc-provider");
    assert!(
        peer.join("node_modules").is_dir(),
        "the oidc-provider peer is not installed in {}: run scripts/install-peers",
        peer.display()
    );
    let (port, rs_port) = (free_port(), free_port());
    let _node = Node(
        Command::new("node")
            .arg(peer.join("server.mjs"))
            .env("PORT", port.to_string())
            .env("RS_PORT", rs_port.to_string())
            .stdout(std::process::Stdio::null())
            .spawn()
            .expect("node starts"),
    );
    let deadline = Instant::now() + Duration::from_secs(20);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            Instant::now() < deadline,
            "oidc-provider did not listen on {port}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    let tmp = tempfile::tempdir().unwrap();
    let profile = std::fs::read_to_string(root.join("examples/targets/oidc-provider.toml"))
        .unwrap()
        .replace("127.0.0.1:3000", &format!("127.0.0.1:{port}"))
        .replace("127.0.0.1:3001", &format!("127.0.0.1:{rs_port}"));
    let profile_path = tmp.path().join("oidc-provider.toml");
    std::fs::write(&profile_path, profile).unwrap();
    let dir = tmp.path().join("peer");
    let out = load(
        &dir,
        &[
            "client-credentials",
            "--target",
            profile_path.to_str().unwrap(),
            "--users",
            "2",
            "--run-time",
            "1s",
        ],
    );
    assert_eq!(out.status.code(), Some(0));
    let s = summary(&dir);
    assert!(measured(&s) > 0, "{s}");
    assert!(s.contains("None: every answer was a valid success."), "{s}");
    // The ceiling needs nothing of the target (oidc-provider has no /healthz).
    assert!(
        s.contains("/oauthspec-ceiling`, a loopback endpoint"),
        "{s}"
    );
}

/// `oauthspec load` run by the binary, off the async runtime (the fixture's
/// server runs on it).
async fn load_async(dir: &Path, args: &[&str]) -> Output {
    let (dir, args): (PathBuf, Vec<String>) = (
        dir.to_owned(),
        args.iter().map(|a| (*a).to_owned()).collect(),
    );
    tokio::task::spawn_blocking(move || {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        load(&dir, &args)
    })
    .await
    .expect("the load ran")
}

/// Issue 14: a run where requests fail is never green. A target that refuses
/// the load's client outright is a setup error before the run (exit 3, the
/// clients entry named); one that starts failing half the token requests
/// during the run misses the default error-rate<1% threshold (exit 1, the
/// summary says why), unless --allow-errors drops it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_run_where_requests_fail_is_never_green() {
    use super::fixtures::{self, Outgoing};
    use axum::http::StatusCode;
    use std::sync::atomic::{AtomicU64, Ordering};

    let tmp = tempfile::tempdir().unwrap();
    let seen = std::sync::Arc::new(AtomicU64::new(0));
    let counter = seen.clone();
    let server = fixtures::shaped_reference(
        oauthspec_reference_server::Settings::default(),
        move |behind, req| {
            let n = if req.target.starts_with("/token") {
                counter.fetch_add(1, Ordering::Relaxed)
            } else {
                0
            };
            async move {
                // The probe's request goes through; then every other one fails.
                if n >= 1 && n % 2 == 1 {
                    return Outgoing::new(
                        StatusCode::INTERNAL_SERVER_ERROR,
                        "application/json",
                        r#"{"error":"server_error"}"#,
                    );
                }
                behind.send(&req).await
            }
        },
    )
    .await;
    let profile = tmp.path().join("flaky.toml");
    std::fs::write(&profile, fixtures::reference_profile(&server.url, &[], "")).unwrap();
    let target = profile.to_str().unwrap();
    let common = [
        "client-credentials",
        "--target",
        target,
        "--users",
        "2",
        "--run-time",
        "1s",
        "--no-baseline",
    ];

    let dir = tmp.path().join("flaky");
    let out = load_async(&dir, &common).await;
    assert_eq!(out.status.code(), Some(1), "failing requests fail the run");
    let s = summary(&dir);
    assert!(s.contains("**FAIL**"), "{s}");
    assert!(
        s.contains("threshold `error-rate<1% (the default; --allow-errors drops it)` missed"),
        "{s}"
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("FAIL: threshold"), "{stdout}");

    let dir = tmp.path().join("allowed");
    seen.store(0, Ordering::Relaxed);
    let out = load_async(&dir, &[&common[..], &["--allow-errors"]].concat()).await;
    assert_eq!(
        out.status.code(),
        Some(0),
        "--allow-errors: no threshold left to miss"
    );

    let wrong = tmp.path().join("wrong.toml");
    std::fs::write(
        &wrong,
        fixtures::reference_profile(
            &server.url,
            &["[registration]"],
            "[[clients]]\nid = \"nobody\"\nsecret = \"wrong-secret\"\ngrant_types = [\"client_credentials\"]\n",
        ),
    )
    .unwrap();
    let dir = tmp.path().join("wrong");
    seen.store(0, Ordering::Relaxed);
    let out = load_async(
        &dir,
        &[
            "client-credentials",
            "--target",
            wrong.to_str().unwrap(),
            "--run-time",
            "1s",
        ],
    )
    .await;
    assert_eq!(
        out.status.code(),
        Some(3),
        "a refused client is a setup error"
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("refused client credentials: 401 error=invalid_client")
            && err.contains("check the [[clients]] entry"),
        "{err}"
    );
    assert!(!dir.join("summary.md").exists(), "nothing ran");
}
