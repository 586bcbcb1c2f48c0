//! TLS as staging deployments have it: extra trusted CAs (an internal CA), a client
//! certificate for mutual TLS (RFC 8705 §2: the client authenticates with its certificate in
//! the TLS handshake), and an explicit opt-out of certificate verification for self-signed
//! throwaway servers, which every report states. A TLS failure is told in plain words: which
//! host, and why.

use std::fmt;

/// What the HTTP client trusts and presents. `Default`: the platform's roots, no client
/// certificate, verification on.
#[derive(Clone, Default)]
pub struct TlsSettings {
    /// Trusted in addition to the platform's roots, with where each came from.
    pub extra_roots: Vec<(String, reqwest::Certificate)>,
    /// The client certificate chain and key presented when a server asks for one.
    pub identity: Option<ClientIdentity>,
    /// Accept any server certificate (`[tls] insecure_skip_verify`).
    pub skip_verify: bool,
}

/// A client certificate and its key; the key never shows in Debug.
#[derive(Clone)]
pub struct ClientIdentity {
    /// Where the certificate came from (`certs/client.pem`).
    pub cert_source: String,
    pub identity: reqwest::Identity,
}

impl fmt::Debug for TlsSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TlsSettings")
            .field(
                "extra_roots",
                &self.extra_roots.iter().map(|(s, _)| s).collect::<Vec<_>>(),
            )
            .field(
                "client_certificate",
                &self.identity.as_ref().map(|i| &i.cert_source),
            )
            .field("skip_verify", &self.skip_verify)
            .finish()
    }
}

/// A PEM file that is not what it should be.
#[derive(Debug, thiserror::Error)]
pub enum PemError {
    #[error("holds no PEM certificate")]
    NoCertificate,
    #[error("is not a PEM certificate bundle: {0}")]
    BadCertificate(String),
    #[error(
        "is not a certificate and private key reqwest can use (PEM; PKCS#8, PKCS#1 or SEC1 key): {0}"
    )]
    BadIdentity(String),
}

/// Every certificate of a PEM bundle.
pub fn certificates(pem: &[u8]) -> Result<Vec<reqwest::Certificate>, PemError> {
    if !String::from_utf8_lossy(pem).contains("-----BEGIN CERTIFICATE-----") {
        return Err(PemError::NoCertificate);
    }
    let certs = reqwest::Certificate::from_pem_bundle(pem)
        .map_err(|e| PemError::BadCertificate(e.to_string()))?;
    if certs.is_empty() {
        return Err(PemError::NoCertificate);
    }
    Ok(certs)
}

/// A client identity from its PEM certificate chain and PEM private key.
pub fn identity(cert_pem: &[u8], key_pem: &[u8]) -> Result<reqwest::Identity, PemError> {
    if !String::from_utf8_lossy(cert_pem).contains("-----BEGIN CERTIFICATE-----") {
        return Err(PemError::NoCertificate);
    }
    let mut both = cert_pem.to_vec();
    both.push(b'\n');
    both.extend_from_slice(key_pem);
    reqwest::Identity::from_pem(&both).map_err(|e| PemError::BadIdentity(e.to_string()))
}

impl TlsSettings {
    /// `builder` trusting and presenting what these settings say.
    pub fn apply(&self, mut builder: reqwest::ClientBuilder) -> reqwest::ClientBuilder {
        if !self.extra_roots.is_empty() {
            builder = builder.tls_certs_merge(self.extra_roots.iter().map(|(_, c)| c.clone()));
        }
        if let Some(id) = &self.identity {
            builder = builder.identity(id.identity.clone());
        }
        if self.skip_verify {
            builder = builder.tls_danger_accept_invalid_certs(true);
        }
        builder
    }
}

