//! Malformed, oversized and concurrent requests: always the RFCs' JSON
//! error, never a 500, and single-use credentials used exactly once.

use std::sync::Arc;

use oauthspec_reference_server::{Settings, Storage};
use reqwest::StatusCode;
use serde_json::Value;
use tokio::task::JoinSet;

use crate::support::{Client, Pkce, TestServer, Tokens, assert_oauth_error, form};

const MAX_BODY: usize = 64 * 1024;

fn is_json(res: &reqwest::Response) -> bool {
    res.headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"))
}

#[tokio::test]
async fn a_body_over_64_kib_is_413_with_json() {
    let s = TestServer::start().await;
    let big_form = format!("grant_type=client_credentials&pad={}", "a".repeat(MAX_BODY));
    let big_form = &big_form[..MAX_BODY + 1];
    for path in ["/token", "/revoke", "/introspect"] {
        let res = s
            .post(path)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(big_form.to_string())
            .send()
            .await
            .unwrap();
        assert_oauth_error(res, StatusCode::PAYLOAD_TOO_LARGE, "invalid_request").await;
    }
    let big_json = format!("{{\"client_name\": \"{}\"}}", "a".repeat(MAX_BODY));
    let res = s
        .post("/register")
        .header("content-type", "application/json")
        .body(big_json)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::PAYLOAD_TOO_LARGE);
    assert!(is_json(&res));
    let res = s
        .post("/api/notes")
        .header("content-type", "application/json")
        .body("a".repeat(MAX_BODY + 1))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::PAYLOAD_TOO_LARGE);
    assert!(is_json(&res));
}

#[tokio::test]
async fn exactly_64_kib_is_not_too_large() {
    let s = TestServer::start().await;
    let c = s.confidential_client().await;
    let prefix = "grant_type=client_credentials&pad=";
    let body = format!("{prefix}{}", "a".repeat(MAX_BODY - prefix.len()));
    assert_eq!(body.len(), MAX_BODY);
    let res = s
        .post("/token")
        .basic_auth(&c.client_id, c.client_secret.as_ref())
        .header("content-type", "application/x-www-form-urlencoded")
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
}

#[tokio::test]
async fn a_chunked_body_over_64_kib_is_413_with_json() {
    // No Content-Length: the limit must hold while reading the stream.
    let s = TestServer::start().await;
    for (path, ct) in [
        ("/token", "application/x-www-form-urlencoded"),
        ("/register", "application/json"),
        ("/api/notes", "application/json"),
    ] {
        let chunk = "a".repeat(16 * 1024);
        let mut req = format!(
            "POST {path} HTTP/1.1\r\nHost: {}\r\nContent-Type: {ct}\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n",
            s.server.addr()
        );
        for _ in 0..5 {
            req.push_str(&format!("{:x}\r\n{chunk}\r\n", chunk.len()));
        }
        req.push_str("0\r\n\r\n");
        let res = s.raw(req.as_bytes()).await;
        assert_eq!(res.status, 413, "{path}: {}", res.head);
        assert!(
            res.header("content-type")
                .is_some_and(|ct| ct.starts_with("application/json")),
            "{path}: {} {}",
            res.head,
            res.body
        );
        let body = res.json();
        assert_eq!(body["error"], "invalid_request", "{path}");
    }
}

#[tokio::test]
async fn invalid_utf8_in_a_form_is_400_json() {
    let s = TestServer::start().await;
    let c = s.confidential_client().await;
    for body in [
        b"grant_type=client_credentials&scope=%FF%FE".to_vec(),
        b"grant_type=client_credentials&scope=\xff\xfe".to_vec(),
        b"grant_type=%C3%28".to_vec(),
    ] {
        for path in ["/token", "/revoke", "/introspect"] {
            let res = s
                .post(path)
                .basic_auth(&c.client_id, c.client_secret.as_ref())
                .header("content-type", "application/x-www-form-urlencoded")
                .body(body.clone())
                .send()
                .await
                .unwrap();
            assert_oauth_error(res, StatusCode::BAD_REQUEST, "invalid_request").await;
        }
    }
    // In a JSON registration body.
    let res = s
        .post("/register")
        .header("content-type", "application/json")
        .body(b"{\"client_name\": \"\xff\"}".to_vec())
        .send()
        .await
        .unwrap();
    assert_oauth_error(res, StatusCode::BAD_REQUEST, "invalid_client_metadata").await;
}

