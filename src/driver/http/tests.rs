use url::Url;

use super::*;

#[test]
fn jwk_private_members_are_redacted_only_in_jwks() {
    let jwks = r#"{"keys":[{"kty":"OKP","crv":"Ed25519","x":"pub","d":"PRIVATE","k":"SHARED"}]}"#;
    let out = redact_json_text(jwks);
    assert!(!out.contains("PRIVATE") && !out.contains("SHARED"), "{out}");
    assert!(out.contains("\"x\":\"pub\""), "{out}");
    let other = r#"{"d":"kept","k":"kept"}"#;
    assert_eq!(redact_json_text(other), other);
}

const JWT: &str =
    "eyJhbGciOiJFZERTQSIsInR5cCI6ImF0K2p3dCJ9.eyJzdWIiOiJhbGljZSJ9.c2lnbmF0dXJlLXNpZ25hdHVyZQ";

#[test]
fn authorization_header_keeps_scheme_only() {
    assert_eq!(
        redact_header("Authorization", "Basic Y2xpZW50OnNlY3JldA=="),
        "Basic «redacted» (client_id \"client\", secret redacted)"
    );
    // A form-urlencoded client id is shown decoded; junk stays hidden.
    assert_eq!(
        redact_header("Authorization", "Basic YSUzQWIlMkZjOnM="),
        "Basic «redacted» (client_id \"a:b/c\", secret redacted)"
    );
    assert_eq!(
        redact_header("Authorization", "Basic !!!"),
        "Basic «redacted»"
    );
    let bearer = redact_header("authorization", &format!("Bearer {JWT}"));
    assert_eq!(bearer, "Bearer eyJhbGci…«redacted»");
    assert!(!bearer.contains("eyJzdWIi"));
    assert_eq!(
        redact_header("Authorization", "Bearer opaque-token-123"),
        "Bearer «redacted»"
    );
    assert_eq!(
        redact_header("Cookie", "sid=abc123; csrf=zzz"),
        "sid=«redacted»; csrf=«redacted»"
    );
    assert_eq!(
        redact_header("set-cookie", "sid=abc123; Path=/; HttpOnly"),
        "sid=«redacted»; Path=/; HttpOnly"
    );
    assert_eq!(
        redact_header("Accept", "application/json"),
        "application/json"
    );
}

#[test]
fn form_bodies_lose_their_secrets_but_keep_the_rest() {
    let body = "grant_type=authorization_code&code=abc&code_verifier=verifier123456&client_secret=s3cr3t&client_id=app";
    let r = redact_body(
        Some("application/x-www-form-urlencoded"),
        body.as_bytes(),
        4096,
    );
    assert!(r.contains("grant_type=authorization_code"));
    assert!(r.contains("client_id=app"));
    assert!(!r.contains("verifier123456"));
    assert!(!r.contains("s3cr3t"));
    assert!(r.contains("code_verifier=%C2%ABredacted%C2%BB"));
    let r = redact_form("username=alice&password=alice-password&csrf_token=t");
    assert!(!r.contains("alice-password"));
    assert!(r.contains("username=alice"));
    assert!(r.contains("csrf_token=t"));
}

