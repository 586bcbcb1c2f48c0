//! Third-party servers from `../shared/peers`, started by tests on free
//! loopback ports and stopped when the test ends, however it ends.
//! `scripts/install-peers` installs them into `target/peers`; a missing
//! install fails the test with that hint rather than passing it silently.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A running peer, killed on drop.
pub struct Peer(Child);

impl Drop for Peer {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The repository root.
pub fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// A loopback port nothing listens on right now.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free loopback port")
}

/// `path`, or a failure saying how to get it.
pub fn require(path: PathBuf, hint: &str) -> PathBuf {
    assert!(path.exists(), "{} is missing: {hint}", path.display());
    path
}

/// Starts `command` and waits until every port in `ports` accepts
/// connections (at most 30 s).
pub fn start(what: &str, mut command: Command, ports: &[u16]) -> Peer {
    let child = command
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {what}: {e}"));
    let peer = Peer(child);
    let started = Instant::now();
    for &port in ports {
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                started.elapsed() < Duration::from_secs(30),
                "{what} did not listen on 127.0.0.1:{port} within 30 s"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }
    peer
}

/// A command that runs the Flask peer `../shared/peers/<name>/app.py` with
/// the virtualenv `scripts/install-peers` made.
pub fn flask(name: &str) -> Command {
    let python = require(
        root().join("target/peers/venv/bin/python"),
        "run scripts/install-peers (it installs the Flask peers into target/peers/venv)",
    );
    let app = require(
        root().join(format!("../shared/peers/{name}/app.py")),
        "../shared/peers must sit beside the checkout",
    );
    let mut command = Command::new(python);
    command.arg(app);
    command
}

/// Runs the embedded spec, filtered by `tags`, against the target the
/// profile text describes (`source` names it in errors), quietly; the
/// whole spec when `tags` is `None`.
pub async fn check(text: &str, source: &str, tags: Option<&str>) -> oauthspec::report::RunReport {
    let profile = oauthspec::target::TargetProfile::parse(text, source).expect("a valid profile");
    let ctx = oauthspec::runner::RunContext::resolve(profile, "profile")
        .await
        .expect("the peer resolves");
    let options = oauthspec::runner::RunOptions {
        progress: oauthspec::runner::Progress::Never,
        ..oauthspec::runner::RunOptions::default()
    };
    oauthspec::runner::run(
        oauthspec::runner::FeatureSource::Embedded,
        ctx,
        tags.map(Into::into),
        &options,
    )
    .await
    .expect("the run completes")
}

/// What one scenario must come to against a peer: its verdict, the kind of
/// its finding (for FAIL and WARN), and why, in words checked by hand
/// against the RFC. An `id` ending in `/*` stands for every scenario of
/// that area that no entry names exactly.
#[derive(Clone, Copy)]
pub struct Expect {
    pub id: &'static str,
    pub verdict: oauthspec::report::Verdict,
    pub kind: Option<oauthspec::report::FindingKind>,
    pub why: &'static str,
}

impl Expect {
    fn covers(&self, id: &str) -> bool {
        match self.id.strip_suffix('*') {
            Some(area) => id.starts_with(area),
            None => id == self.id,
        }
    }
}

/// A scenario that fails or warns with a finding of `kind`.
pub const fn finding(
    id: &'static str,
    verdict: oauthspec::report::Verdict,
    kind: oauthspec::report::FindingKind,
    why: &'static str,
) -> Expect {
    Expect {
        id,
        verdict,
        kind: Some(kind),
        why,
    }
}

/// A scenario that skips (or could not be set up) for the reason `why`,
/// whose words must appear in the report's reason.
pub const fn not_run(
    id: &'static str,
    verdict: oauthspec::report::Verdict,
    why: &'static str,
) -> Expect {
    Expect {
        id,
        verdict,
        kind: None,
        why,
    }
}

/// Why the authorization-server areas SKIP on a target that is no
/// authorization server (a JWT API, a relying-party app).
pub const NOT_AN_AS: &str = "not an OAuth authorization server";

