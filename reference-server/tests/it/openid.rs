//! The server as an OpenID Provider: ID tokens (OpenID Connect Core §2,
//! §3.1.3.3, §3.1.3.6, §12.2), the UserInfo endpoint (§5.3), the
//! authentication request's parameters (§3.1.2.1, §6) and discovery
//! (Discovery §3, §4). Each OpenID fault is shown breaking its rule and no
//! other at the end.

use aws_lc_rs::digest;
use aws_lc_rs::signature::{self, UnparsedPublicKey};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use oauthspec_reference_server::{Fault, Settings, SigningAlg};
use reqwest::{Response, StatusCode};
use serde_json::{Value, json};

use crate::support::{
    Client, Pkce, TestServer, Tokens, assert_oauth_error, form, jwt_parts, location, query_param,
    www_authenticate,
};

const NONCE: &str = "n-0S6_WzA2Mj";

async fn server_with(faults: &[Fault]) -> TestServer {
    TestServer::start_with(Settings {
        test_admin: true,
        faults: faults.to_vec(),
        ..Settings::default()
    })
    .await
}

/// The authorization request of `client` for `scope`, with a nonce.
fn request<'a>(client: &'a Client, pkce: &'a Pkce, scope: &'a str) -> Vec<(&'a str, &'a str)> {
    let mut p = TestServer::authorize_params(client, pkce, "st4te", scope);
    p.push(("nonce", NONCE));
    p
}

/// Logs in through the whole flow with `extra` parameters and redeems
/// the code.
async fn tokens_with(
    s: &TestServer,
    client: &Client,
    scope: &str,
    extra: &[(&str, &str)],
) -> Tokens {
    let pkce = Pkce::new();
    let mut params = request(client, &pkce, scope);
    params.extend_from_slice(extra);
    let redirect = s.authorize_approved(&params).await;
    let code = query_param(&redirect, "code").expect("a code");
    Tokens::from_ok(s.exchange(client, &code, &pkce.verifier).await).await
}

async fn openid_tokens(s: &TestServer, client: &Client) -> Tokens {
    tokens_with(s, client, "openid profile email", &[]).await
}

fn id_token(t: &Tokens) -> &str {
    t.body["id_token"].as_str().expect("an id_token")
}

fn expected_at_hash(alg: &str, access_token: &str) -> String {
    let algorithm = if alg == "EdDSA" {
        &digest::SHA512
    } else {
        &digest::SHA256
    };
    let d = digest::digest(algorithm, access_token.as_bytes());
    URL_SAFE_NO_PAD.encode(&d.as_ref()[..d.as_ref().len() / 2])
}

/// Verifies a JWS against the server's published JWK Set, by its `kid`;
/// the header and claims.
async fn verify_against_jwks(s: &TestServer, token: &str) -> Result<(Value, Value), String> {
    let (header, claims) = jwt_parts(token);
    let jwks = s.jwks().await;
    let kid = header["kid"].as_str().ok_or("no kid")?;
    let jwk = jwks["keys"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["kid"] == kid)
        .ok_or("kid not in the JWKS")?;
    let (input, sig) = token.rsplit_once('.').unwrap();
    let sig = URL_SAFE_NO_PAD.decode(sig).map_err(|e| e.to_string())?;
    let b = |m: &str| URL_SAFE_NO_PAD.decode(jwk[m].as_str().unwrap()).unwrap();
    let ok = match header["alg"].as_str() {
        Some("RS256") => {
            assert_eq!(jwk["kty"], "RSA");
            signature::RsaPublicKeyComponents {
                n: b("n"),
                e: b("e"),
            }
            .verify(
                &signature::RSA_PKCS1_2048_8192_SHA256,
                input.as_bytes(),
                &sig,
            )
            .is_ok()
        }
        Some("EdDSA") => UnparsedPublicKey::new(&signature::ED25519, b("x"))
            .verify(input.as_bytes(), &sig)
            .is_ok(),
        other => return Err(format!("alg {other:?}")),
    };
    if ok {
        Ok((header, claims))
    } else {
        Err("the signature does not verify".into())
    }
}

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

// ---- ID tokens ----

#[tokio::test]
async fn an_openid_code_exchange_returns_an_rs256_id_token_with_every_claim() {
    let s = TestServer::start().await;
    let c = s.confidential_client().await;
    let before = now();
    let t = openid_tokens(&s, &c).await;
    let (header, claims) = verify_against_jwks(&s, id_token(&t)).await.unwrap();
    assert_eq!(header["alg"], "RS256", "RS256 by default");
    assert_eq!(header["typ"], "JWT");
    assert_eq!(claims["iss"], s.issuer());
    assert_eq!(claims["sub"], "alice");
    assert_eq!(
        claims["aud"],
        c.client_id.as_str(),
        "aud is the client_id string"
    );
    assert_eq!(claims["azp"], c.client_id.as_str());
    assert_eq!(claims["nonce"], NONCE);
    let iat = claims["iat"].as_i64().unwrap();
    assert!((before..=now() + 1).contains(&iat), "iat {iat}");
    assert_eq!(claims["exp"].as_i64().unwrap(), iat + 300);
    let auth_time = claims["auth_time"].as_i64().unwrap();
    assert!((before..=iat).contains(&auth_time), "auth_time {auth_time}");
    assert_eq!(
        claims["at_hash"],
        expected_at_hash("RS256", &t.access_token)
    );
    // The access token is still the server's own algorithm (EdDSA).
    assert_eq!(jwt_parts(&t.access_token).0["alg"], "EdDSA");
}

