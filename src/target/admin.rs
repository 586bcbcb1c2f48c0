//! The reference server's test-admin API (`oauthspec serve --test-admin`),
//! seen from the harness: moving the target's clock makes expiry scenarios
//! finish at once instead of sleeping.

use serde_json::{Value, json};
use url::Url;

use crate::driver::http::{Driver, DriverError, HttpRequest};

/// A handle on the admin API at `url` (e.g. `http://127.0.0.1:8080/__admin`).
#[derive(Clone)]
pub struct AdminApi {
    url: Url,
    token: String,
}

impl std::fmt::Debug for AdminApi {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AdminApi")
            .field("url", &self.url.as_str())
            .field("token", &"«redacted»")
            .finish()
    }
}

#[derive(Debug, thiserror::Error)]
pub enum AdminError {
    #[error(transparent)]
    Http(#[from] DriverError),
    #[error("the admin API answered {status}: {body}")]
    Status { status: u16, body: String },
    #[error("bad admin URL: {0}")]
    Url(String),
}

impl AdminApi {
    pub fn new(url: Url, token: impl Into<String>) -> Self {
        let mut url = url;
        if !url.path().ends_with('/') {
            url.set_path(&format!("{}/", url.path()));
        }
        Self {
            url,
            token: token.into(),
        }
    }

    fn endpoint(&self, path: &str) -> Result<Url, AdminError> {
        self.url
            .join(path)
            .map_err(|e| AdminError::Url(e.to_string()))
    }

    async fn call(&self, driver: &Driver, req: HttpRequest) -> Result<Value, AdminError> {
        let res = driver.send(req.bearer(&self.token)).await?;
        if !(200..300).contains(&res.status) {
            return Err(AdminError::Status {
                status: res.status,
                body: String::from_utf8_lossy(&res.body).into_owned(),
            });
        }
        Ok(res.json().unwrap_or(Value::Null))
    }

    /// Moves the target's clock forward by `seconds`.
    pub async fn advance_clock(&self, driver: &Driver, seconds: i64) -> Result<(), AdminError> {
        let req =
            HttpRequest::post(self.endpoint("clock/advance")?).json(json!({ "seconds": seconds }));
        self.call(driver, req).await.map(drop)
    }

    /// Signs `claims` with the target's active key (`POST sign`), with
    /// `header` members added to its usual `typ` and `kid`: a token the
    /// target itself vouches for, but with claims the spec chooses.
    pub async fn sign(
        &self,
        driver: &Driver,
        header: &Value,
        claims: &Value,
    ) -> Result<String, AdminError> {
        let req = HttpRequest::post(self.endpoint("sign")?)
            .json(json!({ "header": header, "claims": claims }));
        let v = self.call(driver, req).await?;
        Ok(v["token"].as_str().unwrap_or_default().to_owned())
    }

    /// Rotates the signing key; returns the new `kid`.
    pub async fn rotate_keys(&self, driver: &Driver) -> Result<String, AdminError> {
        let v = self
            .call(driver, HttpRequest::post(self.endpoint("keys/rotate")?))
            .await?;
        Ok(v["kid"].as_str().unwrap_or_default().to_owned())
    }

    /// Sets a client's token lifetimes, in seconds.
    pub async fn set_lifetimes(
        &self,
        driver: &Driver,
        client_id: &str,
        access_token: Option<i64>,
        refresh_token: Option<i64>,
        code: Option<i64>,
    ) -> Result<(), AdminError> {
        let mut body = serde_json::Map::new();
        for (k, v) in [
            ("access_token", access_token),
            ("refresh_token", refresh_token),
            ("code", code),
        ] {
            if let Some(v) = v {
                body.insert(k.into(), json!(v));
            }
        }
        let url = self.endpoint(&format!("clients/{client_id}/lifetimes"))?;
        let mut req = HttpRequest::new(reqwest::Method::PUT, url);
        req = req.json(Value::Object(body));
        self.call(driver, req).await.map(drop)
    }

    /// Configures an upstream provider the target's login page offers
    /// (`PUT upstreams/{name}`, the JSON form of an `[upstream.NAME]`
    /// table); returns the redirect URI the target uses with it.
    pub async fn put_upstream(
        &self,
        driver: &Driver,
        name: &str,
        settings: &Value,
    ) -> Result<String, AdminError> {
        let url = self.endpoint(&format!("upstreams/{name}"))?;
        let req = HttpRequest::new(reqwest::Method::PUT, url).json(settings.clone());
        let v = self.call(driver, req).await?;
        Ok(v["redirect_uri"].as_str().unwrap_or_default().to_owned())
    }
}
