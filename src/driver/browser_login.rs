//! The `browser` login strategy: a real headless Chromium walks the
//! authorization request, running the login page's own scripts, with CSS
//! selectors from the profile for the fields and buttons.
//!
//! One browser process per run (started at the first walk), a browser
//! context of its own per walk (reused by a later walk only after its
//! cookies and the visited origins' storage are cleared). Every request the page makes
//! is intercepted (Chrome DevTools Protocol `Fetch` domain): hosts the
//! profile does not name are blocked, and the redirect to the client's
//! redirect URI is captured and never sent - the harness checks it as
//! usual. A page whose document answered 4xx/5xx and shows no login form is
//! where the server stopped; so is a page that stays the same for a while
//! with nothing to fill or press.

use std::collections::HashSet;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chromiumoxide::Page;
use chromiumoxide::browser::{Browser, BrowserConfig};
use chromiumoxide::cdp::browser_protocol::browser::BrowserContextId;
use chromiumoxide::cdp::browser_protocol::fetch::{
    self, ContinueRequestParams, EventRequestPaused, FailRequestParams, RequestPattern,
    RequestStage,
};
use chromiumoxide::cdp::browser_protocol::network::{
    self, ErrorReason, EventLoadingFailed, EventResponseReceived, ResourceType,
};
use chromiumoxide::cdp::browser_protocol::page::NavigateParams;
use chromiumoxide::cdp::browser_protocol::storage::{ClearCookiesParams, ClearDataForOriginParams};
use chromiumoxide::cdp::browser_protocol::target::{
    CreateBrowserContextParams, CreateTargetParams,
};
use futures::StreamExt as _;
use tokio::sync::OnceCell;
use url::Url;

use super::forms::ConsentChoice;
use super::http::HostAllowlist;

/// How long a page may stay unchanged with nothing to fill or press
/// before the walk counts it as where the server stopped.
const IDLE: Duration = Duration::from_secs(3);

/// How often the page is looked at.
const POLL: Duration = Duration::from_millis(15);

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
    /// Chromium's path; `None`: `OAUTHSPEC_CHROMIUM`, then `chromium`,
    /// `chromium-browser`, `google-chrome` on the `PATH`.
    pub executable: Option<PathBuf>,
    shared: Arc<OnceCell<Result<Chromium, String>>>,
}

impl std::fmt::Debug for BrowserLogin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BrowserLogin")
            .field("selectors", &self.selectors)
            .field("timeout", &self.timeout)
            .field("executable", &self.executable)
            .finish()
    }
}

impl BrowserLogin {
    pub fn new(selectors: Selectors, timeout: Duration, executable: Option<PathBuf>) -> Self {
        BrowserLogin {
            selectors,
            timeout,
            executable,
            shared: Arc::default(),
        }
    }
}

/// A running Chromium and the task that drives its DevTools connection.
struct Chromium {
    browser: Browser,
    /// Tabs cleaned after a walk, for the next ones.
    spare: Mutex<Vec<Tab>>,
    handler: tokio::task::JoinHandle<()>,
    profile_dir: PathBuf,
}

impl Drop for Chromium {
    fn drop(&mut self) {
        self.handler.abort();
        if let Some(child) = self.browser.get_mut_child() {
            let _ = child.inner.start_kill();
        }
        // Best effort: the browser's helpers may still be writing; a later
        // run sweeps what is left (see `sweep_profiles`).
        let _ = std::fs::remove_dir_all(&self.profile_dir);
    }
}

const PROFILE_PREFIX: &str = "oauthspec-chromium-";

/// Removes browser profiles left by runs that are no longer alive.
fn sweep_profiles() {
    let Ok(entries) = std::fs::read_dir(std::env::temp_dir()) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(pid) = name
            .to_str()
            .and_then(|n| n.strip_prefix(PROFILE_PREFIX))
            .and_then(|rest| rest.split('-').next())
        else {
            continue;
        };
        if !std::path::Path::new("/proc").join(pid).exists() {
            let _ = std::fs::remove_dir_all(entry.path());
        }
    }
}

fn executable(login: &BrowserLogin) -> Option<PathBuf> {
    login
        .executable
        .clone()
        .or_else(|| std::env::var_os("OAUTHSPEC_CHROMIUM").map(PathBuf::from))
        .or_else(|| {
            let path = std::env::var_os("PATH")?;
            // The headless shell first: the same engine without the
            // desktop browser around it, half the cost per login.
            [
                "chromium-headless-shell",
                "chromium",
                "chromium-browser",
                "google-chrome",
            ]
                .iter()
                .flat_map(|name| std::env::split_paths(&path).map(move |d| d.join(name)))
                .find(|p| p.is_file())
        })
}