#[tokio::test]
async fn the_jwks_always_holds_an_rs256_key_named_by_its_thumbprint() {
    for alg in [SigningAlg::EdDSA, SigningAlg::ES256, SigningAlg::RS256] {
        let s = TestServer::start_with(Settings {
            signing_alg: alg,
            ..Settings::default()
        })
        .await;
        let jwks = s.jwks().await;
        let keys = jwks["keys"].as_array().unwrap();
        let expected = if alg == SigningAlg::RS256 { 1 } else { 2 };
        assert_eq!(keys.len(), expected, "{alg:?}: {jwks}");
        assert_eq!(keys[0]["alg"], alg.as_str(), "the access-token key first");
        let rsa = keys.iter().find(|k| k["alg"] == "RS256").expect("RS256");
        let canonical = json!({"e": rsa["e"], "kty": "RSA", "n": rsa["n"]}).to_string();
        let d = digest::digest(&digest::SHA256, canonical.as_bytes());
        assert_eq!(rsa["kid"], URL_SAFE_NO_PAD.encode(d.as_ref()), "RFC 7638");
        assert_eq!(rsa["use"], "sig");
        assert!(rsa.get("d").is_none());
        let c = s.confidential_client().await;
        let t = openid_tokens(&s, &c).await;
        let (header, _) = verify_against_jwks(&s, id_token(&t)).await.unwrap();
        assert_eq!(header["kid"], rsa["kid"]);
    }
}

#[tokio::test]
async fn no_openid_no_id_token() {
    let s = TestServer::start().await;
    let c = s.confidential_client().await;
    let t = tokens_with(&s, &c, "profile", &[]).await;
    assert!(t.body.get("id_token").is_none(), "{}", t.body);
    let res = s.client_credentials(&c, Some("openid profile")).await;
    let t = Tokens::from_ok(res).await;
    assert!(t.body.get("id_token").is_none(), "no user, no ID token");
}

#[tokio::test]
async fn a_client_may_register_the_servers_own_alg_for_its_id_tokens() {
    let s = TestServer::start().await;
    let c = s
        .register(json!({
            "redirect_uris": [crate::support::REDIRECT_URI],
            "grant_types": ["authorization_code", "refresh_token"],
            "id_token_signed_response_alg": "EdDSA",
        }))
        .await;
    assert_eq!(c.body["id_token_signed_response_alg"], "EdDSA");
    let t = openid_tokens(&s, &c).await;
    let (header, claims) = verify_against_jwks(&s, id_token(&t)).await.unwrap();
    assert_eq!(header["alg"], "EdDSA");
    assert_eq!(
        claims["at_hash"],
        expected_at_hash("EdDSA", &t.access_token),
        "SHA-512 for EdDSA"
    );
    for alg in ["ES256", "HS256", "none", "rs256"] {
        let res = s
            .post("/register")
            .json(&json!({
                "redirect_uris": [crate::support::REDIRECT_URI],
                "id_token_signed_response_alg": alg,
            }))
            .send()
            .await
            .unwrap();
        assert_oauth_error(res, StatusCode::BAD_REQUEST, "invalid_client_metadata").await;
    }
}

#[tokio::test]
async fn sub_is_stable_across_logins_and_nonce_is_only_there_when_sent() {
    let s = TestServer::start().await;
    let c = s.confidential_client().await;
    let first = jwt_parts(id_token(&openid_tokens(&s, &c).await)).1;
    let pkce = Pkce::new();
    let params = TestServer::authorize_params(&c, &pkce, "st", "openid");
    let redirect = s.authorize_approved(&params).await;
    let code = query_param(&redirect, "code").unwrap();
    let t = Tokens::from_ok(s.exchange(&c, &code, &pkce.verifier).await).await;
    let second = jwt_parts(id_token(&t)).1;
    assert_eq!(first["sub"], second["sub"]);
    assert!(second.get("nonce").is_none(), "{second}");
}

#[tokio::test]
async fn a_refreshed_id_token_keeps_the_original_auth_time_and_has_no_nonce() {
    let s = TestServer::start().await;
    let c = s.confidential_client().await;
    let t = openid_tokens(&s, &c).await;
    let (_, original) = verify_against_jwks(&s, id_token(&t)).await.unwrap();
    s.advance_clock(120).await;
    let r = Tokens::from_ok(s.refresh(&c, t.refresh()).await).await;
    let (header, claims) = verify_against_jwks(&s, id_token(&r)).await.unwrap();
    assert_eq!(header["alg"], "RS256");
    for same in ["iss", "sub", "aud", "azp", "auth_time"] {
        assert_eq!(claims[same], original[same], "{same}");
    }
    let iat = claims["iat"].as_i64().unwrap();
    assert!(iat >= original["iat"].as_i64().unwrap() + 120, "a new iat");
    assert_eq!(claims["exp"].as_i64().unwrap(), iat + 300);
    assert!(claims.get("nonce").is_none(), "Core §12.2: no nonce");
    assert_eq!(
        claims["at_hash"],
        expected_at_hash("RS256", &r.access_token)
    );
    // A refresh narrowed to a scope without openid gets no ID token.
    let narrowed = s
        .post_form_as(
            "/token",
            &c,
            &[
                ("grant_type", "refresh_token"),
                ("refresh_token", r.refresh()),
                ("scope", "profile"),
            ],
        )
        .await;
    let narrowed = Tokens::from_ok(narrowed).await;
    assert!(narrowed.body.get("id_token").is_none());
}