#[test]
fn json_bodies_lose_their_secrets_even_when_truncated() {
    let body = format!(
        r#"{{"access_token": "{JWT}", "token_type":"Bearer","refresh_token":"rt-\"quoted\"-value","expires_in":300,"registration_access_token":"rat"}}"#
    );
    let r = redact_body(Some("application/json"), body.as_bytes(), 4096);
    assert!(
        r.contains(r#""access_token": "eyJhbGci…«redacted»""#),
        "{r}"
    );
    assert!(r.contains(r#""refresh_token":"«redacted»""#), "{r}");
    assert!(
        r.contains(r#""registration_access_token":"«redacted»""#),
        "{r}"
    );
    assert!(r.contains(r#""token_type":"Bearer""#));
    assert!(!r.contains("quoted"));
    assert!(!r.contains("eyJzdWIi"));
    // Truncated mid-secret: still nothing of the secret survives.
    let cut = r#"{"password": "hunter2-and-more"#;
    let r = redact_json_text(cut);
    assert!(!r.contains("hunter2"), "{r}");
    // Nested objects and arrays.
    let r = redact_json_text(r#"{"users":[{"name":"a","password":"p1"}],"token":"t"}"#);
    assert_eq!(
        r,
        r#"{"users":[{"name":"a","password":"«redacted»"}],"token":"«redacted»"}"#
    );
}

#[test]
fn urls_lose_secret_parameters() {
    let u = redact_url("http://127.0.0.1:8765/callback#access_token=abc&state=xyz");
    assert!(!u.contains("abc"), "{u}");
    assert!(u.contains("state=xyz"));
    let u = redact_url("http://h/x?code=c1&state=s");
    assert_eq!(u, "http://h/x?code=c1&state=s");
}

#[test]
fn a_huge_body_costs_the_limit_not_its_size() {
    let keys: Vec<String> = (0..50_000)
        .map(|i| format!(r#"{{"kty":"RSA","kid":"k{i}","n":"{i:032x}","e":"AQAB","d":"private"}}"#))
        .collect();
    let body = format!(r#"{{"keys":[{}]}}"#, keys.join(","));
    let r = redact_body(Some("application/json"), body.as_bytes(), 4096);
    assert!(r.capacity() < 8192, "{} bytes kept", r.capacity());
    assert!(
        !r.contains("private"),
        "private members are redacted before the cut"
    );
    assert!(r.ends_with(&format!("(cut; the body has {} bytes)", body.len())));
    let token = format!(
        r#"{{"access_token":"{}","token_type":"Bearer"}}"#,
        "a".repeat(5 << 20)
    );
    let r = redact_body(Some("application/json"), token.as_bytes(), 4096);
    assert!(
        r.contains(r#""token_type":"Bearer""#),
        "a huge secret is redacted, not cut: {r}"
    );
}

#[test]
fn long_bodies_are_truncated_on_a_char_boundary() {
    let body = "é".repeat(3000);
    let r = redact_body(Some("text/html"), body.as_bytes(), 4096);
    assert!(r.len() < 4200);
    assert!(r.ends_with("(cut; the body has 6000 bytes)"), "{r}");
}

#[tokio::test]
async fn requests_to_hosts_not_named_are_refused_before_sending() {
    // A listener that would record a connection if the driver contacted it.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let allow = HostAllowlist::new([HostPort::new("127.0.0.1", port + 1)]);
    let driver = Driver::new(allow, DriverConfig::default()).unwrap();
    let url = Url::parse(&format!("http://127.0.0.1:{port}/secret?token=abc")).unwrap();
    let err = driver.send(HttpRequest::get(url)).await.unwrap_err();
    assert!(
        matches!(err, DriverError::HostNotAllowed { ref host, .. } if host == &format!("127.0.0.1:{port}")),
        "{err}"
    );
    assert!(!err.to_string().contains("abc"), "{err}");
    // Nothing connected.
    let accepted = tokio::time::timeout(Duration::from_millis(200), listener.accept()).await;
    assert!(accepted.is_err(), "the driver connected to a refused host");
    // The refusal is in the evidence.
    let ex = driver.evidence().exchanges();
    assert_eq!(ex.len(), 1);
    assert_eq!(ex[0].status, None);
    assert!(ex[0].error.as_deref().unwrap().contains("not sent"));
    // Other schemes are refused too.
    let err = driver
        .send(HttpRequest::get(Url::parse("file:///etc/passwd").unwrap()))
        .await
        .unwrap_err();
    assert!(matches!(err, DriverError::UnsupportedScheme { .. }));
}

#[tokio::test]
async fn a_slow_server_times_out() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    // Accept and never answer.
    let _hold = tokio::spawn(async move {
        let (_sock, _) = listener.accept().await.unwrap();
        tokio::time::sleep(Duration::from_secs(30)).await;
    });
    let driver = Driver::new(
        HostAllowlist::new([HostPort::new("127.0.0.1", port)]),
        DriverConfig {
            timeout: Duration::from_millis(300),
            ..DriverConfig::default()
        },
    )
    .unwrap();
    let url = Url::parse(&format!("http://127.0.0.1:{port}/")).unwrap();
    let started = Instant::now();
    let err = driver.send(HttpRequest::get(url)).await.unwrap_err();
    assert!(matches!(err, DriverError::Timeout { .. }), "{err}");
    assert!(started.elapsed() < Duration::from_secs(5));
}
