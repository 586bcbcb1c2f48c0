//! The Dockerfile builds an image whose entry point is oauthspec. Ignored by default: it
//! needs a Docker daemon (this project's CI machine has the client only) and several minutes.
//! Run it with `cargo test --release --test it docker -- --ignored`; it fails, not passes,
//! when no daemon answers.

use std::process::Command;

#[test]
#[ignore = "needs a Docker daemon: cargo test --release --test it docker -- --ignored"]
fn the_image_builds_and_runs_oauthspec() {
    let info = Command::new("docker").arg("info").output();
    assert!(
        info.as_ref().is_ok_and(|o| o.status.success()),
        "no Docker daemon answers `docker info`"
    );
    let root = env!("CARGO_MANIFEST_DIR");
    let tag = "oauthspec-test:latest";
    let build = Command::new("docker")
        .args(["build", "-t", tag, root])
        .env("DOCKER_BUILDKIT", "1")
        .status()
        .unwrap();
    assert!(build.success(), "docker build failed");
    let out = Command::new("docker")
        .args(["run", "--rm", tag, "--version"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.starts_with("oauthspec "), "{text}");
    // The bundled reference server, checked inside the image.
    let check = Command::new("docker")
        .args(["run", "--rm", tag, "check", "--report-dir", "/tmp/r"])
        .output()
        .unwrap();
    assert_eq!(
        check.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&check.stdout)
    );
}
