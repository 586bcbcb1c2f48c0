//! Steps of `features/token_response.feature`: the shape of what the token
//! endpoint answers, successful (RFC 6749 §5.1) or not (§5.2).

use cucumber::{then, when};
use serde_json::Value;

use super::tokens::describe_token_answer;
use super::{Finding, Spec, fail};
use crate::driver::flow::{self, ClientAuth, EndpointResponse, TokenResponse};
use crate::target::Endpoint;

/// Whether a content type is `application/json` (parameters such as charset
/// allowed).
fn is_json_content_type(ct: Option<&str>) -> bool {
    ct.and_then(|c| c.split(';').next())
        .is_some_and(|m| m.trim().eq_ignore_ascii_case("application/json"))
}

/// Error codes of RFC 6749 §5.2, and those of the OAuth Extensions Error
/// Registry a token endpoint may send (RFC 8628 §3.5, RFC 8693 §2.2.2,
/// RFC 8707 §2, RFC 9449 §5).
const REGISTERED_ERRORS: &[&str] = &[
    "invalid_request",
    "invalid_client",
    "invalid_grant",
    "unauthorized_client",
    "unsupported_grant_type",
    "invalid_scope",
    "authorization_pending",
    "slow_down",
    "access_denied",
    "expired_token",
    "invalid_target",
    "invalid_dpop_proof",
    "use_dpop_nonce",
    "server_error",
    "temporarily_unavailable",
];

/// Whether every character of an `error_description` is one RFC 6749 §5.2
/// allows: `%x20-21 / %x23-5B / %x5D-7E`.
pub(crate) fn description_char_ok(c: char) -> bool {
    matches!(c, '\u{20}'..='\u{21}' | '\u{23}'..='\u{5B}' | '\u{5D}'..='\u{7E}')
}

/// Whether every character of an `error_uri` is one RFC 6749 §5.2 allows:
/// `%x21 / %x23-5B / %x5D-7E`.
fn uri_char_ok(c: char) -> bool {
    matches!(c, '\u{21}' | '\u{23}'..='\u{5B}' | '\u{5D}'..='\u{7E}')
}

/// The characters of `s` outside what `ok` allows, escaped for a finding.
fn offending(s: &str, ok: fn(char) -> bool) -> Vec<String> {
    let mut out: Vec<String> = s
        .chars()
        .filter(|c| !ok(*c))
        .map(|c| c.escape_default().to_string())
        .collect();
    out.dedup();
    out
}

fn answer(w: &Spec) -> &EndpointResponse<TokenResponse> {
    w.token_answer()
}

/// The answer's tokens, or a failure saying the request did not succeed.
fn tokens(res: &EndpointResponse<TokenResponse>) -> &TokenResponse {
    res.success().unwrap_or_else(|| {
        fail(Finding::new(
            "a valid token request succeeds (RFC 6749 §5.1)",
            "200 with an access token",
            describe_token_answer(res),
        ))
    })
}

fn header_values(res: &EndpointResponse<TokenResponse>, name: &str) -> String {
    let v: Vec<&str> = res
        .headers
        .get_all(name)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .collect();
    if v.is_empty() {
        format!("no {name} header")
    } else {
        format!("{name}: {}", v.join(", "))
    }
}

impl Spec {
    /// Sends a token request with the scenario client's own authentication
    /// and this grant type, and keeps the answer.
    async fn token_request_with_grant(&mut self, grant_type: &str) {
        let client = self.client();
        let endpoint = self.endpoint(Endpoint::Token);
        let driver = self.http();
        let auth = client.auth();
        let res = flow::TokenRequest::grant(grant_type)
            .send(&driver, &endpoint, &auth)
            .await;
        let res = self.answered(res, "the token endpoint");
        self.keep_token_answer(res);
        self.flow.last_token_used_basic = Some(matches!(auth, ClientAuth::Basic { .. }));
    }
}

// ── requests ──────────────────────────────────────────────────────────

#[when("the client asks for a token with a grant type the server does not know")]
async fn unknown_grant(w: &mut Spec) {
    w.token_request_with_grant("urn:oauthspec:unheard-of").await;
}

#[when("the client asks for a token with a grant type that holds a line break and quotes")]
async fn crlf_grant(w: &mut Spec) {
    w.token_request_with_grant("oauthspec\r\nInjected: \"quoted\" \\ back")
        .await;
}

// ── successful responses ──────────────────────────────────────────────

#[then("the token response tells caches not to store it")]
async fn no_store(w: &mut Spec) {
    let res = answer(w);
    tokens(res);
    if !res.has_cache_control_no_store() {
        fail(Finding::new(
            "a response carrying tokens has Cache-Control: no-store (RFC 6749 §5.1)",
            "Cache-Control: no-store",
            header_values(res, "cache-control"),
        ));
    }
}