// ---- UserInfo ----

async fn userinfo_get(s: &TestServer, token: &str) -> Response {
    s.get("/userinfo").bearer_auth(token).send().await.unwrap()
}

async fn userinfo_post_body(s: &TestServer, token: &str) -> Response {
    form(s.post("/userinfo"), &[("access_token", token)])
        .send()
        .await
        .unwrap()
}

async fn json_200(res: Response) -> Value {
    assert_eq!(res.status(), StatusCode::OK);
    assert!(
        res.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/json")
    );
    res.json().await.unwrap()
}

fn assert_bearer_error(res: &Response, status: StatusCode, error: &str) {
    assert_eq!(res.status(), status);
    let challenge = www_authenticate(res);
    assert!(challenge.starts_with("Bearer "), "{challenge}");
    assert!(
        challenge.contains(&format!("error=\"{error}\"")),
        "{challenge}"
    );
}

#[tokio::test]
async fn userinfo_answers_get_and_post_with_the_claims_of_the_scope() {
    let s = TestServer::start().await;
    let c = s.confidential_client().await;
    let t = openid_tokens(&s, &c).await;
    let sub = jwt_parts(id_token(&t)).1["sub"].clone();
    let expected = json!({
        "sub": "alice",
        "name": "Alice Liddell",
        "preferred_username": "alice",
        "given_name": "Alice",
        "family_name": "Liddell",
        "updated_at": 1_700_000_000,
        "email": "alice@example.com",
        "email_verified": true,
    });
    assert_eq!(
        json_200(userinfo_get(&s, &t.access_token).await).await,
        expected
    );
    assert_eq!(expected["sub"], sub, "Core §5.3.2: the ID token's sub");
    let res = s
        .post("/userinfo")
        .bearer_auth(&t.access_token)
        .send()
        .await
        .unwrap();
    assert_eq!(json_200(res).await, expected, "POST, header");
    let res = userinfo_post_body(&s, &t.access_token).await;
    assert_eq!(json_200(res).await, expected, "POST, form body");

    let only_openid = tokens_with(&s, &c, "openid", &[]).await;
    let body = json_200(userinfo_get(&s, &only_openid.access_token).await).await;
    assert_eq!(body, json!({"sub": "alice"}));
    let email = tokens_with(&s, &c, "openid email", &[]).await;
    let body = json_200(userinfo_get(&s, &email.access_token).await).await;
    assert_eq!(
        body,
        json!({"sub": "alice", "email": "alice@example.com", "email_verified": true})
    );
}

#[tokio::test]
async fn userinfo_refuses_bad_missing_doubled_and_unscoped_tokens() {
    let s = TestServer::start().await;
    let c = s.confidential_client().await;
    let t = openid_tokens(&s, &c).await;

    // Both ways at once (RFC 6750 §2).
    let res = form(s.post("/userinfo"), &[("access_token", &t.access_token)])
        .bearer_auth(&t.access_token)
        .send()
        .await
        .unwrap();
    assert_bearer_error(&res, StatusCode::BAD_REQUEST, "invalid_request");

    for garbage in ["garbage", "a.b.c", "!!not a token!!"] {
        let res = userinfo_get(&s, garbage).await;
        assert_bearer_error(&res, StatusCode::UNAUTHORIZED, "invalid_token");
        let res = userinfo_post_body(&s, garbage).await;
        assert_bearer_error(&res, StatusCode::UNAUTHORIZED, "invalid_token");
    }

    for res in [
        s.get("/userinfo").send().await.unwrap(),
        s.post("/userinfo").send().await.unwrap(),
        form(s.post("/userinfo"), &[("other", "x")])
            .send()
            .await
            .unwrap(),
    ] {
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
        let challenge = www_authenticate(&res);
        assert!(challenge.starts_with("Bearer realm="), "{challenge}");
        assert!(
            !challenge.contains("error"),
            "a bare challenge: {challenge}"
        );
    }

    // A token without openid (Core §5.3: obtained by an OpenID request).
    let plain = tokens_with(&s, &c, "profile", &[]).await;
    let res = userinfo_get(&s, &plain.access_token).await;
    assert_bearer_error(&res, StatusCode::FORBIDDEN, "insufficient_scope");
    assert!(www_authenticate(&res).contains("scope=\"openid\""));

    // Revoked, then expired.
    assert_eq!(s.revoke(&c, &t.access_token).await.status(), StatusCode::OK);
    let res = userinfo_get(&s, &t.access_token).await;
    assert_bearer_error(&res, StatusCode::UNAUTHORIZED, "invalid_token");
    let fresh = openid_tokens(&s, &c).await;
    s.advance_clock(fresh.expires_in + 60).await;
    let res = userinfo_get(&s, &fresh.access_token).await;
    assert_bearer_error(&res, StatusCode::UNAUTHORIZED, "invalid_token");
}

