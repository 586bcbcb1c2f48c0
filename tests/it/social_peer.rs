//! The whole spec against the flask-social-login peer
//! (`../shared/peers/flask-social-login`, installed by
//! `scripts/install-peers` into `target/peers/venv`): an Authlib app that
//! logs its users in through an upstream OpenID provider and then issues
//! its own HS256 JWT for its `/dashboard` API, the "log in with Google, then
//! our JWT" shape. The test starts the app on a free port, pointed at
//! another free port where the scenarios start the fake provider (one
//! scenario at a time).
//!
//! Every verdict is asserted, each checked by hand: Authlib checks every ID
//! token and state the harness forges, so the upstream_login area passes,
//! each refusal judged by the dashboard (the session) after a control login
//! through the same app succeeded; the app's JWT API refuses every forgery
//! of its token (jwt_attacks, resource_server), and what does not pass is
//! the shape of its refusals: the tutorials' `token_required` decorator
//! answers 403 `{"message": ...}` with no `WWW-Authenticate`, where RFC 6750
//! §3 says MUST include the challenge and §3.1 SHOULD answer 401. Everything
//! about authorization servers SKIPs.

use oauthspec::report::FindingKind::Format;
use oauthspec::report::Verdict::{Fail, Skip, Warn};

use super::peers::{self, AUTHORIZATION_SERVER_AREAS, Expect, NOT_AN_AS, finding, not_run};

const NO_SIGNING: &str = "cannot have the target sign a token with chosen claims";
const NOT_RFC9068: &str = "typ \"JWT\", not at+jwt";
const NO_SCOPES: &str = "a relying-party target issues no access tokens for scopes";

const EXPECTED: &[Expect] = &[
    // The tutorials' decorator: 403 {"message": ...}, no challenge.
    finding(
        "resource_server/every-refusal-of-a-forged-token-carries-a-bearer-challenge",
        Fail,
        Format,
        "RFC 6750 §3 MUST: 403 with no WWW-Authenticate",
    ),
    finding(
        "resource_server/a-forged-token-is-answered-401",
        Warn,
        Format,
        "RFC 6750 §3.1 SHOULD 401 invalid_token: 403",
    ),
    finding(
        "scopes/a-call-without-any-token-is-refused-with-a-bearer-challenge",
        Fail,
        Format,
        "RFC 6750 §3 MUST: 403 \"Token is missing!\" without WWW-Authenticate",
    ),
    finding(
        "scopes/a-call-without-any-token-is-answered-401",
        Warn,
        Format,
        "RFC 6750 §3.1 SHOULD 401: 403",
    ),
    finding(
        "scopes/a-token-the-api-cannot-make-sense-of-is-answered-401-invalid-token",
        Warn,
        Format,
        "RFC 6750 §3.1 SHOULD 401 invalid_token: 403",
    ),
    not_run(
        "scopes/a-call-without-any-token-gets-a-bare-challenge-with-no-error-code",
        Skip,
        "answered without a Bearer challenge",
    ),
    // What does not apply to an app's own HS256 token.
    not_run(
        "jwt_attacks/an-es256-token-signed-with-r-s-0-the-psychic-signature-is-refused",
        Skip,
        "signs with HS256, not ES256",
    ),
    not_run(
        "jwt_attacks/a-token-signed-with-hmac-using-the-api-s-public-key-pem-as-the-secret-is-refused",
        Skip,
        "has no public key to confuse with a secret",
    ),
    not_run(
        "jwt_attacks/a-token-signed-with-hmac-using-the-api-s-public-key-jwk-as-the-secret-is-refused",
        Skip,
        "has no public key to confuse with a secret",
    ),
    not_run(
        "jwt_attacks/a-token-that-names-an-unknown-critical-header-extension-is-refused",
        Skip,
        NO_SIGNING,
    ),
    not_run(
        "resource_server/a-token-whose-exp-has-passed-is-refused",
        Skip,
        "would wait longer than [expiry] max_wait",
    ),
    not_run(
        "resource_server/a-token-whose-nbf-is-still-in-the-future-is-refused",
        Skip,
        NO_SIGNING,
    ),
    not_run(
        "resource_server/a-token-without-exp-is-refused",
        Skip,
        NO_SIGNING,
    ),
    not_run(
        "resource_server/a-token-issued-by-another-issuer-is-refused",
        Skip,
        NO_SIGNING,
    ),
    not_run(
        "resource_server/a-token-meant-for-another-api-is-refused",
        Skip,
        "carry no aud to change",
    ),
    not_run(
        "resource_server/a-jwt-that-is-not-typed-at-jwt-is-not-accepted-as-an-access-token",
        Skip,
        NOT_RFC9068,
    ),
    not_run(
        "resource_server/a-refused-jwt-access-token-is-answered-with-error-invalid-token",
        Skip,
        NOT_RFC9068,
    ),
    not_run(
        "resource_server/an-id-token-is-not-accepted-as-an-access-token",
        Skip,
        "issued no ID token",
    ),
    not_run(
        "resource_server/a-refresh-token-is-not-accepted-as-an-access-token",
        Skip,
        "issued no refresh token",
    ),
    not_run(
        "resource_server/a-revoked-or-logged-out-token-is-refused-afterwards",
        Skip,
        "no revocation or logout endpoint",
    ),
    not_run(
        "resource_server/an-api-that-takes-a-token-from-the-query-string-keeps-its-answer-out-of-shared-caches",
        Skip,
        "does not take tokens from the query string",
    ),
    not_run(
        "scopes/the-server-does-not-grant-a-scope-it-does-not-know-and-says-what-it-granted-instead",
        Skip,
        NOT_AN_AS,
    ),
    not_run(
        "scopes/with-client-credentials-too-an-unknown-scope-is-not-granted-and-the-answer-says-what-was",
        Skip,
        NOT_AN_AS,
    ),
    not_run(
        "scopes/an-api-refuses-a-token-that-lacks-the-scope-it-needs",
        Skip,
        NO_SCOPES,
    ),
    not_run(
        "scopes/an-api-that-refuses-a-token-for-lack-of-scope-says-how-to-authenticate",
        Skip,
        NO_SCOPES,
    ),
    not_run(
        "scopes/a-token-lacking-a-scope-is-answered-403-insufficient-scope-naming-the-scope-needed",
        Skip,
        NO_SCOPES,
    ),
    not_run("jwks/*", Skip, "publishes no jwks_uri"),
];

