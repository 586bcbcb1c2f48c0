//! OAuth protocol values as types, in the manner of oauth2-rs: the leaf of the harness's
//! spine. Everything may depend on it; it depends on nothing of the harness.
//!
//! - [`values`]: client identifiers and secrets, tokens, codes and scopes;
//! - [`pkce`]: PKCE verifiers and challenges (RFC 7636) and the CSPRNG;
//! - [`auth_method`]: the client authentication methods (RFC 7591 §2, RFC 8705 §2);
//! - [`grant_type`]: the grant types, a closed set plus `Other`;
//! - [`redact`]: which fields are secrets and how a secret is shown.
//!
//! Secrets never show their value in `Debug`; read it with `secret()`.

pub mod auth_method;
pub mod grant_type;
pub mod pkce;
pub mod redact;
pub mod values;

pub use auth_method::AuthMethod;
pub use grant_type::GrantType;
pub use pkce::{PkceCodeChallenge, PkceCodeVerifier, PkceMethod, random_bytes, random_token};
pub use values::{
    AccessToken, AuthorizationCode, ClientId, ClientSecret, InitialAccessToken, RefreshToken, Scope,
};