async fn launch(login: &BrowserLogin) -> Result<Chromium, String> {
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let exe = executable(login).ok_or_else(|| {
        "no Chromium found: install it (Debian: apt-get install chromium), or set [login.browser] executable or OAUTHSPEC_CHROMIUM".to_owned()
    })?;
    sweep_profiles();
    let profile_dir = std::env::temp_dir().join(format!(
        "{PROFILE_PREFIX}{}-{}",
        std::process::id(),
        NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
    ));
    let config = BrowserConfig::builder()
        .chrome_executable(&exe)
        .user_data_dir(&profile_dir)
        .no_sandbox()
        .arg("--disable-gpu")
        .arg("--disable-dev-shm-usage")
        .arg("--no-first-run")
        .launch_timeout(Duration::from_secs(30))
        .build()
        .map_err(|e| format!("cannot configure Chromium: {e}"))?;
    let (browser, mut handler) = Browser::launch(config)
        .await
        .map_err(|e| format!("cannot start Chromium ({}): {e}", exe.display()))?;
    let handler = tokio::spawn(async move { while handler.next().await.is_some() {} });
    Ok(Chromium {
        browser,
        spare: Mutex::default(),
        handler,
        profile_dir,
    })
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

/// Why the browser could not walk at all.
#[derive(Debug, thiserror::Error)]
pub enum BrowserFailure {
    #[error("{0}")]
    Launch(String),
    #[error("the browser failed: {0}")]
    Cdp(String),
    #[error("no redirect to the client within {seconds} s; the browser was at {url}")]
    Timeout { seconds: u64, url: String },
}

fn cdp(e: impl std::fmt::Display) -> BrowserFailure {
    BrowserFailure::Cdp(e.to_string())
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

/// What the current walk of a tab needs its request interceptor to know.
struct Walking {
    redirect_uri: String,
    allow: HostAllowlist,
    captured: tokio::sync::mpsc::UnboundedSender<Url>,
}

/// A browser context of its own with one page, its requests intercepted
/// and its documents watched. Tabs are reused one walk after another, with
/// cookies and the visited origins' storage cleared in between: opening a
/// tab costs ~150 ms of a 2-core machine, clearing one a few.
struct Tab {
    context: BrowserContextId,
    page: Page,
    walking: Arc<Mutex<Option<Walking>>>,
    /// The last document's status and URL, and every origin a document
    /// came from (to clear their storage).
    document: Arc<Mutex<(u16, Url, Vec<String>)>>,
    /// Requests let through and not answered yet: a page waiting on a slow
    /// server is not idle.
    inflight: Arc<Mutex<HashSet<String>>>,
    tasks: [tokio::task::JoinHandle<()>; 3],
}

impl Drop for Tab {
    fn drop(&mut self) {
        for t in &self.tasks {
            t.abort();
        }
    }
}

/// Tabs kept for reuse at most (as many as walks run at once, usually).
const MAX_SPARE_TABS: usize = 8;

async fn open_tab(chromium: &Chromium) -> Result<Tab, BrowserFailure> {
    let context = chromium
        .browser
        .create_browser_context(CreateBrowserContextParams::default())
        .await
        .map_err(cdp)?;
    let page = chromium
        .browser
        .new_page(
            CreateTargetParams::builder()
                .url("about:blank")
                .browser_context_id(context.clone())
                .build()
                .map_err(cdp)?,
        )
        .await
        .map_err(cdp)?;
    let mut paused = page
        .event_listener::<EventRequestPaused>()
        .await
        .map_err(cdp)?;
    let mut responses = page
        .event_listener::<EventResponseReceived>()
        .await
        .map_err(cdp)?;
    let mut failures = page
        .event_listener::<EventLoadingFailed>()
        .await
        .map_err(cdp)?;
    page.execute(network::EnableParams::default())
        .await
        .map_err(cdp)?;
    page.execute(
        fetch::EnableParams::builder()
            .pattern(
                RequestPattern::builder()
                    .url_pattern("*")
                    .request_stage(RequestStage::Request)
                    .build(),
            )
            .build(),
    )
    .await
    .map_err(cdp)?;
    let walking: Arc<Mutex<Option<Walking>>> = Arc::default();
    let blank = Url::parse("about:blank").map_err(cdp)?;
    let document = Arc::new(Mutex::new((0u16, blank, Vec::new())));
    let inflight: Arc<Mutex<HashSet<String>>> = Arc::default();
    let interceptor = {
        let page = page.clone();
        let walking = walking.clone();
        let inflight = inflight.clone();
        tokio::spawn(async move {
            while let Some(event) = paused.next().await {
                let id = event.request_id.clone();
                // A fragment is never sent, so Chrome keeps it apart; the
                // authorization response may be in it (errors of fragment
                // response types).
                let url = Url::parse(&format!(
                    "{}{}",
                    event.request.url,
                    event.request.url_fragment.as_deref().unwrap_or("")
                ))
                .ok();
                // Decided under the lock, sent after it.
                let verdict = {
                    let w = walking.lock().unwrap_or_else(|e| e.into_inner());
                    match (w.as_ref(), url) {
                        (Some(w), Some(u))
                            if super::flow::matches_redirect_uri(&u, &w.redirect_uri) =>
                        {
                            let _ = w.captured.send(u);
                            false
                        }
                        (Some(w), Some(u)) => {
                            !matches!(u.scheme(), "http" | "https" | "ws" | "wss")
                                || w.allow.allows(&u)
                        }
                        _ => false,
                    }
                };
                if verdict {
                    if let Some(n) = &event.network_id {
                        inflight
                            .lock()
                            .unwrap_or_else(|e| e.into_inner())
                            .insert(n.inner().clone());
                    }
                    let _ = page.execute(ContinueRequestParams::new(id)).await;
                } else {
                    // The redirect to the client is never sent; hosts the
                    // profile does not name are never contacted.
                    let _ = page
                        .execute(FailRequestParams::new(id, ErrorReason::BlockedByClient))
                        .await;
                }
            }
        })
    };
    let watcher = {
        let document = document.clone();
        let inflight = inflight.clone();
        tokio::spawn(async move {
            while let Some(event) = responses.next().await {
                inflight
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .remove(event.request_id.inner());
                if event.r#type == ResourceType::Document
                    && let Ok(url) = Url::parse(&event.response.url)
                {
                    let status = u16::try_from(event.response.status).unwrap_or(0);
                    let mut d = document.lock().unwrap_or_else(|e| e.into_inner());
                    let origin = url.origin().ascii_serialization();
                    if !d.2.contains(&origin) {
                        d.2.push(origin);
                    }
                    d.0 = status;
                    d.1 = url;
                }
            }
        })
    };
    let failed = {
        let inflight = inflight.clone();
        tokio::spawn(async move {
            while let Some(event) = failures.next().await {
                inflight
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .remove(event.request_id.inner());
            }
        })
    };
    Ok(Tab {
        context,
        page,
        walking,
        document,
        inflight,
        tasks: [interceptor, watcher, failed],
    })
}

/// Makes a used tab as good as new: a blank page, no cookies, no storage of
/// the origins it visited. Whether that worked.
async fn reset(chromium: &Chromium, tab: &Tab) -> bool {
    *tab.walking.lock().unwrap_or_else(|e| e.into_inner()) = None;
    tab.inflight
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .clear();
    let origins = std::mem::take(&mut tab.document.lock().unwrap_or_else(|e| e.into_inner()).2);
    let blank = tokio::time::timeout(
        Duration::from_secs(2),
        tab.page.execute(NavigateParams::new("about:blank")),
    )
    .await;
    if !matches!(blank, Ok(Ok(_))) {
        return false;
    }
    let cookies = chromium
        .browser
        .execute(
            ClearCookiesParams::builder()
                .browser_context_id(tab.context.clone())
                .build(),
        )
        .await;
    if cookies.is_err() {
        return false;
    }
    for origin in origins {
        if tab
            .page
            .execute(ClearDataForOriginParams::new(origin, "all"))
            .await
            .is_err()
        {
            return false;
        }
    }
    true
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
    let chromium = login
        .shared
        .get_or_init(|| launch(login))
        .await
        .as_ref()
        .map_err(|e| BrowserFailure::Launch(e.clone()))?;
    let spare = chromium
        .spare
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .pop();
    let tab = match spare {
        Some(tab) => tab,
        None => open_tab(chromium).await?,
    };
    let (captured_tx, mut captured) = tokio::sync::mpsc::unbounded_channel::<Url>();
    *tab.walking.lock().unwrap_or_else(|e| e.into_inner()) = Some(Walking {
        redirect_uri: redirect_uri.to_owned(),
        allow: allow.clone(),
        captured: captured_tx,
    });
    {
        let mut d = tab.document.lock().unwrap_or_else(|e| e.into_inner());
        d.0 = 0;
        d.1 = request_url.clone();
    }
    let ended = drive(
        login,
        &tab,
        request_url,
        button.as_deref(),
        (username, password),
        &mut captured,
    )
    .await;
    // Cleaned in the background for the next walk; the answer does not
    // wait. A tab that cannot be cleaned is closed with its context.
    let shared = login.shared.clone();
    tokio::spawn(async move {
        let Some(Ok(chromium)) = shared.get() else {
            return;
        };
        if reset(chromium, &tab).await {
            let mut spare = chromium.spare.lock().unwrap_or_else(|e| e.into_inner());
            if spare.len() < MAX_SPARE_TABS {
                spare.push(tab);
                return;
            }
        }
        let context = tab.context.clone();
        drop(tab);
        let _ = chromium.browser.dispose_browser_context(context).await;
    });
    ended
}

async fn drive(
    login: &BrowserLogin,
    tab: &Tab,
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
    ended
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
                url: super::http::redact_url(doc_url.as_str()),
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
