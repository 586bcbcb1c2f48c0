//! Login strategies other than the form walker, each against a real server
//! over loopback (issue 11). `command`: an external program logs in and
//! prints where the browser ended; the harness judges only that URL. `api`:
//! the requests a script login page makes, listed in the profile.
//! `browser`: a headless Chromium running the page's own script.

use oauthspec::report::{RunReport, Verdict};
use oauthspec_reference_server::Settings;
use oauthspec_reference_server::config::LoginPage;
use oauthspec_reference_server::faults::Fault;

use super::fixtures::{self, Behind, Incoming, Outgoing, reference_profile, rp, unchanged};
use super::peers;

/// The reference server, but a browser that comes back to `/authorize`
/// with the cookie the login page set (a session left over from an earlier
/// walk) gets an error page: a browser context reused without being cleared
/// would turn later walks into ERRORs.
async fn one_login_per_browser(behind: std::sync::Arc<Behind>, req: Incoming) -> Outgoing {
    let leftover = req
        .headers
        .get_all(axum::http::header::COOKIE)
        .iter()
        .any(|v| v.to_str().is_ok_and(|c| c.contains("walked=1")));
    if req.path() == "/authorize" && leftover {
        return Outgoing::new(
            axum::http::StatusCode::BAD_REQUEST,
            "text/html",
            "<p>a cookie from another walk came back</p>",
        );
    }
    let mut out = behind.send(&req).await;
    if req.path().starts_with("/interaction/") {
        out.headers.append(
            axum::http::header::SET_COOKIE,
            axum::http::HeaderValue::from_static("walked=1; Path=/"),
        );
    }
    out
}

/// The reference profile with `[login]` done by `command`.
fn command_profile(url: &str, command: &str) -> String {
    reference_profile(
        url,
        &["[login]"],
        &format!(
            "[login]\nstrategy = \"command\"\ncommand = {command}\nusername = \"alice\"\npassword = \"alice-password\"\n"
        ),
    )
}

fn form_login_command() -> String {
    let script = peers::root().join("examples/login-commands/form-login.py");
    format!("[\"python3\", {:?}]", script.display().to_string())
}

fn verdict(report: &RunReport, id: &str) -> Verdict {
    report
        .scenarios
        .iter()
        .find(|s| s.id == id)
        .unwrap_or_else(|| panic!("{id} did not run"))
        .verdict
}

fn verdicts(r: &RunReport) -> Vec<(String, Verdict)> {
    r.scenarios
        .iter()
        .map(|s| (s.id.clone(), s.verdict))
        .collect()
}

/// Every scenario that needed a user is an ERROR whose reason says `why`;
/// the run exits 3 (could not be set up), never 1.
fn assert_setup_errors(report: &RunReport, why: &[&str]) {
    peers::assert_plain_words(report);
    let walked: Vec<_> = report
        .scenarios
        .iter()
        .filter(|s| s.verdict != Verdict::Skip)
        .collect();
    assert!(walked.len() >= 10);
    for s in &walked {
        assert_eq!(s.verdict, Verdict::Error, "{}: {:?}", s.id, s.reason());
        let reason = s.reason().unwrap_or_default();
        assert!(why.iter().all(|w| reason.contains(w)), "{}: {reason}", s.id);
    }
    assert_eq!(report.exit_code(false), 3);
}

/// The scenario that must FAIL against `fault`, walked with `profile`.
async fn catches(fault: Fault, scenario: &str, server: fixtures::Fixture, profile: String) {
    let report = peers::check(&profile, "fault.toml", Some(TAGS)).await;
    assert_eq!(verdict(&report, scenario), Verdict::Fail, "{fault:?}");
    drop(server);
}

const GETS_A_CODE: &str =
    "authorization_code/the-user-logs-in-approves-and-the-client-receives-a-code";

/// The form walker's verdicts on the (correct) form page, for a strategy
/// to match.
async fn by_the_form_walker() -> RunReport {
    let server = fixtures::shaped_reference(Settings::default(), unchanged).await;
    peers::check(
        &reference_profile(&server.url, &[], ""),
        "form.toml",
        Some(TAGS),
    )
    .await
}

/// `report` has exactly the form walker's verdicts, all PASS or SKIP, the
/// user's refusal included, in plain words.
fn assert_walks_like_the_form_walker(report: &RunReport, by_form: &RunReport) {
    peers::assert_plain_words(report);
    assert_eq!(verdicts(report), verdicts(by_form));
    assert!(
        report
            .scenarios
            .iter()
            .all(|s| s.verdict == Verdict::Pass || s.verdict == Verdict::Skip)
    );
    assert_eq!(verdict(report, REFUSAL), Verdict::Pass);
}

