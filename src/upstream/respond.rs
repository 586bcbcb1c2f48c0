//! The fake's endpoints as wiremock responders. wiremock answers from a
//! synchronous [`Respond::respond`], so every dynamic answer (a code bound
//! to its client, redirect URI, nonce and PKCE challenge; an ID token signed
//! with the request's nonce) is computed here from per-server state behind
//! a mutex.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use serde_json::{Value, json};
use url::Url;
use wiremock::{Request, Respond, ResponseTemplate};

use super::keys::{Signature, UpstreamKeys};
use super::misbehave::Misbehaviour;
use super::provider::{Provider, UpstreamConfig, UserClaims};

/// How long a code stays redeemable (RFC 6749 §4.1.2: at most ten minutes).
const CODE_TTL: Duration = Duration::from_secs(600);
/// Lifetime of ID tokens and access tokens, in seconds.
const TOKEN_TTL: i64 = 3600;

/// An issued, unredeemed code and what it is bound to.
#[derive(Debug, Clone)]
struct Grant {
    client_id: String,
    redirect_uri: String,
    nonce: Option<String>,
    /// `(challenge, method)` when the client used PKCE (RFC 7636 §4.3).
    challenge: Option<(String, String)>,
    user: usize,
    scope: String,
    issued: Instant,
}

