//! Shared fixtures: an in-process server on a loopback socket, an HTTP
//! client that never follows redirects, and helpers for registering clients,
//! walking the login and consent pages, exchanging codes and driving the
//! test-admin API.

#![allow(dead_code)]

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use oauthspec_reference_server::{RunningServer, Settings, start};
use reqwest::header::{self, HeaderMap};
use reqwest::{RequestBuilder, Response, StatusCode};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

pub const USER: &str = "alice";
pub const PASSWORD: &str = "alice-password";
pub const REDIRECT_URI: &str = "http://127.0.0.1:8765/callback";
pub const ALL_SCOPES: &str = "email notes:read notes:write openid profile";

/// A running server and a client for it.
pub struct TestServer {
    pub server: RunningServer,
    pub http: reqwest::Client,
    pub base: String,
}

pub fn http_client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("reqwest client")
}

impl TestServer {
    /// In memory, EdDSA, with the test-admin API on.
    pub async fn start() -> Self {
        Self::start_with(Settings {
            test_admin: true,
            ..Settings::default()
        })
        .await
    }

    pub async fn start_with(settings: Settings) -> Self {
        let server = start(settings).await.expect("server starts");
        let base = server.url();
        Self {
            server,
            http: http_client(),
            base,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub fn issuer(&self) -> String {
        self.server.issuer().to_string()
    }

    pub fn get(&self, path: &str) -> RequestBuilder {
        self.http.get(self.url(path))
    }

    pub fn post(&self, path: &str) -> RequestBuilder {
        self.http.post(self.url(path))
    }

    /// A form POST with no client authentication added.
    pub async fn post_form(&self, path: &str, pairs: &[(&str, &str)]) -> Response {
        form(self.post(path), pairs).send().await.expect("request")
    }

    /// A form POST authenticated as `client` with its registered method.
    pub async fn post_form_as(
        &self,
        path: &str,
        client: &Client,
        pairs: &[(&str, &str)],
    ) -> Response {
        client
            .authenticate(self.post(path), pairs)
            .send()
            .await
            .expect("request")
    }

    // ---- registration ----

    /// Registers a client with the given metadata; panics unless 201.
    pub async fn register(&self, metadata: Value) -> Client {
        let res = self
            .post("/register")
            .json(&metadata)
            .send()
            .await
            .expect("register");
        assert_eq!(res.status(), StatusCode::CREATED, "registration refused");
        let body: Value = res.json().await.expect("registration JSON");
        let method = body["token_endpoint_auth_method"]
            .as_str()
            .unwrap_or("client_secret_basic")
            .to_string();
        Client {
            client_id: body["client_id"].as_str().expect("client_id").to_string(),
            client_secret: body["client_secret"].as_str().map(str::to_owned),
            registration_access_token: body["registration_access_token"]
                .as_str()
                .expect("registration_access_token")
                .to_string(),
            method,
            redirect_uri: body["redirect_uris"][0]
                .as_str()
                .unwrap_or(REDIRECT_URI)
                .to_string(),
            body,
        }
    }

    /// A confidential client (client_secret_basic) for the code, refresh
    /// and client-credentials grants.
    pub async fn confidential_client(&self) -> Client {
        self.register(json!({
            "redirect_uris": [REDIRECT_URI],
            "grant_types": ["authorization_code", "refresh_token", "client_credentials"],
            "token_endpoint_auth_method": "client_secret_basic",
            "client_name": "Test confidential client",
        }))
        .await
    }

    /// A confidential client that authenticates with client_secret_post.
    pub async fn post_client(&self) -> Client {
        self.register(json!({
            "redirect_uris": [REDIRECT_URI],
            "grant_types": ["authorization_code", "refresh_token", "client_credentials"],
            "token_endpoint_auth_method": "client_secret_post",
        }))
        .await
    }

    /// A public client (token_endpoint_auth_method none).
    pub async fn public_client(&self) -> Client {
        self.register(json!({
            "redirect_uris": [REDIRECT_URI],
            "grant_types": ["authorization_code", "refresh_token"],
            "token_endpoint_auth_method": "none",
        }))
        .await
    }

    // ---- authorization endpoint ----

    /// `GET /authorize` with exactly these query parameters (raw pairs, so
    /// a test can repeat or leave out any of them).
    pub async fn authorize_raw(&self, pairs: &[(&str, &str)]) -> Response {
        let query = serde_urlencoded::to_string(pairs).expect("query");
        self.get(&format!("/authorize?{query}"))
            .send()
            .await
            .expect("authorize")
    }

    /// The standard authorization request parameters for `client`.
    pub fn authorize_params<'a>(
        client: &'a Client,
        pkce: &'a Pkce,
        state: &'a str,
        scope: &'a str,
    ) -> Vec<(&'a str, &'a str)> {
        vec![
            ("response_type", "code"),
            ("client_id", &client.client_id),
            ("redirect_uri", &client.redirect_uri),
            ("scope", scope),
            ("state", state),
            ("code_challenge", &pkce.challenge),
            ("code_challenge_method", "S256"),
        ]
    }

    /// Starts an authorization and follows the 303 to the interaction.
    pub async fn begin(&self, pairs: &[(&str, &str)]) -> Interaction {
        let res = self.authorize_raw(pairs).await;
        assert_eq!(
            res.status(),
            StatusCode::SEE_OTHER,
            "authorize did not start an interaction"
        );
        let location = location(&res);
        let id = location
            .strip_prefix("/interaction/")
            .unwrap_or_else(|| panic!("unexpected Location {location}"))
            .to_string();
        let cookie = res
            .headers()
            .get(header::SET_COOKIE)
            .expect("Set-Cookie on /authorize")
            .to_str()
            .unwrap()
            .split(';')
            .next()
            .unwrap()
            .to_string();
        Interaction { id, cookie }
    }

    /// GETs a page of the interaction with the browser cookie.
    pub async fn page(&self, path: &str, cookie: Option<&str>) -> (StatusCode, String) {
        let mut req = self.get(path);
        if let Some(c) = cookie {
            req = req.header(header::COOKIE, c);
        }
        let res = req.send().await.expect("page");
        let status = res.status();
        (status, res.text().await.unwrap_or_default())
    }

    /// POSTs a form of the interaction with the browser cookie.
    pub async fn submit(
        &self,
        path: &str,
        cookie: Option<&str>,
        pairs: &[(&str, &str)],
    ) -> Response {
        let mut req = form(self.post(path), pairs);
        if let Some(c) = cookie {
            req = req.header(header::COOKIE, c);
        }
        req.send().await.expect("submit")
    }

    /// Logs in as alice on the interaction's login page; returns the
    /// consent page's CSRF token.
    pub async fn log_in(&self, ix: &Interaction) -> String {
        self.log_in_as(ix, USER, PASSWORD).await
    }

    /// Logs in as `user` on the interaction's login page; returns the
    /// consent page's CSRF token.
    pub async fn log_in_as(&self, ix: &Interaction, user: &str, password: &str) -> String {
        let (status, html) = self.page(&ix.login_path(), Some(&ix.cookie)).await;
        assert_eq!(status, StatusCode::OK, "login page: {html}");
        let csrf = csrf_token(&html);
        let res = self
            .submit(
                &ix.login_path(),
                Some(&ix.cookie),
                &[
                    ("username", user),
                    ("password", password),
                    ("csrf_token", &csrf),
                ],
            )
            .await;
        assert_eq!(res.status(), StatusCode::SEE_OTHER, "login failed");
        assert_eq!(location(&res), ix.consent_path());
        let (status, html) = self.page(&ix.consent_path(), Some(&ix.cookie)).await;
        assert_eq!(status, StatusCode::OK, "consent page: {html}");
        csrf_token(&html)
    }

    /// Posts the consent decision; returns the redirect to the client.
    pub async fn decide(&self, ix: &Interaction, csrf: &str, decision: &str) -> url::Url {
        let res = self
            .submit(
                &ix.consent_path(),
                Some(&ix.cookie),
                &[("decision", decision), ("csrf_token", csrf)],
            )
            .await;
        assert_eq!(
            res.status(),
            StatusCode::SEE_OTHER,
            "consent did not redirect"
        );
        url::Url::parse(&location(&res)).expect("absolute redirect")
    }

    /// The whole browser part: authorize, log in, approve. Returns the
    /// redirect back to the client.
    pub async fn authorize_approved(&self, pairs: &[(&str, &str)]) -> url::Url {
        let ix = self.begin(pairs).await;
        let csrf = self.log_in(&ix).await;
        self.decide(&ix, &csrf, "approve").await
    }

    /// An authorization code for `client` with `scope`.
    pub async fn code(&self, client: &Client, pkce: &Pkce, scope: &str) -> String {
        let params = Self::authorize_params(client, pkce, "st4te", scope);
        let redirect = self.authorize_approved(&params).await;
        query_param(&redirect, "code").expect("code in the redirect")
    }

    // ---- token endpoint ----

    pub async fn exchange(&self, client: &Client, code: &str, verifier: &str) -> Response {
        self.post_form_as(
            "/token",
            client,
            &[
                ("grant_type", "authorization_code"),
                ("code", code),
                ("redirect_uri", &client.redirect_uri),
                ("code_verifier", verifier),
            ],
        )
        .await
    }

    /// Runs the whole code flow and returns the token response.
    pub async fn tokens(&self, client: &Client, scope: &str) -> Tokens {
        let pkce = Pkce::new();
        let code = self.code(client, &pkce, scope).await;
        let res = self.exchange(client, &code, &pkce.verifier).await;
        Tokens::from_ok(res).await
    }

    pub async fn refresh(&self, client: &Client, refresh_token: &str) -> Response {
        self.post_form_as(
            "/token",
            client,
            &[
                ("grant_type", "refresh_token"),
                ("refresh_token", refresh_token),
            ],
        )
        .await
    }

    pub async fn client_credentials(&self, client: &Client, scope: Option<&str>) -> Response {
        let mut pairs = vec![("grant_type", "client_credentials")];
        if let Some(s) = scope {
            pairs.push(("scope", s));
        }
        self.post_form_as("/token", client, &pairs).await
    }

    // ---- resource server, introspection, revocation ----

    pub async fn profile(&self, access_token: &str) -> Response {
        self.get("/api/profile")
            .bearer_auth(access_token)
            .send()
            .await
            .expect("profile")
    }

    /// Introspects `token` as `client`; returns the JSON body (asserting 200).
    pub async fn introspect(&self, client: &Client, token: &str) -> Value {
        let res = self
            .post_form_as("/introspect", client, &[("token", token)])
            .await;
        assert_eq!(res.status(), StatusCode::OK);
        res.json().await.expect("introspection JSON")
    }

    pub async fn revoke(&self, client: &Client, token: &str) -> Response {
        self.post_form_as("/revoke", client, &[("token", token)])
            .await
    }

    // ---- test-admin API ----

    fn admin(&self, req: RequestBuilder) -> RequestBuilder {
        let token = self.server.admin_token().expect("test admin is on");
        req.bearer_auth(token.expose())
    }

    /// Moves the server's clock forward.
    pub async fn advance_clock(&self, seconds: i64) {
        let res = self
            .admin(self.post("/__admin/clock/advance"))
            .json(&json!({ "seconds": seconds }))
            .send()
            .await
            .expect("advance");
        assert_eq!(res.status(), StatusCode::OK, "clock advance refused");
    }

    /// Rotates the signing key; returns the new kid.
    pub async fn rotate_keys(&self) -> String {
        let res = self
            .admin(self.post("/__admin/keys/rotate"))
            .send()
            .await
            .expect("rotate");
        assert_eq!(res.status(), StatusCode::OK, "rotation refused");
        let body: Value = res.json().await.unwrap();
        body["kid"].as_str().expect("kid").to_string()
    }

    /// Sets per-client lifetimes, e.g. `{"access_token": 60}`.
    pub async fn set_lifetimes(&self, client_id: &str, lifetimes: Value) {
        let res = self
            .admin(
                self.http
                    .put(self.url(&format!("/__admin/clients/{client_id}/lifetimes"))),
            )
            .json(&lifetimes)
            .send()
            .await
            .expect("lifetimes");
        assert_eq!(res.status(), StatusCode::OK, "lifetimes refused");
    }

    pub async fn jwks(&self) -> Value {
        let res = self.get("/jwks").send().await.expect("jwks");
        assert_eq!(res.status(), StatusCode::OK);
        res.json().await.expect("JWKS JSON")
    }

    /// Sends raw bytes on a fresh connection and reads the whole answer.
    pub async fn raw(&self, request: &[u8]) -> RawResponse {
        raw_request(self.server.addr(), request).await
    }
}

/// A registered client and its credentials.
#[derive(Debug, Clone)]
pub struct Client {
    pub client_id: String,
    pub client_secret: Option<String>,
    pub registration_access_token: String,
    pub method: String,
    pub redirect_uri: String,
    /// The registration response.
    pub body: Value,
}

impl Client {
    /// Adds this client's authentication (its registered method) and the
    /// form body.
    pub fn authenticate(&self, req: RequestBuilder, pairs: &[(&str, &str)]) -> RequestBuilder {
        let mut pairs: Vec<(&str, &str)> = pairs.to_vec();
        let req = match self.method.as_str() {
            "client_secret_basic" => req.basic_auth(&self.client_id, self.client_secret.as_ref()),
            "client_secret_post" => {
                pairs.push(("client_id", &self.client_id));
                pairs.push(("client_secret", self.client_secret.as_deref().unwrap()));
                req
            }
            _ => {
                pairs.push(("client_id", &self.client_id));
                req
            }
        };
        form(req, &pairs)
    }
}

/// The login/consent interaction started by `/authorize`.
#[derive(Debug, Clone)]
pub struct Interaction {
    pub id: String,
    /// `oauthspec_browser=...`, ready for a `Cookie` header.
    pub cookie: String,
}

impl Interaction {
    pub fn login_path(&self) -> String {
        format!("/interaction/{}", self.id)
    }
    pub fn consent_path(&self) -> String {
        format!("/interaction/{}/consent", self.id)
    }
}

/// A PKCE verifier and its S256 challenge (RFC 7636 §4.1, §4.2).
#[derive(Debug, Clone)]
pub struct Pkce {
    pub verifier: String,
    pub challenge: String,
}

impl Pkce {
    pub fn new() -> Self {
        let bytes: [u8; 32] = rand_bytes();
        Self::from_verifier(&URL_SAFE_NO_PAD.encode(bytes))
    }

