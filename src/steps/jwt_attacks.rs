//! Steps of `features/jwt_attacks.feature` (RFC 8725, RFC 7515, RFC 9068
//! §4): forged variants of a genuine access token presented to a protected
//! resource.
//!
//! Every scenario first shows its control: the genuine token, obtained the
//! target's own way (the OAuth flow, or a jwt-api's login endpoint), is
//! accepted. A forgery the API accepts is a security failure whose report
//! shows the forged header and claims and the answer. How a refusal is
//! shaped (401, a Bearer challenge, `invalid_token`) is checked by the
//! scenarios of `features/resource_server.feature`, at the level each RFC
//! gives it.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use cucumber::{given, then, when};
use serde_json::{Value, json};
use wiremock::{Mock, ResponseTemplate, matchers};

use super::api::{Carrier, Presented};
use super::control::ControlKind;
use super::outcome::{OrSkip, skip, unmet};
use super::{Finding, Spec, fail};
use crate::jose::forge::{self, Forgery};
use crate::jose::{Alg, Jwk, JwkSet, Jws, Signer, weak};
use crate::target::Endpoint;
use crate::upstream::FakeServer;

/// This area's state: the key URL an attack pointed at, its hits, and the
/// host serving it, kept until the scenario ends.
#[derive(Default)]
struct KeyUrl {
    url: String,
    hits: Option<Arc<AtomicUsize>>,
    _host: Option<KeyHost>,
}

impl Spec {
    /// Presents `token` to the attack resource with `how`, and keeps the answer.
    async fn present_token(&mut self, name: &str, describe: String, token: &str, how: Carrier<'_>) {
        let resource = self.api_resource();
        let answer = self.present_to(&resource, Some(token), how).await;
        self.flow.presented.push(Presented {
            name: name.to_owned(),
            describe,
            answer,
        });
    }

    /// The target's published public keys (its JWKS), if it has any.
    async fn target_keys(&mut self) -> Option<JwkSet> {
        let url = self.target().endpoints.get(Endpoint::Jwks).cloned()?;
        let a = self.send(crate::driver::http::HttpRequest::get(url)).await;
        let v: Value = a.json()?;
        JwkSet::parse(&v).ok()
    }
}

#[given("a genuine access token that the API accepts")]
async fn genuine_accepted(w: &mut Spec) {
    let genuine = w.obtain_genuine().await;
    let resource = w.api_resource();
    w.accepted_by(&resource, &genuine.access, "the genuine access token")
        .await;
    w.flow.genuine = Some(genuine);
}

