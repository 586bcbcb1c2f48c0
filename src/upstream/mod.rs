//! Fake upstream identity providers ("log in with Google") on wiremock, for
//! checking a server or app that delegates login, with no internet.
//!
//! ```no_run
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! use oauthspec::upstream::{FakeUpstream, Misbehaviour, UpstreamConfig};
//!
//! let mut config = UpstreamConfig::default(); // Google, any client, one user
//! config.misbehaviours.insert(Misbehaviour::WrongNonce);
//! let fake = FakeUpstream::start(config).await?;
//! println!("discovery at {}", fake.discovery_url());
//! # Ok(()) }
//! ```
//!
//! - `google` and `oidc` are OpenID providers (discovery, JWKS, RS256 ID
//!   tokens carrying the request's `nonce`, userinfo); `github` is plain
//!   OAuth 2.0 with GitHub's shapes.
//! - Codes are bound to their client, redirect URI, nonce and PKCE
//!   challenge (RFC 6749 §4.1.3, RFC 7636 §4.6) and redeemable once.
//! - Every [`Misbehaviour`] really produces what it names.
//! - A request no endpoint matches is logged loudly on stderr and kept
//!   ([`FakeUpstream::unmatched`]): wiremock alone answers 404 silently.

pub mod keys;
pub mod misbehave;
pub mod provider;
pub mod respond;
pub mod server;
#[cfg(test)]
mod tests;

use std::net::SocketAddr;
use std::sync::Arc;

use wiremock::Mock;
use wiremock::matchers::{method, path};

pub use keys::UpstreamKeys;
pub use misbehave::Misbehaviour;
pub use provider::{
    ClientPair, ConfigError, Provider, UnknownProvider, UpstreamConfig, UserClaims,
};
use respond::{Endpoint, Responder, Shared};
pub use server::FakeServer;

/// Why a fake could not start.
#[derive(Debug, thiserror::Error)]
pub enum UpstreamError {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error(transparent)]
    Keys(#[from] keys::KeyError),
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: SocketAddr,
        source: std::io::Error,
    },
}

/// A running fake provider. Dropping it stops it.
pub struct FakeUpstream {
    server: FakeServer,
    shared: Arc<Shared>,
}

impl std::fmt::Debug for FakeUpstream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FakeUpstream")
            .field("issuer", &self.shared.issuer)
            .field("provider", &self.shared.config.provider)
            .field("misbehaviours", &self.shared.config.misbehaviours)
            .finish()
    }
}

impl FakeUpstream {
    /// Starts a fake with the process-wide keys ([`UpstreamKeys::shared`]).
    pub async fn start(config: UpstreamConfig) -> Result<Self, UpstreamError> {
        let keys = UpstreamKeys::shared()?;
        Self::start_with_keys(config, keys).await
    }

    /// Starts a fake that signs with `keys`.
    pub async fn start_with_keys(
        config: UpstreamConfig,
        keys: Arc<UpstreamKeys>,
    ) -> Result<Self, UpstreamError> {
        config.validate()?;
        let addr = config
            .bind
            .unwrap_or_else(|| SocketAddr::from(([127, 0, 0, 1], 0)));
        let listener = std::net::TcpListener::bind(addr)
            .map_err(|source| UpstreamError::Bind { addr, source })?;
        let bound = listener
            .local_addr()
            .map_err(|source| UpstreamError::Bind { addr, source })?;
        let server = FakeServer::start(listener, true).await;
        let issuer = format!("http://{bound}");
        let provider = config.provider;
        let shared = Arc::new(Shared::new(config, issuer, bound, keys));
        let responder = |endpoint| Responder {
            shared: shared.clone(),
            endpoint,
        };
        let p = provider.paths();
        let mut routes = vec![
            ("GET", p.authorization, Endpoint::Authorization),
            ("POST", p.token, Endpoint::Token),
            ("GET", p.userinfo, Endpoint::Userinfo),
        ];
        if provider.is_openid() {
            routes.push((
                "GET",
                "/.well-known/openid-configuration",
                Endpoint::Discovery,
            ));
            routes.push(("GET", p.jwks, Endpoint::Jwks));
            routes.push(("POST", p.userinfo, Endpoint::Userinfo));
        }
        for (verb, route, endpoint) in routes {
            let mock = Mock::given(method(verb))
                .and(path(route))
                .respond_with(responder(endpoint))
                .with_priority(1)
                .named(format!("{verb} {route}"));
            server.mount(mock).await;
        }
        // Lowest priority: everything else is logged loudly, then 404.
        let unmatched = Mock::given(wiremock::matchers::any())
            .respond_with(responder(Endpoint::Unmatched))
            .with_priority(255)
            .named("unmatched");
        server.mount(unmatched).await;
        Ok(FakeUpstream { server, shared })
    }

    /// `http://HOST:PORT`: the issuer of an OpenID fake.
    pub fn url(&self) -> &str {
        &self.shared.issuer
    }

    pub fn addr(&self) -> SocketAddr {
        self.shared.addr
    }

    /// Where its OpenID Provider metadata is (OpenID Connect Discovery 1.0 §4).
    pub fn discovery_url(&self) -> String {
        format!("{}/.well-known/openid-configuration", self.shared.issuer)
    }

    pub fn config(&self) -> &UpstreamConfig {
        &self.shared.config
    }

    /// The published key's `kid`.
    pub fn kid(&self) -> &str {
        self.shared.keys.kid()
    }

    /// Requests no endpoint answered (`METHOD PATH?QUERY`), oldest first.
    pub fn unmatched(&self) -> Vec<String> {
        self.shared.unmatched()
    }

    /// Whether any request this fake received carried a non-empty `nonce`
    /// query parameter (an authorization request that asked for one).
    pub async fn saw_nonce(&self) -> bool {
        let Some(server) = self.server.server() else {
            return false;
        };
        server
            .received_requests()
            .await
            .unwrap_or_default()
            .iter()
            .any(|r| {
                r.url
                    .query_pairs()
                    .any(|(k, v)| k == "nonce" && !v.is_empty())
            })
    }

    /// Every request received, as `METHOD PATH`, oldest first.
    pub async fn received(&self) -> Vec<String> {
        let Some(server) = self.server.server() else {
            return Vec::new();
        };
        server
            .received_requests()
            .await
            .unwrap_or_default()
            .iter()
            .map(|r| format!("{} {}", r.method, r.url.path()))
            .collect()
    }
}
