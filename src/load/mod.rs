//! The harness as the transport of the load profiles (`oauthspec-load`). A load run talks to
//! a target like `oauthspec check` does (same discovery, allowlist, TLS settings, login
//! walker, and token requests built by the same `flow::authenticated_post`); the measured
//! requests then go through the lean path of [`lean`], prepared once, without evidence.

pub mod ceiling;
mod clients;
pub mod lean;
mod requests;

use std::sync::Arc;

use oauthspec_load::{BoxFut, CodeGrant, Exchange, Flows, Reply, Walk};
use url::Url;

use crate::driver::flow::{self, AuthorizationOutcome, WalkOptions};
use crate::driver::http::{DriverConfig, HostAllowlist, HttpRequest};
use crate::driver::{AuthorizationRequest, Driver, PkceCodeChallenge, PkceCodeVerifier, Scope};
use crate::protocol::random_token;
use crate::target::{DiscoveryError, Endpoint, Target, TargetProfile};
use clients::{LoadClient, LoadClients};
use lean::{Lean, Vary, method_label};
use requests::{Ready, Requests};

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

/// `oauthspec_load::Flows` for one resolved target.
pub struct DriverFlows {
    name: String,
    base: Url,
    /// The measured requests: prepared once, no evidence.
    lean: Lean,
    requests: Requests,
    /// Records evidence, so each request of a walk can be timed and reported.
    walker: Driver,
    authorization: Option<Url>,
    baseline: Url,
    /// The generator's own endpoint, and the server behind it.
    ceiling: ceiling::Ceiling,
    code_client: Option<LoadClient>,
    walk: WalkOptions,
    /// The profile's extra authorization parameters (e.g. `prompt=consent`), and
    /// `[load.authorization_code]`'s resource indicators.
    authorization_params: Vec<(String, String)>,
    /// `[load.authorization_code] scope`, instead of the client's.
    authorization_scope: Option<Scope>,
}

fn missing(what: &str) -> String {
    format!("the target profile gives no {what}")
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
        let ceiling = ceiling::Ceiling::start()
            .await
            .map_err(FlowsError::Ceiling)?;
        let drivers = Drivers::new(&profile, &ceiling)?;
        let target = Target::resolve(profile, &drivers.fast).await?;
        let clients = LoadClients::choose(&target, &drivers.fast).await?;
        let p = &target.profile;
        let base = match &p.issuer {
            Some(i) => i.clone(),
            None => target.endpoints.require(Endpoint::Token)?.clone(),
        };
        let baseline = baseline_url(&target, &base, &drivers.fast).await;
        let lean = Lean::new(&drivers.config, drivers.allowed)?;
        let requests = Requests::prepare(&lean, &target, &clients, &baseline, &ceiling.url, &base);
        Ok(Self {
            name,
            base,
            lean,
            requests,
            authorization: target.endpoints.get(Endpoint::Authorization).cloned(),
            baseline,
            ceiling,
            code_client: clients.code,
            walk: p
                .login
                .as_ref()
                .map(|l| l.walk_options())
                .unwrap_or_default(),
            authorization_params: authorization_params(p),
            authorization_scope: p.load.authorization_code.scope.clone(),
            walker: drivers.walker,
        })
    }

    /// Sends a prepared request, or reports why there is none.
    async fn send(&self, name: &str, ready: &Ready, vary: Vary<'_>) -> Exchange {
        match ready {
            Ok(p) => self.lean.send(name, p, vary).await,
            Err(u) => Exchange {
                method: u.method,
                name: name.to_owned(),
                elapsed: std::time::Duration::ZERO,
                outcome: Err(u.why.clone()),
            },
        }
    }
}

/// The load's two clients of the target: `fast` for setup and the measured requests' settings
/// (no evidence; the generator's own ceiling endpoint allowed too), `walker` for the login walk
/// (evidence, so each request of a walk can be timed and reported).
struct Drivers {
    config: DriverConfig,
    allowed: HostAllowlist,
    fast: Driver,
    walker: Driver,
}

