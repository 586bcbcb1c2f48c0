//! The hosts the driver may contact: anything else is refused before it is sent.

use std::collections::BTreeSet;
use std::fmt;

use url::Url;

/// A host and port the driver may contact.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct HostPort {
    pub host: String,
    pub port: u16,
}

impl HostPort {
    pub fn new(host: impl Into<String>, port: u16) -> Self {
        Self {
            host: host.into().to_ascii_lowercase(),
            port,
        }
    }

    /// The host and port (explicit or the scheme's default) of a URL.
    pub fn from_url(url: &Url) -> Option<Self> {
        Some(Self::new(url.host_str()?, url.port_or_known_default()?))
    }
}

impl fmt::Display for HostPort {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.host, self.port)
    }
}

/// The hosts the driver may send requests to; anything else is refused before it is sent.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct HostAllowlist {
    hosts: BTreeSet<HostPort>,
}

impl HostAllowlist {
    pub fn new(hosts: impl IntoIterator<Item = HostPort>) -> Self {
        Self {
            hosts: hosts.into_iter().collect(),
        }
    }

    pub fn insert(&mut self, host: HostPort) {
        self.hosts.insert(host);
    }

    pub fn allows(&self, url: &Url) -> bool {
        HostPort::from_url(url).is_some_and(|hp| self.hosts.contains(&hp))
    }

    pub fn hosts(&self) -> impl Iterator<Item = &HostPort> {
        self.hosts.iter()
    }
}