/// The state one fake keeps between requests.
#[derive(Debug)]
pub struct Shared {
    pub config: UpstreamConfig,
    pub issuer: String,
    pub addr: std::net::SocketAddr,
    pub keys: Arc<UpstreamKeys>,
    users: Vec<UserClaims>,
    grants: Mutex<HashMap<String, Grant>>,
    tokens: Mutex<HashMap<String, usize>>,
    unmatched: Mutex<Vec<String>>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

fn now_unix() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

fn random_token() -> String {
    let mut bytes = [0u8; 24];
    // aws-lc-rs' system RNG does not fail on supported platforms; a zeroed
    // token would only ever be a fake's code.
    let _ = aws_lc_rs::rand::fill(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

impl Shared {
    pub fn new(
        config: UpstreamConfig,
        issuer: String,
        addr: std::net::SocketAddr,
        keys: Arc<UpstreamKeys>,
    ) -> Self {
        let users = if config.users.is_empty() {
            vec![UserClaims::default_user()]
        } else {
            config.users.clone()
        };
        Shared {
            config,
            issuer,
            addr,
            keys,
            users,
            grants: Mutex::new(HashMap::new()),
            tokens: Mutex::new(HashMap::new()),
            unmatched: Mutex::new(Vec::new()),
        }
    }

    fn has(&self, m: Misbehaviour) -> bool {
        self.config.has(m)
    }

    fn endpoint(&self, path: &str) -> String {
        format!("{}{path}", self.issuer)
    }

    /// Requests no endpoint matched, oldest first (`METHOD URL`).
    pub fn unmatched(&self) -> Vec<String> {
        lock(&self.unmatched).clone()
    }

    /// OpenID Provider metadata (OpenID Connect Discovery 1.0 §3).
    pub fn discovery(&self) -> Value {
        let p = self.config.provider.paths();
        json!({
            "issuer": self.issuer,
            "authorization_endpoint": self.endpoint(p.authorization),
            "token_endpoint": self.endpoint(p.token),
            "userinfo_endpoint": self.endpoint(p.userinfo),
            "jwks_uri": self.endpoint(p.jwks),
            "response_types_supported": ["code"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "scopes_supported": ["openid", "email", "profile"],
            "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
            "claims_supported": ["aud", "email", "email_verified", "exp", "iat", "iss", "name", "sub"],
            "code_challenge_methods_supported": ["plain", "S256"],
            "grant_types_supported": ["authorization_code"],
        })
    }

    fn client_known(&self, id: &str) -> bool {
        self.config.clients.is_empty() || self.config.clients.iter().any(|c| c.id == id)
    }

    /// Client authentication (RFC 6749 §2.3.1): Basic, or the body's
    /// `client_id`/`client_secret`. With no registered client, any id
    /// authenticates.
    fn authenticate(&self, req: &Request, form: &HashMap<String, String>) -> Option<String> {
        let basic = req
            .headers
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| {
                v.strip_prefix("Basic ")
                    .or_else(|| v.strip_prefix("basic "))
            })
            .and_then(|b| STANDARD.decode(b.trim()).ok())
            .and_then(|b| String::from_utf8(b).ok())
            .and_then(|s| {
                let (id, secret) = s.split_once(':')?;
                let dec = |x: &str| {
                    percent_encoding::percent_decode_str(&x.replace('+', " "))
                        .decode_utf8_lossy()
                        .into_owned()
                };
                Some((dec(id), dec(secret)))
            });
        let (id, secret) = match basic {
            Some((id, secret)) => (id, Some(secret)),
            None => (
                form.get("client_id")?.clone(),
                form.get("client_secret").cloned(),
            ),
        };
        if self.config.clients.is_empty() {
            return Some(id);
        }
        self.config
            .clients
            .iter()
            .any(|c| c.id == id && Some(&c.secret) == secret.as_ref())
            .then_some(id)
    }

    fn pick_user(&self, login_hint: Option<&str>) -> usize {
        login_hint
            .and_then(|hint| {
                self.users.iter().position(|u| {
                    u.sub() == hint || u.get("email").and_then(Value::as_str) == Some(hint)
                })
            })
            .unwrap_or(0)
    }

    /// The claims of the ID token for `grant`, with the misbehaviours that
    /// alter claims applied (OpenID Connect Core §2).
    pub(crate) fn id_token_claims(
        &self,
        grant_client: &str,
        nonce: Option<&str>,
        user: usize,
    ) -> Value {
        let now = now_unix();
        let mut claims = serde_json::Map::new();
        if let Some(u) = self.users.get(user) {
            for (k, v) in &u.0 {
                claims.insert(k.clone(), v.clone());
            }
        }
        let iss = if self.has(Misbehaviour::WrongIss) {
            "https://accounts.attacker.example".to_owned()
        } else {
            self.issuer.clone()
        };
        let aud = if self.has(Misbehaviour::WrongAud) {
            format!("not-{grant_client}")
        } else {
            grant_client.to_owned()
        };
        let (iat, exp) = if self.has(Misbehaviour::ExpiredIdToken) {
            (now - 2 * TOKEN_TTL, now - TOKEN_TTL)
        } else {
            (now, now + TOKEN_TTL)
        };
        claims.insert("iss".into(), iss.into());
        // A token issued to another client names that client in azp too.
        claims.insert("azp".into(), aud.clone().into());
        claims.insert("aud".into(), aud.into());
        claims.insert("iat".into(), iat.into());
        claims.insert("exp".into(), exp.into());
        let nonce = if self.has(Misbehaviour::WrongNonce) {
            Some(format!("forged-{}", random_token()))
        } else {
            nonce.map(str::to_owned)
        };
        if let Some(n) = nonce {
            claims.insert("nonce".into(), n.into());
        }
        Value::Object(claims)
    }

    fn signature(&self) -> Signature {
        if self.has(Misbehaviour::AlgNoneIdToken) {
            Signature::None
        } else if self.has(Misbehaviour::BadIdTokenSignature) {
            Signature::Forged
        } else {
            Signature::Genuine
        }
    }

    fn unmatched_request(&self, req: &Request) -> ResponseTemplate {
        // wiremock rebuilds the URL on `http://localhost`: keep path and query.
        let target = match req.url.query() {
            Some(q) => format!("{}?{q}", req.url.path()),
            None => req.url.path().to_owned(),
        };
        let line = format!("{} {target}", req.method);
        eprintln!(
            "oauthspec upstream ({}): UNMATCHED REQUEST {line} — no endpoint of this fake answers it (404)",
            self.config.provider
        );
        tracing::error!(provider = %self.config.provider, request = %line, "unmatched request to the fake upstream");
        lock(&self.unmatched).push(line);
        json_error(
            404,
            "not_found",
            "no endpoint of this fake provider answers this request",
        )
    }
}

fn json_error(status: u16, error: &str, description: &str) -> ResponseTemplate {
    ResponseTemplate::new(status)
        .insert_header("cache-control", "no-store")
        .set_body_json(json!({ "error": error, "error_description": description }))
}

fn text_page(status: u16, text: &str) -> ResponseTemplate {
    ResponseTemplate::new(status).set_body_raw(text.to_owned(), "text/plain; charset=utf-8")
}

fn redirect(location: &Url) -> ResponseTemplate {
    ResponseTemplate::new(302)
        .insert_header("location", location.as_str())
        .insert_header("cache-control", "no-store")
}

fn form_of(bytes: &[u8]) -> HashMap<String, String> {
    url::form_urlencoded::parse(bytes).into_owned().collect()
}

fn query_of(req: &Request) -> HashMap<String, String> {
    req.url.query_pairs().into_owned().collect()
}

/// Which endpoint a responder answers as.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Endpoint {
    Discovery,
    Jwks,
    Authorization,
    Token,
    Userinfo,
    /// Every request no other endpoint matched: logged loudly, then 404.
    Unmatched,
}

/// A responder: one endpoint of one fake.
#[derive(Clone, Debug)]
pub struct Responder {
    pub shared: Arc<Shared>,
    pub endpoint: Endpoint,
}

impl Respond for Responder {
    fn respond(&self, req: &Request) -> ResponseTemplate {
        let s = &self.shared;
        match self.endpoint {
            Endpoint::Discovery => ResponseTemplate::new(200).set_body_json(s.discovery()),
            Endpoint::Jwks => ResponseTemplate::new(200).set_body_json(s.keys.jwks()),
            Endpoint::Authorization => authorization(s, req),
            Endpoint::Token => token(s, req),
            Endpoint::Userinfo => userinfo(s, req),
            Endpoint::Unmatched => s.unmatched_request(req),
        }
    }
}

/// The authorization endpoint (RFC 6749 §4.1.1): approves at once as the
/// configured user and redirects with `code` and the request's `state`.
fn authorization(s: &Shared, req: &Request) -> ResponseTemplate {
    let q = query_of(req);
    let (client_id, redirect_uri, mut location) = match redirect_target(s, &q) {
        Ok(target) => target,
        Err((status, text)) => return text_page(status, text),
    };
    let state = q.get("state").cloned();
    let respond = |mut location: Url, pairs: &[(&str, &str)]| {
        {
            let mut qp = location.query_pairs_mut();
            for (k, v) in pairs {
                qp.append_pair(k, v);
            }
            let state = if s.has(Misbehaviour::WrongState) {
                Some(format!("forged-{}", random_token()))
            } else {
                state.clone()
            };
            if let Some(st) = state {
                qp.append_pair("state", &st);
            }
        }
        redirect(&location)
    };
    if q.get("response_type").map(String::as_str) != Some("code") {
        return respond(location, &[("error", "unsupported_response_type")]);
    }
    if s.has(Misbehaviour::AccessDenied) {
        return respond(
            location,
            &[
                ("error", "access_denied"),
                ("error_description", "The user denied access"),
            ],
        );
    }
    let Ok(challenge) = pkce_challenge(&q) else {
        return respond(
            location,
            &[
                ("error", "invalid_request"),
                ("error_description", "unsupported code_challenge_method"),
            ],
        );
    };
    let code = random_token();
    let grant = Grant {
        client_id: client_id.clone(),
        redirect_uri: redirect_uri.clone(),
        nonce: q.get("nonce").cloned(),
        challenge,
        user: s.pick_user(q.get("login_hint").map(String::as_str)),
        scope: q.get("scope").cloned().unwrap_or_default(),
        issued: Instant::now(),
    };
    {
        let mut grants = lock(&s.grants);
        grants.retain(|_, g| g.issued.elapsed() < CODE_TTL);
        grants.insert(code.clone(), grant);
    }
    location.set_fragment(None);
    respond(location, &[("code", &code)])
}

/// The client and redirect URI of an authorization request, and the URI
/// parsed; or the status and text of the page shown instead, when the
/// request may not be redirected back (RFC 6749 §4.1.2.1: never for an
/// unknown client).
fn redirect_target<'q>(
    s: &Shared,
    q: &'q HashMap<String, String>,
) -> Result<(&'q String, &'q String, Url), (u16, &'static str)> {
    let client_id = q.get("client_id").ok_or((
        400,
        "Error 400: invalid_request. Missing required parameter: client_id",
    ))?;
    if !s.client_known(client_id) {
        return Err((
            401,
            "Error 401: invalid_client. The OAuth client was not found.",
        ));
    }
    let redirect_uri = q.get("redirect_uri").ok_or((
        400,
        "Error 400: invalid_request. Missing required parameter: redirect_uri",
    ))?;
    let location = Url::parse(redirect_uri).map_err(|_| {
        (
            400,
            "Error 400: invalid_request. redirect_uri is not an absolute URL",
        )
    })?;
    Ok((client_id, redirect_uri, location))
}

/// The PKCE challenge of an authorization request as `(challenge, method)`
/// (RFC 7636 §4.3: the method defaults to `plain`); `Err` for a method other
/// than `plain` or `S256`.
fn pkce_challenge(q: &HashMap<String, String>) -> Result<Option<(String, String)>, ()> {
    match (q.get("code_challenge"), q.get("code_challenge_method")) {
        (None, _) => Ok(None),
        (Some(c), None) => Ok(Some((c.clone(), "plain".to_owned()))),
        (Some(c), Some(m)) if m == "S256" || m == "plain" => Ok(Some((c.clone(), m.clone()))),
        (Some(_), Some(_)) => Err(()),
    }
}

/// Verifies a PKCE `code_verifier` against the stored challenge (RFC 7636 §4.6).
fn pkce_ok(challenge: Option<&(String, String)>, verifier: Option<&String>) -> bool {
    match (challenge, verifier) {
        (None, None) => true,
        // A verifier with no challenge is a downgrade (RFC 9700 §2.1.1).
        (None, Some(_)) | (Some(_), None) => false,
        (Some((c, m)), Some(v)) if m == "S256" => {
            let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, v.as_bytes());
            URL_SAFE_NO_PAD.encode(digest.as_ref()) == *c
        }
        (Some((c, _)), Some(v)) => c == v,
    }
}

