//! The flow driver as the transport of the load profiles (`oauthspec-load`): every request a
//! profile makes goes through [`Driver`] and the `driver::flow` helpers, so a load run talks
//! to a target exactly like `oauthspec check` does (same allowlist, same login walker).

pub mod ceiling;

use std::sync::Arc;
use std::time::Instant;

use oauthspec_load::{BoxFut, CodeGrant, Exchange, Flows, Reply, Walk};
use url::Url;

use crate::driver::flow::{self, AuthorizationOutcome, ClientAuth, EndpointResponse, WalkOptions};
use crate::driver::http::{DriverConfig, HttpRequest};
use crate::driver::pkce::random_token;
use crate::driver::{
    AuthMethod, AuthorizationCode, AuthorizationRequest, ClientId, Driver, PkceCodeChallenge,
    PkceCodeVerifier, RefreshToken, Scope,
};
use crate::target::{DiscoveryError, Target, TargetProfile};

/// The profile of the reference server (`examples/targets/reference.toml`) pointed at `url`.
pub fn reference_profile(url: &str) -> Result<TargetProfile, crate::target::ProfileError> {
    let text =
        include_str!("../../examples/targets/reference.toml").replace("http://127.0.0.1:8080", url);
    TargetProfile::parse(&text, "<bundled reference server>")
}

