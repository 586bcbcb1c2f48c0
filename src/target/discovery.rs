//! RFC 8414 authorization server metadata, and the `Target`: a profile with its endpoints
//! resolved (the profile's `[endpoints]` win over discovery).

use serde::Deserialize;
use url::Url;

use super::endpoint::Endpoint;
pub use super::endpoint::Endpoints;
use super::profile::{TargetKind, TargetProfile};
use crate::driver::http::{Driver, DriverError, HttpRequest};
use crate::protocol::GrantType;

/// Authorization server metadata (RFC 8414 §2), typed, with the document as it came.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct Metadata {
    #[serde(default)]
    pub issuer: Option<String>,
    #[serde(default)]
    pub authorization_endpoint: Option<String>,
    #[serde(default)]
    pub token_endpoint: Option<String>,
    #[serde(default)]
    pub registration_endpoint: Option<String>,
    #[serde(default)]
    pub revocation_endpoint: Option<String>,
    #[serde(default)]
    pub introspection_endpoint: Option<String>,
    #[serde(default)]
    pub jwks_uri: Option<String>,
    #[serde(default)]
    pub userinfo_endpoint: Option<String>,
    #[serde(default)]
    pub scopes_supported: Option<Vec<String>>,
    #[serde(default)]
    pub response_types_supported: Option<Vec<String>>,
    #[serde(default)]
    pub grant_types_supported: Option<Vec<String>>,
    #[serde(default)]
    pub code_challenge_methods_supported: Option<Vec<String>>,
    #[serde(default)]
    pub token_endpoint_auth_methods_supported: Option<Vec<String>>,
    #[serde(default)]
    pub authorization_response_iss_parameter_supported: Option<bool>,
    #[serde(skip)]
    pub raw: serde_json::Value,
}

impl Metadata {
    /// Parses a metadata document.
    pub fn from_json(body: &[u8]) -> Result<Self, String> {
        let raw: serde_json::Value =
            serde_json::from_slice(body).map_err(|e| format!("not JSON: {e}"))?;
        if !raw.is_object() {
            return Err("not a JSON object".into());
        }
        let mut m: Metadata = serde_json::from_value(raw.clone()).map_err(|e| e.to_string())?;
        m.raw = raw;
        Ok(m)
    }

    /// The metadata member that gives an endpoint, as written.
    pub fn endpoint(&self, e: Endpoint) -> Option<&str> {
        match e {
            Endpoint::Authorization => self.authorization_endpoint.as_deref(),
            Endpoint::Token => self.token_endpoint.as_deref(),
            Endpoint::Registration => self.registration_endpoint.as_deref(),
            Endpoint::Revocation => self.revocation_endpoint.as_deref(),
            Endpoint::Introspection => self.introspection_endpoint.as_deref(),
            Endpoint::Jwks => self.jwks_uri.as_deref(),
            Endpoint::Userinfo => self.userinfo_endpoint.as_deref(),
        }
    }

    /// Grant types, with RFC 8414's default when absent.
    pub fn grant_types(&self) -> Vec<GrantType> {
        self.grant_types_supported.as_ref().map_or_else(
            || vec![GrantType::AuthorizationCode, GrantType::Implicit],
            |g| g.iter().map(|g| GrantType::parse(g)).collect(),
        )
    }

    /// Client authentication methods, with RFC 8414's default when absent.
    pub fn token_endpoint_auth_methods(&self) -> Vec<String> {
        self.token_endpoint_auth_methods_supported
            .clone()
            .unwrap_or_else(|| vec!["client_secret_basic".to_owned()])
    }

    pub fn supports_pkce_s256(&self) -> bool {
        self.code_challenge_methods_supported
            .as_ref()
            .is_some_and(|m| m.iter().any(|x| x == "S256"))
    }
}

#[derive(Debug, thiserror::Error)]
pub enum DiscoveryError {
    #[error("discovery: {0}")]
    Driver(#[from] DriverError),
    #[error("discovery: no metadata document at {}", tried.join(" or "))]
    NotFound { tried: Vec<String> },
    #[error("discovery: {url}: {message}")]
    BadDocument { url: String, message: String },
    #[error(
        "the target needs a `{0}` endpoint: discovery did not give one and [endpoints] does not name one"
    )]
    MissingEndpoint(&'static str),
}

/// Where metadata may live for an issuer: RFC 8414 §3.1 (`/.well-known/oauth-authorization-server`
/// inserted before the issuer's path), then OpenID Connect Discovery (appended to it).
pub fn well_known_urls(issuer: &Url) -> Vec<Url> {
    let path = issuer.path().trim_end_matches('/');
    let mut oauth = issuer.clone();
    oauth.set_path(&format!("/.well-known/oauth-authorization-server{path}"));
    let mut oidc = issuer.clone();
    oidc.set_path(&format!("{path}/.well-known/openid-configuration"));
    vec![oauth, oidc]
}

