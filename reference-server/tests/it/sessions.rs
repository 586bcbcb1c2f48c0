//! Login sessions at the OpenID Provider (OpenID Connect Core §3.1.2.1,
//! §3.1.2.6): a browser that logged in once is not asked again, unless
//! `prompt=login`, an exceeded `max_age` or an `id_token_hint` of another
//! user say otherwise; consent given once is remembered for the session;
//! `prompt=none` never shows a page. Each test walks a browser that keeps
//! its cookies; the session faults are shown breaking their rule and no
//! other at the end.

use std::collections::BTreeMap;

use oauthspec_reference_server::config::UserConfig;
use oauthspec_reference_server::{Fault, Settings};
use reqwest::header::{self, HeaderValue};
use reqwest::{Response, StatusCode};
use serde_json::Value;

use crate::support::{
    Client, PASSWORD, Pkce, TestServer, Tokens, USER, csrf_token, form, jwt_parts, location,
    query_param,
};

const BOB: &str = "bob";
const BOB_PASSWORD: &str = "bob-password";

async fn server_with(faults: &[Fault]) -> TestServer {
    let mut settings = Settings {
        test_admin: true,
        faults: faults.to_vec(),
        ..Settings::default()
    };
    settings.users.push(UserConfig {
        username: BOB.into(),
        password_hash: None,
        password: Some(BOB_PASSWORD.into()),
    });
    TestServer::start_with(settings).await
}

/// A browser: keeps the cookies the server sets (by name; paths are not
/// needed here) and sends them all back.
#[derive(Default)]
struct Browser {
    jar: BTreeMap<String, String>,
}

/// Where an authorization request led.
#[derive(Debug)]
enum Outcome {
    /// The login page of this interaction.
    Login(String),
    /// The consent page of this interaction, logged in already.
    Consent(String),
    /// Straight back to the client.
    Client(url::Url),
}

impl Browser {
    fn absorb(&mut self, res: &Response) {
        for v in res.headers().get_all(header::SET_COOKIE) {
            let v = v.to_str().unwrap();
            let pair = v.split(';').next().unwrap();
            let (k, val) = pair.split_once('=').unwrap();
            self.jar
                .insert(k.trim().to_string(), val.trim().to_string());
        }
    }

    fn cookie_header(&self) -> Option<HeaderValue> {
        (!self.jar.is_empty()).then(|| {
            let all: Vec<String> = self.jar.iter().map(|(k, v)| format!("{k}={v}")).collect();
            HeaderValue::from_str(&all.join("; ")).unwrap()
        })
    }

    async fn send(&mut self, req: reqwest::RequestBuilder) -> Response {
        let req = match self.cookie_header() {
            Some(c) => req.header(header::COOKIE, c),
            None => req,
        };
        let res = req.send().await.expect("request");
        self.absorb(&res);
        res
    }

    async fn get(&mut self, s: &TestServer, path: &str) -> Response {
        self.send(s.get(path)).await
    }

    async fn post(&mut self, s: &TestServer, path: &str, pairs: &[(&str, &str)]) -> Response {
        self.send(form(s.post(path), pairs)).await
    }

    /// `GET /authorize` and where it led.
    async fn authorize(&mut self, s: &TestServer, params: &[(&str, &str)]) -> Outcome {
        let query = serde_urlencoded::to_string(params).unwrap();
        let res = self.get(s, &format!("/authorize?{query}")).await;
        outcome(&res)
    }

    /// Logs in on the login page of `id`; returns the response to the
    /// credentials.
    async fn log_in_as(&mut self, s: &TestServer, id: &str, user: &str, password: &str) {
        let path = format!("/interaction/{id}");
        let res = self.get(s, &path).await;
        assert_eq!(res.status(), StatusCode::OK);
        let csrf = csrf_token(&res.text().await.unwrap());
        let res = self
            .post(
                s,
                &path,
                &[
                    ("username", user),
                    ("password", password),
                    ("csrf_token", &csrf),
                ],
            )
            .await;
        assert_eq!(res.status(), StatusCode::SEE_OTHER, "login failed");
        assert_eq!(location(&res), format!("/interaction/{id}/consent"));
    }