#[tokio::test]
async fn userinfo_answers_malformed_requests_with_rfc6750_errors() {
    let s = TestServer::start().await;
    // A body that is not UTF-8, a repeated access_token.
    let res = s
        .post("/userinfo")
        .header("content-type", "application/x-www-form-urlencoded")
        .body(&b"access_token=%ff%fe"[..])
        .send()
        .await
        .unwrap();
    assert_bearer_error(&res, StatusCode::BAD_REQUEST, "invalid_request");
    let res = form(
        s.post("/userinfo"),
        &[("access_token", "a"), ("access_token", "b")],
    )
    .send()
    .await
    .unwrap();
    assert_bearer_error(&res, StatusCode::BAD_REQUEST, "invalid_request");
    // Authorization headers that are not ASCII, doubled, empty.
    let raw = s
        .raw(b"GET /userinfo HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer \xff\xfe\r\nConnection: close\r\n\r\n")
        .await;
    assert_eq!(raw.status, 400, "{}", raw.head);
    assert!(
        raw.header("www-authenticate")
            .unwrap()
            .contains("invalid_request")
    );
    let res = s
        .get("/userinfo")
        .header("authorization", "Bearer a")
        .header("authorization", "Bearer b")
        .send()
        .await
        .unwrap();
    assert_bearer_error(&res, StatusCode::BAD_REQUEST, "invalid_request");
    let res = s
        .get("/userinfo")
        .header("authorization", "Bearer ")
        .send()
        .await
        .unwrap();
    assert_bearer_error(&res, StatusCode::BAD_REQUEST, "invalid_request");
    // A body over the limit, announced or chunked.
    let huge = vec![b'a'; 70 * 1024];
    let res = s
        .post("/userinfo")
        .header("content-type", "application/x-www-form-urlencoded")
        .body(huge)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::PAYLOAD_TOO_LARGE);
    let chunk = "a".repeat(16 * 1024);
    let mut req = format!(
        "POST /userinfo HTTP/1.1\r\nHost: {}\r\nContent-Type: application/x-www-form-urlencoded\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n",
        s.server.addr()
    );
    for _ in 0..5 {
        req.push_str(&format!("{:x}\r\n{chunk}\r\n", chunk.len()));
    }
    req.push_str("0\r\n\r\n");
    let res = s.raw(req.as_bytes()).await;
    assert_eq!(res.status, 413, "{}", res.head);
    assert_eq!(res.json()["error"], "invalid_request");
}

// ---- the authentication request ----

/// `/authorize`'s redirect back to the client.
async fn redirected(s: &TestServer, params: &[(&str, &str)]) -> url::Url {
    let res = s.authorize_raw(params).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let to = location(&res);
    assert!(
        to.starts_with(crate::support::REDIRECT_URI),
        "not sent back to the client: {to}"
    );
    url::Url::parse(&to).unwrap()
}

fn assert_error_redirect(s: &TestServer, url: &url::Url, error: &str) {
    assert_eq!(query_param(url, "error").as_deref(), Some(error), "{url}");
    assert_eq!(query_param(url, "state").as_deref(), Some("st4te"));
    assert_eq!(query_param(url, "iss"), Some(s.issuer()));
    assert_eq!(query_param(url, "code"), None);
}

#[tokio::test]
async fn prompt_none_is_login_required_at_once_and_combined_is_invalid() {
    let s = TestServer::start().await;
    let c = s.confidential_client().await;
    let pkce = Pkce::new();
    let mut p = request(&c, &pkce, "openid");
    p.push(("prompt", "none"));
    let url = redirected(&s, &p).await;
    assert_error_redirect(&s, &url, "login_required");
    for bad in ["none login", "consent none", "bogus", "Login"] {
        let mut p = request(&c, &pkce, "openid");
        p.push(("prompt", bad));
        let url = redirected(&s, &p).await;
        assert_error_redirect(&s, &url, "invalid_request");
    }
    // prompt=login (and the other values) log in as usual.
    for fine in ["login", "consent", "select_account", "login consent"] {
        let mut p = request(&c, &pkce, "openid");
        p.push(("prompt", fine));
        s.begin(&p).await;
    }
    // An invalid request is refused as such before prompt=none is answered.
    let mut p = request(&c, &pkce, "openid");
    p.retain(|(k, _)| *k != "code_challenge");
    p.push(("prompt", "none"));
    let url = redirected(&s, &p).await;
    assert_error_redirect(&s, &url, "invalid_request");
}