const REFUSAL: &str = "authorization_code/the-user-s-refusal-reaches-the-client-as-access-denied";

const TAGS: &str = "@authorization_code or @pkce";

/// The example command (a form login in Python) gets exactly the form
/// walker's verdicts on a correct server, approval and refusal alike, and
/// the faults of the authorization endpoint are caught through it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_login_command_gets_the_walker_s_verdicts_and_catches_faults() {
    let server = fixtures::shaped_reference(Settings::default(), unchanged).await;
    let by_command = peers::check(
        &command_profile(&server.url, &form_login_command()),
        "command.toml",
        Some(TAGS),
    )
    .await;
    assert_walks_like_the_form_walker(&by_command, &by_the_form_walker().await);

    for (fault, scenario) in [
        (Fault::StateNotEchoed, GETS_A_CODE),
        (
            Fault::IssMissing,
            "authorization_code/the-authorization-response-says-which-server-sent-it",
        ),
        (
            Fault::ErrorRedirectUnregistered,
            "authorization_code/an-unregistered-redirect-uri-is-never-redirected-to",
        ),
    ] {
        let server = fixtures::shaped_reference(
            Settings {
                faults: vec![fault],
                ..Settings::default()
            },
            unchanged,
        )
        .await;
        let profile = command_profile(&server.url, &form_login_command());
        catches(fault, scenario, server, profile).await;
    }
}

/// A command that cannot log in is the harness's setup problem: ERROR with
/// the program's own reason, exit 3, and no verdict on the server - not a
/// FAIL, and no PASS for "the user is not redirected" either.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_login_command_that_fails_is_an_error_with_its_reason() {
    let server = fixtures::shaped_reference(Settings::default(), unchanged).await;
    let broken = r#"["sh", "-c", "echo 'the login button moved' >&2; exit 1"]"#;
    let report = peers::check(
        &command_profile(&server.url, broken),
        "command.toml",
        Some(TAGS),
    )
    .await;
    assert_setup_errors(&report, &["the login button moved"]);
}

/// The reference server's script login page (no form), its profile
/// pointed at `url`.
fn script_profile(url: &str, password: &str) -> String {
    std::fs::read_to_string(peers::root().join("examples/targets/reference-script-login.toml"))
        .expect("the example profile")
        .replace("http://127.0.0.1:8080", url)
        .replace(
            "password = \"alice-password\"",
            &format!("password = {password:?}"),
        )
}

async fn script_server(faults: Vec<Fault>) -> fixtures::Fixture {
    fixtures::shaped_reference(
        Settings {
            login_page: LoginPage::Script,
            faults,
            ..Settings::default()
        },
        unchanged,
    )
    .await
}

/// `strategy = "api"` logs in where the form walker cannot: on the script
/// page it gets the verdicts the walker gets on the form page, refusal
/// included, and the faults of the authorization endpoint are caught.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_api_strategy_logs_in_on_a_page_without_a_form() {
    let server = script_server(Vec::new()).await;
    let by_api = peers::check(
        &script_profile(&server.url, "alice-password"),
        "api.toml",
        Some(TAGS),
    )
    .await;
    assert_walks_like_the_form_walker(&by_api, &by_the_form_walker().await);

    // The form walker on the same page: ERRORs pointing at the strategies.
    let by_walker = peers::check(
        &reference_profile(&server.url, &[], ""),
        "walker.toml",
        Some(TAGS),
    )
    .await;
    let errors: Vec<_> = by_walker
        .scenarios
        .iter()
        .filter(|s| s.verdict == Verdict::Error)
        .collect();
    assert!(errors.len() >= 10);
    assert!(
        errors
            .iter()
            .all(|s| s.fix().is_some_and(|f| f.contains("strategy = \"api\"")))
    );
    assert!(
        by_walker
            .scenarios
            .iter()
            .all(|s| s.verdict != Verdict::Fail)
    );

    let server = script_server(vec![Fault::StateNotEchoed]).await;
    let profile = script_profile(&server.url, "alice-password");
    catches(Fault::StateNotEchoed, GETS_A_CODE, server, profile).await;
}

/// Credentials the API login refuses: every scenario that needs a user is
/// an ERROR naming the refused request, never a FAIL.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_api_login_that_is_refused_is_an_error_naming_the_request() {
    let server = script_server(Vec::new()).await;
    let report = peers::check(
        &script_profile(&server.url, "wrong-password"),
        "api.toml",
        Some(TAGS),
    )
    .await;
    assert_setup_errors(&report, &["request 0 (POST", "401"]);
    assert!(
        report
            .scenarios
            .iter()
            .all(|s| !s.reason().unwrap_or_default().contains("wrong-password"))
    );
}