    pub fn from_verifier(verifier: &str) -> Self {
        let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, verifier.as_bytes());
        Self {
            verifier: verifier.to_string(),
            challenge: URL_SAFE_NO_PAD.encode(digest.as_ref()),
        }
    }
}

fn rand_bytes<const N: usize>() -> [u8; N] {
    let mut out = [0u8; N];
    aws_lc_rs::rand::fill(&mut out).expect("randomness");
    out
}

/// A successful token response.
#[derive(Debug, Clone)]
pub struct Tokens {
    pub access_token: String,
    pub refresh_token: Option<String>,
    pub scope: String,
    pub expires_in: i64,
    pub body: Value,
}

impl Tokens {
    /// Parses a token response, asserting 200 and the no-store headers.
    pub async fn from_ok(res: Response) -> Self {
        let status = res.status();
        assert_no_store(res.headers());
        let body: Value = res.json().await.expect("token response JSON");
        assert_eq!(status, StatusCode::OK, "token request failed: {body}");
        assert_eq!(body["token_type"], "Bearer");
        Self {
            access_token: body["access_token"].as_str().expect("access_token").into(),
            refresh_token: body["refresh_token"].as_str().map(str::to_owned),
            scope: body["scope"].as_str().unwrap_or_default().into(),
            expires_in: body["expires_in"].as_i64().expect("expires_in"),
            body,
        }
    }