#[tokio::test]
async fn max_age_must_be_a_non_negative_integer_and_auth_time_is_sent() {
    let s = TestServer::start().await;
    let c = s.confidential_client().await;
    let pkce = Pkce::new();
    for bad in ["-1", "abc", "1.5", "+3"] {
        let mut p = request(&c, &pkce, "openid");
        p.push(("max_age", bad));
        let url = redirected(&s, &p).await;
        assert_error_redirect(&s, &url, "invalid_request");
    }
    let t = tokens_with(&s, &c, "openid", &[("max_age", "0")]).await;
    assert!(jwt_parts(id_token(&t)).1["auth_time"].is_i64());
}

#[tokio::test]
async fn request_objects_are_refused_with_their_registered_codes() {
    let s = TestServer::start().await;
    let c = s.confidential_client().await;
    let pkce = Pkce::new();
    let mut p = request(&c, &pkce, "openid");
    p.push(("request", "eyJhbGciOiJub25lIn0.eyJzY29wZSI6Im9wZW5pZCJ9."));
    let url = redirected(&s, &p).await;
    assert_error_redirect(&s, &url, "request_not_supported");
    let mut p = request(&c, &pkce, "openid");
    p.push(("request_uri", "https://client.example/request.jwt"));
    let url = redirected(&s, &p).await;
    assert_error_redirect(&s, &url, "request_uri_not_supported");
}

#[tokio::test]
async fn login_hint_prefills_the_username_escaped_and_other_parameters_are_ignored() {
    let s = TestServer::start().await;
    let c = s.confidential_client().await;
    let pkce = Pkce::new();
    let mut p = request(&c, &pkce, "openid");
    p.push(("login_hint", "bob\"><script>x</script>"));
    let ix = s.begin(&p).await;
    let (status, html) = s.page(&ix.login_path(), Some(&ix.cookie)).await;
    assert_eq!(status, StatusCode::OK);
    assert!(!html.contains("<script>x"), "{html}");
    assert!(
        html.contains("value=\"bob&quot;&gt;&lt;script&gt;x"),
        "{html}"
    );
    let mut p = request(&c, &pkce, "openid");
    p.push(("login_hint", "alice"));
    let ix = s.begin(&p).await;
    let (_, html) = s.page(&ix.login_path(), Some(&ix.cookie)).await;
    assert!(html.contains("name=\"username\" autocomplete=\"username\" value=\"alice\""));

    let t = tokens_with(
        &s,
        &c,
        "openid",
        &[
            ("display", "popup"),
            ("ui_locales", "fr-CA fr en"),
            ("claims_locales", "de"),
            ("acr_values", "urn:mace:incommon:iap:silver"),
        ],
    )
    .await;
    assert_eq!(jwt_parts(id_token(&t)).1["nonce"], NONCE);
}

#[tokio::test]
async fn the_claims_parameter_adds_single_claims_to_userinfo_and_the_id_token() {
    let s = TestServer::start().await;
    let c = s.confidential_client().await;
    let asked =
        r#"{"userinfo":{"name":{"essential":true},"nickname":null},"id_token":{"email":null}}"#;
    let t = tokens_with(&s, &c, "openid", &[("claims", asked)]).await;
    let info = json_200(userinfo_get(&s, &t.access_token).await).await;
    assert_eq!(
        info,
        json!({"sub": "alice", "name": "Alice Liddell"}),
        "name without the profile scope; nickname is not a claim this server has"
    );
    let (_, claims) = verify_against_jwks(&s, id_token(&t)).await.unwrap();
    assert_eq!(claims["email"], "alice@example.com");
    assert!(claims.get("name").is_none());
    // A refreshed ID token and access token keep what was asked for.
    let r = Tokens::from_ok(s.refresh(&c, t.refresh()).await).await;
    assert_eq!(jwt_parts(id_token(&r)).1["email"], "alice@example.com");
    let info = json_200(userinfo_get(&s, &r.access_token).await).await;
    assert_eq!(info["name"], "Alice Liddell");

    let pkce = Pkce::new();
    for bad in [
        "{not json",
        "[1]",
        r#"{"userinfo":5}"#,
        r#"{"id_token":{"email":true}}"#,
    ] {
        let mut p = request(&c, &pkce, "openid");
        p.push(("claims", bad));
        let url = redirected(&s, &p).await;
        assert_error_redirect(&s, &url, "invalid_request");
    }
}

// ---- discovery ----

#[tokio::test]
async fn discovery_describes_the_openid_provider() {
    let s = TestServer::start().await;
    let iss = s.issuer();
    let doc: Value = s
        .get("/.well-known/openid-configuration")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(doc["issuer"], iss);
    assert_eq!(doc["userinfo_endpoint"], format!("{iss}/userinfo"));
    assert_eq!(doc["subject_types_supported"], json!(["public"]));
    assert_eq!(
        doc["id_token_signing_alg_values_supported"],
        json!(["RS256", "EdDSA"])
    );
    assert_eq!(doc["request_parameter_supported"], false);
    assert_eq!(doc["request_uri_parameter_supported"], false);
    assert_eq!(doc["claims_parameter_supported"], true);
    let scopes = doc["scopes_supported"].as_array().unwrap();
    assert!(scopes.contains(&json!("openid")) && scopes.contains(&json!("email")));
    let claims = doc["claims_supported"].as_array().unwrap();
    for c in [
        "sub",
        "iss",
        "aud",
        "exp",
        "iat",
        "auth_time",
        "nonce",
        "azp",
        "at_hash",
        "name",
        "email",
        "email_verified",
    ] {
        assert!(claims.contains(&json!(c)), "{c}");
    }
    // The same document at the RFC 8414 location.
    let oauth: Value = s
        .get("/.well-known/oauth-authorization-server")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(oauth, doc);
    // An RS256 server lists RS256 once.
    let rs = TestServer::start_with(Settings {
        signing_alg: SigningAlg::RS256,
        ..Settings::default()
    })
    .await;
    let doc: Value = rs
        .get("/.well-known/openid-configuration")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        doc["id_token_signing_alg_values_supported"],
        json!(["RS256"])
    );
}

