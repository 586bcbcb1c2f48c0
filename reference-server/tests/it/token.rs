//! The token endpoint (RFC 6749 §3.2, §4.1.3, §4.4, §6; RFC 7636 §4.6;
//! RFC 9700 §4.14.2).

use reqwest::StatusCode;
use serde_json::json;

use crate::support::{
    ALL_SCOPES, Client, Pkce, TestServer, Tokens, assert_no_store, assert_oauth_error, form,
    www_authenticate,
};

async fn code_for(s: &TestServer, c: &Client, scope: &str) -> (String, Pkce) {
    let pkce = Pkce::new();
    let code = s.code(c, &pkce, scope).await;
    (code, pkce)
}

#[tokio::test]
async fn code_exchange_issues_access_and_refresh_tokens() {
    let s = TestServer::start().await;
    let c = s.confidential_client().await;
    let (code, pkce) = code_for(&s, &c, "profile notes:read").await;
    let res = s.exchange(&c, &code, &pkce.verifier).await;
    assert!(
        res.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/json")
    );
    let t = Tokens::from_ok(res).await;
    assert_eq!(t.scope, "notes:read profile");
    assert_eq!(t.expires_in, 600);
    // Opaque refresh token with at least 128 bits.
    assert!(t.refresh().len() >= 22);
    assert!(!t.refresh().contains('.'));
    assert_eq!(s.profile(&t.access_token).await.status(), StatusCode::OK);
}

#[tokio::test]
async fn public_client_exchanges_with_client_id_only() {
    let s = TestServer::start().await;
    let c = s.public_client().await;
    let t = s.tokens(&c, "profile").await;
    assert!(t.refresh_token.is_some());
    assert_eq!(s.profile(&t.access_token).await.status(), StatusCode::OK);
}

#[tokio::test]
async fn code_reuse_is_invalid_grant_and_revokes_what_the_code_produced() {
    let s = TestServer::start().await;
    let c = s.confidential_client().await;
    let introspector = s.confidential_client().await;
    let (code, pkce) = code_for(&s, &c, "profile").await;
    let first = Tokens::from_ok(s.exchange(&c, &code, &pkce.verifier).await).await;
    assert_eq!(
        s.profile(&first.access_token).await.status(),
        StatusCode::OK
    );

    let res = s.exchange(&c, &code, &pkce.verifier).await;
    assert_oauth_error(res, StatusCode::BAD_REQUEST, "invalid_grant").await;

    // RFC 6749 §4.1.2: tokens issued from the code are revoked.
    let res = s.profile(&first.access_token).await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    assert!(www_authenticate(&res).contains("invalid_token"));
    assert_eq!(
        s.introspect(&introspector, &first.access_token).await,
        json!({"active": false})
    );
    assert_eq!(
        s.introspect(&introspector, first.refresh()).await,
        json!({"active": false})
    );
    let res = s.refresh(&c, first.refresh()).await;
    assert_oauth_error(res, StatusCode::BAD_REQUEST, "invalid_grant").await;
}

#[tokio::test]
async fn pkce_verifier_must_be_present_well_formed_and_matching() {
    let s = TestServer::start().await;
    let c = s.confidential_client().await;
    let (code, pkce) = code_for(&s, &c, "profile").await;
    let other = Pkce::new();
    let bad_verifiers = [
        other.verifier.clone(),                // well formed, wrong
        pkce.verifier[..42].to_string(),       // too short (RFC 7636 §4.1: 43..128)
        "a".repeat(129),                       // too long
        format!("{}+/", &pkce.verifier[..43]), // characters outside the unreserved set
        pkce.challenge.clone(),                // the challenge itself
    ];
    for v in &bad_verifiers {
        let res = s.exchange(&c, &code, v).await;
        assert_oauth_error(res, StatusCode::BAD_REQUEST, "invalid_grant").await;
    }
    // Missing verifier.
    let res = s
        .post_form_as(
            "/token",
            &c,
            &[
                ("grant_type", "authorization_code"),
                ("code", &code),
                ("redirect_uri", &c.redirect_uri),
            ],
        )
        .await;
    let body = assert_oauth_error(res, StatusCode::BAD_REQUEST, "invalid_grant").await;
    let _ = body;
    // The failures did not burn the code: the right verifier still works.
    Tokens::from_ok(s.exchange(&c, &code, &pkce.verifier).await).await;
}

