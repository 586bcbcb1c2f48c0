//! The walker and the token helpers against a small axum server over a real loopback socket.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::extract::{Query, State};
use axum::http::{HeaderMap as AxHeaders, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Form as AxForm, Router};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use url::Url;

use super::*;
use crate::driver::forms::ConsentChoice;
use crate::driver::http::{Driver, DriverConfig, HostAllowlist, HostPort, HttpRequest};
use crate::protocol::{
    AuthMethod, AuthorizationCode, ClientId, ClientSecret, PkceCodeChallenge, PkceCodeVerifier,
    Scope,
};

const REDIRECT_URI: &str = "http://127.0.0.1:9/callback";

#[derive(Default)]
struct Seen {
    authorize: Option<HashMap<String, String>>,
    token_auth: Option<String>,
    token_form: Option<HashMap<String, String>>,
    login_posts: usize,
    callback_hits: usize,
}

type Shared = Arc<Mutex<Seen>>;

fn has_session(h: &AxHeaders) -> bool {
    h.get(header::COOKIE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|c| c.contains("sid=s3ss10n"))
}

fn redirect(to: &str) -> Response {
    (StatusCode::SEE_OTHER, [(header::LOCATION, to.to_owned())]).into_response()
}

async fn authorize_endpoint(
    State(s): State<Shared>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    if q.get("client_id").map(String::as_str) != Some("demo") {
        return (StatusCode::BAD_REQUEST, Html("<h1>Unknown client</h1>")).into_response();
    }
    if q.get("redirect_uri").map(String::as_str) != Some(REDIRECT_URI) {
        return (StatusCode::BAD_REQUEST, Html("<h1>Bad redirect_uri</h1>")).into_response();
    }
    s.lock().unwrap().authorize = Some(q);
    (
        StatusCode::SEE_OTHER,
        [
            (header::LOCATION, "/interaction/42".to_owned()),
            (
                header::SET_COOKIE,
                "sid=s3ss10n; Path=/; HttpOnly".to_owned(),
            ),
        ],
    )
        .into_response()
}

const LOGIN_PAGE: &str = r#"<!doctype html><html><body>
<form method="post" action="/interaction/42">
  <input type="hidden" name="csrf_token" value="csrf-1">
  <input name="username"><input type="password" name="password">
  <button type="submit">Sign in</button>
</form></body></html>"#;

async fn login_page(h: AxHeaders) -> Response {
    if !has_session(&h) {
        return (StatusCode::BAD_REQUEST, Html("no session")).into_response();
    }
    Html(LOGIN_PAGE).into_response()
}

async fn login_post(
    State(s): State<Shared>,
    h: AxHeaders,
    AxForm(f): AxForm<HashMap<String, String>>,
) -> Response {
    s.lock().unwrap().login_posts += 1;
    if !has_session(&h) || f.get("csrf_token").map(String::as_str) != Some("csrf-1") {
        return (StatusCode::FORBIDDEN, Html("csrf")).into_response();
    }
    if f.get("username").map(String::as_str) == Some("alice")
        && f.get("password").map(String::as_str) == Some("alice-password")
    {
        redirect("/interaction/42/consent")
    } else {
        Html(LOGIN_PAGE).into_response()
    }
}

async fn consent_page(h: AxHeaders) -> Response {
    if !has_session(&h) {
        return (StatusCode::BAD_REQUEST, Html("no session")).into_response();
    }
    Html(
        r#"<html><body><form method="post" action="/interaction/42/consent">
<input type="hidden" name="csrf_token" value="csrf-2">
<button name="decision" value="deny">Deny</button>
<button name="decision" value="approve">Approve</button></form></body></html>"#,
    )
    .into_response()
}

async fn consent_post(
    State(s): State<Shared>,
    h: AxHeaders,
    AxForm(f): AxForm<HashMap<String, String>>,
) -> Response {
    if !has_session(&h) || f.get("csrf_token").map(String::as_str) != Some("csrf-2") {
        return (StatusCode::FORBIDDEN, Html("csrf")).into_response();
    }
    let q = s.lock().unwrap().authorize.clone().unwrap_or_default();
    let state = q.get("state").cloned().unwrap_or_default();
    match f.get("decision").map(String::as_str) {
        Some("approve") => redirect(&format!(
            "{REDIRECT_URI}?code=the-code&state={state}&iss=http%3A%2F%2Fissuer"
        )),
        _ => redirect(&format!("{REDIRECT_URI}?error=access_denied&state={state}")),
    }
}