#[derive(Debug, thiserror::Error)]
pub enum FlowsError {
    #[error("cannot build the HTTP driver: {0}")]
    Driver(#[from] crate::driver::DriverError),
    #[error("discovery failed: {0}")]
    Discovery(#[from] DiscoveryError),
    #[error("client registration (RFC 7591) failed: {0}")]
    Registration(String),
    #[error("cannot serve the generator's own ceiling endpoint on 127.0.0.1: {0}")]
    Ceiling(std::io::Error),
}

/// A client the load uses: how it authenticates, and what it asks for.
#[derive(Clone, Debug)]
struct LoadClient {
    id: ClientId,
    auth: ClientAuth,
    redirect_uri: Option<String>,
    scope: Option<Scope>,
}

/// `oauthspec_load::Flows` over the flow driver, for one resolved target.
pub struct DriverFlows {
    name: String,
    base: Url,
    /// Records no evidence: the requests of the measured operations.
    fast: Driver,
    /// Records evidence, so each request of a walk can be timed and reported.
    walker: Driver,
    token: Option<Url>,
    authorization: Option<Url>,
    introspection: Option<Url>,
    resource: Option<Url>,
    baseline: Url,
    /// The generator's own endpoint, and the server behind it.
    ceiling: ceiling::Ceiling,
    cc_client: Option<LoadClient>,
    code_client: Option<LoadClient>,
    walk: WalkOptions,
    /// The profile's extra authorization parameters (e.g. `prompt=consent`).
    authorization_params: Vec<(String, String)>,
}

fn missing(what: &str) -> String {
    format!("the target profile gives no {what}")
}

fn reply_of<T>(r: EndpointResponse<T>) -> Reply {
    Reply {
        status: r.status,
        content_type: r.header("content-type").map(str::to_owned),
        body: r.body,
    }
}

/// A GET that took from `started` until now, as the load profiles see it.
fn answered<E: std::fmt::Display>(
    name: String,
    started: Instant,
    res: Result<crate::driver::HttpResponse, E>,
) -> Exchange {
    Exchange {
        method: "GET",
        name,
        elapsed: started.elapsed(),
        outcome: res
            .map(|r| Reply {
                status: r.status,
                content_type: r.content_type().map(str::to_owned),
                body: r.body,
            })
            .map_err(|e| e.to_string()),
    }
}

fn method_label(m: &str) -> &'static str {
    match m {
        "GET" => "GET",
        "POST" => "POST",
        "PUT" => "PUT",
        "DELETE" => "DELETE",
        _ => "OTHER",
    }
}

/// `GET /interaction/ab12…` → `GET /interaction/…`: one metric per endpoint, not per request.
fn step_name(method: &str, url: &str) -> String {
    let path = Url::parse(url)
        .map(|u| u.path().to_owned())
        .unwrap_or_default();
    let mut segs = path.trim_start_matches('/').split('/');
    let first = segs.next().unwrap_or("");
    let more = if segs.next().is_some() { "/…" } else { "" };
    format!("walk {method} /{first}{more}")
}

impl DriverFlows {
    /// Resolves `profile` (discovery), and finds or registers the clients the profiles use:
    /// a confidential client allowed `client_credentials`, and one allowed
    /// `authorization_code` with a redirect URI (the profile's own, else one registered
    /// under RFC 7591 when the target allows it).
    pub async fn new(profile: TargetProfile, name: String) -> Result<Self, FlowsError> {
        let config = DriverConfig {
            timeout: profile.timeout,
            record_evidence: false,
            // The profile's [tls]: the same CAs, client certificate and verification as check.
            tls: profile.tls.clone(),
            ..DriverConfig::default()
        };
        let ceiling = ceiling::Ceiling::start()
            .await
            .map_err(FlowsError::Ceiling)?;
        let mut allowed = profile.allowed_hosts.clone();
        if let Some(hp) = crate::driver::HostPort::from_url(&ceiling.url) {
            allowed.insert(hp);
        }
        let fast = Driver::new(allowed, config.clone())?;
        let walker = Driver::new(
            profile.allowed_hosts.clone(),
            DriverConfig {
                record_evidence: true,
                evidence_max_exchanges: 64,
                evidence_body_limit: 256,
                ..config
            },
        )?;
        let target = Target::resolve(profile, &fast).await?;
        let p = &target.profile;
        let as_client = |c: &crate::target::profile::ClientProfile| {
            ClientAuth::for_method(c.auth_method, &c.id, c.secret.as_ref()).map(|auth| LoadClient {
                id: c.id.clone(),
                auth,
                redirect_uri: c.redirect_uri.clone(),
                scope: c.scope.clone(),
            })
        };
        let mut cc_client = p
            .confidential_client("client_credentials")
            .and_then(as_client);
        let mut code_client = p
            .clients
            .iter()
            .filter(|c| c.supports_grant("authorization_code") && c.redirect_uri.is_some())
            .find(|c| !c.is_public())
            .and_then(as_client);
        if (cc_client.is_none() || code_client.is_none()) && target.can_register() {
            let reg = p
                .registration
                .clone()
                .expect("can_register implies a registration section");
            let endpoint = target.endpoints.registration.clone().expect("can_register");
            let method = match reg.auth_method {
                AuthMethod::None => AuthMethod::ClientSecretBasic,
                m => m,
            };
            let mut metadata = serde_json::json!({
                "redirect_uris": [reg.redirect_uri],
                "grant_types": ["authorization_code", "refresh_token", "client_credentials"],
                "response_types": ["code"],
                "token_endpoint_auth_method": method.as_str(),
                "client_name": "oauthspec load",
            });
            if let Some(s) = &reg.scope {
                metadata["scope"] = serde_json::Value::String(s.to_string());
            }
            let answer = flow::register(
                &fast,
                &endpoint,
                &metadata,
                reg.initial_access_token.as_deref(),
            )
            .await
            .map_err(|e| FlowsError::Registration(e.to_string()))?;
            let status = answer.status;
            let text = answer.text();
            let info = answer
                .into_success()
                .ok_or_else(|| FlowsError::Registration(format!("status {status}: {text}")))?;
            let auth = ClientAuth::for_method(method, &info.client_id, info.client_secret.as_ref())
                .ok_or_else(|| FlowsError::Registration("no client_secret in the answer".into()))?;
            let client = LoadClient {
                id: info.client_id,
                auth,
                redirect_uri: Some(reg.redirect_uri.clone()),
                scope: reg.scope.clone(),
            };
            cc_client.get_or_insert_with(|| client.clone());
            code_client.get_or_insert(client);
        }
        let resource = p
            .resources
            .iter()
            .find(|r| r.method.eq_ignore_ascii_case("GET"))
            .map(|r| r.url.clone());
        let base = match &p.issuer {
            Some(i) => i.clone(),
            None => target
                .endpoints
                .token
                .clone()
                .ok_or(DiscoveryError::MissingEndpoint("token"))?,
        };
        // The generator's ceiling: /healthz if the target answers it, else the discovery
        // document (the cheapest request every authorization server answers).
        let healthz = base.join("/healthz").expect("a path joins");
        let healthz_ok = fast
            .send(HttpRequest::get(healthz.clone()))
            .await
            .is_ok_and(|r| (200..300).contains(&r.status));
        let baseline = if healthz_ok {
            healthz
        } else {
            target.metadata_url.clone().unwrap_or(healthz)
        };
        let walk = p
            .login
            .as_ref()
            .map(|l| l.walk_options())
            .unwrap_or_default();
        let authorization_params = p
            .login
            .as_ref()
            .map(|l| l.authorization_params.clone())
            .unwrap_or_default();
        Ok(Self {
            name,
            base,
            token: target.endpoints.token.clone(),
            authorization: target.endpoints.authorization.clone(),
            introspection: target.endpoints.introspection.clone(),
            resource,
            baseline,
            ceiling,
            cc_client,
            code_client,
            walk,
            authorization_params,
            fast,
            walker,
        })
    }

