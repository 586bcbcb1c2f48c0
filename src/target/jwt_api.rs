//! Requests to a jwt-api target (an API that issues its own JWTs from a login endpoint, such
//! as a Flask-JWT-Extended app): log in, refresh, log out.

use url::Url;

use super::profile::{JwtApiProfile, JwtUser, RefreshWith};
use crate::driver::flow::FlowError;
use crate::driver::http::{Driver, HttpRequest, HttpResponse};
use crate::protocol::{AccessToken, RefreshToken};

/// What a login or refresh answered: the raw response, and the tokens found in it.
#[derive(Clone, Debug)]
pub struct JwtLogin {
    pub response: HttpResponse,
    /// The `token_field` of a 2xx JSON answer.
    pub access_token: Option<AccessToken>,
    /// The `refresh_token_field` of a 2xx JSON answer.
    pub refresh_token: Option<RefreshToken>,
}

fn read_tokens(api: &JwtApiProfile, response: HttpResponse) -> JwtLogin {
    let json: Option<serde_json::Value> = (200..300)
        .contains(&response.status)
        .then(|| response.json().ok())
        .flatten();
    let field = |name: &str| {
        json.as_ref()
            .and_then(|j| j.get(name))
            .and_then(|v| v.as_str())
            .map(str::to_owned)
    };
    JwtLogin {
        access_token: field(&api.token_field).map(AccessToken::new),
        refresh_token: field(&api.refresh_token_field).map(RefreshToken::new),
        response,
    }
}

/// `POST login_url` with the profile's body template filled in for `user`.
pub async fn login(
    driver: &Driver,
    api: &JwtApiProfile,
    user: &JwtUser,
) -> Result<JwtLogin, FlowError> {
    let req = HttpRequest::post(api.login_url.clone())
        .header("Accept", "application/json")
        .json(api.login_body_for(user));
    Ok(read_tokens(api, driver.send(req).await?))
}

/// `POST refresh_url` with the refresh token, as a Bearer header or in a JSON body. `None` if
/// the profile names no refresh URL.
pub async fn refresh(
    driver: &Driver,
    api: &JwtApiProfile,
    refresh_token: &RefreshToken,
) -> Result<Option<JwtLogin>, FlowError> {
    let Some(url) = &api.refresh_url else {
        return Ok(None);
    };
    let req = HttpRequest::post(url.clone()).header("Accept", "application/json");
    let req = match api.refresh_with {
        RefreshWith::Bearer => req.bearer(refresh_token.secret()),
        RefreshWith::Body => req.json(serde_json::json!({
            api.refresh_token_field.clone(): refresh_token.secret()
        })),
    };
    Ok(Some(read_tokens(api, driver.send(req).await?)))
}

/// `POST logout_url` with the access token as Bearer. `None` if the profile names no logout URL.
pub async fn logout(
    driver: &Driver,
    api: &JwtApiProfile,
    access_token: &AccessToken,
) -> Result<Option<HttpResponse>, FlowError> {
    let Some(url) = &api.logout_url else {
        return Ok(None);
    };
    let url: Url = url.clone();
    Ok(Some(
        driver
            .send(HttpRequest::post(url).bearer(access_token.secret()))
            .await?,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::Json;
    use axum::Router;
    use axum::http::{HeaderMap, StatusCode};
    use axum::routing::post;

    use crate::target::TargetProfile;

    /// The shape of the flask-jwt-api peer: JSON login, refresh token as Bearer, logout.
    fn app() -> Router {
        Router::new()
            .route(
                "/login",
                post(|Json(b): Json<serde_json::Value>| async move {
                    if b["username"] == "alice" && b["password"] == "alice-password" {
                        (StatusCode::OK, Json(serde_json::json!({"access_token": "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2ln", "refresh_token": "refresh-1"})))
                    } else {
                        (StatusCode::UNAUTHORIZED, Json(serde_json::json!({"msg": "Bad username or password"})))
                    }
                }),
            )
            .route(
                "/refresh",
                post(|h: HeaderMap| async move {
                    if h.get("authorization").and_then(|v| v.to_str().ok()) == Some("Bearer refresh-1") {
                        (StatusCode::OK, Json(serde_json::json!({"access_token": "access-2"})))
                    } else {
                        (StatusCode::UNAUTHORIZED, Json(serde_json::json!({"msg": "no"})))
                    }
                }),
            )
            .route("/logout", post(|| async { Json(serde_json::json!({"msg": "token revoked"})) }))
    }

    #[tokio::test]
    async fn login_refresh_and_logout_like_flask_jwt_extended() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        tokio::spawn(async move { axum::serve(listener, app()).await.unwrap() });
        let text = std::fs::read_to_string(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("examples/targets/flask-jwt-api.toml"),
        )
        .unwrap()
        .replace("127.0.0.1:5000", &format!("127.0.0.1:{port}"));
        let profile = TargetProfile::parse(&text, "flask-jwt-api.toml").unwrap();
        let driver = profile.driver().unwrap();
        let api = profile.jwt_api.as_ref().unwrap();

        let alice = &api.users[0];
        let ok = login(&driver, api, alice).await.unwrap();
        assert_eq!(ok.response.status, 200);
        assert!(ok.access_token.is_some());
        let rt = ok.refresh_token.expect("a refresh token");

        let mut wrong = alice.clone();
        wrong.password = "nope".into();
        let bad = login(&driver, api, &wrong).await.unwrap();
        assert_eq!(bad.response.status, 401);
        assert!(bad.access_token.is_none());

        let refreshed = refresh(&driver, api, &rt).await.unwrap().unwrap();
        assert_eq!(refreshed.access_token.unwrap().secret(), "access-2");
        let out = logout(&driver, api, ok.access_token.as_ref().unwrap())
            .await
            .unwrap()
            .unwrap();
        assert_eq!(out.status, 200);

        let evidence = driver.evidence().to_string();
        assert!(!evidence.contains("alice-password"), "{evidence}");
        assert!(!evidence.contains("refresh-1"), "{evidence}");
    }
}