// ---- the faults, each breaking its rule ----

/// The clean server's ID token claims for the same flow, to compare with.
async fn faulty_id_token(fault: Fault) -> (TestServer, Client, Tokens) {
    let s = server_with(&[fault]).await;
    let c = s.confidential_client().await;
    let t = openid_tokens(&s, &c).await;
    (s, c, t)
}

#[tokio::test]
async fn id_token_faults_break_one_claim_each() {
    // id-token-missing
    let (_, _, t) = faulty_id_token(Fault::IdTokenMissing).await;
    assert!(t.body.get("id_token").is_none());
    assert!(
        t.refresh_token.is_some(),
        "the rest of the response is there"
    );

    // id-token-unsigned
    let (_, c, t) = faulty_id_token(Fault::IdTokenUnsigned).await;
    let (header, claims) = jwt_parts(id_token(&t));
    assert_eq!(header["alg"], "none");
    assert!(id_token(&t).ends_with('.'), "empty signature");
    assert_eq!(claims["aud"], c.client_id.as_str());

    // id-token-bad-signature: the published kid, another key's signature.
    let (s, _, t) = faulty_id_token(Fault::IdTokenBadSignature).await;
    let (header, _) = jwt_parts(id_token(&t));
    assert_eq!(header["alg"], "RS256");
    assert_eq!(
        verify_against_jwks(&s, id_token(&t)).await,
        Err("the signature does not verify".to_string())
    );

    // Each claim fault: that claim wrong, the signature and the rest right.
    type Check = fn(&Value, &TestServer, &Client, &Tokens) -> bool;
    let cases: [(Fault, Check); 6] = [
        (Fault::IdTokenWrongIssuer, |c, s, _, _| {
            c["iss"] == format!("{}/evil", s.issuer())
        }),
        (Fault::IdTokenWrongAudience, |c, _, _, _| {
            c["aud"] == "someone-else"
        }),
        (Fault::IdTokenExpired, |c, _, _, _| {
            c["exp"].as_i64() == Some(c["iat"].as_i64().unwrap() - 60)
        }),
        (Fault::IdTokenNonceDropped, |c, _, _, _| {
            c.get("nonce").is_none()
        }),
        (Fault::IdTokenAtHashWrong, |c, _, _, t| {
            c["at_hash"] != expected_at_hash("RS256", &t.access_token)
        }),
        (Fault::AuthTimeMissing, |c, _, _, _| {
            c.get("auth_time").is_none()
        }),
    ];
    for (fault, broken) in cases {
        let (s, c, t) = faulty_id_token(fault).await;
        let (_, claims) = verify_against_jwks(&s, id_token(&t))
            .await
            .unwrap_or_else(|e| panic!("{fault}: {e}"));
        assert!(broken(&claims, &s, &c, &t), "{fault}: {claims}");
        let right: [(&str, Value); 6] = [
            ("iss", json!(s.issuer())),
            ("aud", json!(c.client_id)),
            ("nonce", json!(NONCE)),
            ("at_hash", json!(expected_at_hash("RS256", &t.access_token))),
            ("sub", json!("alice")),
            ("azp", json!(c.client_id)),
        ];
        for (name, value) in right {
            let touched = matches!(
                (fault, name),
                (Fault::IdTokenWrongIssuer, "iss")
                    | (Fault::IdTokenWrongAudience, "aud")
                    | (Fault::IdTokenNonceDropped, "nonce")
                    | (Fault::IdTokenAtHashWrong, "at_hash")
            );
            if !touched {
                assert_eq!(claims[name], value, "{fault} changed {name}");
            }
        }
        if fault != Fault::AuthTimeMissing {
            assert!(claims["auth_time"].is_i64(), "{fault}");
        }
        if fault != Fault::IdTokenExpired {
            assert_eq!(
                claims["exp"].as_i64().unwrap(),
                claims["iat"].as_i64().unwrap() + 300,
                "{fault}"
            );
        }
    }

    // id-token-sub-unstable: a new sub every time, UserInfo keeps alice.
    let (s, c, t) = faulty_id_token(Fault::IdTokenSubUnstable).await;
    let again = openid_tokens(&s, &c).await;
    let (a, b) = (jwt_parts(id_token(&t)).1, jwt_parts(id_token(&again)).1);
    assert_ne!(a["sub"], b["sub"]);
    assert_ne!(a["sub"], "alice");
    let info = json_200(userinfo_get(&s, &t.access_token).await).await;
    assert_eq!(info["sub"], "alice");
}

