//! How a client authenticates at the token endpoint: the `token_endpoint_auth_method` values
//! of RFC 7591 §2 the harness knows.

use std::fmt;

use serde::{Deserialize, Serialize};

/// `token_endpoint_auth_method` values the harness knows (RFC 7591 §2).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AuthMethod {
    ClientSecretBasic,
    ClientSecretPost,
    None,
    /// RFC 8705 §2.1: the client authenticates with a PKI certificate in the TLS handshake
    /// (`[tls] client_cert`); the request carries only `client_id`.
    TlsClientAuth,
    /// RFC 8705 §2.2: the same with a self-signed certificate the client registered.
    SelfSignedTlsClientAuth,
}

impl AuthMethod {
    pub fn as_str(self) -> &'static str {
        match self {
            AuthMethod::ClientSecretBasic => "client_secret_basic",
            AuthMethod::ClientSecretPost => "client_secret_post",
            AuthMethod::None => "none",
            AuthMethod::TlsClientAuth => "tls_client_auth",
            AuthMethod::SelfSignedTlsClientAuth => "self_signed_tls_client_auth",
        }
    }

    /// Whether the client proves itself with its TLS certificate (RFC 8705 §2) rather than a
    /// secret.
    pub fn by_certificate(self) -> bool {
        matches!(
            self,
            AuthMethod::TlsClientAuth | AuthMethod::SelfSignedTlsClientAuth
        )
    }
}

impl fmt::Display for AuthMethod {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
