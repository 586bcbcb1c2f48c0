//! Steps of `features/jwt_attacks.feature` (RFC 8725, RFC 7515): forged
//! variants of a genuine access token presented to a protected resource.
//!
//! Every scenario first checks its control: the genuine token, obtained the
//! target's own way (the OAuth flow, or a jwt-api's login endpoint), is
//! accepted. A forgery the API accepts is a security failure whose report
//! shows the forged header and claims and the answer. How a refusal is
//! shaped (401, a Bearer challenge, `invalid_token`) is checked by the
//! scenarios of `features/resource_server.feature`, at the level RFC 6750
//! gives each part.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use cucumber::{given, then, when};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use super::{Finding, OrSkip, Spec, fail, skip};
use crate::driver::flow::{self, parse_www_authenticate};
use crate::driver::http::HttpRequest;
use crate::driver::jwt_api;
use crate::jose::forge::{self, Forgery};
use crate::jose::{Alg, Jwk, JwkSet, Jws, Signer, weak};
use crate::target::TargetKind;
use crate::target::profile::ResourceProfile;

const VAR_TOKEN: &str = "jwt.token";
const VAR_REFRESH: &str = "jwt.refresh";
const VAR_ID_TOKEN: &str = "jwt.id_token";
const VAR_RESULTS: &str = "jwt.results";
const VAR_FETCHES: &str = "jwt.key_url_fetches";

/// How a token is sent to the resource.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Carrier<'a> {
    /// `Authorization: <scheme> <token>` (RFC 6750 §2.1).
    Header(&'a str),
    /// `?access_token=` (RFC 6750 §2.3).
    Query,
    /// A form-encoded `access_token` body parameter (RFC 6750 §2.2).
    Form,
}

/// What the API answered to one presented token.
#[derive(Clone, Debug)]
pub(crate) struct Answer {
    pub name: String,
    /// The forged header and claims, for reports.
    pub describe: String,
    /// `None` when the connection failed (e.g. closed on a 1 MB header).
    pub status: Option<u16>,
    pub www_authenticate: Vec<String>,
    pub body: String,
    pub transport_error: Option<String>,
}

impl Answer {
    pub fn accepted(&self) -> bool {
        self.status.is_some_and(|s| (200..300).contains(&s))
    }

    pub fn line(&self) -> String {
        let status = match (self.status, &self.transport_error) {
            (Some(s), _) => s.to_string(),
            (None, Some(e)) => format!("no answer ({e})"),
            (None, None) => "no answer".into(),
        };
        let challenge = if self.www_authenticate.is_empty() {
            "no WWW-Authenticate".to_owned()
        } else {
            format!("WWW-Authenticate: {}", self.www_authenticate.join(" | "))
        };
        let mut body = self.body.clone();
        if body.len() > 300 {
            body.truncate(forge::floor_boundary(&body, 300));
            body.push('…');
        }
        format!("{status}, {challenge}, body {body}")
    }

    fn to_json(&self) -> Value {
        json!({
            "name": self.name, "describe": self.describe, "status": self.status,
            "www": self.www_authenticate, "body": self.body, "error": self.transport_error,
        })
    }

    fn from_json(v: &Value) -> Answer {
        let s = |k: &str| v[k].as_str().map(str::to_owned);
        Answer {
            name: s("name").unwrap_or_default(),
            describe: s("describe").unwrap_or_default(),
            status: v["status"].as_u64().and_then(|x| u16::try_from(x).ok()),
            www_authenticate: v["www"]
                .as_array()
                .map(|a| {
                    a.iter()
                        .filter_map(|x| x.as_str().map(str::to_owned))
                        .collect()
                })
                .unwrap_or_default(),
            body: s("body").unwrap_or_default(),
            transport_error: s("error"),
        }
    }
}

impl Spec {
    /// The resource the attacks are aimed at: for OAuth targets the first
    /// with a scope; for jwt-api targets the first that needs no role.
    pub(crate) fn attack_resource(&self) -> ResourceProfile {
        let p = &self.target().profile;
        match p.kind {
            TargetKind::OAuth => self.scoped_resource(),
            TargetKind::JwtApi => p
                .resources
                .iter()
                .find(|r| r.role.is_none())
                .or(p.resources.first())
                .cloned()
                .unwrap_or_else(|| skip("the profile names no protected resource")),
            TargetKind::RelyingParty => skip("a relying-party target names no protected resource"),
        }
    }