impl Drivers {
    fn new(profile: &TargetProfile, ceiling: &ceiling::Ceiling) -> Result<Self, FlowsError> {
        let config = DriverConfig {
            timeout: profile.timeout,
            record_evidence: false,
            // The profile's [tls]: the same CAs, client certificate and verification as check.
            tls: profile.tls.clone(),
            ..DriverConfig::default()
        };
        let mut allowed = profile.allowed_hosts.clone();
        if let Some(hp) = crate::driver::HostPort::from_url(&ceiling.url) {
            allowed.insert(hp);
        }
        let fast = Driver::new(allowed.clone(), config.clone())?;
        let walker = Driver::new(
            profile.allowed_hosts.clone(),
            DriverConfig {
                record_evidence: true,
                evidence_max_exchanges: 64,
                evidence_body_limit: 256,
                ..config.clone()
            },
        )?;
        Ok(Drivers {
            config,
            allowed,
            fast,
            walker,
        })
    }
}

/// The generator's ceiling: /healthz if the target answers it, else the discovery document
/// (the cheapest request every authorization server answers).
async fn baseline_url(target: &Target, base: &Url, fast: &Driver) -> Url {
    let healthz = base.join("/healthz").expect("a path joins");
    let healthz_ok = fast
        .send(HttpRequest::get(healthz.clone()))
        .await
        .is_ok_and(|r| (200..300).contains(&r.status));
    if healthz_ok {
        healthz
    } else {
        target.metadata_url.clone().unwrap_or(healthz)
    }
}

/// The profile's extra authorization parameters (e.g. `prompt=consent`), then
/// `[load.authorization_code]`'s resource indicators and audience.
fn authorization_params(p: &TargetProfile) -> Vec<(String, String)> {
    let mut params = p
        .login
        .as_ref()
        .map(|l| l.authorization_params.clone())
        .unwrap_or_default();
    // RFC 8707 §2.1: the resource indicators go on the authorization request too; so
    // does `audience`, where the servers that use it read it.
    let code = &p.load.authorization_code;
    params.extend(code.resource_pairs());
    if let Some(a) = &code.audience {
        params.push(("audience".to_owned(), a.clone()));
    }
    params
}

impl Flows for DriverFlows {
    fn target_name(&self) -> String {
        self.name.clone()
    }

    fn base_url(&self) -> String {
        self.base.to_string()
    }

