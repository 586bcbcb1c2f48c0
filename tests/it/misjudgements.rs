//! One small server per shape that used to be misjudged on third-party
//! targets (issue 10), each with the verdicts it must get: a FAIL only for
//! what the server did wrong, an ERROR (exit 3) for what could not be set
//! up, a SKIP for what does not apply, and no PASS that rests on anything
//! but the rule. The servers are in `fixtures/`.

use std::sync::Arc;

use axum::http::{Method, StatusCode};
use oauthspec::report::{RunReport, ScenarioOutcome, Verdict};
use oauthspec_reference_server::Settings;
use oauthspec_reference_server::config::{DefaultLifetimes, StaticClient};

use super::fixtures::{self, Behind, Incoming, Outgoing, reference_profile, rp};
use super::peers;

fn scenario<'r>(report: &'r RunReport, id: &str) -> &'r ScenarioOutcome {
    report
        .scenarios
        .iter()
        .find(|s| s.id == id)
        .unwrap_or_else(|| panic!("{id} did not run"))
}

fn listing(report: &RunReport) -> String {
    report
        .scenarios
        .iter()
        .map(|s| {
            let why = s
                .finding
                .as_ref()
                .map(|f| format!("{} | {}", f.requirement, f.actual))
                .or_else(|| s.reason().map(str::to_owned))
                .unwrap_or_default();
            format!("{} {}: {why}", s.verdict, s.id)
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// No FAIL and no WARN: nothing here is the server's fault. With
/// `SHOW_VERDICTS` set, prints every verdict (to check them by hand).
fn assert_no_blame(report: &RunReport, fixture: &str) {
    if std::env::var_os("SHOW_VERDICTS").is_some() {
        eprintln!("== {fixture}\n{}", listing(report));
    }
    peers::assert_plain_words(report);
    assert!(
        report
            .scenarios
            .iter()
            .all(|s| !matches!(s.verdict, Verdict::Fail | Verdict::Warn)),
        "{fixture}: the server was blamed:\n{}",
        listing(report)
    );
}

fn static_client(id: &str, secret: &str) -> StaticClient {
    StaticClient {
        client_id: id.into(),
        client_secret: Some(secret.into()),
        redirect_uris: vec!["http://127.0.0.1:8765/callback".into()],
        grant_types: vec!["authorization_code".into(), "refresh_token".into()],
        token_endpoint_auth_method: "client_secret_basic".into(),
        scope: Some("profile notes:read notes:write".into()),
    }
}

fn profile_client(id: &str, secret: &str) -> String {
    format!(
        "[[clients]]\nid = \"{id}\"\nsecret = \"{secret}\"\nauth_method = \"client_secret_basic\"\n\
         redirect_uri = \"http://127.0.0.1:8765/callback\"\nscope = \"profile notes:read notes:write\"\n\
         grant_types = [\"authorization_code\", \"refresh_token\"]\n\n"
    )
}

/// A server without registration: 404 at /register, none in its metadata.
async fn no_registration(behind: Arc<Behind>, req: Incoming) -> Outgoing {
    if req.path() == "/register" {
        return Outgoing::new(StatusCode::NOT_FOUND, "text/plain", "not found");
    }
    let out = behind.send(&req).await;
    if req.path().starts_with("/.well-known/") && out.status == StatusCode::OK {
        let mut meta = out.json();
        meta.as_object_mut()
            .expect("metadata")
            .remove("registration_endpoint");
        return out.with_json(&meta);
    }
    out
}

const FIRST_SECRET: &str = "first-secret-0123456789abcdef";
const SECOND_SECRET: &str = "second-secret-0123456789abcdef";
const CROSS_CLIENT: [&str; 3] = [
    "authorization_code/a-code-issued-to-one-client-cannot-be-redeemed-by-another",
    "refresh/another-client-cannot-use-this-client-s-refresh-token",
    "revocation/another-client-cannot-revoke-this-client-s-tokens",
];
const CROSS_CLIENT_TAGS: &str = "@rfc6749-10.5 or @rfc6749-10.4 or @rfc7009-2.1";

/// Misjudgement 1: "a second client" was the first one again, and the
/// server's correct refusal a security FAIL. With two profile clients the
/// second is the other id (shown in the evidence); with one, the scenarios
/// SKIP and say which entry would run them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_without_registration_and_two_profile_clients() {
    let settings = Settings {
        clients: vec![
            static_client("first", FIRST_SECRET),
            static_client("second", SECOND_SECRET),
        ],
        ..Settings::default()
    };
    let server = fixtures::shaped_reference(settings, no_registration).await;
    let two = reference_profile(
        &server.url,
        &["[registration]"],
        &(profile_client("first", FIRST_SECRET) + &profile_client("second", SECOND_SECRET)),
    );
    let report = peers::check(&two, "two-clients.toml", Some(CROSS_CLIENT_TAGS)).await;
    assert_no_blame(&report, "two profile clients");
    for id in CROSS_CLIENT {
        let s = scenario(&report, id);
        assert_eq!(s.verdict, Verdict::Pass, "{id}:\n{}", listing(&report));
        assert!(
            s.evidence
                .iter()
                .any(|e| e.contains("client_id \"second\"")),
            "{id}: the evidence shows the second client's id"
        );
    }

    let one = reference_profile(
        &server.url,
        &["[registration]"],
        &profile_client("first", FIRST_SECRET),
    );
    let report = peers::check(&one, "one-client.toml", Some(CROSS_CLIENT_TAGS)).await;
    assert_no_blame(&report, "one profile client");
    for id in CROSS_CLIENT {
        let s = scenario(&report, id);
        assert_eq!(s.verdict, Verdict::Skip, "{id}:\n{}", listing(&report));
        assert!(
            s.reason().is_some_and(|r| r.contains("second client"))
                && s.fix().is_some_and(|f| f.contains("[[clients]]")),
            "{id}: {:?} / {:?}",
            s.reason(),
            s.fix()
        );
    }
}

/// An authorization server that approves at once: no login page, no
/// consent page. Misjudgement 7: no profile field could say so.
async fn auto_approve(behind: Arc<Behind>, req: Incoming) -> Outgoing {
    let out = behind.send(&req).await;
    let interaction = out
        .location()
        .and_then(|l| l.strip_prefix("/interaction/"))
        .map(str::to_owned);
    let (true, Some(id)) = (req.path() == "/authorize", interaction) else {
        return out;
    };
    let cookie = out
        .headers
        .get("set-cookie")
        .and_then(|v| v.to_str().ok())
        .and_then(|c| c.split(';').next())
        .expect("the interaction's cookie")
        .to_owned();
    let state = behind
        .reference
        .as_ref()
        .expect("the reference server")
        .state();
    state.interactions.set_user(&id, "alice", state.clock.now());
    let csrf = state
        .interactions
        .get(&id, state.clock.now())
        .expect("the interaction")
        .csrf_token;
    let mut headers = axum::http::HeaderMap::new();
    headers.insert("cookie", cookie.parse().expect("a cookie"));
    headers.insert(
        "content-type",
        "application/x-www-form-urlencoded".parse().expect("a type"),
    );
    behind
        .send(&Incoming {
            method: Method::POST,
            target: format!("/interaction/{id}/consent"),
            headers,
            body: format!("csrf_token={csrf}&decision=approve").into(),
        })
        .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_auto_approving_server_without_a_login_page() {
    let server = fixtures::shaped_reference(Settings::default(), auto_approve).await;
    let profile = reference_profile(
        &server.url,
        &["[login]"],
        "[login]\nstrategy = \"none\"\nconsent = \"none\"\n",
    );
    let report = peers::check(
        &profile,
        "auto-approve.toml",
        Some("@authorization_code or @pkce"),
    )
    .await;
    assert_no_blame(&report, "auto-approve");
    assert!(
        report.scenarios.iter().all(|s| s.verdict != Verdict::Error),
        "{}",
        listing(&report)
    );
    let got_code = scenario(
        &report,
        "authorization_code/the-user-logs-in-approves-and-the-client-receives-a-code",
    );
    assert_eq!(got_code.verdict, Verdict::Pass);
    let deny = scenario(
        &report,
        "authorization_code/the-user-s-refusal-reaches-the-client-as-access-denied",
    );
    assert_eq!(deny.verdict, Verdict::Skip, "{:?}", deny.reason());
}

/// A login page drawn by JavaScript: no form for the walker. Misjudgement
/// 2: every scenario behind the login was the server's FAIL.
async fn script_login_page(behind: Arc<Behind>, req: Incoming) -> Outgoing {
    let path = req.path();
    if req.method == Method::GET && path.starts_with("/interaction/") && !path.ends_with("/consent")
    {
        return Outgoing::new(
            StatusCode::OK,
            "text/html; charset=utf-8",
            "<!doctype html><title>Sign in</title><div id=\"root\"></div><script src=\"/static/login.js\"></script>",
        );
    }
    behind.send(&req).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_javascript_only_login_page_is_an_error_not_a_failure() {
    let server = fixtures::shaped_reference(Settings::default(), script_login_page).await;
    let profile = reference_profile(&server.url, &[], "");
    let report = peers::check(&profile, "script-login.toml", Some("@authorization_code")).await;
    assert_no_blame(&report, "script login page");
    let errors: Vec<_> = report
        .scenarios
        .iter()
        .filter(|s| s.verdict == Verdict::Error)
        .collect();
    assert!(errors.len() >= 10, "{}", listing(&report));
    let causes: std::collections::BTreeSet<_> = errors.iter().map(|s| s.reason()).collect();
    assert_eq!(
        causes.len(),
        1,
        "one cause, so the summary groups them: {causes:?}"
    );
    for s in &errors {
        assert!(
            s.reason().is_some_and(|r| r.contains("script")) && s.fix().is_some(),
            "{}: {:?} / {:?}",
            s.id,
            s.reason(),
            s.fix()
        );
    }
    assert_eq!(
        report.exit_code(false),
        3,
        "could not be set up: exit 3, not 0 or 1"
    );
}

/// Misjudgement 2 again: discovery names a host the profile does not (here
/// `localhost`, the same server): the harness may not go there, so the
/// scenarios could not be set up. Allowing the host runs them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn discovery_naming_an_unlisted_host() {
    let server = fixtures::shaped_reference(
        Settings::default(),
        |behind: Arc<Behind>, req: Incoming| async move {
            let out = behind.send(&req).await;
            if req.path() == "/.well-known/oauth-authorization-server" {
                let mut meta = out.json();
                let token = meta["token_endpoint"].as_str().expect("a token endpoint");
                meta["token_endpoint"] = token.replace("127.0.0.1", "localhost").into();
                return out.with_json(&meta);
            }
            out
        },
    )
    .await;
    let elsewhere = server.authority().replace("127.0.0.1", "localhost");
    let profile = reference_profile(&server.url, &[], "");
    let report = peers::check(&profile, "unlisted-host.toml", Some("@client_credentials")).await;
    assert_no_blame(&report, "unlisted host");
    let errors: Vec<_> = report
        .scenarios
        .iter()
        .filter(|s| s.verdict == Verdict::Error)
        .collect();
    assert!(!errors.is_empty(), "{}", listing(&report));
    for s in &errors {
        assert!(
            s.reason().is_some_and(|r| r.contains(&elsewhere))
                && s.fix().is_some_and(|f| f.contains("allow_hosts")),
            "{}: {:?} / {:?}",
            s.id,
            s.reason(),
            s.fix()
        );
    }
    assert_eq!(report.exit_code(false), 3);

    let allowed = reference_profile(
        &server.url,
        &[],
        &format!("[http]\nallow_hosts = [\"{elsewhere}\"]\n"),
    );
    let report = peers::check(&allowed, "unlisted-host.toml", Some("@client_credentials")).await;
    assert_no_blame(&report, "allowed host");
    assert!(
        report.scenarios.iter().all(|s| s.verdict == Verdict::Pass),
        "{}",
        listing(&report)
    );
}

/// Misjudgement 4: a relying party that refused every forged login with a
/// 200 error page got security FAILs. It refused: every scenario passes,
/// each after an honest login through the same app succeeded. (Its profile
/// names no API, so the scenario about the app's API SKIPs.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_relying_party_that_refuses_with_a_200_page() {
    let upstream_port = peers::free_port();
    let app = rp::start(upstream_port, rp::Options::default()).await;
    let profile = rp::profile(
        &app.url,
        upstream_port,
        "\n[relying_party.success]\nstatus = 200\njson_field = \"token\"\n",
    );
    let report = peers::check(&profile, "rp.toml", Some("@upstream_login")).await;
    assert_eq!(report.scenarios.len(), 12, "{}", listing(&report));
    for s in &report.scenarios {
        let expected = if s.id == rp::FORGED_LOGIN_API {
            Verdict::Skip
        } else {
            Verdict::Pass
        };
        assert_eq!(s.verdict, expected, "{}", listing(&report));
    }
}

/// Misjudgement 4, the shape of Apache's mod_auth_openidc: a login that
/// worked and one that was refused both redirect to the same app page,
/// which answers 200 either way; only the session tells them apart. Judged
/// by the session page, every forgery is refused and the app's API refuses
/// whatever a forged login gave; the same app with its ID-token signature
/// check switched off FAILs exactly the scenarios that forge the signature.
/// A session page that shows every visitor the same 200 page cannot tell a login from
/// none: every scenario judged by it is an ERROR naming the profile field, never a PASS
/// or a FAIL, even against the app with its signature check off.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_session_page_that_cannot_tell_logins_apart_is_a_setup_error() {
    let upstream_port = peers::free_port();
    let app = rp::start(
        upstream_port,
        rp::Options {
            shape: rp::Shape::Session,
            verify_signature: false,
            script_start: false,
        },
    )
    .await;
    let table = format!("\n[relying_party.session]\nurl = \"{}/home\"\n", app.url);
    let profile = rp::profile(&app.url, upstream_port, &table);
    let report = peers::check(&profile, "rp-home.toml", Some("@upstream_login")).await;
    for s in &report.scenarios {
        let expected = if s.id == rp::FORGED_LOGIN_API {
            Verdict::Skip // no token in this profile
        } else {
            Verdict::Error
        };
        assert_eq!(s.verdict, expected, "{}", listing(&report));
        if expected == Verdict::Error {
            assert!(
                s.reason()
                    .is_some_and(|r| r.contains("cannot tell a login from none")),
                "{}: {:?}",
                s.id,
                s.reason()
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_relying_party_judged_by_its_session_not_its_pages() {
    for verify_signature in [true, false] {
        let upstream_port = peers::free_port();
        let app = rp::start(
            upstream_port,
            rp::Options {
                shape: rp::Shape::Session,
                verify_signature,
                script_start: false,
            },
        )
        .await;
        let profile = rp::profile(&app.url, upstream_port, &rp::session_table(&app.url));
        let report = peers::check(&profile, "rp-session.toml", Some("@upstream_login")).await;
        rp::assert_session_verdicts(&report, verify_signature);
    }
}

fn lifetimes(access: i64, refresh: i64) -> Settings {
    Settings {
        lifetimes: DefaultLifetimes {
            access_token: access,
            refresh_token: refresh,
            code: 60,
        },
        ..Settings::default()
    }
}

fn lifetimes_profile(url: &str, access: i64, refresh: i64) -> String {
    reference_profile(
        url,
        &[],
        &format!(
            "[lifetimes]\naccess = \"{access}s\"\nrefresh = \"{refresh}s\"\nclock_skew = \"1s\"\n"
        ),
    )
}

const REFRESH_EXPIRY: &str = "@expiry and @rfc6749-6";
const NEW_ACCESS_TOKEN: &str =
    "expiry/once-the-access-token-has-expired-the-refresh-token-gets-a-new-one";
const EXPIRED_REFRESH: &str = "expiry/an-expired-refresh-token-is-refused";

/// Misjudgement 6: fixed timing. The waits come from the profile's
/// lifetimes; a refresh token that dies before its access token SKIPs the
/// scenario that needs it alive, one that outlives it runs it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refresh_tokens_that_predecease_or_outlive_access_tokens() {
    let server = fixtures::shaped_reference(lifetimes(3, 2), fixtures::unchanged).await;
    let report = peers::check(
        &lifetimes_profile(&server.url, 3, 2),
        "predecease.toml",
        Some(REFRESH_EXPIRY),
    )
    .await;
    assert_no_blame(&report, "refresh token dies first");
    let s = scenario(&report, NEW_ACCESS_TOKEN);
    assert_eq!(s.verdict, Verdict::Skip);
    assert!(
        s.reason()
            .is_some_and(|r| r.contains("lives 2 s, no longer than the access token (3 s)")),
        "{:?}",
        s.reason()
    );
    assert_eq!(
        scenario(&report, EXPIRED_REFRESH).verdict,
        Verdict::Pass,
        "{}",
        listing(&report)
    );
    drop(server);

    let server = fixtures::shaped_reference(lifetimes(2, 5), fixtures::unchanged).await;
    let report = peers::check(
        &lifetimes_profile(&server.url, 2, 5),
        "outlive.toml",
        Some(REFRESH_EXPIRY),
    )
    .await;
    assert!(
        report.scenarios.iter().all(|s| s.verdict == Verdict::Pass),
        "{}",
        listing(&report)
    );
}

/// Misjudgement 3: "a token in a form body is refused" passed because the
/// route refused every POST (405, or 403 for CSRF). Here the API's only
/// route is such a POST: no refusal may pass without the genuine token
/// being accepted first, so nothing that needs the API passes or fails.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_api_route_that_refuses_every_post() {
    let server = fixtures::shaped_reference(
        Settings::default(),
        |behind: Arc<Behind>, req: Incoming| async move {
            if req.method == Method::POST && req.path().starts_with("/api/") {
                return Outgoing::new(
                    StatusCode::FORBIDDEN,
                    "text/html",
                    "<h1>403 Forbidden</h1><p>CSRF verification failed.</p>",
                );
            }
            behind.send(&req).await
        },
    )
    .await;
    let profile = reference_profile(
        &server.url,
        &["[[resources]]"],
        &format!(
            "[[resources]]\nurl = \"{}/api/notes\"\nmethod = \"POST\"\nscope = \"notes:write\"\n\
             body = {{ text = \"written by oauthspec\" }}\n",
            server.url
        ),
    );
    let report = peers::check(
        &profile,
        "post-only.toml",
        Some("@resource_server or @jwt_attacks"),
    )
    .await;
    assert_no_blame(&report, "CSRF-protected API");
    let passed: Vec<_> = report
        .scenarios
        .iter()
        .filter(|s| s.verdict == Verdict::Pass)
        .map(|s| s.id.as_str())
        .collect();
    assert!(
        passed.is_empty(),
        "passed without a working API: {passed:?}"
    );
    assert_eq!(report.exit_code(false), 3, "{}", listing(&report));
}

/// Misjudgement 2: a registration the server refuses (here with a 500)
/// left every scenario that needed a client to FAIL its own rule.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_registration_that_fails_is_an_error_not_a_failure() {
    let server = fixtures::shaped_reference(
        Settings::default(),
        |behind: Arc<Behind>, req: Incoming| async move {
            if req.method == Method::POST && req.path() == "/register" {
                return Outgoing::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "text/plain",
                    "Internal Server Error",
                );
            }
            behind.send(&req).await
        },
    )
    .await;
    let profile = reference_profile(&server.url, &[], "");
    let report = peers::check(
        &profile,
        "registration-500.toml",
        Some("@client_credentials or @pkce"),
    )
    .await;
    assert_no_blame(&report, "registration answers 500");
    assert!(
        report
            .scenarios
            .iter()
            .all(|s| s.verdict == Verdict::Error && s.reason().is_some_and(|r| r.contains("500"))),
        "{}",
        listing(&report)
    );
    assert_eq!(report.exit_code(false), 3);
}
