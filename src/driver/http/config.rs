//! The settings of a `Driver`: timeouts, limits, evidence, TLS.

use std::time::Duration;

/// Settings of a `Driver`.
#[derive(Clone, Debug)]
pub struct DriverConfig {
    /// Timeout of every request, from sending to the last byte of the body.
    pub timeout: Duration,
    /// Bodies longer than this are kept truncated in evidence.
    pub evidence_body_limit: usize,
    /// The evidence log keeps at most this many exchanges (the most recent ones).
    pub evidence_max_exchanges: usize,
    /// Record exchanges at all (load profiles turn this off).
    pub record_evidence: bool,
    /// A response body larger than this is an error rather than a memory problem.
    pub max_response_body: usize,
    pub user_agent: String,
    /// Extra trusted CAs, a client certificate, or verification off (`[tls]`).
    pub tls: crate::driver::tls::TlsSettings,
}

impl Default for DriverConfig {
    fn default() -> Self {
        Self {
            timeout: Duration::from_secs(10),
            evidence_body_limit: 4096,
            evidence_max_exchanges: 1000,
            record_evidence: true,
            max_response_body: 8 * 1024 * 1024,
            user_agent: concat!("oauthspec/", env!("CARGO_PKG_VERSION")).to_owned(),
            tls: crate::driver::tls::TlsSettings::default(),
        }
    }
}
