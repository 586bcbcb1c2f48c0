//! Self-test steps of the harness: cheap arithmetic that exercises every way
//! a step can end (pass, finding, skip, timeout, plain panic, evidence)
//! without a server. Used by `tests/fixtures/features/` and handy for a quick
//! check that the runner works (`oauthspec check --features DIR`).
//! Every phrase starts with "smoke", so no spec step can collide with them.

use std::time::Duration;

use cucumber::{given, then, when};

use super::{Finding, Spec, expect_eq, fail, skip, skip_with, unmet, with_timeout};

/// The number the smoke steps work on.
#[derive(Default)]
struct Number(i64);

fn number(w: &mut Spec) -> i64 {
    w.area::<Number>().0
}

#[given(expr = "smoke: the number {int}")]
fn the_number(w: &mut Spec, n: i64) {
    w.area::<Number>().0 = n;
}

#[when(expr = "smoke: I add {int}")]
fn add(w: &mut Spec, n: i64) {
    let sum = number(w).saturating_add(n);
    w.area::<Number>().0 = sum;
}

#[then(expr = "smoke: the result is {int}")]
fn result_is(w: &mut Spec, expected: i64) {
    let actual = number(w);
    expect_eq("the sum is right", &expected, &actual);
}

#[then(expr = "smoke: the result is a security hole")]
fn security_hole(w: &mut Spec) {
    fail(Finding::security(
        "a forged token is rejected",
        "401 Unauthorized",
        format!("200 OK (number {})", number(w)),
    ));
}

#[then("smoke: the refusal has the wrong shape")]
fn wrong_shape(_w: &mut Spec) {
    fail(Finding::format(
        "a refused token is answered 401",
        "401",
        "403",
    ));
}

#[given(expr = "smoke: the target does not offer {string}")]
fn not_offered(_w: &mut Spec, what: String) {
    skip(format!("the target does not offer {what}"));
}

#[given(expr = "smoke: the profile lacks {string}")]
fn profile_lacks(_w: &mut Spec, what: String) {
    skip_with(
        format!("the profile names no {what}"),
        format!("add {what} to the profile"),
    );
}

#[given(expr = "smoke: the setup fails with {string}")]
fn setup_fails(_w: &mut Spec, why: String) {
    unmet(why);
}

#[given("smoke: a precondition finds the server wrong")]
fn given_finding(w: &mut Spec) {
    fail(Finding::new(
        "a precondition holds",
        "200",
        format!("500 (number {})", number(w)),
    ));
}

#[when(expr = "smoke: I record the evidence {string}")]
fn record(w: &mut Spec, exchange: String) {
    w.record(exchange.replace("\\n", "\n"));
}

#[when(expr = "smoke: a wait of {int} ms is limited to {int} ms")]
async fn bounded_wait(_w: &mut Spec, wait_ms: u64, limit_ms: u64) {
    with_timeout(
        Duration::from_millis(limit_ms),
        "the smoke wait",
        tokio::time::sleep(Duration::from_millis(wait_ms)),
    )
    .await;
}

#[then(expr = "smoke: the step panics with {string}")]
fn plain_panic(_w: &mut Spec, message: String) {
    panic!("{message}");
}

#[then(expr = "smoke: the step returns the error {string}")]
fn returns_error(_w: &mut Spec, message: String) -> Result<(), String> {
    Err(message)
}

#[then(expr = "smoke: the target is named {string}")]
fn target_named(w: &mut Spec, name: String) {
    let actual = w.ctx().name.clone();
    expect_eq("the run context reaches the World", &name, &actual);
}