/// Fetches the metadata of an issuer: the first well-known URL that answers 200 with a JSON
/// object. Returns the metadata and where it was found.
pub async fn discover(driver: &Driver, issuer: &Url) -> Result<(Metadata, Url), DiscoveryError> {
    let mut tried = Vec::new();
    for url in well_known_urls(issuer) {
        let resp = driver
            .send(HttpRequest::get(url.clone()).header("Accept", "application/json"))
            .await?;
        if resp.status == 200 {
            let m =
                Metadata::from_json(&resp.body).map_err(|message| DiscoveryError::BadDocument {
                    url: url.to_string(),
                    message,
                })?;
            return Ok((m, url));
        }
        tried.push(format!("{url} ({})", resp.status));
    }
    Err(DiscoveryError::NotFound { tried })
}

impl Endpoints {
    /// An endpoint the target must have.
    pub fn require(&self, e: Endpoint) -> Result<&Url, DiscoveryError> {
        self.get(e).ok_or(DiscoveryError::MissingEndpoint(e.name()))
    }
}

/// A profile with its endpoints resolved.
#[derive(Clone, Debug)]
pub struct Target {
    pub profile: TargetProfile,
    /// The discovery document, if discovery ran and found one.
    pub metadata: Option<Metadata>,
    /// Where it was found.
    pub metadata_url: Option<Url>,
    /// Why discovery did not give a document, when the overrides made it unnecessary.
    pub discovery_problem: Option<String>,
    pub endpoints: Endpoints,
    /// Endpoints that discovery gave but that lie on hosts the profile does not name: the
    /// driver will refuse them. Each entry is `name: url`.
    pub unreachable: Vec<String>,
}

impl Target {
    /// Runs discovery (oauth targets with an issuer) and merges the profile's overrides.
    /// Discovery failing is an error only if the overrides do not give both the authorization
    /// and token endpoints.
    pub async fn resolve(profile: TargetProfile, driver: &Driver) -> Result<Self, DiscoveryError> {
        let mut target = Self::without_discovery(profile);
        if target.profile.kind != TargetKind::OAuth {
            return Ok(target);
        }
        let Some(issuer) = target.profile.issuer.clone() else {
            return Ok(target);
        };
        let o = &target.profile.endpoints;
        let overrides_suffice =
            o.get(Endpoint::Authorization).is_some() && o.get(Endpoint::Token).is_some();
        match discover(driver, &issuer).await {
            Ok((m, url)) => {
                target.apply_metadata(m, url);
                Ok(target)
            }
            Err(e) if overrides_suffice => {
                target.discovery_problem = Some(e.to_string());
                Ok(target)
            }
            Err(e) => Err(e),
        }
    }

    /// The profile's own endpoints only.
    pub fn without_discovery(profile: TargetProfile) -> Self {
        let endpoints = profile.endpoints.clone();
        Self {
            profile,
            metadata: None,
            metadata_url: None,
            discovery_problem: None,
            endpoints,
            unreachable: Vec::new(),
        }
    }

    /// Fills the endpoints the profile does not override from a metadata document.
    pub fn apply_metadata(&mut self, metadata: Metadata, url: Url) {
        let allow = &self.profile.allowed_hosts;
        let mut unreachable = Vec::new();
        let mut endpoints = Endpoints::default();
        for e in Endpoint::ALL {
            let url = match self.profile.endpoints.get(e) {
                Some(over) => Some(over.clone()),
                None => {
                    let found = metadata.endpoint(e).and_then(|u| Url::parse(u).ok());
                    if let Some(u) = found.as_ref().filter(|u| !allow.allows(u)) {
                        unreachable.push(format!("{}: {u}", e.metadata_member()));
                    }
                    found
                }
            };
            endpoints.set(e, url);
        }
        self.endpoints = endpoints;
        self.unreachable = unreachable;
        self.metadata = Some(metadata);
        self.metadata_url = Some(url);
    }

