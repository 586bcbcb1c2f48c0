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
        // The bundled server keeps its default SQLite store unless told otherwise.
        let in_memory = profile == "mixed";
        if in_memory {
            args.push("--in-memory");
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
        let store = if in_memory {
            "in-memory store"
        } else {
            "SQLite store"
        };
        assert!(s.contains(store), "{profile}: {store}\n{s}");
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
    // After each round the replayed token is dead and, the losers having replayed it, so is
    // the winner's new one (reuse detection).
    assert!(
        s.contains("the replayed refresh token still got tokens in 0 rounds"),
        "{s}"
    );
    assert!(s.contains("in 0 rounds although the"), "{s}");
    assert!(s.contains("this server did both every time"), "{s}");
    let after = s
        .lines()
        .find(|l| l.starts_with("After each round"))
        .expect("the after-round paragraph");
    assert!(
        !after.contains("  "),
        "no runs of spaces in the text: {after}"
    );
}

/// The refresh race says what still works after each round: a server that does not rotate
/// lets every replay win (exit 1) and keeps the old token working (said); one that rotates
/// without reuse detection has one winner per round, whose new token still works after the
/// others replayed the old one: said, not failed (the load's client is confidential; the
/// refresh area of `check` judges it for public clients).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_refresh_race_says_what_still_works_after_each_round() {
    let tmp = tempfile::tempdir().unwrap();
    for (fault, code) in [("refresh-not-rotated", 1), ("refresh-reuse-undetected", 0)] {
        let server = oauthspec_reference_server::start(oauthspec_reference_server::Settings {
            faults: vec![fault.parse().unwrap()],
            ..oauthspec_reference_server::Settings::default()
        })
        .await
        .unwrap();
        let profile = tmp.path().join(format!("{fault}.toml"));
        std::fs::write(
            &profile,
            super::fixtures::reference_profile(&server.url(), &[], ""),
        )
        .unwrap();
        let dir = tmp.path().join(fault);
        let out = load_async(
            &dir,
            &[
                "refresh-race",
                "--target",
                profile.to_str().unwrap(),
                "--users",
                "4",
                "--run-time",
                "2s",
                "--no-baseline",
            ],
        )
        .await;
        assert_eq!(out.status.code(), Some(code), "{fault}");
        let s = summary(&dir);
        if fault == "refresh-not-rotated" {
            assert!(s.contains("rounds had more than one winner"), "{s}");
            assert!(
                !s.contains("the replayed refresh token still got tokens in 0 rounds"),
                "the old token kept working: {s}"
            );
            assert!(s.contains("keeps a working token"), "{s}");
        } else {
            assert!(s.contains("| more than one | 0 |"), "{s}");
            assert!(
                s.contains("the replayed refresh token still got tokens in 0 rounds"),
                "{s}"
            );
            assert!(
                s.contains("so whoever wins a race against the client keeps a working token"),
                "{s}"
            );
        }
    }
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

