//! Target profiles: a TOML file that says where the target is and what the harness may use
//! there. Parsing errors name the file, the 1-based line and column, and the field at fault:
//!
//! ```text
//! examples/targets/x.toml:7:1: clients[0].redirect_uri: relative URL without a base
//! ```
//!
//! Split like ripgrep's flags: `raw.rs` is the TOML as serde reads it, `locate.rs` turns byte
//! offsets and field paths into line, column and field, `validate/` checks one section per
//! method and builds the typed model of `model.rs`.

use std::fmt;
use std::path::{Path, PathBuf};

use toml::de::DeTable;

use crate::driver::http::{Driver, DriverConfig, DriverError};
use crate::protocol::GrantType;

mod locate;
mod model;
mod raw;
#[cfg(test)]
mod tests;
mod validate;

pub use locate::line_col;
pub use model::*;
pub(in crate::target) use validate::Validator;
pub use validate::parse_duration;

use locate::{issue, path_at};
use raw::RawProfile;

// ---------------------------------------------------------------------------------------------
// Errors

/// Where in a profile something is wrong, and what.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProfileIssue {
    pub file: PathBuf,
    /// 1-based.
    pub line: usize,
    /// 1-based, in characters.
    pub column: usize,
    /// Dotted path of the field, e.g. `clients[0].redirect_uri`; empty for the whole file.
    pub field: String,
    pub message: String,
}

impl fmt::Display for ProfileIssue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}: ", self.file.display(), self.line, self.column)?;
        if !self.field.is_empty() {
            write!(f, "{}: ", self.field)?;
        }
        f.write_str(&self.message)
    }
}

/// A profile that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum ProfileError {
    #[error("{}: cannot read the target profile: {source}", path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{0}")]
    Invalid(ProfileIssue),
}

impl ProfileError {
    /// The issue, for an invalid profile.
    pub fn issue(&self) -> Option<&ProfileIssue> {
        match self {
            ProfileError::Invalid(i) => Some(i),
            ProfileError::Read { .. } => None,
        }
    }
}

impl TargetProfile {
    /// Reads and validates a profile file.
    pub fn load(path: impl AsRef<Path>) -> Result<Self, ProfileError> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path).map_err(|source| ProfileError::Read {
            path: path.to_owned(),
            source,
        })?;
        Self::parse(&text, path)
    }

    /// Parses and validates profile text; `source` is used in error messages.
    pub fn parse(text: &str, source: impl AsRef<Path>) -> Result<Self, ProfileError> {
        let source = source.as_ref();
        let doc = match DeTable::parse(text) {
            Ok(doc) => doc,
            Err(e) => {
                let span = e.span().unwrap_or(0..0);
                return Err(issue(source, text, span.start, String::new(), e.message()));
            }
        };
        let raw: RawProfile = match toml::from_str(text) {
            Ok(raw) => raw,
            Err(e) => {
                let span = e.span().unwrap_or(0..0);
                let field = path_at(&doc, span.start);
                return Err(issue(source, text, span.start, field, e.message()));
            }
        };
        Validator::new(source, text, &doc).build(raw)
    }

    /// A driver that may contact exactly the hosts this profile names.
    pub fn driver(&self) -> Result<Driver, DriverError> {
        Driver::new(
            self.allowed_hosts.clone(),
            DriverConfig {
                timeout: self.timeout,
                tls: self.tls.clone(),
                ..DriverConfig::default()
            },
        )
    }

    pub fn client(&self, id: &str) -> Option<&ClientProfile> {
        self.clients.iter().find(|c| c.id.as_str() == id)
    }

    /// The first confidential client allowed this grant.
    pub fn confidential_client(&self, grant: &GrantType) -> Option<&ClientProfile> {
        self.clients
            .iter()
            .find(|c| !c.is_public() && c.supports_grant(grant))
    }

    /// The first public client allowed this grant.
    pub fn public_client(&self, grant: &GrantType) -> Option<&ClientProfile> {
        self.clients
            .iter()
            .find(|c| c.is_public() && c.supports_grant(grant))
    }

    /// Whether the harness may register clients itself.
    pub fn registration_enabled(&self) -> bool {
        self.registration.as_ref().is_some_and(|r| r.enabled)
    }

    /// Whether scenarios register their own clients (rather than use the
    /// profile's `[[clients]]`).
    pub fn scenarios_register(&self) -> bool {
        self.registration
            .as_ref()
            .is_some_and(|r| r.enabled && r.scenario_clients == ScenarioClients::Registered)
    }

    /// Another client of the profile than `not`, allowed `grant`:
    /// confidential ones first.
    pub fn other_client(&self, not: &str, grant: &GrantType) -> Option<&ClientProfile> {
        let fits = |c: &&ClientProfile| c.id.as_str() != not && c.supports_grant(grant);
        self.clients
            .iter()
            .filter(fits)
            .find(|c| !c.is_public())
            .or_else(|| self.clients.iter().find(fits))
    }
}

/// The redirect URI of clients the harness registers when the profile names none. It is never
/// contacted: the walker stops at the redirect.
pub const DEFAULT_REDIRECT_URI: &str = "http://127.0.0.1:8765/callback";
