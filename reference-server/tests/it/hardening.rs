//! Issue 13: what anyone on the network could do to a long-running server.
//! Each test fails without its fix: unbounded pending logins, sockets that
//! never finish their request, paths that are not UTF-8, and (in
//! `admin.rs`) admin numbers out of range.

use std::time::Duration;

use oauthspec_reference_server::Settings;
use oauthspec_reference_server::connections::Limits;
use oauthspec_reference_server::interaction::{
    MAX_PENDING, MAX_PENDING_BYTES, MAX_PENDING_PER_CLIENT,
};
use reqwest::StatusCode;
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::support::{ALL_SCOPES, Pkce, TestServer, location, query_param};

/// A 48 KB `state` used to be kept whole for ten minutes per request
/// (20,000 of them: 977 MB). Refused before anything is stored, with the
/// RFC's error and the state echoed.
#[tokio::test]
async fn a_state_over_4_kib_is_refused_before_anything_is_stored() {
    let s = TestServer::start().await;
    let c = s.public_client().await;
    let pkce = Pkce::new();
    let long = "s".repeat(48 * 1024);
    let res = s
        .authorize_raw(&TestServer::authorize_params(&c, &pkce, &long, ALL_SCOPES))
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let to = url::Url::parse(&location(&res)).expect("a redirect to the client");
    assert_eq!(
        query_param(&to, "error").as_deref(),
        Some("invalid_request")
    );
    assert_eq!(query_param(&to, "state").as_deref(), Some(long.as_str()));
    assert_eq!(s.server.state().interactions.len(), 0);
    // 4 KiB exactly is a state like any other.
    let ok = "s".repeat(4096);
    s.begin(&TestServer::authorize_params(&c, &pkce, &ok, ALL_SCOPES))
        .await;
    assert_eq!(s.server.state().interactions.len(), 1);
}

/// One client may not fill the server with pending logins; the others
/// still log in, and the client is told to come back
/// (`temporarily_unavailable`, RFC 6749 §4.1.2.1).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_with_too_many_pending_logins_waits_and_others_log_in() {
    let s = TestServer::start().await;
    let greedy = s.public_client().await;
    let pkce = Pkce::new();
    let params = TestServer::authorize_params(&greedy, &pkce, "st", ALL_SCOPES);
    for _ in 0..MAX_PENDING_PER_CLIENT {
        let res = s.authorize_raw(&params).await;
        assert_eq!(res.status(), StatusCode::SEE_OTHER);
        assert!(location(&res).starts_with("/interaction/"));
    }
    let res = s.authorize_raw(&params).await;
    let to = url::Url::parse(&location(&res)).expect("a redirect to the client");
    assert_eq!(
        query_param(&to, "error").as_deref(),
        Some("temporarily_unavailable")
    );
    assert_eq!(query_param(&to, "state").as_deref(), Some("st"));
    assert_eq!(s.server.state().interactions.len(), MAX_PENDING_PER_CLIENT);

    let honest = s.confidential_client().await;
    let t = s.tokens(&honest, "profile").await;
    assert!(!t.access_token.is_empty());
}

/// Registration is open, so a flood can come from many clients at once:
/// ten clients sending the longest state allowed fill the server's byte
/// budget, and are then told to come back - but an honest client's login
/// still goes through, pushing out the oldest login of the client holding
/// the most (a total cap alone used to refuse everyone).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_server_still_lets_an_honest_client_log_in() {
    let s = TestServer::start().await;
    let mut flood = Vec::new();
    for _ in 0..10 {
        flood.push(s.public_client().await);
    }
    let pkce = Pkce::new();
    let long = "s".repeat(4096);
    let mut refused = 0;
    for _ in 0..MAX_PENDING_PER_CLIENT {
        for c in &flood {
            let res = s
                .authorize_raw(&TestServer::authorize_params(c, &pkce, &long, ALL_SCOPES))
                .await;
            let to = location(&res);
            if !to.starts_with("/interaction/") {
                let to = url::Url::parse(&to).expect("a redirect to the client");
                assert_eq!(
                    query_param(&to, "error").as_deref(),
                    Some("temporarily_unavailable")
                );
                refused += 1;
            }
        }
    }
    let held = s.server.state().interactions.len();
    assert!(refused > 0, "the byte budget was never reached");
    assert!(held <= MAX_PENDING);
    assert!(s.server.state().interactions.bytes() <= MAX_PENDING_BYTES);

    // Eight honest users start logging in; what little room is left does
    // not hold them all, so flood logins give way.
    for _ in 0..8 {
        let c = s.public_client().await;
        s.begin(&TestServer::authorize_params(
            &c,
            &Pkce::new(),
            "st",
            ALL_SCOPES,
        ))
        .await;
    }
    assert!(s.server.state().interactions.len() < held + 8);
    assert!(s.server.state().interactions.bytes() <= MAX_PENDING_BYTES);
    let honest = s.confidential_client().await;
    let t = s.tokens(&honest, "profile").await;
    assert!(!t.access_token.is_empty());
}

