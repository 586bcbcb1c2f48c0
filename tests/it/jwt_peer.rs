//! The jwt_attacks and resource_server areas against the Flask-JWT-Extended
//! peer (`../shared/peers/flask-jwt-api`, installed by `scripts/install-peers`
//! into `target/peers/venv`), started on a free loopback port. Its verdicts
//! are asserted scenario by scenario; the reason for each non-pass is in
//! `examples/targets/flask-jwt-api.toml`.

use oauthspec::report::{FindingKind, Verdict};

use super::peers;

fn start_flask(port: u16) -> peers::Peer {
    let mut command = peers::flask("flask-jwt-api");
    command
        .env("PORT", port.to_string())
        .env("HOST", "127.0.0.1");
    peers::start("the flask-jwt-api peer", command, &[port])
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn flask_jwt_api_refuses_every_forgery_with_precise_format_deviations() {
    let root = peers::root();
    let port = peers::free_port();
    let _peer = start_flask(port);
    let text = std::fs::read_to_string(root.join("examples/targets/flask-jwt-api.toml"))
        .expect("the example profile")
        .replace("127.0.0.1:5000", &format!("127.0.0.1:{port}"));
    let report = peers::check(
        &text,
        "flask-jwt-api.toml",
        "@jwt_attacks or @resource_server",
    )
    .await;

    use Verdict::{Fail, Pass, Skip, Warn};
    let expected: &[(&str, Verdict)] = &[
        (
            "jwt_attacks/a-token-whose-alg-is-none-in-any-spelling-is-refused",
            Pass,
        ),
        (
            "jwt_attacks/a-token-with-its-signature-stripped-is-refused",
            Pass,
        ),
        (
            "jwt_attacks/a-token-with-a-truncated-signature-is-refused",
            Pass,
        ),
        (
            "jwt_attacks/a-token-whose-signature-is-all-zero-bytes-is-refused",
            Pass,
        ),
        (
            "jwt_attacks/an-es256-token-signed-with-r-s-0-the-psychic-signature-is-refused",
            Skip,
        ),
        (
            "jwt_attacks/a-token-signed-with-hmac-using-the-api-s-public-key-pem-as-the-secret-is-refused",
            Skip,
        ),
        (
            "jwt_attacks/a-token-signed-with-hmac-using-the-api-s-public-key-jwk-as-the-secret-is-refused",
            Skip,
        ),
        (
            "jwt_attacks/a-token-whose-claims-were-edited-after-signing-is-refused",
            Pass,
        ),
        (
            "jwt_attacks/a-kid-crafted-to-pick-a-key-the-attacker-knows-is-refused",
            Pass,
        ),
        (
            "jwt_attacks/a-token-carrying-its-own-key-in-a-jwk-header-is-refused",
            Pass,
        ),
        (
            "jwt_attacks/a-token-pointing-at-an-attacker-s-key-set-with-jku-is-refused-and-the-url-never-fetched",
            Pass,
        ),
        (
            "jwt_attacks/a-token-pointing-at-an-attacker-s-certificate-with-x5u-is-refused-and-the-url-never-fetched",
            Pass,
        ),
        (
            "jwt_attacks/a-token-that-names-an-unknown-critical-header-extension-is-refused",
            Skip,
        ),
        (
            "jwt_attacks/an-hmac-signed-token-s-secret-is-not-a-common-guessable-one",
            Pass,
        ),
        (
            "resource_server/a-token-whose-exp-has-passed-is-refused",
            Pass,
        ),
        (
            "resource_server/a-token-whose-nbf-is-still-in-the-future-is-refused",
            Skip,
        ),
        (
            "resource_server/a-token-issued-a-day-in-the-future-is-refused",
            Skip,
        ),
        ("resource_server/a-token-without-exp-is-refused", Skip),
        (
            "resource_server/a-token-issued-by-another-issuer-is-refused",
            Skip,
        ),
        (
            "resource_server/a-token-meant-for-another-api-is-refused",
            Skip,
        ),
        (
            "resource_server/a-jwt-that-is-not-typed-at-jwt-is-not-accepted-as-an-access-token",
            Skip,
        ),
        (
            "resource_server/an-id-token-is-not-accepted-as-an-access-token",
            Skip,
        ),
        (
            "resource_server/a-refresh-token-is-not-accepted-as-an-access-token",
            Pass,
        ),
        (
            "resource_server/a-revoked-or-logged-out-token-is-refused-afterwards",
            Pass,
        ),
        (
            "resource_server/a-token-in-the-query-string-is-not-accepted",
            Pass,
        ),
        (
            "resource_server/a-token-in-a-form-encoded-body-is-not-accepted",
            Pass,
        ),
        (
            "resource_server/the-bearer-scheme-name-is-matched-without-regard-to-case",
            Fail,
        ),
        (
            "resource_server/malformed-tokens-and-a-1-mb-token-are-refused-without-a-server-error",
            Pass,
        ),
        (
            "resource_server/every-refusal-of-a-forged-token-carries-a-bearer-challenge",
            Fail,
        ),
        (
            "resource_server/a-forged-token-is-answered-401-with-invalid-token-in-the-challenge",
            Warn,
        ),
    ];
    let mut wrong = Vec::new();
    for (id, want) in expected {
        match report.scenarios.iter().find(|s| s.id == *id) {
            None => wrong.push(format!("{id}: not run")),
            Some(s) if s.verdict != *want => wrong.push(format!(
                "{id}: expected {want:?}, got {:?} ({:?} {:?})",
                s.verdict,
                s.reason(),
                s.finding
            )),
            Some(_) => {}
        }
    }
    assert_eq!(
        report.scenarios.len(),
        expected.len(),
        "every scenario of both areas is listed here"
    );
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    // Not one security failure: every non-pass is about the shape of a refusal.
    for s in &report.scenarios {
        if matches!(s.verdict, Fail | Warn) {
            assert_eq!(
                s.kind,
                Some(FindingKind::Format),
                "{}: {:?}",
                s.id,
                s.finding
            );
        }
        if s.verdict == Skip {
            assert!(s.reason().is_some_and(|r| !r.is_empty()), "{}", s.id);
        }
    }
    // The deviations are the precise ones: 422 and no challenge.
    let challenge = report
        .scenarios
        .iter()
        .find(|s| {
            s.id.ends_with("every-refusal-of-a-forged-token-carries-a-bearer-challenge")
        })
        .and_then(|s| s.finding.clone())
        .expect("a finding");
    assert!(
        challenge.actual.contains("422, no WWW-Authenticate"),
        "{}",
        challenge.actual
    );
    assert!(
        challenge.requirement.contains("RFC 6750 §3: MUST"),
        "{}",
        challenge.requirement
    );
}