async fn token_endpoint(
    State(s): State<Shared>,
    h: AxHeaders,
    AxForm(f): AxForm<HashMap<String, String>>,
) -> Response {
    let auth = h
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let mut seen = s.lock().unwrap();
    seen.token_auth = auth.clone();
    seen.token_form = Some(f.clone());
    let no_store = [
        (header::CACHE_CONTROL, "no-store"),
        (header::CONTENT_TYPE, "application/json"),
    ];
    if f.get("code").map(String::as_str) != Some("the-code") {
        return (
            StatusCode::BAD_REQUEST,
            no_store,
            r#"{"error":"invalid_grant","error_description":"unknown code"}"#,
        )
            .into_response();
    }
    (
        StatusCode::OK,
        no_store,
        r#"{"access_token":"eyJhbGciOiJFZERTQSJ9.eyJzdWIiOiJhbGljZSJ9.c2lnbmF0dXJl","token_type":"Bearer","expires_in":300,"refresh_token":"rt-1","scope":"notes:read profile"}"#,
    )
        .into_response()
}

async fn callback(State(s): State<Shared>) -> &'static str {
    s.lock().unwrap().callback_hits += 1;
    "callback"
}

async fn serve() -> (Url, Shared, Driver) {
    let shared: Shared = Arc::default();
    let app = Router::new()
        .route("/authorize", get(authorize_endpoint))
        .route("/interaction/42", get(login_page).post(login_post))
        .route(
            "/interaction/42/consent",
            get(consent_page).post(consent_post),
        )
        .route("/token", post(token_endpoint))
        .route("/callback", get(callback))
        .route(
            "/elsewhere",
            get(|| async { redirect("http://evil.example:8080/steal?x=1") }),
        )
        .route("/loop", get(|| async { redirect("/loop") }))
        .with_state(shared.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    let base = Url::parse(&format!("http://{addr}/")).unwrap();
    let driver = Driver::new(
        HostAllowlist::new([HostPort::new("127.0.0.1", addr.port())]),
        DriverConfig::default(),
    )
    .unwrap();
    (base, shared, driver)
}

fn alice() -> WalkOptions {
    WalkOptions {
        login: Some(LoginCredentials {
            username: "alice".into(),
            password: "alice-password".into(),
            username_field: "username".into(),
            password_field: "password".into(),
        }),
        ..WalkOptions::default()
    }
}

fn request(base: &Url, client: &str, verifier: &PkceCodeVerifier) -> AuthorizationRequest {
    AuthorizationRequest::code(
        base.join("authorize").unwrap(),
        &ClientId::new(client),
        REDIRECT_URI,
        Some(&Scope::parse("profile notes:read")),
        "st4te",
        Some(&PkceCodeChallenge::s256(verifier)),
    )
}

#[tokio::test]
async fn walks_login_and_consent_to_the_redirect_uri_without_contacting_it() {
    let (base, seen, driver) = serve().await;
    let verifier = PkceCodeVerifier::new_random();
    let req = request(&base, "demo", &verifier);
    let browser = driver.new_browser();
    let outcome = authorize(&driver, &browser, &req.url(), REDIRECT_URI, &alice())
        .await
        .unwrap();
    let resp = outcome.response().unwrap_or_else(|| panic!("{outcome}"));
    assert_eq!(resp.code.as_ref().unwrap().secret(), "the-code");
    assert_eq!(resp.state.as_deref(), Some("st4te"));
    assert_eq!(resp.iss.as_deref(), Some("http://issuer"));
    assert_eq!(resp.status, 303);
    assert_eq!(resp.delivery, ResponseDelivery::Query);
    assert_eq!(resp.raw_location.port(), Some(9));

    // The server saw the request the walker built.
    let s = seen.lock().unwrap();
    let q = s.authorize.as_ref().unwrap();
    assert_eq!(q["response_type"], "code");
    assert_eq!(
        q["code_challenge"],
        PkceCodeChallenge::s256(&verifier).as_str()
    );
    assert_eq!(q["code_challenge_method"], "S256");
    assert_eq!(q["scope"], "profile notes:read");
    assert_eq!(s.login_posts, 1);
    assert_eq!(s.callback_hits, 0);
    drop(s);

    // Evidence: authorize, login page, login post, consent page, consent post — with the
    // password redacted and the cookie value hidden.
    let ex = driver.evidence().exchanges();
    assert_eq!(ex.len(), 5, "{}", driver.evidence());
    assert_eq!(ex[2].method, "POST");
    let body = ex[2].request_body.as_deref().unwrap();
    assert!(body.contains("username=alice"), "{body}");
    assert!(!body.contains("alice-password"), "{body}");
    let rendered = driver.evidence().to_string();
    assert!(!rendered.contains("s3ss10n"), "{rendered}");
    assert!(rendered.contains("> Cookie: sid=«redacted»"), "{rendered}");
    assert!(rendered.contains("< HTTP/1.1 303 See Other"), "{rendered}");
}

#[tokio::test]
async fn exchanges_the_code_with_basic_auth_encoded_per_rfc6749() {
    let (base, seen, driver) = serve().await;
    let verifier = PkceCodeVerifier::new_random();
    let auth = ClientAuth::Basic {
        id: ClientId::new("demo client"),
        secret: ClientSecret::new("s:e/c+ret"),
    };
    let resp = TokenRequest::authorization_code(&AuthorizationCode::new("the-code"))
        .redirect_uri(Some(REDIRECT_URI))
        .verifier(Some(&verifier))
        .send(&driver, &base.join("token").unwrap(), &auth)
        .await
        .unwrap();
    assert_eq!(resp.status, 200);
    assert!(resp.has_cache_control_no_store());
    let t = resp.success().expect("a token response");
    assert_eq!(t.token_type, "Bearer");
    assert_eq!(t.expires_in, Some(300));
    assert_eq!(t.scope, Some(Scope::parse("profile notes:read")));
    assert_eq!(t.refresh_token.as_ref().unwrap().secret(), "rt-1");
    assert_eq!(t.raw["expires_in"], 300);

    {
        let s = seen.lock().unwrap();
        // base64("demo+client:s%3Ae%2Fc%2Bret")
        let expected = format!("Basic {}", STANDARD.encode("demo+client:s%3Ae%2Fc%2Bret"));
        assert_eq!(s.token_auth.as_deref(), Some(expected.as_str()));
        let f = s.token_form.as_ref().unwrap();
        assert_eq!(f["grant_type"], "authorization_code");
        assert_eq!(f["code_verifier"], verifier.secret());
        assert!(!f.contains_key("client_secret"));
    }

    // Evidence hides the verifier, the Basic credential and the tokens.
    let rendered = driver.evidence().to_string();
    assert!(!rendered.contains(verifier.secret()), "{rendered}");
    assert!(!rendered.contains("rt-1"), "{rendered}");
    assert!(
        rendered.contains("Authorization: Basic «redacted»"),
        "{rendered}"
    );
    assert!(rendered.contains("eyJhbGci…«redacted»"), "{rendered}");

    // A wrong code: an RFC 6749 §5.2 error.
    let bad = TokenRequest::authorization_code(&AuthorizationCode::new("nope"))
        .send(
            &driver,
            &base.join("token").unwrap(),
            &ClientAuth::Post {
                id: ClientId::new("demo"),
                secret: ClientSecret::new("x"),
            },
        )
        .await
        .unwrap();
    assert_eq!(bad.status, 400);
    let e = bad.error().expect("an error response");
    assert_eq!(e.error, "invalid_grant");
    assert_eq!(e.error_description.as_deref(), Some("unknown code"));
    let s = seen.lock().unwrap();
    assert_eq!(s.token_auth, None);
    assert_eq!(s.token_form.as_ref().unwrap()["client_secret"], "x");
}

#[tokio::test]
async fn deny_at_consent_comes_back_as_an_error_response() {
    let (base, _seen, driver) = serve().await;
    let verifier = PkceCodeVerifier::new_random();
    let opts = WalkOptions {
        consent: ConsentChoice::Deny,
        ..alice()
    };
    let outcome = authorize(
        &driver,
        &driver.new_browser(),
        &request(&base, "demo", &verifier).url(),
        REDIRECT_URI,
        &opts,
    )
    .await
    .unwrap();
    let r = outcome.response().unwrap();
    assert_eq!(r.error.as_deref(), Some("access_denied"));
    assert!(r.code.is_none());
}

#[tokio::test]
async fn unknown_client_is_not_redirected() {
    let (base, _seen, driver) = serve().await;
    let verifier = PkceCodeVerifier::new_random();
    let outcome = authorize(
        &driver,
        &driver.new_browser(),
        &request(&base, "stranger", &verifier).url(),
        REDIRECT_URI,
        &alice(),
    )
    .await
    .unwrap();
    match outcome {
        AuthorizationOutcome::NotRedirected(ref s) => {
            assert_eq!(s.status, 400);
            assert_eq!(s.reason, StopReason::ErrorStatus);
            assert!(s.body_excerpt.contains("Unknown client"));
            assert!(
                outcome
                    .to_string()
                    .starts_with("not redirected, status 400")
            );
        }
        other => panic!("expected no redirect, got {other:?}"),
    }
}

#[tokio::test]
async fn wrong_password_stops_as_login_rejected() {
    let (base, seen, driver) = serve().await;
    let mut opts = alice();
    opts.login.as_mut().unwrap().password = "wrong".into();
    let outcome = authorize(
        &driver,
        &driver.new_browser(),
        &request(&base, "demo", &PkceCodeVerifier::new_random()).url(),
        REDIRECT_URI,
        &opts,
    )
    .await
    .unwrap();
    match outcome {
        AuthorizationOutcome::NotRedirected(s) => assert_eq!(s.reason, StopReason::LoginRejected),
        other => panic!("{other:?}"),
    }
    assert_eq!(seen.lock().unwrap().login_posts, 1);

    // Without credentials the walker says so rather than guessing.
    let outcome = authorize(
        &driver,
        &driver.new_browser(),
        &request(&base, "demo", &PkceCodeVerifier::new_random()).url(),
        REDIRECT_URI,
        &WalkOptions::default(),
    )
    .await
    .unwrap();
    assert!(matches!(
        outcome,
        AuthorizationOutcome::NotRedirected(Stopped {
            reason: StopReason::LoginRequired,
            ..
        })
    ));
}

#[tokio::test]
async fn a_fresh_browser_has_no_session() {
    let (base, _seen, driver) = serve().await;
    let browser = driver.new_browser();
    // Start a session in one browser…
    let r = driver
        .send_in(
            &browser,
            HttpRequest::get(request(&base, "demo", &PkceCodeVerifier::new_random()).url()),
        )
        .await
        .unwrap();
    assert_eq!(r.status, 303);
    let page = base.join("interaction/42").unwrap();
    let same = driver
        .send_in(&browser, HttpRequest::get(page.clone()))
        .await
        .unwrap();
    assert_eq!(same.status, 200);
    // …another browser does not share it, and neither do cookie-less requests.
    let other = driver
        .send_in(&driver.new_browser(), HttpRequest::get(page.clone()))
        .await
        .unwrap();
    assert_eq!(other.status, 400);
    assert_eq!(
        driver.send(HttpRequest::get(page)).await.unwrap().status,
        400
    );
}

#[tokio::test]
async fn redirects_to_unnamed_hosts_and_loops_are_not_followed() {
    let (base, _seen, driver) = serve().await;
    let outcome = authorize(
        &driver,
        &driver.new_browser(),
        &base.join("elsewhere").unwrap(),
        REDIRECT_URI,
        &alice(),
    )
    .await
    .unwrap();
    match outcome {
        AuthorizationOutcome::RedirectedElsewhere { status, location } => {
            assert_eq!(status, 303);
            assert_eq!(location.host_str(), Some("evil.example"));
        }
        other => panic!("{other:?}"),
    }
    let before = driver.evidence().len();
    let outcome = authorize(
        &driver,
        &driver.new_browser(),
        &base.join("loop").unwrap(),
        REDIRECT_URI,
        &alice(),
    )
    .await
    .unwrap();
    assert!(matches!(
        outcome,
        AuthorizationOutcome::NotRedirected(Stopped {
            reason: StopReason::TooManySteps,
            ..
        })
    ));
    assert_eq!(driver.evidence().len() - before, 10);
}

#[test]
fn authorization_request_parameters_can_be_overridden_duplicated_and_removed() {
    let v = PkceCodeVerifier::new("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk");
    let endpoint = Url::parse("http://127.0.0.1:8080/authorize?tenant=a").unwrap();
    let r = AuthorizationRequest::code(
        endpoint,
        &ClientId::new("demo"),
        REDIRECT_URI,
        None,
        "s1",
        Some(&PkceCodeChallenge::s256(&v)),
    );
    assert_eq!(
        r.url().as_str(),
        "http://127.0.0.1:8080/authorize?tenant=a&response_type=code&client_id=demo&redirect_uri=http%3A%2F%2F127.0.0.1%3A9%2Fcallback&state=s1&code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM&code_challenge_method=S256"
    );
    let r = r
        .remove("code_challenge_method")
        .append("state", "s2")
        .set("response_type", "token");
    let url = r.url();
    let pairs: Vec<(String, String)> = url.query_pairs().into_owned().collect();
    assert_eq!(pairs.iter().filter(|(k, _)| k == "state").count(), 2);
    assert!(!pairs.iter().any(|(k, _)| k == "code_challenge_method"));
    assert_eq!(r.get("response_type"), Some("token"));
    // set() collapses duplicates back to one value in the first position.
    let r = r.set("state", "s3");
    assert_eq!(r.params.iter().filter(|(k, _)| k == "state").count(), 1);
    assert_eq!(r.get("state"), Some("s3"));
}

#[test]
fn redirect_uri_matching_is_exact_on_origin_and_path() {
    let m = |u: &str| matches_redirect_uri(&Url::parse(u).unwrap(), REDIRECT_URI);
    assert!(m("http://127.0.0.1:9/callback?code=x"));
    assert!(m("http://127.0.0.1:9/callback#access_token=x"));
    assert!(!m("http://127.0.0.1:9/callbackevil?code=x"));
    assert!(!m("http://127.0.0.1:10/callback?code=x"));
    assert!(!m("https://127.0.0.1:9/callback?code=x"));
}

#[test]
fn fragment_responses_are_parsed() {
    let r = AuthorizationResponse::from_location(
        Url::parse("http://127.0.0.1:9/callback#error=invalid_request&state=s&state=t").unwrap(),
        302,
    );
    assert_eq!(r.delivery, ResponseDelivery::Fragment);
    assert_eq!(r.error.as_deref(), Some("invalid_request"));
    assert_eq!(r.count("state"), 2);
}

#[test]
fn client_auth_variants_put_credentials_where_they_say() {
    let id = ClientId::new("c");
    let secret = ClientSecret::new("p w");
    let apply = |a: ClientAuth| {
        let mut form = Vec::new();
        let req = a.apply(
            HttpRequest::post(Url::parse("http://h/t").unwrap()),
            &mut form,
        );
        (req.headers, form)
    };
    let (h, f) = apply(ClientAuth::Basic {
        id: id.clone(),
        secret: secret.clone(),
    });
    assert_eq!(h[0].1, format!("Basic {}", STANDARD.encode("c:p+w")));
    assert!(f.is_empty());
    let (h, _) = apply(ClientAuth::BasicUnencoded {
        id: id.clone(),
        secret: secret.clone(),
    });
    assert_eq!(h[0].1, format!("Basic {}", STANDARD.encode("c:p w")));
    let (h, f) = apply(ClientAuth::BasicAndPost {
        id: id.clone(),
        secret: secret.clone(),
    });
    assert_eq!(h.len(), 1);
    assert_eq!(f.len(), 2);
    let (h, f) = apply(ClientAuth::None { id: id.clone() });
    assert!(h.is_empty());
    assert_eq!(f, vec![("client_id".to_owned(), "c".to_owned())]);
    let (h, f) = apply(ClientAuth::Omitted);
    assert!(h.is_empty() && f.is_empty());
    assert!(ClientAuth::for_method(AuthMethod::ClientSecretBasic, &id, None).is_none());
    assert!(matches!(
        ClientAuth::for_method(AuthMethod::ClientSecretPost, &id, Some(&secret)),
        Some(ClientAuth::Post { .. })
    ));
    // RFC 8705 §2: the certificate is in the handshake; the body names the client, nothing else.
    for method in [
        AuthMethod::TlsClientAuth,
        AuthMethod::SelfSignedTlsClientAuth,
    ] {
        let auth = ClientAuth::for_method(method, &id, None).unwrap();
        let (h, f) = apply(auth);
        assert!(h.is_empty(), "{method}");
        assert_eq!(
            f,
            vec![("client_id".to_owned(), "c".to_owned())],
            "{method}"
        );
    }
}

#[test]
fn www_authenticate_challenges_are_parsed() {
    let c = parse_www_authenticate(
        r#"Bearer realm="http://127.0.0.1:3001", error="insufficient_scope", error_description="token lacks \"x\"", scope="notes:write", Basic realm=api"#,
    );
    assert_eq!(c.len(), 2);
    assert_eq!(c[0].scheme, "Bearer");
    assert_eq!(c[0].param("error"), Some("insufficient_scope"));
    assert_eq!(c[0].param("error_description"), Some(r#"token lacks "x""#));
    assert_eq!(c[0].param("scope"), Some("notes:write"));
    assert_eq!(c[1].scheme, "Basic");
    assert_eq!(c[1].param("realm"), Some("api"));
    assert_eq!(parse_www_authenticate("Bearer")[0].params.len(), 0);
}
