//! A bounded fuzz test through the in-process router: thousands of
//! generated form, query and JSON bodies against every endpoint that
//! reads one. Whatever comes in, the answer is never a 5xx, and every
//! refusal is in the endpoint's error format (RFC 6749 §5.2 JSON; an HTML
//! page or a redirect at the authorization endpoint).

use axum::body::Body;
use axum::http::{Method, Request, header};
use oauthspec_reference_server::config::StaticClient;
use oauthspec_reference_server::server::open_store;
use oauthspec_reference_server::{AppState, Settings, Storage, app};
use proptest::prelude::*;
use tower::ServiceExt as _;

const KEYS: &[&str] = &[
    "grant_type",
    "code",
    "client_id",
    "client_secret",
    "client_secret",
    "redirect_uri",
    "scope",
    "state",
    "refresh_token",
    "token",
    "token_type_hint",
    "code_verifier",
    "code_challenge",
    "code_challenge_method",
    "response_type",
    "nonce",
    "access_token",
    "prompt",
    "max_age",
    "request",
    "request_uri",
    "login_hint",
    "",
    "x",
];

const VALUES: &[&str] = &[
    "authorization_code",
    "refresh_token",
    "client_credentials",
    "password",
    "code",
    "token",
    "S256",
    "plain",
    "profile notes:read",
    "openid profile email",
    "none",
    "none login",
    "-1",
    "http://127.0.0.1:8765/callback",
    "fuzz-client",
    "fuzz-client-secret-0123456789",
    "eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.",
    "",
    "%",
    "%FF%FE",
    "%00",
    "a%20b",
    "\u{202e}é😀",
];

/// A value: one of the interesting ones, or arbitrary text, or raw bytes
/// that need not be UTF-8.
fn value() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        proptest::sample::select(VALUES).prop_map(|v| v.as_bytes().to_vec()),
        ".{0,40}".prop_map(String::into_bytes),
        proptest::collection::vec(any::<u8>(), 0..40),
        (0usize..5000).prop_map(|n| vec![b'a'; n]),
    ]
}

/// Grant types, real and not, for the leading `grant_type` most forms
/// carry (so the generated requests reach each grant's own handling).
const GRANTS: &[&str] = &[
    "authorization_code",
    "refresh_token",
    "client_credentials",
    "password",
    "urn:ietf:params:oauth:grant-type:device_code",
    "implicit",
    "",
];

/// `k=v&k=v…`, keys possibly repeated, separators possibly missing; most
/// start with a grant type.
fn form() -> impl Strategy<Value = Vec<u8>> {
    (
        proptest::option::weighted(0.8, proptest::sample::select(GRANTS)),
        proptest::collection::vec(
            (proptest::sample::select(KEYS), value(), any::<bool>()),
            0..8,
        ),
    )
        .prop_map(|(grant, pairs)| {
            let mut out = Vec::new();
            if let Some(g) = grant {
                out.extend_from_slice(format!("grant_type={g}").as_bytes());
                if !pairs.is_empty() {
                    out.push(b'&');
                }
            }
            for (i, (k, v, eq)) in pairs.into_iter().enumerate() {
                if i > 0 {
                    out.push(b'&');
                }
                out.extend_from_slice(k.as_bytes());
                if eq {
                    out.push(b'=');
                }
                out.extend_from_slice(&v);
            }
            out
        })
}

/// Any JSON, and registration-shaped objects with odd members.
fn json() -> impl Strategy<Value = Vec<u8>> {
    let leaf = prop_oneof![
        Just(serde_json::Value::Null),
        any::<bool>().prop_map(serde_json::Value::from),
        any::<i64>().prop_map(serde_json::Value::from),
        any::<f64>().prop_map(|f| serde_json::Number::from_f64(f)
            .map_or(serde_json::Value::Null, serde_json::Value::Number)),
        ".{0,30}".prop_map(serde_json::Value::from),
    ];
    let any_json = leaf.prop_recursive(3, 32, 6, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..6).prop_map(serde_json::Value::from),
            proptest::collection::btree_map(
                prop_oneof![
                    proptest::sample::select(
                        &[
                            "redirect_uris",
                            "grant_types",
                            "response_types",
                            "token_endpoint_auth_method",
                            "scope",
                            "client_name",
                            "jwks",
                            "seconds",
                            "access_token",
                        ][..]
                    )
                    .prop_map(str::to_owned),
                    ".{0,10}",
                ],
                inner,
                0..6
            )
            .prop_map(|m| serde_json::Value::Object(m.into_iter().collect())),
        ]
    });
    prop_oneof![
        any_json.prop_map(|v| v.to_string().into_bytes()),
        proptest::collection::vec(any::<u8>(), 0..60),
    ]
}

