//! `oauthspec serve` with its SQLite store survives `kill -9` (issue 2):
//! the registered client, its refresh token and the signing key are all
//! there after a restart on the same data directory.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use oauthspec::driver::flow::{
    self, AuthorizationRequest, ClientAuth, LoginCredentials, WalkOptions,
};
use oauthspec::driver::http::{Driver, DriverConfig, HostAllowlist, HostPort};
use oauthspec::protocol::{
    AuthorizationCode, ClientId, ClientSecret, PkceCodeChallenge, PkceCodeVerifier,
};
use serde_json::Value;

const REDIRECT: &str = "http://127.0.0.1:8765/callback";

/// Logs alice in through the login and consent forms and returns a
/// refresh token, using the harness's own flow driver.
async fn refresh_token_via_login(url: &str, id: &str, secret: &str) -> String {
    let base = url::Url::parse(url).unwrap();
    let driver = Driver::new(
        HostAllowlist::new([HostPort::from_url(&base).unwrap()]),
        DriverConfig::default(),
    )
    .unwrap();
    let verifier = PkceCodeVerifier::new_random();
    let request = AuthorizationRequest::code(
        base.join("/authorize").unwrap(),
        &ClientId::new(id),
        REDIRECT,
        None,
        "s1",
        Some(&PkceCodeChallenge::s256(&verifier)),
    );
    let options = WalkOptions {
        login: Some(LoginCredentials {
            username: "alice".into(),
            password: "alice-password".into(),
            username_field: "username".into(),
            password_field: "password".into(),
        }),
        ..WalkOptions::default()
    };
    let outcome = flow::authorize(
        &driver,
        &driver.new_browser(),
        &request.url(),
        REDIRECT,
        &options,
    )
    .await
    .unwrap();
    let code = outcome
        .into_response()
        .and_then(|r| r.code)
        .expect("a code");
    let auth = ClientAuth::Basic {
        id: ClientId::new(id),
        secret: ClientSecret::new(secret),
    };
    let res = flow::TokenRequest::authorization_code(&AuthorizationCode::new(code.secret()))
        .redirect_uri(Some(REDIRECT))
        .verifier(Some(&verifier))
        .send(&driver, &base.join("/token").unwrap(), &auth)
        .await
        .unwrap();
    let tokens = res.into_success().expect("tokens");
    tokens
        .refresh_token
        .expect("a refresh token")
        .secret()
        .to_owned()
}

struct Server {
    child: Child,
    url: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn serve(data_dir: &std::path::Path, bind: &str) -> Server {
    let mut child = Command::new(env!("CARGO_BIN_EXE_oauthspec"))
        .args(["serve", "--bind", bind, "--data-dir"])
        .arg(data_dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("start oauthspec serve");
    let stdout = child.stdout.take().expect("stdout");
    let mut lines = BufReader::new(stdout).lines();
    let url = loop {
        let line = lines
            .next()
            .expect("serve printed its address before exiting")
            .expect("read stdout");
        if let Some(url) = line.strip_prefix("listening on ") {
            break url.to_owned();
        }
    };
    Server { child, url }
}

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(10))
        .build()
        .expect("client")
}

async fn kid(http: &reqwest::Client, url: &str) -> String {
    let jwks: Value = http
        .get(format!("{url}/jwks"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    jwks["keys"][0]["kid"].as_str().expect("a kid").to_owned()
}

async fn token(
    http: &reqwest::Client,
    url: &str,
    form: &[(&str, &str)],
    id: &str,
    secret: &str,
) -> (u16, Value) {
    let res = http
        .post(format!("{url}/token"))
        .basic_auth(id, Some(secret))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(serde_urlencoded_pairs(form))
        .send()
        .await
        .unwrap();
    (
        res.status().as_u16(),
        res.json().await.unwrap_or(Value::Null),
    )
}

fn serde_urlencoded_pairs(form: &[(&str, &str)]) -> String {
    url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(form)
        .finish()
}

#[tokio::test]
async fn kill_9_and_restart_loses_no_client_grant_or_key() {
    let dir = tempfile::tempdir().unwrap();
    let http = client();
    let first = serve(dir.path(), "127.0.0.1:0");
    let url = first.url.clone();
    let port = url.rsplit(':').next().unwrap().to_owned();

    // A client, registered over the wire.
    let reg: Value = http
        .post(format!("{url}/register"))
        .json(&serde_json::json!({
            "grant_types": ["authorization_code", "refresh_token"],
            "redirect_uris": [REDIRECT],
            "scope": "profile",
        }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let id = reg["client_id"].as_str().unwrap().to_owned();
    let secret = reg["client_secret"].as_str().unwrap().to_owned();
    let kid_before = kid(&http, &url).await;
    let refresh = refresh_token_via_login(&url, &id, &secret).await;
    let (status, before) = token(
        &http,
        &url,
        &[("grant_type", "refresh_token"), ("refresh_token", &refresh)],
        &id,
        &secret,
    )
    .await;
    assert_eq!(status, 200, "{before}");
    let access_before = before["access_token"].as_str().unwrap().to_owned();
    let refresh = before["refresh_token"].as_str().unwrap().to_owned();

    // SIGKILL: no graceful shutdown, no flush.
    let mut first = first;
    first.child.kill().expect("kill -9");
    first.child.wait().unwrap();

    let second = serve(dir.path(), &format!("127.0.0.1:{port}"));
    // The old client's pooled connections died with the first process.
    let http = client();
    assert_eq!(second.url, url, "same address, so the issuer is the same");
    assert_eq!(
        kid(&http, &url).await,
        kid_before,
        "the signing key survived"
    );
    let (status, after) = token(
        &http,
        &url,
        &[("grant_type", "refresh_token"), ("refresh_token", &refresh)],
        &id,
        &secret,
    )
    .await;
    assert_eq!(
        status, 200,
        "the client, its grant and the rotated refresh token survived: {after}"
    );
    // A token signed before the crash still verifies after it.
    let res = http
        .get(format!("{url}/api/profile"))
        .bearer_auth(&access_before)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
}
