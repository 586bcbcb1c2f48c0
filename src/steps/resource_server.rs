//! Steps of `features/resource_server.feature`: what a resource server must
//! check besides the signature (RFC 9068 §4, RFC 7519 §4.1, RFC 6750 §2),
//! checked with tokens the target itself signed with edited claims, and
//! with genuine tokens sent the wrong way or after revocation.

use cucumber::{then, when};
use serde_json::{Value, json};

use super::jwt_attacks::{Answer, Carrier, id_token, refresh_token, store_answers};
use super::{Finding, OrSkip, Spec, fail, skip};
use crate::driver::flow;
use crate::driver::jwt_api;
use crate::driver::pkce::AccessToken;
use crate::target::TargetKind;

/// Far enough from now that no leeway covers it.
const HOUR: i64 = 3600;

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(0))
}

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
    let a = w.present(name, describe, token, how).await;
    store_answers(w, vec![a]);
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
        "iat far in the future" => {
            claims.insert("iat".into(), json!(t + 24 * HOUR));
            claims.insert("exp".into(), json!(t + 25 * HOUR));
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
            let typ = jws.header.get("typ").and_then(Value::as_str).unwrap_or("");
            if !typ.eq_ignore_ascii_case("at+jwt")
                && !typ.eq_ignore_ascii_case("application/at+jwt")
            {
                skip(format!(
                    "the target's access tokens have typ {typ:?}, not at+jwt: RFC 9068's typ check applies to targets that issue at+jwt tokens"
                ));
            }
            header = json!({"typ": "JWT"});
        }
        other => panic!("harness bug: no claim edit named {other:?}"),
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

/// Without a signing oracle, an expired token is had by waiting for the
/// genuine one to expire, up to the profile's `max_wait`.
async fn wait_for_expiry(w: &mut Spec, claims: &serde_json::Map<String, Value>) {
    let exp = claims
        .get("exp")
        .and_then(Value::as_i64)
        .or_skip("the genuine token has no exp to wait for");
    let wait = (exp - now() + 2).max(0);
    let max = w.target().profile.expiry.max_wait;
    if u64::try_from(wait).unwrap_or(u64::MAX) > max.as_secs() {
        skip(format!(
            "the genuine token expires in {wait} s, beyond the profile's max_wait of {} s, and the target has no test-admin API to sign an expired token",
            max.as_secs()
        ));
    }
    tokio::time::sleep(std::time::Duration::from_secs(
        u64::try_from(wait).unwrap_or(0),
    ))
    .await;
    let token = w.genuine();
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
    let t = refresh_token(w);
    present_one(w, "the refresh token", &t, Carrier::Header("Bearer")).await;
}

#[when("the API is presented the ID token as an access token")]
async fn id_as_access(w: &mut Spec) {
    let t = id_token(w);
    present_one(w, "the ID token", &t, Carrier::Header("Bearer")).await;
}

#[when("the API is presented the genuine token in the query string")]
async fn in_query(w: &mut Spec) {
    let t = w.genuine();
    present_one(w, "the genuine token as ?access_token=", &t, Carrier::Query).await;
}

#[when("the API is presented the genuine token in a form-encoded body")]
async fn in_form(w: &mut Spec) {
    let t = w.genuine();
    present_one(
        w,
        "the genuine token as a form body access_token",
        &t,
        Carrier::Form,
    )
    .await;
}

#[then(expr = "the API accepts the genuine token with the scheme written {string}")]
async fn scheme_case(w: &mut Spec, scheme: String) {
    let t = w.genuine();
    let a = w
        .present(&scheme, String::new(), &t, Carrier::Header(&scheme))
        .await;
    if !a.accepted() {
        let r = w.attack_resource();
        fail(Finding::format(
            "the auth scheme name is case-insensitive (RFC 9110 §11.1, RFC 6750 §2.1)",
            format!("2xx for \"Authorization: {scheme} <genuine token>\""),
            format!("{} from {} {}", a.line(), r.method, r.url),
        ));
    }
}

#[when("the genuine token is revoked")]
async fn revoke(w: &mut Spec) {
    let token = w.genuine();
    let driver = w.http();
    match w.target().profile.kind {
        TargetKind::OAuth => {
            let endpoint = w.revocation_endpoint();
            let client = w.client();
            let res = flow::revoke(
                &driver,
                &endpoint,
                &client.auth(),
                &token,
                Some("access_token"),
            )
            .await
            .unwrap_or_else(|e| {
                fail(Finding::new(
                    "the revocation endpoint answers",
                    "an HTTP answer",
                    e.to_string(),
                ))
            });
            if res
                .error()
                .is_some_and(|e| e.error == "unsupported_token_type")
            {
                // RFC 7009 §2.2.1: a server may decline to revoke access
                // tokens; revocation is then for the revocation area to judge.
                skip(
                    "the target does not revoke access tokens (RFC 7009 §2.2.1 unsupported_token_type)",
                );
            }
            if res.status != 200 {
                fail(Finding::new(
                    "the revocation request succeeds (RFC 7009 §2.2)",
                    "200",
                    format!("{} {}", res.status, String::from_utf8_lossy(&res.body)),
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
            let res = jwt_api::logout(&driver, &api, &AccessToken::new(token))
                .await
                .unwrap_or_else(|e| fail(Finding::new("the logout endpoint answers", "an HTTP answer", e.to_string())))
                .or_skip("the target has no logout or revocation endpoint (the profile names no logout_url)");
            if !(200..300).contains(&res.status) {
                fail(Finding::new(
                    "logging out succeeds",
                    "2xx",
                    format!("{} {}", res.status, res.text()),
                ));
            }
        }
    }
    let t = w.genuine();
    present_one(
        w,
        "the genuine token, after it was revoked",
        &t,
        Carrier::Header("Bearer"),
    )
    .await;
}

/// The one answer of a single presentation.
fn answer(w: &Spec) -> Answer {
    w.answers().remove(0)
}

#[then("the API refuses it")]
async fn refuses_it(w: &mut Spec) {
    let a = answer(w);
    if a.accepted() {
        let r = w.attack_resource();
        fail(Finding::security(
            format!("{} {} refuses this token", r.method, r.url),
            "a refusal (RFC 6750 §3.1: 401 invalid_token)",
            format!("{} → {}", a.describe, a.line()),
        ));
    }
}
