//! Endpoint answers: RFC 6749 §5.1 token responses, §5.2 errors, RFC 7662 introspection,
//! RFC 7591 registration, read leniently and kept with the raw body.

use std::fmt;

use reqwest::header::HeaderMap;
use serde::Deserialize;
use serde::de::DeserializeOwned;

use crate::driver::http::HttpResponse;
use crate::protocol::{AccessToken, ClientId, ClientSecret, RefreshToken, Scope};

/// An RFC 6749 §5.2 error response.
#[derive(Clone, Debug, Deserialize)]
pub struct ErrorResponse {
    pub error: String,
    #[serde(default)]
    pub error_description: Option<String>,
    #[serde(default)]
    pub error_uri: Option<String>,
    #[serde(skip)]
    pub raw: serde_json::Value,
}

/// An RFC 6749 §5.1 access token response.
#[derive(Clone, Debug, Deserialize)]
pub struct TokenResponse {
    pub access_token: AccessToken,
    pub token_type: String,
    #[serde(default)]
    pub expires_in: Option<u64>,
    #[serde(default)]
    pub refresh_token: Option<RefreshToken>,
    #[serde(default)]
    pub scope: Option<Scope>,
    #[serde(default)]
    pub id_token: Option<String>,
    #[serde(skip)]
    pub raw: serde_json::Value,
}

/// An RFC 7662 §2.2 introspection response.
#[derive(Clone, Debug, Deserialize)]
pub struct IntrospectionResponse {
    pub active: bool,
    #[serde(default)]
    pub scope: Option<Scope>,
    #[serde(default)]
    pub client_id: Option<String>,
    #[serde(default)]
    pub username: Option<String>,
    #[serde(default)]
    pub token_type: Option<String>,
    #[serde(default)]
    pub exp: Option<i64>,
    #[serde(default)]
    pub iat: Option<i64>,
    #[serde(default)]
    pub nbf: Option<i64>,
    #[serde(default)]
    pub sub: Option<String>,
    #[serde(default)]
    pub aud: Option<serde_json::Value>,
    #[serde(default)]
    pub iss: Option<String>,
    #[serde(default)]
    pub jti: Option<String>,
    #[serde(skip)]
    pub raw: serde_json::Value,
}

/// An RFC 7591 §3.2.1 client information response.
#[derive(Clone, Debug, Deserialize)]
pub struct RegistrationResponse {
    pub client_id: ClientId,
    #[serde(default)]
    pub client_secret: Option<ClientSecret>,
    #[serde(default)]
    pub client_id_issued_at: Option<i64>,
    #[serde(default)]
    pub client_secret_expires_at: Option<i64>,
    #[serde(default)]
    pub registration_access_token: Option<AccessToken>,
    #[serde(default)]
    pub registration_client_uri: Option<String>,
    #[serde(default)]
    pub redirect_uris: Vec<String>,
    #[serde(default)]
    pub token_endpoint_auth_method: Option<String>,
    #[serde(default)]
    pub grant_types: Vec<String>,
    #[serde(default)]
    pub scope: Option<Scope>,
    #[serde(skip)]
    pub raw: serde_json::Value,
}

/// Types that keep their raw JSON next to the typed fields.
pub trait WithRaw: DeserializeOwned {
    fn set_raw(&mut self, raw: serde_json::Value);
}

macro_rules! with_raw {
    ($($t:ty),*) => {$(
        impl WithRaw for $t {
            fn set_raw(&mut self, raw: serde_json::Value) {
                self.raw = raw;
            }
        }
    )*};
}
with_raw!(
    ErrorResponse,
    TokenResponse,
    IntrospectionResponse,
    RegistrationResponse
);

/// Revocation answers carry no body of interest (RFC 7009 §2.2).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Revoked;

/// What an endpoint answered, typed.
#[derive(Clone, Debug)]
pub enum Answer<T> {
    /// A 2xx answer of the expected shape.
    Success(T),
    /// A non-2xx answer with an RFC 6749 §5.2 error object.
    Error(ErrorResponse),
    /// Anything else: why it does not fit.
    Malformed(String),
}

/// An endpoint's answer: status, headers and body as they came, and the typed reading.
#[derive(Clone, Debug)]
pub struct EndpointResponse<T> {
    pub status: u16,
    pub headers: HeaderMap,
    /// As it came; a successful answer longer than 256 KiB keeps its first
    /// 256 KiB (the typed reading was made from all of it).
    pub body: Vec<u8>,
    pub answer: Answer<T>,
}

impl<T> EndpointResponse<T> {
    pub fn success(&self) -> Option<&T> {
        match &self.answer {
            Answer::Success(t) => Some(t),
            _ => None,
        }
    }

    pub fn into_success(self) -> Option<T> {
        match self.answer {
            Answer::Success(t) => Some(t),
            _ => None,
        }
    }

