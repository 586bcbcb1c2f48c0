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
/// profile text describes (`source` names it in errors), quietly.
pub async fn check(text: &str, source: &str, tags: &str) -> oauthspec::report::RunReport {
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
        Some(tags.into()),
        &options,
    )
    .await
    .expect("the run completes")
}
