//! The whole spec against django-oauth-toolkit
//! (`../shared/peers/django-oauth-toolkit`, copied and given its virtualenv
//! by `scripts/install-peers`), started by its own `setup.sh` on a free
//! loopback port. Run twice: once as set up by default, for everything but
//! the waits; once with lifetimes of a few seconds, for the `@serial`
//! scenarios that wait for codes and tokens to expire. Every verdict is
//! asserted; each non-pass was checked by hand against the RFC (and
//! against DOT's own behaviour, poking it with curl).

use std::path::PathBuf;
use std::process::Command;

use oauthspec::report::FindingKind::{Behaviour, Format, Security};
use oauthspec::report::Verdict::{Fail, Skip, Warn};

use super::peers::{self, Expect, finding, not_run};

const WAITS: &str = "would wait longer than [expiry] max_wait";
const OPAQUE: &str = "access tokens are not JWTs";
const NO_REGISTRATION: &str = "the profile does not let the harness register clients";

/// Non-passes with DOT as `setup.sh` starts it, all but `@serial`.
const EXPECTED: &[Expect] = &[
    // OpenID Connect, checked by hand with curl against Core §3.1.2.1 and §6.1.
    not_run(
        "id_token/the-id-token-s-authorized-party-if-named-is-the-client",
        Skip,
        "the ID token has no azp",
    ),
    finding(
        "authentication_request/prompt-none-without-a-logged-in-user-is-answered-with-an-error-never-a-page",
        Fail,
        Behaviour,
        "Core §3.1.2.1: prompt=none MUST NOT show a page and answers login_required; DOT 3.4 answers an \
         anonymous prompt=none request with a 500 error page (oauthlib's validate_silent_login, \
         which DOT's validator does not implement, raises NotImplementedError)",
    ),
    finding(
        "authentication_request/a-request-object-is-either-followed-or-refused-with-request-not-supported",
        Fail,
        Behaviour,
        "Core §6.1: an OP that does not support request objects MUST return request_not_supported; \
         DOT ignores the request parameter and issues a code without the object's state",
    ),
    finding(
        "authentication_request/an-authentication-request-sent-with-post-gets-a-code",
        Fail,
        Behaviour,
        "Core §3.1.2.1: authorization servers MUST support POST at the authorization endpoint; \
         Django's CSRF middleware answers the form POST to /o/authorize/ with 403",
    ),
    finding(
        "authentication_request/a-request-object-by-reference-is-either-followed-or-refused-with-request-uri-not-supported",
        Fail,
        Behaviour,
        "Core §6.2: an OP that does not support request_uri MUST return request_uri_not_supported; \
         DOT ignores the request_uri parameter (it never fetches it) and issues a code without the object's state",
    ),
    finding(
        "authorization_code/an-error-response-says-which-server-sent-it-too",
        Fail,
        Behaviour,
        "RFC 9207 §2: \"including error responses\" a server that declares \
         authorization_response_iss_parameter_supported MUST send iss; DOT's error redirects carry none",
    ),
    finding(
        "authorization_code/redeeming-a-code-twice-revokes-the-tokens-issued-from-it",
        Warn,
        Security,
        "RFC 6749 §4.1.2 SHOULD: the second redemption is refused, but the first one's access token keeps working",
    ),
    finding(
        "authorization_code/a-repeated-parameter-is-refused",
        Warn,
        Behaviour,
        "RFC 6749 §4.1.2.1: with a valid redirect URI the error goes back to the client; \
         DOT shows its own 400 page for a repeated scope",
    ),
    finding(
        "authorization_code/a-code-cannot-be-redeemed-with-a-redirect-uri-other-than-the-one-it-was-sent-to",
        Fail,
        Format,
        "refused, but as invalid_request; RFC 6749 §5.2 names a redirect URI that does not match \
         the authorization request's invalid_grant",
    ),
    finding(
        "authorization_code/a-code-requested-with-a-redirect-uri-cannot-be-redeemed-without-it",
        Fail,
        Security,
        "RFC 6749 §4.1.3: redirect_uri is REQUIRED when the authorization request had one; DOT issues tokens without it",
    ),
    finding(
        "client_authentication/a-wrong-secret-in-a-basic-header-is-answered-401-with-a-challenge",
        Fail,
        Format,
        "RFC 6749 §5.2: the challenge must match the scheme the client used (Basic); DOT answers WWW-Authenticate: Bearer",
    ),
    finding(
        "client_authentication/a-client-the-server-does-not-know-is-refused-with-invalid-client",
        Fail,
        Format,
        "same: 401 invalid_client, but with a Bearer challenge to a Basic attempt",
    ),
    finding(
        "introspection/only-an-authorized-caller-may-introspect-tokens",
        Fail,
        Format,
        "refused, but with a bare 403; RFC 6749 §5.2 names a request without client authentication invalid_client (400 or 401)",
    ),
    finding(
        "introspection/a-caller-that-only-names-a-public-client-may-not-introspect-tokens",
        Fail,
        Security,
        "RFC 7662 §2.1 MUST require authorization; DOT describes another client's token to anyone who \
         names its public client's id (client_id=public-client, no secret)",
    ),
    not_run(
        "introspection/a-revoked-refresh-token-is-reported-inactive",
        Skip,
        "reports its refresh token inactive to the client that holds it",
    ),
    finding(
        "refresh/a-refresh-token-issued-on-a-narrower-refresh-keeps-the-scope-of-the-one-it-replaced",
        Fail,
        Behaviour,
        "RFC 6749 §6: \"the refresh token scope MUST be identical to that of the refresh token included \
         by the client\"; DOT narrows the new refresh token to the narrower request",
    ),
    finding(
        "resource_server/every-refusal-of-a-forged-token-carries-a-bearer-challenge",
        Fail,
        Format,
        "RFC 6750 §3 MUST: DOT's default API decorator refuses with a bare 403, no WWW-Authenticate",
    ),
    finding(
        "resource_server/a-forged-token-is-answered-401",
        Warn,
        Format,
        "RFC 6750 §3.1 SHOULD 401: bare 403",
    ),
    not_run(
        "resource_server/an-api-that-takes-a-token-from-the-query-string-keeps-its-answer-out-of-shared-caches",
        Skip,
        "does not take tokens from the query string",
    ),
    finding(
        "scopes/an-api-that-refuses-a-token-for-lack-of-scope-says-how-to-authenticate",
        Fail,
        Format,
        "RFC 6750 §3 MUST: bare 403 without WWW-Authenticate",
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
        "RFC 6750 §3 MUST: bare 403 without WWW-Authenticate",
    ),
    finding(
        "scopes/a-call-without-any-token-is-answered-401",
        Warn,
        Format,
        "403 to a request without credentials, where RFC 6750 §3 shows 401",
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
        "RFC 6750 §3.1 SHOULD: bare 403",
    ),
    not_run(
        "discovery/the-issuer-and-every-endpoint-in-the-metadata-use-https",
        Skip,
        "plain http on the loopback interface",
    ),
    // DOT issues opaque access tokens: the JWT forgeries do not apply.
    not_run("jwt_attacks/*", Skip, OPAQUE),
    not_run(
        "resource_server/a-token-whose-exp-has-passed-is-refused",
        Skip,
        OPAQUE,
    ),
    not_run(
        "resource_server/a-token-whose-nbf-is-still-in-the-future-is-refused",
        Skip,
        OPAQUE,
    ),
    not_run(
        "resource_server/a-token-without-exp-is-refused",
        Skip,
        OPAQUE,
    ),
    not_run(
        "resource_server/a-token-issued-by-another-issuer-is-refused",
        Skip,
        OPAQUE,
    ),
    not_run(
        "resource_server/a-token-meant-for-another-api-is-refused",
        Skip,
        OPAQUE,
    ),
    not_run(
        "resource_server/a-jwt-that-is-not-typed-at-jwt-is-not-accepted-as-an-access-token",
        Skip,
        OPAQUE,
    ),
    not_run(
        "resource_server/a-refused-jwt-access-token-is-answered-with-error-invalid-token",
        Skip,
        OPAQUE,
    ),
    // Registration is off unless DOT_DCR=1.
    not_run("registration/*", Skip, NO_REGISTRATION),
    // Outside this run: the waits (the second run) and upstream logins.
    not_run("upstream_login/*", Skip, "neither a relying-party app"),
];

