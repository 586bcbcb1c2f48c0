//! `login_page = "script"`: a login page with no form that logs in through
//! a JSON call, the fixture the harness's `api` and `command` strategies
//! are checked against (issue 11).

use oauthspec_reference_server::Settings;
use oauthspec_reference_server::config::LoginPage;
use reqwest::StatusCode;
use reqwest::header;
use serde_json::{Value, json};

use crate::support::{ALL_SCOPES, Pkce, TestServer, assert_oauth_error, query_param};

fn data_csrf(html: &str) -> String {
    let at = html.find("data-csrf=\"").expect("data-csrf on the page") + "data-csrf=\"".len();
    let end = html[at..].find('"').expect("end of data-csrf");
    html[at..at + end].to_owned()
}

#[tokio::test]
async fn the_script_page_logs_in_through_json_and_the_consent_form_finishes() {
    let s = TestServer::start_with(Settings {
        login_page: LoginPage::Script,
        ..Settings::default()
    })
    .await;
    let c = s.public_client().await;
    let pkce = Pkce::new();
    let ix = s
        .begin(&TestServer::authorize_params(&c, &pkce, "st", ALL_SCOPES))
        .await;
    let (status, html) = s.page(&ix.login_path(), Some(&ix.cookie)).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        !html.contains("<form"),
        "no form on the script page: {html}"
    );
    assert!(html.contains("<script") && html.contains("/api/login"));
    let csrf = data_csrf(&html);
    let api = format!("{}/api/login", ix.login_path());
    let call = |body: String, csrf: &str, content_type: &str| {
        s.post(&api)
            .header(header::COOKIE, &ix.cookie)
            .header("X-CSRF-Token", csrf)
            .header(header::CONTENT_TYPE, content_type)
            .body(body)
            .send()
    };
    let good = json!({"username": "alice", "password": "alice-password"}).to_string();

    let res = call(good.clone(), "wrong", "application/json")
        .await
        .unwrap();
    assert_oauth_error(res, StatusCode::FORBIDDEN, "invalid_request").await;
    let res = call(good.clone(), &csrf, "text/plain").await.unwrap();
    assert_oauth_error(res, StatusCode::UNSUPPORTED_MEDIA_TYPE, "invalid_request").await;
    let res = call("{\"username\":".into(), &csrf, "application/json")
        .await
        .unwrap();
    assert_oauth_error(res, StatusCode::BAD_REQUEST, "invalid_request").await;
    let wrong = json!({"username": "alice", "password": "nope"}).to_string();
    let res = call(wrong, &csrf, "application/json").await.unwrap();
    assert_oauth_error(res, StatusCode::UNAUTHORIZED, "access_denied").await;

    let res = call(good, &csrf, "application/json").await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    // A password login: it starts a login session too.
    let session = res.headers()[header::SET_COOKIE]
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_string();
    assert!(session.starts_with("op_session="), "{session}");
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["next"], ix.consent_path());
    let (status, html) = s.page(&ix.consent_path(), Some(&ix.cookie)).await;
    assert_eq!(status, StatusCode::OK);
    let to = s
        .decide(&ix, &crate::support::csrf_token(&html), "approve")
        .await;
    assert!(query_param(&to, "code").is_some());
    assert_eq!(query_param(&to, "state").as_deref(), Some("st"));
    // The session and its consent stand: prompt=none gets a code at once.
    let mut p = TestServer::authorize_params(&c, &pkce, "st", ALL_SCOPES);
    p.push(("prompt", "none"));
    let res = s
        .get(&format!(
            "/authorize?{}",
            serde_urlencoded::to_string(&p).unwrap()
        ))
        .header(header::COOKIE, &session)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let to = url::Url::parse(&crate::support::location(&res)).unwrap();
    assert!(query_param(&to, "code").is_some(), "{to}");
}

#[tokio::test]
async fn the_json_login_is_not_served_with_the_form_page() {
    let s = TestServer::start().await;
    let c = s.public_client().await;
    let ix = s
        .begin(&TestServer::authorize_params(
            &c,
            &Pkce::new(),
            "st",
            ALL_SCOPES,
        ))
        .await;
    let res = s
        .post(&format!("{}/api/login", ix.login_path()))
        .header(header::COOKIE, &ix.cookie)
        .json(&json!({"username": "alice", "password": "alice-password"}))
        .send()
        .await
        .unwrap();
    assert_oauth_error(res, StatusCode::NOT_FOUND, "invalid_request").await;
    // The form page is unchanged.
    let (_, html) = s.page(&ix.login_path(), Some(&ix.cookie)).await;
    assert!(html.contains("<form method=\"post\""));
}
