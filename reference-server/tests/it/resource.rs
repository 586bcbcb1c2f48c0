//! The resource server (RFC 6750, RFC 9068 validation).

use oauthspec_reference_server::Settings;
use oauthspec_reference_server::config::UserConfig;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::support::{Pkce, TestServer, Tokens, b64, jwt_parts, query_param, www_authenticate};

async fn get_with(s: &TestServer, path: &str, authorization: &str) -> reqwest::Response {
    s.get(path)
        .header("authorization", authorization)
        .send()
        .await
        .unwrap()
}

fn assert_invalid_token(res: &reqwest::Response) {
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    let challenge = www_authenticate(res);
    assert!(challenge.starts_with("Bearer "), "{challenge}");
    assert!(challenge.contains("realm="), "{challenge}");
    assert!(challenge.contains("error=\"invalid_token\""), "{challenge}");
}

#[tokio::test]
async fn the_bearer_scheme_is_case_insensitive() {
    let s = TestServer::start().await;
    let c = s.confidential_client().await;
    let t = s.tokens(&c, "profile").await;
    for scheme in ["Bearer", "bearer", "BEARER", "bEaReR"] {
        let res = get_with(&s, "/api/profile", &format!("{scheme} {}", t.access_token)).await;
        assert_eq!(res.status(), StatusCode::OK, "{scheme}");
        let body: Value = res.json().await.unwrap();
        assert_eq!(body["sub"], "alice");
    }
}

#[tokio::test]
async fn no_token_is_401_with_a_bare_challenge() {
    let s = TestServer::start().await;
    for path in ["/api/profile", "/api/notes"] {
        let res = s.get(path).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
        let challenge = www_authenticate(&res);
        assert!(challenge.starts_with("Bearer realm=\""), "{challenge}");
        // RFC 6750 §3.1: no error code when no credentials were sent.
        assert!(!challenge.contains("error"), "{challenge}");
    }
    // Another scheme counts as no bearer token.
    let res = get_with(&s, "/api/profile", "Basic YTpi").await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    assert!(!www_authenticate(&res).contains("error"));
}