#[then("the token response tells HTTP/1.0 caches not to store it either")]
async fn pragma(w: &mut Spec) {
    let res = answer(w);
    tokens(res);
    let ok = res
        .headers
        .get_all("pragma")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .any(|v| {
            v.split(',')
                .any(|d| d.trim().eq_ignore_ascii_case("no-cache"))
        });
    if !ok {
        fail(Finding::new(
            "a response carrying tokens has Pragma: no-cache (RFC 6749 §5.1)",
            "Pragma: no-cache",
            header_values(res, "pragma"),
        ));
    }
}

#[then("the token response is JSON and names the Bearer token type")]
async fn json_bearer(w: &mut Spec) {
    let res = answer(w);
    let t = tokens(res);
    let ct = res.header("content-type");
    if !is_json_content_type(ct) {
        fail(Finding::format(
            "the token response is sent as application/json (RFC 6749 §5.1)",
            "Content-Type: application/json",
            format!("Content-Type: {}", ct.unwrap_or("(none)")),
        ));
    }
    if t.access_token.secret().is_empty() || !t.token_type.eq_ignore_ascii_case("bearer") {
        fail(Finding::new(
            "the token response carries access_token and token_type Bearer (RFC 6749 §5.1, RFC 6750 §4)",
            "a non-empty access_token, token_type \"Bearer\" (any case)",
            format!(
                "access_token {}, token_type {:?}",
                if t.access_token.secret().is_empty() {
                    "empty"
                } else {
                    "present"
                },
                t.token_type
            ),
        ));
    }
}

#[then("the token response says in how many seconds the access token expires")]
async fn expires_in(w: &mut Spec) {
    let res = answer(w);
    let t = tokens(res);
    match t.raw.get("expires_in") {
        Some(v) if v.as_u64().is_some_and(|n| n > 0) => {}
        other => fail(Finding::new(
            "the token response carries expires_in, the access token's lifetime in seconds (RFC 6749 §5.1, RECOMMENDED)",
            "expires_in: a positive integer",
            format!(
                "expires_in = {}",
                other.map_or("(absent)".into(), Value::to_string)
            ),
        )),
    }
}

// ── error responses ───────────────────────────────────────────────────

#[then("the token error response is JSON with a registered error code")]
async fn error_format(w: &mut Spec) {
    let res = answer(w);
    if res.success().is_some() {
        fail(Finding::new(
            "an invalid token request is refused (RFC 6749 §5.2)",
            "400 with an error object",
            describe_token_answer(res),
        ));
    }
    let ct = res.header("content-type");
    let body: Option<Value> = serde_json::from_slice(&res.body).ok();
    let error = body.as_ref().and_then(|b| b.get("error"));
    let mut problems = Vec::new();
    if !is_json_content_type(ct) {
        problems.push(format!("Content-Type: {}", ct.unwrap_or("(none)")));
    }
    match (&body, error) {
        (None, _) => problems.push(format!(
            "a body that is not JSON: {}",
            res.text().chars().take(200).collect::<String>()
        )),
        (Some(_), Some(Value::String(e))) if REGISTERED_ERRORS.contains(&e.as_str()) => {}
        (Some(_), Some(e)) => problems.push(format!("error = {e}, not a registered code")),
        (Some(_), None) => problems.push("no error member".into()),
    }
    for member in ["error_description", "error_uri"] {
        if let Some(v) = body
            .as_ref()
            .and_then(|b| b.get(member))
            .filter(|v| !v.is_string())
        {
            problems.push(format!("{member} = {v}, not a string"));
        }
    }
    if !problems.is_empty() {
        fail(Finding::format(
            "a token error response is a JSON object with a registered error code, sent as application/json (RFC 6749 §5.2)",
            format!(
                "Content-Type: application/json and error one of {}",
                REGISTERED_ERRORS[..6].join(", ")
            ),
            format!("{}: {}", res.status, problems.join("; ")),
        ));
    }
}

#[then("the token error description holds only the characters the standard allows")]
async fn description_chars(w: &mut Spec) {
    let res = answer(w);
    let body: Option<Value> = serde_json::from_slice(&res.body).ok();
    let get = |m: &str| {
        body.as_ref()
            .and_then(|b| b.get(m))
            .and_then(Value::as_str)
            .map(str::to_owned)
    };
    let mut problems = Vec::new();
    if let Some(d) = get("error_description") {
        let bad = offending(&d, description_char_ok);
        if !bad.is_empty() {
            problems.push(format!(
                "error_description {d:?} contains {}",
                bad.join(" ")
            ));
        }
    }
    if let Some(u) = get("error_uri") {
        let bad = offending(&u, uri_char_ok);
        if !bad.is_empty() {
            problems.push(format!("error_uri {u:?} contains {}", bad.join(" ")));
        }
    }
    if !problems.is_empty() {
        fail(Finding::new(
            "error_description uses only %x20-21 / %x23-5B / %x5D-7E (no CR, LF, quote or backslash), error_uri only %x21 / %x23-5B / %x5D-7E (RFC 6749 §5.2)",
            "only those characters",
            format!("{}: {}", res.status, problems.join("; ")),
        ));
    }
}
