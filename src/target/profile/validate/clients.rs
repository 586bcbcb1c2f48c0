//! `issuer`, `[endpoints]`, `[[clients]]` and `[registration]`.

use url::Url;

use super::Validator;
use crate::protocol::AuthMethod;
use crate::protocol::{ClientId, ClientSecret, GrantType, InitialAccessToken, Scope};
use crate::target::endpoint::Endpoint;
use crate::target::profile::raw::{RawClient, RawEndpoints, RawRegistration};
use crate::target::profile::{
    ClientProfile, DEFAULT_REDIRECT_URI, EndpointOverrides, ProfileError, RegistrationProfile,
    ScenarioClients,
};

impl Validator<'_> {
    /// `issuer`: an http(s) URL without query or fragment.
    pub(super) fn issuer(&self, raw: &Option<String>) -> Result<Option<Url>, ProfileError> {
        let issuer = self.opt_url("issuer", raw)?;
        if issuer
            .as_ref()
            .is_some_and(|i| i.query().is_some() || i.fragment().is_some())
        {
            return Err(self.err("issuer", "an issuer has no query or fragment (RFC 8414 §2)"));
        }
        Ok(issuer)
    }

    /// `[endpoints]`: each an http(s) URL.
    pub(super) fn endpoints(&self, e: &RawEndpoints) -> Result<EndpointOverrides, ProfileError> {
        let mut out = EndpointOverrides::default();
        for endpoint in Endpoint::ALL {
            out.set(
                endpoint,
                self.opt_url(&endpoint.profile_field(), e.get(endpoint))?,
            );
        }
        Ok(out)
    }

    /// `[[clients]]`: distinct ids, a secret exactly when the method uses one.
    pub(super) fn clients(&self, raw: &[RawClient]) -> Result<Vec<ClientProfile>, ProfileError> {
        let mut clients: Vec<ClientProfile> = Vec::new();
        for (i, c) in raw.iter().enumerate() {
            let client = self.client(i, c, &clients)?;
            clients.push(client);
        }
        Ok(clients)
    }

    fn client(
        &self,
        i: usize,
        c: &RawClient,
        before: &[ClientProfile],
    ) -> Result<ClientProfile, ProfileError> {
        let at = |f: &str| format!("clients[{i}].{f}");
        self.non_empty(&at("id"), &c.id)?;
        if before.iter().any(|o| o.id.as_str() == c.id) {
            return Err(self.err(&at("id"), format!("client `{}` is listed twice", c.id)));
        }
        let auth_method = c.auth_method.unwrap_or(if c.secret.is_some() {
            AuthMethod::ClientSecretBasic
        } else {
            AuthMethod::None
        });
        self.client_secret(i, auth_method, c.secret.is_some())?;
        let redirect_uri = c
            .redirect_uri
            .as_deref()
            .map(|r| self.redirect_uri(&at("redirect_uri"), r))
            .transpose()?;
        let grant_types = c.grant_types.as_ref().map_or_else(
            || vec![GrantType::AuthorizationCode],
            |g| g.iter().map(|g| GrantType::parse(g)).collect(),
        );
        if grant_types.contains(&GrantType::AuthorizationCode) && redirect_uri.is_none() {
            return Err(self.err(
                &format!("clients[{i}]"),
                "a client for the authorization_code grant needs a `redirect_uri`",
            ));
        }
        Ok(ClientProfile {
            id: ClientId::new(c.id.clone()),
            secret: c.secret.clone().map(ClientSecret::new),
            auth_method,
            redirect_uri,
            scope: c.scope.as_deref().map(Scope::parse),
            grant_types,
        })
    }

    /// A secret exactly when the method authenticates with one.
    fn client_secret(
        &self,
        i: usize,
        auth_method: AuthMethod,
        has_secret: bool,
    ) -> Result<(), ProfileError> {
        let at = |f: &str| format!("clients[{i}].{f}");
        match (auth_method, has_secret) {
            (AuthMethod::None, true) => Err(self.err(
                &at("secret"),
                "a public client (auth_method = \"none\") has no secret",
            )),
            (AuthMethod::TlsClientAuth | AuthMethod::SelfSignedTlsClientAuth, true) => {
                Err(self.err(
                    &at("secret"),
                    format!("a `{auth_method}` client proves itself with its certificate ([tls] client_cert), not a secret"),
                ))
            }
            (AuthMethod::ClientSecretBasic | AuthMethod::ClientSecretPost, false) => Err(
                self.err(&at("auth_method"), format!("`{auth_method}` needs a `secret`")),
            ),
            _ => Ok(()),
        }
    }

    /// `[registration]`; `scenario_clients = "profile"` needs `[[clients]]`.
    pub(super) fn registration(
        &self,
        raw: Option<&RawRegistration>,
        clients: &[ClientProfile],
    ) -> Result<Option<RegistrationProfile>, ProfileError> {
        let Some(r) = raw else { return Ok(None) };
        let registration = RegistrationProfile {
            enabled: r.enabled,
            redirect_uri: match &r.redirect_uri {
                Some(u) => self.redirect_uri("registration.redirect_uri", u)?,
                None => DEFAULT_REDIRECT_URI.to_owned(),
            },
            scope: r.scope.as_deref().map(Scope::parse),
            auth_method: match r.auth_method {
                Some(m) if m.by_certificate() => {
                    return Err(self.err(
                        "registration.auth_method",
                        format!("the harness cannot register `{m}` clients (RFC 8705 §2.1.2 needs the certificate's subject in the metadata): list the client in [[clients]]"),
                    ));
                }
                m => m.unwrap_or(AuthMethod::ClientSecretBasic),
            },
            initial_access_token: r.initial_access_token.clone().map(InitialAccessToken::new),
            scenario_clients: r.scenario_clients.unwrap_or_default(),
        };
        if registration.scenario_clients == ScenarioClients::Profile && clients.is_empty() {
            return Err(self.err(
                "registration.scenario_clients",
                "scenarios are to use the profile's clients, but there are no [[clients]]",
            ));
        }
        Ok(Some(registration))
    }
}
