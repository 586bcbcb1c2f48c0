//! Dynamic client registration (RFC 7591) and its management protocol
//! (RFC 7592).

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};

use crate::error::{BearerError, ErrorCode, OAuthError};
use crate::faults::Fault;
use crate::form::JsonObject;
use crate::keys::SigningAlg;
use crate::protocol::{
    AuthMethod, ClientId, GrantType, RedirectUriError, Scope, validate_redirect_uri,
};
use crate::routes::no_store;
use crate::secrets::{SecretHash, random_id, random_token};
use crate::state::AppState;
use crate::store::{ClientMetadata, ClientRecord, Lifetimes};

/// Members the server assigns; a client cannot set them (RFC 7591 §3.2.1).
const SERVER_MEMBERS: [&str; 6] = [
    "client_id",
    "client_secret",
    "client_id_issued_at",
    "client_secret_expires_at",
    "registration_access_token",
    "registration_client_uri",
];

fn bad_metadata(d: impl Into<String>) -> OAuthError {
    OAuthError::new(ErrorCode::InvalidClientMetadata, d)
}

fn string_list(obj: &Map<String, Value>, name: &str) -> Result<Option<Vec<String>>, OAuthError> {
    match obj.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Array(items)) => items
            .iter()
            .map(|v| {
                v.as_str()
                    .map(str::to_owned)
                    .ok_or_else(|| bad_metadata(format!("{name} must be an array of strings")))
            })
            .collect::<Result<_, _>>()
            .map(Some),
        Some(_) => Err(bad_metadata(format!("{name} must be an array of strings"))),
    }
}

fn string_member<'a>(
    obj: &'a Map<String, Value>,
    name: &str,
) -> Result<Option<&'a str>, OAuthError> {
    match obj.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(bad_metadata(format!("{name} must be a string"))),
    }
}