    /// Approves on the consent page of `id`; the redirect to the client.
    async fn approve(&mut self, s: &TestServer, id: &str) -> url::Url {
        let path = format!("/interaction/{id}/consent");
        let res = self.get(s, &path).await;
        assert_eq!(res.status(), StatusCode::OK);
        let csrf = csrf_token(&res.text().await.unwrap());
        let res = self
            .post(s, &path, &[("decision", "approve"), ("csrf_token", &csrf)])
            .await;
        assert_eq!(res.status(), StatusCode::SEE_OTHER);
        url::Url::parse(&location(&res)).unwrap()
    }

    /// The whole walk from a login page: log in as `user`, approve.
    async fn walk_as(
        &mut self,
        s: &TestServer,
        params: &[(&str, &str)],
        user: &str,
        password: &str,
    ) -> url::Url {
        let Outcome::Login(id) = self.authorize(s, params).await else {
            panic!("expected the login page");
        };
        self.log_in_as(s, &id, user, password).await;
        self.approve(s, &id).await
    }
}

fn outcome(res: &Response) -> Outcome {
    assert_eq!(
        res.status(),
        StatusCode::SEE_OTHER,
        "authorize did not redirect"
    );
    let to = location(res);
    if let Some(rest) = to.strip_prefix("/interaction/") {
        match rest.strip_suffix("/consent") {
            Some(id) => Outcome::Consent(id.to_string()),
            None => Outcome::Login(rest.to_string()),
        }
    } else {
        Outcome::Client(url::Url::parse(&to).expect("absolute redirect"))
    }
}

/// A request of `client` for `scope` with `extra` parameters.
fn params<'a>(
    client: &'a Client,
    pkce: &'a Pkce,
    scope: &'a str,
    extra: &[(&'a str, &'a str)],
) -> Vec<(&'a str, &'a str)> {
    let mut p = TestServer::authorize_params(client, pkce, "st4te", scope);
    p.extend_from_slice(extra);
    p
}

/// The code of a redirect to the client; panics on anything else.
fn code_of(o: Outcome) -> String {
    match o {
        Outcome::Client(url) => query_param(&url, "code").unwrap_or_else(|| panic!("{url}")),
        other => panic!("expected a code at once, got {other:?}"),
    }
}

fn error_of(o: Outcome) -> String {
    match o {
        Outcome::Client(url) => {
            assert_eq!(query_param(&url, "code"), None);
            assert_eq!(query_param(&url, "state").as_deref(), Some("st4te"));
            query_param(&url, "error").unwrap_or_else(|| panic!("{url}"))
        }
        other => panic!("expected an error redirect, got {other:?}"),
    }
}

/// Redeems a code; the ID token's claims.
async fn id_claims(s: &TestServer, c: &Client, code: &str, pkce: &Pkce) -> (String, Value) {
    let t = Tokens::from_ok(s.exchange(c, code, &pkce.verifier).await).await;
    let token = t.body["id_token"].as_str().expect("id_token").to_string();
    let (_, claims) = jwt_parts(&token);
    (token, claims)
}

/// A browser logged in as `user` for `client` with `scope`, and the
/// first ID token's claims.
async fn logged_in(
    s: &TestServer,
    c: &Client,
    scope: &str,
    user: &str,
    password: &str,
) -> (Browser, String, Value) {
    let mut b = Browser::default();
    let pkce = Pkce::new();
    let url = b
        .walk_as(s, &params(c, &pkce, scope, &[]), user, password)
        .await;
    let code = query_param(&url, "code").expect("code");
    let (token, claims) = id_claims(s, c, &code, &pkce).await;
    (b, token, claims)
}

