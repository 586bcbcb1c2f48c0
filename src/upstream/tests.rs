//! Each misbehaviour really produces what it names, checked over real
//! sockets with an independent verifier (the `jsonwebtoken` crate), not the
//! fake's own code.

use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{Algorithm, DecodingKey, Validation, decode, decode_header};
use serde_json::Value;
use url::Url;

use super::*;

const REDIRECT: &str = "http://127.0.0.1:9/callback";

fn form(pairs: &[(&str, &str)]) -> String {
    url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs)
        .finish()
}

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap()
}

async fn fake(misbehaviours: &[Misbehaviour]) -> FakeUpstream {
    let config = UpstreamConfig {
        clients: vec!["app:app-secret".parse().unwrap()],
        misbehaviours: misbehaviours.iter().copied().collect(),
        slow_delay: Duration::from_secs(3),
        ..UpstreamConfig::default()
    };
    FakeUpstream::start(config).await.unwrap()
}

struct Login {
    location: Url,
    state: String,
    nonce: String,
    verifier: String,
}

impl Login {
    fn param(&self, name: &str) -> Option<String> {
        self.location
            .query_pairs()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.into_owned())
    }
}

async fn authorize(f: &FakeUpstream) -> Login {
    let meta: Value = client()
        .get(f.discovery_url())
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let verifier = "v".repeat(50);
    let challenge = URL_SAFE_NO_PAD.encode(aws_lc_rs::digest::digest(
        &aws_lc_rs::digest::SHA256,
        verifier.as_bytes(),
    ));
    let (state, nonce) = ("st-123".to_owned(), "n-456".to_owned());
    let mut url = Url::parse(meta["authorization_endpoint"].as_str().unwrap()).unwrap();
    url.query_pairs_mut()
        .append_pair("response_type", "code")
        .append_pair("client_id", "app")
        .append_pair("redirect_uri", REDIRECT)
        .append_pair("scope", "openid email profile")
        .append_pair("state", &state)
        .append_pair("nonce", &nonce)
        .append_pair("code_challenge", &challenge)
        .append_pair("code_challenge_method", "S256");
    let res = client().get(url).send().await.unwrap();
    assert_eq!(res.status(), 302);
    let location = Url::parse(res.headers()["location"].to_str().unwrap()).unwrap();
    Login {
        location,
        state,
        nonce,
        verifier,
    }
}

