//! The `browser` login strategy: a real headless Chromium walks the
//! authorization request, running the login page's own scripts, with CSS
//! selectors from the profile for the fields and buttons. The redirect to
//! the client's redirect URI is captured, never sent - the harness checks
//! it as usual. A page whose document answered 4xx/5xx and shows no login
//! form is where the server stopped; so is a page that stays the same for a
//! while with nothing to fill or press.

use std::collections::HashSet;
use std::path::PathBuf;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use chromiumoxide::cdp::browser_protocol::page::NavigateParams;
use url::Url;

use super::{BrowserFailure, BrowserProcess, POLL, Walking};
use crate::driver::forms::ConsentChoice;
use crate::driver::http::HostAllowlist;

/// How long a page may stay unchanged with nothing to fill or press
/// before the walk counts it as where the server stopped.
const IDLE: Duration = Duration::from_secs(3);

/// CSS selectors of what the browser fills and presses.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Selectors {
    pub username: String,
    pub password: String,
    /// The login button; without it the password field's form is submitted.
    pub submit: Option<String>,
    /// The consent page's approving button.
    pub approve: Option<String>,
    /// The consent page's refusing button.
    pub deny: Option<String>,
}

/// The whole `browser` login, and the browser process it shares across a
/// run.
#[derive(Clone)]
pub struct BrowserLogin {
    pub selectors: Selectors,
    /// The longest one walk may take.
    pub timeout: Duration,
    pub process: BrowserProcess,
}

impl std::fmt::Debug for BrowserLogin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BrowserLogin")
            .field("selectors", &self.selectors)
            .field("timeout", &self.timeout)
            .field("process", &self.process)
            .finish()
    }
}

impl BrowserLogin {
    pub fn new(selectors: Selectors, timeout: Duration, executable: Option<PathBuf>) -> Self {
        BrowserLogin {
            selectors,
            timeout,
            process: BrowserProcess::new(executable),
        }
    }
}

/// Where a browser walk ended.
#[derive(Debug)]
pub enum BrowserEnd {
    /// The page was sent to the redirect URI (captured, not sent).
    Redirected(Url),
    /// The browser stayed on this page: its document's status (0 when
    /// none was seen) and whether it merely sat idle.
    Stopped { status: u16, url: Url, idle: bool },
    /// The login form came back after it was filled.
    LoginRejected { url: Url },
    /// A refusal was asked for and the profile names no deny button.
    NoDenyButton,
}

/// The script run on each page, over and over: fills and submits the login
/// form once per document, presses the consent button once per document.
fn step_script(s: &Selectors, consent: Option<&str>, username: &str, password: &str) -> String {
    let js = |v: Option<&str>| serde_json::to_string(&v).unwrap_or_else(|_| "null".into());
    format!(
        r#"(() => {{
  const q = (s) => s ? document.querySelector(s) : null;
  const u = q({user}), p = q({pass});
  if (u && p) {{
    if (window.__oauthspecLogin) return "filled";
    window.__oauthspecLogin = true;
    const set = (el, v) => {{
      const d = Object.getOwnPropertyDescriptor(Object.getPrototypeOf(el), "value");
      if (d && d.set) d.set.call(el, v); else el.value = v;
      el.dispatchEvent(new Event("input", {{ bubbles: true }}));
      el.dispatchEvent(new Event("change", {{ bubbles: true }}));
    }};
    set(u, {username}); set(p, {password});
    const b = q({submit});
    if (b) b.click();
    else if (p.form) {{ if (p.form.requestSubmit) p.form.requestSubmit(); else p.form.submit(); }}
    return "login";
  }}
  const c = q({consent});
  if (c) {{
    if (window.__oauthspecConsent) return "pressed";
    window.__oauthspecConsent = true;
    c.click();
    return "consent";
  }}
  return "idle";
}})()"#,
        user = js(Some(&s.username)),
        pass = js(Some(&s.password)),
        submit = js(s.submit.as_deref()),
        consent = js(consent),
        username = js(Some(username)),
        password = js(Some(password)),
    )
}

/// Walks `request_url` in a browser context of its own.
pub async fn walk(
    login: &BrowserLogin,
    allow: &HostAllowlist,
    request_url: &Url,
    redirect_uri: &str,
    consent: &ConsentChoice,
    (username, password): (&str, &str),
) -> Result<BrowserEnd, BrowserFailure> {
    let button = match consent {
        ConsentChoice::Deny => match &login.selectors.deny {
            Some(d) => Some(d.clone()),
            None => return Ok(BrowserEnd::NoDenyButton),
        },
        _ => login.selectors.approve.clone(),
    };
    let tab = login.process.acquire().await?;
    let (captured_tx, mut captured) = tokio::sync::mpsc::unbounded_channel::<Url>();
    tab.start(
        Walking {
            redirect_uri: Some(redirect_uri.to_owned()),
            allow: allow.clone(),
            captured: captured_tx,
            recording: None,
        },
        request_url,
    );
    let ended = drive(
        login,
        &tab,
        request_url,
        button.as_deref(),
        (username, password),
        &mut captured,
    )
    .await;
    login.process.release(tab);
    ended
}

