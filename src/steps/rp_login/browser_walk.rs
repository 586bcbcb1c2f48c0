//! A relying-party login walked in a real headless Chromium
//! (`[relying_party.browser]`): the documents the browser recorded become
//! the walk's trace, and where it ended is told in words.

use super::{Answer, GRACE, Trace};
use crate::driver::browser::rp::{RpBrowser, RpEnd, RpWalked};
use crate::driver::browser::{self, BrowserFailure, Document};
use crate::driver::http::{Browser, Driver, HttpResponse};
use crate::steps::outcome::unmet_with;
use crate::target::profile::RelyingPartyProfile;

/// The walk in a headless browser (`[relying_party.browser]`): the same
/// trace, built from the documents the browser received; the cookies the
/// browser holds at the end go into `jar` for the session check. A browser
/// that cannot start is a setup error.
pub(super) async fn walk_browser(
    driver: &Driver,
    jar: &Browser,
    rp: &RelyingPartyProfile,
    b: &RpBrowser,
    tamper: bool,
) -> (Trace, Option<HttpResponse>, String) {
    let mut cookie_urls = vec![rp.login_url.clone(), rp.callback_url.clone()];
    cookie_urls.extend(rp.session.as_ref().map(|s| s.url.clone()));
    let walked = match browser::rp::walk(
        b,
        driver.allowlist(),
        (&rp.login_url, &rp.callback_url),
        tamper,
        rp.answer_within + GRACE,
        &cookie_urls,
    )
    .await
    {
        Ok(w) => w,
        Err(BrowserFailure::Launch(e)) => unmet_with(
            format!("the browser did not start: {e}"),
            "install Chromium (Debian: apt-get install chromium-headless-shell), or set [relying_party.browser] executable",
        ),
        Err(e) => return (Trace::default(), None, e.to_string()),
    };
    for c in &walked.cookies {
        let mut at = rp.login_url.clone();
        if at.set_host(Some(c.domain.trim_start_matches('.'))).is_ok() {
            at.set_path(&c.path);
            jar.add_cookie(&format!("{}={}; Path={}", c.name, c.value, c.path), &at);
        }
    }
    let responses: Vec<HttpResponse> = walked.documents.iter().map(response_of).collect();
    let trace = browser_trace(&walked, &responses);
    let last = responses.last().cloned();
    let (page, summary) = match (&walked.end, last) {
        (RpEnd::Settled, Some(p)) => {
            let summary = format!(
                "in the browser, {} {}",
                if walked.callback == Some(responses.len() - 1) {
                    "the callback answered"
                } else {
                    "after the callback, the walk ended at"
                },
                Answer::of(&p).excerpt()
            );
            (Some(p), summary)
        }
        (end, _) => (None, browser_end(end, rp, b)),
    };
    (trace, page, summary)
}

/// What a browser walk saw at and after the callback: its answer, how long
/// it took, and every cookie set from it on.
fn browser_trace(walked: &RpWalked, responses: &[HttpResponse]) -> Trace {
    let mut trace = Trace {
        timed_out: walked.end == RpEnd::CallbackTimedOut,
        ..Trace::default()
    };
    if let Some(i) = walked.callback {
        trace.callback = Some(responses[i].clone());
        trace.elapsed = Some(responses[i].elapsed);
        trace.set_cookies = responses[i..]
            .iter()
            .flat_map(|r| r.header_all("set-cookie").into_iter().map(str::to_owned))
            .chain(
                walked
                    .set_from_callback
                    .iter()
                    .map(|c| format!("{}={}; Path={}", c.name, c.value, c.path)),
            )
            .collect();
    }
    trace
}

/// Where a browser walk that did not settle after the callback ended, in
/// words.
fn browser_end(end: &RpEnd, rp: &RelyingPartyProfile, b: &RpBrowser) -> String {
    match end {
        RpEnd::Blocked(u) => format!("sent to {u}, a host the profile does not name"),
        RpEnd::CallbackTimedOut => format!(
            "no answer at the callback within {} s",
            (rp.answer_within + GRACE).as_secs()
        ),
        RpEnd::Stopped { status, url } => format!(
            "in the browser, the walk stopped before the callback at {url} ({status}){}",
            if b.start.is_none() {
                "; if the login starts from a button, name it in [relying_party.browser] start"
            } else {
                ""
            }
        ),
        RpEnd::TimedOut { url } => {
            format!("the browser walk ended: it took longer than its time limit, at {url}")
        }
        RpEnd::Settled => "the browser walk ended with no document at all".to_owned(),
    }
}

/// A document the browser received, as the harness's answers are.
fn response_of(d: &Document) -> HttpResponse {
    let mut headers = reqwest::header::HeaderMap::new();
    // Chrome may join repeated headers (Set-Cookie) with newlines.
    for (k, v) in d
        .headers
        .iter()
        .flat_map(|(k, v)| v.split('\n').map(move |v| (k, v)))
    {
        if let (Ok(k), Ok(v)) = (
            reqwest::header::HeaderName::from_bytes(k.as_bytes()),
            reqwest::header::HeaderValue::from_str(v),
        ) {
            headers.append(k, v);
        }
    }
    HttpResponse {
        status: d.status,
        headers,
        body: d.body.clone(),
        url: d.url.clone(),
        elapsed: d.elapsed,
        heavy: None,
    }
}