    pub fn refresh(&self) -> &str {
        self.refresh_token.as_deref().expect("a refresh token")
    }
}

// ---- free helpers ----

/// Sets an `application/x-www-form-urlencoded` body.
pub fn form(req: RequestBuilder, pairs: &[(&str, &str)]) -> RequestBuilder {
    req.header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(serde_urlencoded::to_string(pairs).expect("form"))
}

pub fn location(res: &Response) -> String {
    res.headers()
        .get(header::LOCATION)
        .expect("a Location header")
        .to_str()
        .unwrap()
        .to_string()
}

/// The value of a hidden `csrf_token` input in a page.
pub fn csrf_token(html: &str) -> String {
    let at = html
        .find("name=\"csrf_token\"")
        .unwrap_or_else(|| panic!("no csrf_token input in {html}"));
    let rest = &html[at..];
    let v = rest.find("value=\"").expect("csrf value") + "value=\"".len();
    let end = rest[v..].find('"').expect("csrf value end");
    rest[v..v + end].to_string()
}

pub fn query_param(url: &url::Url, name: &str) -> Option<String> {
    url.query_pairs()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

/// Asserts the RFC 6749 §5.1 cache headers.
pub fn assert_no_store(h: &HeaderMap) {
    assert_eq!(
        h.get(header::CACHE_CONTROL).map(|v| v.to_str().unwrap()),
        Some("no-store"),
        "Cache-Control: no-store missing"
    );
    assert_eq!(
        h.get(header::PRAGMA).map(|v| v.to_str().unwrap()),
        Some("no-cache"),
        "Pragma: no-cache missing"
    );
}

/// Asserts an RFC 6749 §5.2 error response: the status, a JSON body with
/// the `error` code, a description without characters outside
/// `%x20-21 / %x23-5B / %x5D-7E`, and the no-store headers. Returns the body.
pub async fn assert_oauth_error(res: Response, status: StatusCode, error: &str) -> Value {
    let got_status = res.status();
    let headers = res.headers().clone();
    let text = res.text().await.unwrap_or_default();
    assert_eq!(got_status, status, "status; body {text}");
    assert!(
        headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("application/json")),
        "error is not JSON: {headers:?}"
    );
    let body: Value = serde_json::from_str(&text).expect("JSON error body");
    assert_eq!(body["error"], error, "body {body}");
    assert_description_ok(&body);
    assert_no_store(&headers);
    body
}

