//! The token-endpoint family: token requests (exchange, refresh, client credentials, any
//! grant), revocation (RFC 7009) and introspection (RFC 7662).

use std::fmt;

use url::Url;

use super::FlowError;
use super::answers::{Answer, EndpointResponse, IntrospectionResponse, Revoked, TokenResponse};
use super::answers::{error_answer, read_answer};
use super::client_auth::ClientAuth;
use crate::driver::http::{Driver, HttpRequest, form_urlencode, redact_form};
use crate::protocol::{AuthorizationCode, PkceCodeVerifier, RefreshToken, Scope};

/// A token request (RFC 6749 §3.2): the grant and its parameters, built up by name, then sent
/// with the client's authentication and read as a token response. A new parameter or header
/// is one call where it is needed, never a new positional argument at every call site.
///
/// ```
/// use oauthspec::driver::flow::TokenRequest;
/// use oauthspec::protocol::{AuthorizationCode, PkceCodeVerifier};
///
/// let verifier = PkceCodeVerifier::new_random();
/// let request = TokenRequest::authorization_code(&AuthorizationCode::new("c0de"))
///     .redirect_uri(Some("https://client.example/cb"))
///     .verifier(Some(&verifier))
///     .header("DPoP", "eyJ0eXAiOiJkcG9wK2p3dCJ9.e30.c2ln");
/// assert_eq!(request.form()[0], ("grant_type".into(), "authorization_code".into()));
/// assert_eq!(request.form().len(), 4);
/// // Secrets (the verifier) stay out of its Debug output.
/// assert!(!format!("{request:?}").contains(verifier.secret()));
/// ```
#[derive(Clone)]
#[must_use]
pub struct TokenRequest {
    form: Vec<(String, String)>,
    headers: Vec<(String, String)>,
}

impl TokenRequest {
    /// A request for any grant type: an extension grant, or one the server never heard of.
    pub fn grant(grant_type: &str) -> Self {
        Self {
            form: vec![("grant_type".to_owned(), grant_type.to_owned())],
            headers: Vec::new(),
        }
    }

    /// RFC 6749 §4.1.3: exchanges an authorization code (add the `redirect_uri` and, RFC 7636
    /// §4.5, the `code_verifier` the authorization request calls for).
    pub fn authorization_code(code: &AuthorizationCode) -> Self {
        Self::grant("authorization_code").param("code", code.secret())
    }

    /// RFC 6749 §6: refreshes an access token.
    pub fn refresh_token(refresh_token: &RefreshToken) -> Self {
        Self::grant("refresh_token").param("refresh_token", refresh_token.secret())
    }

    /// RFC 6749 §4.4: the client credentials grant.
    pub fn client_credentials() -> Self {
        Self::grant("client_credentials")
    }

    /// `redirect_uri` (RFC 6749 §4.1.3), if there is one.
    pub fn redirect_uri(self, redirect_uri: Option<&str>) -> Self {
        self.param_opt("redirect_uri", redirect_uri)
    }

    /// `code_verifier` (RFC 7636 §4.5), if there is one.
    pub fn verifier(self, verifier: Option<&PkceCodeVerifier>) -> Self {
        self.param_opt("code_verifier", verifier.map(PkceCodeVerifier::secret))
    }

    /// `scope` (RFC 6749 §3.3), if there is one.
    pub fn scope(self, scope: Option<&Scope>) -> Self {
        let scope = scope.map(Scope::to_string);
        self.param_opt("scope", scope.as_deref())
    }

    /// Any other form parameter, appended after the ones already set.
    pub fn param(mut self, name: &str, value: &str) -> Self {
        self.form.push((name.to_owned(), value.to_owned()));
        self
    }

    fn param_opt(self, name: &str, value: Option<&str>) -> Self {
        match value {
            Some(v) => self.param(name, v),
            None => self,
        }
    }

    /// A request header (a proof, an extension's header).
    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.to_owned(), value.to_owned()));
        self
    }

    /// The form as it will be sent, before client authentication adds to it.
    pub fn form(&self) -> &[(String, String)] {
        &self.form
    }

    /// The HTTP request: a form POST to `endpoint`, the client authenticated as `auth` says.
    pub fn build(self, endpoint: &Url, auth: &ClientAuth) -> HttpRequest {
        let mut request = authenticated_post(endpoint, auth, self.form);
        for (name, value) in self.headers {
            request = request.header(name, value);
        }
        request
    }

    /// Sends the request and reads the answer as a token response.
    pub async fn send(
        self,
        driver: &Driver,
        endpoint: &Url,
        auth: &ClientAuth,
    ) -> Result<EndpointResponse<TokenResponse>, FlowError> {
        let resp = driver.send(self.build(endpoint, auth)).await?;
        Ok(read_answer(resp))
    }
}

impl fmt::Debug for TokenRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&redact_form(&form_urlencode(&self.form)))
    }
}

/// A form POST to a token, introspection or revocation endpoint, the client authenticated
/// as `auth` says (RFC 6749 §2.3.1) and JSON asked for; built, not sent.
pub fn authenticated_post(
    endpoint: &Url,
    auth: &ClientAuth,
    mut form: Vec<(String, String)>,
) -> HttpRequest {
    let req = auth.apply(HttpRequest::post(endpoint.clone()), &mut form);
    req.header("Accept", "application/json").form(form)
}

/// RFC 7009: revokes a token. Success is any 2xx.
pub async fn revoke(
    driver: &Driver,
    endpoint: &Url,
    auth: &ClientAuth,
    token: &str,
    token_type_hint: Option<&str>,
) -> Result<EndpointResponse<Revoked>, FlowError> {
    let mut form = vec![("token".to_owned(), token.to_owned())];
    if let Some(h) = token_type_hint {
        form.push(("token_type_hint".into(), h.into()));
    }
    let req = auth.apply(HttpRequest::post(endpoint.clone()), &mut form);
    let resp = driver.send(req.form(form)).await?;
    let answer = if (200..300).contains(&resp.status) {
        Answer::Success(Revoked)
    } else {
        error_answer(resp.status, &resp.body)
    };
    Ok(EndpointResponse {
        status: resp.status,
        headers: resp.headers,
        body: resp.body,
        answer,
    })
}

/// RFC 7662: introspects a token.
pub async fn introspect(
    driver: &Driver,
    endpoint: &Url,
    auth: &ClientAuth,
    token: &str,
    token_type_hint: Option<&str>,
) -> Result<EndpointResponse<IntrospectionResponse>, FlowError> {
    let mut form = vec![("token".to_owned(), token.to_owned())];
    if let Some(h) = token_type_hint {
        form.push(("token_type_hint".into(), h.into()));
    }
    let resp = driver
        .send(authenticated_post(endpoint, auth, form))
        .await?;
    Ok(read_answer(resp))
}
