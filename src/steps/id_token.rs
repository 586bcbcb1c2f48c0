//! Steps of `features/id_token.feature`: the ID token of an authentication
//! request (OpenID Connect Core §2, §3.1.3.3, §3.1.3.6) and of a refresh
//! (§12.2), read and verified by the harness.

use aws_lc_rs::digest;
use cucumber::{then, when};
use serde_json::Value;

use super::openid::IdToken;
use super::outcome::{skip, skip_with, unmet_with};
use super::tokens::describe_token_answer;
use super::{Finding, Spec, fail};
use crate::driver::flow::{self, TokenResponse};
use crate::jose::{Alg, b64e};
use crate::target::Endpoint;

/// What this area keeps between its steps.
#[derive(Debug, Default)]
struct IdTokenState {
    /// The answer to the refresh of the first login's tokens.
    refreshed: Option<TokenResponse>,
}

#[when("the user logs in for an authentication request with the openid scope")]
async fn login(w: &mut Spec) {
    w.openid_login(&[]).await;
}

#[when("the user logs in for another authentication request with the openid scope")]
async fn login_again(w: &mut Spec) {
    w.openid_login(&[]).await;
}

#[then("the token response carries an ID token")]
async fn carries(w: &mut Spec) {
    w.last_openid_login().id_token();
}

#[then("the ID token's signature verifies with the provider's keys")]
async fn signature(w: &mut Spec) {
    let login = w.last_openid_login();
    let token = login.id_token();
    if let Err(why) = w.verify_id_token(&token, &login.client).await {
        fail(Finding::security(
            "the ID token is signed with JWS by a key the provider publishes, or for HMAC with the client's secret (OpenID Connect Core §2, §10.1)",
            "a signature that verifies",
            format!("alg {}: {why}", token.alg().unwrap_or("(absent)")),
        ));
    }
}

#[then("the ID token's issuer is the provider's issuer")]
async fn issuer(w: &mut Spec) {
    let token = w.last_openid_login().id_token();
    let expected = w
        .issuer_as_written()
        .unwrap_or_else(|| skip("the profile names no issuer to compare with"));
    if token.str("iss") != Some(expected.as_str()) {
        fail(Finding::security(
            "the ID token's iss is exactly the provider's issuer identifier (OpenID Connect Core §2, §3.1.3.7)",
            format!("iss = {expected:?}"),
            format!("iss = {}", token.shown("iss")),
        ));
    }
}

#[then("the ID token's audience includes the client")]
async fn audience(w: &mut Spec) {
    let login = w.last_openid_login();
    let token = login.id_token();
    let id = login.client.id.as_str();
    let ok = match token.claims.get("aud") {
        Some(Value::String(a)) => a == id,
        Some(Value::Array(list)) => list.iter().any(|a| a.as_str() == Some(id)),
        _ => false,
    };
    if !ok {
        fail(Finding::security(
            "the ID token's aud contains the client's client_id (OpenID Connect Core §2)",
            format!("aud = {id:?} or an array containing it"),
            format!("aud = {}", token.shown("aud")),
        ));
    }
}

#[then("the ID token's authorized party, if any, is the client")]
async fn authorized_party(w: &mut Spec) {
    let login = w.last_openid_login();
    let token = login.id_token();
    if !token.claims.contains_key("azp") {
        skip("the ID token has no azp (OPTIONAL, Core §2): nothing to check");
    }
    let id = login.client.id.as_str();
    if token.str("azp") != Some(id) {
        fail(Finding::security(
            "the ID token's azp, when present, is the client's client_id (OpenID Connect Core §2)",
            format!("azp = {id:?}"),
            format!("azp = {}", token.shown("azp")),
        ));
    }
}