#[tokio::test]
async fn oversized_headers_are_431_json() {
    let s = TestServer::start().await;
    // One big header.
    let res = s
        .get("/healthz")
        .header("x-padding", "a".repeat(20 * 1024))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE);
    assert!(is_json(&res));
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["error"], "invalid_request");
    // Many headers adding up.
    let mut req = s.post("/token");
    for i in 0..40 {
        req = req.header(format!("x-pad-{i}"), "b".repeat(512));
    }
    let res = req.send().await.unwrap();
    assert_eq!(res.status(), StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE);
    assert!(is_json(&res));
}

#[tokio::test]
async fn too_many_headers_are_431() {
    // More header lines than the HTTP parser (hyper, 100 by default) keeps.
    // hyper answers this itself, before the router runs, so the body is
    // empty rather than JSON: see the open item in the test report. What
    // must hold is the status, and no 500.
    let s = TestServer::start().await;
    let mut req = format!(
        "GET /healthz HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n",
        s.server.addr()
    );
    for i in 0..150 {
        req.push_str(&format!("X-H{i}: v\r\n"));
    }
    req.push_str("\r\n");
    let res = s.raw(req.as_bytes()).await;
    assert_eq!(res.status, 431, "{}", res.head);
    // Just under the parser's count, the JSON guard of the router decides.
    let mut req = format!(
        "GET /healthz HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n",
        s.server.addr()
    );
    for i in 0..90 {
        req.push_str(&format!("X-H{i}: {}\r\n", "v".repeat(200)));
    }
    req.push_str("\r\n");
    let res = s.raw(req.as_bytes()).await;
    assert_eq!(res.status, 431, "{}", res.head);
    assert_eq!(res.json()["error"], "invalid_request");
}

#[tokio::test]
async fn a_wrong_content_type_is_400_json() {
    let s = TestServer::start().await;
    let c = s.confidential_client().await;
    let body = "grant_type=client_credentials";
    for path in ["/token", "/revoke", "/introspect"] {
        for ct in [
            Some("application/json"),
            Some("text/plain"),
            Some("multipart/form-data; boundary=x"),
            None,
        ] {
            let mut req = s
                .post(path)
                .basic_auth(&c.client_id, c.client_secret.as_ref())
                .body(body);
            if let Some(ct) = ct {
                req = req.header("content-type", ct);
            }
            let res = req.send().await.unwrap();
            assert_oauth_error(res, StatusCode::BAD_REQUEST, "invalid_request").await;
        }
    }
    // A charset parameter is fine.
    let res = s
        .post("/token")
        .basic_auth(&c.client_id, c.client_secret.as_ref())
        .header(
            "content-type",
            "application/x-www-form-urlencoded; charset=UTF-8",
        )
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
}

#[tokio::test]
async fn wrong_methods_are_405_json_with_allow() {
    let s = TestServer::start().await;
    for (method, path, allowed) in [
        (reqwest::Method::GET, "/token", "POST"),
        (reqwest::Method::PUT, "/token", "POST"),
        (reqwest::Method::GET, "/revoke", "POST"),
        (reqwest::Method::GET, "/introspect", "POST"),
        (reqwest::Method::POST, "/jwks", "GET"),
        (reqwest::Method::DELETE, "/authorize", "GET"),
    ] {
        let res = s
            .http
            .request(method.clone(), s.url(path))
            .send()
            .await
            .unwrap();
        assert_eq!(
            res.status(),
            StatusCode::METHOD_NOT_ALLOWED,
            "{method} {path}"
        );
        // RFC 9110 §15.5.6: a 405 must list the allowed methods.
        let allow = res
            .headers()
            .get("allow")
            .map(|v| v.to_str().unwrap().to_string())
            .unwrap_or_default();
        assert!(allow.contains(allowed), "{method} {path}: Allow {allow:?}");
        assert!(is_json(&res), "{method} {path}");
        let body: Value = res.json().await.unwrap();
        assert!(body["error"].is_string());
    }
    // Unknown paths are 404 JSON.
    let res = s.get("/nope").send().await.unwrap();
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    assert!(is_json(&res));
}