/// The `@serial` scenarios with codes and tokens living 3 s.
const EXPECTED_WAITS: &[Expect] = &[
    finding(
        "authentication_request/prompt-none-after-a-login-is-answered-without-a-page",
        Fail,
        Behaviour,
        "Core §3.1.2.1: prompt=none MUST NOT show a page; after a login DOT answers it with a 500 \
         page too (oauthlib's validate_silent_login, not implemented by DOT, raises)",
    ),
    not_run(
        "authorization_code/a-code-no-longer-works-ten-minutes-after-it-was-issued",
        Skip,
        WAITS,
    ),
    finding(
        "authentication_request/a-max-age-shorter-than-the-time-since-the-login-makes-the-provider-log-the-user-in-again",
        Fail,
        Behaviour,
        "Core §3.1.2.1: past max_age the OP MUST re-authenticate; DOT reads no max_age, so the \
         second request two seconds after the login reuses the Django session (no login page in \
         the evidence) and the ID token keeps the first auth_time",
    ),
];

/// DOT's folder under `target/peers`, started by its `setup.sh`;
/// `setup.sh stop` on drop.
struct Dot(PathBuf);

impl Dot {
    fn start(port: u16, lifetimes: &[(&str, &str)]) -> Dot {
        let dir = peers::require(
            peers::root().join("target/peers/django-oauth-toolkit"),
            "run scripts/install-peers (it copies django-oauth-toolkit into target/peers)",
        );
        let mut setup = Command::new(dir.join("setup.sh"));
        setup.env("DOT_PORT", port.to_string());
        for (name, value) in lifetimes {
            setup.env(name, value);
        }
        let out = setup.output().expect("setup.sh runs");
        let dot = Dot(dir);
        assert!(
            out.status.success(),
            "django-oauth-toolkit did not start: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        dot
    }
}

impl Drop for Dot {
    fn drop(&mut self) {
        let _ = Command::new(self.0.join("setup.sh")).arg("stop").output();
    }
}

fn profile(port: u16) -> String {
    std::fs::read_to_string(peers::root().join("examples/targets/django-oauth-toolkit.toml"))
        .expect("the example profile")
        .replace("127.0.0.1:8750", &format!("127.0.0.1:{port}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn django_oauth_toolkit_gets_the_verdicts_its_behaviour_deserves() {
    let port = peers::free_port();
    {
        let _dot = Dot::start(port, &[]);
        let report = peers::check(
            &profile(port),
            "django-oauth-toolkit.toml",
            Some("not @serial"),
        )
        .await;
        peers::assert_verdicts(&report, EXPECTED, "django-oauth-toolkit");
        assert_eq!(report.exit_code(false), 1, "DOT breaks MUSTs");
    }
    // Codes, access tokens and refresh tokens (counted from the access
    // token's expiry) living seconds; DOT allows no clock skew on its own
    // database rows.
    let _dot = Dot::start(
        port,
        &[("CODE_TTL", "3"), ("ACCESS_TTL", "3"), ("REFRESH_TTL", "3")],
    );
    let text = profile(port)
        .replace("code = \"60s\"", "code = \"3s\"")
        .replace("access = \"3600s\"", "access = \"3s\"")
        .replace(
            "refresh = \"90000s\"",
            "refresh = \"6s\"\nclock_skew = \"1s\"",
        );
    assert!(
        text.contains("clock_skew = \"1s\""),
        "the profile's [lifetimes] changed"
    );
    let report = peers::check(&text, "django-oauth-toolkit.toml", Some("@serial")).await;
    peers::assert_verdicts(
        &report,
        EXPECTED_WAITS,
        "django-oauth-toolkit with 3 s lifetimes",
    );
    assert_eq!(
        report.totals().pass,
        8,
        "every wait ran and passed: codes and tokens expire when DOT says, and a refreshed ID token keeps the original's claims (Core §12.2)"
    );

    // Issue 14: the load finds DOT's tokens opaque by itself and checks the
    // first one by introspection, where it used to fail every answer as
    // "not a JWT" and exit 0.
    let tmp = tempfile::tempdir().expect("a temporary directory");
    let path = tmp.path().join("dot.toml");
    std::fs::write(&path, profile(port)).expect("the profile written");
    let dir = tmp.path().join("load");
    let out = tokio::task::spawn_blocking(move || {
        Command::new(env!("CARGO_BIN_EXE_oauthspec"))
            .args([
                "load",
                "client-credentials",
                "--users",
                "2",
                "--run-time",
                "1s",
            ])
            .args(["--no-baseline", "--target"])
            .arg(&path)
            .arg("--report-dir")
            .arg(&dir)
            .output()
            .map(|o| (o, std::fs::read_to_string(dir.join("summary.md"))))
    })
    .await
    .expect("the load ran")
    .expect("oauthspec runs");
    let (out, summary) = out;
    let summary = summary.unwrap_or_default();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}{summary}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        summary.contains("access tokens: opaque (detected")
            && summary.contains("checked by introspection (active)"),
        "{summary}"
    );
}