fn server() -> (axum::Router, String) {
    let settings = Settings {
        test_admin: true,
        // A real client, so generated requests get past client
        // authentication to the grant handling behind it.
        clients: vec![StaticClient {
            client_id: "fuzz-client".into(),
            client_secret: Some("fuzz-client-secret-0123456789".into()),
            redirect_uris: vec!["http://127.0.0.1:8765/callback".into()],
            grant_types: vec![
                "authorization_code".into(),
                "refresh_token".into(),
                "client_credentials".into(),
            ],
            token_endpoint_auth_method: "client_secret_basic".into(),
            scope: Some("profile notes:read notes:write".into()),
        }],
        ..Settings::default()
    };
    let store = open_store(&Storage::Memory).unwrap();
    let state = AppState::new(&settings, "http://127.0.0.1:1".into(), store).unwrap();
    let admin = state.admin_token.as_ref().unwrap().expose().to_owned();
    (app(state), admin)
}

/// Sends one request in-process; the status, content type and body.
fn send(
    rt: &tokio::runtime::Runtime,
    router: &axum::Router,
    req: Request<Body>,
) -> (u16, String, Vec<u8>) {
    rt.block_on(async {
        let res = router.clone().oneshot(req).await.unwrap();
        let status = res.status().as_u16();
        let ct = res
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_owned();
        let body = axum::body::to_bytes(res.into_body(), 1 << 20)
            .await
            .unwrap()
            .to_vec();
        (status, ct, body)
    })
}

/// A JSON endpoint's answer: never 5xx; a refusal is an RFC 6749 §5.2
/// error object.
fn assert_json_answer(what: &str, (status, ct, body): (u16, String, Vec<u8>)) {
    assert!(
        status < 500,
        "{what}: {status} {}",
        String::from_utf8_lossy(&body)
    );
    if status >= 400 {
        assert!(ct.starts_with("application/json"), "{what}: {status} {ct}");
        let v: serde_json::Value = serde_json::from_slice(&body)
            .unwrap_or_else(|e| panic!("{what}: {status} body is not JSON: {e}"));
        assert!(v["error"].is_string(), "{what}: {v}");
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1500, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn forms_at_the_token_revocation_and_introspection_endpoints(
        body in form(),
        path in proptest::sample::select(&["/token", "/revoke", "/introspect"][..]),
        basic in any::<bool>(),
    ) {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        let (router, _) = server();
        let mut req = Request::post(path)
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
        if basic {
            req = req.header(header::AUTHORIZATION, "Basic ZnV6ei1jbGllbnQ6ZnV6ei1jbGllbnQtc2VjcmV0LTAxMjM0NTY3ODk=");
        }
        let answer = send(&rt, &router, req.body(Body::from(body)).unwrap());
        assert_json_answer(path, answer);
    }

    #[test]
    fn json_at_registration_and_the_admin_api(
        body in json(),
        path in proptest::sample::select(&[
            "/register",
            "/__admin/clock/advance",
            "/__admin/clients/x/lifetimes",
            "/__admin/upstreams/x",
            "/__admin/sign",
        ][..]),
    ) {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        let (router, admin) = server();
        let method = if path.contains("lifetimes") || path.contains("upstreams") {
            Method::PUT
        } else {
            Method::POST
        };
        let req = Request::builder()
            .method(method)
            .uri(path)
            .header(header::CONTENT_TYPE, "application/json")
            .header(header::AUTHORIZATION, format!("Bearer {admin}"))
            .body(Body::from(body))
            .unwrap();
        let answer = send(&rt, &router, req);
        assert_json_answer(path, answer);
    }

    #[test]
    fn forms_and_authorization_headers_at_userinfo(
        body in form(),
        authorization in proptest::option::of(value()),
        post in any::<bool>(),
    ) {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        let (router, _) = server();
        let mut req = Request::builder()
            .method(if post { Method::POST } else { Method::GET })
            .uri("/userinfo")
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
        if let Some(a) = authorization {
            let mut value = b"Bearer ".to_vec();
            value.extend(a);
            if let Ok(v) = header::HeaderValue::from_bytes(&value) {
                req = req.header(header::AUTHORIZATION, v);
            }
        }
        let res = rt.block_on(router.oneshot(req.body(Body::from(body)).unwrap())).unwrap();
        let status = res.status().as_u16();
        prop_assert!((400..500).contains(&status), "{status}");
        // RFC 6750 §3: every refusal carries its Bearer challenge.
        let challenge = res
            .headers()
            .get(header::WWW_AUTHENTICATE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        prop_assert!(challenge.starts_with("Bearer "), "{status} {challenge:?}");
    }

    #[test]
    fn queries_at_the_authorization_endpoint(query in form()) {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        let (router, _) = server();
        // Bytes a URI cannot hold are sent percent-encoded, as a browser would.
        let encoded: String = query
            .iter()
            .map(|&b| match b {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'&' | b'=' | b'%' | b'-' | b'_' | b'.' => (b as char).to_string(),
                _ => format!("%{b:02X}"),
            })
            .collect();
        let Ok(req) = Request::get(format!("/authorize?{encoded}")).body(Body::empty()) else {
            return Ok(());
        };
        let (status, ct, body) = send(&rt, &router, req);
        prop_assert!(status < 500, "{status} {}", String::from_utf8_lossy(&body));
        prop_assert!(
            (300..400).contains(&status) || ct.starts_with("text/html"),
            "{status} {ct}"
        );
    }
}
