//! Token introspection (RFC 7662).

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::support::{TestServer, Tokens, assert_oauth_error, form, jwt_parts};

#[tokio::test]
async fn introspection_needs_client_authentication() {
    let s = TestServer::start().await;
    let c = s.confidential_client().await;
    let public = s.public_client().await;
    let t = s.tokens(&c, "profile").await;
    let cases = vec![
        form(s.post("/introspect"), &[("token", &t.access_token)]),
        form(
            s.post("/introspect")
                .basic_auth(&c.client_id, Some("wrong")),
            &[("token", &t.access_token)],
        ),
        form(
            s.post("/introspect"),
            &[("token", &t.access_token), ("client_id", &c.client_id)],
        ),
        // A public client cannot authenticate, so it cannot introspect.
        form(
            s.post("/introspect"),
            &[("token", &t.access_token), ("client_id", &public.client_id)],
        ),
    ];
    for req in cases {
        let res = req.send().await.unwrap();
        let challenge = crate::support::www_authenticate(&res);
        let body = assert_oauth_error(res, StatusCode::UNAUTHORIZED, "invalid_client").await;
        assert!(!challenge.is_empty());
        assert!(body.get("active").is_none(), "leaked token state: {body}");
    }
}

#[tokio::test]
async fn an_active_access_token_is_described_fully() {
    let s = TestServer::start().await;
    let c = s.confidential_client().await;
    let rs = s.post_client().await; // another confidential client introspects
    let t = s.tokens(&c, "profile notes:read").await;
    let (_, claims) = jwt_parts(&t.access_token);
    for introspector in [&c, &rs] {
        let body = s.introspect(introspector, &t.access_token).await;
        assert_eq!(body["active"], true);
        assert_eq!(body["scope"], "notes:read profile");
        assert_eq!(body["client_id"], c.client_id.as_str());
        assert_eq!(body["sub"], "alice");
        assert_eq!(body["exp"], claims["exp"]);
        assert_eq!(body["iat"], claims["iat"]);
        assert_eq!(body["iss"], s.issuer());
        assert_eq!(body["aud"], claims["aud"]);
        assert_eq!(body["jti"], claims["jti"]);
        assert!(
            body["token_type"]
                .as_str()
                .is_some_and(|t| t.eq_ignore_ascii_case("bearer"))
        );
    }
}

#[tokio::test]
async fn an_active_refresh_token_is_active() {
    let s = TestServer::start().await;
    let c = s.confidential_client().await;
    let t = s.tokens(&c, "profile").await;
    let body = s.introspect(&c, t.refresh()).await;
    assert_eq!(body["active"], true);
    assert_eq!(body["client_id"], c.client_id.as_str());
    assert_eq!(body["sub"], "alice");
    assert_eq!(body["scope"], "profile");
    // Once rotated out, it is inactive.
    Tokens::from_ok(s.refresh(&c, t.refresh()).await).await;
    assert_eq!(
        s.introspect(&c, t.refresh()).await,
        json!({"active": false})
    );
}

#[tokio::test]
async fn garbage_tokens_are_exactly_inactive() {
    let s = TestServer::start().await;
    let c = s.confidential_client().await;
    let long = "x".repeat(10_000);
    for token in [
        "garbage",
        "a.b.c",
        "eyJhbGciOiJub25lIn0.eyJzdWIiOiJhbGljZSJ9.",
        long.as_str(),
        "\u{e9}\u{0}",
    ] {
        let res = s.post_form_as("/introspect", &c, &[("token", token)]).await;
        assert_eq!(res.status(), StatusCode::OK);
        crate::support::assert_no_store(res.headers());
        let body: Value = res.json().await.unwrap();
        assert_eq!(body, json!({"active": false}), "{token:.20}");
    }
}

#[tokio::test]
async fn expired_tokens_are_exactly_inactive() {
    let s = TestServer::start().await;
    let c = s.confidential_client().await;
    s.set_lifetimes(
        &c.client_id,
        json!({"access_token": 60, "refresh_token": 120}),
    )
    .await;
    let t = s.tokens(&c, "profile").await;
    assert_eq!(t.expires_in, 60);
    assert_eq!(s.introspect(&c, &t.access_token).await["active"], true);
    s.advance_clock(60 + 31).await; // past exp and the 30 s verification leeway
    assert_eq!(
        s.introspect(&c, &t.access_token).await,
        json!({"active": false})
    );
    assert_eq!(s.introspect(&c, t.refresh()).await["active"], true);
    s.advance_clock(60).await;
    assert_eq!(
        s.introspect(&c, t.refresh()).await,
        json!({"active": false})
    );
}

#[tokio::test]
async fn revoked_tokens_are_exactly_inactive() {
    let s = TestServer::start().await;
    let c = s.confidential_client().await;
    let t = s.tokens(&c, "profile").await;
    assert_eq!(s.revoke(&c, &t.access_token).await.status(), StatusCode::OK);
    assert_eq!(
        s.introspect(&c, &t.access_token).await,
        json!({"active": false})
    );
    assert_eq!(s.introspect(&c, t.refresh()).await["active"], true);
    assert_eq!(s.revoke(&c, t.refresh()).await.status(), StatusCode::OK);
    assert_eq!(
        s.introspect(&c, t.refresh()).await,
        json!({"active": false})
    );
}

#[tokio::test]
async fn a_token_from_another_server_is_inactive() {
    let a = TestServer::start().await;
    let b = TestServer::start().await;
    let ca = a.confidential_client().await;
    let cb = b.confidential_client().await;
    let t = Tokens::from_ok(a.client_credentials(&ca, None).await).await;
    assert_eq!(
        b.introspect(&cb, &t.access_token).await,
        json!({"active": false})
    );
}