#[tokio::test]
async fn refresh_id_token_new_auth_time_moves_auth_time_on_refresh_only() {
    let s = server_with(&[Fault::RefreshIdTokenNewAuthTime]).await;
    let c = s.confidential_client().await;
    let t = openid_tokens(&s, &c).await;
    let original = jwt_parts(id_token(&t)).1;
    assert!(original["auth_time"].as_i64().unwrap() <= original["iat"].as_i64().unwrap());
    s.advance_clock(600).await;
    let r = Tokens::from_ok(s.refresh(&c, t.refresh()).await).await;
    let (_, refreshed) = verify_against_jwks(&s, id_token(&r)).await.unwrap();
    assert!(
        refreshed["auth_time"].as_i64().unwrap() >= original["auth_time"].as_i64().unwrap() + 600
    );
    assert_eq!(refreshed["sub"], original["sub"]);
}

#[tokio::test]
async fn userinfo_faults() {
    // userinfo-sub-mismatch
    let s = server_with(&[Fault::UserinfoSubMismatch]).await;
    let c = s.confidential_client().await;
    let t = openid_tokens(&s, &c).await;
    let body = json_200(userinfo_get(&s, &t.access_token).await).await;
    assert_eq!(body["sub"], "alice-x");
    assert_eq!(jwt_parts(id_token(&t)).1["sub"], "alice");
    assert_eq!(body["name"], "Alice Liddell");

    // userinfo-post-refused: POST 405, GET still fine.
    let s = server_with(&[Fault::UserinfoPostRefused]).await;
    let c = s.confidential_client().await;
    let t = openid_tokens(&s, &c).await;
    let res = userinfo_post_body(&s, &t.access_token).await;
    assert_eq!(res.status(), StatusCode::METHOD_NOT_ALLOWED);
    json_200(userinfo_get(&s, &t.access_token).await).await;

    // userinfo-token-not-checked: garbage gets alice; no token is still 401.
    let s = server_with(&[Fault::UserinfoTokenNotChecked]).await;
    let body = json_200(userinfo_get(&s, "garbage").await).await;
    assert_eq!(body["sub"], "alice");
    let res = s.get("/userinfo").send().await.unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    // The resource server still checks its tokens.
    let res = s.profile("garbage").await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
}

async fn documents(s: &TestServer) -> (Value, Value) {
    let get = |path: &'static str| async move {
        s.get(path)
            .send()
            .await
            .unwrap()
            .json::<Value>()
            .await
            .unwrap()
    };
    (
        get("/.well-known/oauth-authorization-server").await,
        get("/.well-known/openid-configuration").await,
    )
}

#[tokio::test]
async fn discovery_faults() {
    let s = server_with(&[Fault::OidcDiscoveryRs256Missing]).await;
    let (_, doc) = documents(&s).await;
    assert_eq!(
        doc["id_token_signing_alg_values_supported"],
        json!(["EdDSA"])
    );
    // The server still signs RS256 ID tokens.
    let c = s.confidential_client().await;
    assert_eq!(
        jwt_parts(id_token(&openid_tokens(&s, &c).await)).0["alg"],
        "RS256"
    );

    let s = server_with(&[Fault::OidcDiscoverySubjectTypesMissing]).await;
    let (_, doc) = documents(&s).await;
    assert!(doc.get("subject_types_supported").is_none());
    assert_eq!(doc["issuer"], s.issuer());

    let s = server_with(&[Fault::OidcDiscoveryScopesWithoutOpenid]).await;
    let (_, doc) = documents(&s).await;
    let scopes = doc["scopes_supported"].as_array().unwrap();
    assert!(!scopes.contains(&json!("openid")) && scopes.contains(&json!("profile")));

    let s = server_with(&[Fault::OidcDiscoveryIssuerMismatch]).await;
    let (oauth, oidc) = documents(&s).await;
    assert_eq!(oidc["issuer"], format!("{}/x", s.issuer()));
    assert_eq!(
        oauth["issuer"],
        s.issuer(),
        "RFC 8414's document stays right"
    );
}

#[tokio::test]
async fn authentication_request_faults() {
    // prompt-none-shows-login: the login page, like a normal request.
    let s = server_with(&[Fault::PromptNoneShowsLogin]).await;
    let c = s.confidential_client().await;
    let pkce = Pkce::new();
    let mut p = request(&c, &pkce, "openid");
    p.push(("prompt", "none"));
    let ix = s.begin(&p).await;
    let (status, html) = s.page(&ix.login_path(), Some(&ix.cookie)).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("name=\"password\""));
    // prompt=none with another value is still refused.
    let mut p = request(&c, &pkce, "openid");
    p.push(("prompt", "none login"));
    assert_error_redirect(&s, &redirected(&s, &p).await, "invalid_request");

    // request-object-ignored: the flow goes on; request_uri still refused.
    let s = server_with(&[Fault::RequestObjectIgnored]).await;
    let c = s.confidential_client().await;
    let t = tokens_with(
        &s,
        &c,
        "openid",
        &[("request", "eyJhbGciOiJub25lIn0.eyJzY29wZSI6InByb2ZpbGUifQ.")],
    )
    .await;
    assert_eq!(
        t.scope, "openid",
        "the query's parameters, not the object's"
    );
    let pkce = Pkce::new();
    let mut p = request(&c, &pkce, "openid");
    p.push(("request_uri", "https://client.example/r"));
    assert_error_redirect(&s, &redirected(&s, &p).await, "request_uri_not_supported");
}

