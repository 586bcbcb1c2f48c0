//! Steps of `features/authentication_request.feature`: what OpenID Connect
//! adds to the authorization request (Core §3.1.2.1): `prompt=none`,
//! `max_age`, and request objects (§6.1).

use cucumber::{then, when};
use serde_json::json;

use super::authorize::{describe, page_of, walk_failed};
use super::control::ControlKind;
use super::openid::IdToken;
use super::outcome::unmet;
use super::state::PendingAuthorization;
use super::tokens::describe_token_answer;
use super::{Finding, Spec, fail};
use crate::driver::flow::{self, Arrival, AuthorizationOutcome, NoHook, Redirects, TokenResponse};
use crate::driver::forms::ConsentChoice;
use crate::driver::http::{Browser, HttpRequest};
use crate::jose::jws;
use crate::protocol::random_token;
use crate::target::profile::LoginStrategy;
use crate::upstream::FakeServer;
use wiremock::matchers::{method, path as url_path};
use wiremock::{Mock, ResponseTemplate};

/// Error codes that say the provider needs the user (Core §3.1.2.6).
const NEEDS_THE_USER: [&str; 4] = [
    "login_required",
    "interaction_required",
    "consent_required",
    "account_selection_required",
];

/// What this area keeps between its steps.
#[derive(Debug, Default)]
struct AuthRequestState {
    /// How the `prompt=none` request ended, and the state it carried.
    prompt_none: Option<(String, Option<flow::AuthorizationResponse>, String)>,
    /// How the request-object request ended, and the state only the object
    /// carried.
    request_object: Option<(AuthorizationOutcome, String)>,
    /// The server of a request_uri, kept up until the scenario ends.
    object_host: Option<ObjectHost>,
    /// The tokens of a code a `prompt=none` request brought.
    prompt_none_tokens: Option<TokenResponse>,
}

/// Which browser a `prompt=none` request is sent from.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Jar {
    /// A browser of its own: nobody has logged in in it.
    Fresh,
    /// The scenario's, where the user logged in.
    Scenario,
}

#[when("the client sends an authentication request with prompt=none before the user has logged in")]
async fn prompt_none(w: &mut Spec) {
    send_prompt_none(w, Jar::Fresh).await;
}

#[when(
    "a little later the client sends an authentication request with prompt=none in the same browser"
)]
async fn prompt_none_again(w: &mut Spec) {
    w.let_time_pass(
        2,
        "an auth_time set anew by the prompt=none request would differ from the login's",
    )
    .await;
    send_prompt_none(w, Jar::Scenario).await;
}

/// Sends a `prompt=none` authentication request from `jar` and follows its
/// redirects without logging in or consenting (there must be nothing to
/// do); a code that comes back to the scenario's browser is redeemed.
async fn send_prompt_none(w: &mut Spec, jar: Jar) {
    w.require_provider().await;
    let client = w.client();
    let (mut pending, _nonce) = w.authentication_request(&client);
    pending.request = pending.request.clone().set("prompt", "none");
    let url = pending.request.url();
    let driver = w.http();
    let browser = match jar {
        Jar::Fresh => Browser::new(),
        Jar::Scenario => w.browser(),
    };
    let mut walker = Redirects::new(&driver, &browser, Some(&pending.redirect_uri), 10);
    let arrival = walker.follow(HttpRequest::get(url), &mut NoHook).await;
    let arrival = w.answered(arrival, "the authorization endpoint");
    let (shown, response) = match arrival {
        Arrival::Client(r) => (
            describe(&AuthorizationOutcome::Redirected(r.clone())),
            Some(r),
        ),
        Arrival::Page(p) => (
            format!(
                "a page at {} (status {}): {}",
                page_of(&p.url),
                p.status,
                String::from_utf8_lossy(&p.body)
                    .chars()
                    .take(160)
                    .collect::<String>()
            ),
            None,
        ),
        // Where the harness may not follow, or stopped following, it cannot
        // tell whether a page would have come: the rule was not reached.
        Arrival::Elsewhere { status, location } => {
            walk_failed(&AuthorizationOutcome::RedirectedElsewhere { status, location })
        }
        Arrival::TooManySteps(p) => unmet(format!(
            "the prompt=none request was still being redirected after 10 steps (last at {})",
            page_of(&p.url)
        )),
        Arrival::BadRedirect(p, why) => (format!("a redirect from {} with {why}", p.url), None),
    };
    let tokens = match response.as_ref().and_then(|r| r.code.as_ref()) {
        Some(code) if jar == Jar::Scenario => {
            let res = w
                .exchange(&client, code.secret(), pending.verifier.as_ref())
                .await;
            let tokens = res.success().cloned().unwrap_or_else(|| {
                unmet(format!(
                    "the code the prompt=none request brought was not exchanged: {}",
                    describe_token_answer(&res)
                ))
            });
            Some(tokens)
        }
        _ => None,
    };
    let st = w.area::<AuthRequestState>();
    st.prompt_none = Some((shown, response, pending.state));
    st.prompt_none_tokens = tokens;
}

