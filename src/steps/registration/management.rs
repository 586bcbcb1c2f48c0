//! Steps of `features/registration.feature`, continued: managing a
//! registration (RFC 7592): reading, updating and deleting it with its
//! registration access token, and the refusals without it.

use cucumber::{given, then, when};
use serde_json::{Value, json};

use super::{RegState, Sent};
use crate::driver::http::HttpRequest;
use crate::steps::control::ControlKind;
use crate::steps::outcome::{skip_with, unmet};
use crate::steps::{Finding, Spec, fail};

#[when("the client reads its registration with its registration access token")]
async fn read_with_token(w: &mut Spec) {
    let (_, token) = w.management();
    w.read_registration("GET with the registration access token", Some(&token))
        .await;
}

#[given("the client has read its registration with its registration access token")]
async fn read_control(w: &mut Spec) {
    let (_, token) = w.management();
    let a = w
        .read_registration("GET with the registration access token", Some(&token))
        .await;
    let id = w.client().id;
    if a.answer.status != Some(200) || a.str_member("client_id").as_deref() != Some(id.as_str()) {
        unmet(format!(
            "control: the client could not read its own registration with its registration access token: {}",
            a.describe()
        ));
    }
    w.control_held(
        ControlKind::RegistrationRead,
        "200 with the client's client_id",
    );
}

#[when("the client reads its registration without a registration access token")]
async fn read_without_token(w: &mut Spec) {
    w.read_registration("GET without a registration access token", None)
        .await;
}

#[when("the client's registration is read with another client's registration access token")]
async fn read_with_other_token(w: &mut Spec) {
    let mine = w.client();
    let metadata = w.code_client_metadata("client_secret_basic");
    let other = w.register_metadata("a second client", &metadata).await;
    if !other.accepted() {
        unmet(format!(
            "registering a second client failed: {}",
            other.describe()
        ));
    }
    let other_token = other
        .str_member("registration_access_token")
        .unwrap_or_else(|| unmet("the second registration carries no registration_access_token"));
    if other.str_member("client_id").as_deref() == Some(mine.id.as_str()) {
        unmet("the second registration returned the first client's client_id");
    }
    w.read_registration(
        "GET with another client's registration access token",
        Some(&other_token),
    )
    .await;
}

#[when(expr = "the client updates its registration with the client name {string}")]
async fn update(w: &mut Spec, name: String) {
    let (url, token) = w.management();
    let reg = w.client().registration.unwrap_or_default();
    let mut body = reg.as_object().cloned().unwrap_or_default();
    // RFC 7592 §2.2: everything the server returned, except these.
    for k in [
        "registration_access_token",
        "registration_client_uri",
        "client_secret_expires_at",
        "client_id_issued_at",
        "client_secret",
    ] {
        body.remove(k);
    }
    body.insert("client_name".into(), json!(name));
    let req = HttpRequest::new(reqwest::Method::PUT, url)
        .bearer(&token)
        .json(Value::Object(body));
    let a = w
        .manage("PUT with the registration access token", req)
        .await;
    not_offered(w, &a, "update", &token).await;
    // RFC 7592 §2.2: a new registration access token replaces the old one.
    if let Some(t) = a.str_member("registration_access_token") {
        w.area::<RegState>().token = Some(t);
    }
}

/// RFC 7592 is optional, and a server may offer only the read of §2.1: a
/// 405 or 501 to an update or delete means the operation is not offered;
/// so does a 404 where a read of the same URL with the same token works.
async fn not_offered(w: &mut Spec, a: &Sent, operation: &str, token: &str) {
    let offered_not = match a.answer.status {
        Some(405 | 501) => true,
        Some(404) => {
            let (url, _) = w.management();
            let read = w
                .send(
                    HttpRequest::get(url)
                        .bearer(token)
                        .header("Accept", "application/json"),
                )
                .await;
            read.status == Some(200)
        }
        _ => false,
    };
    if offered_not {
        skip_with(
            format!(
                "the client configuration endpoint does not offer {operation} (RFC 7592 is optional; it answered {}, and reads of the same registration work)",
                a.answer.status.unwrap_or_default()
            ),
            "nothing to change: the server does not offer it",
        );
    }
}

#[given("the client has deleted its registration with its registration access token")]
async fn delete(w: &mut Spec) {
    let (url, token) = w.management();
    let req = HttpRequest::new(reqwest::Method::DELETE, url).bearer(&token);
    let a = w
        .manage("DELETE with the registration access token", req)
        .await;
    not_offered(w, &a, "delete", &token).await;
    if a.answer.status != Some(204) {
        unmet(format!(
            "deleting the registration with its registration access token did not answer 204: {}",
            a.describe()
        ));
    }
}

#[then("the registration read succeeds and shows the client")]
async fn read_ok(w: &mut Spec) {
    let a = w.managed();
    let id = w.client().id;
    if a.answer.status != Some(200) || a.str_member("client_id").as_deref() != Some(id.as_str()) {
        fail(Finding::new(
            "reading a registration with its registration access token returns the client's information (RFC 7592 §2.1)",
            format!("200 with client_id {id}"),
            a.describe(),
        ));
    }
}

#[then("the registration management request is refused")]
async fn management_refused(w: &mut Spec) {
    w.control(&ControlKind::RegistrationRead);
    let a = w.managed();
    if a.accepted() {
        fail(Finding::security(
            format!(
                "the client configuration endpoint refuses a request ({}) that lacks this client's registration access token (RFC 7592 §2.1)",
                a.what
            ),
            "401 (or 403)",
            a.describe(),
        ));
    }
    if !matches!(a.answer.status, Some(401 | 403)) {
        fail(Finding::format(
            "a missing or wrong registration access token is answered 401, or 403 for a token without permission (RFC 7592 §2.1, RFC 6750 §3)",
            "401 (or 403)",
            a.describe(),
        ));
    }
}

#[then(expr = "the registration update succeeds and shows the client name {string}")]
async fn update_ok(w: &mut Spec, name: String) {
    let a = w.managed();
    let id = w.client().id;
    if a.answer.status != Some(200)
        || a.str_member("client_id").as_deref() != Some(id.as_str())
        || a.str_member("client_name").as_deref() != Some(name.as_str())
    {
        fail(Finding::new(
            "an update with the registration access token returns the client's new information (RFC 7592 §2.2)",
            format!("200 with client_id {id} and client_name {name:?}"),
            a.describe(),
        ));
    }
}

#[then(expr = "reading the registration shows the client name {string}")]
async fn read_shows_name(w: &mut Spec, name: String) {
    let (_, token) = w.management();
    let a = w
        .read_registration("GET with the registration access token", Some(&token))
        .await;
    if a.answer.status != Some(200) || a.str_member("client_name").as_deref() != Some(name.as_str())
    {
        fail(Finding::new(
            "an update is kept: a later read shows the new metadata (RFC 7592 §2.2)",
            format!("200 with client_name {name:?}"),
            a.describe(),
        ));
    }
}

#[then("reading the deleted registration is refused")]
async fn deleted_read_refused(w: &mut Spec) {
    let (_, token) = w.management();
    let a = w
        .read_registration(
            "GET of a deleted registration with its old registration access token",
            Some(&token),
        )
        .await;
    if a.accepted() {
        fail(Finding::security(
            "a deleted client's registration and registration access token stop working (RFC 7592 §2.3, §5)",
            "401 Unauthorized",
            a.describe(),
        ));
    }
    if a.answer.status != Some(401) {
        fail(Finding::format(
            "a request about a client that no longer exists is answered 401 (RFC 7592 §2.1)",
            "401",
            a.describe(),
        ));
    }
}