/// The authorization-server areas, each a SKIP for [`NOT_AN_AS`].
pub const AUTHORIZATION_SERVER_AREAS: &[Expect] = &[
    not_run(
        "authorization_code/*",
        oauthspec::report::Verdict::Skip,
        NOT_AN_AS,
    ),
    not_run(
        "client_authentication/*",
        oauthspec::report::Verdict::Skip,
        NOT_AN_AS,
    ),
    not_run(
        "client_credentials/*",
        oauthspec::report::Verdict::Skip,
        NOT_AN_AS,
    ),
    not_run("discovery/*", oauthspec::report::Verdict::Skip, NOT_AN_AS),
    not_run("expiry/*", oauthspec::report::Verdict::Skip, NOT_AN_AS),
    not_run(
        "introspection/*",
        oauthspec::report::Verdict::Skip,
        NOT_AN_AS,
    ),
    not_run("pkce/*", oauthspec::report::Verdict::Skip, NOT_AN_AS),
    not_run("refresh/*", oauthspec::report::Verdict::Skip, NOT_AN_AS),
    not_run(
        "registration/*",
        oauthspec::report::Verdict::Skip,
        NOT_AN_AS,
    ),
    not_run("revocation/*", oauthspec::report::Verdict::Skip, NOT_AN_AS),
    not_run(
        "token_response/*",
        oauthspec::report::Verdict::Skip,
        NOT_AN_AS,
    ),
    not_run("id_token/*", oauthspec::report::Verdict::Skip, NOT_AN_AS),
    not_run("userinfo/*", oauthspec::report::Verdict::Skip, NOT_AN_AS),
    not_run(
        "oidc_discovery/*",
        oauthspec::report::Verdict::Skip,
        NOT_AN_AS,
    ),
    not_run(
        "authentication_request/*",
        oauthspec::report::Verdict::Skip,
        NOT_AN_AS,
    ),
];

/// Asserts every scenario of `report`: the ones in `expected` as listed
/// (SKIP and ERROR reasons must contain the listed words), every other one
/// PASS. Lists every difference at once.
pub fn assert_verdicts(report: &oauthspec::report::RunReport, expected: &[Expect], peer: &str) {
    use oauthspec::report::Verdict;
    let mut wrong = Vec::new();
    for s in &report.scenarios {
        let e = expected
            .iter()
            .find(|e| e.id == s.id)
            .or_else(|| expected.iter().find(|e| e.covers(&s.id)));
        let want = e.map_or(Verdict::Pass, |e| e.verdict);
        let detail = || {
            s.finding
                .as_ref()
                .map(|f| {
                    format!(
                        "{} | expected {} | actual {}",
                        f.requirement, f.expected, f.actual
                    )
                })
                .or_else(|| s.reason().map(str::to_owned))
                .unwrap_or_default()
        };
        if s.verdict != want {
            wrong.push(format!(
                "{}: {}, expected {want} ({})",
                s.id,
                s.verdict,
                detail()
            ));
            continue;
        }
        let Some(e) = e else { continue };
        if let Some(kind) = e.kind
            && s.kind != Some(kind)
        {
            wrong.push(format!(
                "{}: a {} finding, expected {kind} ({})",
                s.id,
                s.kind.map_or("no".to_owned(), |k| k.to_string()),
                detail()
            ));
        }
        if matches!(s.verdict, Verdict::Skip | Verdict::Error)
            && !s.reason().is_some_and(|r| r.contains(e.why))
        {
            wrong.push(format!(
                "{}: reason {:?} does not say {:?}",
                s.id,
                s.reason(),
                e.why
            ));
        }
    }
    for e in expected {
        if !report.scenarios.iter().any(|s| e.covers(&s.id)) {
            wrong.push(format!("{}: no such scenario ran", e.id));
        }
    }
    assert!(
        wrong.is_empty(),
        "verdicts against {peer} changed:\n{}",
        wrong.join("\n")
    );
    assert_plain_words(report);
}

/// No finding, reason or control of `report` shows Rust Debug output
/// (`Some(…)`, `Url { scheme: …`), and none is unbounded.
pub fn assert_plain_words(report: &oauthspec::report::RunReport) {
    const DEBUG: [&str; 5] = [
        "Some(",
        "Url {",
        "Stopped {",
        "Redirected(",
        "NotRedirected(",
    ];
    for s in &report.scenarios {
        let mut texts: Vec<&str> = s.controls.iter().map(String::as_str).collect();
        if let Some(f) = &s.finding {
            texts.extend([
                f.requirement.as_str(),
                f.expected.as_str(),
                f.actual.as_str(),
            ]);
        }
        texts.extend(s.reason());
        texts.extend(s.fix());
        for t in texts {
            assert!(
                !DEBUG.iter().any(|d| t.contains(d)),
                "{}: Debug output in the report: {t}",
                s.id
            );
            assert!(t.len() < 4200, "{}: {} bytes of text", s.id, t.len());
        }
    }
}
