//! Steps of `features/upstream_login.feature`, continued: the login
//! through an authorization server with a test-admin API (the reference
//! server): a fake of our own registered under a fresh name, "Log in with
//! NAME" pressed on the login page, and the way back to the client.

use serde_json::json;
use url::Url;

use super::{LoginOutcome, RP_TIMEOUT};
use crate::driver::flow::{self, AuthorizationOutcome, WalkOptions};
use crate::driver::forms::{ConsentChoice, parse_forms};
use crate::driver::http::{Browser, Driver, HttpRequest, HttpResponse};
use crate::protocol::random_token;
use crate::steps::Spec;
use crate::steps::outcome::{skip, unmet};
use crate::steps::rp_login::{Answer, Leg, SLOW_DELAY, Trace, Walk, driver_with, follow};
use crate::target::AdminApi;
use crate::upstream::{ClientPair, FakeUpstream, Provider, UpstreamConfig, UserClaims};

/// The reference server (or any authorization server with its test-admin
/// API): "Log in with NAME" through a fake of our own.
pub(super) async fn authorization_server_login(w: &mut Spec) -> LoginOutcome {
    let admin = w
        .ctx()
        .admin
        .clone()
        .unwrap_or_else(|| skip("the target has no test-admin API"));
    let client = w.confidential_client("authorization_code").await;
    w.flow.client = Some(client.clone());
    let Registered {
        driver,
        callback,
        name,
    } = register_fake(w, &admin).await;
    let tamper = w.upstream_scenario().tamper_state;
    let leg = Leg {
        callback: &callback,
        redirect_uri: Some(&client.redirect_uri),
        tamper,
        answer_within: RP_TIMEOUT,
    };
    let untampered = Leg {
        tamper: false,
        ..leg
    };
    // The client's authorization request, to the login page.
    let pending = w.new_authorization(&client);
    w.flow.verifier = pending.verifier;
    w.flow.last_state = Some(pending.state.clone());
    let browser = driver.new_browser();
    let mut trace = Trace::default();
    let start = HttpRequest::get(pending.request.url());
    let walk = follow(&driver, &browser, start, &untampered, &mut trace)
        .await
        .unwrap_or_else(|e| unmet(format!("the authorization endpoint did not answer: {e}")));
    let button = log_in_with(walk, &name);
    // "Log in with NAME" → the provider → the callback.
    let walk = follow(&driver, &browser, button, &leg, &mut trace).await;
    let mut outcome = LoginOutcome {
        callback: None,
        callback_timed_out: trace.timed_out,
        client: None,
        rp: None,
        summary: String::new(),
    };
    let page = match walk {
        Err(e) => {
            outcome.summary = e;
            return outcome;
        }
        Ok(Walk::Client(r)) => {
            outcome.summary = "sent straight back to the client".into();
            outcome.client = Some(AuthorizationOutcome::Redirected(r));
            return outcome;
        }
        Ok(Walk::Elsewhere(u)) => {
            outcome.summary = format!("sent to {u}, a host the harness may not contact");
            return outcome;
        }
        Ok(Walk::Page(p, _)) => p,
    };
    outcome.callback = Some(Answer::of(&page));
    if page.status < 400 {
        // Logged in: consent, then back to the client.
        let options = WalkOptions {
            login: None,
            consent: ConsentChoice::Approve,
            max_steps: 6,
            ..WalkOptions::default()
        };
        let end = flow::authorize(&driver, &browser, &page.url, &client.redirect_uri, &options)
            .await
            .unwrap_or_else(|e| unmet(format!("the consent page did not answer: {e}")));
        outcome.summary = format!("logged in, then {end}");
        outcome.client = Some(end);
        return outcome;
    }
    way_back(&driver, &browser, &page, &untampered, &mut outcome).await;
    outcome
}

/// A fake registered with the target's test-admin API.
struct Registered {
    /// The scenario's driver, allowed to contact the fake.
    driver: Driver,
    /// The target's callback for the fake.
    callback: Url,
    /// The name the target knows the fake by ("Log in with NAME").
    name: String,
}

