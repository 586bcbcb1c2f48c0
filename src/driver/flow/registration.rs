//! Dynamic client registration (RFC 7591).

use url::Url;

use super::FlowError;
use super::answers::{EndpointResponse, RegistrationResponse, read_answer};
use crate::driver::http::{Driver, HttpRequest};
use crate::protocol::InitialAccessToken;

/// RFC 7591: registers a client with this metadata (a JSON object).
pub async fn register(
    driver: &Driver,
    endpoint: &Url,
    metadata: &serde_json::Value,
    initial_access_token: Option<&InitialAccessToken>,
) -> Result<EndpointResponse<RegistrationResponse>, FlowError> {
    let mut req = HttpRequest::post(endpoint.clone())
        .header("Accept", "application/json")
        .json(metadata.clone());
    if let Some(t) = initial_access_token {
        req = req.bearer(t.secret());
    }
    Ok(read_answer(driver.send(req).await?))
}
