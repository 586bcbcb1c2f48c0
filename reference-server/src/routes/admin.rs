//! The test-admin API (`--test-admin` only): move the clock, rotate keys,
//! set per-client lifetimes, so expiry and rotation scenarios run at once.
//! Every call needs the admin bearer token printed at start.

use axum::extract::{Path, Request, State};
use axum::http::{StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::json;

use crate::error::{BearerError, OAuthError};
use crate::secrets::SecretHash;
use crate::state::AppState;
use crate::store::Lifetimes;

/// The longest lifetime the admin API sets: ten years, so that `now +
/// lifetime` stays far from overflow whatever the clock says.
pub const MAX_LIFETIME: i64 = 10 * 365 * 86_400;

pub fn router(state: AppState) -> Router<AppState> {
    Router::new()
        .route("/clock", get(clock))
        .route("/clock/advance", post(advance))
        .route("/keys/rotate", post(rotate))
        .route("/sign", post(sign))
        .route("/clients/{client_id}/lifetimes", put(lifetimes))
        .route(
            "/upstreams/{name}",
            put(super::upstream::admin_put).delete(super::upstream::admin_delete),
        )
        .route_layer(middleware::from_fn_with_state(state, require_admin))
}

async fn require_admin(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let Some(expected) = &state.admin_token else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let presented = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split_once(' '))
        .filter(|(s, _)| s.eq_ignore_ascii_case("bearer"))
        .map(|(_, t)| t.trim());
    match presented {
        Some(t) if SecretHash::of(t).ct_eq(&SecretHash::of(expected.expose())) => {
            next.run(req).await
        }
        Some(_) => BearerError::InvalidToken("wrong admin token".into()).into_response(),
        None => BearerError::Missing.into_response(),
    }
}

async fn clock(State(state): State<AppState>) -> Response {
    Json(json!({ "now": state.clock.now(), "offset": state.clock.offset() })).into_response()
}

#[derive(Deserialize)]
struct Advance {
    seconds: i64,
}

async fn advance(
    State(state): State<AppState>,
    body: Result<Json<Advance>, axum::extract::rejection::JsonRejection>,
) -> Response {
    match body {
        Ok(Json(a)) => match state.clock.advance(a.seconds) {
            Ok(now) => Json(json!({ "now": now, "offset": state.clock.offset() })).into_response(),
            Err(e) => OAuthError::invalid_request(format!("seconds: {e}")).into_response(),
        },
        Err(e) => OAuthError::invalid_request(e.body_text()).into_response(),
    }
}

async fn rotate(State(state): State<AppState>) -> Response {
    match state.rotate_keys() {
        Ok(kid) => Json(json!({ "kid": kid })).into_response(),
        Err(e) => OAuthError::server_error(e.to_string()).into_response(),
    }
}

async fn lifetimes(
    State(state): State<AppState>,
    Path(client_id): Path<String>,
    body: Result<Json<Lifetimes>, axum::extract::rejection::JsonRejection>,
) -> Response {
    let Json(l) = match body {
        Ok(b) => b,
        Err(e) => return OAuthError::invalid_request(e.body_text()).into_response(),
    };
    for (field, value) in [
        ("access_token", l.access_token),
        ("refresh_token", l.refresh_token),
        ("code", l.code),
    ] {
        if let Some(v) = value.filter(|v| !(1..=MAX_LIFETIME).contains(v)) {
            return OAuthError::invalid_request(format!(
                "{field}: {v} is out of range (1 to {MAX_LIFETIME} seconds)"
            ))
            .into_response();
        }
    }
    let mut client = match state.store.client(&client_id) {
        Ok(Some(c)) => c,
        Ok(None) => {
            return OAuthError::invalid_request("unknown client")
                .with_status(StatusCode::NOT_FOUND)
                .into_response();
        }
        Err(e) => return OAuthError::server_error(e.to_string()).into_response(),
    };
    client.lifetimes = l;
    if let Some(ttl) = l.access_token {
        state.note_access_ttl(ttl);
    }
    match state.store.put_client(&client) {
        Ok(()) => Json(json!({ "client_id": client_id, "lifetimes": l })).into_response(),
        Err(e) => OAuthError::server_error(e.to_string()).into_response(),
    }
}

#[derive(Deserialize)]
struct SignRequest {
    /// Header members added to (or replacing) `typ` and `kid`; `alg` is
    /// always the active key's.
    #[serde(default)]
    header: serde_json::Map<String, serde_json::Value>,
    claims: serde_json::Value,
}

/// `POST /__admin/sign`: signs any header and claims with the active key,
/// so the spec can check that the resource server refuses validly signed
/// tokens with wrong claims (`iss`, `aud`, `nbf`, `typ`, `crit`…).
async fn sign(
    State(state): State<AppState>,
    body: Result<Json<SignRequest>, axum::extract::rejection::JsonRejection>,
) -> Response {
    use base64::Engine;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let Json(req) = match body {
        Ok(b) => b,
        Err(e) => return OAuthError::invalid_request(e.body_text()).into_response(),
    };
    let key = state.keys().active;
    let mut header = serde_json::Map::new();
    header.insert("typ".into(), json!("at+jwt"));
    header.insert("kid".into(), json!(key.kid()));
    header.extend(req.header);
    header.insert("alg".into(), json!(key.alg().as_str()));
    let enc =
        |v: &serde_json::Value| URL_SAFE_NO_PAD.encode(serde_json::to_vec(v).unwrap_or_default());
    let input = format!(
        "{}.{}",
        enc(&serde_json::Value::Object(header)),
        enc(&req.claims)
    );
    match key.sign(input.as_bytes()) {
        Ok(sig) => Json(json!({ "token": format!("{input}.{}", URL_SAFE_NO_PAD.encode(sig)) }))
            .into_response(),
        Err(e) => OAuthError::server_error(e.to_string()).into_response(),
    }
}
