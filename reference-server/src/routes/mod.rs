//! The HTTP surface: one module per endpoint family.

mod admin;
mod authorize;
mod introspection;
mod metadata;
mod registration;
mod resource;
mod revocation;
mod script_login;
mod token;
pub(crate) mod upstream;
mod userinfo;

use axum::Router;
use axum::extract::{DefaultBodyLimit, Request};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};

use crate::error::OAuthError;
use crate::form::MAX_BODY;
use crate::state::AppState;

/// Total size of request headers above which a request is refused (431).
pub const MAX_HEADER_BYTES: usize = 16 * 1024;

/// The whole server: authorization server, resource server, and (with
/// test-admin on) the admin API.
pub fn app(state: AppState) -> Router {
    let mut router = Router::new()
        .route(
            "/.well-known/oauth-authorization-server",
            get(metadata::oauth_discovery),
        )
        .route(
            "/.well-known/openid-configuration",
            get(metadata::openid_discovery),
        )
        .route("/jwks", get(metadata::jwks))
        .route("/healthz", get(metadata::healthz))
        .route("/register", post(registration::register))
        .route(
            "/register/{client_id}",
            get(registration::read)
                .put(registration::update)
                .delete(registration::delete),
        )
        .route(
            "/authorize",
            get(authorize::authorize).post(authorize::authorize_post),
        )
        .route(
            "/interaction/{id}",
            get(authorize::login_page).post(authorize::login),
        )
        .route(
            "/interaction/{id}/consent",
            get(authorize::consent_page).post(authorize::consent),
        )
        .route("/interaction/{id}/api/login", post(script_login::login))
        .route("/interaction/{id}/upstream/{name}", post(upstream::start))
        .route("/interaction/{id}/abort", post(upstream::abort))
        .route(crate::upstream::CALLBACK_PATH, get(upstream::callback))
        .route("/token", post(token::token))
        .route("/revoke", post(revocation::revoke))
        .route("/introspect", post(introspection::introspect))
        .route("/userinfo", get(userinfo::get).post(userinfo::post))
        .route("/api/profile", get(resource::profile))
        .route(
            "/api/notes",
            get(resource::list_notes).post(resource::add_note),
        );
    if state.admin_token.is_some() {
        router = router.nest("/__admin", admin::router(state.clone()));
    }
    router
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(DefaultBodyLimit::max(MAX_BODY))
        .layer(middleware::from_fn_with_state(state.clone(), guard_request))
        .layer(tower_http::catch_panic::CatchPanicLayer::custom(
            panic_response,
        ))
        .with_state(state)
}

async fn not_found() -> Response {
    OAuthError::invalid_request("no such endpoint")
        .with_status(StatusCode::NOT_FOUND)
        .into_response()
}

async fn method_not_allowed() -> Response {
    OAuthError::invalid_request("method not allowed on this endpoint")
        .with_status(StatusCode::METHOD_NOT_ALLOWED)
        .into_response()
}

/// Refuses, up front and in the error format of the endpoint (JSON; the
/// HTML error page under `/interaction/`), what no handler could read: a
/// path that is not UTF-8 once percent-decoded (400, which axum's path
/// extraction would answer in plain text), a body announced larger than
/// [`MAX_BODY`] (413), headers larger than [`MAX_HEADER_BYTES`] (431).
async fn guard_request(
    axum::extract::State(state): axum::extract::State<AppState>,
    req: Request,
    next: Next,
) -> Response {
    let path = req.uri().path();
    if percent_encoding::percent_decode_str(path)
        .decode_utf8()
        .is_err()
    {
        let d = "the request path is not valid UTF-8 once percent-decoded";
        return if path.starts_with("/interaction/") {
            crate::pages::error_page(
                &state.templates,
                StatusCode::BAD_REQUEST,
                "invalid_request",
                d,
            )
        } else {
            OAuthError::invalid_request(d).into_response()
        };
    }
    let announced = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if announced.is_some_and(|n| n > MAX_BODY as u64) {
        return OAuthError::invalid_request(format!(
            "request body is larger than {MAX_BODY} bytes"
        ))
        .with_status(StatusCode::PAYLOAD_TOO_LARGE)
        .into_response();
    }
    let header_bytes: usize = req
        .headers()
        .iter()
        .map(|(k, v)| k.as_str().len() + v.len() + 4)
        .sum();
    if header_bytes > MAX_HEADER_BYTES {
        return OAuthError::invalid_request(format!(
            "request headers exceed {MAX_HEADER_BYTES} bytes"
        ))
        .with_status(StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE)
        .into_response();
    }
    next.run(req).await
}

fn panic_response(_: Box<dyn std::any::Any + Send + 'static>) -> Response {
    tracing::error!("a handler panicked");
    let mut res = OAuthError::server_error("internal error").into_response();
    res.headers_mut()
        .insert(header::CONNECTION, HeaderValue::from_static("close"));
    res
}

/// Writes an OAuth error of the token, revocation or introspection
/// endpoint: the RFC 6749 §5.2 response, or under a fault its broken form.
pub(crate) fn error_response(state: &AppState, err: OAuthError) -> Response {
    use crate::faults::Fault;
    let invalid_client = err.code == crate::error::ErrorCode::InvalidClient;
    let err = if invalid_client && state.fault(Fault::InvalidClient400) {
        err.with_status(StatusCode::BAD_REQUEST)
    } else {
        err
    };
    if state.fault(Fault::ErrorDescriptionCrlf) {
        let body = serde_json::json!({
            "error": err.code.as_str(),
            "error_description": format!("{}\r\nSee \"the logs\".", err.description),
        });
        return no_store((err.status, axum::Json(body)).into_response());
    }
    let mut res = err.into_response();
    if invalid_client && state.fault(Fault::InvalidClientNoChallenge) {
        res.headers_mut().remove(header::WWW_AUTHENTICATE);
    }
    res
}

/// Adds `Cache-Control: no-store` and `Pragma: no-cache`, which every
/// response carrying tokens or credentials needs (RFC 6749 §5.1).
pub(crate) fn no_store(mut res: Response) -> Response {
    let h = res.headers_mut();
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
    res
}