    /// Obtains a genuine access token the target's own way: the
    /// authorization code flow for `kind = "oauth"`, the login endpoint for
    /// `kind = "jwt-api"`. Keeps it (and any refresh or ID token).
    pub(crate) async fn genuine_token(&mut self) -> String {
        let (access, refresh, id_token) = match self.target().profile.kind {
            TargetKind::OAuth => {
                let t = self.obtain_tokens().await;
                (
                    t.access_token.secret().to_owned(),
                    t.refresh_token.map(|r| r.secret().to_owned()),
                    t.id_token,
                )
            }
            TargetKind::RelyingParty => skip("a relying-party target issues no access tokens"),
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
                    .find(|u| u.roles.is_empty() || !u.roles.iter().any(|r| r == "admin"))
                    .or(api.users.first())
                    .cloned()
                    .or_skip("the profile names no jwt_api user");
                let driver = self.http();
                let login = jwt_api::login(&driver, &api, &user)
                    .await
                    .unwrap_or_else(|e| {
                        fail(Finding::new(
                            "the login endpoint answers",
                            "an HTTP answer",
                            e.to_string(),
                        ))
                    });
                let Some(access) = login.access_token else {
                    fail(Finding::new(
                        format!("the login endpoint issues a token to {}", user.username),
                        format!("2xx with {}", api.token_field),
                        format!("{} {}", login.response.status, login.response.text()),
                    ));
                };
                (
                    access.secret().to_owned(),
                    login.refresh_token.map(|r| r.secret().to_owned()),
                    None,
                )
            }
        };
        self.vars.insert(VAR_TOKEN.into(), json!(access));
        if let Some(r) = refresh {
            self.vars.insert(VAR_REFRESH.into(), json!(r));
        }
        if let Some(i) = id_token {
            self.vars.insert(VAR_ID_TOKEN.into(), json!(i));
        }
        access
    }

    /// The genuine token of this scenario.
    pub(crate) fn genuine(&self) -> String {
        self.vars
            .get(VAR_TOKEN)
            .and_then(Value::as_str)
            .map(str::to_owned)
            .unwrap_or_else(|| panic!("harness bug: no genuine token (add the Given step)"))
    }

    pub(crate) fn var(&self, key: &str) -> Option<String> {
        self.vars
            .get(key)
            .and_then(Value::as_str)
            .map(str::to_owned)
    }

    /// The genuine token parsed as a compact JWS, or a SKIP when the target's
    /// tokens are opaque.
    pub(crate) fn genuine_jws(&self) -> Jws {
        Jws::parse(&self.genuine()).or_skip(
            "the target's access tokens are not JWTs (opaque tokens cannot be forged this way)",
        )
    }

    /// Presents `token` to the attack resource and records the answer.
    pub(crate) async fn present(
        &mut self,
        name: &str,
        describe: String,
        token: &str,
        how: Carrier<'_>,
    ) -> Answer {
        let resource = self.attack_resource();
        let driver = self.http();
        let method =
            reqwest::Method::from_bytes(resource.method.as_bytes()).unwrap_or(reqwest::Method::GET);
        let mut url = resource.url.clone();
        let req = match how {
            Carrier::Header(scheme) => {
                let mut r = HttpRequest::new(method, url)
                    .header("Authorization", format!("{scheme} {token}"));
                if let Some(b) = resource.body.clone() {
                    r = r.json(b);
                }
                r
            }
            Carrier::Query => {
                url.query_pairs_mut().append_pair("access_token", token);
                let mut r = HttpRequest::new(method, url);
                if let Some(b) = resource.body.clone() {
                    r = r.json(b);
                }
                r
            }
            Carrier::Form => {
                HttpRequest::post(url).form(vec![("access_token".into(), token.into())])
            }
        };
        let (status, www, body, error) = match driver.send(req).await {
            Ok(res) => (
                Some(res.status),
                res.header_all("www-authenticate")
                    .into_iter()
                    .map(str::to_owned)
                    .collect(),
                res.text().trim_end().to_owned(),
                None,
            ),
            Err(e) => (None, Vec::new(), String::new(), Some(e.to_string())),
        };
        Answer {
            name: name.to_owned(),
            describe,
            status,
            www_authenticate: www,
            body,
            transport_error: error,
        }
    }

    /// Presents each forgery with `Authorization: Bearer` and keeps the answers.
    pub(crate) async fn present_all(&mut self, forgeries: Vec<Forgery>) {
        let mut out = Vec::new();
        for f in forgeries {
            let a = self
                .present(&f.name, f.describe(), &f.token, Carrier::Header("Bearer"))
                .await;
            out.push(a.to_json());
        }
        self.vars.insert(VAR_RESULTS.into(), Value::Array(out));
    }

    pub(crate) fn answers(&self) -> Vec<Answer> {
        self.vars
            .get(VAR_RESULTS)
            .and_then(Value::as_array)
            .map(|a| a.iter().map(Answer::from_json).collect())
            .unwrap_or_else(|| panic!("harness bug: nothing was presented yet"))
    }

    /// The target's published public keys (its JWKS), if it has any.
    async fn target_keys(&mut self) -> Option<JwkSet> {
        let url = self.target().endpoints.jwks.clone()?;
        let driver = self.http();
        let res = driver.send(HttpRequest::get(url)).await.ok()?;
        let v: Value = res.json().ok()?;
        JwkSet::parse(&v).ok()
    }

    /// A token the target itself signs with the genuine claims edited, when
    /// the harness has a way to have it signed (the reference server's
    /// test-admin API); the control (the unedited claims, signed the same
    /// way) must be accepted first. SKIPs otherwise.
    pub(crate) async fn signed_by_target(&mut self, header: Value, claims: Value) -> String {
        let admin = self.ctx().admin.clone().or_skip(
            "the harness cannot have a token signed by the target with chosen claims (no test-admin signing API, and its key is not known)",
        );
        let genuine = self
            .genuine_jws()
            .claims()
            .or_skip("the genuine token has no JSON claims");
        let driver = self.http();
        let control = admin
            .sign(&driver, &json!({}), &Value::Object(genuine))
            .await
            .unwrap_or_else(|e| {
                fail(Finding::new(
                    "the test-admin API signs a token",
                    "200 with a token",
                    e.to_string(),
                ))
            });
        let a = self
            .present(
                "control",
                String::new(),
                &control,
                Carrier::Header("Bearer"),
            )
            .await;
        if !a.accepted() {
            fail(Finding::new(
                "control: a token the target signs with the genuine token's claims is accepted",
                "2xx",
                a.line(),
            ));
        }
        admin
            .sign(&driver, &header, &claims)
            .await
            .unwrap_or_else(|e| {
                fail(Finding::new(
                    "the test-admin API signs a token",
                    "200 with a token",
                    e.to_string(),
                ))
            })
    }
}

