//! Token revocation (RFC 7009).

use reqwest::StatusCode;
use serde_json::json;

use crate::support::{
    TestServer, Tokens, assert_no_store, assert_oauth_error, form, www_authenticate,
};

#[tokio::test]
async fn unknown_tokens_get_200() {
    let s = TestServer::start().await;
    let c = s.confidential_client().await;
    for token in ["no-such-token", "a.b.c", "eyJhbGciOiJub25lIn0.e30."] {
        let res = s.revoke(&c, token).await;
        assert_eq!(res.status(), StatusCode::OK, "{token}");
        assert_no_store(res.headers());
    }
    // With a token_type_hint too (RFC 7009 §2.1).
    let res = s
        .post_form_as(
            "/revoke",
            &c,
            &[("token", "nope"), ("token_type_hint", "refresh_token")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
}

#[tokio::test]
async fn revoking_an_access_token_kills_it_at_the_resource_server_and_introspection() {
    let s = TestServer::start().await;
    let c = s.confidential_client().await;
    let t = s.tokens(&c, "profile").await;
    assert_eq!(s.profile(&t.access_token).await.status(), StatusCode::OK);
    let res = s
        .post_form_as(
            "/revoke",
            &c,
            &[
                ("token", &t.access_token),
                ("token_type_hint", "access_token"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let res = s.profile(&t.access_token).await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    assert!(www_authenticate(&res).contains("error=\"invalid_token\""));
    assert_eq!(
        s.introspect(&c, &t.access_token).await,
        json!({"active": false})
    );
    // Revoking again is still 200.
    assert_eq!(s.revoke(&c, &t.access_token).await.status(), StatusCode::OK);
    // The refresh token of that grant is unaffected by an access-token revocation.
    Tokens::from_ok(s.refresh(&c, t.refresh()).await).await;
}

#[tokio::test]
async fn a_client_credentials_token_can_be_revoked() {
    let s = TestServer::start().await;
    let c = s.confidential_client().await;
    let t = Tokens::from_ok(s.client_credentials(&c, Some("profile")).await).await;
    assert_eq!(s.profile(&t.access_token).await.status(), StatusCode::OK);
    assert_eq!(s.revoke(&c, &t.access_token).await.status(), StatusCode::OK);
    assert_eq!(
        s.profile(&t.access_token).await.status(),
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn revoking_a_refresh_token_revokes_its_family_and_access_tokens() {
    let s = TestServer::start().await;
    let c = s.confidential_client().await;
    let t1 = s.tokens(&c, "profile").await;
    let t2 = Tokens::from_ok(s.refresh(&c, t1.refresh()).await).await;
    let res = s
        .post_form_as(
            "/revoke",
            &c,
            &[
                ("token", t2.refresh()),
                ("token_type_hint", "refresh_token"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_oauth_error(
        s.refresh(&c, t2.refresh()).await,
        StatusCode::BAD_REQUEST,
        "invalid_grant",
    )
    .await;
    for at in [&t1.access_token, &t2.access_token] {
        assert_eq!(s.profile(at).await.status(), StatusCode::UNAUTHORIZED);
        assert_eq!(s.introspect(&c, at).await, json!({"active": false}));
    }
    assert_eq!(
        s.introspect(&c, t2.refresh()).await,
        json!({"active": false})
    );
    // Another grant of the same client and user is untouched.
    let other = s.tokens(&c, "profile").await;
    assert_eq!(
        s.profile(&other.access_token).await.status(),
        StatusCode::OK
    );
    Tokens::from_ok(s.refresh(&c, other.refresh()).await).await;
}

#[tokio::test]
async fn a_public_client_can_revoke_its_own_refresh_token() {
    let s = TestServer::start().await;
    let c = s.public_client().await;
    let t = s.tokens(&c, "profile").await;
    assert_eq!(s.revoke(&c, t.refresh()).await.status(), StatusCode::OK);
    assert_oauth_error(
        s.refresh(&c, t.refresh()).await,
        StatusCode::BAD_REQUEST,
        "invalid_grant",
    )
    .await;
    assert_eq!(
        s.profile(&t.access_token).await.status(),
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn unauthenticated_revocation_is_401() {
    let s = TestServer::start().await;
    let c = s.confidential_client().await;
    let t = s.tokens(&c, "profile").await;
    let cases = vec![
        form(s.post("/revoke"), &[("token", t.refresh())]),
        form(
            s.post("/revoke")
                .basic_auth(&c.client_id, Some("wrong-secret")),
            &[("token", t.refresh())],
        ),
        // A confidential client presenting only its id.
        form(
            s.post("/revoke"),
            &[("token", t.refresh()), ("client_id", &c.client_id)],
        ),
    ];
    for req in cases {
        let res = req.send().await.unwrap();
        let challenge = www_authenticate(&res);
        assert_oauth_error(res, StatusCode::UNAUTHORIZED, "invalid_client").await;
        assert!(!challenge.is_empty());
    }
    // Nothing was revoked.
    assert_eq!(s.profile(&t.access_token).await.status(), StatusCode::OK);
    Tokens::from_ok(s.refresh(&c, t.refresh()).await).await;
}

#[tokio::test]
async fn a_client_cannot_revoke_another_clients_tokens() {
    let s = TestServer::start().await;
    let owner = s.confidential_client().await;
    let other = s.confidential_client().await;
    let t = s.tokens(&owner, "profile").await;
    let res = s.revoke(&other, t.refresh()).await;
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    let res = s.revoke(&other, &t.access_token).await;
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    assert_eq!(s.profile(&t.access_token).await.status(), StatusCode::OK);
    Tokens::from_ok(s.refresh(&owner, t.refresh()).await).await;
}

#[tokio::test]
async fn revocation_needs_a_token_parameter_and_a_form_body() {
    let s = TestServer::start().await;
    let c = s.confidential_client().await;
    let res = s.post_form_as("/revoke", &c, &[]).await;
    assert_oauth_error(res, StatusCode::BAD_REQUEST, "invalid_request").await;
    let res = s
        .post("/revoke")
        .basic_auth(&c.client_id, c.client_secret.as_ref())
        .json(&json!({"token": "x"}))
        .send()
        .await
        .unwrap();
    assert_oauth_error(res, StatusCode::BAD_REQUEST, "invalid_request").await;
}
