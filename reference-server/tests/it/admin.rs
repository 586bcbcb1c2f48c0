//! The test-admin API: absent without `--test-admin`, refused without its
//! own bearer token.

use oauthspec_reference_server::Settings;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::support::{TestServer, www_authenticate};

fn admin_calls(s: &TestServer) -> Vec<reqwest::RequestBuilder> {
    vec![
        s.get("/__admin/clock"),
        s.post("/__admin/clock/advance")
            .json(&json!({"seconds": 3600})),
        s.post("/__admin/keys/rotate"),
        s.http
            .put(s.url("/__admin/clients/x/lifetimes"))
            .json(&json!({"access_token": 5})),
    ]
}

#[tokio::test]
async fn absent_without_test_admin() {
    let s = TestServer::start_with(Settings::default()).await;
    assert!(s.server.admin_token().is_none());
    for req in admin_calls(&s) {
        let res = req.bearer_auth("anything").send().await.unwrap();
        assert_eq!(res.status(), StatusCode::NOT_FOUND);
    }
    let before = s.jwks().await;
    // Nothing moved.
    assert_eq!(s.jwks().await, before);
}

#[tokio::test]
async fn refused_without_or_with_a_wrong_token() {
    let s = TestServer::start().await;
    let kid_before = s.jwks().await;
    for req in admin_calls(&s) {
        let res = req.send().await.unwrap();
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
        assert!(www_authenticate(&res).starts_with("Bearer"));
    }
    for token in ["wrong", "", "Bearer"] {
        for req in admin_calls(&s) {
            let res = req.bearer_auth(token).send().await.unwrap();
            assert_eq!(res.status(), StatusCode::UNAUTHORIZED, "token {token:?}");
        }
    }
    // A client's registration token is not an admin token either.
    let c = s.confidential_client().await;
    for req in admin_calls(&s) {
        let res = req
            .bearer_auth(&c.registration_access_token)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    }
    // Nothing happened: same keys, clock not moved.
    assert_eq!(s.jwks().await, kid_before);
    let token = s.server.admin_token().unwrap().expose().to_string();
    let clock: Value = s
        .get("/__admin/clock")
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(clock["offset"], 0);
}

#[tokio::test]
async fn with_the_token_the_clock_moves_and_bad_input_is_400() {
    let s = TestServer::start().await;
    let token = s.server.admin_token().unwrap().expose().to_string();
    let before = s.server.state().clock.now();
    s.advance_clock(1000).await;
    let after = s.server.state().clock.now();
    assert!(after - before >= 1000 && after - before < 1100);
    for body in [
        json!({}),
        json!({"seconds": "x"}),
        json!({"seconds": i64::MAX}),
    ] {
        let res = s
            .post("/__admin/clock/advance")
            .bearer_auth(&token)
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::BAD_REQUEST, "{body}");
    }
    let res = s
        .http
        .put(s.url("/__admin/clients/no-such-client/lifetimes"))
        .bearer_auth(&token)
        .json(&json!({"access_token": 5}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    let c = s.confidential_client().await;
    let res = s
        .http
        .put(s.url(&format!("/__admin/clients/{}/lifetimes", c.client_id)))
        .bearer_auth(&token)
        .json(&json!({"access_token": 0}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    s.set_lifetimes(&c.client_id, json!({"access_token": 42}))
        .await;
    let t = crate::support::Tokens::from_ok(s.client_credentials(&c, None).await).await;
    assert_eq!(t.expires_in, 42);
}

/// Issue 13 (5, 6): an advance of `i64::MIN` used to pass the range check
/// (its `abs()` wraps) and issue tokens with `exp` near -9.2e18; a lifetime
/// of `i64::MAX` made every later `exp` negative. Both are refused, the
/// field named, and nothing changes.
#[tokio::test]
async fn admin_numbers_out_of_range_are_refused_and_change_nothing() {
    let s = TestServer::start().await;
    let token = s.server.admin_token().unwrap().expose().to_string();
    for seconds in [i64::MIN, i64::MAX, -(10 * 365 * 86_400) - 1] {
        let res = s
            .post("/__admin/clock/advance")
            .bearer_auth(&token)
            .json(&json!({ "seconds": seconds }))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::BAD_REQUEST, "{seconds}");
        let body: Value = res.json().await.unwrap();
        assert_eq!(body["error"], "invalid_request");
        assert!(
            body["error_description"]
                .as_str()
                .is_some_and(|d| d.starts_with("seconds")),
            "{body}"
        );
        assert_eq!(s.server.state().clock.offset(), 0);
    }
    // Ten years each way is the edge; one more second is refused.
    s.advance_clock(10 * 365 * 86_400).await;
    let res = s
        .post("/__admin/clock/advance")
        .bearer_auth(&token)
        .json(&json!({ "seconds": 1 }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    s.advance_clock(-10 * 365 * 86_400).await;

    let c = s.confidential_client().await;
    for field in ["access_token", "refresh_token", "code"] {
        for value in [i64::MAX, 10 * 365 * 86_400 + 1, -1] {
            let res = s
                .http
                .put(s.url(&format!("/__admin/clients/{}/lifetimes", c.client_id)))
                .bearer_auth(&token)
                .json(&json!({ field: value }))
                .send()
                .await
                .unwrap();
            assert_eq!(res.status(), StatusCode::BAD_REQUEST, "{field} {value}");
            let body: Value = res.json().await.unwrap();
            assert!(
                body["error_description"]
                    .as_str()
                    .is_some_and(|d| d.starts_with(field)),
                "{body}"
            );
        }
    }
    let t = crate::support::Tokens::from_ok(s.client_credentials(&c, None).await).await;
    assert!(t.expires_in > 0, "lifetimes unchanged: {}", t.expires_in);
}
