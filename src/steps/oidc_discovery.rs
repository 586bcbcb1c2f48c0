//! Steps of `features/oidc_discovery.feature`: the OpenID Provider
//! configuration (OpenID Connect Discovery §3, §4), fetched by each scenario
//! so the exchange is in its evidence.

use cucumber::{given, then};

use super::openid::ProviderConfig;
use super::outcome::{skip, unmet};
use super::{Finding, Spec, fail};

/// Members Discovery §3 makes REQUIRED of every provider (`token_endpoint`
/// is checked apart: not required of an implicit-only provider).
const REQUIRED: [&str; 6] = [
    "issuer",
    "authorization_endpoint",
    "jwks_uri",
    "response_types_supported",
    "subject_types_supported",
    "id_token_signing_alg_values_supported",
];

/// Response types that return everything from the authorization endpoint
/// (OAuth 2.0 Multiple Response Type Encoding Practices §5).
const IMPLICIT_ONLY: [&str; 2] = ["id_token", "id_token token"];

impl Spec {
    async fn fetched_config(&mut self) -> ProviderConfig {
        self.openid_configuration().await
    }
}

/// The configuration's JSON object, or a FAIL saying it is not one.
fn doc(c: &ProviderConfig) -> &serde_json::Map<String, serde_json::Value> {
    c.doc.as_ref().unwrap_or_else(|| {
        fail(Finding::new(
            "the OpenID Provider configuration is a JSON object (Discovery §4.2)",
            "200 with a JSON object",
            format!(
                "status {} with content type {}",
                c.status,
                c.content_type.as_deref().unwrap_or("(none)")
            ),
        ))
    })
}

#[given("the OpenID Provider configuration is fetched from its well-known URL")]
async fn fetch(w: &mut Spec) {
    let c = w.fetched_config().await;
    if c.status == 404 || c.status == 410 {
        skip(format!(
            "the target serves no OpenID Provider configuration at {} (status {}): it is not checked as an OpenID Provider",
            c.url, c.status
        ));
    }
}

#[then("the configuration is a JSON document with the required members")]
async fn required(w: &mut Spec) {
    let c = w.fetched_config().await;
    let json_type = c
        .content_type
        .as_deref()
        .and_then(|t| t.split(';').next())
        .is_some_and(|t| t.trim().eq_ignore_ascii_case("application/json"));
    if c.status != 200 || !json_type || c.doc.is_none() {
        fail(Finding::new(
            "the configuration is served with 200 as a JSON object of type application/json (Discovery §4.2)",
            "200, application/json, a JSON object",
            format!(
                "status {}, content type {}, {}",
                c.status,
                c.content_type.as_deref().unwrap_or("(none)"),
                if c.doc.is_some() {
                    "a JSON object"
                } else {
                    "not a JSON object"
                }
            ),
        ));
    }
    let d = doc(&c);
    let mut missing: Vec<&str> = REQUIRED
        .into_iter()
        .filter(|m| d.get(*m).is_none_or(serde_json::Value::is_null))
        .collect();
    let types = c.strings("response_types_supported").unwrap_or_default();
    let implicit_only =
        !types.is_empty() && types.iter().all(|t| IMPLICIT_ONLY.contains(&t.as_str()));
    if !implicit_only && d.get("token_endpoint").is_none() {
        missing.push("token_endpoint");
    }
    if !missing.is_empty() {
        fail(Finding::new(
            "the configuration has every REQUIRED member (Discovery §3)",
            REQUIRED.join(", ") + ", token_endpoint",
            format!("missing: {}", missing.join(", ")),
        ));
    }
}

#[then("the configuration's issuer is the issuer the well-known URL was built from")]
async fn issuer(w: &mut Spec) {
    let c = w.fetched_config().await;
    let d = doc(&c);
    let expected = w
        .issuer_as_written()
        .unwrap_or_else(|| unmet("harness bug: a configuration fetched without an issuer"));
    let got = d.get("issuer");
    if got.and_then(serde_json::Value::as_str) != Some(expected.as_str()) {
        fail(Finding::security(
            "the configuration's issuer is identical to the issuer URL its well-known URL was built from (Discovery §4.3)",
            format!("issuer = {expected:?} (fetched from {})", c.url),
            format!(
                "issuer = {}",
                got.map_or_else(|| "(absent)".into(), ToString::to_string)
            ),
        ));
    }
}

#[then(expr = "the configuration lists {string} for ID tokens")]
async fn lists_alg(w: &mut Spec, alg: String) {
    let c = w.fetched_config().await;
    doc(&c);
    let algs = c.strings("id_token_signing_alg_values_supported");
    if !algs.as_ref().is_some_and(|a| a.contains(&alg)) {
        fail(Finding::new(
            "id_token_signing_alg_values_supported includes RS256 (Discovery §3)",
            format!("{alg:?} in id_token_signing_alg_values_supported"),
            algs.map_or_else(
                || "no id_token_signing_alg_values_supported array".into(),
                |a| format!("[{}]", a.join(", ")),
            ),
        ));
    }
}

#[then(expr = "the configuration's scopes include {string}")]
async fn scopes_include(w: &mut Spec, scope: String) {
    let c = w.fetched_config().await;
    doc(&c);
    let Some(scopes) = c.strings("scopes_supported") else {
        skip(
            "the configuration has no scopes_supported (RECOMMENDED, Discovery §3): nothing to check",
        );
    };
    if !scopes.contains(&scope) {
        fail(Finding::new(
            "a provider supports the openid scope, so scopes_supported lists it (Discovery §3)",
            format!("{scope:?} in scopes_supported"),
            format!("[{}]", scopes.join(", ")),
        ));
    }
}
