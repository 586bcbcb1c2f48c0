//! `[tls]` of a profile: extra trusted CAs, a client certificate for mutual TLS (RFC 8705
//! §2), and the explicit opt-out of certificate verification. Files are read when the
//! profile is loaded, relative to the profile's directory, so a missing or bad file is a
//! profile error with its line and field (exit 2), not a failure halfway through a run.

use serde::Deserialize;

use super::profile::{ProfileError, Validator};
use crate::driver::tls::{self, ClientIdentity, TlsSettings};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawTls {
    /// PEM files of CAs trusted in addition to the platform's roots.
    #[serde(default)]
    ca_certs: Vec<String>,
    /// PEM certificate (chain) presented when a server asks for a client certificate.
    client_cert: Option<String>,
    /// Its PEM private key (PKCS#8, PKCS#1 or SEC1).
    client_key: Option<String>,
    /// Accept any server certificate: for self-signed throwaway servers only; every report
    /// says it was on.
    #[serde(default)]
    insecure_skip_verify: bool,
}

impl Validator<'_> {
    pub(super) fn tls(&self, raw: Option<&RawTls>) -> Result<TlsSettings, ProfileError> {
        let Some(raw) = raw else {
            return Ok(TlsSettings::default());
        };
        let mut extra_roots = Vec::new();
        for (i, file) in raw.ca_certs.iter().enumerate() {
            let field = format!("tls.ca_certs[{i}]");
            let pem = self.read_file(&field, file)?;
            let certs =
                tls::certificates(&pem).map_err(|e| self.err(&field, format!("{file} {e}")))?;
            extra_roots.extend(certs.into_iter().map(|c| (file.clone(), c)));
        }
        let identity = match (&raw.client_cert, &raw.client_key) {
            (None, None) => None,
            (Some(_), None) => {
                return Err(self.err(
                    "tls.client_cert",
                    "a client certificate needs its key: add client_key",
                ));
            }
            (None, Some(_)) => {
                return Err(self.err(
                    "tls.client_key",
                    "a client key needs its certificate: add client_cert",
                ));
            }
            (Some(cert), Some(key)) => {
                let cert_pem = self.read_file("tls.client_cert", cert)?;
                let key_pem = self.read_file("tls.client_key", key)?;
                let identity = tls::identity(&cert_pem, &key_pem)
                    .map_err(|e| self.err("tls.client_cert", format!("{cert} with {key} {e}")))?;
                Some(ClientIdentity {
                    cert_source: cert.clone(),
                    identity,
                })
            }
        };
        Ok(TlsSettings {
            extra_roots,
            identity,
            skip_verify: raw.insecure_skip_verify,
        })
    }
}
