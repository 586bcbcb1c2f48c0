//! Client authentication at the token, revocation and introspection endpoints (RFC 6749
//! §2.3), right and deliberately wrong.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

use crate::driver::http::HttpRequest;
use crate::protocol::{AuthMethod, ClientId, ClientSecret};

/// How a request to the token, revocation or introspection endpoint authenticates the client.
#[derive(Clone, Debug)]
pub enum ClientAuth {
    /// RFC 6749 §2.3.1: `Authorization: Basic base64(urlencode(id) ":" urlencode(secret))`.
    Basic { id: ClientId, secret: ClientSecret },
    /// `client_id` and `client_secret` in the body.
    Post { id: ClientId, secret: ClientSecret },
    /// A public client: `client_id` in the body and nothing else.
    None { id: ClientId },
    /// Mutual TLS (RFC 8705 §2): the certificate is presented in the handshake (the driver's
    /// `[tls] client_cert`); the body carries `client_id` (§2: the client "MUST include the
    /// client_id parameter").
    Certificate { id: ClientId },
    /// Wrong on purpose: Basic without form-urlencoding id and secret first.
    BasicUnencoded { id: ClientId, secret: ClientSecret },
    /// Wrong on purpose: Basic *and* body credentials (RFC 6749 §2.3: one method only).
    BasicAndPost { id: ClientId, secret: ClientSecret },
    /// No client identification at all.
    Omitted,
    /// This `Authorization` header value, verbatim.
    RawHeader(String),
}

impl ClientAuth {
    /// The right authentication for a client's method; `None` if the method needs a secret
    /// and there is none.
    pub fn for_method(
        method: AuthMethod,
        id: &ClientId,
        secret: Option<&ClientSecret>,
    ) -> Option<Self> {
        match (method, secret) {
            (AuthMethod::ClientSecretBasic, Some(s)) => Some(ClientAuth::Basic {
                id: id.clone(),
                secret: s.clone(),
            }),
            (AuthMethod::ClientSecretPost, Some(s)) => Some(ClientAuth::Post {
                id: id.clone(),
                secret: s.clone(),
            }),
            (AuthMethod::None, _) => Some(ClientAuth::None { id: id.clone() }),
            (AuthMethod::TlsClientAuth | AuthMethod::SelfSignedTlsClientAuth, _) => {
                Some(ClientAuth::Certificate { id: id.clone() })
            }
            _ => None,
        }
    }

    /// Adds the authentication to a request whose body is `form`.
    pub fn apply(&self, mut request: HttpRequest, form: &mut Vec<(String, String)>) -> HttpRequest {
        let enc = |s: &str| url::form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>();
        let basic =
            |user: &str, pass: &str| format!("Basic {}", STANDARD.encode(format!("{user}:{pass}")));
        match self {
            ClientAuth::Basic { id, secret } => {
                request = request.header(
                    "Authorization",
                    basic(&enc(id.as_str()), &enc(secret.secret())),
                );
            }
            ClientAuth::Post { id, secret } => {
                form.push(("client_id".into(), id.as_str().into()));
                form.push(("client_secret".into(), secret.secret().into()));
            }
            ClientAuth::None { id } | ClientAuth::Certificate { id } => {
                form.push(("client_id".into(), id.as_str().into()))
            }
            ClientAuth::BasicUnencoded { id, secret } => {
                request = request.header("Authorization", basic(id.as_str(), secret.secret()));
            }
            ClientAuth::BasicAndPost { id, secret } => {
                request = request.header(
                    "Authorization",
                    basic(&enc(id.as_str()), &enc(secret.secret())),
                );
                form.push(("client_id".into(), id.as_str().into()));
                form.push(("client_secret".into(), secret.secret().into()));
            }
            ClientAuth::Omitted => {}
            ClientAuth::RawHeader(v) => request = request.header("Authorization", v.clone()),
        }
        request
    }
}
