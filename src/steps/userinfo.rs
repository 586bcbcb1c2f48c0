//! Steps of `features/userinfo.feature`: the UserInfo endpoint (OpenID
//! Connect Core §5.3), asked with the access token of an authentication
//! request, and with a made-up one.

use cucumber::{given, then, when};
use serde_json::Value;
use url::Url;

use super::answer::Answer;
use super::control::ControlKind;
use super::outcome::{skip_with, unmet};
use super::{Finding, Spec, fail};
use crate::driver::http::HttpRequest;
use crate::protocol::random_token;
use crate::target::Endpoint;

/// What this area keeps between its steps.
#[derive(Debug, Default)]
struct UserinfoState {
    /// The last answer of the UserInfo endpoint.
    answer: Option<Answer>,
}

/// How the access token is sent.
#[derive(Clone, Copy)]
enum Method {
    Get,
    Post,
}

impl Spec {
    /// The UserInfo endpoint: the profile's or discovery's, else the
    /// provider configuration's `userinfo_endpoint`; a SKIP when neither
    /// names one (Discovery §3 makes it RECOMMENDED).
    async fn userinfo_endpoint(&mut self) -> Url {
        if let Some(u) = self.target().endpoints.get(Endpoint::Userinfo) {
            return u.clone();
        }
        let config = self.require_provider().await;
        config
            .str("userinfo_endpoint")
            .and_then(|s| Url::parse(s).ok())
            .unwrap_or_else(|| {
                skip_with(
                    "the provider names no userinfo_endpoint",
                    Endpoint::Userinfo.fix().to_owned(),
                )
            })
    }

    /// Asks the UserInfo endpoint with `token` in the `Authorization`
    /// header (RFC 6750 §2.1), and keeps the answer.
    async fn ask_userinfo(&mut self, method: Method, token: &str) -> Answer {
        let url = self.userinfo_endpoint().await;
        let request = match method {
            Method::Get => HttpRequest::get(url),
            // The token is in the header (RFC 6750 §2.1): the POST has no body.
            Method::Post => HttpRequest::post(url),
        }
        .bearer(token);
        let answer = self.send(request).await;
        if answer.status.is_none() {
            unmet(format!(
                "the UserInfo endpoint did not answer: {}",
                answer.describe()
            ));
        }
        self.area::<UserinfoState>().answer = Some(answer.clone());
        answer
    }

    /// A SKIP when the UserInfo endpoint refused the genuine access token
    /// (401 or 403) and that token says it is for another resource: a JWT access token
    /// (RFC 9068) whose `aud` names neither the provider's issuer nor the
    /// UserInfo endpoint, as a provider with resource indicators (RFC 8707)
    /// issues. Such a token cannot reach the rule; an opaque token or one
    /// meant for the provider can.
    async fn meant_for_another_resource(&mut self, answer: &Answer) {
        // Only a refusal of the token itself (RFC 6750 §3.1: 401
        // invalid_token, or 403) can be about whom the token is for.
        if !(answer.status_is(401) || answer.status_is(403)) {
            return;
        }
        let token = self
            .last_openid_login()
            .tokens
            .access_token
            .secret()
            .to_owned();
        let Some(claims) = crate::jose::Jws::parse(&token)
            .ok()
            .and_then(|j| j.claims())
        else {
            return;
        };
        let aud: Vec<String> = match claims.get("aud") {
            Some(Value::String(a)) => vec![a.clone()],
            Some(Value::Array(list)) => list
                .iter()
                .filter_map(|a| a.as_str().map(str::to_owned))
                .collect(),
            _ => return,
        };
        let userinfo = self.userinfo_endpoint().await;
        let issuer = self.issuer_as_written().unwrap_or_default();
        let ours = |a: &String| {
            a.trim_end_matches('/') == issuer.trim_end_matches('/') || *a == userinfo.as_str()
        };
        if !aud.is_empty() && !aud.iter().any(ours) {
            skip_with(
                format!(
                    "the access token is a JWT for {} (its aud), not for the provider, and the UserInfo endpoint refused it ({}): the provider issues this client no token the UserInfo endpoint takes",
                    aud.join(", "),
                    answer.describe()
                ),
                "nothing to change if the provider issues access tokens only for other resources (RFC 8707); otherwise have the authentication request ask for none ([login] authorization_params)",
            );
        }
    }

    fn userinfo_answer(&mut self) -> Answer {
        self.area::<UserinfoState>()
            .answer
            .clone()
            .unwrap_or_else(|| unmet("harness bug: the UserInfo endpoint was not asked"))
    }
}