#[tokio::test]
async fn junk_requests_never_get_a_500() {
    let s = TestServer::start().await;
    let c = s.confidential_client().await;
    let forms: Vec<&[u8]> = vec![
        b"",
        b"&&&&",
        b"=",
        b"==&==",
        b"grant_type",
        b"grant_type=",
        b"%",
        b"%%%%",
        b"%zz=%2",
        b"grant_type=authorization_code&code=%00%00",
        b"grant_type=refresh_token&refresh_token=%FF",
        b"grant_type=authorization_code&code=x&code_verifier=\x00",
        b"grant_type=client_credentials&scope=%22%5C",
        b"token=&token_type_hint=",
        b"token=a.b.c&token_type_hint=access_token",
        b"token=eyJ.eyJ.&token_type_hint=refresh_token",
        b"token=eyJhbGciOiJFZERTQSIsImtpZCI6IlwiIn0.eyJleHAiOiJ4In0.AA",
        b"\xff\xfe\xfd",
        b"a=1&a=2&a=3",
    ];
    let paths = [
        "/token",
        "/revoke",
        "/introspect",
        "/register",
        "/api/notes",
    ];
    for path in paths {
        for body in &forms {
            for auth in [true, false] {
                let mut req = s
                    .post(path)
                    .header("content-type", "application/x-www-form-urlencoded")
                    .body(body.to_vec());
                if auth {
                    req = req.basic_auth(&c.client_id, c.client_secret.as_ref());
                }
                let res = req.send().await.unwrap();
                assert!(
                    res.status().is_client_error() || res.status().is_success(),
                    "{path} {:?}: {}",
                    String::from_utf8_lossy(body),
                    res.status()
                );
            }
        }
    }
    // Junk query strings at the authorization endpoint.
    for q in [
        "",
        "%",
        "client_id=%FF",
        "client_id=&redirect_uri=",
        "client_id=x&client_id=y",
        "response_type=code&client_id=%00",
        "a&b&c=%zz",
    ] {
        let res = s.get(&format!("/authorize?{q}")).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::BAD_REQUEST, "{q}");
        assert!(res.headers().get("location").is_none());
    }
    // Junk authorization headers at the resource server and token endpoint.
    for auth in [
        "Bearer",
        "Bearer ",
        "Bearer  x",
        "Basic",
        "Basic =",
        "Basic Og==",
        "Basic OjpfOjo6",
        "Negotiate abc",
        "\u{7f}",
    ] {
        for path in ["/api/profile", "/token"] {
            let req = if path == "/token" {
                form(s.post(path), &[("grant_type", "client_credentials")])
            } else {
                s.get(path)
            };
            let Ok(res) = req.header("authorization", auth).send().await else {
                continue; // the client itself refused the header value
            };
            assert!(
                res.status().is_client_error(),
                "{path} {auth:?}: {}",
                res.status()
            );
        }
    }
    // Raw protocol junk.
    for raw in [
        &b"GARBAGE\r\n\r\n"[..],
        b"GET / HTTP/9.9\r\n\r\n",
        b"POST /token HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n",
        b"POST /token HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999999999999999\r\n\r\n",
        b"POST /token HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nabcdef",
        b"GET /authorize?\xff\xfe HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    ] {
        let res = crate::support::raw_request_lenient(s.server.addr(), raw).await;
        if let Some(status) = res {
            assert!(
                status < 500,
                "{:?} -> {status}",
                String::from_utf8_lossy(raw)
            );
        }
    }
    // The server is still up.
    assert_eq!(
        s.get("/healthz").send().await.unwrap().status(),
        StatusCode::OK
    );
}