    async fn timed<T>(
        &self,
        name: &str,
        fut: impl Future<Output = Result<EndpointResponse<T>, flow::FlowError>>,
    ) -> Exchange {
        let started = Instant::now();
        let outcome = fut.await.map(reply_of).map_err(|e| e.to_string());
        Exchange {
            method: "POST",
            name: name.to_owned(),
            elapsed: started.elapsed(),
            outcome,
        }
    }

    /// A plain `GET url` through the measured client, named `name`.
    async fn get(&self, url: &Url, name: String) -> Exchange {
        let started = Instant::now();
        let res = self.fast.send(HttpRequest::get(url.clone())).await;
        answered(name, started, res)
    }

    fn not_possible(method: &'static str, name: &str, why: String) -> Exchange {
        Exchange {
            method,
            name: name.to_owned(),
            elapsed: std::time::Duration::ZERO,
            outcome: Err(why),
        }
    }
}

impl Flows for DriverFlows {
    fn target_name(&self) -> String {
        self.name.clone()
    }

    fn base_url(&self) -> String {
        self.base.to_string()
    }

    fn client_credentials(&self) -> BoxFut<'_, Exchange> {
        Box::pin(async move {
            const NAME: &str = "token client_credentials";
            let (Some(ep), Some(c)) = (&self.token, &self.cc_client) else {
                return Self::not_possible(
                    "POST",
                    NAME,
                    missing("token endpoint or confidential client"),
                );
            };
            self.timed(
                NAME,
                flow::client_credentials(&self.fast, ep, &c.auth, c.scope.as_ref()),
            )
            .await
        })
    }

