//! Steps of `features/resource_server.feature`: what a resource server must
//! check besides the signature (RFC 9068 §4, RFC 7519 §4.1), and the shape
//! of its refusals (RFC 6750 §3), checked with tokens the target itself
//! signed with edited claims, with genuine tokens sent another way or after
//! revocation, and with the forgeries of the JWT-attack steps.

use cucumber::{given, then, when};
use serde_json::{Value, json};

use super::api::{Carrier, Presented};
use super::control::ControlKind;
use super::outcome::{OrSkip, skip, skip_with, unmet};
use super::time::now;
use super::{Finding, Spec, fail};
use crate::driver::flow::Challenge;
use crate::driver::http::HttpRequest;
use crate::protocol::AccessToken;
use crate::target::Endpoint;
use crate::target::TargetKind;

/// Far enough from now that no leeway covers it.
const HOUR: i64 = 3600;

/// The target's idea of now: the genuine token's `iat`, else the local clock
/// (the reference server's test clock may run ahead of ours).
fn target_now(w: &Spec) -> i64 {
    w.genuine_jws()
        .claims()
        .and_then(|c| c.get("iat").and_then(Value::as_i64))
        .unwrap_or_else(now)
}

async fn present_one(w: &mut Spec, name: &str, token: &str, how: Carrier<'_>) {
    let describe = crate::jose::forge::Forgery {
        name: name.to_owned(),
        token: token.to_owned(),
    }
    .describe();
    let resource = w.api_resource();
    let answer = w.present_to(&resource, Some(token), how).await;
    w.flow.presented.push(Presented {
        name: name.to_owned(),
        describe,
        answer,
    });
}

#[when(expr = "the API is presented a token the target signed with {string}")]
async fn signed_with(w: &mut Spec, edit: String) {
    let jws = w.genuine_jws();
    let mut claims = jws.claims().or_skip("the genuine token has no JSON claims");
    let mut header = json!({});
    let t = target_now(w);
    match edit.as_str() {
        "exp in the past" => {
            if w.ctx().admin.is_none() {
                return wait_for_expiry(w, &claims).await;
            }
            claims.insert("iat".into(), json!(t - 2 * HOUR));
            claims.insert("exp".into(), json!(t - HOUR));
        }
        "nbf in the future" => {
            claims.insert("nbf".into(), json!(t + HOUR));
        }
        "no exp" => {
            claims.remove("exp");
        }
        "another issuer" => {
            claims.insert(
                "iss".into(),
                json!("http://127.0.0.1:9/oauthspec-other-issuer"),
            );
        }
        "another audience" => {
            if !claims.contains_key("aud") {
                skip("the target's tokens carry no aud to change");
            }
            claims.insert(
                "aud".into(),
                json!("http://127.0.0.1:9/oauthspec-other-api"),
            );
        }
        "typ JWT instead of at+jwt" => {
            at_jwt_only(w);
            header = json!({"typ": "JWT"});
        }
        other => unmet(format!("harness bug: no claim edit named {other:?}")),
    }
    let token = w.signed_by_target(header, Value::Object(claims)).await;
    present_one(
        w,
        &format!("signed by the target, {edit}"),
        &token,
        Carrier::Header("Bearer"),
    )
    .await;
}

/// SKIPs unless the genuine token is typed `at+jwt` (RFC 9068 §2.1).
fn at_jwt_only(w: &Spec) {
    let jws = w.genuine_jws();
    let typ = jws.header.get("typ").and_then(Value::as_str).unwrap_or("");
    if !typ.eq_ignore_ascii_case("at+jwt") && !typ.eq_ignore_ascii_case("application/at+jwt") {
        skip_with(
            format!(
                "the target's access tokens have typ {typ:?}, not at+jwt: RFC 9068's rules apply to targets that issue RFC 9068 access tokens"
            ),
            "nothing to change: the target does not issue RFC 9068 access tokens",
        );
    }
}

#[given("the target's access tokens are typed at+jwt")]
async fn typed_at_jwt(w: &mut Spec) {
    at_jwt_only(w);
}

