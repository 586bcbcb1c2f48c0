//! RFC 8414 metadata at both well-known locations, and the health check.

use reqwest::StatusCode;
use serde_json::Value;

use crate::support::TestServer;

async fn get_json(s: &TestServer, path: &str) -> Value {
    let res = s.get(path).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK, "{path}");
    assert!(
        res.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/json")
    );
    res.json().await.unwrap()
}

#[tokio::test]
async fn both_well_known_documents_are_identical_and_complete() {
    let s = TestServer::start().await;
    let oauth = get_json(&s, "/.well-known/oauth-authorization-server").await;
    let oidc = get_json(&s, "/.well-known/openid-configuration").await;
    assert_eq!(oauth, oidc, "the two discovery documents differ");

    let iss = s.issuer();
    assert_eq!(iss, s.base, "issuer defaults to the bound URL");
    assert_eq!(oauth["issuer"], iss);
    for (field, path) in [
        ("authorization_endpoint", "/authorize"),
        ("token_endpoint", "/token"),
        ("jwks_uri", "/jwks"),
        ("registration_endpoint", "/register"),
        ("revocation_endpoint", "/revoke"),
        ("introspection_endpoint", "/introspect"),
    ] {
        assert_eq!(oauth[field], format!("{iss}{path}"), "{field}");
    }
    let strings = |v: &Value| -> Vec<String> {
        let mut out: Vec<String> = v
            .as_array()
            .unwrap_or_else(|| panic!("{v} is not an array"))
            .iter()
            .map(|x| x.as_str().unwrap().to_string())
            .collect();
        out.sort();
        out
    };
    assert_eq!(
        strings(&oauth["scopes_supported"]),
        ["email", "notes:read", "notes:write", "openid", "profile"]
    );
    assert_eq!(strings(&oauth["response_types_supported"]), ["code"]);
    assert_eq!(
        strings(&oauth["grant_types_supported"]),
        ["authorization_code", "client_credentials", "refresh_token"]
    );
    // S256 only: plain must not be advertised (RFC 9700 §2.1.1).
    assert_eq!(
        strings(&oauth["code_challenge_methods_supported"]),
        ["S256"]
    );
    assert_eq!(
        strings(&oauth["token_endpoint_auth_methods_supported"]),
        ["client_secret_basic", "client_secret_post", "none"]
    );
    assert_eq!(
        oauth["authorization_response_iss_parameter_supported"],
        true
    );
}

#[tokio::test]
async fn every_advertised_endpoint_is_served_by_this_server() {
    let s = TestServer::start().await;
    let doc = get_json(&s, "/.well-known/oauth-authorization-server").await;
    // The JWKS really is at jwks_uri.
    let jwks: Value = s
        .http
        .get(doc["jwks_uri"].as_str().unwrap())
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(!jwks["keys"].as_array().unwrap().is_empty());
    // The token endpoint exists (a POST without a body is a 400, not a 404).
    let res = s
        .http
        .post(doc["token_endpoint"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn healthz_answers_200() {
    let s = TestServer::start().await;
    let res = s.get("/healthz").send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
}

#[tokio::test]
async fn a_configured_issuer_is_used_verbatim_without_trailing_slash() {
    let s = TestServer::start_with(oauthspec_reference_server::Settings {
        issuer: Some("http://127.0.0.1:1/base/".into()),
        ..Default::default()
    })
    .await;
    let doc = get_json(&s, "/.well-known/oauth-authorization-server").await;
    assert_eq!(doc["issuer"], "http://127.0.0.1:1/base");
    assert_eq!(doc["token_endpoint"], "http://127.0.0.1:1/base/token");
}

/// Drives `app(state)` in-process, without a socket (axum's testing style).
#[tokio::test]
async fn the_router_answers_in_process_with_oneshot() {
    use axum::body::Body;
    use axum::http::{Request, StatusCode as S};
    use oauthspec_reference_server::server::open_store;
    use oauthspec_reference_server::{AppState, Storage, app};
    use tower::ServiceExt;

    let settings = oauthspec_reference_server::Settings::default();
    let store = open_store(&Storage::Memory).unwrap();
    let state = AppState::new(&settings, "https://as.example".into(), store).unwrap();

    let res = app(state.clone())
        .oneshot(
            Request::get("/.well-known/oauth-authorization-server")
                .body(Body::empty())
                .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(res.status(), S::OK);
    let bytes = axum::body::to_bytes(res.into_body(), 1 << 20)
        .await
        .unwrap();
    let doc: Value = serde_json::from_slice(&bytes).unwrap();
    assert_eq!(doc["issuer"], "https://as.example");
    assert_eq!(doc["token_endpoint"], "https://as.example/token");

    // A token request without client authentication: 401 with a challenge.
    let res = app(state.clone())
        .oneshot(
            Request::post("/token")
                .header("content-type", "application/x-www-form-urlencoded")
                .body(Body::from("grant_type=client_credentials"))
                .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(res.status(), S::UNAUTHORIZED);
    assert!(res.headers().contains_key("www-authenticate"));
    let bytes = axum::body::to_bytes(res.into_body(), 1 << 20)
        .await
        .unwrap();
    let body: Value = serde_json::from_slice(&bytes).unwrap();
    assert_eq!(body["error"], "invalid_client");

    // The admin API does not exist without test_admin.
    let res = app(state)
        .oneshot(
            Request::post("/__admin/keys/rotate")
                .body(Body::empty())
                .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(res.status(), S::NOT_FOUND);
}