/// The token endpoint (RFC 6749 §4.1.3, §5.1; OpenID Connect Core §3.1.3.3).
fn token(s: &Shared, req: &Request) -> ResponseTemplate {
    let form = form_of(&req.body);
    let Some(client_id) = s.authenticate(req, &form) else {
        return json_error(401, "invalid_client", "client authentication failed")
            .insert_header("www-authenticate", "Basic realm=\"fake upstream\"");
    };
    if form.get("grant_type").map(String::as_str) != Some("authorization_code") {
        return json_error(
            400,
            "unsupported_grant_type",
            "only authorization_code is supported",
        );
    }
    if s.has(Misbehaviour::ServerError) {
        return json_error(500, "server_error", "the provider failed unexpectedly");
    }
    if s.has(Misbehaviour::WrongCodeExchange) {
        return json_error(400, "invalid_grant", "the code is invalid or has expired");
    }
    let grant = form
        .get("code")
        .and_then(|c| lock(&s.grants).remove(c))
        .filter(|g| g.issued.elapsed() < CODE_TTL);
    let Some(grant) = grant else {
        return json_error(400, "invalid_grant", "unknown, used or expired code");
    };
    if grant.client_id != client_id {
        return json_error(
            400,
            "invalid_grant",
            "the code was issued to another client",
        );
    }
    if form.get("redirect_uri") != Some(&grant.redirect_uri) {
        return json_error(
            400,
            "invalid_grant",
            "redirect_uri does not match the authorization request",
        );
    }
    if !pkce_ok(grant.challenge.as_ref(), form.get("code_verifier")) {
        return json_error(
            400,
            "invalid_grant",
            "the code_verifier does not match the code_challenge",
        );
    }
    let access_token = random_token();
    lock(&s.tokens).insert(access_token.clone(), grant.user);
    let template = if s.config.provider == Provider::Github {
        github_token(req, &access_token, &grant.scope)
    } else {
        let mut body = json!({
            "access_token": access_token,
            "token_type": "Bearer",
            "expires_in": TOKEN_TTL,
            "scope": grant.scope,
        });
        if grant.scope.split(' ').any(|t| t == "openid") {
            let claims = s.id_token_claims(&grant.client_id, grant.nonce.as_deref(), grant.user);
            match s.keys.sign(&claims, s.signature()) {
                Ok(t) => body["id_token"] = t.into(),
                Err(e) => return json_error(500, "server_error", &e.to_string()),
            }
        }
        ResponseTemplate::new(200)
            .insert_header("cache-control", "no-store")
            .set_body_json(body)
    };
    if s.has(Misbehaviour::Slow) {
        template.set_delay(s.config.slow_delay)
    } else {
        template
    }
}

