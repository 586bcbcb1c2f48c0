//! Dynamic client registration (RFC 7591) and its management protocol
//! (RFC 7592).

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::support::{
    REDIRECT_URI, TestServer, assert_no_store, assert_oauth_error, www_authenticate,
};

async fn register_raw(s: &TestServer, body: Value) -> reqwest::Response {
    s.post("/register").json(&body).send().await.unwrap()
}

#[tokio::test]
async fn confidential_registration_has_the_rfc7591_shape() {
    let s = TestServer::start().await;
    let before = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let res = register_raw(
        &s,
        json!({
            "redirect_uris": [REDIRECT_URI],
            "grant_types": ["authorization_code", "refresh_token"],
            "client_name": "Shape test",
            "scope": "profile notes:read",
            "software_id": "kept-verbatim",
        }),
    )
    .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    assert_no_store(res.headers());
    let body: Value = res.json().await.unwrap();
    assert!(body["client_id"].as_str().is_some_and(|c| !c.is_empty()));
    let secret = body["client_secret"].as_str().expect("client_secret");
    // At least 256 bits of randomness: 43 base64url characters.
    assert!(secret.len() >= 43, "secret too short: {}", secret.len());
    let issued = body["client_id_issued_at"]
        .as_i64()
        .expect("client_id_issued_at");
    assert!((issued - before).abs() < 60);
    assert_eq!(body["client_secret_expires_at"], 0);
    assert!(
        body["registration_access_token"]
            .as_str()
            .is_some_and(|t| t.len() >= 22)
    );
    assert_eq!(
        body["registration_client_uri"],
        format!(
            "{}/register/{}",
            s.issuer(),
            body["client_id"].as_str().unwrap()
        )
    );
    // Defaults and echoed metadata (RFC 7591 §3.2.1).
    assert_eq!(body["token_endpoint_auth_method"], "client_secret_basic");
    assert_eq!(body["redirect_uris"], json!([REDIRECT_URI]));
    assert_eq!(body["response_types"], json!(["code"]));
    assert_eq!(body["client_name"], "Shape test");
    assert_eq!(body["software_id"], "kept-verbatim");
    let mut scope: Vec<&str> = body["scope"].as_str().unwrap().split(' ').collect();
    scope.sort();
    assert_eq!(scope, ["notes:read", "profile"]);
}

#[tokio::test]
async fn public_registration_has_no_secret() {
    let s = TestServer::start().await;
    let c = s.public_client().await;
    assert!(c.client_secret.is_none());
    assert!(c.body.get("client_secret").is_none());
    assert!(c.body.get("client_secret_expires_at").is_none());
    assert_eq!(c.body["token_endpoint_auth_method"], "none");
}

#[tokio::test]
async fn client_ids_and_secrets_are_unique() {
    let s = TestServer::start().await;
    let a = s.confidential_client().await;
    let b = s.confidential_client().await;
    assert_ne!(a.client_id, b.client_id);
    assert_ne!(a.client_secret, b.client_secret);
    assert_ne!(a.registration_access_token, b.registration_access_token);
}

#[tokio::test]
async fn bad_redirect_uris_are_invalid_redirect_uri() {
    let s = TestServer::start().await;
    for uri in [
        "https://app.example/cb#fragment",
        "http://127.0.0.1:8765/cb#",
        "http://app.example/cb",
        "http://10.0.0.1/cb",
        "not a uri",
        "/relative/cb",
    ] {
        let res = register_raw(&s, json!({ "redirect_uris": [uri] })).await;
        assert_oauth_error(res, StatusCode::BAD_REQUEST, "invalid_redirect_uri").await;
    }
    // Loopback http and https are fine.
    for uri in [
        "http://127.0.0.1:9/cb",
        "http://[::1]:9/cb",
        "http://localhost/cb",
        "https://app.example/cb",
    ] {
        let res = register_raw(&s, json!({ "redirect_uris": [uri] })).await;
        assert_eq!(res.status(), StatusCode::CREATED, "{uri}");
    }
}

