//! Steps of `features/jwks.feature`: the JWK Set at the server's `jwks_uri`
//! (RFC 7517), fetched again by each scenario so the exchange is evidence.

use std::collections::BTreeMap;

use cucumber::{given, then};
use serde_json::{Map, Value, json};

use super::{Finding, Spec, fail, skip};
use crate::driver::http::HttpRequest;

/// Members that only a private or secret key has (RFC 7518 §6.2.2, §6.3.2,
/// §6.4.1; RFC 8037 §2 uses `d` too).
const PRIVATE_MEMBERS: [&str; 7] = ["d", "p", "q", "dp", "dq", "qi", "oth"];

const FETCHED: &str = "jwks.fetched";

#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
struct FetchedJwks {
    url: String,
    status: u16,
    content_type: Option<String>,
    body: Option<Value>,
}

impl Spec {
    fn jwks_fetched(&self) -> FetchedJwks {
        self.vars
            .get(FETCHED)
            .and_then(|v| serde_json::from_value(v.clone()).ok())
            .unwrap_or_else(|| {
                panic!("harness bug: the JWK Set was not fetched (add the Given step)")
            })
    }

    /// The keys of the fetched set, or a failure saying why there is no set.
    fn jwks_keys(&self) -> Vec<Map<String, Value>> {
        let f = self.jwks_fetched();
        let requirement = "the jwks_uri serves a JWK Set: a JSON object whose keys member is an array of JWKs (RFC 7517 §5, RFC 8414 §2)";
        if f.status != 200 {
            fail(Finding::new(
                requirement,
                format!("200 with a JWK Set at {}", f.url),
                format!("{} at {}", f.status, f.url),
            ));
        }
        let Some(keys) = f
            .body
            .as_ref()
            .and_then(|b| b.get("keys"))
            .and_then(Value::as_array)
        else {
            fail(Finding::new(
                requirement,
                r#"{"keys": [ … ]}"#,
                match &f.body {
                    Some(b) => format!("a JSON body without a keys array: {}", excerpt(b)),
                    None => format!(
                        "a body that is not JSON (content type {})",
                        f.content_type.as_deref().unwrap_or("none")
                    ),
                },
            ));
        };
        let mut out = Vec::new();
        for (i, k) in keys.iter().enumerate() {
            match k.as_object() {
                Some(o) if o.get("kty").and_then(Value::as_str).is_some() => out.push(o.clone()),
                _ => fail(Finding::new(
                    "every member of keys is a JWK with a kty (RFC 7517 §4.1, §5)",
                    "a JSON object with a string kty",
                    format!("key #{i}: {}", excerpt(k)),
                )),
            }
        }
        out
    }
}

fn excerpt(v: &Value) -> String {
    let s = v.to_string();
    if s.chars().count() > 200 {
        format!("{}…", s.chars().take(200).collect::<String>())
    } else {
        s
    }
}

/// How a key is named in findings: its kid, else its position and type.
fn key_name(i: usize, k: &Map<String, Value>) -> String {
    match k.get("kid").and_then(Value::as_str) {
        Some(kid) => format!("kid {kid:?}"),
        None => format!(
            "key #{i} (kty {}, no kid)",
            k.get("kty").and_then(Value::as_str).unwrap_or("?")
        ),
    }
}

#[given("the server's key set is fetched from its jwks_uri")]
async fn fetch(w: &mut Spec) {
    let Some(url) = w.target().endpoints.jwks.clone() else {
        skip(
            "the target publishes no jwks_uri (no metadata, and none in the profile's [endpoints])",
        );
    };
    let driver = w.http();
    if !driver.allowlist().allows(&url) {
        skip(format!(
            "the jwks_uri {url} is on a host the profile does not name, so the harness may not fetch it"
        ));
    }
    let res = driver
        .send(
            HttpRequest::get(url.clone())
                .header("Accept", "application/jwk-set+json, application/json"),
        )
        .await
        .unwrap_or_else(|e| {
            fail(Finding::new(
                "the jwks_uri answers (RFC 8414 §2)",
                "an HTTP answer",
                e.to_string(),
            ))
        });
    let fetched = FetchedJwks {
        url: url.to_string(),
        status: res.status,
        content_type: res.content_type().map(str::to_owned),
        body: res.json().ok(),
    };
    w.vars.insert(FETCHED.into(), json!(fetched));
}

#[then("the key set is a JSON object with a list of keys")]
async fn is_a_set(w: &mut Spec) {
    let keys = w.jwks_keys();
    if keys.is_empty() {
        fail(Finding::new(
            "the JWK Set holds the keys that verify the server's signatures (RFC 8414 §2 jwks_uri)",
            "at least one key",
            "an empty keys array",
        ));
    }
}

#[then("every key in the set has its own key ID")]
async fn unique_kids(w: &mut Spec) {
    let keys = w.jwks_keys();
    if keys.len() < 2 {
        return;
    }
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    let mut without = Vec::new();
    for (i, k) in keys.iter().enumerate() {
        match k.get("kid").and_then(Value::as_str) {
            Some(kid) => *seen.entry(kid.to_owned()).or_default() += 1,
            None => without.push(key_name(i, k)),
        }
    }
    let dups: Vec<String> = seen
        .iter()
        .filter(|(_, n)| **n > 1)
        .map(|(kid, n)| format!("kid {kid:?} on {n} keys"))
        .collect();
    if !dups.is_empty() || !without.is_empty() {
        let mut actual = dups;
        actual.extend(without.into_iter().map(|k| format!("{k} has none")));
        fail(Finding::new(
            "different keys of a JWK Set use distinct kid values, so a verifier can pick the right one (RFC 7517 §4.5)",
            format!("{} keys with {} distinct kids", keys.len(), keys.len()),
            actual.join("; "),
        ));
    }
}

#[then("no key in the set carries private key material")]
async fn no_private(w: &mut Spec) {
    let keys = w.jwks_keys();
    let leaks: Vec<String> = keys
        .iter()
        .enumerate()
        .filter_map(|(i, k)| {
            let found: Vec<&str> = PRIVATE_MEMBERS
                .iter()
                .copied()
                .filter(|m| k.contains_key(*m))
                .collect();
            (!found.is_empty()).then(|| format!("{} has {}", key_name(i, k), found.join(", ")))
        })
        .collect();
    if !leaks.is_empty() {
        fail(Finding::security(
            "a published JWK Set holds public keys only: anyone holding the private part can forge the server's tokens (RFC 7517 §4, RFC 8725 §3)",
            format!("no private members ({})", PRIVATE_MEMBERS.join(", ")),
            format!("private members published: {}", leaks.join("; ")),
        ));
    }
}

#[then("no key in the set is a shared secret")]
async fn no_symmetric(w: &mut Spec) {
    let keys = w.jwks_keys();
    let secrets: Vec<String> = keys
        .iter()
        .enumerate()
        .filter(|(_, k)| k.get("kty").and_then(Value::as_str) == Some("oct") || k.contains_key("k"))
        .map(|(i, k)| key_name(i, k))
        .collect();
    if !secrets.is_empty() {
        fail(Finding::security(
            "a published JWK Set holds no symmetric keys: a shared secret in it lets anyone forge HMAC-signed tokens (RFC 8725 §3.1, RFC 7518 §6.4)",
            "no key with kty \"oct\" or a k member",
            format!("symmetric keys published: {}", secrets.join("; ")),
        ));
    }
}