/// Validates submitted metadata and fills in the defaults of RFC 7591 §2.
pub fn validate_metadata(
    state: &AppState,
    obj: &Map<String, Value>,
) -> Result<ClientMetadata, OAuthError> {
    let method = match string_member(obj, "token_endpoint_auth_method")? {
        None => AuthMethod::ClientSecretBasic,
        Some(m) => AuthMethod::parse(m)
            .ok_or_else(|| bad_metadata(format!("unsupported token_endpoint_auth_method {m:?}")))?,
    };
    let grant_types = match string_list(obj, "grant_types")? {
        None => vec![GrantType::AuthorizationCode],
        Some(list) => {
            let mut out = Vec::new();
            for g in list {
                let g = GrantType::parse(&g)
                    .ok_or_else(|| bad_metadata(format!("unsupported grant type {g:?}")))?;
                if !out.contains(&g) {
                    out.push(g);
                }
            }
            out
        }
    };
    let uses_code = grant_types.contains(&GrantType::AuthorizationCode);
    let response_types = match string_list(obj, "response_types")? {
        None if uses_code => vec!["code".to_string()],
        None => vec![],
        Some(list) => {
            for r in &list {
                if r != "code" {
                    return Err(bad_metadata(format!("unsupported response type {r:?}")));
                }
            }
            let mut list = list;
            list.dedup();
            list
        }
    };
    // RFC 7591 §2.1: the code response type and the authorization_code
    // grant go together.
    if uses_code != response_types.iter().any(|r| r == "code")
        && !state.fault(Fault::RegistrationInconsistentAccepted)
    {
        return Err(bad_metadata(
            "grant_types and response_types are inconsistent: authorization_code needs response type code and vice versa",
        ));
    }
    if method == AuthMethod::None && grant_types.contains(&GrantType::ClientCredentials) {
        return Err(bad_metadata(
            "a public client (token_endpoint_auth_method none) cannot use client_credentials (RFC 6749 §4.4)",
        ));
    }
    if grant_types.contains(&GrantType::RefreshToken) && !uses_code {
        return Err(bad_metadata(
            "refresh_token needs a grant that issues refresh tokens (authorization_code)",
        ));
    }
    let redirect_uris = string_list(obj, "redirect_uris")?.unwrap_or_default();
    if uses_code && redirect_uris.is_empty() {
        return Err(OAuthError::new(
            ErrorCode::InvalidRedirectUri,
            "redirect_uris is required for the authorization_code grant",
        ));
    }
    for uri in &redirect_uris {
        match validate_redirect_uri(uri) {
            Ok(()) => {}
            Err(RedirectUriError::Fragment(_))
                if state.fault(Fault::RegistrationFragmentAccepted) => {}
            Err(RedirectUriError::PlainHttp(_))
                if state.fault(Fault::RegistrationPlainHttpAccepted) => {}
            Err(e) => {
                return Err(OAuthError::new(
                    ErrorCode::InvalidRedirectUri,
                    e.to_string(),
                ));
            }
        }
    }
    let scope = match string_member(obj, "scope")? {
        None => state.scopes.clone(),
        Some(s) => {
            let scope = Scope::parse(s).map_err(bad_metadata)?;
            if let Some(unknown) = scope.missing_from(&state.scopes).next() {
                return Err(bad_metadata(format!(
                    "scope {unknown:?} is not offered by this server"
                )));
            }
            scope
        }
    };
    let client_name = string_member(obj, "client_name")?.map(str::to_owned);
    // OpenID Connect Dynamic Client Registration §2: any alg this server
    // has a key for, RS256 (always) or the access tokens' own.
    let id_token_signed_response_alg = match string_member(obj, "id_token_signed_response_alg")? {
        None => None,
        Some(a) => Some(
            SigningAlg::parse(a)
                .filter(|alg| *alg == SigningAlg::RS256 || *alg == state.signing_alg)
                .ok_or_else(|| {
                    bad_metadata(format!(
                        "id_token_signed_response_alg {a:?} is not supported (RS256 or {})",
                        state.signing_alg.as_str()
                    ))
                })?,
        ),
    };
    let mut extra = Map::new();
    for (k, v) in obj {
        let known = [
            "token_endpoint_auth_method",
            "grant_types",
            "response_types",
            "redirect_uris",
            "scope",
            "client_name",
            "id_token_signed_response_alg",
        ];
        if !known.contains(&k.as_str()) && !SERVER_MEMBERS.contains(&k.as_str()) {
            extra.insert(k.clone(), v.clone());
        }
    }
    Ok(ClientMetadata {
        redirect_uris,
        grant_types,
        response_types,
        token_endpoint_auth_method: method,
        scope,
        client_name,
        id_token_signed_response_alg,
        extra,
    })
}

fn client_json(state: &AppState, client: &ClientRecord) -> Map<String, Value> {
    let mut out = match serde_json::to_value(&client.metadata) {
        Ok(Value::Object(m)) => m,
        _ => Map::new(),
    };
    out.insert("client_id".into(), json!(client.client_id));
    out.insert("client_id_issued_at".into(), json!(client.issued_at));
    if client.secret_hash.is_some() {
        out.insert("client_secret_expires_at".into(), json!(0));
    }
    out.insert(
        "registration_client_uri".into(),
        json!(format!("{}/register/{}", state.issuer, client.client_id)),
    );
    out
}

/// `POST /register` (RFC 7591 §3).
pub async fn register(
    State(state): State<AppState>,
    body: Result<JsonObject, OAuthError>,
) -> Result<Response, OAuthError> {
    let JsonObject(obj) = body?;
    let metadata = validate_metadata(&state, &obj)?;
    let secret = metadata
        .token_endpoint_auth_method
        .is_confidential()
        .then(random_token);
    let registration_token = random_token();
    let client = ClientRecord {
        client_id: ClientId(random_id()),
        secret_hash: secret.as_deref().map(SecretHash::of),
        registration_token_hash: Some(SecretHash::of(&registration_token)),
        metadata,
        issued_at: state.clock.now(),
        lifetimes: Lifetimes::default(),
    };
    state
        .store
        .put_client(&client)
        .map_err(|e| OAuthError::server_error(e.to_string()))?;
    let mut body = client_json(&state, &client);
    if let Some(secret) = secret {
        body.insert("client_secret".into(), json!(secret));
    }
    body.insert(
        "registration_access_token".into(),
        json!(registration_token),
    );
    Ok(no_store(
        (StatusCode::CREATED, Json(Value::Object(body))).into_response(),
    ))
}

