//! The measured requests of a load, prepared once (see [`super::lean`]) from the profile's
//! `[load]` parameters and the load's clients; or why each cannot be sent.

use url::Url;

use super::clients::{LoadClient, LoadClients};
use super::lean::{Lean, Prepared, Via, method_label};
use super::{ceiling, missing};
use crate::driver::flow;
use crate::driver::http::HttpRequest;
use crate::protocol::GrantType;
use crate::target::Endpoint;
use crate::target::Target;
use crate::target::load::GrantParams;

/// A measured request, built once; or why it cannot be sent.
pub(super) type Ready = Result<Prepared, Unready>;

/// Why a measured request cannot be sent, and which method it would have had (for goose).
#[derive(Clone, Debug)]
pub(super) struct Unready {
    pub(super) method: &'static str,
    pub(super) why: String,
}

/// The measured requests of each operation, built once (see [`super::lean`]).
pub(super) struct Requests {
    pub(super) client_credentials: Ready,
    pub(super) exchange_code: Ready,
    pub(super) refresh: Ready,
    pub(super) introspect: Ready,
    pub(super) resource: Ready,
    pub(super) baseline: Ready,
    pub(super) ceiling: Ready,
    /// The names the figures use, built once.
    pub(super) resource_name: String,
    pub(super) baseline_name: String,
    pub(super) ceiling_name: String,
}

impl Requests {
    /// Every measured request against `target`; `base` is the target's base URL, whose
    /// scheme decides the ceiling's client.
    pub(super) fn prepare(
        lean: &Lean,
        target: &Target,
        clients: &LoadClients,
        baseline: &Url,
        ceiling_url: &Url,
        base: &Url,
    ) -> Self {
        let p = &target.profile;
        let token = target.endpoints.get(Endpoint::Token).cloned();
        let resource = p
            .resources
            .iter()
            .find(|r| r.method.eq_ignore_ascii_case("GET"))
            .map(|r| r.url.clone());
        Requests {
            // RFC 6749 §4.4.2: scope is a parameter of this grant; the profile's [load] one
            // replaces the client's.
            client_credentials: prepare_token(
                lean,
                &token,
                &clients.cc,
                GrantType::ClientCredentials,
                |c| client_credentials_form(&p.load.client_credentials, c),
            ),
            // RFC 6749 §4.1.3 has no scope (it went on the authorization request); RFC 8707
            // §2.2 sends the resource again.
            exchange_code: prepare_token(
                lean,
                &token,
                &clients.code,
                GrantType::AuthorizationCode,
                |c| exchange_form(&p.load.authorization_code, c),
            ),
            refresh: prepare_token(lean, &token, &clients.code, GrantType::RefreshToken, |_| {
                p.load.refresh_token.token_form()
            }),
            introspect: introspect(
                lean,
                &target.endpoints.get(Endpoint::Introspection).cloned(),
                clients,
            ),
            resource: match &resource {
                Some(url) => prepare(lean, &HttpRequest::get(url.clone())),
                None => unready("GET", missing("GET resource")),
            },
            baseline: prepare(lean, &HttpRequest::get(baseline.clone())),
            // Through the client the target's requests use: an https target's ceiling
            // includes reqwest's cost, not only hyper's.
            ceiling: prepare_via(
                lean,
                &HttpRequest::get(ceiling_url.clone()),
                if base.scheme() == "https" {
                    Via::TlsClient
                } else {
                    Via::Scheme
                },
            ),
            resource_name: match &resource {
                Some(url) => format!("resource GET {}", url.path()),
                None => "resource".to_owned(),
            },
            baseline_name: format!("baseline GET {}", baseline.path()),
            ceiling_name: format!("ceiling GET {}", ceiling::PATH),
        }
    }
}

fn client_credentials_form(g: &GrantParams, c: &LoadClient) -> Vec<(String, String)> {
    let mut form = g.token_form();
    if let (None, Some(s)) = (&g.scope, &c.scope) {
        form.insert(0, ("scope".to_owned(), s.to_string()));
    }
    form
}

fn exchange_form(g: &GrantParams, c: &LoadClient) -> Vec<(String, String)> {
    let mut form: Vec<_> = c
        .redirect_uri
        .iter()
        .map(|r| ("redirect_uri".to_owned(), r.clone()))
        .collect();
    form.extend(g.token_form().into_iter().filter(|(k, _)| k != "scope"));
    form
}

/// RFC 7662 §2.1, authenticated as the client-credentials client (else the code client).
fn introspect(lean: &Lean, endpoint: &Option<Url>, clients: &LoadClients) -> Ready {
    match (endpoint, clients.cc.as_ref().or(clients.code.as_ref())) {
        (None, _) => unready("POST", missing("introspection endpoint")),
        (_, None) => unready("POST", missing("confidential client")),
        (Some(ep), Some(c)) => prepare(lean, &flow::authenticated_post(ep, &c.auth, Vec::new())),
    }
}

pub(super) fn prepare(lean: &Lean, request: &HttpRequest) -> Ready {
    prepare_via(lean, request, Via::Scheme)
}

fn prepare_via(lean: &Lean, request: &HttpRequest, via: Via) -> Ready {
    lean.prepare_via(request, via).map_err(|e| Unready {
        method: method_label(request.method.as_str()),
        why: e.to_string(),
    })
}

/// A request the profile cannot make: `method` as it would have been.
fn unready(method: &'static str, why: String) -> Ready {
    Err(Unready { method, why })
}

/// A token request of `grant_type`, authenticated as `client`, with the client's fixed form
/// parameters; what changes per request is added when it is sent.
fn prepare_token(
    lean: &Lean,
    endpoint: &Option<Url>,
    client: &Option<LoadClient>,
    grant_type: GrantType,
    fixed: impl FnOnce(&LoadClient) -> Vec<(String, String)>,
) -> Ready {
    let (Some(ep), Some(c)) = (endpoint, client) else {
        return unready(
            "POST",
            missing(&format!("token endpoint or client for {grant_type}")),
        );
    };
    let request = fixed(c).iter().fold(
        flow::TokenRequest::grant(grant_type.as_str()),
        |r, (k, v)| r.param(k, v),
    );
    prepare(lean, &request.build(ep, &c.auth))
}
