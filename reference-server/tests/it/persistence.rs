//! The SQLite store: a restart on the same data directory keeps clients,
//! grants, refresh tokens and signing keys.

use oauthspec_reference_server::{Settings, Storage};
use reqwest::StatusCode;
use serde_json::Value;

use crate::support::{TestServer, Tokens};

fn settings(dir: &std::path::Path) -> Settings {
    Settings {
        test_admin: true,
        storage: Storage::Sqlite(dir.to_path_buf()),
        // Each start binds a new port; a fixed issuer keeps `iss` (and so
        // the tokens issued before the restart) the same.
        issuer: Some("http://oauthspec.test".into()),
        ..Settings::default()
    }
}

fn kids(jwks: &Value) -> Vec<String> {
    jwks["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["kid"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn clients_refresh_tokens_and_keys_survive_a_restart() {
    let dir = tempfile::tempdir().unwrap();

    let s = TestServer::start_with(settings(dir.path())).await;
    let c = s.confidential_client().await;
    let t = s.tokens(&c, "profile notes:read").await;
    let revoked = s.tokens(&c, "profile").await;
    assert_eq!(
        s.revoke(&c, &revoked.access_token).await.status(),
        StatusCode::OK
    );
    let jwks_before = s.jwks().await;
    // The access-token key and the RS256 key of ID tokens.
    assert_eq!(kids(&jwks_before).len(), 2);
    let TestServer { server, http, .. } = s;
    drop(http);
    server.shutdown().await.unwrap();

    let s = TestServer::start_with(settings(dir.path())).await;
    // Same signing key (same kid), and it still signs.
    assert_eq!(kids(&s.jwks().await), kids(&jwks_before));
    // An access token issued before the restart is still valid, a revoked
    // one still revoked.
    assert_eq!(s.profile(&t.access_token).await.status(), StatusCode::OK);
    assert_eq!(
        s.profile(&revoked.access_token).await.status(),
        StatusCode::UNAUTHORIZED
    );
    // The client still authenticates and its refresh token still works.
    let t2 = Tokens::from_ok(s.refresh(&c, t.refresh()).await).await;
    assert_eq!(t2.scope, "notes:read profile");
    let (header, _) = crate::support::jwt_parts(&t2.access_token);
    assert_eq!(header["kid"], kids(&jwks_before)[0].as_str());
    assert_eq!(s.profile(&t2.access_token).await.status(), StatusCode::OK);
    // Its registration token still manages it.
    let res = s
        .get(&format!("/register/{}", c.client_id))
        .bearer_auth(&c.registration_access_token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    // Rotation state survives as well: the rotated-out token is a replay.
    let res = s.refresh(&c, t.refresh()).await;
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    server_shutdown(s).await;
}

#[tokio::test]
async fn a_rotated_key_stays_published_after_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let s = TestServer::start_with(settings(dir.path())).await;
    let c = s.confidential_client().await;
    let old = Tokens::from_ok(s.client_credentials(&c, None).await).await;
    let new_kid = s.rotate_keys().await;
    let published = kids(&s.jwks().await);
    assert_eq!(
        published.len(),
        3,
        "two access-token keys and the RS256 one"
    );
    server_shutdown(s).await;

    let s = TestServer::start_with(settings(dir.path())).await;
    let mut again = kids(&s.jwks().await);
    let mut before = published.clone();
    again.sort();
    before.sort();
    assert_eq!(again, before, "published keys changed across the restart");
    assert_eq!(s.profile(&old.access_token).await.status(), StatusCode::OK);
    let fresh = Tokens::from_ok(s.client_credentials(&c, None).await).await;
    assert_eq!(
        crate::support::jwt_parts(&fresh.access_token).0["kid"],
        new_kid.as_str()
    );
    server_shutdown(s).await;
}

async fn server_shutdown(s: TestServer) {
    let TestServer { server, http, .. } = s;
    drop(http);
    tokio::time::timeout(std::time::Duration::from_secs(10), server.shutdown())
        .await
        .expect("shutdown finishes")
        .unwrap();
}