pub fn assert_description_ok(body: &Value) {
    if let Some(d) = body.get("error_description") {
        let d = d.as_str().expect("error_description is a string");
        assert!(
            d.bytes().all(|b| b == 0x20
                || b == 0x21
                || (0x23..=0x5B).contains(&b)
                || (0x5D..=0x7E).contains(&b)),
            "error_description has forbidden characters: {d:?}"
        );
    }
}

/// The (decoded) header and payload of a JWT, without verification.
pub fn jwt_parts(token: &str) -> (Value, Value) {
    let mut it = token.split('.');
    let h = URL_SAFE_NO_PAD.decode(it.next().unwrap()).unwrap();
    let p = URL_SAFE_NO_PAD.decode(it.next().unwrap()).unwrap();
    (
        serde_json::from_slice(&h).unwrap(),
        serde_json::from_slice(&p).unwrap(),
    )
}

pub fn b64(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// The `WWW-Authenticate` header as a string ("" when absent).
pub fn www_authenticate(res: &Response) -> String {
    res.headers()
        .get(header::WWW_AUTHENTICATE)
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default()
}

/// A response read off a raw socket.
#[derive(Debug)]
pub struct RawResponse {
    pub status: u16,
    pub head: String,
    pub body: String,
}

impl RawResponse {
    pub fn header(&self, name: &str) -> Option<String> {
        self.head.lines().skip(1).find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.trim()
                .eq_ignore_ascii_case(name)
                .then(|| v.trim().to_string())
        })
    }

    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body)
            .unwrap_or_else(|_| panic!("not JSON: {} {}", self.head, self.body))
    }
}