#[tokio::test]
async fn inconsistent_or_unknown_metadata_is_invalid_client_metadata() {
    let s = TestServer::start().await;
    let cases = [
        // authorization_code without the code response type.
        json!({"redirect_uris": [REDIRECT_URI], "grant_types": ["authorization_code"], "response_types": []}),
        // code response type without the authorization_code grant.
        json!({"grant_types": ["client_credentials"], "response_types": ["code"]}),
        json!({"redirect_uris": [REDIRECT_URI], "response_types": ["token"]}),
        json!({"redirect_uris": [REDIRECT_URI], "grant_types": ["password"]}),
        json!({"redirect_uris": [REDIRECT_URI], "grant_types": ["implicit"]}),
        json!({"redirect_uris": [REDIRECT_URI], "token_endpoint_auth_method": "private_key_jwt"}),
        json!({"redirect_uris": [REDIRECT_URI], "token_endpoint_auth_method": "bogus"}),
        json!({"redirect_uris": [REDIRECT_URI], "scope": "profile admin"}),
        json!({"redirect_uris": [REDIRECT_URI], "scope": "address"}),
        json!({"redirect_uris": "not-an-array"}),
        json!({"redirect_uris": [REDIRECT_URI], "grant_types": "authorization_code"}),
        // A public client cannot use client_credentials.
        json!({"grant_types": ["client_credentials"], "token_endpoint_auth_method": "none"}),
    ];
    for case in cases {
        let res = register_raw(&s, case.clone()).await;
        let status = res.status();
        let body =
            assert_oauth_error(res, StatusCode::BAD_REQUEST, "invalid_client_metadata").await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{case} -> {body}");
    }
}

#[tokio::test]
async fn malformed_json_and_wrong_content_type_are_invalid_client_metadata() {
    let s = TestServer::start().await;
    for body in ["{", "[]", "\"a string\"", "", "{\"redirect_uris\": [}"] {
        let res = s
            .post("/register")
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
            .unwrap();
        assert_oauth_error(res, StatusCode::BAD_REQUEST, "invalid_client_metadata").await;
    }
    let res = s
        .post("/register")
        .header("content-type", "application/x-www-form-urlencoded")
        .body("redirect_uris=http%3A%2F%2F127.0.0.1%2Fcb")
        .send()
        .await
        .unwrap();
    assert_oauth_error(res, StatusCode::BAD_REQUEST, "invalid_client_metadata").await;
    let res = s
        .post("/register")
        .body(json!({"redirect_uris": [REDIRECT_URI]}).to_string())
        .send()
        .await
        .unwrap();
    assert_oauth_error(res, StatusCode::BAD_REQUEST, "invalid_client_metadata").await;
}

#[tokio::test]
async fn server_assigned_members_cannot_be_chosen_by_the_client() {
    let s = TestServer::start().await;
    let c = s
        .register(json!({
            "redirect_uris": [REDIRECT_URI],
            "client_id": "chosen-by-me",
            "client_secret": "chosen-secret",
        }))
        .await;
    assert_ne!(c.client_id, "chosen-by-me");
    assert_ne!(c.client_secret.as_deref(), Some("chosen-secret"));
}

fn management(s: &TestServer, method: reqwest::Method, client_id: &str) -> reqwest::RequestBuilder {
    s.http
        .request(method, s.url(&format!("/register/{client_id}")))
}