#[then("the prompt=none request was answered with an error that asks for the user")]
async fn prompt_none_judged(w: &mut Spec) {
    let client = w.client();
    w.control(&ControlKind::AuthorizationCode(client.id.clone()));
    let Some((shown, response, state)) = w.area::<AuthRequestState>().prompt_none.clone() else {
        unmet("harness bug: no prompt=none request was sent");
    };
    let requirement = "with prompt=none and no logged-in user, the provider shows no page and redirects to the client with login_required, interaction_required, consent_required or account_selection_required (OpenID Connect Core §3.1.2.1, §3.1.2.6)";
    let expected = format!(
        "a redirect to the client with error=login_required (or another of §3.1.2.6) and state={state}"
    );
    let Some(r) = response else {
        fail(Finding::new(requirement, expected, shown));
    };
    if r.code.is_some() {
        // A server without a login page ([login] strategy = "none")
        // authenticates without showing anything: a code is what prompt=none
        // asks of it for a user it knows. Anywhere else nobody logged in.
        let no_login_page = w
            .target()
            .profile
            .login
            .as_ref()
            .is_some_and(|l| l.strategy == LoginStrategy::None);
        if no_login_page && r.state.as_deref() == Some(state.as_str()) {
            return;
        }
        fail(Finding::security(
            requirement,
            expected,
            format!("{shown}: a code for a user who never logged in"),
        ));
    }
    let ok_error = r
        .error
        .as_deref()
        .is_some_and(|e| NEEDS_THE_USER.contains(&e));
    if !ok_error || r.state.as_deref() != Some(state.as_str()) {
        fail(Finding::new(requirement, expected, shown));
    }
}

/// Walks an authentication request of the scenario's client, changed by
/// `change`, through login and consent; the outcome is for the Then steps
/// (`the client receives an authorization code`).
async fn walk_authentication(w: &mut Spec, change: impl FnOnce(&mut PendingAuthorization)) {
    w.require_provider().await;
    let client = w.client();
    let (mut pending, _nonce) = w.authentication_request(&client);
    change(&mut pending);
    w.flow.pending = Some(pending);
    w.walk(ConsentChoice::Approve).await;
}

#[when("the client sends an authentication request with POST and the user logs in")]
async fn post_request(w: &mut Spec) {
    walk_authentication(w, |p| p.post = true).await;
}

#[when(
    expr = "the client sends an authentication request asking for the essential claim {string} and the user logs in"
)]
async fn essential_claim(w: &mut Spec, claim: String) {
    let claims = json!({
        "userinfo": {claim.as_str(): {"essential": true}},
        "id_token": {claim.as_str(): {"essential": true}},
    })
    .to_string();
    walk_authentication(w, |p| p.request = p.request.clone().set("claims", &claims)).await;
}

#[then(
    "the prompt=none request was answered without a page, with a code for the same login or an error that asks for the user"
)]
async fn prompt_none_logged_in_judged(w: &mut Spec) {
    let first = w.last_openid_login();
    w.control(&ControlKind::AuthorizationCode(first.client.id.clone()));
    let st = w.area::<AuthRequestState>();
    let (Some((shown, response, state)), tokens) =
        (st.prompt_none.clone(), st.prompt_none_tokens.clone())
    else {
        unmet("harness bug: no prompt=none request was sent");
    };
    let requirement = "with prompt=none the provider shows no page: a code (for the user who logged in, with the auth_time of that login) or an error that asks for the user (OpenID Connect Core §3.1.2.1, §3.1.2.6, §2)";
    let expected = format!(
        "a redirect to the client with a code, or with login_required, interaction_required, consent_required or account_selection_required, and state={state}"
    );
    let Some(r) = response else {
        fail(Finding::new(requirement, expected, shown));
    };
    if r.state.as_deref() != Some(state.as_str()) {
        fail(Finding::new(requirement, expected, shown));
    }
    if r.error
        .as_deref()
        .is_some_and(|e| NEEDS_THE_USER.contains(&e))
    {
        return;
    }
    let Some(tokens) = tokens.filter(|_| r.code.is_some()) else {
        fail(Finding::new(requirement, expected, shown));
    };
    let (before, after) = (first.id_token(), IdToken::of(&tokens));
    let same_auth_time = match (before.time("auth_time"), after.time("auth_time")) {
        (Some(a), Some(b)) => a == b,
        _ => true,
    };
    if before.str("sub") != after.str("sub") || !same_auth_time {
        fail(Finding::new(
            requirement,
            format!(
                "sub = {}, auth_time = {} (the login's)",
                before.shown("sub"),
                before.shown("auth_time")
            ),
            format!(
                "sub = {}, auth_time = {}: no one logged in again, yet the ID token says so",
                after.shown("sub"),
                after.shown("auth_time")
            ),
        ));
    }
}