/// The reference profile with `[login]` done by a headless Chromium.
fn browser_profile(url: &str, password: &str) -> String {
    reference_profile(
        url,
        &["[login]"],
        &format!(
            "[login]\nstrategy = \"browser\"\nusername = \"alice\"\npassword = {password:?}\n\n\
             [login.browser]\nusername = \"#username\"\npassword = \"#password\"\nsubmit = \"#submit\"\n\
             approve = \"button[value=approve]\"\ndeny = \"button[value=deny]\"\n"
        ),
    )
}

fn chromium_is_installed() {
    let found = std::env::var_os("OAUTHSPEC_CHROMIUM").is_some()
        || [
            "/usr/bin/chromium-headless-shell",
            "/usr/bin/chromium",
            "/usr/bin/chromium-browser",
            "/usr/bin/google-chrome",
        ]
        .iter()
        .any(|p| std::path::Path::new(p).exists());
    assert!(
        found,
        "the browser strategy's tests need Chromium: apt-get install chromium-headless-shell (scripts/install-peers does)"
    );
}

/// `strategy = "browser"`: a real headless Chromium runs the script login
/// page and presses the consent buttons. Same verdicts as the form walker
/// on the form page, refusal included; a state fault is caught; refused
/// credentials are an ERROR saying so.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_browser_strategy_runs_the_page_s_own_script() {
    chromium_is_installed();
    // Every walk in a browser context of its own: a cookie of an earlier
    // walk coming back is an error page (see `one_login_per_browser`).
    let server = fixtures::shaped_reference(
        Settings {
            login_page: LoginPage::Script,
            ..Settings::default()
        },
        one_login_per_browser,
    )
    .await;
    let by_browser = peers::check(
        &browser_profile(&server.url, "alice-password"),
        "browser.toml",
        Some(TAGS),
    )
    .await;
    assert_walks_like_the_form_walker(&by_browser, &by_the_form_walker().await);

    let server = script_server(vec![Fault::StateNotEchoed]).await;
    let profile = browser_profile(&server.url, "alice-password");
    catches(Fault::StateNotEchoed, GETS_A_CODE, server, profile).await;

    let server = script_server(Vec::new()).await;
    let report = peers::check(
        &browser_profile(&server.url, "wrong-password"),
        "browser.toml",
        Some("@authorization_code"),
    )
    .await;
    peers::assert_plain_words(&report);
    let got_code = report
        .scenarios
        .iter()
        .find(|s| s.id == GETS_A_CODE)
        .expect("ran");
    assert_eq!(got_code.verdict, Verdict::Error);
    assert!(
        got_code
            .reason()
            .is_some_and(|r| r.contains("credentials were not accepted")),
        "{:?}",
        got_code.reason()
    );
    assert!(report.scenarios.iter().all(|s| s.verdict != Verdict::Fail));
}

/// A relying party whose login starts from a button's script (the page
/// asks the app where to go, then sets `location`): the plain HTTP walk
/// stops at that page, so every scenario is an ERROR that says so and none
/// FAILs; `[relying_party.browser]` presses the button in Chromium and gets
/// the verdicts of the redirecting app, judged by the session, its signature
/// defect caught.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_browser_walks_a_relying_party_whose_login_starts_from_a_script() {
    chromium_is_installed();
    for verify_signature in [true, false] {
        let upstream_port = peers::free_port();
        let app = rp::start(
            upstream_port,
            rp::Options {
                shape: rp::Shape::Session,
                verify_signature,
                script_start: true,
            },
        )
        .await;
        let table = rp::session_table(&app.url);
        let plain = rp::profile(&app.url, upstream_port, &table);
        if verify_signature {
            let report = peers::check(&plain, "rp-script.toml", Some("@upstream_login")).await;
            for s in &report.scenarios {
                assert_eq!(s.verdict, Verdict::Error, "{}: {:?}", s.id, s.reason());
                assert!(
                    s.reason()
                        .is_some_and(|r| r.contains("did not reach the app's callback")),
                    "{}: {:?}",
                    s.id,
                    s.reason()
                );
            }
        }
        let in_browser = format!("{plain}\n[relying_party.browser]\nstart = \"#go\"\n");
        let report = peers::check(&in_browser, "rp-browser.toml", Some("@upstream_login")).await;
        rp::assert_session_verdicts(&report, verify_signature);
        assert!(
            report.scenarios[1]
                .controls
                .iter()
                .any(|c| c.contains("in the browser")),
            "walked in the browser: {:?}",
            report.scenarios[1].controls
        );
    }
}