pub async fn raw_request(addr: std::net::SocketAddr, request: &[u8]) -> RawResponse {
    let mut s = tokio::net::TcpStream::connect(addr).await.expect("connect");
    // The server may answer (and close) before reading everything.
    let _ = s.write_all(request).await;
    let _ = s.flush().await;
    let mut buf = Vec::new();
    let read = tokio::time::timeout(std::time::Duration::from_secs(10), async {
        let mut chunk = [0u8; 8192];
        loop {
            match s.read(&mut chunk).await {
                Ok(0) | Err(_) => break,
                Ok(n) => {
                    buf.extend_from_slice(&chunk[..n]);
                    if complete(&buf) {
                        break;
                    }
                }
            }
        }
    })
    .await;
    assert!(read.is_ok(), "no complete answer within 10 s");
    let text = String::from_utf8_lossy(&buf).to_string();
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no status line in {text:?}"));
    let body = if head
        .to_ascii_lowercase()
        .contains("transfer-encoding: chunked")
    {
        dechunk(body)
    } else {
        body.to_string()
    };
    RawResponse {
        status,
        head: head.to_string(),
        body,
    }
}

/// Whether a buffer holds a whole response with a Content-Length body.
fn complete(buf: &[u8]) -> bool {
    let text = String::from_utf8_lossy(buf);
    let Some((head, body)) = text.split_once("\r\n\r\n") else {
        return false;
    };
    let len = head.lines().find_map(|l| {
        let (k, v) = l.split_once(':')?;
        k.trim()
            .eq_ignore_ascii_case("content-length")
            .then(|| v.trim().parse::<usize>().ok())?
    });
    match len {
        Some(n) => body.len() >= n,
        None => body.ends_with("0\r\n\r\n"),
    }
}

fn dechunk(body: &str) -> String {
    let mut out = String::new();
    let mut rest = body;
    while let Some((size, after)) = rest.split_once("\r\n") {
        let Ok(n) = usize::from_str_radix(size.trim(), 16) else {
            break;
        };
        if n == 0 || after.len() < n {
            break;
        }
        out.push_str(&after[..n]);
        rest = after[n..].trim_start_matches("\r\n");
    }
    out
}

/// Like [`raw_request`] but tolerates the server closing without an
/// answer; returns the status if there was one.
pub async fn raw_request_lenient(addr: std::net::SocketAddr, request: &[u8]) -> Option<u16> {
    let mut s = tokio::net::TcpStream::connect(addr).await.ok()?;
    let _ = s.write_all(request).await;
    let _ = s.shutdown().await;
    let mut buf = Vec::new();
    let _ = tokio::time::timeout(std::time::Duration::from_secs(5), s.read_to_end(&mut buf)).await;
    let text = String::from_utf8_lossy(&buf);
    text.split(' ').nth(1).and_then(|s| s.parse().ok())
}