#[then("the ID token has a lifetime that has not ended")]
async fn lifetime(w: &mut Spec) {
    let token = w.last_openid_login().id_token();
    let requirement = "the ID token has exp and iat, numbers of seconds, and exp is after iat and not past (OpenID Connect Core §2)";
    let (Some(exp), Some(iat)) = (token.time("exp"), token.time("iat")) else {
        fail(Finding::new(
            requirement,
            "exp and iat, JSON numbers",
            format!("exp = {}, iat = {}", token.shown("exp"), token.shown("iat")),
        ));
    };
    if exp <= iat {
        fail(Finding::new(
            requirement,
            "exp later than iat",
            format!("exp = {exp}, iat = {iat}: expired when it was issued"),
        ));
    }
    // A target whose clock the harness moves (test-admin) is not on this
    // machine's time; its own iat is the reference then.
    if w.ctx().admin.is_none() {
        let skew = i64::try_from(w.clock_skew()).unwrap_or(i64::MAX);
        let now = super::time::now();
        if exp.saturating_add(skew) < now {
            fail(Finding::new(
                requirement,
                format!("exp not before now ({now}) less the clock-skew margin ({skew} s)"),
                format!("exp = {exp}"),
            ));
        }
    }
}

#[then("the ID token's subject is at most 255 ASCII characters")]
async fn subject(w: &mut Spec) {
    let token = w.last_openid_login().id_token();
    let ok = token
        .str("sub")
        .is_some_and(|s| !s.is_empty() && s.len() <= 255 && s.is_ascii());
    if !ok {
        fail(Finding::new(
            "the ID token's sub is a string of at most 255 ASCII characters (OpenID Connect Core §2)",
            "a non-empty string of at most 255 ASCII characters",
            format!(
                "sub = {}",
                token.shown("sub").chars().take(300).collect::<String>()
            ),
        ));
    }
}

#[then("the ID token carries the request's nonce")]
async fn nonce(w: &mut Spec) {
    let login = w.last_openid_login();
    let token = login.id_token();
    if token.str("nonce") != Some(login.nonce.as_str()) {
        fail(Finding::security(
            "the ID token carries the authentication request's nonce unchanged (OpenID Connect Core §2)",
            format!("nonce = {:?}", login.nonce),
            format!("nonce = {}", token.shown("nonce")),
        ));
    }
}

/// The digest an ID token's `alg` names for `at_hash` (Core §3.1.3.6): the
/// hash of the JWS algorithm; SHA-512 for EdDSA with Ed25519.
fn at_hash_digest(alg: Alg) -> &'static digest::Algorithm {
    match alg.as_str() {
        a if a.ends_with("384") => &digest::SHA384,
        a if a.ends_with("512") || a == "EdDSA" => &digest::SHA512,
        _ => &digest::SHA256,
    }
}

/// `at_hash` of `access_token` under `alg` (Core §3.1.3.6).
pub fn at_hash(alg: Alg, access_token: &str) -> String {
    let d = digest::digest(at_hash_digest(alg), access_token.as_bytes());
    let bytes = d.as_ref();
    b64e(&bytes[..bytes.len() / 2])
}

#[then("the ID token's at_hash, if any, is the hash of the access token")]
async fn at_hash_matches(w: &mut Spec) {
    let login = w.last_openid_login();
    let token = login.id_token();
    let Some(got) = token.str("at_hash") else {
        if token.claims.contains_key("at_hash") {
            fail(Finding::new(
                "at_hash is a string (OpenID Connect Core §3.1.3.6)",
                "a base64url string",
                format!("at_hash = {}", token.shown("at_hash")),
            ));
        }
        skip(
            "the ID token has no at_hash (OPTIONAL in the code flow, Core §3.1.3.6): nothing to check",
        );
    };
    let alg_name = token.alg().unwrap_or("(absent)");
    let Some(alg) = Alg::parse(alg_name) else {
        skip_with(
            format!(
                "the ID token's alg {alg_name:?} names no hash, so its at_hash cannot be computed"
            ),
            "nothing to change: the id_token signature scenario judges the alg",
        );
    };
    let want = at_hash(alg, login.tokens.access_token.secret());
    if got != want {
        fail(Finding::security(
            "at_hash is the base64url left half of the hash of the access token, by the ID token's alg (OpenID Connect Core §3.1.3.6)",
            format!("at_hash = {want:?} ({alg_name})"),
            format!("at_hash = {got:?}"),
        ));
    }
}