#[when(
    expr = "time passes and the user logs in for an authentication request with max_age {string}"
)]
async fn max_age_later(w: &mut Spec, seconds: String) {
    let wait: u64 = seconds.parse::<u64>().unwrap_or(0).saturating_add(1);
    w.let_time_pass(
        wait,
        "the login must be older than max_age when the second request is sent",
    )
    .await;
    w.openid_login(&[("max_age", &seconds)]).await;
}

#[then("the new ID token says the user logged in again")]
async fn logged_in_again(w: &mut Spec) {
    let logins = w.openid_logins();
    let [first, second, ..] = logins.as_slice() else {
        unmet("harness bug: the scenario needs two logins");
    };
    let (before, after) = (first.id_token(), second.id_token());
    let requirement = "a request whose max_age is shorter than the time since the login makes the provider authenticate the user again, and its ID token has that auth_time (OpenID Connect Core §3.1.2.1)";
    let Some(auth_time) = after.time("auth_time") else {
        fail(Finding::new(
            requirement,
            "auth_time, a JSON number",
            format!("auth_time = {}", after.shown("auth_time")),
        ));
    };
    // The first login happened at its auth_time, or before its ID token's iat.
    let Some(then) = before.time("auth_time").or_else(|| before.time("iat")) else {
        unmet("the first ID token has neither auth_time nor iat (the id_token area judges that)");
    };
    if auth_time <= then {
        fail(Finding::new(
            requirement,
            format!("auth_time after the first login's ({then})"),
            format!("auth_time = {auth_time}: the earlier login was reused"),
        ));
    }
}

#[when(expr = "the user logs in for an authentication request with max_age {string}")]
async fn max_age(w: &mut Spec, seconds: String) {
    w.openid_login(&[("max_age", &seconds)]).await;
}

#[then("the ID token says when the user logged in")]
async fn auth_time(w: &mut Spec) {
    let token: IdToken = w.last_openid_login().id_token();
    let requirement = "an ID token answering a request with max_age has auth_time, a number of seconds not after its iat (OpenID Connect Core §3.1.2.1, §2)";
    let Some(auth_time) = token.time("auth_time") else {
        fail(Finding::new(
            requirement,
            "auth_time, a JSON number",
            format!("auth_time = {}", token.shown("auth_time")),
        ));
    };
    let skew = i64::try_from(w.clock_skew()).unwrap_or(i64::MAX);
    if let Some(iat) = token.time("iat")
        && auth_time > iat.saturating_add(skew)
    {
        fail(Finding::new(
            requirement,
            format!("auth_time not after iat ({iat}) beyond the clock-skew margin ({skew} s)"),
            format!("auth_time = {auth_time}"),
        ));
    }
}

/// An unsigned request object (Core §6.1) carrying the authentication
/// request of `pending`, whose `state` travels only inside it: the
/// answer's state tells whether the object was read. Returns the object and
/// that state; `pending` keeps `response_type`, `client_id` and `scope` in
/// the query (§6.1 asks for them there too) and loses `state` and `nonce`.
fn request_object_of(
    pending: &mut PendingAuthorization,
    client_id: &str,
    issuer: &str,
    nonce: &str,
) -> (String, String) {
    let state = random_token(16);
    let mut claims = json!({
        "iss": client_id,
        "aud": issuer,
        "state": state,
        "nonce": nonce,
    });
    for name in [
        "response_type",
        "client_id",
        "redirect_uri",
        "scope",
        "code_challenge",
        "code_challenge_method",
    ] {
        if let Some(v) = pending.request.get(name) {
            claims[name] = json!(v);
        }
    }
    let object = jws::unsecured(
        &json!({"alg": "none"}),
        &serde_json::to_vec(&claims).unwrap_or_default(),
    );
    pending.request = pending.request.clone().remove("state").remove("nonce");
    pending.state = state.clone();
    (object, state)
}

impl Spec {
    /// Walks an authentication request whose parameters travel in a request
    /// object, by value (`request`) or by reference (`request_uri`, the
    /// object served by the harness on loopback), and keeps how it ended.
    async fn walk_request_object(&mut self, by: ObjectBy) {
        let config = self.require_provider().await;
        let client = self.client();
        let (mut pending, nonce) = self.authentication_request(&client);
        let (object, state) = request_object_of(
            &mut pending,
            client.id.as_str(),
            config.str("issuer").unwrap_or_default(),
            &nonce,
        );
        let host = match by {
            ObjectBy::Value => {
                pending.request = pending.request.clone().set("request", &object);
                None
            }
            ObjectBy::Reference => {
                let (host, url) = ObjectHost::start(object).await;
                pending.request = pending.request.clone().set("request_uri", &url);
                self.record(format!(
                    "the request object is served at {url} for the provider to fetch"
                ));
                Some(host)
            }
        };
        self.flow.pending = Some(pending);
        let outcome = self.walk(ConsentChoice::Approve).await;
        let st = self.area::<AuthRequestState>();
        st.request_object = Some((outcome, state));
        st.object_host = host;
    }
}

