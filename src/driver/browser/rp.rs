//! A relying-party app's login walked in the headless browser, for apps
//! whose login starts from a script or a button: the browser opens the
//! app's login URL (pressing `start` when the profile names it), goes to the
//! provider and back to the app's callback, and runs whatever the pages do
//! next. Every document from the callback on is recorded as the server sent
//! it (status, headers, body), so the harness judges the login as it does
//! for the plain HTTP walk; the cookies the browser holds at the end are
//! handed over for the session check.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chromiumoxide::cdp::browser_protocol::network::GetCookiesParams;
use chromiumoxide::cdp::browser_protocol::page::NavigateParams;
use url::Url;

use super::{BrowserFailure, BrowserProcess, Document, POLL, Recording, Tab, Walking, cdp};
use crate::driver::http::HostAllowlist;

/// How long a page must stay still after the callback's chain ended
/// before the walk counts the login as settled (a page's script may still
/// be finishing it).
const QUIET: Duration = Duration::from_millis(250);

/// How long a page before the callback may stay the same with nothing to
/// press before the walk counts it as where the app stopped.
const IDLE: Duration = Duration::from_secs(3);

/// `[relying_party.browser]`: walk the app's login in the browser.
#[derive(Clone, Debug)]
pub struct RpBrowser {
    /// A CSS selector pressed on the app's login page to start the login
    /// (a "Log in with …" button); `None`: the login URL redirects by itself.
    pub start: Option<String>,
    /// The longest one walk may take.
    pub timeout: Duration,
    pub process: BrowserProcess,
}

/// A cookie the browser held.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BrowserCookie {
    pub name: String,
    pub value: String,
    pub domain: String,
    pub path: String,
}

/// Where a relying-party walk stopped.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RpEnd {
    /// The callback answered and the pages after it settled.
    Settled,
    /// A document request to a host the profile does not name (blocked).
    Blocked(Url),
    /// Before the callback, a page answered an error or sat still.
    Stopped { status: u16, url: Url },
    /// The callback was asked and did not answer within its limit.
    CallbackTimedOut,
    /// The whole walk took longer than its timeout.
    TimedOut { url: Url },
}

/// What a relying-party walk saw.
#[derive(Clone, Debug)]
pub struct RpWalked {
    /// Every document, in order, as the servers sent them.
    pub documents: Vec<Document>,
    /// Which of them is the callback's own answer.
    pub callback: Option<usize>,
    /// The cookies the browser held at the end (of the walk's URLs).
    pub cookies: Vec<BrowserCookie>,
    /// Those set or changed from the callback on (Chrome keeps `Set-Cookie`
    /// out of the headers it shows).
    pub set_from_callback: Vec<BrowserCookie>,
    pub end: RpEnd,
}

/// Clicks `start` once per document, when it is there.
fn start_script(selector: &str) -> String {
    let sel = serde_json::to_string(selector).unwrap_or_else(|_| "null".into());
    format!(
        r#"(() => {{
  const b = document.querySelector({sel});
  if (!b) return "none";
  if (window.__oauthspecStart) return "pressed";
  window.__oauthspecStart = true;
  b.click();
  return "start";
}})()"#
    )
}

/// Walks the app's login from `login_url` in a browser context of its own.
/// `callback_limit` bounds the wait for the callback's answer; the cookies
/// the browser holds for `cookie_urls` at the end are returned.
pub async fn walk(
    rp: &RpBrowser,
    allow: &HostAllowlist,
    (login_url, callback): (&Url, &Url),
    tamper: bool,
    callback_limit: Duration,
    cookie_urls: &[Url],
) -> Result<RpWalked, BrowserFailure> {
    let tab = rp.process.acquire().await?;
    let recording = Arc::new(Mutex::new(Recording {
        callback: Some(callback.clone()),
        tamper,
        cookie_urls: cookie_urls.to_vec(),
        ..Recording::default()
    }));
    let (captured, _) = tokio::sync::mpsc::unbounded_channel::<Url>();
    tab.start(
        Walking {
            redirect_uri: None,
            allow: allow.clone(),
            captured,
            recording: Some(recording.clone()),
        },
        login_url,
    );
    let navigation = {
        let page = tab.page.clone();
        let url = login_url.to_string();
        tokio::spawn(async move {
            let _ = page.execute(NavigateParams::new(url)).await;
        })
    };
    let end = watch(rp, &tab, &recording, callback_limit).await;
    navigation.abort();
    let cookies = match end {
        Ok(_) => cookies_of(&tab.page, cookie_urls).await,
        Err(_) => Ok(Vec::new()),
    };
    rp.process.release(tab);
    let end = end?;
    let rec = recording.lock().unwrap_or_else(|e| e.into_inner());
    let callback = rec.documents.iter().position(|d| rec.at_callback(&d.url));
    let cookies = cookies?;
    let set_from_callback = match (&callback, &rec.cookies_before_callback) {
        (Some(_), Some(before)) => cookies
            .iter()
            .filter(|c| !before.contains(c))
            .cloned()
            .collect(),
        _ => Vec::new(),
    };
    Ok(RpWalked {
        documents: rec.documents.clone(),
        callback,
        cookies,
        set_from_callback,
        end,
    })
}