/// The app on a free port, pointed at another free port for the fake provider, and the
/// example profile pointed at both.
fn start_app() -> (peers::Peer, String) {
    let (port, upstream_port) = (peers::free_port(), peers::free_port());
    let mut command = peers::flask("flask-social-login");
    command
        .env("UPSTREAM", format!("http://127.0.0.1:{upstream_port}"))
        .env("CLIENT_ID", "app-client")
        .env("CLIENT_SECRET", "app-secret")
        .env("PORT", port.to_string());
    let peer = peers::start("the flask-social-login peer", command, &[port]);
    let text =
        std::fs::read_to_string(peers::root().join("examples/targets/flask-social-login.toml"))
            .expect("the example profile")
            .replace("127.0.0.1:8765", &format!("127.0.0.1:{port}"))
            .replace(
                "upstream_port = 8766",
                &format!("upstream_port = {upstream_port}"),
            );
    (peer, text)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn flask_social_login_refuses_every_forged_upstream_answer_and_token() {
    let (_peer, text) = start_app();
    let report = peers::check(&text, "flask-social-login.toml", None).await;

    peers::assert_verdicts(
        &report,
        &[EXPECTED, AUTHORIZATION_SERVER_AREAS].concat(),
        "flask-social-login",
    );
    let upstream: Vec<_> = report
        .scenarios
        .iter()
        .filter(|s| s.area == "upstream_login")
        .collect();
    assert_eq!(upstream.len(), 12, "every upstream_login scenario ran");
    for s in upstream
        .iter()
        .filter(|s| s.id != "upstream_login/a-user-logs-in-through-the-upstream-provider")
    {
        assert!(
            s.controls.iter().any(|c| c.contains("honest login")),
            "{}: a refusal passed without a control login",
            s.id
        );
    }
    assert!(
        report
            .scenarios
            .iter()
            .all(|s| s.kind != Some(oauthspec::report::FindingKind::Security)),
        "no security finding: every forgery was refused"
    );
    assert_eq!(
        report.exit_code(false),
        1,
        "format FAILs of the app's API (no Bearer challenge)"
    );
}

/// The same app walked in a headless Chromium (`[relying_party.browser]`):
/// the browser follows the app to the fake provider and back, the callback's
/// JSON answer is recorded as the app sent it, and every upstream-login
/// verdict is the plain walk's (all PASS, each after a control login).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn flask_social_login_walked_in_the_browser_gets_the_same_verdicts() {
    let (_peer, text) = start_app();
    let text = format!("{text}\n[relying_party.browser]\n");
    let report = peers::check(
        &text,
        "flask-social-login-browser.toml",
        Some("@upstream_login"),
    )
    .await;
    assert_eq!(report.scenarios.len(), 12);
    for s in &report.scenarios {
        assert_eq!(
            s.verdict,
            oauthspec::report::Verdict::Pass,
            "{}: {:?}",
            s.id,
            s.reason()
        );
    }
    assert!(
        report
            .scenarios
            .iter()
            .filter(|s| s.id != "upstream_login/a-user-logs-in-through-the-upstream-provider")
            .all(|s| s.controls.iter().any(|c| c.contains("honest login"))),
        "every refusal after a control login"
    );
    let first = &report.scenarios[1];
    assert!(
        first.controls.iter().any(|c| c.contains("in the browser")),
        "the control login was walked in the browser: {:?}",
        first.controls
    );
}