    fn authorize(&self) -> BoxFut<'_, Walk> {
        Box::pin(async move {
            let (Some(ep), Some(c)) = (&self.authorization, &self.code_client) else {
                return Walk {
                    steps: Vec::new(),
                    grant: Err(missing(
                        "authorization endpoint or client with a redirect URI",
                    )),
                };
            };
            let redirect_uri = c.redirect_uri.clone().unwrap_or_default();
            let verifier = PkceCodeVerifier::new_random();
            let state = random_token(16);
            let mut request = AuthorizationRequest::code(
                ep.clone(),
                &c.id,
                &redirect_uri,
                c.scope.as_ref(),
                &state,
                Some(&PkceCodeChallenge::s256(&verifier)),
            );
            for (k, v) in &self.authorization_params {
                request = request.set(k, v);
            }
            let driver = self.walker.with_fresh_evidence();
            let browser = driver.new_browser();
            let outcome =
                flow::authorize(&driver, &browser, &request.url(), &redirect_uri, &self.walk).await;
            let steps = driver
                .evidence()
                .exchanges()
                .into_iter()
                .map(|x| Exchange {
                    method: method_label(&x.method),
                    name: step_name(&x.method, &x.url),
                    elapsed: x.elapsed,
                    outcome: match (x.status, x.error) {
                        (Some(status), _) => Ok(Reply {
                            status,
                            content_type: x
                                .response_headers
                                .iter()
                                .find(|(k, _)| k.eq_ignore_ascii_case("content-type"))
                                .map(|(_, v)| v.clone()),
                            body: Vec::new(),
                        }),
                        (None, e) => Err(e.unwrap_or_else(|| "no answer".into())),
                    },
                })
                .collect();
            let grant = match outcome {
                Ok(AuthorizationOutcome::Redirected(r)) => match (&r.code, &r.error) {
                    (_, Some(e)) => Err(format!("redirected with error={e}")),
                    (None, None) => Err("redirected without a code".into()),
                    (Some(_), None) if r.state.as_deref() != Some(state.as_str()) => {
                        Err("redirected with another state (RFC 6749 §4.1.2)".into())
                    }
                    (Some(code), None) => Ok(CodeGrant {
                        code: code.secret().to_owned(),
                        verifier: verifier.secret().to_owned(),
                    }),
                },
                Ok(other) => Err(other.to_string()),
                Err(e) => Err(e.to_string()),
            };
            Walk { steps, grant }
        })
    }

    fn exchange_code<'a>(&'a self, grant: &'a CodeGrant) -> BoxFut<'a, Exchange> {
        Box::pin(async move {
            const NAME: &str = "token authorization_code";
            let (Some(ep), Some(c)) = (&self.token, &self.code_client) else {
                return Self::not_possible("POST", NAME, missing("token endpoint"));
            };
            let code = AuthorizationCode::new(grant.code.clone());
            let verifier = PkceCodeVerifier::new(grant.verifier.clone());
            self.timed(
                NAME,
                flow::exchange_code(
                    &self.fast,
                    ep,
                    &c.auth,
                    &code,
                    c.redirect_uri.as_deref(),
                    Some(&verifier),
                ),
            )
            .await
        })
    }

    fn refresh<'a>(&'a self, refresh_token: &'a str) -> BoxFut<'a, Exchange> {
        Box::pin(async move {
            const NAME: &str = "token refresh_token";
            let (Some(ep), Some(c)) = (&self.token, &self.code_client) else {
                return Self::not_possible("POST", NAME, missing("token endpoint"));
            };
            let rt = RefreshToken::new(refresh_token.to_owned());
            self.timed(NAME, flow::refresh(&self.fast, ep, &c.auth, &rt, None))
                .await
        })
    }

    fn introspect<'a>(&'a self, token: &'a str) -> BoxFut<'a, Exchange> {
        Box::pin(async move {
            const NAME: &str = "introspect";
            let Some(ep) = &self.introspection else {
                return Self::not_possible("POST", NAME, missing("introspection endpoint"));
            };
            let Some(c) = self.cc_client.as_ref().or(self.code_client.as_ref()) else {
                return Self::not_possible("POST", NAME, missing("confidential client"));
            };
            self.timed(NAME, flow::introspect(&self.fast, ep, &c.auth, token, None))
                .await
        })
    }

    fn resource<'a>(&'a self, access_token: &'a str) -> BoxFut<'a, Exchange> {
        Box::pin(async move {
            let Some(url) = &self.resource else {
                return Self::not_possible("GET", "resource", missing("GET resource"));
            };
            let name = format!("resource GET {}", url.path());
            let started = Instant::now();
            let res = flow::call_resource(
                &self.fast,
                reqwest::Method::GET,
                url,
                Some(access_token),
                None,
            )
            .await;
            answered(name, started, res)
        })
    }

    fn baseline(&self) -> BoxFut<'_, Exchange> {
        Box::pin(self.get(
            &self.baseline,
            format!("baseline GET {}", self.baseline.path()),
        ))
    }

    fn baseline_name(&self) -> String {
        format!("GET {}", self.baseline.path())
    }

    fn ceiling(&self) -> BoxFut<'_, Exchange> {
        Box::pin(self.get(&self.ceiling.url, format!("ceiling GET {}", ceiling::PATH)))
    }

    fn ceiling_name(&self) -> String {
        format!("GET {}", self.ceiling.url)
    }
}

/// Shared by the command and the tests.
pub type SharedFlows = Arc<dyn Flows>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn walk_steps_are_named_per_endpoint() {
        assert_eq!(
            step_name("GET", "http://h/authorize?x=1"),
            "walk GET /authorize"
        );
        assert_eq!(
            step_name("POST", "http://h/interaction/Ab12cd/login"),
            "walk POST /interaction/…"
        );
    }
}