/// Without a signing oracle, an expired token is had by waiting for the
/// genuine one to expire (its `exp` plus the clock-skew margin), up to the
/// profile's `max_wait`.
async fn wait_for_expiry(w: &mut Spec, claims: &serde_json::Map<String, Value>) {
    let exp = claims
        .get("exp")
        .and_then(Value::as_i64)
        .or_skip("the genuine token has no exp to wait for");
    let skew = w.clock_skew();
    let wait = u64::try_from((exp - now()).max(0)).unwrap_or(0) + skew;
    w.let_time_pass(
        wait,
        &format!("until the genuine token's exp, plus the clock-skew margin ({skew} s)"),
    )
    .await;
    let token = w.genuine().access;
    present_one(
        w,
        "the genuine token, after its exp has passed",
        &token,
        Carrier::Header("Bearer"),
    )
    .await;
}

#[when("the API is presented the refresh token as an access token")]
async fn refresh_as_access(w: &mut Spec) {
    let t = w.genuine().refresh.unwrap_or_else(|| {
        skip_with(
            "the target issued no refresh token with the genuine access token",
            "nothing to change, unless refresh tokens need a scope (e.g. offline_access) the client does not ask for",
        )
    });
    present_one(w, "the refresh token", &t, Carrier::Header("Bearer")).await;
}

#[when("the API is presented the ID token as an access token")]
async fn id_as_access(w: &mut Spec) {
    let t = w.genuine().id_token.unwrap_or_else(|| {
        skip_with(
            "the target issued no ID token with the genuine access token",
            "nothing to change: the target issues no ID tokens here",
        )
    });
    present_one(w, "the ID token", &t, Carrier::Header("Bearer")).await;
}

#[when("the API is presented the genuine token in the query string")]
async fn in_query(w: &mut Spec) {
    let t = w.genuine().access;
    present_one(w, "the genuine token as ?access_token=", &t, Carrier::Query).await;
}

#[then("an answer that accepts it is marked private for caches")]
async fn query_private(w: &mut Spec) {
    let p = last(w);
    if !p.answer.accepted() {
        skip_with(
            "the API does not take tokens from the query string, which RFC 6750 §2.3 allows",
            "nothing to change: the API does not offer it",
        );
    }
    if !p.answer.has_directive("cache-control", "private") {
        fail(Finding::format(
            "a 2xx answer to a request that carried its token in the query string tells shared caches not to keep it (RFC 6750 §2.3)",
            "Cache-Control: private",
            p.line(),
        ));
    }
}

#[then(expr = "the API accepts the genuine token with the scheme written {string}")]
async fn scheme_case(w: &mut Spec, scheme: String) {
    let t = w.genuine().access;
    let r = w.api_resource();
    let a = w.present_to(&r, Some(&t), Carrier::Header(&scheme)).await;
    if a.status.is_none() {
        unmet(a.describe());
    }
    if !a.accepted() {
        fail(Finding::format(
            "the auth scheme name is case-insensitive (RFC 9110 §11.1, RFC 6750 §2.1)",
            format!("2xx for \"Authorization: {scheme} <genuine token>\""),
            format!("{} from {} {}", a.describe(), r.method, r.url),
        ));
    }
}

#[when("the genuine token is revoked")]
async fn revoke(w: &mut Spec) {
    let genuine = w.genuine();
    match w.target().profile.kind {
        TargetKind::OAuth => {
            let endpoint = w.endpoint(Endpoint::Revocation);
            let client = w.client();
            let mut form = vec![
                ("token".to_owned(), genuine.access.clone()),
                ("token_type_hint".to_owned(), "access_token".to_owned()),
            ];
            let req = client.auth().apply(HttpRequest::post(endpoint), &mut form);
            let a = w.send(req.form(form)).await;
            if a.error_code().as_deref() == Some("unsupported_token_type") {
                // RFC 7009 §2.2.1: a server may decline to revoke access
                // tokens (RFC 7009 §2: it SHOULD support it).
                skip_with(
                    "the target does not revoke access tokens (RFC 7009 §2.2.1 unsupported_token_type)",
                    "nothing to change: the server does not offer it",
                );
            }
            if a.status != Some(200) {
                unmet(format!(
                    "revoking the genuine access token failed: {}",
                    a.describe()
                ));
            }
        }
        TargetKind::RelyingParty => {
            skip("a relying-party target has no revocation or logout endpoint")
        }
        TargetKind::JwtApi => {
            let api = w
                .target()
                .profile
                .jwt_api
                .clone()
                .or_skip("the profile has no [jwt_api] section");
            let driver = w.http();
            let res = crate::target::jwt_api::logout(
                &driver,
                &api,
                &AccessToken::new(genuine.access.clone()),
            )
            .await;
            let res = w.answered(res, "the logout endpoint").unwrap_or_else(|| {
                skip_with(
                    "the target has no logout or revocation endpoint",
                    "give [jwt_api] logout_url, if the API has one",
                )
            });
            if !(200..300).contains(&res.status) {
                unmet(format!(
                    "logging out failed: {} {}",
                    res.status,
                    res.text().chars().take(200).collect::<String>()
                ));
            }
        }
    }
    present_one(
        w,
        "the genuine token, after it was revoked",
        &genuine.access,
        Carrier::Header("Bearer"),
    )
    .await;
}