/// Issue 14: three shards as local processes against one server, started together at a shared
/// instant, then merged: the merged counts are the sums of the shards', and the merged
/// percentiles are those of the shards' HdrHistograms added up. Shard 2 takes its index from
/// Kubernetes' variables, as in the Indexed Job of load/k8s/.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_shards_merge_into_the_figures_of_one_run() {
    use oauthspec_load::shard::{RESULT_FILE, RunResult};
    use oauthspec_load::stats::Histogram;
    use oauthspec_load::threshold::format_us;

    let tmp = tempfile::tempdir().unwrap();
    let server = oauthspec_reference_server::start(oauthspec_reference_server::Settings::default())
        .await
        .unwrap();
    let profile = tmp.path().join("reference.toml");
    std::fs::write(
        &profile,
        super::fixtures::reference_profile(&server.url(), &[], ""),
    )
    .unwrap();
    let start_at =
        oauthspec::report::model::rfc3339(std::time::SystemTime::now() + Duration::from_secs(4));
    let dirs: Vec<PathBuf> = (0..3)
        .map(|i| tmp.path().join(format!("shard-{i}")))
        .collect();
    let children: Vec<_> = (0..3)
        .map(|i| {
            let mut cmd = oauthspec();
            cmd.args(["load", "client-credentials", "--target"])
                .arg(&profile)
                .args(["--users", "7", "--run-time", "2s", "--no-baseline"])
                .args(["--start-at", &start_at, "--report-dir"])
                .arg(&dirs[i]);
            if i == 2 {
                cmd.env("JOB_COMPLETION_INDEX", "2")
                    .env("OAUTHSPEC_SHARDS", "3");
            } else {
                cmd.args(["--shard", &format!("{i}/3")]);
            }
            cmd.stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    for child in children {
        let out = tokio::task::spawn_blocking(move || child.wait_with_output().unwrap())
            .await
            .unwrap();
        assert_eq!(
            out.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let shards: Vec<RunResult> = dirs
        .iter()
        .map(|d| oauthspec_load::shard::read(d).unwrap())
        .collect();
    // 7 users: 3 + 2 + 2, each shard knowing which it was.
    let users: Vec<(u32, usize)> = shards
        .iter()
        .map(|r| (r.shard.unwrap().index, r.users))
        .collect();
    assert_eq!(users, vec![(0, 3), (1, 2), (2, 2)]);
    // They started together, at the instant given, not before: their first requests within a
    // second of each other.
    let at_us = oauthspec_load::start_at::parse_start_at(&start_at)
        .unwrap()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_micros() as u64;
    let starts: Vec<u64> = shards.iter().map(|r| r.window_unix_us.unwrap().0).collect();
    assert!(
        starts.iter().all(|s| *s >= at_us),
        "a shard started before --start-at"
    );
    let spread = starts.iter().max().unwrap() - starts.iter().min().unwrap();
    assert!(spread < 1_000_000, "shards started {spread} µs apart");

    let merged_dir = tmp.path().join("merged");
    let out = oauthspec()
        .args(["load", "merge"])
        .args(&dirs)
        .arg("--report-dir")
        .arg(&merged_dir)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let merged = oauthspec_load::shard::read(&merged_dir.join(RESULT_FILE)).unwrap();
    assert_eq!(merged.users, 7);
    let names = |r: &RunResult| {
        r.requests
            .keys()
            .cloned()
            .collect::<std::collections::BTreeSet<_>>()
    };
    let all_names: std::collections::BTreeSet<String> = shards.iter().flat_map(names).collect();
    assert_eq!(names(&merged), all_names);
    let mut all = Histogram::default();
    for (name, m) in &merged.requests {
        let parts: Vec<_> = shards.iter().filter_map(|s| s.requests.get(name)).collect();
        assert_eq!(
            m.count,
            parts.iter().map(|p| p.count).sum::<u64>(),
            "{name}"
        );
        assert_eq!(
            m.failures,
            parts.iter().map(|p| p.failures).sum::<u64>(),
            "{name}"
        );
        let mut h = Histogram::default();
        for p in &parts {
            h.merge(&Histogram::from_base64(&p.latency_us).unwrap());
        }
        assert_eq!(Histogram::from_base64(&m.latency_us).unwrap(), h, "{name}");
        if !m.setup {
            all.merge(&h);
        }
    }
    assert!(all.count() > 0);
    let s = std::fs::read_to_string(merged_dir.join("summary.md")).unwrap();
    assert_eq!(measured(&s), all.count());
    let row = s
        .lines()
        .find(|l| l.starts_with("| **all measured** |"))
        .unwrap();
    for q in [0.5, 0.95, 0.99] {
        assert!(row.contains(&format_us(all.quantile_us(q))), "p{q}: {row}");
    }
    assert!(s.contains("merged from 3 shards"), "{s}");

    // A shard missing is not a merged run.
    let out = oauthspec()
        .args(["load", "merge"])
        .args(&dirs[..2])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("shards missing: 2/3"));
}
