//! The authorization endpoint (RFC 6749 §4.1.1, RFC 7636, RFC 9207) and
//! the login and consent pages behind it.

use reqwest::StatusCode;
use reqwest::header::LOCATION;

use crate::support::{
    Client, Interaction, PASSWORD, Pkce, TestServer, USER, csrf_token, location, query_param,
};

/// Asserts the error page case: 400, HTML, and never a redirect.
async fn assert_error_page(res: reqwest::Response, error: &str) {
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    assert!(
        res.headers().get(LOCATION).is_none(),
        "must not redirect to an unverified client"
    );
    assert!(
        res.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    let html = res.text().await.unwrap();
    assert!(html.contains(error), "{html}");
}

/// Asserts an error redirect to the client: 303 to the registered redirect
/// URI with `error`, the `state` and `iss` (RFC 6749 §4.1.2.1, RFC 9207).
async fn assert_error_redirect(
    s: &TestServer,
    res: reqwest::Response,
    error: &str,
    state: Option<&str>,
) {
    assert_eq!(res.status(), StatusCode::SEE_OTHER, "expected a redirect");
    let url = url::Url::parse(&location(&res)).unwrap();
    assert_eq!(
        format!("{}://{}{}", url.scheme(), url.authority(), url.path()),
        crate::support::REDIRECT_URI
    );
    assert_eq!(query_param(&url, "error").as_deref(), Some(error), "{url}");
    assert_eq!(query_param(&url, "state").as_deref(), state, "{url}");
    assert_eq!(query_param(&url, "iss"), Some(s.issuer()), "{url}");
    assert_eq!(query_param(&url, "code"), None);
    if let Some(d) = query_param(&url, "error_description") {
        crate::support::assert_description_ok(&serde_json::json!({ "error_description": d }));
    }
}

fn params<'a>(c: &'a Client, pkce: &'a Pkce) -> Vec<(&'a str, &'a str)> {
    TestServer::authorize_params(c, pkce, "xyz-state", "profile")
}

fn without<'a>(p: &[(&'a str, &'a str)], name: &str) -> Vec<(&'a str, &'a str)> {
    p.iter().copied().filter(|(k, _)| *k != name).collect()
}

fn with<'a>(p: &[(&'a str, &'a str)], name: &'a str, value: &'a str) -> Vec<(&'a str, &'a str)> {
    let mut out = without(p, name);
    out.push((name, value));
    out
}