async fn drive(
    login: &BrowserLogin,
    tab: &super::Tab,
    request_url: &Url,
    consent: Option<&str>,
    (username, password): (&str, &str),
    captured: &mut tokio::sync::mpsc::UnboundedReceiver<Url>,
) -> Result<BrowserEnd, BrowserFailure> {
    // Not awaited: chromiumoxide waits for a navigation to finish, and one
    // captured as the redirect to the client never does. What the page
    // does next is watched below.
    let navigation = {
        let page = tab.page.clone();
        let url = request_url.to_string();
        tokio::spawn(async move {
            let _ = page.execute(NavigateParams::new(url)).await;
        })
    };
    let ended = watch(
        login,
        &tab.page,
        consent,
        (username, password),
        captured,
        &tab.document,
        &tab.inflight,
    )
    .await;
    navigation.abort();
    // A page that sat idle because the browser could not load it says why.
    match ended {
        Ok(BrowserEnd::Stopped {
            idle: true,
            ref url,
            ..
        }) => match tab.load_failure(url) {
            Some(failure) => Err(failure),
            None => ended,
        },
        other => other,
    }
}

async fn watch(
    login: &BrowserLogin,
    page: &chromiumoxide::Page,
    consent: Option<&str>,
    (username, password): (&str, &str),
    captured: &mut tokio::sync::mpsc::UnboundedReceiver<Url>,
    document: &Mutex<(u16, Url, Vec<String>)>,
    inflight: &Mutex<HashSet<String>>,
) -> Result<BrowserEnd, BrowserFailure> {
    let script = step_script(&login.selectors, consent, username, password);
    let started = Instant::now();
    let mut logins = 0;
    let mut last_url = String::new();
    let mut last_change = Instant::now();
    loop {
        if let Ok(url) = captured.try_recv() {
            return Ok(BrowserEnd::Redirected(url));
        }
        let (status, doc_url) = {
            let d = document.lock().unwrap_or_else(|e| e.into_inner());
            (d.0, d.1.clone())
        };
        if started.elapsed() > login.timeout {
            return Err(BrowserFailure::Timeout {
                seconds: login.timeout.as_secs(),
                url: crate::driver::http::redact_url(doc_url.as_str()),
            });
        }
        let now_url = page.url().await.ok().flatten().unwrap_or_default();
        if !inflight
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .is_empty()
        {
            // Waiting on the server is not sitting idle.
            last_change = Instant::now();
        }
        if now_url != last_url {
            last_url = now_url;
            last_change = Instant::now();
        }
        let state: String = match page.evaluate(script.as_str()).await {
            Ok(v) => v.into_value().unwrap_or_default(),
            Err(_) => String::new(), // navigating: the document went away
        };
        match state.as_str() {
            "login" => {
                logins += 1;
                if logins > 1 {
                    return Ok(BrowserEnd::LoginRejected { url: doc_url });
                }
                last_change = Instant::now();
            }
            "consent" => last_change = Instant::now(),
            // The login form is still there after it was sent, unchanged.
            "filled" if last_change.elapsed() > IDLE => {
                return Ok(BrowserEnd::LoginRejected { url: doc_url });
            }
            "idle" if status >= 400 => {
                return Ok(BrowserEnd::Stopped {
                    status,
                    url: doc_url,
                    idle: false,
                });
            }
            "idle" | "pressed" if last_change.elapsed() > IDLE => {
                return Ok(BrowserEnd::Stopped {
                    status,
                    url: doc_url,
                    idle: true,
                });
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
    fn the_step_script_quotes_every_value() {
        let s = Selectors {
            username: "#u".into(),
            password: "input[name=\"p\"]".into(),
            submit: None,
            approve: Some("button[value=approve]".into()),
            deny: None,
        };
        let js = step_script(&s, s.approve.as_deref(), "al\"ice", "pw</script>");
        assert!(js.contains(r#"q("input[name=\"p\"]")"#), "{js}");
        assert!(js.contains(r#"set(u, "al\"ice")"#), "{js}");
        assert!(js.contains("const b = q(null)"), "{js}");
    }
}
