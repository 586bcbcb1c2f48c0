//! HTML pages, rendered by minijinja with auto-escaping: the login form, the
//! consent form, and the error page shown when a request cannot be sent
//! back to the client (RFC 6749 §4.1.2.1: never redirect to an unverified
//! redirect URI).

use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use minijinja::{Environment, context};

pub fn environment() -> Environment<'static> {
    let mut env = Environment::new();
    // `.html` names turn on HTML auto-escaping.
    for (name, src) in [
        ("layout.html", include_str!("../templates/layout.html")),
        ("login.html", include_str!("../templates/login.html")),
        (
            "login_script.html",
            include_str!("../templates/login_script.html"),
        ),
        ("consent.html", include_str!("../templates/consent.html")),
        ("error.html", include_str!("../templates/error.html")),
        (
            "upstream_error.html",
            include_str!("../templates/upstream_error.html"),
        ),
    ] {
        env.add_template(name, src)
            .expect("built-in templates parse");
    }
    env
}

/// Renders a template; a rendering failure is a 500 page, never a panic.
pub fn render(
    env: &Environment<'_>,
    name: &str,
    status: StatusCode,
    ctx: minijinja::Value,
) -> Response {
    match env.get_template(name).and_then(|t| t.render(ctx)) {
        Ok(html) => {
            let mut res = (status, Html(html)).into_response();
            res.headers_mut().insert(
                axum::http::header::CACHE_CONTROL,
                axum::http::HeaderValue::from_static("no-store"),
            );
            res.headers_mut().insert(
                "x-frame-options",
                axum::http::HeaderValue::from_static("DENY"),
            );
            res
        }
        Err(e) => {
            tracing::error!("template {name}: {e}");
            (StatusCode::INTERNAL_SERVER_ERROR, "template error").into_response()
        }
    }
}

/// The error page for requests that must not be redirected.
pub fn error_page(
    env: &Environment<'_>,
    status: StatusCode,
    error: &str,
    description: &str,
) -> Response {
    render(env, "error.html", status, context! { error, description })
}
