//! Client authentication at the token, revocation and introspection
//! endpoints (RFC 6749 §2.3).

use axum::http::{HeaderMap, header};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;

use crate::error::OAuthError;
use crate::form::Params;
use crate::protocol::AuthMethod;
use crate::secrets::SecretHash;
use crate::state::AppState;
use crate::store::ClientRecord;

/// Credentials as presented, before they are checked.
enum Presented {
    Basic { id: String, secret: String },
    Post { id: String, secret: String },
    None { id: String },
}

fn form_decode(s: &str) -> Option<String> {
    let plus: String = s.replace('+', " ");
    percent_encoding::percent_decode_str(&plus)
        .decode_utf8()
        .ok()
        .map(|c| c.into_owned())
}

fn presented(headers: &HeaderMap, params: &Params) -> Result<Presented, OAuthError> {
    let basic = match headers
        .get_all(header::AUTHORIZATION)
        .iter()
        .collect::<Vec<_>>()
        .as_slice()
    {
        [] => None,
        [one] => {
            let value = one
                .to_str()
                .map_err(|_| OAuthError::invalid_client("the Authorization header is not ASCII"))?;
            match value.split_once(' ') {
                Some((scheme, rest)) if scheme.eq_ignore_ascii_case("basic") => {
                    let decoded = STANDARD
                        .decode(rest.trim())
                        .ok()
                        .and_then(|b| String::from_utf8(b).ok())
                        .ok_or_else(|| OAuthError::invalid_client("malformed Basic credentials"))?;
                    let (id, secret) = decoded
                        .split_once(':')
                        .ok_or_else(|| OAuthError::invalid_client("malformed Basic credentials"))?;
                    // RFC 6749 §2.3.1: both are form-urlencoded before Basic encoding.
                    let id = form_decode(id)
                        .ok_or_else(|| OAuthError::invalid_client("malformed Basic credentials"))?;
                    let secret = form_decode(secret)
                        .ok_or_else(|| OAuthError::invalid_client("malformed Basic credentials"))?;
                    Some((id, secret))
                }
                _ => None,
            }
        }
        _ => {
            return Err(OAuthError::invalid_request(
                "more than one Authorization header",
            ));
        }
    };
    let body_id = params.single("client_id")?;
    let body_secret = params.single("client_secret")?;
    match (basic, body_secret) {
        (Some(_), Some(_)) => Err(OAuthError::invalid_request(
            "the client used more than one authentication method (RFC 6749 §2.3)",
        )),
        (Some((id, secret)), None) => {
            if body_id.is_some_and(|b| b != id) {
                return Err(OAuthError::invalid_request(
                    "client_id in the body differs from the authenticated client",
                ));
            }
            Ok(Presented::Basic { id, secret })
        }
        (None, Some(secret)) => {
            let id = body_id
                .ok_or_else(|| OAuthError::invalid_client("client_secret without client_id"))?;
            Ok(Presented::Post {
                id: id.to_string(),
                secret: secret.to_string(),
            })
        }
        (None, None) => match body_id {
            Some(id) => Ok(Presented::None { id: id.to_string() }),
            None => Err(OAuthError::invalid_client("no client authentication")),
        },
    }
}

/// Authenticates the client of a request, or fails with `invalid_client`
/// (401 with a challenge). Public clients authenticate with `client_id`
/// alone; confidential ones must use the method they registered.
pub fn authenticate(
    state: &AppState,
    headers: &HeaderMap,
    params: &Params,
) -> Result<ClientRecord, OAuthError> {
    let presented = presented(headers, params)?;
    let (id, method, secret) = match &presented {
        Presented::Basic { id, secret } => (id, AuthMethod::ClientSecretBasic, Some(secret)),
        Presented::Post { id, secret } => (id, AuthMethod::ClientSecretPost, Some(secret)),
        Presented::None { id } => (id, AuthMethod::None, None),
    };
    let client = state
        .store
        .client(id)
        .map_err(|e| OAuthError::server_error(e.to_string()))?
        .ok_or_else(|| OAuthError::invalid_client("unknown client or wrong credentials"))?;
    let registered = client.metadata.token_endpoint_auth_method;
    if registered != method {
        return Err(OAuthError::invalid_client(
            if registered.is_confidential() && method == AuthMethod::None {
                "client authentication is required for this client".to_string()
            } else {
                format!("this client authenticates with {}", registered.as_str())
            },
        ));
    }
    if let Some(secret) = secret.filter(|_| !state.fault(crate::faults::Fault::WrongSecretAccepted))
    {
        let ok = client
            .secret_hash
            .is_some_and(|h| h.ct_eq(&SecretHash::of(secret)));
        if !ok {
            return Err(OAuthError::invalid_client(
                "unknown client or wrong credentials",
            ));
        }
    }
    Ok(client)
}