/// How a request object travels.
#[derive(Clone, Copy)]
enum ObjectBy {
    Value,
    Reference,
}

/// The loopback server that serves a request object at its request_uri
/// (Core §6.2), for as long as the scenario runs.
struct ObjectHost {
    _server: FakeServer,
}

impl std::fmt::Debug for ObjectHost {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ObjectHost")
    }
}

impl ObjectHost {
    async fn start(object: String) -> (ObjectHost, String) {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap_or_else(|e| {
            unmet(format!(
                "cannot listen on loopback for the request_uri: {e}"
            ))
        });
        let port = listener.local_addr().map(|a| a.port()).unwrap_or_default();
        let path = format!("/request/{}.jwt", random_token(12));
        let server = FakeServer::start(listener, false).await;
        server
            .mount(
                Mock::given(method("GET"))
                    .and(url_path(path.clone()))
                    .respond_with(
                        ResponseTemplate::new(200)
                            .insert_header("content-type", "application/oauth-authz-req+jwt")
                            .set_body_string(object),
                    ),
            )
            .await;
        (
            ObjectHost { _server: server },
            format!("http://127.0.0.1:{port}{path}"),
        )
    }
}

#[when("the client sends its authentication request as an unsigned request object")]
async fn request_object(w: &mut Spec) {
    w.walk_request_object(ObjectBy::Value).await;
}

#[when(
    "the client sends its authentication request as an unsigned request object at a request_uri"
)]
async fn request_uri(w: &mut Spec) {
    w.walk_request_object(ObjectBy::Reference).await;
}

#[then(expr = "the request object was either followed or refused with {string}")]
async fn request_object_judged(w: &mut Spec, refusal: String) {
    judge_object(w, &refusal, "request_parameter_supported", "§6.1").await;
}

#[then(expr = "the request_uri was either followed or refused with {string}")]
async fn request_uri_judged(w: &mut Spec, refusal: String) {
    judge_object(w, &refusal, "request_uri_parameter_supported", "§6.2").await;
}

/// Judges how a request object's walk ended: followed (a code with the
/// object's state) or refused with `refusal`; `invalid_request_object`
/// when the provider takes only signed objects, and `invalid_request_uri`
/// (for a reference) when it says it supports request_uri and would not
/// fetch the harness's http loopback URL (§6.2 asks for https unless the
/// object is signed).
async fn judge_object(w: &mut Spec, refusal: &str, supported_member: &str, section: &str) {
    let client = w.client();
    w.control(&ControlKind::AuthorizationCode(client.id.clone()));
    let Some((outcome, state)) = w.area::<AuthRequestState>().request_object.clone() else {
        unmet("harness bug: no request object was sent");
    };
    let config = w.require_provider().await;
    // A provider that takes only signed objects says so in its
    // configuration; it may then refuse the unsigned one as invalid.
    let signed_only = config
        .strings("request_object_signing_alg_values_supported")
        .is_some_and(|algs| !algs.iter().any(|a| a == "none"));
    let supported = config
        .doc
        .as_ref()
        .and_then(|d| d.get(supported_member))
        .and_then(serde_json::Value::as_bool)
        .unwrap_or(false);
    let by_reference = supported_member.starts_with("request_uri");
    let requirement = format!(
        "a provider follows a request object (its values supersede the query's) or answers {refusal} (OpenID Connect Core {section})"
    );
    let mut also = Vec::new();
    if signed_only {
        also.push("invalid_request_object");
    }
    if by_reference && supported {
        also.push("invalid_request_uri");
    }
    let expected = format!(
        "a code with state={state} (the object's), or error={refusal}{}",
        also.iter().map(|e| format!(" or {e}")).collect::<String>()
    );
    let shown = describe(&outcome);
    let Some(r) = outcome.response() else {
        fail(Finding::new(requirement, expected, shown));
    };
    let followed = r.code.is_some() && r.state.as_deref() == Some(state.as_str());
    let refused = r
        .error
        .as_deref()
        .is_some_and(|e| e == refusal || also.contains(&e));
    if followed || refused {
        return;
    }
    if r.code.is_some() {
        fail(Finding::new(
            requirement,
            expected,
            format!("{shown}: the code came without the object's state, so the object was ignored"),
        ));
    }
    fail(Finding::new(requirement, expected, shown));
}
