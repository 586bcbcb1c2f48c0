//! The protected APIs of the profile (`[[resources]]`): which one a
//! scenario calls, calling it, presenting tokens to it in the ways RFC 6750
//! §2 describes, and obtaining the genuine token that attacks start from.

use serde_json::{Value, json};

use super::Spec;
use super::answer::Answer;
use super::control::ControlKind;
use super::outcome::{OrSkip, skip_with, unmet, unmet_with};
use crate::driver::http::HttpRequest;
use crate::jose::Jws;
use crate::target::TargetKind;
use crate::target::jwt_api;
use crate::target::profile::{JwtUser, ResourceProfile};

/// The largest genuine access token the harness forges: each forgery is a
/// copy of it, and one adds a 1 MiB claim. Real tokens are a few KiB.
pub const MAX_GENUINE: usize = 256 << 10;

/// The largest token the harness presents in a header: the 1 MiB-padded
/// forgery of the largest genuine token fits; HTTP servers refuse far less.
pub const MAX_PRESENTED: usize = 2 << 20;

/// How a token is sent to a resource.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Carrier<'a> {
    /// `Authorization: <scheme> <token>` (RFC 6750 §2.1).
    Header(&'a str),
    /// `?access_token=` (RFC 6750 §2.3).
    Query,
    /// A form-encoded `access_token` body parameter (RFC 6750 §2.2).
    Form,
}

/// A token presented to the API, and what came back.
#[derive(Clone, Debug)]
pub struct Presented {
    pub name: String,
    /// The token's header and claims, for reports.
    pub describe: String,
    pub answer: Answer,
}

impl Presented {
    pub fn line(&self) -> String {
        self.answer.describe()
    }
}

/// The genuine tokens a scenario started from.
#[derive(Clone, Debug, Default)]
pub struct Genuine {
    pub access: String,
    pub refresh: Option<String>,
    pub id_token: Option<String>,
}

fn fix_resources() -> &'static str {
    "add a [[resources]] entry: a URL of the API that accepts the target's access tokens, with the scope it needs"
}

impl Spec {
    /// The resource most scenarios call: for OAuth targets the first that
    /// needs a scope, else the first; for jwt-api targets the first that
    /// needs no role, else the first; for a relying party the first.
    pub fn api_resource(&self) -> ResourceProfile {
        let p = &self.target().profile;
        let found = match p.kind {
            TargetKind::OAuth => p.resources.iter().find(|r| r.scope.is_some()),
            TargetKind::JwtApi => p.resources.iter().find(|r| r.role.is_none()),
            TargetKind::RelyingParty => p.resources.first(),
        };
        found.or(p.resources.first()).cloned().unwrap_or_else(|| {
            skip_with("the profile names no protected resource", fix_resources())
        })
    }

    /// Sends `token` to `resource` the way `how` says, and keeps the answer.
    pub async fn present_to(
        &mut self,
        resource: &ResourceProfile,
        token: Option<&str>,
        how: Carrier<'_>,
    ) -> Answer {
        let method =
            reqwest::Method::from_bytes(resource.method.as_bytes()).unwrap_or(reqwest::Method::GET);
        let mut url = resource.url.clone();
        if let Some(t) = token.filter(|t| t.len() > MAX_PRESENTED) {
            unmet_with(
                format!(
                    "a token of {} bytes, more than the {MAX_PRESENTED} bytes the harness presents",
                    t.len()
                ),
                "nothing to change in the profile: HTTP servers refuse requests this large (most stop at 8 to 64 KiB of headers)",
            );
        }
        let req = match (how, token) {
            (Carrier::Header(scheme), Some(t)) => {
                HttpRequest::new(method, url).header("Authorization", format!("{scheme} {t}"))
            }
            (Carrier::Header(_), None) => HttpRequest::new(method, url),
            (Carrier::Query, t) => {
                if let Some(t) = t {
                    url.query_pairs_mut().append_pair("access_token", t);
                }
                HttpRequest::new(method, url)
            }
            (Carrier::Form, t) => {
                return {
                    let form = t
                        .map(|t| vec![("access_token".to_owned(), t.to_owned())])
                        .unwrap_or_default();
                    let a = self.send(HttpRequest::new(method, url).form(form)).await;
                    self.flow.resource_answer = Some((resource.clone(), a.clone()));
                    a
                };
            }
        };
        let req = match &resource.body {
            Some(b) => req.json(b.clone()),
            None => req,
        };
        let a = self.send(req).await;
        self.flow.resource_answer = Some((resource.clone(), a.clone()));
        a
    }

    /// Calls `resource` with `token` as a Bearer header (or none).
    pub async fn call(&mut self, resource: &ResourceProfile, token: Option<&str>) -> Answer {
        self.present_to(resource, token, Carrier::Header("Bearer"))
            .await
    }

    /// The control that `resource` accepts `token` in the Authorization
    /// header: recorded when it does, a setup error when it does not.
    pub async fn accepted_by(&mut self, resource: &ResourceProfile, token: &str, what: &str) {
        let a = self.call(resource, Some(token)).await;
        let at = format!("{} {}", resource.method, resource.url);
        if !a.accepted() {
            unmet_with(
                format!("control: {what} was not accepted by {at}: {}", a.describe()),
                "check the [[resources]] entry (URL, method, scope, body) and the client's scope",
            );
        }
        self.control_held(
            ControlKind::Resource(at),
            format!("{what}: {}", a.status.unwrap_or_default()),
        );
    }

