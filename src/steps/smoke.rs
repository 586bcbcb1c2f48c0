//! Self-test steps of the harness: cheap arithmetic that exercises every way
//! a step can end (pass, finding, skip, timeout, plain panic, evidence)
//! without a server. Used by `tests/fixtures/features/` and handy for a quick
//! check that the runner works (`oauthspec check --features DIR`).
//! Every phrase starts with "smoke", so no spec step can collide with them.

use std::time::Duration;

use cucumber::{given, then, when};
use serde_json::json;

use super::{Finding, Spec, expect_eq, fail, skip, with_timeout};

fn number(w: &Spec) -> i64 {
    w.vars
        .get("smoke.number")
        .and_then(|v| v.as_i64())
        .unwrap_or(0)
}

#[given(expr = "smoke: the number {int}")]
fn the_number(w: &mut Spec, n: i64) {
    w.vars.insert("smoke.number".into(), json!(n));
}

#[when(expr = "smoke: I add {int}")]
fn add(w: &mut Spec, n: i64) {
    let sum = number(w).saturating_add(n);
    w.vars.insert("smoke.number".into(), json!(sum));
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

#[given(expr = "smoke: the target does not offer {string}")]
fn not_offered(_w: &mut Spec, what: String) {
    skip(format!("the target does not offer {what}"));
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
