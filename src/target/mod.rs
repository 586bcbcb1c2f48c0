//! Target profiles (TOML) and their resolution into a `Target` through RFC 8414 discovery.

pub mod admin;
pub mod discovery;
pub mod endpoint;
pub mod jwt_api;
pub mod load;
pub mod profile;
pub mod relying_party;
pub mod tls;

pub use admin::{AdminApi, AdminError};
pub use discovery::{DiscoveryError, Metadata, Target};
pub use endpoint::{Endpoint, Endpoints};
pub use profile::{ProfileError, ProfileIssue, TargetKind, TargetProfile};