/// Whether a content type is `application/json` (parameters allowed).
fn is_json(ct: Option<&str>) -> bool {
    ct.and_then(|c| c.split(';').next())
        .is_some_and(|m| m.trim().eq_ignore_ascii_case("application/json"))
}

/// Why `answer` is not a JSON object about `sub`, if it is not.
fn about_subject(answer: &Answer, sub: Option<&str>) -> Option<String> {
    if !answer.status_is(200) {
        return Some(answer.describe());
    }
    if !is_json(answer.content_type()) {
        return Some(format!(
            "200 with content type {}",
            answer.content_type().unwrap_or("(none)")
        ));
    }
    let Some(Value::Object(doc)) = answer.json() else {
        return Some("200, but the body is not a JSON object".into());
    };
    let got = doc.get("sub");
    if got.and_then(Value::as_str).is_none() || got.and_then(Value::as_str) != sub {
        return Some(format!(
            "sub = {}, the ID token's sub = {}",
            got.map_or_else(|| "(absent)".into(), Value::to_string),
            sub.unwrap_or("(absent)")
        ));
    }
    None
}

#[when("the client asks the UserInfo endpoint with GET and the access token in the header")]
async fn ask_get(w: &mut Spec) {
    let token = w
        .last_openid_login()
        .tokens
        .access_token
        .secret()
        .to_owned();
    w.ask_userinfo(Method::Get, &token).await;
}

#[when("the client asks the UserInfo endpoint with POST and the access token in the header")]
async fn ask_post(w: &mut Spec) {
    let token = w
        .last_openid_login()
        .tokens
        .access_token
        .secret()
        .to_owned();
    w.ask_userinfo(Method::Post, &token).await;
}

#[then("the UserInfo answer is a JSON object about the ID token's subject")]
async fn answer_about_subject(w: &mut Spec) {
    let id_token = w.last_openid_login().id_token();
    let answer = w.userinfo_answer();
    if let Some(why) = about_subject(&answer, id_token.str("sub")) {
        w.meant_for_another_resource(&answer).await;
        fail(Finding::new(
            "the UserInfo endpoint answers GET and POST with a JSON object (application/json) whose sub is the logged-in user's, as in the ID token (OpenID Connect Core §5.3, §5.3.2)",
            format!("200, application/json, sub = {}", id_token.shown("sub")),
            why,
        ));
    }
}

#[given("the UserInfo endpoint answers the genuine access token")]
async fn control(w: &mut Spec) {
    let id_token = w.last_openid_login().id_token();
    let token = w
        .last_openid_login()
        .tokens
        .access_token
        .secret()
        .to_owned();
    let answer = w.ask_userinfo(Method::Get, &token).await;
    if let Some(why) = about_subject(&answer, id_token.str("sub")) {
        w.meant_for_another_resource(&answer).await;
        unmet(format!(
            "the UserInfo endpoint did not answer the genuine access token with the user's claims: {why}"
        ));
    }
    w.control_held(
        ControlKind::Resource(answer.request.clone()),
        "200 with the user's claims for the genuine access token",
    );
}

#[when("the client asks the UserInfo endpoint with a made-up access token")]
async fn ask_made_up(w: &mut Spec) {
    w.ask_userinfo(Method::Get, &random_token(32)).await;
}

#[then("the UserInfo endpoint refuses it with a Bearer challenge")]
async fn refused(w: &mut Spec) {
    let answer = w.userinfo_answer();
    w.control(&ControlKind::Resource(answer.request.clone()));
    let status = answer.status.unwrap_or(0);
    if (200..300).contains(&status) {
        fail(Finding::security(
            "the UserInfo endpoint refuses an access token it did not issue (OpenID Connect Core §5.3.3)",
            "a refusal with a Bearer challenge",
            answer.describe(),
        ));
    }
    if !(400..500).contains(&status) || answer.challenge("Bearer").is_none() {
        fail(Finding::format(
            "the UserInfo endpoint refuses an invalid token with an RFC 6750 §3 error: a 4xx and a WWW-Authenticate Bearer challenge (OpenID Connect Core §5.3.3)",
            "401 with WWW-Authenticate: Bearer error=\"invalid_token\"",
            format!(
                "{}; WWW-Authenticate: {}",
                answer.describe(),
                answer.header_all("www-authenticate").join(", ")
            ),
        ));
    }
}