    pub fn error(&self) -> Option<&ErrorResponse> {
        match &self.answer {
            Answer::Error(e) => Some(e),
            _ => None,
        }
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    pub fn has_cache_control_no_store(&self) -> bool {
        self.headers
            .get_all("cache-control")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .any(|v| {
                v.split(',')
                    .any(|d| d.trim().eq_ignore_ascii_case("no-store"))
            })
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

fn parse_error(status: u16, body: &[u8]) -> Answer<std::convert::Infallible> {
    match serde_json::from_slice::<serde_json::Value>(body) {
        Ok(raw) => match serde_json::from_value::<ErrorResponse>(raw.clone()) {
            Ok(mut e) => {
                e.set_raw(raw);
                Answer::Error(e)
            }
            Err(err) => Answer::Malformed(format!(
                "status {status} without an RFC 6749 §5.2 error object: {err}"
            )),
        },
        Err(err) => Answer::Malformed(format!(
            "status {status} and a body that is not JSON: {err}"
        )),
    }
}

/// An endpoint answer's body is kept up to this size (for evidence and
/// descriptions); the typed reading has everything it needs.
const KEPT_BODY: usize = 256 * 1024;

/// Strings longer than this in a kept raw answer are replaced by their size.
const KEPT_STRING: usize = 4096;

/// JSON read like [`serde_json::Value`], except that a string longer than
/// [`KEPT_STRING`] becomes a note of its size: the typed fields hold what
/// the harness uses (a 5 MB access token once), the raw answer its shape,
/// and reading it never copies the long strings.
struct Lean(serde_json::Value);

impl<'de> Deserialize<'de> for Lean {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        use serde::de::{MapAccess, SeqAccess, Visitor};
        use serde_json::Value;
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Lean;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("JSON")
            }
            fn visit_bool<E>(self, b: bool) -> Result<Lean, E> {
                Ok(Lean(Value::Bool(b)))
            }
            fn visit_i64<E>(self, n: i64) -> Result<Lean, E> {
                Ok(Lean(n.into()))
            }
            fn visit_u64<E>(self, n: u64) -> Result<Lean, E> {
                Ok(Lean(n.into()))
            }
            fn visit_f64<E>(self, n: f64) -> Result<Lean, E> {
                Ok(Lean(
                    serde_json::Number::from_f64(n).map_or(Value::Null, Value::Number),
                ))
            }
            fn visit_str<E>(self, s: &str) -> Result<Lean, E> {
                Ok(Lean(Value::String(if s.len() > KEPT_STRING {
                    format!("«a string of {} bytes»", s.len())
                } else {
                    s.to_owned()
                })))
            }
            fn visit_unit<E>(self) -> Result<Lean, E> {
                Ok(Lean(Value::Null))
            }
            fn visit_none<E>(self) -> Result<Lean, E> {
                Ok(Lean(Value::Null))
            }
            fn visit_some<D: serde::Deserializer<'de>>(self, d: D) -> Result<Lean, D::Error> {
                Lean::deserialize(d)
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Lean, A::Error> {
                let mut items = Vec::new();
                while let Some(Lean(v)) = seq.next_element()? {
                    items.push(v);
                }
                Ok(Lean(Value::Array(items)))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Lean, A::Error> {
                let mut members = serde_json::Map::new();
                while let Some((k, Lean(v))) = map.next_entry::<String, Lean>()? {
                    members.insert(k, v);
                }
                Ok(Lean(Value::Object(members)))
            }
        }
        d.deserialize_any(V)
    }
}

pub(super) fn read_answer<T: WithRaw>(resp: HttpResponse) -> EndpointResponse<T> {
    let answer = if (200..300).contains(&resp.status) {
        match serde_json::from_slice::<Lean>(&resp.body) {
            Ok(Lean(raw)) => match serde_json::from_slice::<T>(&resp.body) {
                Ok(mut t) => {
                    t.set_raw(raw);
                    Answer::Success(t)
                }
                Err(e) => Answer::Malformed(format!(
                    "status {} but the body does not fit the expected response: {e}",
                    resp.status
                )),
            },
            Err(e) => Answer::Malformed(format!(
                "status {} and a body that is not JSON: {e}",
                resp.status
            )),
        }
    } else {
        error_answer(resp.status, &resp.body)
    };
    let mut body = resp.body;
    if matches!(answer, Answer::Success(_)) && body.len() > KEPT_BODY {
        // Read in full above; the rest would only be copied around.
        body.truncate(KEPT_BODY);
        body.shrink_to_fit();
    }
    EndpointResponse {
        status: resp.status,
        headers: resp.headers,
        body,
        answer,
    }
}

pub(super) fn error_answer<T>(status: u16, body: &[u8]) -> Answer<T> {
    match parse_error(status, body) {
        Answer::Error(e) => Answer::Error(e),
        Answer::Malformed(m) => Answer::Malformed(m),
        Answer::Success(never) => match never {},
    }
}
