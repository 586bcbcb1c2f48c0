//! The whole spec against the flask-social-login peer
//! (`../shared/peers/flask-social-login`, installed by
//! `scripts/install-peers` into `target/peers/venv`): an Authlib app that
//! logs its users in through an upstream OpenID provider. The test starts
//! the app on a free port, pointed at another free port where the
//! scenarios start the fake provider (one scenario at a time). Authlib
//! checks every ID token and state the harness forges: the upstream_login
//! area passes, each refusal after a control login through the same app
//! succeeded; everything else is about servers, not relying parties, and
//! SKIPs.

use oauthspec::report::Verdict::Skip;

use super::peers::{self, AUTHORIZATION_SERVER_AREAS, Expect, NOT_AN_AS, not_run};

const NO_TOKENS: &str = "a relying-party target issues no access tokens";

const EXPECTED: &[Expect] = &[
    not_run("jwt_attacks/*", Skip, NO_TOKENS),
    not_run("resource_server/*", Skip, NO_TOKENS),
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
        NO_TOKENS,
    ),
    not_run(
        "scopes/an-api-that-refuses-a-token-for-lack-of-scope-says-how-to-authenticate",
        Skip,
        NO_TOKENS,
    ),
    not_run(
        "scopes/a-token-lacking-a-scope-is-answered-403-insufficient-scope-naming-the-scope-needed",
        Skip,
        NO_TOKENS,
    ),
    not_run("scopes/*", Skip, "names no protected resource"),
    not_run("jwks/*", Skip, "publishes no jwks_uri"),
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn flask_social_login_refuses_every_forged_upstream_answer() {
    let root = peers::root();
    let (port, upstream_port) = (peers::free_port(), peers::free_port());
    let mut command = peers::flask("flask-social-login");
    command
        .env("UPSTREAM", format!("http://127.0.0.1:{upstream_port}"))
        .env("CLIENT_ID", "app-client")
        .env("CLIENT_SECRET", "app-secret")
        .env("PORT", port.to_string());
    let _peer = peers::start("the flask-social-login peer", command, &[port]);
    let text = std::fs::read_to_string(root.join("examples/targets/flask-social-login.toml"))
        .expect("the example profile")
        .replace("127.0.0.1:8765", &format!("127.0.0.1:{port}"))
        .replace(
            "upstream_port = 8766",
            &format!("upstream_port = {upstream_port}"),
        );
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
    assert_eq!(upstream.len(), 11, "every upstream_login scenario ran");
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
    assert_eq!(
        report.exit_code(false),
        0,
        "nothing failed and the upstream logins were checked"
    );
}
