//! The JWKS (RFC 7517): public keys only, unique kids, and key rotation
//! that keeps a retired key published until every token it signed expired.

use std::collections::HashSet;

use oauthspec_reference_server::{Settings, SigningAlg};
use reqwest::StatusCode;
use serde_json::Value;

use crate::support::{TestServer, Tokens, jwt_parts};

fn kids(jwks: &Value) -> Vec<String> {
    jwks["keys"]
        .as_array()
        .expect("keys array")
        .iter()
        .map(|k| k["kid"].as_str().expect("every key has a kid").to_string())
        .collect()
}

fn assert_public_only(jwks: &Value) {
    for key in jwks["keys"].as_array().unwrap() {
        for private in ["d", "p", "q", "dp", "dq", "qi", "k", "oth"] {
            assert!(key.get(private).is_none(), "JWKS leaks {private}: {key}");
        }
    }
    let kids = kids(jwks);
    let unique: HashSet<_> = kids.iter().collect();
    assert_eq!(unique.len(), kids.len(), "duplicate kids: {kids:?}");
}

async fn cc_token(s: &TestServer, client: &crate::support::Client) -> Tokens {
    Tokens::from_ok(s.client_credentials(client, Some("profile")).await).await
}

#[tokio::test]
async fn jwks_has_public_keys_only_with_unique_kids() {
    let s = TestServer::start().await;
    let res = s.get("/jwks").send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let ct = res.headers()["content-type"].to_str().unwrap().to_string();
    assert!(
        ct.starts_with("application/jwk-set+json") || ct.starts_with("application/json"),
        "{ct}"
    );
    let jwks: Value = res.json().await.unwrap();
    // The access-token key, then the RS256 key of ID tokens.
    assert_eq!(kids(&jwks).len(), 2);
    assert_eq!(jwks["keys"][1]["alg"], "RS256");
    let key = &jwks["keys"][0];
    assert_eq!(key["kty"], "OKP");
    assert_eq!(key["crv"], "Ed25519");
    assert_eq!(key["alg"], "EdDSA");
    assert_public_only(&jwks);
    // After rotations there are several keys, still public and unique.
    s.rotate_keys().await;
    s.rotate_keys().await;
    let jwks = s.jwks().await;
    assert_eq!(
        kids(&jwks).len(),
        4,
        "three access-token keys and the RS256 one"
    );
    assert_public_only(&jwks);
}

#[tokio::test]
async fn access_tokens_are_rfc9068_jwts_signed_by_a_published_key() {
    let s = TestServer::start().await;
    let client = s.confidential_client().await;
    let t = s.tokens(&client, "profile").await;
    let (header, claims) = jwt_parts(&t.access_token);
    assert_eq!(header["typ"], "at+jwt");
    assert_eq!(header["alg"], "EdDSA");
    assert!(kids(&s.jwks().await).contains(&header["kid"].as_str().unwrap().to_string()));
    assert_eq!(claims["iss"], s.issuer());
    assert_eq!(claims["sub"], "alice");
    assert_eq!(claims["client_id"], client.client_id.as_str());
    assert_eq!(claims["scope"], "profile");
    assert!(claims["aud"].is_string() || claims["aud"].is_array());
    assert!(claims["jti"].as_str().is_some_and(|j| !j.is_empty()));
    let (iat, exp) = (
        claims["iat"].as_i64().unwrap(),
        claims["exp"].as_i64().unwrap(),
    );
    assert_eq!(exp - iat, t.expires_in);
}