#[tokio::test]
async fn success_goes_through_login_and_consent_to_code_state_and_iss() {
    let s = TestServer::start().await;
    let c = s.confidential_client().await;
    let pkce = Pkce::new();
    let ix = s.begin(&params(&c, &pkce)).await;
    assert!(ix.cookie.starts_with("oauthspec_browser="));

    // The login page is a real form with username, password and CSRF token.
    let (status, html) = s.page(&ix.login_path(), Some(&ix.cookie)).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("name=\"username\""));
    assert!(html.contains("name=\"password\""));
    let csrf = csrf_token(&html);
    assert!(csrf.len() >= 22);

    let res = s
        .submit(
            &ix.login_path(),
            Some(&ix.cookie),
            &[
                ("username", USER),
                ("password", PASSWORD),
                ("csrf_token", &csrf),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&res), ix.consent_path());

    let (status, html) = s.page(&ix.consent_path(), Some(&ix.cookie)).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("profile"), "consent page names the scope");
    assert!(html.contains("alice"));
    let csrf = csrf_token(&html);
    let url = s.decide(&ix, &csrf, "approve").await;
    assert!(url.as_str().starts_with(crate::support::REDIRECT_URI));
    let code = query_param(&url, "code").expect("code");
    assert!(code.len() >= 22, "code too short for 128 bits");
    assert_eq!(query_param(&url, "state").as_deref(), Some("xyz-state"));
    assert_eq!(query_param(&url, "iss"), Some(s.issuer()));
    assert_eq!(query_param(&url, "error"), None);

    // The consent step ends the interaction: a second submit gets nothing.
    let res = s
        .submit(
            &ix.consent_path(),
            Some(&ix.cookie),
            &[("decision", "approve"), ("csrf_token", &csrf)],
        )
        .await;
    assert_ne!(res.status(), StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn a_registered_redirect_uri_query_is_kept_and_without_state_none_is_added() {
    let s = TestServer::start().await;
    let uri = "http://127.0.0.1:8765/callback?app=1";
    let c = s
        .register(serde_json::json!({"redirect_uris": [uri], "token_endpoint_auth_method": "none"}))
        .await;
    let pkce = Pkce::new();
    let p = without(&params(&c, &pkce), "state");
    let url = s.authorize_approved(&p).await;
    assert_eq!(query_param(&url, "app").as_deref(), Some("1"));
    assert!(query_param(&url, "code").is_some());
    assert_eq!(query_param(&url, "state"), None);
    assert_eq!(query_param(&url, "iss"), Some(s.issuer()));
}

#[tokio::test]
async fn unknown_client_bad_redirect_uri_or_missing_client_id_get_an_error_page() {
    let s = TestServer::start().await;
    let c = s.confidential_client().await;
    let pkce = Pkce::new();
    let p = params(&c, &pkce);
    assert_error_page(
        s.authorize_raw(&with(&p, "client_id", "no-such-client"))
            .await,
        "invalid_client",
    )
    .await;
    assert_error_page(
        s.authorize_raw(&without(&p, "client_id")).await,
        "invalid_request",
    )
    .await;
    for bad in [
        "http://127.0.0.1:8765/callback/",
        "http://127.0.0.1:8765/Callback",
        "http://127.0.0.1:8765/callback?x=1",
        "http://127.0.0.1:8766/callback",
        "https://evil.example/callback",
    ] {
        let res = s.authorize_raw(&with(&p, "redirect_uri", bad)).await;
        assert_error_page(res, "invalid_request").await;
    }
    // Two client ids or two redirect URIs: cannot tell where to send it.
    let mut dup = p.clone();
    dup.push(("client_id", "other"));
    assert_error_page(s.authorize_raw(&dup).await, "invalid_request").await;
    let mut dup = p.clone();
    dup.push(("redirect_uri", "https://evil.example/cb"));
    assert_error_page(s.authorize_raw(&dup).await, "invalid_request").await;
}

#[tokio::test]
async fn a_client_with_several_redirect_uris_must_name_one() {
    let s = TestServer::start().await;
    let c = s
        .register(serde_json::json!({
            "redirect_uris": [crate::support::REDIRECT_URI, "http://127.0.0.1:8765/other"],
            "token_endpoint_auth_method": "none",
        }))
        .await;
    let pkce = Pkce::new();
    let res = s
        .authorize_raw(&without(&params(&c, &pkce), "redirect_uri"))
        .await;
    assert_error_page(res, "invalid_request").await;
    // With only one registered, it may be left out.
    let one = s.public_client().await;
    let ix = s
        .begin(&without(&params(&one, &pkce), "redirect_uri"))
        .await;
    assert!(!ix.id.is_empty());
}

#[tokio::test]
async fn request_errors_go_back_to_the_client_with_error_state_and_iss() {
    let s = TestServer::start().await;
    let c = s.confidential_client().await;
    let pkce = Pkce::new();
    let p = params(&c, &pkce);
    let st = Some("xyz-state");
    let cases: Vec<(Vec<(&str, &str)>, &str)> = vec![
        (without(&p, "response_type"), "invalid_request"),
        (
            with(&p, "response_type", "token"),
            "unsupported_response_type",
        ),
        (
            with(&p, "response_type", "code id_token"),
            "unsupported_response_type",
        ),
        (with(&p, "scope", "profile admin"), "invalid_scope"),
        (with(&p, "scope", "address"), "invalid_scope"),
        (without(&p, "code_challenge"), "invalid_request"),
        (
            with(&p, "code_challenge_method", "plain"),
            "invalid_request",
        ),
        (without(&p, "code_challenge_method"), "invalid_request"),
        (with(&p, "code_challenge", "too-short"), "invalid_request"),
    ];
    for (case, error) in cases {
        let res = s.authorize_raw(&case).await;
        assert_error_redirect(&s, res, error, st).await;
    }
    // Duplicate parameters are invalid_request (RFC 6749 §3.1).
    for name in [
        "response_type",
        "scope",
        "code_challenge",
        "code_challenge_method",
    ] {
        let value = p.iter().find(|(k, _)| *k == name).unwrap().1;
        let mut dup = p.clone();
        dup.push((name, value));
        let res = s.authorize_raw(&dup).await;
        assert_error_redirect(&s, res, "invalid_request", st).await;
    }
    // A repeated state is itself a duplicate; the error still goes back.
    let mut dup = p.clone();
    dup.push(("state", "second"));
    let res = s.authorize_raw(&dup).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let url = url::Url::parse(&location(&res)).unwrap();
    assert_eq!(
        query_param(&url, "error").as_deref(),
        Some("invalid_request")
    );
    assert_eq!(query_param(&url, "iss"), Some(s.issuer()));
}

#[tokio::test]
async fn a_client_without_the_code_grant_is_unauthorized_client() {
    let s = TestServer::start().await;
    // Registered for client_credentials only, but with a redirect URI.
    let c = s
        .register(serde_json::json!({
            "redirect_uris": [crate::support::REDIRECT_URI],
            "grant_types": ["client_credentials"],
            "response_types": [],
        }))
        .await;
    let pkce = Pkce::new();
    let res = s.authorize_raw(&params(&c, &pkce)).await;
    assert_error_redirect(&s, res, "unauthorized_client", Some("xyz-state")).await;
}

#[tokio::test]
async fn wrong_password_rerenders_the_form_with_401() {
    let s = TestServer::start().await;
    let c = s.confidential_client().await;
    let pkce = Pkce::new();
    let ix = s.begin(&params(&c, &pkce)).await;
    let (_, html) = s.page(&ix.login_path(), Some(&ix.cookie)).await;
    let csrf = csrf_token(&html);
    for (user, pass) in [(USER, "wrong"), ("mallory", PASSWORD), (USER, ""), ("", "")] {
        let res = s
            .submit(
                &ix.login_path(),
                Some(&ix.cookie),
                &[
                    ("username", user),
                    ("password", pass),
                    ("csrf_token", &csrf),
                ],
            )
            .await;
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED, "{user}/{pass}");
        assert!(res.headers().get(LOCATION).is_none());
        let html = res.text().await.unwrap();
        assert!(
            html.contains("name=\"password\""),
            "the form is shown again"
        );
        assert!(html.contains("Invalid username or password"));
    }
    // Not logged in: the consent page sends back to the login.
    let (status, _) = s.page(&ix.consent_path(), Some(&ix.cookie)).await;
    assert_ne!(status, StatusCode::OK);
    // The right password still works afterwards.
    let res = s
        .submit(
            &ix.login_path(),
            Some(&ix.cookie),
            &[
                ("username", USER),
                ("password", PASSWORD),
                ("csrf_token", &csrf),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn missing_or_wrong_csrf_token_is_403() {
    let s = TestServer::start().await;
    let c = s.confidential_client().await;
    let pkce = Pkce::new();
    let ix = s.begin(&params(&c, &pkce)).await;
    let (_, html) = s.page(&ix.login_path(), Some(&ix.cookie)).await;
    let csrf = csrf_token(&html);
    let login = |csrf: Option<&'static str>| {
        let mut p = vec![("username", USER), ("password", PASSWORD)];
        if let Some(c) = csrf {
            p.push(("csrf_token", c));
        }
        p
    };
    for p in [login(None), login(Some("forged")), login(Some(""))] {
        let res = s.submit(&ix.login_path(), Some(&ix.cookie), &p).await;
        assert_eq!(res.status(), StatusCode::FORBIDDEN);
    }
    // The consent form checks it too.
    let csrf2 = s.log_in(&ix).await;
    assert_eq!(csrf, csrf2);
    for p in [
        vec![("decision", "approve")],
        vec![("decision", "approve"), ("csrf_token", "forged")],
    ] {
        let res = s.submit(&ix.consent_path(), Some(&ix.cookie), &p).await;
        assert_eq!(res.status(), StatusCode::FORBIDDEN);
        assert!(res.headers().get(LOCATION).is_none());
    }
    // Still usable with the right token.
    let url = s.decide(&ix, &csrf2, "approve").await;
    assert!(query_param(&url, "code").is_some());
}

#[tokio::test]
async fn wrong_or_missing_browser_cookie_is_403() {
    let s = TestServer::start().await;
    let c = s.confidential_client().await;
    let pkce = Pkce::new();
    let ix = s.begin(&params(&c, &pkce)).await;
    let other = s.begin(&params(&c, &pkce)).await;
    let (_, html) = s.page(&ix.login_path(), Some(&ix.cookie)).await;
    let csrf = csrf_token(&html);
    for cookie in [
        None,
        Some("oauthspec_browser=forged"),
        Some(other.cookie.as_str()),
    ] {
        let (status, _) = s.page(&ix.login_path(), cookie).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "GET with {cookie:?}");
        let res = s
            .submit(
                &ix.login_path(),
                cookie,
                &[
                    ("username", USER),
                    ("password", PASSWORD),
                    ("csrf_token", &csrf),
                ],
            )
            .await;
        assert_eq!(res.status(), StatusCode::FORBIDDEN, "POST with {cookie:?}");
    }
    // After login, the consent step is bound to the browser as well.
    let csrf = s.log_in(&ix).await;
    for cookie in [None, Some(other.cookie.as_str())] {
        let (status, _) = s.page(&ix.consent_path(), cookie).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        let res = s
            .submit(
                &ix.consent_path(),
                cookie,
                &[("decision", "approve"), ("csrf_token", &csrf)],
            )
            .await;
        assert_eq!(res.status(), StatusCode::FORBIDDEN);
    }
}

#[tokio::test]
async fn an_unknown_interaction_is_an_error_page() {
    let s = TestServer::start().await;
    let ix = Interaction {
        id: "no-such-interaction".into(),
        cookie: "oauthspec_browser=x".into(),
    };
    let (status, _) = s.page(&ix.login_path(), Some(&ix.cookie)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn deny_sends_access_denied_with_state_and_iss() {
    let s = TestServer::start().await;
    let c = s.confidential_client().await;
    let pkce = Pkce::new();
    let ix = s.begin(&params(&c, &pkce)).await;
    let csrf = s.log_in(&ix).await;
    let url = s.decide(&ix, &csrf, "deny").await;
    assert_eq!(query_param(&url, "error").as_deref(), Some("access_denied"));
    assert_eq!(query_param(&url, "state").as_deref(), Some("xyz-state"));
    assert_eq!(query_param(&url, "iss"), Some(s.issuer()));
    assert_eq!(query_param(&url, "code"), None);
}

#[tokio::test]
async fn the_requested_scope_ends_up_in_the_token_and_defaults_to_the_clients() {
    let s = TestServer::start().await;
    let c = s.public_client().await;
    let t = s.tokens(&c, "notes:read").await;
    assert_eq!(t.scope, "notes:read");
    // Without a scope parameter, the client's registered scope.
    let pkce = Pkce::new();
    let p = without(&params(&c, &pkce), "scope");
    let url = s.authorize_approved(&p).await;
    let code = query_param(&url, "code").unwrap();
    let t = crate::support::Tokens::from_ok(s.exchange(&c, &code, &pkce.verifier).await).await;
    assert_eq!(t.scope, crate::support::ALL_SCOPES);
}

#[tokio::test]
async fn state_round_trips_exactly() {
    let s = TestServer::start().await;
    let c = s.public_client().await;
    let pkce = Pkce::new();
    let tricky = "a b&c=d/e?f#g%h+i\u{e9}";
    let p = TestServer::authorize_params(&c, &pkce, tricky, "profile");
    let url = s.authorize_approved(&p).await;
    assert_eq!(query_param(&url, "state").as_deref(), Some(tricky));
    // And on the error path.
    let res = s.authorize_raw(&with(&p, "scope", "bogus")).await;
    assert_error_redirect(&s, res, "invalid_scope", Some(tricky)).await;
}

#[tokio::test]
async fn an_abandoned_login_expires() {
    let s = TestServer::start().await;
    let c = s.public_client().await;
    let pkce = Pkce::new();
    let ix = s.begin(&params(&c, &pkce)).await;
    let (status, html) = s.page(&ix.login_path(), Some(&ix.cookie)).await;
    assert_eq!(status, StatusCode::OK);
    let csrf = csrf_token(&html);
    s.advance_clock(601).await;
    let res = s
        .submit(
            &ix.login_path(),
            Some(&ix.cookie),
            &[
                ("username", USER),
                ("password", PASSWORD),
                ("csrf_token", &csrf),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    assert!(res.headers().get(LOCATION).is_none());
}
