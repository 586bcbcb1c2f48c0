//! Steps of `features/discovery.feature`: the authorization server metadata
//! document (RFC 8414), fetched again by each scenario so the exchange is in
//! its evidence.

use cucumber::{given, then};
use serde_json::Value;
use url::Url;

use super::outcome::{skip_with, unmet};
use super::{Finding, Spec, fail, skip};
use crate::driver::http::HttpRequest;
use crate::target::TargetKind;
use crate::target::discovery::well_known_urls;

/// The metadata document as this scenario fetched it.
#[derive(Clone, Debug, Default)]
struct FetchedMetadata {
    pub url: String,
    pub status: u16,
    pub content_type: Option<String>,
    /// The body, if it was JSON.
    pub body: Option<Value>,
}

impl FetchedMetadata {
    fn doc(&self) -> &serde_json::Map<String, Value> {
        match self.body.as_ref().and_then(Value::as_object) {
            Some(m) => m,
            None => fail(Finding::new(
                "the metadata is a JSON object (RFC 8414 §3.2)",
                "a JSON object",
                format!(
                    "status {} with content type {}",
                    self.status,
                    self.content_type.as_deref().unwrap_or("(none)")
                ),
            )),
        }
    }

    fn strings(&self, member: &str) -> Option<Vec<String>> {
        self.doc().get(member).and_then(Value::as_array).map(|a| {
            a.iter()
                .map(|v| v.as_str().map_or_else(|| v.to_string(), str::to_owned))
                .collect()
        })
    }
}

/// Whether a content type is `application/json` (parameters such as charset
/// allowed).
fn is_json_content_type(ct: Option<&str>) -> bool {
    ct.and_then(|c| c.split(';').next())
        .is_some_and(|m| m.trim().eq_ignore_ascii_case("application/json"))
}

/// Whether a URL's host is the loopback interface.
fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        None => false,
    }
}

impl Spec {
    /// Fetches the target's metadata document again (where discovery found
    /// it), or SKIPs when the target publishes none.
    async fn fetch_metadata(&mut self) -> FetchedMetadata {
        let target = self.target();
        if target.profile.kind != TargetKind::OAuth {
            skip("the target is not an OAuth authorization server, so it has no metadata");
        }
        let Some(issuer) = target.profile.issuer.clone() else {
            skip_with(
                "the profile names no issuer, so there is no metadata URL to check",
                "give the server's issuer in the profile",
            );
        };
        let urls = match &target.metadata_url {
            Some(u) => vec![u.clone()],
            None => match &target.discovery_problem {
                Some(p) => skip_with(
                    format!(
                        "the target publishes no RFC 8414 metadata (the profile's [endpoints] are used instead): {p}"
                    ),
                    "nothing to change: the server publishes no metadata",
                ),
                None => well_known_urls(&issuer),
            },
        };
        let mut last = None;
        for url in urls {
            let a = self
                .send(HttpRequest::get(url.clone()).header("Accept", "application/json"))
                .await;
            if a.status.is_none() {
                unmet(a.describe());
            }
            let fetched = FetchedMetadata {
                url: url.to_string(),
                status: a.status.unwrap_or_default(),
                content_type: a.content_type().map(str::to_owned),
                body: a.json(),
            };
            let found = a.status == Some(200);
            last = Some(fetched);
            if found {
                break;
            }
        }
        last.unwrap_or_else(|| unmet("harness bug: no metadata URL to try"))
    }

    fn metadata_fetched(&mut self) -> FetchedMetadata {
        let m = self.area::<FetchedMetadata>().clone();
        if m.url.is_empty() {
            unmet("harness bug: the metadata was not fetched (add the Given step)");
        }
        m
    }
}

#[given("the server's metadata is fetched from its well-known URL")]
async fn fetch(w: &mut Spec) {
    let m = w.fetch_metadata().await;
    *w.area::<FetchedMetadata>() = m;
}

#[then("the metadata is a JSON document with the required members")]
async fn json_document(w: &mut Spec) {
    let m = w.metadata_fetched();
    if m.status != 200 {
        fail(Finding::new(
            "the metadata is served with 200 OK at the well-known URL (RFC 8414 §3.2)",
            format!("200 at {}", m.url),
            format!("{} at {}", m.status, m.url),
        ));
    }
    if !is_json_content_type(m.content_type.as_deref()) {
        fail(Finding::format(
            "the metadata is served as application/json (RFC 8414 §3.2)",
            "Content-Type: application/json",
            format!(
                "Content-Type: {}",
                m.content_type.as_deref().unwrap_or("(none)")
            ),
        ));
    }
    let doc = m.doc();
    let mut missing: Vec<&str> = ["issuer", "response_types_supported"]
        .into_iter()
        .filter(|k| !doc.contains_key(*k))
        .collect();
    // RFC 8414 §2: required unless no grant type uses the endpoint.
    let grants = m
        .strings("grant_types_supported")
        .unwrap_or_else(|| vec!["authorization_code".into(), "implicit".into()]);
    let uses = |g: &str| grants.iter().any(|x| x == g);
    if (uses("authorization_code") || uses("implicit"))
        && !doc.contains_key("authorization_endpoint")
    {
        missing.push("authorization_endpoint");
    }
    if grants.iter().any(|g| g != "implicit") && !doc.contains_key("token_endpoint") {
        missing.push("token_endpoint");
    }
    if !missing.is_empty() {
        fail(Finding::format(
            "the metadata carries every REQUIRED member (RFC 8414 §2)",
            "issuer, response_types_supported, authorization_endpoint, token_endpoint",
            format!("missing: {}", missing.join(", ")),
        ));
    }
}