/// GitHub answers form-encoded unless the client asks for JSON.
fn github_token(req: &Request, access_token: &str, scope: &str) -> ResponseTemplate {
    let wants_json = req
        .headers
        .get("accept")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|a| a.contains("json"));
    if wants_json {
        ResponseTemplate::new(200).set_body_json(json!({
            "access_token": access_token, "token_type": "bearer", "scope": scope,
        }))
    } else {
        let body = url::form_urlencoded::Serializer::new(String::new())
            .append_pair("access_token", access_token)
            .append_pair("scope", scope)
            .append_pair("token_type", "bearer")
            .finish();
        ResponseTemplate::new(200).set_body_raw(body, "application/x-www-form-urlencoded")
    }
}

/// UserInfo (OpenID Connect Core §5.3), or GitHub's `GET /user`.
fn userinfo(s: &Shared, req: &Request) -> ResponseTemplate {
    let token = req
        .headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split_once(' '))
        .filter(|(scheme, _)| {
            scheme.eq_ignore_ascii_case("bearer") || scheme.eq_ignore_ascii_case("token")
        })
        .map(|(_, t)| t.trim().to_owned());
    let user = token.and_then(|t| lock(&s.tokens).get(&t).copied());
    let Some(user) = user.and_then(|u| s.users.get(u)) else {
        return ResponseTemplate::new(401)
            .insert_header("www-authenticate", "Bearer error=\"invalid_token\"")
            .set_body_json(json!({ "error": "invalid_token" }));
    };
    let body = if s.config.provider == Provider::Github {
        let id = user
            .sub()
            .parse::<u64>()
            .map_or_else(|_| Value::from(user.sub()), Value::from);
        json!({
            "id": id,
            "login": user.get("login").cloned().unwrap_or_else(|| user.sub().into()),
            "name": user.get("name").cloned().unwrap_or(Value::Null),
            "email": user.get("email").cloned().unwrap_or(Value::Null),
        })
    } else {
        Value::Object(user.0.clone())
    };
    ResponseTemplate::new(200).set_body_json(body)
}
