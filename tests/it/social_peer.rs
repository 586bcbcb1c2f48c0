//! The upstream_login area against the flask-social-login peer
//! (`../shared/peers/flask-social-login`, installed by
//! `scripts/install-peers` into `target/peers/venv`): an Authlib app that
//! logs its users in through an upstream OpenID provider. The test starts
//! the app on a free port, pointed at another free port where the
//! scenarios start the fake provider (one scenario at a time). Its verdicts
//! are asserted scenario by scenario; the reasons are in
//! `examples/targets/flask-social-login.toml`.

use oauthspec::report::Verdict;

use super::peers;

fn start_app(port: u16, upstream_port: u16) -> peers::Peer {
    let mut command = peers::flask("flask-social-login");
    command
        .env("UPSTREAM", format!("http://127.0.0.1:{upstream_port}"))
        .env("CLIENT_ID", "app-client")
        .env("CLIENT_SECRET", "app-secret")
        .env("PORT", port.to_string());
    peers::start("the flask-social-login peer", command, &[port])
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn flask_social_login_refuses_every_forged_upstream_answer_but_hangs_on_a_slow_provider() {
    let root = peers::root();
    let (port, upstream_port) = (peers::free_port(), peers::free_port());
    let _peer = start_app(port, upstream_port);
    let text = std::fs::read_to_string(root.join("examples/targets/flask-social-login.toml"))
        .expect("the example profile")
        .replace("127.0.0.1:8765", &format!("127.0.0.1:{port}"))
        .replace(
            "upstream_port = 8766",
            &format!("upstream_port = {upstream_port}"),
        );
    let report = peers::check(&text, "flask-social-login.toml", "@upstream_login").await;

    use Verdict::{Fail, Pass};
    let expected: &[(&str, Verdict)] = &[
        (
            "upstream_login/a-user-logs-in-through-the-upstream-provider",
            Pass,
        ),
        (
            "upstream_login/an-id-token-signed-by-someone-else-s-key-is-refused",
            Pass,
        ),
        (
            "upstream_login/an-id-token-minted-for-another-login-wrong-nonce-is-refused",
            Pass,
        ),
        (
            "upstream_login/an-id-token-meant-for-another-client-is-refused",
            Pass,
        ),
        (
            "upstream_login/an-id-token-from-another-issuer-is-refused",
            Pass,
        ),
        ("upstream_login/an-expired-id-token-is-refused", Pass),
        (
            "upstream_login/an-unsigned-id-token-alg-none-is-refused",
            Pass,
        ),
        (
            "upstream_login/an-answer-carrying-another-login-s-state-is-refused",
            Pass,
        ),
        (
            "upstream_login/the-provider-saying-access-denied-ends-the-login",
            Pass,
        ),
        (
            "upstream_login/the-provider-s-token-endpoint-failing-ends-the-login",
            Pass,
        ),
        (
            "upstream_login/the-provider-refusing-the-code-ends-the-login",
            Pass,
        ),
        (
            "upstream_login/an-answer-whose-state-was-changed-on-the-way-back-is-refused",
            Pass,
        ),
        // Authlib's token request has no timeout: the app hangs with the provider.
        (
            "upstream_login/a-provider-that-does-not-answer-is-answered-promptly-not-left-hanging",
            Fail,
        ),
    ];
    let got: Vec<(String, Verdict)> = report
        .scenarios
        .iter()
        .map(|s| (s.id.clone(), s.verdict))
        .collect();
    let mut wrong = Vec::new();
    for (id, verdict) in expected {
        match got.iter().find(|(g, _)| g == id) {
            Some((_, v)) if v == verdict => {}
            Some((_, v)) => wrong.push(format!("{id}: expected {verdict:?}, got {v:?}")),
            None => wrong.push(format!("{id}: not run")),
        }
    }
    for (id, _) in &got {
        if !expected.iter().any(|(e, _)| e == id) {
            wrong.push(format!("{id}: ran, but no verdict is expected for it"));
        }
    }
    let details: Vec<String> = report
        .scenarios
        .iter()
        .filter(|s| s.verdict != Verdict::Pass)
        .map(|s| format!("{} {:?}: {:?}", s.id, s.verdict, s.finding))
        .collect();
    assert!(
        wrong.is_empty(),
        "{wrong:#?}\n\nnon-passing scenarios:\n{details:#?}"
    );
    assert_eq!(
        report.exit_code(false),
        1,
        "the hanging callback is a MUST failure"
    );
}