/// `GET /register/%FF` and friends used to be answered `400 text/plain`
/// by the path extractor. Now in each endpoint's own error format.
#[tokio::test]
async fn paths_that_are_not_utf8_get_the_endpoint_s_error_format() {
    let s = TestServer::start().await;
    let token = s.server.admin_token().unwrap().expose().to_string();
    for (method, path) in [
        ("GET", "/register/%FF"),
        ("PUT", "/__admin/clients/%FF/lifetimes"),
        ("PUT", "/__admin/upstreams/%C0%AF"),
        ("GET", "/nothing/%FF"),
    ] {
        let res = s
            .http
            .request(method.parse().unwrap(), s.url(path))
            .bearer_auth(&token)
            .json(&json!({}))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::BAD_REQUEST, "{path}");
        assert!(
            res.headers()[reqwest::header::CONTENT_TYPE]
                .to_str()
                .unwrap()
                .starts_with("application/json"),
            "{path}"
        );
        let body: Value = res.json().await.unwrap();
        assert_eq!(body["error"], "invalid_request", "{path}");
    }
    let res = s.get("/interaction/%FF").send().await.unwrap();
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    assert!(
        res.headers()[reqwest::header::CONTENT_TYPE]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
}

/// Reads from `socket` until the server closes it; whether it did within
/// `within`.
async fn closed_within(socket: &mut TcpStream, within: Duration) -> bool {
    let mut buf = [0u8; 1024];
    tokio::time::timeout(within, async {
        loop {
            match socket.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(_) => {}
            }
        }
    })
    .await
    .is_ok()
}

/// Sockets that send nothing, or drip a request a byte at a time, used to
/// stay open forever (2,000 of them starved every client). Now they are
/// closed once the header timeout passes, and past the connection cap the
/// oldest that never sent a request makes room; a client that does send
/// its request is served all along.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idle_and_dripping_sockets_are_closed_and_real_clients_served() {
    let limits = Limits {
        header_read: Duration::from_secs(1),
        body_read: Duration::from_secs(1),
        max_connections: 32,
    };
    let s = TestServer::start_with(Settings {
        connections: limits,
        ..Settings::default()
    })
    .await;
    let addr = s.server.addr();
    // Twice the cap: idle sockets, and sockets dripping a request.
    let mut idle = Vec::new();
    for _ in 0..32 {
        idle.push(TcpStream::connect(addr).await.unwrap());
    }
    let mut drips = Vec::new();
    for _ in 0..32 {
        let mut d = TcpStream::connect(addr).await.unwrap();
        d.write_all(b"GET /healthz HTTP/1.1\r\nHo").await.unwrap();
        drips.push(d);
    }
    // A client that sends its request is answered while they hang on.
    for _ in 0..20 {
        let res = tokio::time::timeout(Duration::from_secs(5), s.get("/healthz").send())
            .await
            .expect("answered while idle sockets are open")
            .unwrap();
        assert_eq!(res.status(), StatusCode::OK);
    }
    // Every idle or dripping socket is closed soon after the header timeout.
    for (i, sock) in idle.iter_mut().chain(drips.iter_mut()).enumerate() {
        assert!(
            closed_within(sock, Duration::from_secs(4)).await,
            "socket {i} still open"
        );
    }
}

/// A socket that never sends a byte, below the connection cap, so that
/// nothing sheds it: the header timeout alone must close it (the HTTP
/// version sniffing before hyper's own timer starts used to wait forever).
#[tokio::test]
async fn a_silent_socket_below_the_cap_is_closed_by_the_header_timeout() {
    let s = TestServer::start_with(Settings {
        connections: Limits {
            header_read: Duration::from_secs(1),
            body_read: Duration::from_secs(1),
            max_connections: 32,
        },
        ..Settings::default()
    })
    .await;
    let mut silent = Vec::new();
    for _ in 0..4 {
        silent.push(TcpStream::connect(s.server.addr()).await.unwrap());
    }
    for (i, sock) in silent.iter_mut().enumerate() {
        assert!(
            closed_within(sock, Duration::from_secs(4)).await,
            "silent socket {i} still open"
        );
    }
    let res = s.get("/healthz").send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
}

/// A body that stops arriving half-way is cut off by the body timeout, not
/// waited for forever.
#[tokio::test]
async fn a_body_that_stops_arriving_is_cut_off() {
    let s = TestServer::start_with(Settings {
        connections: Limits {
            header_read: Duration::from_secs(5),
            body_read: Duration::from_secs(1),
            max_connections: 32,
        },
        ..Settings::default()
    })
    .await;
    let mut sock = TcpStream::connect(s.server.addr()).await.unwrap();
    sock.write_all(
        b"POST /token HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 100\r\n\r\ngrant_type=",
    )
    .await
    .unwrap();
    let mut answer = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(5), sock.read_to_end(&mut answer)).await;
    assert!(read.is_ok(), "the server waited for the rest of the body");
    let text = String::from_utf8_lossy(&answer);
    assert!(
        text.is_empty() || !text.starts_with("HTTP/1.1 5"),
        "no 5xx for a stalled body: {text}"
    );
}