#[then("the metadata's issuer is the issuer the well-known URL was built from")]
async fn issuer_matches(w: &mut Spec) {
    let m = w.metadata_fetched();
    let doc = m.doc();
    let Some(issuer) = doc.get("issuer").and_then(Value::as_str) else {
        fail(Finding::new(
            "the metadata names its issuer (RFC 8414 §2)",
            "an issuer member with a string value",
            format!(
                "issuer = {}",
                doc.get("issuer")
                    .map_or("(absent)".into(), Value::to_string)
            ),
        ));
    };
    let expected = w
        .issuer_as_written()
        .unwrap_or_else(|| unmet("harness bug: fetched metadata without an issuer"));
    if issuer != expected {
        fail(Finding::security(
            "the metadata's issuer is identical to the issuer identifier the well-known URL was built from (RFC 8414 §3.3)",
            format!("issuer = {expected:?} (fetched from {})", m.url),
            format!("issuer = {issuer:?}"),
        ));
    }
    let parsed = Url::parse(issuer).unwrap_or_else(|e| {
        fail(Finding::new(
            "the issuer is a URL (RFC 8414 §2)",
            "an absolute https URL",
            format!("{issuer:?}: {e}"),
        ))
    });
    if parsed.query().is_some() || parsed.fragment().is_some() {
        fail(Finding::new(
            "the issuer has no query or fragment (RFC 8414 §2)",
            "an https URL without query or fragment",
            format!("{issuer:?}"),
        ));
    }
    if !well_known_urls(&parsed).iter().any(|u| u.as_str() == m.url) {
        fail(Finding::security(
            "the metadata was fetched from the well-known URL of the issuer it names (RFC 8414 §3.3)",
            format!(
                "a well-known URL of {issuer}: {}",
                well_known_urls(&parsed)
                    .iter()
                    .map(Url::as_str)
                    .collect::<Vec<_>>()
                    .join(" or ")
            ),
            format!("fetched from {}", m.url),
        ));
    }
}

#[then("every endpoint in the metadata is an absolute https URL")]
async fn endpoints_absolute(w: &mut Spec) {
    let m = w.metadata_fetched();
    let mut problems = Vec::new();
    let mut urls = 0;
    let mut loopback_http = 0;
    for (k, v) in m.doc() {
        if !(k == "issuer" || k.ends_with("_endpoint") || k == "jwks_uri") {
            continue;
        }
        let Some(s) = v.as_str() else {
            problems.push(format!("{k} is not a string: {v}"));
            continue;
        };
        urls += 1;
        match Url::parse(s) {
            Err(e) => problems.push(format!("{k} = {s:?} is not an absolute URL ({e})")),
            Ok(u) if u.fragment().is_some() => {
                problems.push(format!("{k} = {s:?} has a fragment"));
            }
            Ok(u) if u.scheme() == "https" => {}
            Ok(u) if u.scheme() == "http" && is_loopback(&u) => loopback_http += 1,
            Ok(u) => problems.push(format!("{k} = {s:?} uses {}, not https", u.scheme())),
        }
    }
    if !problems.is_empty() {
        fail(Finding::new(
            "the issuer and the endpoints are absolute https URLs without a fragment (RFC 8414 §2, RFC 6749 §3.1, §3.2)",
            "https URLs",
            problems.join("; "),
        ));
    }
    if urls > 0 && loopback_http == urls {
        skip_with(
            "the target is served over plain http on the loopback interface (a local test set-up), so its use of TLS cannot be judged",
            "check a deployment that serves https",
        );
    }
}

#[then(expr = "the metadata lists {string} among the response types")]
async fn response_type_listed(w: &mut Spec, wanted: String) {
    let m = w.metadata_fetched();
    let grants = m
        .strings("grant_types_supported")
        .unwrap_or_else(|| vec!["authorization_code".into(), "implicit".into()]);
    if wanted == "code" && !grants.iter().any(|g| g == "authorization_code") {
        skip_with(
            format!(
                "the server does not offer the authorization code grant (grant_types_supported = {})",
                grants.join(", ")
            ),
            "nothing to change: the server does not offer it",
        );
    }
    let list = m.strings("response_types_supported");
    if !list.as_ref().is_some_and(|l| l.contains(&wanted)) {
        fail(Finding::new(
            "response_types_supported lists the response types the server offers (RFC 8414 §2)",
            format!("response_types_supported containing {wanted:?}"),
            format!("response_types_supported = {}", show(list)),
        ));
    }
}

#[then(expr = "the metadata lists {string} among the PKCE methods")]
async fn pkce_listed(w: &mut Spec, wanted: String) {
    let m = w.metadata_fetched();
    let list = m.strings("code_challenge_methods_supported");
    if !list.as_ref().is_some_and(|l| l.contains(&wanted)) {
        fail(Finding::new(
            "the server advertises its PKCE support with code_challenge_methods_supported (RFC 9700 §2.1.1, RFC 8414 §2)",
            format!("code_challenge_methods_supported containing {wanted:?}"),
            format!("code_challenge_methods_supported = {}", show(list)),
        ));
    }
}

fn show(list: Option<Vec<String>>) -> String {
    list.map_or_else(|| "(absent)".to_owned(), |l| format!("{l:?}"))
}