/// Fires `n` copies of the same token request at once; returns the statuses
/// and bodies.
async fn fire(
    s: &TestServer,
    client: &Client,
    pairs: Vec<(String, String)>,
    n: usize,
) -> Vec<(StatusCode, Value)> {
    let pairs = Arc::new(pairs);
    let barrier = Arc::new(tokio::sync::Barrier::new(n));
    let mut set = JoinSet::new();
    for _ in 0..n {
        let http = crate::support::http_client();
        let url = s.url("/token");
        let client = client.clone();
        let pairs = pairs.clone();
        let barrier = barrier.clone();
        set.spawn(async move {
            let borrowed: Vec<(&str, &str)> = pairs
                .iter()
                .map(|(k, v)| (k.as_str(), v.as_str()))
                .collect();
            let req = client.authenticate(http.post(url), &borrowed);
            barrier.wait().await;
            let res = req.send().await.unwrap();
            let status = res.status();
            (status, res.json::<Value>().await.unwrap())
        });
    }
    let mut out = Vec::new();
    while let Some(r) = set.join_next().await {
        out.push(r.unwrap());
    }
    out
}

fn owned(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn exactly_one_success(results: &[(StatusCode, Value)]) -> Value {
    let ok: Vec<_> = results
        .iter()
        .filter(|(s, _)| *s == StatusCode::OK)
        .collect();
    assert_eq!(
        ok.len(),
        1,
        "expected exactly one success, got {}: {:?}",
        ok.len(),
        results
            .iter()
            .map(|(s, b)| (s.as_u16(), b["error"].clone()))
            .collect::<Vec<_>>()
    );
    for (status, body) in results {
        if *status != StatusCode::OK {
            assert_eq!(*status, StatusCode::BAD_REQUEST, "{body}");
            assert_eq!(body["error"], "invalid_grant");
        }
    }
    ok[0].1.clone()
}

async fn concurrent_code_redemption(settings: Settings) {
    let s = TestServer::start_with(settings).await;
    let c = s.public_client().await;
    let pkce = Pkce::new();
    let code = s.code(&c, &pkce, "profile").await;
    let pairs = owned(&[
        ("grant_type", "authorization_code"),
        ("code", &code),
        ("redirect_uri", &c.redirect_uri),
        ("code_verifier", &pkce.verifier),
    ]);
    let results = fire(&s, &c, pairs, 50).await;
    let winner = exactly_one_success(&results);
    assert!(winner["access_token"].is_string());
    // The other 49 were replays of the code, so (RFC 6749 §4.1.2) what it
    // produced is revoked.
    let refresh = winner["refresh_token"].as_str().unwrap();
    assert_oauth_error(
        s.refresh(&c, refresh).await,
        StatusCode::BAD_REQUEST,
        "invalid_grant",
    )
    .await;
}

async fn concurrent_refresh(settings: Settings) {
    let s = TestServer::start_with(settings).await;
    let c = s.confidential_client().await;
    let t = s.tokens(&c, "profile").await;
    let pairs = owned(&[
        ("grant_type", "refresh_token"),
        ("refresh_token", t.refresh()),
    ]);
    let results = fire(&s, &c, pairs, 50).await;
    let winner = exactly_one_success(&results);
    // The losers replayed a rotated-out token, so the family is revoked
    // (RFC 9700 §4.14.2): the winner's refresh token is dead too.
    let refresh = winner["refresh_token"].as_str().unwrap();
    assert_oauth_error(
        s.refresh(&c, refresh).await,
        StatusCode::BAD_REQUEST,
        "invalid_grant",
    )
    .await;
}

fn sqlite(dir: &tempfile::TempDir) -> Settings {
    Settings {
        test_admin: true,
        storage: Storage::Sqlite(dir.path().to_path_buf()),
        ..Settings::default()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn fifty_concurrent_redemptions_of_one_code_succeed_exactly_once() {
    concurrent_code_redemption(Settings::default()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn fifty_concurrent_redemptions_of_one_code_succeed_exactly_once_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    concurrent_code_redemption(sqlite(&dir)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn fifty_concurrent_refreshes_succeed_exactly_once() {
    concurrent_refresh(Settings::default()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn fifty_concurrent_refreshes_succeed_exactly_once_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    concurrent_refresh(sqlite(&dir)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_distinct_requests_all_succeed() {
    // Sanity check for the two tests above: without a shared credential,
    // concurrency does not make requests fail.
    let s = TestServer::start().await;
    let c = s.confidential_client().await;
    let results = fire(&s, &c, owned(&[("grant_type", "client_credentials")]), 50).await;
    assert!(results.iter().all(|(st, _)| *st == StatusCode::OK));
    let _ = Tokens::from_ok;
}