async fn redeem(f: &FakeUpstream, login: &Login, verifier: &str) -> reqwest::Response {
    let meta = f.shared.discovery();
    client()
        .post(meta["token_endpoint"].as_str().unwrap())
        .basic_auth("app", Some("app-secret"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(form(&[
            ("grant_type", "authorization_code"),
            ("code", &login.param("code").unwrap_or_default()),
            ("redirect_uri", REDIRECT),
            ("code_verifier", verifier),
        ]))
        .send()
        .await
        .unwrap()
}

/// The ID token of a complete login.
async fn id_token(f: &FakeUpstream) -> (String, Login) {
    let login = authorize(f).await;
    let res = redeem(f, &login, &login.verifier.clone()).await;
    assert_eq!(res.status(), 200);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["token_type"], "Bearer");
    (body["id_token"].as_str().unwrap().to_owned(), login)
}

/// jsonwebtoken's verdict on an ID token, with the OpenID checks of §3.1.3.7.
async fn verify(f: &FakeUpstream, token: &str) -> Result<Value, ErrorKind> {
    let jwks: Value = client()
        .get(f.shared.discovery()["jwks_uri"].as_str().unwrap())
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let jwk = &jwks["keys"][0];
    assert!(jwk.get("d").is_none(), "no private member is published");
    let key =
        DecodingKey::from_rsa_components(jwk["n"].as_str().unwrap(), jwk["e"].as_str().unwrap())
            .unwrap();
    let mut v = Validation::new(Algorithm::RS256);
    v.set_audience(&["app"]);
    v.set_issuer(&[f.url()]);
    v.leeway = 0;
    decode::<Value>(token, &key, &v)
        .map(|d| d.claims)
        .map_err(|e| e.into_kind())
}

#[tokio::test]
async fn a_genuine_login_verifies_independently() {
    let f = fake(&[]).await;
    let (token, login) = id_token(&f).await;
    assert_eq!(login.param("state").as_deref(), Some(login.state.as_str()));
    let header = decode_header(&token).unwrap();
    assert_eq!(header.alg, Algorithm::RS256);
    assert_eq!(header.kid.as_deref(), Some(f.kid()));
    let claims = verify(&f, &token).await.unwrap();
    assert_eq!(claims["nonce"], login.nonce.as_str());
    assert_eq!(claims["sub"], "1029384756");
    assert_eq!(claims["email"], "ann@example.com");
    assert!(claims["iat"].as_i64().unwrap() <= claims["exp"].as_i64().unwrap());
    // A code is redeemed once.
    let again = redeem(&f, &login, &login.verifier).await;
    assert_eq!(again.status(), 400);
    assert!(f.unmatched().is_empty());
}

#[tokio::test]
async fn bad_id_token_signature_fails_signature_verification() {
    let f = fake(&[Misbehaviour::BadIdTokenSignature]).await;
    let (token, _) = id_token(&f).await;
    assert_eq!(decode_header(&token).unwrap().kid.as_deref(), Some(f.kid()));
    assert_eq!(verify(&f, &token).await, Err(ErrorKind::InvalidSignature));
}

#[tokio::test]
async fn wrong_nonce_carries_another_nonce_under_a_valid_signature() {
    let f = fake(&[Misbehaviour::WrongNonce]).await;
    let (token, login) = id_token(&f).await;
    let claims = verify(&f, &token).await.unwrap();
    assert!(claims["nonce"].is_string());
    assert_ne!(claims["nonce"], login.nonce.as_str());
}

#[tokio::test]
async fn wrong_aud_fails_the_audience_check() {
    let f = fake(&[Misbehaviour::WrongAud]).await;
    let (token, _) = id_token(&f).await;
    assert_eq!(verify(&f, &token).await, Err(ErrorKind::InvalidAudience));
}

#[tokio::test]
async fn wrong_iss_fails_the_issuer_check() {
    let f = fake(&[Misbehaviour::WrongIss]).await;
    let (token, _) = id_token(&f).await;
    assert_eq!(verify(&f, &token).await, Err(ErrorKind::InvalidIssuer));
}

#[tokio::test]
async fn expired_id_token_has_exp_in_the_past() {
    let f = fake(&[Misbehaviour::ExpiredIdToken]).await;
    let (token, _) = id_token(&f).await;
    assert_eq!(verify(&f, &token).await, Err(ErrorKind::ExpiredSignature));
}

#[tokio::test]
async fn alg_none_id_token_is_unsigned() {
    let f = fake(&[Misbehaviour::AlgNoneIdToken]).await;
    let (token, login) = id_token(&f).await;
    let parts: Vec<&str> = token.split('.').collect();
    assert_eq!(parts.len(), 3);
    assert_eq!(parts[2], "", "an unsecured JWS has an empty signature");
    let header: Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[0]).unwrap()).unwrap();
    assert_eq!(header["alg"], "none");
    let claims: Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[1]).unwrap()).unwrap();
    assert_eq!(claims["nonce"], login.nonce.as_str());
    assert!(verify(&f, &token).await.is_err());
}

#[tokio::test]
async fn wrong_state_returns_another_state() {
    let f = fake(&[Misbehaviour::WrongState]).await;
    let login = authorize(&f).await;
    assert!(login.param("code").is_some());
    let state = login.param("state").unwrap();
    assert_ne!(state, login.state);
}

#[tokio::test]
async fn access_denied_redirects_with_the_error_and_no_code() {
    let f = fake(&[Misbehaviour::AccessDenied]).await;
    let login = authorize(&f).await;
    assert_eq!(login.param("error").as_deref(), Some("access_denied"));
    assert_eq!(login.param("code"), None);
    assert_eq!(login.param("state").as_deref(), Some(login.state.as_str()));
}

#[tokio::test]
async fn server_error_is_a_500_from_the_token_endpoint() {
    let f = fake(&[Misbehaviour::ServerError]).await;
    let login = authorize(&f).await;
    let res = redeem(&f, &login, &login.verifier).await;
    assert_eq!(res.status(), 500);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["error"], "server_error");
}

#[tokio::test]
async fn wrong_code_exchange_refuses_a_good_code() {
    let f = fake(&[Misbehaviour::WrongCodeExchange]).await;
    let login = authorize(&f).await;
    let res = redeem(&f, &login, &login.verifier).await;
    assert_eq!(res.status(), 400);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["error"], "invalid_grant");
}

