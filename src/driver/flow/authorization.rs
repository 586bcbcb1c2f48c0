//! The authorization request (RFC 6749 §4.1.1), what a walk needs to log in and consent, and
//! where a walk ends: the authorization response (§4.1.2) or the page it stopped at.

use url::Url;

use crate::protocol::{ClientId, PkceCodeChallenge, Scope};

/// An authorization request: the endpoint and its query parameters, in order. Every parameter
/// can be left out, replaced or duplicated, for negative tests.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuthorizationRequest {
    pub endpoint: Url,
    pub params: Vec<(String, String)>,
}

impl AuthorizationRequest {
    /// No parameters at all.
    pub fn new(endpoint: Url) -> Self {
        Self {
            endpoint,
            params: Vec::new(),
        }
    }

    /// The usual code-flow request: `response_type=code`, `client_id`, `redirect_uri`,
    /// `scope` (if any), `state`, and `code_challenge`/`code_challenge_method` (if any).
    pub fn code(
        endpoint: Url,
        client_id: &ClientId,
        redirect_uri: &str,
        scope: Option<&Scope>,
        state: &str,
        challenge: Option<&PkceCodeChallenge>,
    ) -> Self {
        let mut r = Self::new(endpoint)
            .set("response_type", "code")
            .set("client_id", client_id.as_str())
            .set("redirect_uri", redirect_uri);
        if let Some(s) = scope {
            r = r.set("scope", &s.to_string());
        }
        r = r.set("state", state);
        if let Some(c) = challenge {
            r = r
                .set("code_challenge", c.as_str())
                .set("code_challenge_method", c.method().as_str());
        }
        r
    }

    /// Sets a parameter, replacing every earlier value of it.
    pub fn set(mut self, name: &str, value: &str) -> Self {
        if let Some(pos) = self.params.iter().position(|(k, _)| k == name) {
            self.params[pos].1 = value.to_owned();
            let mut i = 0;
            self.params.retain(|(k, _)| {
                i += 1;
                k != name || i - 1 == pos
            });
        } else {
            self.params.push((name.to_owned(), value.to_owned()));
        }
        self
    }

    /// Adds a parameter, keeping earlier values (duplicate-parameter tests).
    pub fn append(mut self, name: &str, value: &str) -> Self {
        self.params.push((name.to_owned(), value.to_owned()));
        self
    }

    /// Removes every value of a parameter.
    pub fn remove(mut self, name: &str) -> Self {
        self.params.retain(|(k, _)| k != name);
        self
    }

    pub fn get(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// The URL: the endpoint's own query (kept, RFC 6749 §3.1) followed by the parameters.
    pub fn url(&self) -> Url {
        let mut url = self.endpoint.clone();
        if !self.params.is_empty() {
            let mut q = url.query_pairs_mut();
            for (k, v) in &self.params {
                q.append_pair(k, v);
            }
        }
        url
    }
}