/// The last presentation.
fn last(w: &Spec) -> Presented {
    w.flow
        .presented
        .last()
        .cloned()
        .unwrap_or_else(|| unmet("harness bug: nothing was presented"))
}

fn resource_control(w: &mut Spec) {
    let r = w.api_resource();
    w.control(&ControlKind::Resource(format!("{} {}", r.method, r.url)));
}

#[then("the API refuses it")]
async fn refuses_it(w: &mut Spec) {
    resource_control(w);
    let p = last(w);
    if p.answer.accepted() {
        let r = w.api_resource();
        fail(Finding::security(
            format!("{} {} refuses this token", r.method, r.url),
            "a refusal (RFC 6750 §3.1: 401 invalid_token)",
            format!("{} → {}", p.describe, p.line()),
        ));
    }
}

/// The refusals among the presentations (accepted forgeries are judged by
/// the security scenarios; a missing answer is no challenge to judge).
fn refusals(w: &mut Spec) -> Vec<Presented> {
    resource_control(w);
    w.flow
        .presented
        .iter()
        .filter(|p| p.answer.status.is_some() && !p.answer.accepted())
        .cloned()
        .collect()
}

fn bearer_challenges(p: &Presented) -> Vec<Challenge> {
    p.answer
        .challenges()
        .into_iter()
        .filter(|c| c.scheme.eq_ignore_ascii_case("bearer"))
        .collect()
}

fn lines(bad: &[Presented]) -> String {
    bad.iter()
        .map(|p| format!("{} → {}", p.name, p.line()))
        .collect::<Vec<_>>()
        .join("\n")
}

#[then("none of the refusals is a server error")]
async fn no_server_error(w: &mut Spec) {
    let bad: Vec<Presented> = refusals(w)
        .into_iter()
        .filter(|p| p.answer.status.is_some_and(|s| s >= 500))
        .collect();
    if !bad.is_empty() {
        fail(Finding::format(
            "a malformed token is refused as invalid, not with a server error (RFC 6750 §3.1)",
            "a 4xx refusal (401 invalid_token)",
            lines(&bad),
        ));
    }
}

#[then("every refusal carries a Bearer challenge in WWW-Authenticate")]
async fn refusals_have_challenge(w: &mut Spec) {
    let bad: Vec<Presented> = refusals(w)
        .into_iter()
        .filter(|p| bearer_challenges(p).is_empty())
        .collect();
    if !bad.is_empty() {
        fail(Finding::format(
            "a resource server that refuses a token includes a WWW-Authenticate header with a Bearer challenge (RFC 6750 §3: MUST)",
            "WWW-Authenticate: Bearer error=\"invalid_token\"",
            lines(&bad),
        ));
    }
}

#[then(expr = "every refusal has the error {string} in its challenge")]
async fn refusals_error(w: &mut Spec, code: String) {
    let bad: Vec<Presented> = refusals(w)
        .into_iter()
        .filter(|p| {
            !bearer_challenges(p)
                .iter()
                .any(|c| c.param("error") == Some(code.as_str()))
        })
        .collect();
    if !bad.is_empty() {
        fail(Finding::format(
            format!(
                "a refused JWT access token is answered with error=\"{code}\" (RFC 9068 §4, RFC 6750 §3.1)"
            ),
            format!("WWW-Authenticate: Bearer error=\"{code}\""),
            lines(&bad),
        ));
    }
}

#[then(expr = "every refusal is {int}")]
async fn refusals_status(w: &mut Spec, status: u16) {
    let bad: Vec<Presented> = refusals(w)
        .into_iter()
        .filter(|p| p.answer.status != Some(status))
        .collect();
    if !bad.is_empty() {
        fail(Finding::format(
            format!("an invalid token is answered {status} (RFC 6750 §3.1: SHOULD)"),
            format!("{status}"),
            lines(&bad),
        ));
    }
}
