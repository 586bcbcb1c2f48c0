//! Steps of `features/jwks.feature`: the JWK Set at the server's `jwks_uri`
//! (RFC 7517), fetched again by each scenario so the exchange is evidence.
//!
//! The set is read key by key into a [`Survey`] of what the rules ask
//! (duplicate kids, private members, shared secrets, each with a few
//! examples and a count) rather than kept: a hostile 100,000-key set costs
//! its body and its kids, not a copy of every key.

use std::collections::HashMap;

use cucumber::{given, then};
use serde::Deserialize;
use serde::de::IgnoredAny;

use super::outcome::{skip_with, unmet};
use super::{Finding, Spec, fail};
use crate::driver::http::HttpRequest;
use crate::target::Endpoint;

/// Members that only a private or secret key has (RFC 7518 §6.2.2, §6.3.2,
/// §6.4.1; RFC 8037 §2 uses `d` too).
const PRIVATE_MEMBERS: [&str; 7] = ["d", "p", "q", "dp", "dq", "qi", "oth"];

/// Findings list at most this many keys.
const SHOWN: usize = 10;

/// What a key is, without its key material.
#[derive(Debug, Default, Deserialize)]
struct KeyShape {
    kty: Option<serde_json::Value>,
    kid: Option<serde_json::Value>,
    d: Option<IgnoredAny>,
    p: Option<IgnoredAny>,
    q: Option<IgnoredAny>,
    dp: Option<IgnoredAny>,
    dq: Option<IgnoredAny>,
    qi: Option<IgnoredAny>,
    oth: Option<IgnoredAny>,
    k: Option<IgnoredAny>,
}

impl KeyShape {
    fn kty(&self) -> Option<&str> {
        self.kty.as_ref().and_then(|v| v.as_str())
    }

    fn kid(&self) -> Option<&str> {
        self.kid.as_ref().and_then(|v| v.as_str())
    }

    fn private_members(&self) -> Vec<&'static str> {
        let present = [
            self.d.is_some(),
            self.p.is_some(),
            self.q.is_some(),
            self.dp.is_some(),
            self.dq.is_some(),
            self.qi.is_some(),
            self.oth.is_some(),
        ];
        PRIVATE_MEMBERS
            .iter()
            .zip(present)
            .filter(|(_, p)| *p)
            .map(|(m, _)| *m)
            .collect()
    }

    /// How a key is named in findings: its kid, else its position and type.
    fn name(&self, i: usize) -> String {
        match self.kid() {
            Some(kid) => format!("kid {kid:?}"),
            None => format!("key #{i} (kty {}, no kid)", self.kty().unwrap_or("?")),
        }
    }
}

#[derive(Deserialize)]
#[serde(untagged)]
enum Entry {
    Key(KeyShape),
    Other(IgnoredAny),
}

/// At most [`SHOWN`] examples of something, and how many there were.
#[derive(Clone, Debug, Default)]
struct Examples {
    shown: Vec<String>,
    total: usize,
}

impl Examples {
    fn add(&mut self, example: impl FnOnce() -> String) {
        if self.shown.len() < SHOWN {
            self.shown.push(example());
        }
        self.total += 1;
    }

    /// The examples, saying how many more there are.
    fn listed(&self) -> String {
        let mut out = self.shown.join("; ");
        if self.total > self.shown.len() {
            out.push_str(&format!("; and {} more", self.total - self.shown.len()));
        }
        out
    }
}

/// What the rules ask of a key set, gathered key by key as the array is
/// read: a hostile 100,000-key set is never held as a list.
#[derive(Clone, Debug, Default)]
struct Survey {
    keys: usize,
    /// The first entry that is not a JWK with a string kty.
    bad: Option<String>,
    /// `(kty, kid)` pairs that occur more than once, with their count.
    duplicates: Vec<((String, String), usize)>,
    private: Examples,
    symmetric: Examples,
}

impl<'de> Deserialize<'de> for Survey {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Visit;
        impl<'de> serde::de::Visitor<'de> for Visit {
            type Value = Survey;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("an array of JWKs")
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(
                self,
                mut seq: A,
            ) -> Result<Survey, A::Error> {
                let mut survey = Survey::default();
                let mut kids: HashMap<(Box<str>, Box<str>), usize> = HashMap::new();
                let mut i = 0;
                while let Some(entry) = seq.next_element::<Entry>()? {
                    match entry {
                        Entry::Key(k) if k.kty().is_some() => {
                            survey.keys += 1;
                            if let (Some(kty), Some(kid)) = (k.kty(), k.kid()) {
                                *kids.entry((kty.into(), kid.into())).or_default() += 1;
                            }
                            let private = k.private_members();
                            if !private.is_empty() {
                                survey
                                    .private
                                    .add(|| format!("{} has {}", k.name(i), private.join(", ")));
                            }
                            if k.kty() == Some("oct") || k.k.is_some() {
                                survey.symmetric.add(|| k.name(i));
                            }
                        }
                        _ => {
                            survey.bad.get_or_insert(format!(
                                "key #{i} is not a JWK with a string kty (RFC 7517 §4.1)"
                            ));
                        }
                    }
                    i += 1;
                }
                survey.duplicates = kids
                    .into_iter()
                    .filter(|(_, n)| *n > 1)
                    .map(|((kty, kid), n)| ((kty.into(), kid.into()), n))
                    .collect();
                survey.duplicates.sort();
                Ok(survey)
            }
        }
        d.deserialize_seq(Visit)
    }
}