/// What went wrong in a TLS handshake with `host`, in plain words and with what to do;
/// `presented`: whether a client certificate was configured. `None` when `err` was not a TLS
/// failure.
pub fn explain(
    err: &(dyn std::error::Error + 'static),
    host: &str,
    presented: bool,
) -> Option<String> {
    let tls = rustls_error(err)?;
    use rustls::AlertDescription as A;
    use rustls::CertificateError as C;
    use rustls::Error as E;
    let trust = "add the CA that signed it to [tls] ca_certs (or, for a throwaway test server only, set [tls] insecure_skip_verify = true)";
    let why = match tls {
        E::InvalidCertificate(C::UnknownIssuer) => {
            format!("{host}'s certificate is not signed by a CA the harness trusts: {trust}")
        }
        E::InvalidCertificate(C::NotValidForName | C::NotValidForNameContext { .. }) => format!(
            "{host}'s certificate is not issued for that name: use a URL with a name the certificate lists"
        ),
        E::InvalidCertificate(C::Expired | C::ExpiredContext { .. }) => {
            format!("{host}'s certificate has expired")
        }
        E::InvalidCertificate(C::NotValidYet | C::NotValidYetContext { .. }) => {
            format!("{host}'s certificate is not valid yet (check the clocks)")
        }
        E::InvalidCertificate(C::Revoked) => format!("{host}'s certificate is revoked"),
        E::InvalidCertificate(other) => {
            format!("{host}'s certificate was refused ({other}): {trust}")
        }
        E::AlertReceived(A::CertificateRequired) if !presented => format!(
            "{host} refused the TLS handshake ({}): it wants a client certificate (mutual TLS); set [tls] client_cert and client_key",
            alert_words(A::CertificateRequired)
        ),
        E::AlertReceived(
            a @ (A::CertificateRequired
            | A::BadCertificate
            | A::UnknownCA
            | A::AccessDenied
            | A::CertificateUnknown),
        ) if presented => format!(
            "{host} refused the client certificate of [tls] client_cert ({}): check that it is the one the server trusts, signed by its CA, and not expired",
            alert_words(*a)
        ),
        E::AlertReceived(a) => format!(
            "{host} ended the TLS handshake ({}){}",
            alert_words(*a),
            if presented {
                ""
            } else {
                ": if it asks for a client certificate (mutual TLS), set [tls] client_cert and client_key"
            }
        ),
        E::InvalidMessage(_) | E::InappropriateMessage { .. } => {
            format!("{host} did not answer in TLS: is it plain http?")
        }
        other => format!("the TLS handshake with {host} failed: {other}"),
    };
    Some(format!("TLS: {why}"))
}

fn alert_words(a: rustls::AlertDescription) -> String {
    use rustls::AlertDescription as A;
    match a {
        A::CertificateRequired => "alert: certificate required".into(),
        A::HandshakeFailure => "alert: handshake failure".into(),
        A::BadCertificate => "alert: bad certificate".into(),
        A::UnknownCA => "alert: unknown CA".into(),
        A::AccessDenied => "alert: access denied".into(),
        other => format!("alert number {}", u8::from(other)),
    }
}

/// The rustls error in `err`'s chain. An `io::Error` hides the error it wraps from
/// `source()` (and hyper's connector wraps rustls's `io::Error` in another), so each is
/// opened with `get_ref`.
fn rustls_error<'a>(err: &'a (dyn std::error::Error + 'static)) -> Option<&'a rustls::Error> {
    let mut cur: Option<&(dyn std::error::Error + 'static)> = Some(err);
    while let Some(e) = cur {
        if let Some(t) = e.downcast_ref::<rustls::Error>() {
            return Some(t);
        }
        cur = match e
            .downcast_ref::<std::io::Error>()
            .and_then(|io| io.get_ref())
        {
            Some(inner) => Some(inner as &(dyn std::error::Error + 'static)),
            None => e.source(),
        };
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn explains_the_common_failures_by_host() {
        // As hyper's connector hands it over: rustls's io::Error inside another.
        let io = std::io::Error::other(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            rustls::Error::InvalidCertificate(rustls::CertificateError::UnknownIssuer),
        ));
        let why = explain(&io, "127.0.0.1:8443", false).unwrap();
        assert!(
            why.contains("127.0.0.1:8443's certificate is not signed by a CA"),
            "{why}"
        );
        assert!(why.contains("[tls] ca_certs"), "{why}");
        let alert = rustls::Error::AlertReceived(rustls::AlertDescription::CertificateRequired);
        let why = explain(&alert, "h:1", false).unwrap();
        assert!(
            why.contains("set [tls] client_cert and client_key"),
            "{why}"
        );
        let refused = rustls::Error::AlertReceived(rustls::AlertDescription::UnknownCA);
        let why = explain(&refused, "h:1", true).unwrap();
        assert!(why.contains("refused the client certificate"), "{why}");
        assert!(explain(&std::io::Error::other("connection refused"), "h:1", false).is_none());
    }

    #[test]
    fn bad_pem_is_told_apart() {
        assert!(matches!(
            certificates(b"nothing"),
            Err(PemError::NoCertificate)
        ));
        assert!(matches!(identity(b"x", b"y"), Err(PemError::NoCertificate)));
    }
}