#[tokio::test]
async fn rotation_signs_with_the_new_key_and_keeps_the_old_one_until_its_tokens_expire() {
    let s = TestServer::start().await;
    let client = s.confidential_client().await;
    let old = cc_token(&s, &client).await;
    let old_kid = jwt_parts(&old.access_token).0["kid"]
        .as_str()
        .unwrap()
        .to_string();

    let new_kid = s.rotate_keys().await;
    assert_ne!(new_kid, old_kid);
    let published = kids(&s.jwks().await);
    assert!(published.contains(&new_kid), "new key not published");
    assert!(published.contains(&old_kid), "old key withdrawn too early");

    let new = cc_token(&s, &client).await;
    assert_eq!(jwt_parts(&new.access_token).0["kid"], new_kid.as_str());
    assert_eq!(s.profile(&new.access_token).await.status(), StatusCode::OK);
    assert_eq!(
        s.profile(&old.access_token).await.status(),
        StatusCode::OK,
        "a token signed by the retired key must work until it expires"
    );

    // Shortly before the old token expires: still published, still accepted.
    s.advance_clock(old.expires_in - 10).await;
    assert!(kids(&s.jwks().await).contains(&old_kid));
    assert_eq!(s.profile(&old.access_token).await.status(), StatusCode::OK);

    // Past its expiry (and any leeway): the old key is gone, the token dead.
    s.advance_clock(120).await;
    let published = kids(&s.jwks().await);
    assert!(!published.contains(&old_kid), "retired key still published");
    assert!(published.contains(&new_kid));
    assert_eq!(
        s.profile(&old.access_token).await.status(),
        StatusCode::UNAUTHORIZED
    );
    // The new key keeps signing.
    let fresh = cc_token(&s, &client).await;
    assert_eq!(jwt_parts(&fresh.access_token).0["kid"], new_kid.as_str());
    assert_eq!(
        s.profile(&fresh.access_token).await.status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn a_longer_client_lifetime_keeps_the_retired_key_published_longer() {
    let s = TestServer::start().await;
    let client = s.confidential_client().await;
    s.set_lifetimes(&client.client_id, serde_json::json!({"access_token": 3600}))
        .await;
    let old = cc_token(&s, &client).await;
    assert_eq!(old.expires_in, 3600);
    let old_kid = jwt_parts(&old.access_token).0["kid"]
        .as_str()
        .unwrap()
        .to_string();
    s.rotate_keys().await;
    s.advance_clock(3000).await;
    assert!(kids(&s.jwks().await).contains(&old_kid));
    assert_eq!(s.profile(&old.access_token).await.status(), StatusCode::OK);
    s.advance_clock(700).await;
    assert!(!kids(&s.jwks().await).contains(&old_kid));
    assert_eq!(
        s.profile(&old.access_token).await.status(),
        StatusCode::UNAUTHORIZED
    );
}

async fn check_alg(alg: SigningAlg, name: &str, kty: &str) {
    let s = TestServer::start_with(Settings {
        test_admin: true,
        signing_alg: alg,
        ..Settings::default()
    })
    .await;
    let jwks = s.jwks().await;
    assert_public_only(&jwks);
    assert_eq!(jwks["keys"][0]["kty"], kty);
    assert_eq!(jwks["keys"][0]["alg"], name);
    let doc: Value = s
        .get("/.well-known/oauth-authorization-server")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(doc["code_challenge_methods_supported"][0], "S256");

    let client = s.confidential_client().await;
    let t = s.tokens(&client, "profile").await;
    let (header, _) = jwt_parts(&t.access_token);
    assert_eq!(header["alg"], name);
    assert_eq!(header["kid"], jwks["keys"][0]["kid"]);
    assert_eq!(s.profile(&t.access_token).await.status(), StatusCode::OK);

    // Rotation works for this algorithm too.
    let new_kid = s.rotate_keys().await;
    let t2 = cc_token(&s, &client).await;
    assert_eq!(jwt_parts(&t2.access_token).0["kid"], new_kid.as_str());
    assert_eq!(jwt_parts(&t2.access_token).0["alg"], name);
    assert_eq!(s.profile(&t2.access_token).await.status(), StatusCode::OK);
    assert_eq!(s.profile(&t.access_token).await.status(), StatusCode::OK);
    // Plus the RS256 key of ID tokens, unless that is the access-token key.
    let rs256 = usize::from(alg != SigningAlg::RS256);
    assert_eq!(kids(&s.jwks().await).len(), 2 + rs256);
}

#[tokio::test]
async fn es256_server_signs_and_verifies() {
    check_alg(SigningAlg::ES256, "ES256", "EC").await;
}

#[tokio::test]
async fn rs256_server_signs_and_verifies() {
    check_alg(SigningAlg::RS256, "RS256", "RSA").await;
}