/// Fails the control unless the resource accepts `token`.
async fn expect_accepted(w: &mut Spec, token: &str, what: &str) {
    let a = w
        .present(what, String::new(), token, Carrier::Header("Bearer"))
        .await;
    if !a.accepted() {
        let r = w.attack_resource();
        fail(Finding::new(
            format!(
                "control: {what} is accepted by {} {} (RFC 6750 §2.1)",
                r.method, r.url
            ),
            "2xx",
            a.line(),
        ));
    }
}

#[given("a genuine access token that the API accepts")]
async fn genuine_accepted(w: &mut Spec) {
    let token = w.genuine_token().await;
    expect_accepted(w, &token, "the genuine access token").await;
}

#[then("the genuine token is still accepted")]
async fn still_accepted(w: &mut Spec) {
    let token = w.genuine();
    expect_accepted(w, &token, "the genuine access token, after the forgeries").await;
}

/// The alg of the genuine token, as an [`Alg`] this module can sign with.
fn genuine_alg(jws: &Jws) -> Option<Alg> {
    jws.alg().and_then(Alg::parse)
}

/// The attacker's key type: the target's own algorithm when asymmetric, else ES256.
fn attacker_alg(jws: &Jws) -> Alg {
    match genuine_alg(jws) {
        Some(a @ (Alg::EdDSA | Alg::ES256 | Alg::RS256)) => a,
        _ => Alg::ES256,
    }
}