#[derive(Deserialize)]
struct SetShape {
    keys: Option<Survey>,
}

/// The key set as this scenario fetched it.
#[derive(Clone, Debug, Default)]
struct Fetched {
    url: String,
    /// Why the document is not a JWK Set, if it is not one.
    problem: Option<String>,
    survey: Survey,
}

impl Spec {
    fn jwks(&mut self) -> Fetched {
        let f = self.area::<Fetched>().clone();
        if f.url.is_empty() {
            unmet("harness bug: the JWK Set was not fetched (add the Given step)");
        }
        f
    }
}

#[given("the server's key set is fetched from its jwks_uri")]
async fn fetch(w: &mut Spec) {
    let Some(url) = w.target().endpoints.get(Endpoint::Jwks).cloned() else {
        skip_with(
            "the target publishes no jwks_uri (no metadata, and none in the profile's [endpoints])",
            "give [endpoints] jwks in the profile, if the server publishes keys",
        );
    };
    let driver = w.http();
    let res = driver
        .send(
            HttpRequest::get(url.clone())
                .header("Accept", "application/jwk-set+json, application/json"),
        )
        .await;
    let res = w.answered(res, "the jwks_uri");
    let problem = if res.status != 200 {
        Some(format!("{} at {url}", res.status))
    } else {
        None
    };
    let (survey, problem) = match (problem, serde_json::from_slice::<SetShape>(&res.body)) {
        (Some(p), _) => (Survey::default(), Some(p)),
        (None, Err(e)) => (
            Survey::default(),
            Some(format!(
                "a body that is not a JSON object with a keys array ({} bytes, content type {}): {e}",
                res.body.len(),
                res.content_type().unwrap_or("none")
            )),
        ),
        (None, Ok(SetShape { keys: None })) => (
            Survey::default(),
            Some("a JSON object without a keys array".into()),
        ),
        (None, Ok(SetShape { keys: Some(survey) })) => {
            let bad = survey.bad.clone();
            (survey, bad)
        }
    };
    *w.area::<Fetched>() = Fetched {
        url: url.to_string(),
        problem,
        survey,
    };
}

#[then("the key set is a JSON object with a list of keys")]
async fn is_a_set(w: &mut Spec) {
    let f = w.jwks();
    let requirement = "the jwks_uri serves a JWK Set: a JSON object whose keys member is an array of JWKs (RFC 7517 §5, RFC 8414 §2)";
    if let Some(p) = f.problem {
        fail(Finding::new(
            requirement,
            format!(r#"200 with {{"keys": [ … ]}} at {}"#, f.url),
            p,
        ));
    }
    if f.survey.keys == 0 {
        fail(Finding::new(
            requirement,
            "at least one key",
            "an empty keys array",
        ));
    }
}

#[then("every key in the set has its own key ID")]
async fn unique_kids(w: &mut Spec) {
    let f = w.jwks();
    let mut dups = Examples::default();
    for ((kty, kid), n) in &f.survey.duplicates {
        dups.add(|| format!("kid {kid:?} on {n} {kty} keys"));
    }
    if dups.total > 0 {
        fail(Finding::new(
            "different keys of a JWK Set use distinct kid values, so a verifier can pick the right one (RFC 7517 §4.5)",
            "distinct kids among keys of one type",
            dups.listed(),
        ));
    }
}

#[then("no key in the set carries private key material")]
async fn no_private(w: &mut Spec) {
    let f = w.jwks();
    if f.survey.private.total > 0 {
        fail(Finding::security(
            "a published JWK Set holds public keys only: anyone holding the private part can forge the server's tokens (OpenID Connect Discovery §3)",
            format!("no private members ({})", PRIVATE_MEMBERS.join(", ")),
            format!("private members published: {}", f.survey.private.listed()),
        ));
    }
}

#[then("no key in the set is a shared secret")]
async fn no_symmetric(w: &mut Spec) {
    let f = w.jwks();
    if f.survey.symmetric.total > 0 {
        fail(Finding::security(
            "a published JWK Set holds no symmetric keys: a shared secret in it lets anyone forge HMAC-signed tokens (OpenID Connect Discovery §3)",
            "no key with kty \"oct\" or a k member",
            format!("symmetric keys published: {}", f.survey.symmetric.listed()),
        ));
    }
}