#[tokio::test]
async fn every_openid_fault_is_catalogued_in_its_area() {
    let areas = [
        ("id_token", 11),
        ("userinfo", 3),
        ("oidc_discovery", 4),
        ("authentication_request", 8),
    ];
    for (area, n) in areas {
        let faults: Vec<_> = Fault::ALL.iter().filter(|f| f.area() == area).collect();
        assert_eq!(faults.len(), n, "{area}: {faults:?}");
    }
    // Grouped: each area's faults are consecutive in Fault::ALL.
    let order: Vec<&str> = Fault::ALL.iter().map(|f| f.area()).collect();
    for (area, _) in areas {
        let first = order.iter().position(|a| *a == area).unwrap();
        let last = order.iter().rposition(|a| *a == area).unwrap();
        assert!(order[first..=last].iter().all(|a| *a == area), "{area}");
    }
}

// ---- POST at the authorization endpoint, and the faults added with it ----

/// The authorization request sent as a POST form (Core §3.1.2.1).
async fn authorize_post(s: &TestServer, params: &[(&str, &str)]) -> Response {
    s.post("/authorize")
        .header("content-type", "application/x-www-form-urlencoded")
        .body(serde_urlencoded::to_string(params).unwrap())
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn the_authorization_request_may_be_a_post_form() {
    let s = TestServer::start().await;
    let c = s.confidential_client().await;
    let pkce = Pkce::new();
    let p = request(&c, &pkce, "openid");
    // The login page, as for a GET: prompt=none shows the answer is the same request.
    let res = authorize_post(&s, &p).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER, "to the login page");
    assert!(
        location(&res).starts_with("/interaction/"),
        "{}",
        location(&res)
    );
    let mut none = p.clone();
    none.push(("prompt", "none"));
    let res = authorize_post(&s, &none).await;
    let to = url::Url::parse(&location(&res)).unwrap();
    assert_error_redirect(&s, &to, "login_required");
    // Not a form: refused on a page, nothing redirected.
    let res = s
        .post("/authorize")
        .header("content-type", "application/json")
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    // authorize-post-refused: 405, GET unchanged.
    let s = server_with(&[Fault::AuthorizePostRefused]).await;
    let c = s.confidential_client().await;
    let p = request(&c, &pkce, "openid");
    assert_eq!(
        authorize_post(&s, &p).await.status(),
        StatusCode::METHOD_NOT_ALLOWED
    );
    assert_eq!(s.authorize_raw(&p).await.status(), StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn request_uri_claims_unknown_parameter_and_azp_faults_break_one_rule_each() {
    let pkce = Pkce::new();
    // request-uri-ignored: request_uri passed over, request still refused.
    let s = server_with(&[Fault::RequestUriIgnored]).await;
    let c = s.confidential_client().await;
    let mut p = request(&c, &pkce, "openid");
    p.push(("request_uri", "https://client.example/request.jwt"));
    s.begin(&p).await;
    let mut p = request(&c, &pkce, "openid");
    p.push(("request", "eyJhbGciOiJub25lIn0.eyJzY29wZSI6Im9wZW5pZCJ9."));
    assert_error_redirect(&s, &redirected(&s, &p).await, "request_not_supported");

    // claims-parameter-refused: claims is an error; without it, a login.
    let s = server_with(&[Fault::ClaimsParameterRefused]).await;
    let c = s.confidential_client().await;
    let mut p = request(&c, &pkce, "openid");
    p.push(("claims", r#"{"userinfo":{"name":{"essential":true}}}"#));
    assert_error_redirect(&s, &redirected(&s, &p).await, "invalid_request");
    s.begin(&request(&c, &pkce, "openid")).await;

    // unknown-parameter-refused: an unknown parameter is an error, the
    // OpenID Connect ones are not.
    let s = server_with(&[Fault::UnknownParameterRefused]).await;
    let c = s.confidential_client().await;
    let mut p = request(&c, &pkce, "openid");
    p.push(("oauthspec_unheard_of", "1"));
    assert_error_redirect(&s, &redirected(&s, &p).await, "invalid_request");
    let mut p = request(&c, &pkce, "openid");
    p.extend([
        ("display", "page"),
        ("ui_locales", "fr"),
        ("acr_values", "1"),
    ]);
    s.begin(&p).await;

    // id-token-azp-wrong: azp names someone else, aud is still the client.
    let s = server_with(&[Fault::IdTokenAzpWrong]).await;
    let c = s.confidential_client().await;
    let (_, claims) = jwt_parts(id_token(&openid_tokens(&s, &c).await));
    assert_eq!(claims["azp"], "someone-else");
    assert_eq!(claims["aud"], c.client_id);
}