/// A one-shot loopback HTTP server that answers every GET with `body` and
/// counts requests: stands in for an attacker's `jku`/`x5u` host.
async fn serve_key_url(body: String) -> (String, Arc<AtomicUsize>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .unwrap_or_else(|e| {
            fail(Finding::new(
                "the harness binds a loopback port",
                "a port",
                e.to_string(),
            ))
        });
    let port = listener.local_addr().map(|a| a.port()).unwrap_or_default();
    let hits = Arc::new(AtomicUsize::new(0));
    let counter = hits.clone();
    tokio::spawn(async move {
        // Bounded: at most 16 connections, and the task ends with the runtime.
        for _ in 0..16 {
            let Ok(Ok((mut sock, _))) =
                tokio::time::timeout(std::time::Duration::from_secs(60), listener.accept()).await
            else {
                return;
            };
            counter.fetch_add(1, Ordering::SeqCst);
            let mut buf = [0u8; 4096];
            let _ =
                tokio::time::timeout(std::time::Duration::from_secs(2), sock.read(&mut buf)).await;
            let reply = format!(
                "HTTP/1.0 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n{body}",
                body.len()
            );
            let _ = sock.write_all(reply.as_bytes()).await;
        }
    });
    (format!("http://127.0.0.1:{port}/oauthspec/jwks.json"), hits)
}

async fn forgeries(w: &mut Spec, kind: &str) -> Vec<Forgery> {
    let jws = w.genuine_jws();
    let err = |e: crate::jose::JoseError| -> ! {
        fail(Finding::new(
            "harness: the forgery can be built",
            "a forged token",
            e.to_string(),
        ))
    };
    match kind {
        "alg none" => forge::alg_none(&jws),
        "a stripped signature" => vec![forge::stripped_signature(&jws)],
        "a truncated signature" => vec![forge::truncated_signature(&jws)],
        "a zeroed signature" => vec![forge::zeroed_signature(&jws)],
        "the psychic signature" => {
            if genuine_alg(&jws) != Some(Alg::ES256) {
                skip(format!(
                    "the target signs with {}, not ES256: the psychic signature (CVE-2022-21449) concerns ECDSA verifiers",
                    jws.alg().unwrap_or("no alg")
                ));
            }
            vec![forge::psychic_signature(&jws).unwrap_or_else(|e| err(e))]
        }
        "HMAC keyed with the public key as PEM" | "HMAC keyed with the public key as a JWK" => {
            if genuine_alg(&jws).is_some_and(Alg::is_hmac) {
                skip("the target signs with HMAC: it has no public key to confuse with a secret");
            }
            let set = w
                .target_keys()
                .await
                .or_skip("the target publishes no JWK Set to take its public key from");
            let key: Jwk = set
                .select(jws.kid())
                .cloned()
                .or_skip("the JWK Set has no key with the genuine token's kid");
            let mut out = Vec::new();
            for alg in [Alg::HS256, Alg::HS384, Alg::HS512] {
                if kind.ends_with("PEM") {
                    let pem = key.public_pem().or_skip("the key has no public PEM form");
                    let trimmed = pem.trim_end().to_owned();
                    for (secret, form) in [(pem, "PEM"), (trimmed, "PEM without the final newline")]
                    {
                        out.push(
                            forge::hmac_signed(
                                &jws,
                                alg,
                                secret.as_bytes(),
                                &format!("{alg} keyed with the public key as {form}"),
                            )
                            .unwrap_or_else(|e| err(e)),
                        );
                    }
                } else {
                    for (v, form) in [
                        (Value::Object(key.json.clone()), "the JWKS entry"),
                        (Value::Object(key.public_json()), "the public JWK"),
                    ] {
                        let secret = serde_json::to_vec(&v).unwrap_or_default();
                        out.push(
                            forge::hmac_signed(
                                &jws,
                                alg,
                                &secret,
                                &format!("{alg} keyed with {form} as JSON"),
                            )
                            .unwrap_or_else(|e| err(e)),
                        );
                    }
                }
            }
            out
        }
        "tampered claims" => {
            let mut out = vec![
                forge::tampered_payload(&jws, "sub, scope and roles widened", forge::widen)
                    .unwrap_or_else(|e| err(e)),
            ];
            out.push(
                forge::tampered_payload(&jws, "exp moved a year ahead", |c| {
                    let exp = c.get("exp").and_then(Value::as_i64).unwrap_or(0);
                    c.insert("exp".into(), json!(exp + 365 * 86_400));
                })
                .unwrap_or_else(|e| err(e)),
            );
            out
        }
        "kid injection" => forge::kid_injections(&jws).unwrap_or_else(|e| err(e)),
        "an embedded jwk" => {
            let alg = attacker_alg(&jws);
            let attacker = Signer::generate(alg).unwrap_or_else(|e| err(e));
            let mut out =
                vec![forge::embedded_jwk(&jws, &attacker, alg).unwrap_or_else(|e| err(e))];
            // The HMAC variant: a symmetric key in the header.
            let mut h = jws.header.clone();
            h.insert("alg".into(), json!("HS256"));
            h.insert("jwk".into(), json!({"kty": "oct", "k": crate::jose::b64e(b"oauthspec-embedded-secret-0123456789")}));
            let t = crate::jose::jws::sign(
                &Value::Object(h),
                &jws.payload,
                &Signer::Hmac(b"oauthspec-embedded-secret-0123456789".to_vec()),
            )
            .unwrap_or_else(|e| err(e));
            out.push(Forgery {
                name: "HS256 with a symmetric key embedded as jwk".into(),
                token: t,
            });
            out
        }
        "a jku URL" | "an x5u URL" => {
            let member = if kind == "a jku URL" { "jku" } else { "x5u" };
            let alg = attacker_alg(&jws);
            let attacker = Signer::generate(alg).unwrap_or_else(|e| err(e));
            let kid = "oauthspec-attacker-key";
            let mut jwk = attacker.public_jwk().unwrap_or_default();
            jwk["kid"] = json!(kid);
            jwk["alg"] = json!(alg.as_str());
            let (url, hits) = serve_key_url(json!({ "keys": [jwk] }).to_string()).await;
            w.vars.insert(VAR_FETCHES.into(), json!(url));
            KEY_URL_HITS.with_hits(&url, hits);
            vec![forge::key_url(&jws, member, &url, &attacker, alg, kid).unwrap_or_else(|e| err(e))]
        }
        "an unknown crit header" => {
            let mut h = serde_json::Map::new();
            forge::with_unknown_crit(&mut h);
            let claims = jws.claims().map(Value::Object).unwrap_or_default();
            let token = w.signed_by_target(Value::Object(h), claims).await;
            vec![Forgery {
                name: "signed by the target, with crit naming an unknown extension".into(),
                token,
            }]
        }
        "malformed encodings" => forge::malformed(&jws),
        "a sample of forgeries" => {
            let mut out = vec![
                forge::alg_none(&jws).remove(0),
                forge::stripped_signature(&jws),
            ];
            out.extend(forge::tampered_payload(
                &jws,
                "sub, scope and roles widened",
                forge::widen,
            ));
            out.extend(forge::kid_injections(&jws).ok().and_then(|mut k| k.pop()));
            out
        }
        other => panic!("harness bug: no forgery named {other:?}"),
    }
}

