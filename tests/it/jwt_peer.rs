//! The whole spec against the Flask-JWT-Extended peer
//! (`../shared/peers/flask-jwt-api`, installed by `scripts/install-peers`
//! into `target/peers/venv`), started on a free loopback port: an API that
//! trusts HS256 JWTs it issues at `/login`, no authorization server.
//! Every verdict is asserted. It refuses every forgery the harness makes
//! (not one security finding); what does not pass is the shape of its
//! refusals, each checked by hand against RFC 6750, and what cannot apply
//! to an API without an authorization server SKIPs, never FAILs.

use oauthspec::report::FindingKind::Format;
use oauthspec::report::Verdict::{Fail, Skip, Warn};

use super::peers::{self, AUTHORIZATION_SERVER_AREAS, Expect, NOT_AN_AS, finding, not_run};

const NO_SIGNING: &str = "cannot have the target sign a token with chosen claims";
const NOT_RFC9068: &str = "typ \"JWT\", not at+jwt";

const EXPECTED: &[Expect] = &[
    // Flask-JWT-Extended answers these with {"msg": ...}, without
    // WWW-Authenticate, and 422 for tokens it cannot decode.
    finding(
        "resource_server/the-bearer-scheme-name-is-matched-without-regard-to-case",
        Fail,
        Format,
        "RFC 9110 §11.1: the scheme is case-insensitive; \"bearer <token>\" is refused 401 \
         \"Missing 'Bearer' type\" (refused, so not a security failure)",
    ),
    finding(
        "resource_server/every-refusal-of-a-forged-token-carries-a-bearer-challenge",
        Fail,
        Format,
        "RFC 6750 §3 MUST: 422 with no WWW-Authenticate",
    ),
    finding(
        "resource_server/a-forged-token-is-answered-401",
        Warn,
        Format,
        "RFC 6750 §3.1 SHOULD 401: 422",
    ),
    finding(
        "scopes/an-api-that-refuses-a-token-for-lack-of-scope-says-how-to-authenticate",
        Fail,
        Format,
        "RFC 6750 §3 MUST: /admin refuses a non-admin with 403 and no WWW-Authenticate",
    ),
    finding(
        "scopes/a-token-lacking-a-scope-is-answered-403-insufficient-scope-naming-the-scope-needed",
        Warn,
        Format,
        "RFC 6750 §3.1 SHOULD: 403, but no insufficient_scope challenge",
    ),
    finding(
        "scopes/a-call-without-any-token-is-refused-with-a-bearer-challenge",
        Fail,
        Format,
        "RFC 6750 §3 MUST: 401 without WWW-Authenticate",
    ),
    not_run(
        "scopes/a-call-without-any-token-gets-a-bare-challenge-with-no-error-code",
        Skip,
        "answered without a Bearer challenge",
    ),
    finding(
        "scopes/a-token-the-api-cannot-make-sense-of-is-answered-401-invalid-token",
        Warn,
        Format,
        "RFC 6750 §3.1 SHOULD 401 invalid_token: 422 \"Not enough segments\"",
    ),
    // What does not apply to an HS256 API.
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
    not_run("jwks/*", Skip, "publishes no jwks_uri"),
    not_run("upstream_login/*", Skip, "neither a relying-party app"),
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn flask_jwt_api_refuses_every_forgery_with_precise_format_deviations() {
    let root = peers::root();
    let port = peers::free_port();
    let mut command = peers::flask("flask-jwt-api");
    command
        .env("PORT", port.to_string())
        .env("HOST", "127.0.0.1");
    let _peer = peers::start("the flask-jwt-api peer", command, &[port]);
    let text = std::fs::read_to_string(root.join("examples/targets/flask-jwt-api.toml"))
        .expect("the example profile")
        .replace("127.0.0.1:5000", &format!("127.0.0.1:{port}"));
    let report = peers::check(&text, "flask-jwt-api.toml", None).await;

    peers::assert_verdicts(
        &report,
        &[EXPECTED, AUTHORIZATION_SERVER_AREAS].concat(),
        "flask-jwt-api",
    );
    // The forgeries were refused, and the precise deviation is reported.
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
    assert_eq!(report.exit_code(false), 1, "RFC 6750 §3's MUSTs are broken");
}