#[then("the genuine token is still accepted")]
async fn still_accepted(w: &mut Spec) {
    let token = w.genuine().access;
    let resource = w.api_resource();
    w.accepted_by(
        &resource,
        &token,
        "the genuine access token, after the forgeries",
    )
    .await;
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

/// Serves `body` at a key URL, as an attacker's `jku`/`x5u` host would: a
/// wiremock fake that answers every request with `body`, behind a front on
/// a loopback port of its own that counts every connection before handing
/// it over. The server-side request forgery RFC 8725 §3.10 warns of is the
/// connection to the attacker's host, whatever is sent on it (a TLS
/// handshake, a request that never completes), so connections are what is
/// counted. Returns the URL, the counter and the host (it stops when
/// dropped).
async fn serve_key_url(body: String) -> (String, Arc<AtomicUsize>, KeyHost) {
    let bind = |what: &str| {
        std::net::TcpListener::bind("127.0.0.1:0").unwrap_or_else(|e| {
            unmet(format!(
                "the harness cannot bind a loopback port for {what}: {e}"
            ))
        })
    };
    let back = bind("the key host");
    let back_addr = back
        .local_addr()
        .unwrap_or_else(|e| unmet(format!("harness bug: {e}")));
    let server = FakeServer::start(back, false).await;
    server
        .mount(
            Mock::given(matchers::any())
                .respond_with(ResponseTemplate::new(200).set_body_raw(body, "application/json")),
        )
        .await;
    let front = bind("the key URL");
    let port = front.local_addr().map(|a| a.port()).unwrap_or_default();
    let front = front
        .set_nonblocking(true)
        .and_then(|()| tokio::net::TcpListener::from_std(front))
        .unwrap_or_else(|e| unmet(format!("harness bug: the key URL's port: {e}")));
    let hits = Arc::new(AtomicUsize::new(0));
    let counter = tokio::spawn(count_connections(front, back_addr, hits.clone()));
    let url = format!("http://127.0.0.1:{port}/oauthspec/jwks.json");
    (
        url,
        hits,
        KeyHost {
            _server: server,
            counter,
        },
    )
}

/// Counts every connection accepted on `front`, then relays it to `back`.
async fn count_connections(
    front: tokio::net::TcpListener,
    back: std::net::SocketAddr,
    hits: Arc<AtomicUsize>,
) {
    while let Ok((mut inbound, _)) = front.accept().await {
        hits.fetch_add(1, Ordering::SeqCst);
        tokio::spawn(async move {
            if let Ok(mut outbound) = tokio::net::TcpStream::connect(back).await {
                let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
            }
        });
    }
}

/// The attacker's key host: the wiremock server and the counting front,
/// both stopped when dropped.
struct KeyHost {
    _server: FakeServer,
    counter: tokio::task::JoinHandle<()>,
}

impl Drop for KeyHost {
    fn drop(&mut self) {
        self.counter.abort();
    }
}

fn forge_failed(e: crate::jose::JoseError) -> ! {
    unmet(format!("harness bug: the forgery cannot be built: {e}"))
}

/// `Result` of a forgery, or the harness bug it is.
trait Built<T> {
    fn built(self) -> T;
}

impl<T> Built<T> for Result<T, crate::jose::JoseError> {
    fn built(self) -> T {
        self.unwrap_or_else(|e| forge_failed(e))
    }
}

async fn forgeries(w: &mut Spec, kind: &str) -> Vec<Forgery> {
    // What any API must refuse, whatever its token format.
    let genuine = w.genuine().access;
    if crate::jose::Jws::parse(&genuine).is_err() {
        match kind {
            "malformed encodings" => return forge::opaque_malformed(&genuine),
            "a sample of forgeries" => return forge::opaque_variants(&genuine),
            _ => {}
        }
    }
    let jws = w.genuine_jws();
    match kind {
        "alg none" => forge::alg_none(&jws),
        "a stripped signature" => vec![forge::stripped_signature(&jws)],
        "a truncated signature" => vec![forge::truncated_signature(&jws)],
        "a zeroed signature" => vec![forge::zeroed_signature(&jws)],
        "the psychic signature" => psychic(&jws),
        "HMAC keyed with the public key as PEM" | "HMAC keyed with the public key as a JWK" => {
            hmac_confusion(w, &jws, kind.ends_with("PEM")).await
        }
        "tampered claims" => tampered(&jws),
        "kid injection" => forge::kid_injections(&jws).built(),
        "an embedded jwk" => embedded_jwk(&jws),
        "a jku URL" => key_url(w, &jws, "jku").await,
        "an x5u URL" => key_url(w, &jws, "x5u").await,
        "an unknown crit header" => unknown_crit(w, &jws).await,
        "malformed encodings" => forge::malformed(&jws),
        "a sample of forgeries" => sample(&jws),
        other => unmet(format!("harness bug: no forgery named {other:?}")),
    }
}

/// CVE-2022-21449, only for an ES256 target.
fn psychic(jws: &Jws) -> Vec<Forgery> {
    if genuine_alg(jws) != Some(Alg::ES256) {
        skip(format!(
            "the target signs with {}, not ES256: the psychic signature (CVE-2022-21449) concerns ECDSA verifiers",
            jws.alg().unwrap_or("no alg")
        ));
    }
    vec![forge::psychic_signature(jws).built()]
}

/// HS256/384/512 keyed with the target's public key, as PEM (`pem`) or as
/// JSON.
async fn hmac_confusion(w: &mut Spec, jws: &Jws, pem: bool) -> Vec<Forgery> {
    if genuine_alg(jws).is_some_and(Alg::is_hmac) {
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
        if pem {
            let pem = key.public_pem().or_skip("the key has no public PEM form");
            let trimmed = pem.trim_end().to_owned();
            for (secret, form) in [(pem, "PEM"), (trimmed, "PEM without the final newline")] {
                let name = format!("{alg} keyed with the public key as {form}");
                out.push(forge::hmac_signed(jws, alg, secret.as_bytes(), &name).built());
            }
        } else {
            for (v, form) in [
                (Value::Object(key.json.clone()), "the JWKS entry"),
                (Value::Object(key.public_json()), "the public JWK"),
            ] {
                let secret = serde_json::to_vec(&v).unwrap_or_default();
                let name = format!("{alg} keyed with {form} as JSON");
                out.push(forge::hmac_signed(jws, alg, &secret, &name).built());
            }
        }
    }
    out
}

fn tampered(jws: &Jws) -> Vec<Forgery> {
    vec![
        forge::tampered_payload(jws, "sub, scope and roles widened", forge::widen).built(),
        forge::tampered_payload(jws, "exp moved a year ahead", |c| {
            let exp = c.get("exp").and_then(Value::as_i64).unwrap_or(0);
            c.insert("exp".into(), json!(exp + 365 * 86_400));
        })
        .built(),
    ]
}

/// The attacker's key embedded as `jwk`, and a symmetric key embedded.
fn embedded_jwk(jws: &Jws) -> Vec<Forgery> {
    let alg = attacker_alg(jws);
    let attacker = Signer::generate(alg).built();
    let mut out = vec![forge::embedded_jwk(jws, &attacker, alg).built()];
    // The HMAC variant: a symmetric key in the header.
    let mut h = jws.header.clone();
    h.insert("alg".into(), json!("HS256"));
    h.insert(
        "jwk".into(),
        json!({"kty": "oct", "k": crate::jose::b64e(b"oauthspec-embedded-secret-0123456789")}),
    );
    let t = crate::jose::jws::sign(
        &Value::Object(h),
        &jws.payload,
        &Signer::Hmac(b"oauthspec-embedded-secret-0123456789".to_vec()),
    )
    .built();
    out.push(Forgery {
        name: "HS256 with a symmetric key embedded as jwk".into(),
        token: t,
    });
    out
}

/// `member` (`jku` or `x5u`) naming a key URL the harness serves, the token
/// signed with the attacker's key published there.
async fn key_url(w: &mut Spec, jws: &Jws, member: &str) -> Vec<Forgery> {
    let alg = attacker_alg(jws);
    let attacker = Signer::generate(alg).built();
    let kid = "oauthspec-attacker-key";
    let mut jwk = attacker.public_jwk().unwrap_or_default();
    jwk["kid"] = json!(kid);
    jwk["alg"] = json!(alg.as_str());
    let (url, hits, host) = serve_key_url(json!({ "keys": [jwk] }).to_string()).await;
    *w.area::<KeyUrl>() = KeyUrl {
        url: url.clone(),
        hits: Some(hits),
        _host: Some(host),
    };
    vec![forge::key_url(jws, member, &url, &attacker, alg, kid).built()]
}

/// A token the target signs itself, with `crit` naming an unknown extension.
async fn unknown_crit(w: &mut Spec, jws: &Jws) -> Vec<Forgery> {
    let mut h = serde_json::Map::new();
    forge::with_unknown_crit(&mut h);
    let claims = jws.claims().map(Value::Object).unwrap_or_default();
    let token = w.signed_by_target(Value::Object(h), claims).await;
    vec![Forgery {
        name: "signed by the target, with crit naming an unknown extension".into(),
        token,
    }]
}

fn sample(jws: &Jws) -> Vec<Forgery> {
    let mut out = vec![
        forge::alg_none(jws).remove(0),
        forge::stripped_signature(jws),
    ];
    out.extend(forge::tampered_payload(
        jws,
        "sub, scope and roles widened",
        forge::widen,
    ));
    out.extend(forge::kid_injections(jws).ok().and_then(|mut k| k.pop()));
    out
}

#[when(expr = "the API is presented the genuine token forged with {string}")]
async fn present_forged(w: &mut Spec, kind: String) {
    let list = forgeries(w, &kind).await;
    for f in list {
        let describe = f.describe();
        w.present_token(&f.name, describe, &f.token, Carrier::Header("Bearer"))
            .await;
    }
}

/// The security verdict: no forgery may be accepted (RFC 9068 §4, RFC 8725
/// §3). Refusals of any shape pass here; their shape is checked by the
/// resource-server scenarios.
#[then("the API refuses every forged token")]
async fn refuses_all(w: &mut Spec) {
    let r = w.api_resource();
    w.control(&ControlKind::Resource(format!("{} {}", r.method, r.url)));
    let answers = w.flow.presented.clone();
    if answers.is_empty() {
        unmet("harness bug: nothing was presented");
    }
    let accepted: Vec<String> = answers
        .iter()
        .filter(|a| a.answer.accepted())
        .map(|a| format!("{} → {}", a.describe, a.line()))
        .collect();
    if !accepted.is_empty() {
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

#[then("the API never fetched the key URL")]
async fn never_fetched(w: &mut Spec) {
    let state = w.area::<KeyUrl>();
    let url = state.url.clone();
    let hits = state.hits.as_ref().map_or(0, |h| h.load(Ordering::SeqCst));
    if url.is_empty() {
        unmet("harness bug: no key URL was served (add the When step)");
    }
    if hits > 0 {
        fail(Finding::security(
            "the resource server does not fetch a key URL named by the token (RFC 8725 §3.10: SSRF)",
            format!("no request to {url}"),
            format!("{hits} connection(s) to {url}"),
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

#[cfg(test)]
mod tests {
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

    use super::*;

    /// The key URL counts a connection that never sends a request (a
    /// target trying TLS on it, or timing out) as well as a full fetch, and
    /// a fetch gets the key set.
    #[tokio::test]
    async fn the_key_url_counts_connections_and_serves_the_key_set() {
        let (url, hits, _host) = serve_key_url(r#"{"keys":[]}"#.to_owned()).await;
        let addr = url::Url::parse(&url)
            .unwrap()
            .socket_addrs(|| None)
            .unwrap()[0];

        drop(tokio::net::TcpStream::connect(addr).await.unwrap());
        let mut tls = tokio::net::TcpStream::connect(addr).await.unwrap();
        tls.write_all(&[0x16, 0x03, 0x01, 0x00, 0x05])
            .await
            .unwrap();
        drop(tls);

        let mut http = tokio::net::TcpStream::connect(addr).await.unwrap();
        http.write_all(
            b"GET /oauthspec/jwks.json HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
        )
        .await
        .unwrap();
        let mut answer = String::new();
        http.read_to_string(&mut answer).await.unwrap();
        assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
        assert!(answer.ends_with(r#"{"keys":[]}"#), "{answer}");

        // Each connection is counted before it is relayed, so the answer
        // came after all three were.
        assert_eq!(hits.load(Ordering::SeqCst), 3);
    }
}