#[tokio::test]
async fn a_short_verifier_that_matches_its_challenge_is_still_refused() {
    // A verifier below 43 characters is ill-formed even if its S256 matches.
    let s = TestServer::start().await;
    let c = s.public_client().await;
    let pkce = Pkce::from_verifier("short-verifier-123");
    let code = s.code(&c, &pkce, "profile").await;
    let res = s.exchange(&c, &code, &pkce.verifier).await;
    assert_oauth_error(res, StatusCode::BAD_REQUEST, "invalid_grant").await;
}

#[tokio::test]
async fn the_code_is_bound_to_its_client() {
    let s = TestServer::start().await;
    let c = s.confidential_client().await;
    let thief = s.confidential_client().await;
    let (code, pkce) = code_for(&s, &c, "profile").await;
    let res = s.exchange(&thief, &code, &pkce.verifier).await;
    assert_oauth_error(res, StatusCode::BAD_REQUEST, "invalid_grant").await;
    // Unknown code.
    let res = s.exchange(&c, "not-a-code", &pkce.verifier).await;
    assert_oauth_error(res, StatusCode::BAD_REQUEST, "invalid_grant").await;
    // The owner can still redeem it.
    Tokens::from_ok(s.exchange(&c, &code, &pkce.verifier).await).await;
}

#[tokio::test]
async fn the_code_is_bound_to_its_redirect_uri() {
    let s = TestServer::start().await;
    let c = s.confidential_client().await;
    let (code, pkce) = code_for(&s, &c, "profile").await;
    for uri in [
        "http://127.0.0.1:8765/callback/",
        "http://127.0.0.1:8765/other",
    ] {
        let res = s
            .post_form_as(
                "/token",
                &c,
                &[
                    ("grant_type", "authorization_code"),
                    ("code", &code),
                    ("redirect_uri", uri),
                    ("code_verifier", &pkce.verifier),
                ],
            )
            .await;
        assert_oauth_error(res, StatusCode::BAD_REQUEST, "invalid_grant").await;
    }
    // Missing, although the authorization request carried one (§4.1.3).
    let res = s
        .post_form_as(
            "/token",
            &c,
            &[
                ("grant_type", "authorization_code"),
                ("code", &code),
                ("code_verifier", &pkce.verifier),
            ],
        )
        .await;
    assert_oauth_error(res, StatusCode::BAD_REQUEST, "invalid_grant").await;
    Tokens::from_ok(s.exchange(&c, &code, &pkce.verifier).await).await;
}

#[tokio::test]
async fn an_expired_code_is_invalid_grant() {
    let s = TestServer::start().await;
    let c = s.confidential_client().await;
    let (code, pkce) = code_for(&s, &c, "profile").await;
    s.advance_clock(61).await;
    let res = s.exchange(&c, &code, &pkce.verifier).await;
    assert_oauth_error(res, StatusCode::BAD_REQUEST, "invalid_grant").await;
}

#[tokio::test]
async fn a_code_within_its_60_seconds_works() {
    let s = TestServer::start().await;
    let c = s.confidential_client().await;
    let (code, pkce) = code_for(&s, &c, "profile").await;
    s.advance_clock(50).await;
    Tokens::from_ok(s.exchange(&c, &code, &pkce.verifier).await).await;
}

#[tokio::test]
async fn refresh_rotates_the_refresh_token() {
    let s = TestServer::start().await;
    let c = s.confidential_client().await;
    let t1 = s.tokens(&c, "profile notes:read").await;
    let t2 = Tokens::from_ok(s.refresh(&c, t1.refresh()).await).await;
    assert_ne!(t2.refresh(), t1.refresh());
    assert_ne!(t2.access_token, t1.access_token);
    assert_eq!(t2.scope, "notes:read profile");
    assert_eq!(s.profile(&t2.access_token).await.status(), StatusCode::OK);
    let t3 = Tokens::from_ok(s.refresh(&c, t2.refresh()).await).await;
    assert_eq!(s.profile(&t3.access_token).await.status(), StatusCode::OK);
}