/// Finds the client a registration access token manages (RFC 7592 §2.1).
/// Any failure is the same 401 `invalid_token`, so a caller learns nothing
/// about which clients exist.
fn authorize_management(
    state: &AppState,
    headers: &HeaderMap,
    client_id: &str,
) -> Result<ClientRecord, Box<Response>> {
    let invalid = || {
        Box::new(
            BearerError::InvalidToken("invalid registration access token".into()).into_response(),
        )
    };
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, t)| t.trim())
        .filter(|t| !t.is_empty());
    if state.fault(Fault::RegistrationManagementUnauthenticated) {
        return match state.store.client(client_id) {
            Ok(Some(c)) => Ok(c),
            _ => Err(invalid()),
        };
    }
    let Some(token) = token else {
        return Err(Box::new(BearerError::Missing.into_response()));
    };
    let client = state
        .store
        .client(client_id)
        .map_err(|e| Box::new(OAuthError::server_error(e.to_string()).into_response()))?
        .ok_or_else(invalid)?;
    let presented = SecretHash::of(token);
    match client.registration_token_hash {
        Some(h) if h.ct_eq(&presented) => Ok(client),
        _ => Err(invalid()),
    }
}

/// `GET /register/{client_id}` (RFC 7592 §2.1).
pub async fn read(
    State(state): State<AppState>,
    Path(client_id): Path<String>,
    headers: HeaderMap,
) -> Response {
    match authorize_management(&state, &headers, &client_id) {
        Ok(client) => no_store(Json(Value::Object(client_json(&state, &client))).into_response()),
        Err(res) => *res,
    }
}

/// `PUT /register/{client_id}` (RFC 7592 §2.2): replaces the metadata.
pub async fn update(
    State(state): State<AppState>,
    Path(client_id): Path<String>,
    headers: HeaderMap,
    body: Result<JsonObject, OAuthError>,
) -> Response {
    let mut client = match authorize_management(&state, &headers, &client_id) {
        Ok(c) => c,
        Err(res) => return *res,
    };
    let result = (|| {
        let JsonObject(obj) = body?;
        if obj.get("client_id").and_then(Value::as_str) != Some(client_id.as_str()) {
            return Err(OAuthError::invalid_request(
                "the body must carry this client's client_id (RFC 7592 §2.2)",
            ));
        }
        if let Some(secret) = obj.get("client_secret") {
            let matches = secret
                .as_str()
                .zip(client.secret_hash)
                .is_some_and(|(s, h)| h.ct_eq(&SecretHash::of(s)));
            if !matches {
                return Err(OAuthError::invalid_request(
                    "client_secret does not match the issued secret",
                ));
            }
        }
        let metadata = validate_metadata(&state, &obj)?;
        if metadata.token_endpoint_auth_method.is_confidential() != client.secret_hash.is_some() {
            return Err(bad_metadata(
                "a client cannot change between public and confidential",
            ));
        }
        client.metadata = metadata;
        state
            .store
            .put_client(&client)
            .map_err(|e| OAuthError::server_error(e.to_string()))?;
        Ok(no_store(
            Json(Value::Object(client_json(&state, &client))).into_response(),
        ))
    })();
    result.unwrap_or_else(IntoResponse::into_response)
}

/// `DELETE /register/{client_id}` (RFC 7592 §2.3): 204, and the client,
/// its credentials and its tokens stop working.
pub async fn delete(
    State(state): State<AppState>,
    Path(client_id): Path<String>,
    headers: HeaderMap,
) -> Response {
    if let Err(res) = authorize_management(&state, &headers, &client_id) {
        return *res;
    }
    match state.store.delete_client(&client_id) {
        Ok(_) => StatusCode::NO_CONTENT.into_response(),
        Err(e) => OAuthError::server_error(e.to_string()).into_response(),
    }
}