#[tokio::test]
async fn the_session_cookie_is_http_only_lax_for_the_whole_site_and_secure_only_on_https() {
    let s = server_with(&[]).await;
    let c = s.confidential_client().await;
    let mut b = Browser::default();
    let pkce = Pkce::new();
    let Outcome::Login(id) = b.authorize(&s, &params(&c, &pkce, "openid", &[])).await else {
        panic!("login page");
    };
    let res = b.get(&s, &format!("/interaction/{id}")).await;
    let csrf = csrf_token(&res.text().await.unwrap());
    let res = b
        .post(
            &s,
            &format!("/interaction/{id}"),
            &[
                ("username", USER),
                ("password", PASSWORD),
                ("csrf_token", &csrf),
            ],
        )
        .await;
    let set: Vec<&str> = res
        .headers()
        .get_all(header::SET_COOKIE)
        .iter()
        .map(|v| v.to_str().unwrap())
        .collect();
    assert_eq!(set.len(), 1, "{set:?}");
    let attrs: Vec<&str> = set[0].split(';').map(str::trim).collect();
    let value = attrs[0].strip_prefix("op_session=").expect("op_session");
    assert_eq!(value.len(), 43, "256 bits, base64url");
    for a in ["HttpOnly", "SameSite=Lax", "Path=/"] {
        assert!(attrs.contains(&a), "{a} in {set:?}");
    }
    assert!(!attrs.contains(&"Secure"), "the issuer is http");
    // A wrong password sets no session.
    let mut other = Browser::default();
    let Outcome::Login(id) = other.authorize(&s, &params(&c, &pkce, "openid", &[])).await else {
        panic!("login page");
    };
    let res = other.get(&s, &format!("/interaction/{id}")).await;
    let csrf = csrf_token(&res.text().await.unwrap());
    let res = other
        .post(
            &s,
            &format!("/interaction/{id}"),
            &[
                ("username", USER),
                ("password", "nope"),
                ("csrf_token", &csrf),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    assert!(!other.jar.contains_key("op_session"));

    // An https issuer: the cookie is Secure.
    let s = TestServer::start_with(Settings {
        issuer: Some("https://op.example".into()),
        ..Settings::default()
    })
    .await;
    let c = s.confidential_client().await;
    let mut b = Browser::default();
    let Outcome::Login(id) = b.authorize(&s, &params(&c, &pkce, "openid", &[])).await else {
        panic!("login page");
    };
    let res = b.get(&s, &format!("/interaction/{id}")).await;
    let csrf = csrf_token(&res.text().await.unwrap());
    let res = b
        .post(
            &s,
            &format!("/interaction/{id}"),
            &[
                ("username", USER),
                ("password", PASSWORD),
                ("csrf_token", &csrf),
            ],
        )
        .await;
    let set = res.headers()[header::SET_COOKIE].to_str().unwrap();
    assert!(set.split(';').any(|a| a.trim() == "Secure"), "{set}");
}

#[tokio::test]
async fn a_second_request_reuses_the_session_and_remembered_consent_skips_every_page() {
    let s = server_with(&[]).await;
    let c = s.confidential_client().await;
    let (mut b, _, first) = logged_in(&s, &c, "openid profile", USER, PASSWORD).await;
    // The same scope, and a narrower one: a code at once, GET and POST.
    let pkce = Pkce::new();
    let code = code_of(
        b.authorize(&s, &params(&c, &pkce, "openid profile", &[]))
            .await,
    );
    let (_, again) = id_claims(&s, &c, &code, &pkce).await;
    assert_eq!(again["sub"], first["sub"]);
    assert_eq!(again["auth_time"], first["auth_time"]);
    let pkce = Pkce::new();
    code_of(b.authorize(&s, &params(&c, &pkce, "openid", &[])).await);
    let p = params(&c, &pkce, "openid", &[]);
    let res = b.send(form(s.post("/authorize"), &p)).await;
    code_of(outcome(&res));
    // A wider scope, or prompt=consent: the consent page, no login page.
    let Outcome::Consent(id) = b
        .authorize(&s, &params(&c, &pkce, "openid email", &[]))
        .await
    else {
        panic!("consent page for a wider scope");
    };
    let url = b.approve(&s, &id).await;
    assert!(query_param(&url, "code").is_some());
    code_of(
        b.authorize(&s, &params(&c, &pkce, "openid email", &[]))
            .await,
    );
    assert!(matches!(
        b.authorize(&s, &params(&c, &pkce, "openid", &[("prompt", "consent")]))
            .await,
        Outcome::Consent(_)
    ));
    // Another client: logged in, but its own consent.
    let other = s.confidential_client().await;
    assert!(matches!(
        b.authorize(&s, &params(&other, &pkce, "openid", &[])).await,
        Outcome::Consent(_)
    ));
    // Another browser: the login page.
    assert!(matches!(
        Browser::default()
            .authorize(&s, &params(&c, &pkce, "openid", &[]))
            .await,
        Outcome::Login(_)
    ));
    // The session ends an hour after the login.
    s.advance_clock(3600).await;
    assert!(matches!(
        b.authorize(&s, &params(&c, &pkce, "openid", &[])).await,
        Outcome::Login(_)
    ));
}

#[tokio::test]
async fn prompt_none_after_a_login_gets_a_code_at_once_with_the_same_sub_and_auth_time() {
    let s = server_with(&[]).await;
    let c = s.confidential_client().await;
    let (mut b, _, first) = logged_in(&s, &c, "openid", USER, PASSWORD).await;
    s.advance_clock(100).await;
    let pkce = Pkce::new();
    let code = code_of(
        b.authorize(&s, &params(&c, &pkce, "openid", &[("prompt", "none")]))
            .await,
    );
    let (_, second) = id_claims(&s, &c, &code, &pkce).await;
    assert_eq!(second["sub"], first["sub"]);
    assert_eq!(second["auth_time"], first["auth_time"]);
    assert!(second["iat"].as_i64().unwrap() >= first["iat"].as_i64().unwrap() + 100);
    // Logged in, but not consented to this client: consent_required.
    let other = s.confidential_client().await;
    assert_eq!(
        error_of(
            b.authorize(&s, &params(&other, &pkce, "openid", &[("prompt", "none")]))
                .await
        ),
        "consent_required"
    );
    // Nor to this wider scope.
    assert_eq!(
        error_of(
            b.authorize(
                &s,
                &params(&c, &pkce, "openid email", &[("prompt", "none")])
            )
            .await
        ),
        "consent_required"
    );
    // Not logged in: login_required.
    assert_eq!(
        error_of(
            Browser::default()
                .authorize(&s, &params(&c, &pkce, "openid", &[("prompt", "none")]))
                .await
        ),
        "login_required"
    );
}

#[tokio::test]
async fn prompt_login_shows_the_login_page_and_a_new_login_replaces_the_session() {
    let s = server_with(&[]).await;
    let c = s.confidential_client().await;
    let (mut b, _, first) = logged_in(&s, &c, "openid", USER, PASSWORD).await;
    let old_cookie = b.jar["op_session"].clone();
    s.advance_clock(50).await;
    let pkce = Pkce::new();
    let p = params(&c, &pkce, "openid", &[("prompt", "login")]);
    let Outcome::Login(id) = b.authorize(&s, &p).await else {
        panic!("prompt=login shows the login page");
    };
    b.log_in_as(&s, &id, USER, PASSWORD).await;
    let code = query_param(&b.approve(&s, &id).await, "code").unwrap();
    let (_, second) = id_claims(&s, &c, &code, &pkce).await;
    assert!(second["auth_time"].as_i64().unwrap() >= first["auth_time"].as_i64().unwrap() + 50);
    assert_ne!(b.jar["op_session"], old_cookie, "a new cookie");
    // The old cookie is no session any more.
    let mut stale = Browser::default();
    stale.jar.insert("op_session".into(), old_cookie);
    assert_eq!(
        error_of(
            stale
                .authorize(&s, &params(&c, &pkce, "openid", &[("prompt", "none")]))
                .await
        ),
        "login_required"
    );
    // The new session carries the new auth_time.
    let pkce = Pkce::new();
    let code = code_of(
        b.authorize(&s, &params(&c, &pkce, "openid", &[("prompt", "none")]))
            .await,
    );
    let (_, third) = id_claims(&s, &c, &code, &pkce).await;
    assert_eq!(third["auth_time"], second["auth_time"]);
}

#[tokio::test]
async fn max_age_shorter_than_the_time_since_login_asks_for_the_login_again() {
    let s = server_with(&[]).await;
    let c = s.confidential_client().await;
    let (mut b, _, first) = logged_in(&s, &c, "openid", USER, PASSWORD).await;
    s.advance_clock(2).await;
    let pkce = Pkce::new();
    assert_eq!(
        error_of(
            b.authorize(
                &s,
                &params(&c, &pkce, "openid", &[("prompt", "none"), ("max_age", "1")])
            )
            .await
        ),
        "login_required"
    );
    // Within max_age: the session stands.
    let code = code_of(
        b.authorize(
            &s,
            &params(
                &c,
                &pkce,
                "openid",
                &[("prompt", "none"), ("max_age", "600")],
            ),
        )
        .await,
    );
    let (_, second) = id_claims(&s, &c, &code, &pkce).await;
    assert_eq!(second["auth_time"], first["auth_time"]);
    s.advance_clock(120).await;
    let pkce = Pkce::new();
    let Outcome::Login(id) = b
        .authorize(&s, &params(&c, &pkce, "openid", &[("max_age", "60")]))
        .await
    else {
        panic!("max_age exceeded: the login page");
    };
    b.log_in_as(&s, &id, USER, PASSWORD).await;
    let code = query_param(&b.approve(&s, &id).await, "code").unwrap();
    let (_, third) = id_claims(&s, &c, &code, &pkce).await;
    assert!(third["auth_time"].as_i64().unwrap() >= first["auth_time"].as_i64().unwrap() + 122);
    // Right after that login, max_age=60 is satisfied.
    let pkce = Pkce::new();
    code_of(
        b.authorize(&s, &params(&c, &pkce, "openid", &[("max_age", "60")]))
            .await,
    );
}

#[tokio::test]
async fn id_token_hint_of_another_user_asks_for_the_login_and_garbage_is_invalid() {
    let s = server_with(&[]).await;
    let c = s.confidential_client().await;
    let (mut b, alice_token, _) = logged_in(&s, &c, "openid", USER, PASSWORD).await;
    let (_, bob_token, bob) = logged_in(&s, &c, "openid", BOB, BOB_PASSWORD).await;
    assert_eq!(bob["sub"], BOB);
    let pkce = Pkce::new();
    // The session's own user: a code, even when the hint has expired.
    s.advance_clock(400).await;
    code_of(
        b.authorize(
            &s,
            &params(
                &c,
                &pkce,
                "openid",
                &[("prompt", "none"), ("id_token_hint", &alice_token)],
            ),
        )
        .await,
    );
    // Another user's: login_required with prompt=none, else the login page.
    assert_eq!(
        error_of(
            b.authorize(
                &s,
                &params(
                    &c,
                    &pkce,
                    "openid",
                    &[("prompt", "none"), ("id_token_hint", &bob_token)]
                ),
            )
            .await
        ),
        "login_required"
    );
    assert!(matches!(
        b.authorize(
            &s,
            &params(&c, &pkce, "openid", &[("id_token_hint", &bob_token)])
        )
        .await,
        Outcome::Login(_)
    ));
    // Not an ID token of this server for this client: invalid_request.
    let (h, p, sig) = {
        let mut it = alice_token.split('.');
        (
            it.next().unwrap().to_string(),
            it.next().unwrap().to_string(),
            it.next().unwrap().to_string(),
        )
    };
    let tampered = format!("{h}.{p}x.{sig}");
    let resigned = format!("{h}.{p}.{}", "A".repeat(sig.len()));
    let other = s.confidential_client().await;
    for (client, hint) in [
        (&c, "garbage"),
        (&c, tampered.as_str()),
        (&c, resigned.as_str()),
        (&other, alice_token.as_str()),
    ] {
        assert_eq!(
            error_of(
                b.authorize(
                    &s,
                    &params(client, &pkce, "openid", &[("id_token_hint", hint)])
                )
                .await
            ),
            "invalid_request",
            "{hint}"
        );
    }
}

// ---- the faults of sessions, each breaking its rule and no other ----

#[tokio::test]
async fn max_age_ignored_reuses_the_session_past_max_age_and_nothing_else() {
    let s = server_with(&[Fault::MaxAgeIgnored]).await;
    let c = s.confidential_client().await;
    let (mut b, _, first) = logged_in(&s, &c, "openid", USER, PASSWORD).await;
    s.advance_clock(120).await;
    let pkce = Pkce::new();
    // The broken rule: no new login though max_age=60 is exceeded.
    let code = code_of(
        b.authorize(&s, &params(&c, &pkce, "openid", &[("max_age", "60")]))
            .await,
    );
    let (_, second) = id_claims(&s, &c, &code, &pkce).await;
    assert_eq!(
        second["auth_time"], first["auth_time"],
        "auth_time stays true"
    );
    code_of(
        b.authorize(
            &s,
            &params(&c, &pkce, "openid", &[("prompt", "none"), ("max_age", "1")]),
        )
        .await,
    );
    // The rest stands: prompt=login, no session, consent.
    assert!(matches!(
        b.authorize(&s, &params(&c, &pkce, "openid", &[("prompt", "login")]))
            .await,
        Outcome::Login(_)
    ));
    assert_eq!(
        error_of(
            Browser::default()
                .authorize(&s, &params(&c, &pkce, "openid", &[("prompt", "none")]))
                .await
        ),
        "login_required"
    );
    let other = s.confidential_client().await;
    assert_eq!(
        error_of(
            b.authorize(&s, &params(&other, &pkce, "openid", &[("prompt", "none")]))
                .await
        ),
        "consent_required"
    );
}

#[tokio::test]
async fn session_auth_time_reset_gives_now_on_reuse_and_nothing_else() {
    let s = server_with(&[Fault::SessionAuthTimeReset]).await;
    let c = s.confidential_client().await;
    let (mut b, _, first) = logged_in(&s, &c, "openid", USER, PASSWORD).await;
    // The first login's auth_time is the login's.
    assert!(first["auth_time"].as_i64().unwrap() <= first["iat"].as_i64().unwrap());
    s.advance_clock(100).await;
    let pkce = Pkce::new();
    let code = code_of(
        b.authorize(&s, &params(&c, &pkce, "openid", &[("prompt", "none")]))
            .await,
    );
    let (_, second) = id_claims(&s, &c, &code, &pkce).await;
    // The broken rule: auth_time is the request's time, not the login's.
    assert!(second["auth_time"].as_i64().unwrap() >= first["auth_time"].as_i64().unwrap() + 100);
    assert_eq!(second["sub"], first["sub"]);
    // max_age is still judged by the true login time.
    assert_eq!(
        error_of(
            b.authorize(
                &s,
                &params(
                    &c,
                    &pkce,
                    "openid",
                    &[("prompt", "none"), ("max_age", "50")]
                )
            )
            .await
        ),
        "login_required"
    );
}

#[tokio::test]
async fn prompt_none_shows_login_treats_prompt_none_as_absent_with_a_session_too() {
    let s = server_with(&[Fault::PromptNoneShowsLogin]).await;
    let c = s.confidential_client().await;
    let (mut b, _, _) = logged_in(&s, &c, "openid", USER, PASSWORD).await;
    let pkce = Pkce::new();
    // Consented: a code, as without prompt.
    code_of(
        b.authorize(&s, &params(&c, &pkce, "openid", &[("prompt", "none")]))
            .await,
    );
    // Not consented: the consent page, a page prompt=none forbids.
    let other = s.confidential_client().await;
    assert!(matches!(
        b.authorize(&s, &params(&other, &pkce, "openid", &[("prompt", "none")]))
            .await,
        Outcome::Consent(_)
    ));
    // No session: the login page.
    assert!(matches!(
        Browser::default()
            .authorize(&s, &params(&c, &pkce, "openid", &[("prompt", "none")]))
            .await,
        Outcome::Login(_)
    ));
}