#[tokio::test]
async fn a_token_in_the_query_string_is_not_accepted() {
    let s = TestServer::start().await;
    let c = s.confidential_client().await;
    let t = s.tokens(&c, "profile").await;
    let res = s
        .get(&format!("/api/profile?access_token={}", t.access_token))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    assert!(!www_authenticate(&res).contains("error="));
    // Nor in a form body of a GET.
    let res = crate::support::form(s.get("/api/profile"), &[("access_token", &t.access_token)])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn bad_tokens_are_401_invalid_token() {
    let s = TestServer::start().await;
    for auth in [
        "Bearer garbage",
        "Bearer a.b.c",
        "Bearer eyJhbGciOiJFZERTQSJ9.e30.AAAA",
        "Bearer has\"quote",
    ] {
        let res = get_with(&s, "/api/profile", auth).await;
        assert_invalid_token(&res);
    }
}

#[tokio::test]
async fn a_missing_scope_is_403_insufficient_scope() {
    let s = TestServer::start().await;
    let c = s.confidential_client().await;
    let t = s.tokens(&c, "profile").await;
    let res = s
        .get("/api/notes")
        .bearer_auth(&t.access_token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let challenge = www_authenticate(&res);
    assert!(challenge.starts_with("Bearer "), "{challenge}");
    assert!(
        challenge.contains("error=\"insufficient_scope\""),
        "{challenge}"
    );
    assert!(challenge.contains("scope=\"notes:read\""), "{challenge}");
    let res = s
        .post("/api/notes")
        .bearer_auth(&t.access_token)
        .json(&json!({"text": "hi"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    assert!(www_authenticate(&res).contains("scope=\"notes:write\""));
    // And the other way round.
    let t = s.tokens(&c, "notes:read").await;
    let res = s.profile(&t.access_token).await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    assert!(www_authenticate(&res).contains("scope=\"profile\""));
}

async fn tokens_as(s: &TestServer, user: &str, password: &str) -> Tokens {
    let c = s.public_client().await;
    let pkce = Pkce::new();
    let p = TestServer::authorize_params(&c, &pkce, "s", "notes:read notes:write");
    let ix = s.begin(&p).await;
    let csrf = s.log_in_as(&ix, user, password).await;
    let url = s.decide(&ix, &csrf, "approve").await;
    let code = query_param(&url, "code").unwrap();
    Tokens::from_ok(s.exchange(&c, &code, &pkce.verifier).await).await
}

async fn notes(s: &TestServer, token: &str) -> Vec<String> {
    let res = s.get("/api/notes").bearer_auth(token).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let body: Value = res.json().await.unwrap();
    body["notes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["text"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn notes_are_kept_per_subject() {
    let mut settings = Settings {
        test_admin: true,
        ..Settings::default()
    };
    settings.users.push(UserConfig {
        username: "bob".into(),
        password_hash: None,
        password: Some("bob-password".into()),
    });
    let s = TestServer::start_with(settings).await;
    let alice = tokens_as(&s, "alice", "alice-password").await;
    let bob = tokens_as(&s, "bob", "bob-password").await;
    assert_eq!(jwt_parts(&bob.access_token).1["sub"], "bob");

    let res = s
        .post("/api/notes")
        .bearer_auth(&alice.access_token)
        .json(&json!({"text": "alice's secret"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::CREATED);
    let res = s
        .post("/api/notes")
        .bearer_auth(&bob.access_token)
        .json(&json!({"text": "bob's note"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::CREATED);
    assert_eq!(notes(&s, &alice.access_token).await, ["alice's secret"]);
    assert_eq!(notes(&s, &bob.access_token).await, ["bob's note"]);
    // A bad note body is a 400, not a 500.
    for body in ["{}", "not json", "{\"text\": 5}", "{\"text\": \"\"}"] {
        let res = s
            .post("/api/notes")
            .bearer_auth(&alice.access_token)
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::BAD_REQUEST, "{body}");
    }
    assert_eq!(notes(&s, &alice.access_token).await.len(), 1);
}

/// Builds a token from a real one with its header and/or payload replaced
/// (keeping the original signature unless `sig` is given).
fn reforge(
    token: &str,
    header: Option<&Value>,
    payload: Option<&Value>,
    sig: Option<&str>,
) -> String {
    let parts: Vec<&str> = token.split('.').collect();
    let h = header
        .map(|h| b64(h.to_string().as_bytes()))
        .unwrap_or(parts[0].into());
    let p = payload
        .map(|p| b64(p.to_string().as_bytes()))
        .unwrap_or(parts[1].into());
    format!("{h}.{p}.{}", sig.unwrap_or(parts[2]))
}

#[tokio::test]
async fn forged_tokens_are_refused() {
    let s = TestServer::start().await;
    let c = s.confidential_client().await;
    let t = s.tokens(&c, "notes:read").await;
    let (header, claims) = jwt_parts(&t.access_token);
    assert_eq!(
        s.get("/api/notes")
            .bearer_auth(&t.access_token)
            .send()
            .await
            .unwrap()
            .status(),
        200
    );

    let mut wider = claims.clone();
    wider["scope"] = json!("profile notes:read notes:write");
    let mut none_header = header.clone();
    none_header["alg"] = json!("none");
    let mut hs_header = header.clone();
    hs_header["alg"] = json!("HS256");
    let mut jwt_typ = header.clone();
    jwt_typ["typ"] = json!("JWT");
    let mut no_typ = header.clone();
    no_typ.as_object_mut().unwrap().remove("typ");
    let mut other_kid = header.clone();
    other_kid["kid"] = json!("someone-elses-key");
    let mut crit = header.clone();
    crit["crit"] = json!(["exp"]);
    let mut later = claims.clone();
    later["exp"] = json!(claims["exp"].as_i64().unwrap() + 86_400);
    let mac = aws_lc_rs::hmac::sign(
        &aws_lc_rs::hmac::Key::new(
            aws_lc_rs::hmac::HMAC_SHA256,
            s.jwks().await.to_string().as_bytes(),
        ),
        b"x",
    );
    let forged = [
        // alg none with no signature, and with the payload widened.
        reforge(&t.access_token, Some(&none_header), None, Some("")),
        reforge(&t.access_token, Some(&none_header), Some(&wider), Some("")),
        // Tampered payloads under the original signature.
        reforge(&t.access_token, None, Some(&wider), None),
        reforge(&t.access_token, None, Some(&later), None),
        // HMAC with a public key as the secret.
        reforge(
            &t.access_token,
            Some(&hs_header),
            None,
            Some(&b64(mac.as_ref())),
        ),
        // Wrong or missing typ, unknown kid, an unknown crit extension.
        reforge(&t.access_token, Some(&jwt_typ), None, None),
        reforge(&t.access_token, Some(&no_typ), None, None),
        reforge(&t.access_token, Some(&other_kid), None, None),
        reforge(&t.access_token, Some(&crit), None, None),
        // A corrupted signature.
        reforge(&t.access_token, None, None, Some(&b64(&[0u8; 64]))),
    ];
    for token in forged {
        let res = s
            .get("/api/notes")
            .bearer_auth(&token)
            .send()
            .await
            .unwrap();
        assert_invalid_token(&res);
        let res = s
            .post("/api/notes")
            .bearer_auth(&token)
            .json(&json!({"text": "x"}))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    }
}

#[tokio::test]
async fn tokens_of_another_issuer_and_expired_tokens_are_refused() {
    let s = TestServer::start().await;
    let other = TestServer::start().await;
    let oc = other.confidential_client().await;
    let foreign = Tokens::from_ok(other.client_credentials(&oc, None).await).await;
    assert_invalid_token(&s.profile(&foreign.access_token).await);

    let c = s.confidential_client().await;
    let t = s.tokens(&c, "profile").await;
    s.advance_clock(t.expires_in - 5).await;
    assert_eq!(s.profile(&t.access_token).await.status(), StatusCode::OK);
    s.advance_clock(5 + 31).await;
    assert_invalid_token(&s.profile(&t.access_token).await);
}

#[tokio::test]
async fn a_token_whose_nbf_is_in_the_future_is_refused() {
    // Sign a token with the server's own key but nbf an hour ahead.
    let s = TestServer::start().await;
    let c = s.confidential_client().await;
    let t = Tokens::from_ok(s.client_credentials(&c, None).await).await;
    let (_, mut claims) = jwt_parts(&t.access_token);
    claims["nbf"] = json!(claims["iat"].as_i64().unwrap() + 3600);
    let key = s.server.state().keys().active.clone();
    let token = key.sign_at_jwt(&claims).unwrap();
    assert_invalid_token(&s.profile(&token).await);
    // The same with nbf now is fine: the signer itself is trusted.
    claims["nbf"] = claims["iat"].clone();
    let token = key.sign_at_jwt(&claims).unwrap();
    assert_eq!(s.profile(&token).await.status(), StatusCode::OK);
}

#[tokio::test]
async fn two_authorization_headers_are_refused() {
    let s = TestServer::start().await;
    let c = s.confidential_client().await;
    let t = s.tokens(&c, "profile").await;
    let res = s
        .get("/api/profile")
        .header("authorization", format!("Bearer {}", t.access_token))
        .header("authorization", format!("Bearer {}", t.access_token))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    assert!(www_authenticate(&res).contains("invalid_request"));
}

#[tokio::test]
async fn a_token_in_both_header_and_query_is_invalid_request() {
    // RFC 6750 §3.1: more than one method of sending the token.
    let s = TestServer::start().await;
    let c = s.confidential_client().await;
    let t = s.tokens(&c, "profile").await;
    let res = s
        .get(&format!("/api/profile?access_token={}", t.access_token))
        .bearer_auth(&t.access_token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    assert!(www_authenticate(&res).contains("error=\"invalid_request\""));
}