#[tokio::test]
async fn slow_holds_the_token_answer_past_a_client_timeout() {
    let f = fake(&[Misbehaviour::Slow]).await;
    let login = authorize(&f).await;
    let started = std::time::Instant::now();
    let res = client()
        .post(f.shared.discovery()["token_endpoint"].as_str().unwrap())
        .timeout(Duration::from_millis(500))
        .basic_auth("app", Some("app-secret"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(form(&[
            ("grant_type", "authorization_code"),
            ("code", &login.param("code").unwrap()),
            ("redirect_uri", REDIRECT),
            ("code_verifier", &login.verifier),
        ]))
        .send()
        .await;
    assert!(res.is_err_and(|e| e.is_timeout()));
    assert!(started.elapsed() < Duration::from_secs(2));
}

#[tokio::test]
async fn codes_are_bound_to_pkce_and_clients_must_authenticate() {
    let f = fake(&[]).await;
    let login = authorize(&f).await;
    let res = redeem(&f, &login, &"w".repeat(50)).await;
    assert_eq!(res.status(), 400, "a wrong code_verifier is refused");
    let login = authorize(&f).await;
    let res = client()
        .post(f.shared.discovery()["token_endpoint"].as_str().unwrap())
        .basic_auth("app", Some("wrong"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(form(&[
            ("grant_type", "authorization_code"),
            ("code", &login.param("code").unwrap()),
        ]))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);
    assert!(res.headers().contains_key("www-authenticate"));
    // An unregistered client is never redirected to.
    let mut url = Url::parse(
        f.shared.discovery()["authorization_endpoint"]
            .as_str()
            .unwrap(),
    )
    .unwrap();
    url.query_pairs_mut()
        .append_pair("client_id", "stranger")
        .append_pair("redirect_uri", REDIRECT)
        .append_pair("response_type", "code");
    assert_eq!(client().get(url).send().await.unwrap().status(), 401);
}

#[tokio::test]
async fn unmatched_requests_are_recorded() {
    let f = fake(&[]).await;
    let res = client()
        .get(format!("{}/no/such/thing", f.url()))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404);
    assert_eq!(f.unmatched(), vec!["GET /no/such/thing".to_owned()]);
}

#[tokio::test]
async fn github_has_no_id_token_and_answers_user() {
    let config = UpstreamConfig {
        provider: Provider::Github,
        users: vec!["sub=583231,login=octocat,name=The Octocat".parse().unwrap()],
        ..UpstreamConfig::default()
    };
    let f = FakeUpstream::start(config).await.unwrap();
    let mut url = Url::parse(&format!("{}/login/oauth/authorize", f.url())).unwrap();
    url.query_pairs_mut()
        .append_pair("client_id", "anyone")
        .append_pair("redirect_uri", REDIRECT)
        .append_pair("response_type", "code")
        .append_pair("state", "s1");
    let res = client().get(url).send().await.unwrap();
    let location = Url::parse(res.headers()["location"].to_str().unwrap()).unwrap();
    let code = location
        .query_pairs()
        .find(|(k, _)| k == "code")
        .unwrap()
        .1
        .into_owned();
    let res = client()
        .post(format!("{}/login/oauth/access_token", f.url()))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(form(&[
            ("grant_type", "authorization_code"),
            ("client_id", "anyone"),
            ("client_secret", "x"),
            ("code", &code),
            ("redirect_uri", REDIRECT),
        ]))
        .send()
        .await
        .unwrap();
    let body = res.text().await.unwrap();
    let form: std::collections::HashMap<String, String> =
        url::form_urlencoded::parse(body.as_bytes())
            .into_owned()
            .collect();
    assert!(!body.contains("id_token"));
    let user: Value = client()
        .get(format!("{}/user", f.url()))
        .bearer_auth(&form["access_token"])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(user["id"], 583231);
    assert_eq!(user["login"], "octocat");
    let no_discovery = client()
        .get(format!("{}/.well-known/openid-configuration", f.url()))
        .send()
        .await
        .unwrap();
    assert_eq!(no_discovery.status(), 404);
    assert!(
        FakeUpstream::start(UpstreamConfig {
            provider: Provider::Github,
            misbehaviours: [Misbehaviour::WrongAud].into_iter().collect(),
            ..UpstreamConfig::default()
        })
        .await
        .is_err()
    );
}