#[tokio::test]
async fn rfc7592_read_update_delete_with_the_registration_token() {
    let s = TestServer::start().await;
    let c = s.confidential_client().await;

    // Read.
    let res = management(&s, reqwest::Method::GET, &c.client_id)
        .bearer_auth(&c.registration_access_token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_no_store(res.headers());
    let read: Value = res.json().await.unwrap();
    assert_eq!(read["client_id"], c.client_id.as_str());
    assert_eq!(read["redirect_uris"], json!([REDIRECT_URI]));
    assert_eq!(read["client_name"], "Test confidential client");

    // Update: replaces the metadata (RFC 7592 §2.2).
    let new_uri = "http://127.0.0.1:9999/other";
    let res = management(&s, reqwest::Method::PUT, &c.client_id)
        .bearer_auth(&c.registration_access_token)
        .json(&json!({
            "client_id": c.client_id,
            "redirect_uris": [new_uri],
            "grant_types": ["authorization_code"],
            "client_name": "Renamed",
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let updated: Value = res.json().await.unwrap();
    assert_eq!(updated["client_name"], "Renamed");
    assert_eq!(updated["redirect_uris"], json!([new_uri]));
    let read: Value = management(&s, reqwest::Method::GET, &c.client_id)
        .bearer_auth(&c.registration_access_token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(read["client_name"], "Renamed");
    assert_eq!(read["grant_types"], json!(["authorization_code"]));
    // The update takes effect: the old redirect URI is no longer accepted.
    let pkce = crate::support::Pkce::new();
    let res = s
        .authorize_raw(&[
            ("response_type", "code"),
            ("client_id", &c.client_id),
            ("redirect_uri", REDIRECT_URI),
            ("code_challenge", &pkce.challenge),
            ("code_challenge_method", "S256"),
        ])
        .await;
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);

    // An update with invalid metadata is refused like a registration.
    let res = management(&s, reqwest::Method::PUT, &c.client_id)
        .bearer_auth(&c.registration_access_token)
        .json(&json!({"client_id": c.client_id, "redirect_uris": ["http://evil.example/cb"]}))
        .send()
        .await
        .unwrap();
    assert_oauth_error(res, StatusCode::BAD_REQUEST, "invalid_redirect_uri").await;

    // Delete.
    let res = management(&s, reqwest::Method::DELETE, &c.client_id)
        .bearer_auth(&c.registration_access_token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    // Gone: the registration token no longer reads it.
    let res = management(&s, reqwest::Method::GET, &c.client_id)
        .bearer_auth(&c.registration_access_token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn management_without_or_with_a_wrong_token_is_401() {
    let s = TestServer::start().await;
    let c = s.confidential_client().await;
    let other = s.confidential_client().await;
    for method in [
        reqwest::Method::GET,
        reqwest::Method::PUT,
        reqwest::Method::DELETE,
    ] {
        // No token.
        let res = management(&s, method.clone(), &c.client_id)
            .json(&json!({"client_id": c.client_id, "redirect_uris": [REDIRECT_URI]}))
            .send()
            .await
            .unwrap();
        assert_eq!(
            res.status(),
            StatusCode::UNAUTHORIZED,
            "{method} without token"
        );
        assert!(www_authenticate(&res).starts_with("Bearer"), "{method}");
        // A wrong token, and another client's (valid) token.
        for token in ["wrong-token", other.registration_access_token.as_str()] {
            let res = management(&s, method.clone(), &c.client_id)
                .bearer_auth(token)
                .json(&json!({"client_id": c.client_id, "redirect_uris": [REDIRECT_URI]}))
                .send()
                .await
                .unwrap();
            assert_eq!(
                res.status(),
                StatusCode::UNAUTHORIZED,
                "{method} wrong token"
            );
            assert!(www_authenticate(&res).contains("invalid_token"));
        }
    }
    // None of that changed or deleted the client.
    let res = management(&s, reqwest::Method::GET, &c.client_id)
        .bearer_auth(&c.registration_access_token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    // An unknown client id looks the same as a wrong token.
    let res = management(&s, reqwest::Method::GET, "no-such-client")
        .bearer_auth(&c.registration_access_token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn a_deleted_client_gets_no_tokens_and_its_tokens_stop_working() {
    let s = TestServer::start().await;
    let c = s.confidential_client().await;
    let t = s.tokens(&c, "profile").await;
    let cc = crate::support::Tokens::from_ok(s.client_credentials(&c, None).await).await;
    assert_eq!(s.profile(&t.access_token).await.status(), StatusCode::OK);
    let introspector = s.confidential_client().await;

    let res = management(&s, reqwest::Method::DELETE, &c.client_id)
        .bearer_auth(&c.registration_access_token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NO_CONTENT);

    // No new tokens of any grant.
    assert_oauth_error(
        s.client_credentials(&c, None).await,
        StatusCode::UNAUTHORIZED,
        "invalid_client",
    )
    .await;
    assert_oauth_error(
        s.refresh(&c, t.refresh()).await,
        StatusCode::UNAUTHORIZED,
        "invalid_client",
    )
    .await;
    // No new authorization either: the client is unknown now.
    let pkce = crate::support::Pkce::new();
    let params = TestServer::authorize_params(&c, &pkce, "s", "profile");
    let res = s.authorize_raw(&params).await;
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    assert!(res.headers().get("location").is_none());
    // Its access tokens stop working.
    for token in [&t.access_token, &cc.access_token] {
        assert_eq!(s.profile(token).await.status(), StatusCode::UNAUTHORIZED);
        assert_eq!(
            s.introspect(&introspector, token).await,
            json!({"active": false})
        );
    }
    assert_eq!(
        s.introspect(&introspector, t.refresh()).await,
        json!({"active": false})
    );
}