#[then("both ID tokens name the same subject")]
async fn same_subject(w: &mut Spec) {
    let logins = w.openid_logins();
    let [first, second, ..] = logins.as_slice() else {
        super::outcome::unmet("harness bug: the scenario needs two logins");
    };
    let (a, b) = (first.id_token(), second.id_token());
    if a.str("sub").is_none() || a.str("sub") != b.str("sub") {
        fail(Finding::new(
            "the same user gets the same sub at every login for the same client (OpenID Connect Core §2: \"never reassigned\")",
            format!("sub = {} both times", a.shown("sub")),
            format!("sub = {}, then {}", a.shown("sub"), b.shown("sub")),
        ));
    }
}

#[when("the client refreshes its tokens a little later")]
async fn refresh_later(w: &mut Spec) {
    let login = w.last_openid_login();
    let Some(refresh) = login.tokens.refresh_token.clone() else {
        skip_with(
            "the provider issued no refresh token for the authentication request",
            "ask for offline_access in the client's scope if the provider needs it (Core §11), or list refresh_token in the client's grant_types",
        );
    };
    w.let_time_pass(
        2,
        "a refreshed ID token's auth_time must still be the original authentication's",
    )
    .await;
    let endpoint = w.endpoint(Endpoint::Token);
    let driver = w.http();
    let res = flow::TokenRequest::refresh_token(&refresh)
        .send(&driver, &endpoint, &login.client.auth())
        .await;
    let res = w.answered(res, "the token endpoint");
    let Some(tokens) = res.success().cloned() else {
        unmet_with(
            format!(
                "a genuine refresh token was not accepted: {}",
                describe_token_answer(&res)
            ),
            "the refresh area says why",
        );
    };
    w.area::<IdTokenState>().refreshed = Some(tokens);
}

#[then("the refreshed ID token keeps the original issuer, subject, audience and auth_time")]
async fn refreshed_keeps(w: &mut Spec) {
    let first = w.last_openid_login().id_token();
    let Some(refreshed) = w.area::<IdTokenState>().refreshed.clone() else {
        super::outcome::unmet("harness bug: no refresh was made");
    };
    if refreshed.id_token.is_none() {
        skip("the refresh response has no ID token, which Core §12.2 allows: nothing to check");
    }
    let new = IdToken::of(&refreshed);
    let mut changed = Vec::new();
    for claim in ["iss", "sub", "aud", "azp"] {
        if first.claims.get(claim) != new.claims.get(claim) {
            changed.push(format!(
                "{claim}: {} then {}",
                first.shown(claim),
                new.shown(claim)
            ));
        }
    }
    if new.claims.contains_key("auth_time") && new.time("auth_time") != first.time("auth_time") {
        changed.push(format!(
            "auth_time: {} then {}",
            first.shown("auth_time"),
            new.shown("auth_time")
        ));
    }
    if !changed.is_empty() {
        fail(Finding::new(
            "an ID token issued on refresh has the iss, sub, aud and azp of the original one, and auth_time of the original authentication (OpenID Connect Core §12.2)",
            "the same values",
            changed.join("; "),
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::at_hash;
    use crate::jose::Alg;

    /// OpenID Connect Core §A.3's example: the access token
    /// `jHkWEdUXMU1BwAsC4vtUsZwnNvTIxEl0z9K3vx5KF0Y` of an RS256 ID token
    /// has at_hash `77QmUPtjPfzWtF2AnpK9RQ`.
    #[test]
    fn at_hash_matches_the_core_example() {
        assert_eq!(
            at_hash(Alg::RS256, "jHkWEdUXMU1BwAsC4vtUsZwnNvTIxEl0z9K3vx5KF0Y"),
            "77QmUPtjPfzWtF2AnpK9RQ"
        );
    }
}