#[tokio::test]
async fn replaying_a_rotated_out_refresh_token_revokes_the_family() {
    let s = TestServer::start().await;
    let c = s.confidential_client().await;
    let t1 = s.tokens(&c, "profile").await;
    let t2 = Tokens::from_ok(s.refresh(&c, t1.refresh()).await).await;
    assert_eq!(s.profile(&t2.access_token).await.status(), StatusCode::OK);

    let res = s.refresh(&c, t1.refresh()).await;
    assert_oauth_error(res, StatusCode::BAD_REQUEST, "invalid_grant").await;

    // The newest refresh token of the family is dead too (RFC 9700 §4.14.2),
    let res = s.refresh(&c, t2.refresh()).await;
    assert_oauth_error(res, StatusCode::BAD_REQUEST, "invalid_grant").await;
    // and so are the access tokens issued under the family.
    assert_eq!(
        s.profile(&t2.access_token).await.status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        s.profile(&t1.access_token).await.status(),
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn refresh_may_narrow_the_scope_but_not_widen_it() {
    let s = TestServer::start().await;
    let c = s.confidential_client().await;
    let t = s.tokens(&c, "profile notes:read").await;
    let res = s
        .post_form_as(
            "/token",
            &c,
            &[
                ("grant_type", "refresh_token"),
                ("refresh_token", t.refresh()),
                ("scope", "notes:read"),
            ],
        )
        .await;
    let narrow = Tokens::from_ok(res).await;
    assert_eq!(narrow.scope, "notes:read");
    assert_eq!(
        s.profile(&narrow.access_token).await.status(),
        StatusCode::FORBIDDEN
    );
    // Wider than the original grant: invalid_scope, even though the client
    // itself may have notes:write.
    for wider in ["notes:read notes:write", "notes:write", "profile admin"] {
        let res = s
            .post_form_as(
                "/token",
                &c,
                &[
                    ("grant_type", "refresh_token"),
                    ("refresh_token", narrow.refresh()),
                    ("scope", wider),
                ],
            )
            .await;
        assert_oauth_error(res, StatusCode::BAD_REQUEST, "invalid_scope").await;
    }
    // Going back up to the originally granted scope is allowed.
    let res = s
        .post_form_as(
            "/token",
            &c,
            &[
                ("grant_type", "refresh_token"),
                ("refresh_token", narrow.refresh()),
                ("scope", "profile notes:read"),
            ],
        )
        .await;
    let back = Tokens::from_ok(res).await;
    assert_eq!(back.scope, "notes:read profile");
}

#[tokio::test]
async fn a_refresh_token_is_bound_to_its_client() {
    let s = TestServer::start().await;
    let c = s.confidential_client().await;
    let other = s.confidential_client().await;
    let t = s.tokens(&c, "profile").await;
    let res = s.refresh(&other, t.refresh()).await;
    assert_oauth_error(res, StatusCode::BAD_REQUEST, "invalid_grant").await;
    // Still usable by its owner.
    Tokens::from_ok(s.refresh(&c, t.refresh()).await).await;
}

#[tokio::test]
async fn an_expired_refresh_token_is_invalid_grant() {
    let s = TestServer::start().await;
    let c = s.confidential_client().await;
    s.set_lifetimes(&c.client_id, json!({"refresh_token": 120}))
        .await;
    let t = s.tokens(&c, "profile").await;
    s.advance_clock(121).await;
    let res = s.refresh(&c, t.refresh()).await;
    assert_oauth_error(res, StatusCode::BAD_REQUEST, "invalid_grant").await;
}

#[tokio::test]
async fn confidential_refresh_without_credentials_is_401_invalid_client() {
    let s = TestServer::start().await;
    let c = s.confidential_client().await;
    let t = s.tokens(&c, "profile").await;
    for pairs in [
        vec![
            ("grant_type", "refresh_token"),
            ("refresh_token", t.refresh()),
        ],
        vec![
            ("grant_type", "refresh_token"),
            ("refresh_token", t.refresh()),
            ("client_id", c.client_id.as_str()),
        ],
    ] {
        let res = s.post_form("/token", &pairs).await;
        let challenge = www_authenticate(&res);
        assert_oauth_error(res, StatusCode::UNAUTHORIZED, "invalid_client").await;
        assert!(!challenge.is_empty(), "401 without WWW-Authenticate");
    }
    // Still usable with credentials: the failures did not rotate it.
    Tokens::from_ok(s.refresh(&c, t.refresh()).await).await;
}

#[tokio::test]
async fn client_secret_basic_and_client_secret_post_both_authenticate() {
    let s = TestServer::start().await;
    let basic = s.confidential_client().await;
    let post = s.post_client().await;
    for c in [&basic, &post] {
        let t = Tokens::from_ok(s.client_credentials(c, Some("profile")).await).await;
        assert_eq!(t.scope, "profile");
        assert!(
            t.refresh_token.is_none(),
            "client_credentials has no refresh token"
        );
        let t = s.tokens(c, "profile").await;
        assert_eq!(s.profile(&t.access_token).await.status(), StatusCode::OK);
    }
    // Each client must use the method it registered.
    let res = form(
        s.post("/token"),
        &[
            ("grant_type", "client_credentials"),
            ("client_id", &basic.client_id),
            ("client_secret", basic.client_secret.as_deref().unwrap()),
        ],
    )
    .send()
    .await
    .unwrap();
    assert_oauth_error(res, StatusCode::UNAUTHORIZED, "invalid_client").await;
    let res = form(
        s.post("/token")
            .basic_auth(&post.client_id, post.client_secret.as_ref()),
        &[("grant_type", "client_credentials")],
    )
    .send()
    .await
    .unwrap();
    assert_oauth_error(res, StatusCode::UNAUTHORIZED, "invalid_client").await;
}

#[tokio::test]
async fn basic_credentials_are_form_urlencoded_before_base64() {
    // RFC 6749 §2.3.1: a percent-encoded id/secret in Basic is decoded.
    let s = TestServer::start().await;
    let c = s.confidential_client().await;
    let secret = c.client_secret.clone().unwrap();
    let encoded_id: String = c
        .client_id
        .chars()
        .map(|ch| format!("%{:02X}", ch as u32))
        .collect();
    let res = form(
        s.post("/token").basic_auth(encoded_id, Some(secret)),
        &[("grant_type", "client_credentials")],
    )
    .send()
    .await
    .unwrap();
    Tokens::from_ok(res).await;
}

#[tokio::test]
async fn two_authentication_methods_at_once_is_invalid_request() {
    let s = TestServer::start().await;
    let c = s.confidential_client().await;
    let secret = c.client_secret.clone().unwrap();
    let res = form(
        s.post("/token").basic_auth(&c.client_id, Some(&secret)),
        &[
            ("grant_type", "client_credentials"),
            ("client_id", &c.client_id),
            ("client_secret", &secret),
        ],
    )
    .send()
    .await
    .unwrap();
    assert_oauth_error(res, StatusCode::BAD_REQUEST, "invalid_request").await;
}

#[tokio::test]
async fn wrong_secret_or_unknown_client_is_401_with_www_authenticate() {
    let s = TestServer::start().await;
    let basic = s.confidential_client().await;
    let post = s.post_client().await;
    let cases = vec![
        form(
            s.post("/token").basic_auth(&basic.client_id, Some("wrong")),
            &[("grant_type", "client_credentials")],
        ),
        form(
            s.post("/token").basic_auth("no-such-client", Some("x")),
            &[("grant_type", "client_credentials")],
        ),
        form(
            s.post("/token"),
            &[
                ("grant_type", "client_credentials"),
                ("client_id", &post.client_id),
                ("client_secret", "wrong"),
            ],
        ),
        form(
            s.post("/token")
                .header("authorization", "Basic !!!not-base64"),
            &[("grant_type", "client_credentials")],
        ),
        form(s.post("/token"), &[("grant_type", "client_credentials")]),
    ];
    for req in cases {
        let res = req.send().await.unwrap();
        let challenge = www_authenticate(&res);
        assert_oauth_error(res, StatusCode::UNAUTHORIZED, "invalid_client").await;
        assert!(challenge.starts_with("Basic"), "challenge {challenge:?}");
    }
}

#[tokio::test]
async fn client_credentials_is_for_confidential_clients_only() {
    let s = TestServer::start().await;
    let public = s.public_client().await;
    let res = s.client_credentials(&public, None).await;
    let body = assert_oauth_error(res, StatusCode::BAD_REQUEST, "unauthorized_client").await;
    assert!(body["error_description"].is_string());
    // A confidential client gets its registered scope by default, and no more.
    let c = s.confidential_client().await;
    let t = Tokens::from_ok(s.client_credentials(&c, None).await).await;
    assert_eq!(t.scope, ALL_SCOPES);
    let res = s.client_credentials(&c, Some("profile admin")).await;
    assert_oauth_error(res, StatusCode::BAD_REQUEST, "invalid_scope").await;
}

#[tokio::test]
async fn unsupported_and_unregistered_grants() {
    let s = TestServer::start().await;
    let c = s.confidential_client().await;
    for grant in [
        "password",
        "implicit",
        "urn:ietf:params:oauth:grant-type:device_code",
        "bogus",
    ] {
        let res = s
            .post_form_as(
                "/token",
                &c,
                &[
                    ("grant_type", grant),
                    ("username", "alice"),
                    ("password", "alice-password"),
                ],
            )
            .await;
        assert_oauth_error(res, StatusCode::BAD_REQUEST, "unsupported_grant_type").await;
    }
    // Missing grant_type.
    let res = s.post_form_as("/token", &c, &[("code", "x")]).await;
    assert_oauth_error(res, StatusCode::BAD_REQUEST, "invalid_request").await;
    // A grant the client did not register for.
    let code_only = s
        .register(json!({"redirect_uris": [crate::support::REDIRECT_URI]}))
        .await;
    let res = s.client_credentials(&code_only, None).await;
    assert_oauth_error(res, StatusCode::BAD_REQUEST, "unauthorized_client").await;
}

#[tokio::test]
async fn a_client_without_the_refresh_grant_gets_no_refresh_token() {
    let s = TestServer::start().await;
    let c = s
        .register(json!({"redirect_uris": [crate::support::REDIRECT_URI]}))
        .await;
    let t = s.tokens(&c, "profile").await;
    assert!(t.refresh_token.is_none());
}

#[tokio::test]
async fn repeated_parameters_are_invalid_request() {
    let s = TestServer::start().await;
    let c = s.confidential_client().await;
    let (code, pkce) = code_for(&s, &c, "profile").await;
    let res = s
        .post_form_as(
            "/token",
            &c,
            &[
                ("grant_type", "authorization_code"),
                ("code", &code),
                ("code", &code),
                ("redirect_uri", &c.redirect_uri),
                ("code_verifier", &pkce.verifier),
            ],
        )
        .await;
    assert_oauth_error(res, StatusCode::BAD_REQUEST, "invalid_request").await;
}

#[tokio::test]
async fn every_token_response_has_no_store_and_errors_are_clean_json() {
    let s = TestServer::start().await;
    let c = s.confidential_client().await;
    // Success responses of all three grants.
    let t = s.tokens(&c, "profile").await; // asserts no-store inside
    let res = s.refresh(&c, t.refresh()).await;
    assert_no_store(res.headers());
    assert_eq!(res.status(), StatusCode::OK);
    let res = s.client_credentials(&c, None).await;
    assert_no_store(res.headers());
    assert_eq!(res.status(), StatusCode::OK);
    // A spread of error responses: registered codes, no CR/LF or quotes in
    // descriptions, no-store everywhere.
    let registered = [
        "invalid_request",
        "invalid_client",
        "invalid_grant",
        "unauthorized_client",
        "unsupported_grant_type",
        "invalid_scope",
    ];
    let bodies: Vec<Vec<(&str, &str)>> = vec![
        vec![],
        vec![("grant_type", "authorization_code")],
        vec![
            ("grant_type", "authorization_code"),
            ("code", "bogus\r\nInjected: yes"),
        ],
        vec![("grant_type", "refresh_token"), ("refresh_token", "nope")],
        vec![("grant_type", "password")],
        vec![("grant_type", "client_credentials"), ("scope", "x\"y")],
        vec![
            ("grant_type", "client_credentials"),
            ("scope", "nonexistent\u{e9}"),
        ],
        vec![("grant_type", "\r\n\"evil\"")],
    ];
    for pairs in bodies {
        let res = s.post_form_as("/token", &c, &pairs).await;
        let status = res.status();
        assert!(status == 400 || status == 401, "{pairs:?}: {status}");
        assert_no_store(res.headers());
        let text = res.text().await.unwrap();
        let body: serde_json::Value = serde_json::from_str(&text).expect("JSON error");
        let code = body["error"].as_str().unwrap();
        assert!(registered.contains(&code), "unregistered code {code}");
        crate::support::assert_description_ok(&body);
        assert!(!text.contains('\r') && !text.contains('\n'));
    }
}