/// Starts a fake provider with a fresh client and user, and registers it
/// with the target's test-admin API under a fresh name.
async fn register_fake(w: &mut Spec, admin: &AdminApi) -> Registered {
    let secret = random_token(24);
    let client_id = format!("rp-{}", random_token(8));
    let user: UserClaims = format!("sub={},email=ann@example.com,name=Ann", random_token(6))
        .parse()
        .unwrap_or_else(|e| unmet(format!("harness bug: {e}")));
    let misbehaviours = w.upstream_scenario().misbehaviours.clone();
    let config = UpstreamConfig {
        provider: Provider::Google,
        clients: vec![ClientPair {
            id: client_id.clone(),
            secret: secret.clone(),
        }],
        users: vec![user.clone()],
        misbehaviours,
        slow_delay: SLOW_DELAY,
        ..UpstreamConfig::default()
    };
    let fake = FakeUpstream::start(config)
        .await
        .unwrap_or_else(|e| unmet(format!("the fake upstream provider did not start: {e}")));
    let name = format!("up{}", random_token(6).replace(['-', '_'], "x"));
    let driver = driver_with(w, &fake);
    let settings = json!({
        "discovery_url": fake.discovery_url(),
        "client_id": client_id,
        "client_secret": secret,
        "timeout_ms": RP_TIMEOUT.as_millis() as u64,
    });
    let callback = admin
        .put_upstream(&driver, &name, &settings)
        .await
        .unwrap_or_else(|e| {
            unmet(format!(
                "the test-admin API did not configure the upstream provider: {e}"
            ))
        });
    let callback = Url::parse(&callback).unwrap_or_else(|_| {
        unmet(format!(
            "the test-admin API named no usable callback for the provider: {callback}"
        ))
    });
    let s = w.upstream_scenario();
    s.expected_user = Some(format!("{name}:{}", user.sub()));
    s.fake = Some(fake);
    Registered {
        driver,
        callback,
        name,
    }
}

/// The login page's "Log in with NAME" button, pressed; a walk that showed
/// no such button is a setup error.
fn log_in_with(walk: Walk, name: &str) -> HttpRequest {
    let Walk::Page(login_page, _) = walk else {
        unmet(format!(
            "the authorization request showed no login page ({})",
            walk.describe()
        ));
    };
    let forms = parse_forms(&login_page.text(), &login_page.url);
    let suffix = format!("/upstream/{name}");
    let Some(form) = forms.iter().find(|f| f.action.path().ends_with(&suffix)) else {
        unmet(format!(
            "the login page offers no \"Log in with {name}\" form posting to …{suffix}: {}",
            Answer::of(&login_page).excerpt()
        ));
    };
    flow::submit(form, None)
}

/// Refused at the callback: the way back to the client, if the page offers
/// one.
async fn way_back(
    driver: &Driver,
    browser: &Browser,
    page: &HttpResponse,
    leg: &Leg<'_>,
    outcome: &mut LoginOutcome,
) {
    let forms = parse_forms(&page.text(), &page.url);
    let Some(back) = forms.iter().find(|f| f.action.path().ends_with("/abort")) else {
        outcome.summary = format!(
            "refused at the callback ({}), with no way back to the client",
            page.status
        );
        return;
    };
    let mut t = Trace::default();
    let end = follow(driver, browser, flow::submit(back, None), leg, &mut t).await;
    outcome.summary = format!(
        "refused at the callback ({}), then back to the client",
        page.status
    );
    outcome.client = match end {
        Ok(Walk::Client(r)) => Some(AuthorizationOutcome::Redirected(r)),
        Ok(other) => {
            outcome.summary = format!(
                "refused at the callback, and the way back ended with {}",
                other.describe()
            );
            None
        }
        Err(e) => {
            outcome.summary = format!("refused at the callback, and the way back failed: {e}");
            None
        }
    };
}