/// The cookies the page's browser context holds for `urls`.
pub(super) async fn cookies_of(
    page: &chromiumoxide::Page,
    urls: &[Url],
) -> Result<Vec<BrowserCookie>, BrowserFailure> {
    let got = page
        .execute(
            GetCookiesParams::builder()
                .urls(urls.iter().map(Url::to_string).collect::<Vec<_>>())
                .build(),
        )
        .await
        .map_err(cdp)?;
    Ok(got
        .result
        .cookies
        .iter()
        .map(|c| BrowserCookie {
            name: c.name.clone(),
            value: c.value.clone(),
            domain: c.domain.clone(),
            path: c.path.clone(),
        })
        .collect())
}

async fn watch(
    rp: &RpBrowser,
    tab: &Tab,
    recording: &Mutex<Recording>,
    callback_limit: Duration,
) -> Result<RpEnd, BrowserFailure> {
    let script = rp.start.as_deref().map(start_script);
    let started = Instant::now();
    let mut last_url = String::new();
    let mut last_docs = 0;
    let mut last_change = Instant::now();
    loop {
        let (docs, at_callback, last, blocked, callback_sent) = {
            let r = recording.lock().unwrap_or_else(|e| e.into_inner());
            let at = r.documents.iter().position(|d| r.at_callback(&d.url));
            let last = r.documents.last().map(|d| {
                let html = d
                    .headers
                    .iter()
                    .any(|(k, v)| k == "content-type" && v.contains("html"));
                (d.status, d.url.clone(), html)
            });
            (
                r.documents.len(),
                at,
                last,
                r.blocked.clone(),
                r.callback_sent,
            )
        };
        if let Some(u) = blocked {
            return Ok(RpEnd::Blocked(u));
        }
        if started.elapsed() > rp.timeout {
            let url = last.map_or_else(|| tab.document_url(), |l| l.1);
            return Err(BrowserFailure::Timeout {
                seconds: rp.timeout.as_secs(),
                url: crate::driver::http::redact_url(url.as_str()),
            });
        }
        if at_callback.is_none() && callback_sent.is_some_and(|t| t.elapsed() > callback_limit) {
            return Ok(RpEnd::CallbackTimedOut);
        }
        let now_url = tab.page.url().await.ok().flatten().unwrap_or_default();
        if now_url != last_url || docs != last_docs || tab.busy() {
            last_url = now_url;
            last_docs = docs;
            last_change = Instant::now();
        }
        let still = last_change.elapsed();
        match (at_callback, last) {
            // After the callback: a page that is not HTML runs no script,
            // an HTML page is given a moment to finish what it does.
            (Some(_), Some((status, _, html)))
                if !(300..400).contains(&status) && (!html || still >= QUIET) =>
            {
                return Ok(RpEnd::Settled);
            }
            (None, Some((status, url, _))) if status >= 400 && still >= QUIET => {
                return Ok(RpEnd::Stopped { status, url });
            }
            (None, last) => {
                if let Some(s) = &script
                    && let Ok(v) = tab.page.evaluate(s.as_str()).await
                    && v.into_value::<String>().is_ok_and(|v| v == "start")
                {
                    last_change = Instant::now();
                }
                if still >= IDLE {
                    let (status, url) =
                        last.map_or_else(|| (0, tab.document_url()), |l| (l.0, l.1));
                    return Ok(RpEnd::Stopped { status, url });
                }
            }
            _ => {}
        }
        tokio::time::sleep(POLL).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_start_script_quotes_its_selector() {
        let js = start_script("button[data-x=\"y\"]");
        assert!(
            js.contains(r#"querySelector("button[data-x=\"y\"]")"#),
            "{js}"
        );
    }
}