/// Hit counters of the key URLs served in this process, by URL.
struct KeyUrlHits(std::sync::Mutex<Vec<(String, Arc<AtomicUsize>)>>);
static KEY_URL_HITS: KeyUrlHits = KeyUrlHits(std::sync::Mutex::new(Vec::new()));

impl KeyUrlHits {
    fn with_hits(&self, url: &str, hits: Arc<AtomicUsize>) {
        let mut v = self.0.lock().unwrap_or_else(|e| e.into_inner());
        v.retain(|(_, h)| Arc::strong_count(h) > 1);
        v.push((url.to_owned(), hits));
    }

    fn hits(&self, url: &str) -> usize {
        let v = self.0.lock().unwrap_or_else(|e| e.into_inner());
        v.iter()
            .find(|(u, _)| u == url)
            .map_or(0, |(_, h)| h.load(Ordering::SeqCst))
    }
}

#[when(expr = "the API is presented the genuine token forged with {string}")]
async fn present_forged(w: &mut Spec, kind: String) {
    let list = forgeries(w, &kind).await;
    w.present_all(list).await;
}

/// The security verdict: no forgery may be accepted (RFC 8725 §3.1, RFC 7515
/// §5.2). Refusals of any shape pass here; their shape is checked by the
/// format scenarios.
#[then("the API refuses every forged token")]
async fn refuses_all(w: &mut Spec) {
    let answers = w.answers();
    let accepted: Vec<String> = answers
        .iter()
        .filter(|a| a.accepted())
        .map(|a| format!("{} → {}", a.describe, a.line()))
        .collect();
    if !accepted.is_empty() {
        let r = w.attack_resource();
        fail(Finding::security(
            format!(
                "{} {} refuses forged tokens ({} of {} accepted)",
                r.method,
                r.url,
                accepted.len(),
                answers.len()
            ),
            "a refusal (RFC 6750 §3.1: 401 invalid_token) for every forged token",
            accepted.join("\n"),
        ));
    }
}

