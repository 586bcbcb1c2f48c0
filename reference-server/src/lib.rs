//! The oauthspec reference server: an OAuth 2.0 authorization server and a
//! JWT-protected resource server that follow the RFCs to the letter.
//!
//! ```no_run
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! use oauthspec_reference_server::{Settings, start};
//!
//! // In memory, on a free loopback port, with the default user alice.
//! let server = start(Settings::default()).await?;
//! let metadata: serde_json::Value =
//!     reqwest::get(format!("{}/.well-known/oauth-authorization-server", server.url()))
//!         .await?
//!         .json()
//!         .await?;
//! assert_eq!(metadata["issuer"], server.issuer());
//! server.shutdown().await?;
//! # Ok(()) }
//! ```
//!
//! Tests can also drive [`app`] in-process with `tower::ServiceExt::oneshot`.

pub mod authn;
pub mod client_auth;
pub mod clock;
pub mod config;
pub mod connections;
pub mod error;
pub mod expiring;
pub mod faults;
pub mod form;
pub mod id_token;
pub mod interaction;
pub mod jwt;
pub mod keys;
pub mod pages;
pub mod password;
pub mod protocol;
pub mod routes;
pub mod secrets;
pub mod server;
pub mod session;
pub mod state;
pub mod store;
pub mod upstream;
pub mod user_claims;

pub use config::{Settings, Storage};
pub use faults::{Fault, Faults};
pub use keys::SigningAlg;
pub use routes::app;
pub use server::{RunningServer, StartError, start};
pub use state::AppState;
