//! What one login costs with each walking strategy, once everything runs:
//! the reference server (form page, then script page) in this process on
//! 127.0.0.1:0, one registered public client, then N authorization requests
//! walked one after the other with `form`, `api` and `browser`. The first
//! browser walk (which starts Chromium) is reported apart.
//!
//! ```sh
//! cargo run --release --example login_cost -- 30
//! ```

use std::time::{Duration, Instant};

use oauthspec::driver::flow::{self, AuthorizationOutcome, AuthorizationRequest};
use oauthspec::driver::http::{Driver, DriverConfig, HostAllowlist, HostPort};
use oauthspec::protocol::{ClientId, PkceCodeChallenge, PkceCodeVerifier};
use oauthspec::target::TargetProfile;
use oauthspec_reference_server::Settings;
use oauthspec_reference_server::config::LoginPage;

const REDIRECT: &str = "http://127.0.0.1:8765/callback";

async fn register(base: &str) -> ClientId {
    let body: serde_json::Value = reqwest::Client::new()
        .post(format!("{base}/register"))
        .json(&serde_json::json!({"redirect_uris": [REDIRECT], "token_endpoint_auth_method": "none", "scope": "profile"}))
        .send()
        .await
        .expect("registration")
        .json()
        .await
        .expect("a JSON answer");
    ClientId::new(body["client_id"].as_str().expect("a client id").to_owned())
}

fn login_section(strategy: &str) -> &'static str {
    match strategy {
        "form" => {
            "[login]\nusername = \"alice\"\npassword = \"alice-password\"\nconsent_button = \"approve\"\n"
        }
        "api" => {
            "[login]\nstrategy = \"api\"\nusername = \"alice\"\npassword = \"alice-password\"\n\
                  page_capture = { csrf = 'regex:data-csrf=\"([^\"]+)\"' }\ncontinue = \"{next}\"\nconsent_button = \"approve\"\n\
                  [[login.api]]\nmethod = \"POST\"\nurl = \"{page}/api/login\"\nheaders = { \"X-CSRF-Token\" = \"{csrf}\" }\n\
                  json = { username = \"{username}\", password = \"{password}\" }\ncapture = { next = \"json:/next\" }\n"
        }
        _ => {
            "[login]\nstrategy = \"browser\"\nusername = \"alice\"\npassword = \"alice-password\"\n\
              [login.browser]\nusername = \"#username\"\npassword = \"#password\"\nsubmit = \"#submit\"\napprove = \"button[value=approve]\"\n"
        }
    }
}

fn p(sorted: &[Duration], q: f64) -> f64 {
    sorted[((sorted.len() as f64 - 1.0) * q).round() as usize].as_secs_f64() * 1000.0
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let n: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(30);
    for strategy in ["form", "api", "browser"] {
        let page = if strategy == "form" {
            LoginPage::Form
        } else {
            LoginPage::Script
        };
        let server = oauthspec_reference_server::start(Settings {
            login_page: page,
            ..Settings::default()
        })
        .await
        .expect("the reference server starts");
        let base = server.url();
        let client = register(&base).await;
        let profile = TargetProfile::parse(
            &format!(
                "name = \"bench\"\nissuer = {base:?}\n[[clients]]\nid = {:?}\nredirect_uri = {REDIRECT:?}\n{}",
                client.as_str(),
                login_section(strategy)
            ),
            "bench.toml",
        )
        .expect("a valid profile");
        let options = profile.login.as_ref().expect("[login]").walk_options();
        let url = url::Url::parse(&base).expect("a URL");
        let allow = HostAllowlist::new([HostPort::from_url(&url).expect("a host")]);
        let driver = Driver::new(allow, DriverConfig::default()).expect("a driver");
        let mut times = Vec::new();
        let mut first = None;
        for i in 0..=n {
            let verifier = PkceCodeVerifier::new_random();
            let request = AuthorizationRequest::code(
                url.join("/authorize").expect("a URL"),
                &client,
                REDIRECT,
                None,
                &format!("s{i}"),
                Some(&PkceCodeChallenge::s256(&verifier)),
            );
            let jar = driver.new_browser();
            let t = Instant::now();
            let outcome = flow::authorize(&driver, &jar, &request.url(), REDIRECT, &options)
                .await
                .expect("the walk");
            let took = t.elapsed();
            assert!(
                matches!(&outcome, AuthorizationOutcome::Redirected(r) if r.code.is_some()),
                "{strategy}: {outcome}"
            );
            if i == 0 {
                first = Some(took);
            } else {
                times.push(took);
            }
        }
        times.sort();
        println!(
            "{strategy:>8}: {n} logins, p50 {:.0} ms, p90 {:.0} ms, max {:.0} ms (the first, not counted: {:.0} ms)",
            p(&times, 0.5),
            p(&times, 0.9),
            p(&times, 1.0),
            first.unwrap_or_default().as_secs_f64() * 1000.0
        );
        drop(options);
        drop(profile);
    }
}