#[then("none of the refusals is a server error")]
async fn no_server_error(w: &mut Spec) {
    let bad: Vec<String> = w
        .answers()
        .iter()
        .filter(|a| a.status.is_some_and(|s| s >= 500))
        .map(|a| format!("{} → {}", a.name, a.line()))
        .collect();
    if !bad.is_empty() {
        fail(Finding::new(
            "a malformed token is refused as invalid_token, never with a server error (RFC 6750 §3.1)",
            "a 4xx refusal (401 invalid_token)",
            bad.join("\n"),
        ));
    }
}

#[then("the API never fetched the key URL")]
async fn never_fetched(w: &mut Spec) {
    let url = w.var(VAR_FETCHES).unwrap_or_default();
    let hits = KEY_URL_HITS.hits(&url);
    if hits > 0 {
        fail(Finding::security(
            "the resource server never fetches a key URL named by the token (RFC 8725 §3.10: SSRF and key injection)",
            format!("no request to {url}"),
            format!("{hits} request(s) to {url}"),
        ));
    }
}

#[then("no common secret verifies the token's signature")]
async fn no_weak_secret(w: &mut Spec) {
    let jws = w.genuine_jws();
    if !jws.alg().and_then(Alg::parse).is_some_and(Alg::is_hmac) {
        skip(format!(
            "the target signs with {}, not HMAC: there is no shared secret to guess",
            jws.alg().unwrap_or("no alg")
        ));
    }
    if let Some(secret) = weak::crack(&jws) {
        fail(Finding::security(
            "the HMAC key has enough entropy to resist guessing (RFC 8725 §3.5, RFC 7518 §3.2)",
            format!(
                "none of the {} common secrets verifies the token",
                weak::dictionary().count()
            ),
            format!("the token verifies with the secret {secret:?}: anyone can mint tokens"),
        ));
    }
}

// ── the shape of a refusal (RFC 6750 §3) ────────────────────────────

fn bearer_challenges(a: &Answer) -> Vec<flow::Challenge> {
    a.www_authenticate
        .iter()
        .flat_map(|v| parse_www_authenticate(v))
        .filter(|c| c.scheme.eq_ignore_ascii_case("bearer"))
        .collect()
}

#[then("every refusal carries a Bearer challenge in WWW-Authenticate")]
async fn refusals_have_challenge(w: &mut Spec) {
    let bad: Vec<String> = w
        .answers()
        .iter()
        .filter(|a| !a.accepted() && bearer_challenges(a).is_empty())
        .map(|a| format!("{} → {}", a.name, a.line()))
        .collect();
    if !bad.is_empty() {
        fail(Finding::format(
            "a resource server that refuses a token includes a WWW-Authenticate header with a Bearer challenge (RFC 6750 §3: MUST)",
            "WWW-Authenticate: Bearer error=\"invalid_token\"",
            bad.join("\n"),
        ));
    }
}

#[then(expr = "every refusal is {int} with the error {string} in its challenge")]
async fn refusals_are(w: &mut Spec, status: u16, code: String) {
    let bad: Vec<String> = w
        .answers()
        .iter()
        .filter(|a| !a.accepted())
        .filter(|a| {
            let error = bearer_challenges(a)
                .iter()
                .find_map(|c| c.param("error").map(str::to_owned));
            a.status != Some(status) || error.as_deref() != Some(code.as_str())
        })
        .map(|a| format!("{} → {}", a.name, a.line()))
        .collect();
    if !bad.is_empty() {
        fail(Finding::format(
            format!(
                "an invalid token is answered {status} with error=\"{code}\" in the Bearer challenge (RFC 6750 §3.1: SHOULD respond 401; §3: SHOULD include the error attribute)"
            ),
            format!("{status}, WWW-Authenticate: Bearer error=\"{code}\""),
            bad.join("\n"),
        ));
    }
}

/// The refresh token, or a SKIP.
pub(crate) fn refresh_token(w: &Spec) -> String {
    w.var(VAR_REFRESH)
        .or_skip("the target issued no refresh token with the genuine access token")
}

/// The ID token, or a SKIP.
pub(crate) fn id_token(w: &Spec) -> String {
    w.var(VAR_ID_TOKEN)
        .or_skip("the target issued no ID token with the genuine access token")
}

pub(crate) fn store_answers(w: &mut Spec, answers: Vec<Answer>) {
    w.vars.insert(
        VAR_RESULTS.into(),
        Value::Array(answers.iter().map(Answer::to_json).collect()),
    );
}