    fn client_credentials(&self) -> BoxFut<'_, Exchange> {
        Box::pin(self.send(
            "token client_credentials",
            &self.requests.client_credentials,
            Vary::Nothing,
        ))
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
                self.authorization_scope.as_ref().or(c.scope.as_ref()),
                &state,
                Some(&PkceCodeChallenge::s256(&verifier)),
            );
            for (k, v) in &self.authorization_params {
                request = if k == "resource" {
                    request.append(k, v)
                } else {
                    request.set(k, v)
                };
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

    /// RFC 6749 §4.1.3 with RFC 7636 §4.5's `code_verifier`.
    fn exchange_code<'a>(&'a self, grant: &'a CodeGrant) -> BoxFut<'a, Exchange> {
        Box::pin(async move {
            let form = [
                ("code", grant.code.as_str()),
                ("code_verifier", grant.verifier.as_str()),
            ];
            self.send(
                "token authorization_code",
                &self.requests.exchange_code,
                Vary::Form(&form),
            )
            .await
        })
    }

    fn refresh<'a>(&'a self, refresh_token: &'a str) -> BoxFut<'a, Exchange> {
        Box::pin(async move {
            let form = [("refresh_token", refresh_token)];
            self.send(
                "token refresh_token",
                &self.requests.refresh,
                Vary::Form(&form),
            )
            .await
        })
    }

    fn introspect<'a>(&'a self, token: &'a str) -> BoxFut<'a, Exchange> {
        Box::pin(async move {
            let form = [("token", token)];
            self.send("introspect", &self.requests.introspect, Vary::Form(&form))
                .await
        })
    }

    fn resource<'a>(&'a self, access_token: &'a str) -> BoxFut<'a, Exchange> {
        Box::pin(self.send(
            &self.requests.resource_name,
            &self.requests.resource,
            Vary::Bearer(access_token),
        ))
    }

    fn baseline(&self) -> BoxFut<'_, Exchange> {
        Box::pin(self.send(
            &self.requests.baseline_name,
            &self.requests.baseline,
            Vary::Nothing,
        ))
    }

    fn baseline_name(&self) -> String {
        format!("GET {}", self.baseline.path())
    }

    fn ceiling(&self) -> BoxFut<'_, Exchange> {
        Box::pin(self.send(
            &self.requests.ceiling_name,
            &self.requests.ceiling,
            Vary::Nothing,
        ))
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

    fn form_of(ready: &Ready) -> Vec<(String, String)> {
        let p = ready.as_ref().expect("prepared");
        url::form_urlencoded::parse(p.body())
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect()
    }

    fn names(form: &[(String, String)]) -> Vec<&str> {
        form.iter().map(|(k, _)| k.as_str()).collect()
    }

    fn scopes(tokens: &serde_json::Value) -> Vec<&str> {
        let mut s: Vec<&str> = tokens["scope"].as_str().unwrap().split(' ').collect();
        s.sort_unstable();
        s
    }

    fn json(x: &Exchange) -> serde_json::Value {
        let reply = x.outcome.as_ref().expect("an answer");
        assert_eq!(
            reply.status,
            200,
            "{}",
            String::from_utf8_lossy(&reply.body)
        );
        serde_json::from_slice(&reply.body).unwrap()
    }

    /// The bundled server in this process and the load's flows against it, the profile
    /// followed by `extra`.
    async fn flows_with(extra: &str) -> (oauthspec_reference_server::RunningServer, DriverFlows) {
        let server =
            oauthspec_reference_server::start(oauthspec_reference_server::Settings::default())
                .await
                .unwrap();
        let text = crate::bundled::reference_profile_text(&server.url()) + extra;
        let profile = TargetProfile::parse(&text, "reference.toml").unwrap();
        let flows = DriverFlows::new(profile, "reference".into()).await.unwrap();
        (server, flows)
    }

    /// `[load]` reaches the requests: the bundled server narrows the scope it grants to the
    /// one asked for (RFC 6749 §3.3), so the answers prove the scope was sent; resource,
    /// audience and extra parameters are in the prepared forms (the server ignores what it
    /// does not know, RFC 6749 §3.2). One resource only: the bundled server does not do RFC
    /// 8707, and refuses a repeated parameter (RFC 6749 §3.1).
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_profiles_load_section_drives_the_requests() {
        let (_server, flows) = flows_with("\n[load.client_credentials]\nscope = \"notes:read\"\nresource = \"https://api.example.com\"\naudience = \"notes\"\nparams = { tenant = \"acme\" }\n\n[load.authorization_code]\nscope = \"profile notes:write\"\nresource = \"urn:example:notes\"\n\n[load.refresh_token]\nscope = \"profile\"\n").await;

        let cc = form_of(&flows.requests.client_credentials);
        assert_eq!(
            names(&cc),
            ["grant_type", "scope", "resource", "audience", "tenant"]
        );
        assert!(cc.contains(&("resource".into(), "https://api.example.com".into())));
        assert_eq!(
            json(&flows.client_credentials().await)["scope"],
            "notes:read"
        );

        let resources: Vec<&str> = flows
            .authorization_params
            .iter()
            .filter(|(k, _)| k == "resource")
            .map(|(_, v)| v.as_str())
            .collect();
        assert_eq!(resources, ["urn:example:notes"]);
        let exchange = form_of(&flows.requests.exchange_code);
        assert_eq!(names(&exchange), ["grant_type", "redirect_uri", "resource"]);
        let walk = flows.authorize().await;
        let grant = walk.grant.expect("the walk ends with a code");
        let tokens = json(&flows.exchange_code(&grant).await);
        assert_eq!(scopes(&tokens), ["notes:write", "profile"]);

        assert_eq!(
            form_of(&flows.requests.refresh),
            [
                ("grant_type".to_owned(), "refresh_token".to_owned()),
                ("scope".to_owned(), "profile".to_owned())
            ]
        );
        let rt = tokens["refresh_token"].as_str().unwrap();
        assert_eq!(json(&flows.refresh(rt).await)["scope"], "profile");
    }

    /// Without `[load]`, the client's own scope is sent, once.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn without_a_load_section_the_clients_scope_is_sent() {
        let (_server, flows) = flows_with("").await;
        let cc = form_of(&flows.requests.client_credentials);
        assert_eq!(
            cc,
            [
                ("grant_type".to_owned(), "client_credentials".to_owned()),
                (
                    "scope".to_owned(),
                    "openid profile email notes:read notes:write".to_owned()
                )
            ]
        );
        let t = json(&flows.client_credentials().await);
        assert_eq!(
            scopes(&t),
            ["email", "notes:read", "notes:write", "openid", "profile"]
        );
    }

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