    /// Whether the registration endpoint can be used (known, and allowed by the profile).
    pub fn can_register(&self) -> bool {
        self.profile.registration_enabled() && self.endpoints.get(Endpoint::Registration).is_some()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::Router;
    use axum::http::StatusCode;
    use axum::routing::get;

    #[test]
    fn well_known_urls_follow_rfc8414_and_oidc() {
        let u = well_known_urls(&Url::parse("http://127.0.0.1:3000").unwrap());
        assert_eq!(
            u[0].as_str(),
            "http://127.0.0.1:3000/.well-known/oauth-authorization-server"
        );
        assert_eq!(
            u[1].as_str(),
            "http://127.0.0.1:3000/.well-known/openid-configuration"
        );
        let u = well_known_urls(&Url::parse("https://h/tenant/a").unwrap());
        assert_eq!(
            u[0].as_str(),
            "https://h/.well-known/oauth-authorization-server/tenant/a"
        );
        assert_eq!(
            u[1].as_str(),
            "https://h/tenant/a/.well-known/openid-configuration"
        );
    }

    #[test]
    fn metadata_parses_typed_fields_and_keeps_the_raw_document() {
        let m = Metadata::from_json(
            br#"{"issuer":"http://i","token_endpoint":"http://i/token","code_challenge_methods_supported":["S256"],"authorization_response_iss_parameter_supported":true,"x-extra":1}"#,
        )
        .unwrap();
        assert_eq!(m.issuer.as_deref(), Some("http://i"));
        assert!(m.supports_pkce_s256());
        assert_eq!(m.authorization_response_iss_parameter_supported, Some(true));
        assert_eq!(m.raw["x-extra"], 1);
        assert_eq!(m.token_endpoint_auth_methods(), vec!["client_secret_basic"]);
        assert!(Metadata::from_json(br#"{"scopes_supported":"a b"}"#).is_err());
        assert!(Metadata::from_json(b"[]").is_err());
    }

    async fn serve(router: Router) -> u16 {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
        port
    }

    #[tokio::test]
    async fn discovery_falls_back_to_openid_configuration_and_overrides_win() {
        // Only the OpenID Connect location answers, like oidc-provider.
        let port_cell = std::sync::Arc::new(std::sync::OnceLock::<u16>::new());
        let pc = port_cell.clone();
        let router = Router::new().route(
            "/.well-known/openid-configuration",
            get(move || {
                let port = *pc.get().unwrap();
                async move {
                    (
                        [("content-type", "application/json")],
                        format!(
                            r#"{{"issuer":"http://127.0.0.1:{port}","authorization_endpoint":"http://127.0.0.1:{port}/auth","token_endpoint":"http://127.0.0.1:{port}/token","jwks_uri":"http://keys.example/jwks","registration_endpoint":"http://127.0.0.1:{port}/reg"}}"#
                        ),
                    )
                }
            }),
        );
        let port = serve(router).await;
        port_cell.set(port).unwrap();
        let text = format!(
            "name = \"t\"\nissuer = \"http://127.0.0.1:{port}\"\n[endpoints]\ntoken = \"http://127.0.0.1:{port}/other-token\"\n[registration]\n"
        );
        let profile = TargetProfile::parse(&text, "t.toml").unwrap();
        let driver = profile.driver().unwrap();
        let target = Target::resolve(profile, &driver).await.unwrap();
        assert_eq!(
            target.metadata_url.as_ref().unwrap().path(),
            "/.well-known/openid-configuration"
        );
        assert_eq!(
            target
                .endpoints
                .get(Endpoint::Authorization)
                .unwrap()
                .path(),
            "/auth"
        );
        assert_eq!(
            target.endpoints.get(Endpoint::Token).unwrap().path(),
            "/other-token"
        );
        assert!(target.can_register());
        assert_eq!(
            target.unreachable,
            vec!["jwks_uri: http://keys.example/jwks"]
        );
        // Two requests: the RFC 8414 location (404), then OIDC.
        let ex = driver.evidence().exchanges();
        assert_eq!(ex.len(), 2);
        assert_eq!(ex[0].status, Some(404));
    }

    #[tokio::test]
    async fn discovery_failure_is_an_error_unless_overrides_suffice() {
        let port = serve(Router::new().route("/x", get(|| async { StatusCode::OK }))).await;
        let text = format!("name = \"t\"\nissuer = \"http://127.0.0.1:{port}\"\n[registration]\n");
        let profile = TargetProfile::parse(&text, "t.toml").unwrap();
        let driver = profile.driver().unwrap();
        let err = Target::resolve(profile, &driver).await.unwrap_err();
        assert!(
            matches!(err, DiscoveryError::NotFound { ref tried } if tried.len() == 2),
            "{err}"
        );

        let text = format!(
            "{text}[endpoints]\nauthorization = \"http://127.0.0.1:{port}/a\"\ntoken = \"http://127.0.0.1:{port}/t\"\n"
        );
        let profile = TargetProfile::parse(&text, "t.toml").unwrap();
        let target = Target::resolve(profile, &driver).await.unwrap();
        assert!(target.metadata.is_none());
        assert!(target.discovery_problem.is_some());
        assert_eq!(
            target.endpoints.require(Endpoint::Token).unwrap().path(),
            "/t"
        );
    }
}