    /// Logs `user` in at a jwt-api target's login endpoint; the access
    /// token, or a setup error.
    pub async fn jwt_api_login(&mut self, user: &JwtUser) -> (String, Option<String>) {
        let api = self
            .target()
            .profile
            .jwt_api
            .clone()
            .or_skip("the profile has no [jwt_api] section to log in with");
        let driver = self.http();
        let res = jwt_api::login(&driver, &api, user).await;
        let login = self.answered(res, "the login endpoint");
        let Some(access) = login.access_token else {
            unmet_with(
                format!(
                    "the login endpoint issued no {} to {}: {} {}",
                    api.token_field,
                    user.username,
                    login.response.status,
                    login.response.text().chars().take(200).collect::<String>()
                ),
                "check [jwt_api] login_url, login_body, token_field and the user's password",
            );
        };
        (
            access.secret().to_owned(),
            login.refresh_token.map(|r| r.secret().to_owned()),
        )
    }

    /// The genuine token of this scenario.
    pub fn genuine(&self) -> Genuine {
        self.flow
            .genuine
            .clone()
            .unwrap_or_else(|| unmet("harness bug: no genuine token (add the Given step)"))
    }

    /// The genuine token parsed as a compact JWS, or a SKIP when the
    /// target's tokens are opaque.
    pub fn genuine_jws(&self) -> Jws {
        Jws::parse(&self.genuine().access).or_skip(
            "the target's access tokens are not JWTs (opaque tokens cannot be forged this way)",
        )
    }

    /// A token the target itself signs with the genuine claims edited,
    /// when the harness has a way to have it signed (a test-admin API); the
    /// control (the unedited claims, signed the same way) must be accepted
    /// first. SKIPs otherwise.
    pub async fn signed_by_target(&mut self, header: Value, claims: Value) -> String {
        let admin = self.ctx().admin.clone().unwrap_or_else(|| {
            skip_with(
                "the harness cannot have the target sign a token with chosen claims (no test-admin signing API, and its key is not known)",
                "nothing to change for a third-party server; the reference server offers it with serve --test-admin",
            )
        });
        let genuine = self
            .genuine_jws()
            .claims()
            .or_skip("the genuine token has no JSON claims");
        let driver = self.http();
        let control = admin
            .sign(&driver, &json!({}), &Value::Object(genuine))
            .await
            .unwrap_or_else(|e| unmet(format!("the test-admin API did not sign a token: {e}")));
        let resource = self.api_resource();
        self.accepted_by(
            &resource,
            &control,
            "a token the target signed with the genuine token's claims",
        )
        .await;
        admin
            .sign(&driver, &header, &claims)
            .await
            .unwrap_or_else(|e| unmet(format!("the test-admin API did not sign a token: {e}")))
    }

    /// Obtains a genuine access token the target's own way (the
    /// authorization code flow for `kind = "oauth"`, or client credentials
    /// when no user can log in; the login endpoint for `kind = "jwt-api"`;
    /// an honest login through the app for `kind = "relying-party"`),
    /// as setup. A token over [`MAX_GENUINE`] bytes is a setup error.
    pub async fn obtain_genuine(&mut self) -> Genuine {
        let genuine = self.obtain_genuine_unchecked().await;
        if genuine.access.len() > MAX_GENUINE {
            unmet_with(
                format!(
                    "the target's access token is {} bytes, more than the {} bytes the harness forges copies of",
                    genuine.access.len(),
                    MAX_GENUINE
                ),
                "nothing to change in the profile: HTTP servers refuse headers this large (most stop at 8 to 64 KiB)",
            );
        }
        genuine
    }

    async fn obtain_genuine_unchecked(&mut self) -> Genuine {
        match self.target().profile.kind {
            TargetKind::OAuth if !self.code_flow_possible() && self.flow.client.is_none() => {
                // No user can log in for a code, but a client may hold
                // client-credentials tokens: the API's rules are the same.
                let t = self.client_credentials_token().await;
                Genuine {
                    access: t.access_token.secret().to_owned(),
                    refresh: None,
                    id_token: None,
                }
            }
            TargetKind::OAuth => {
                let t = self.obtain_tokens().await;
                Genuine {
                    access: t.access_token.secret().to_owned(),
                    refresh: t.refresh_token.map(|r| r.secret().to_owned()),
                    id_token: t.id_token,
                }
            }
            TargetKind::RelyingParty => Genuine {
                access: self.rp_token().await,
                refresh: None,
                id_token: None,
            },
            TargetKind::JwtApi => {
                let api = self
                    .target()
                    .profile
                    .jwt_api
                    .clone()
                    .or_skip("the profile has no [jwt_api] section to log in with");
                let user = api
                    .users
                    .iter()
                    .find(|u| !u.roles.iter().any(|r| r == "admin"))
                    .or(api.users.first())
                    .cloned()
                    .unwrap_or_else(|| unmet("the profile names no jwt_api user"));
                let (access, refresh) = self.jwt_api_login(&user).await;
                Genuine {
                    access,
                    refresh,
                    id_token: None,
                }
            }
        }
    }
}

/// The claims of a JWT, read without verifying it.
pub fn unverified_claims(token: &str) -> Option<serde_json::Map<String, Value>> {
    use base64::Engine as _;
    let payload = token.split('.').nth(1)?;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload)
        .ok()?;
    match serde_json::from_slice(&bytes).ok()? {
        Value::Object(m) => Some(m),
        _ => None,
    }
}
