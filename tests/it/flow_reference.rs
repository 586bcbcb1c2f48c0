//! The whole code flow through the flow driver (`src/driver/flow/`) against the real reference server, started
//! in-process on a free loopback port, with a target profile built for it.

use oauthspec::driver::flow::*;
use oauthspec::driver::http::Driver;
use oauthspec::protocol::{self, ClientId, PkceCodeChallenge, PkceCodeVerifier, Scope};
use oauthspec::target::{Endpoint, Target, TargetProfile};

async fn reference_target() -> (oauthspec_reference_server::RunningServer, Target, Driver) {
    let server = oauthspec_reference_server::start(oauthspec_reference_server::Settings::default())
        .await
        .expect("the reference server starts");
    let base = server.url();
    let text = format!(
        r#"name = "reference"
issuer = "{issuer}"
[registration]
redirect_uri = "http://127.0.0.1:8765/callback"
scope = "profile notes:read"
[login]
username = "alice"
password = "alice-password"
[[resources]]
url = "{base}/api/profile"
scope = "profile"
"#,
        issuer = server.issuer()
    );
    let profile = TargetProfile::parse(&text, "reference.toml").unwrap();
    let driver = profile.driver().unwrap();
    let target = Target::resolve(profile, &driver).await.expect("discovery");
    (server, target, driver)
}

#[tokio::test]
async fn register_walk_exchange_call_refresh_revoke_against_the_reference_server() {
    let (server, target, driver) = reference_target().await;
    let profile = &target.profile;
    let reg = profile.registration.as_ref().unwrap();
    assert!(target.can_register(), "{:?}", target.endpoints);

    // Register a confidential client.
    let metadata = serde_json::json!({
        "redirect_uris": [reg.redirect_uri],
        "grant_types": ["authorization_code", "refresh_token"],
        "response_types": ["code"],
        "token_endpoint_auth_method": "client_secret_basic",
        "scope": reg.scope.as_ref().unwrap().to_string(),
    });
    let registered = register(
        &driver,
        target.endpoints.get(Endpoint::Registration).unwrap(),
        &metadata,
        None,
    )
    .await
    .unwrap();
    assert_eq!(registered.status, 201, "{}", registered.text());
    let client = registered.into_success().expect("client information");
    let auth = ClientAuth::Basic {
        id: client.client_id.clone(),
        secret: client.client_secret.clone().expect("a secret"),
    };

    // Walk login and consent.
    let verifier = PkceCodeVerifier::new_random();
    let state = protocol::random_token(16);
    let scope = Scope::parse("profile notes:read");
    let request = AuthorizationRequest::code(
        target
            .endpoints
            .require(Endpoint::Authorization)
            .unwrap()
            .clone(),
        &client.client_id,
        &reg.redirect_uri,
        Some(&scope),
        &state,
        Some(&PkceCodeChallenge::s256(&verifier)),
    );
    let outcome = authorize(
        &driver,
        &driver.new_browser(),
        &request.url(),
        &reg.redirect_uri,
        &profile.login.as_ref().unwrap().walk_options(),
    )
    .await
    .unwrap();
    let response = outcome
        .into_response()
        .unwrap_or_else(|| panic!("not redirected:\n{}", driver.evidence()));
    assert_eq!(response.error, None);
    assert_eq!(response.state.as_deref(), Some(state.as_str()));
    assert_eq!(response.iss.as_deref(), Some(server.issuer()));
    let code = response.code.expect("a code");

    // Exchange it.
    let token_endpoint = target.endpoints.require(Endpoint::Token).unwrap().clone();
    let tokens = TokenRequest::authorization_code(&code)
        .redirect_uri(Some(&reg.redirect_uri))
        .verifier(Some(&verifier))
        .send(&driver, &token_endpoint, &auth)
        .await
        .unwrap();
    assert!(tokens.has_cache_control_no_store());
    let tokens = tokens
        .into_success()
        .unwrap_or_else(|| panic!("no tokens:\n{}", driver.evidence()));
    assert!(tokens.token_type.eq_ignore_ascii_case("bearer"));

    // Call the resource with and without the token.
    let resource = &profile.resources[0];
    let ok = call_resource(
        &driver,
        reqwest::Method::GET,
        &resource.url,
        Some(tokens.access_token.secret()),
        None,
    )
    .await
    .unwrap();
    assert_eq!(ok.status, 200, "{}", ok.text());
    let denied = call_resource(&driver, reqwest::Method::GET, &resource.url, None, None)
        .await
        .unwrap();
    assert_eq!(denied.status, 401);
    let challenge = parse_www_authenticate(denied.header("www-authenticate").unwrap());
    assert!(challenge[0].scheme.eq_ignore_ascii_case("bearer"));

    // Refresh, then revoke the new refresh token.
    let refresh_token = tokens.refresh_token.expect("a refresh token");
    let refreshed = TokenRequest::refresh_token(&refresh_token)
        .send(&driver, &token_endpoint, &auth)
        .await
        .unwrap()
        .into_success()
        .unwrap_or_else(|| panic!("refresh failed:\n{}", driver.evidence()));
    if let Some(revocation) = target.endpoints.get(Endpoint::Revocation) {
        let rt = refreshed.refresh_token.as_ref().unwrap_or(&refresh_token);
        let revoked = revoke(
            &driver,
            revocation,
            &auth,
            rt.secret(),
            Some("refresh_token"),
        )
        .await
        .unwrap();
        assert_eq!(revoked.status, 200);
    }

    // The code is single-use (and, per RFC 6749 §4.1.2, replaying it may revoke the tokens:
    // so this comes last).
    let again = TokenRequest::authorization_code(&code)
        .redirect_uri(Some(&reg.redirect_uri))
        .verifier(Some(&verifier))
        .send(&driver, &token_endpoint, &auth)
        .await
        .unwrap();
    assert_eq!(
        again.error().map(|e| e.error.as_str()),
        Some("invalid_grant")
    );

    // No secret reached the evidence.
    let evidence = driver.evidence().to_string();
    for secret in [
        "alice-password",
        verifier.secret(),
        client.client_secret.as_ref().unwrap().secret(),
        refresh_token.secret(),
        tokens.access_token.secret(),
    ] {
        assert!(
            !evidence.contains(secret),
            "a secret leaked into the evidence"
        );
    }
    server.shutdown().await.unwrap();
}

#[tokio::test]
async fn an_unknown_client_is_not_redirected_by_the_reference_server() {
    let (server, target, driver) = reference_target().await;
    let request = AuthorizationRequest::code(
        target
            .endpoints
            .require(Endpoint::Authorization)
            .unwrap()
            .clone(),
        &ClientId::new("no-such-client"),
        "http://127.0.0.1:8765/callback",
        None,
        "s",
        Some(&PkceCodeChallenge::s256(&PkceCodeVerifier::new_random())),
    );
    let outcome = authorize(
        &driver,
        &driver.new_browser(),
        &request.url(),
        "http://127.0.0.1:8765/callback",
        &target.profile.login.as_ref().unwrap().walk_options(),
    )
    .await
    .unwrap();
    match outcome {
        AuthorizationOutcome::NotRedirected(s) => {
            assert_eq!(s.status, 400);
            assert_eq!(s.reason, StopReason::ErrorStatus);
        }
        other => panic!("{other}"),
    }
    server.shutdown().await.unwrap();
}
