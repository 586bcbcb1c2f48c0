//! A real headless Chromium for the harness, driven over the DevTools
//! protocol (chromiumoxide): one browser process per run (started at the
//! first walk), a browser context of its own per walk (reused by a later
//! walk only after its cookies and the visited origins' storage are
//! cleared). Every request a page makes is intercepted (Chrome DevTools
//! Protocol `Fetch` domain): hosts the profile does not name are blocked,
//! and the redirect to the client's redirect URI is captured and never
//! sent.
//!
//! - [`login`]: the `browser` login strategy at an authorization server's
//!   login and consent pages;
//! - [`rp`]: a relying-party app's login walked in the browser, its
//!   documents recorded from the callback on.

mod intercept;
pub mod login;
pub mod rp;

use std::collections::HashSet;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chromiumoxide::Page;
use chromiumoxide::browser::{Browser, BrowserConfig};
use chromiumoxide::cdp::browser_protocol::browser::BrowserContextId;
use chromiumoxide::cdp::browser_protocol::fetch::{
    self, EventRequestPaused, RequestPattern, RequestStage,
};
use chromiumoxide::cdp::browser_protocol::network::{
    self, EventLoadingFailed, EventResponseReceived,
};
use chromiumoxide::cdp::browser_protocol::page::NavigateParams;
use chromiumoxide::cdp::browser_protocol::storage::{ClearCookiesParams, ClearDataForOriginParams};
use chromiumoxide::cdp::browser_protocol::target::{
    CreateBrowserContextParams, CreateTargetParams,
};
use futures::StreamExt as _;
use tokio::sync::OnceCell;
use url::Url;

use super::http::{HostAllowlist, HostPort};

/// How often a page is looked at.
const POLL: Duration = Duration::from_millis(15);

/// Chromium's path and the one process a run shares (started at the first
/// walk). Clones share the process.
#[derive(Clone, Default)]
pub struct BrowserProcess {
    /// `None`: `OAUTHSPEC_CHROMIUM`, then `chromium-headless-shell`,
    /// `chromium`, `chromium-browser`, `google-chrome` on the `PATH`.
    pub executable: Option<PathBuf>,
    /// `--ignore-certificate-errors`: set when the profile turns verification off
    /// (`[tls] insecure_skip_verify`).
    pub ignore_certificate_errors: bool,
    shared: Arc<OnceCell<Result<Chromium, String>>>,
}

impl BrowserProcess {
    pub fn new(executable: Option<PathBuf>) -> Self {
        BrowserProcess {
            executable,
            ignore_certificate_errors: false,
            shared: Arc::default(),
        }
    }
}

impl std::fmt::Debug for BrowserProcess {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BrowserProcess")
            .field("executable", &self.executable)
            .finish_non_exhaustive()
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

/// Removes what runs that are no longer alive left behind: Chromium processes still running
/// on their profiles (a run that exited without dropping its browser orphans it), then the
/// profiles themselves.
fn sweep_profiles() {
    let dead = |name: &str| {
        name.strip_prefix(PROFILE_PREFIX)
            .and_then(|rest| rest.split('-').next())
            .is_some_and(|pid| !std::path::Path::new("/proc").join(pid).exists())
    };
    kill_orphans(&dead);
    let Ok(entries) = std::fs::read_dir(std::env::temp_dir()) else {
        return;
    };
    for entry in entries.flatten() {
        if entry.file_name().to_str().is_some_and(dead) {
            let _ = std::fs::remove_dir_all(entry.path());
        }
    }
}

/// Kills the browsers whose `--user-data-dir` is a profile of a dead run (Linux `/proc`).
fn kill_orphans(dead: &dyn Fn(&str) -> bool) {
    let Ok(procs) = std::fs::read_dir("/proc") else {
        return;
    };
    let tmp = std::env::temp_dir();
    for p in procs.flatten() {
        let Some(pid) = p
            .file_name()
            .to_str()
            .filter(|n| n.bytes().all(|b| b.is_ascii_digit()))
            .map(str::to_owned)
        else {
            continue;
        };
        let Ok(cmdline) = std::fs::read(p.path().join("cmdline")) else {
            continue;
        };
        let orphaned = cmdline.split(|b| *b == 0).any(|arg| {
            std::str::from_utf8(arg)
                .ok()
                .and_then(|a| a.strip_prefix("--user-data-dir="))
                .and_then(|d| std::path::Path::new(d).strip_prefix(&tmp).ok())
                .and_then(|d| d.to_str())
                .is_some_and(dead)
        });
        if orphaned {
            let _ = std::process::Command::new("kill")
                .args(["-KILL", &pid])
                .stderr(std::process::Stdio::null())
                .status();
        }
    }
}

fn executable(process: &BrowserProcess) -> Option<PathBuf> {
    find_chromium(process.executable.clone())
}

/// The Chromium to start: `explicit`, else `OAUTHSPEC_CHROMIUM`, else the first of
/// `chromium-headless-shell`, `chromium`, `chromium-browser`, `google-chrome` on the `PATH`.
pub fn find_chromium(explicit: Option<PathBuf>) -> Option<PathBuf> {
    explicit
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

async fn launch(process: &BrowserProcess) -> Result<Chromium, String> {
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let exe = executable(process).ok_or_else(|| {
        "no Chromium found: install it (Debian: apt-get install chromium), or set [login.browser] executable or OAUTHSPEC_CHROMIUM".to_owned()
    })?;
    sweep_profiles();
    let profile_dir = std::env::temp_dir().join(format!(
        "{PROFILE_PREFIX}{}-{}",
        std::process::id(),
        NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
    ));
    let mut config = BrowserConfig::builder()
        .chrome_executable(&exe)
        .user_data_dir(&profile_dir)
        .no_sandbox()
        .arg("--disable-gpu")
        .arg("--disable-dev-shm-usage")
        .arg("--no-first-run")
        .launch_timeout(Duration::from_secs(30));
    // chromiumoxide ignores certificate errors unless told otherwise: the browser verifies
    // like any browser unless the profile opted out.
    if process.ignore_certificate_errors {
        config = config.arg("--ignore-certificate-errors");
    } else {
        config = config.respect_https_errors();
    }
    let config = config
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

/// Why the browser could not walk at all.
#[derive(Debug, thiserror::Error)]
pub enum BrowserFailure {
    #[error("{0}")]
    Launch(String),
    #[error("the browser failed: {0}")]
    Cdp(String),
    #[error("the browser could not load {url}: {error}{}", net_hint(error))]
    Load { url: String, error: String },
    #[error("no redirect to the client within {seconds} s; the browser was at {url}")]
    Timeout { seconds: u64, url: String },
}

/// What to do about a load failure Chromium names.
fn net_hint(error: &str) -> &'static str {
    if error.starts_with("net::ERR_CERT") {
        " (Chromium keeps its own trust store and is not given [tls] ca_certs: add the CA to it, or for a throwaway test server set [tls] insecure_skip_verify = true)"
    } else {
        ""
    }
}

impl Tab {
    /// The load failure of this walk's last document, if it had one.
    fn load_failure(&self, url: &Url) -> Option<BrowserFailure> {
        let error = self
            .net_error
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()?;
        Some(BrowserFailure::Load {
            url: url.to_string(),
            error,
        })
    }
}

fn cdp(e: impl std::fmt::Display) -> BrowserFailure {
    BrowserFailure::Cdp(e.to_string())
}

/// What the current walk of a tab needs its request interceptor to know.
struct Walking {
    /// Requests to it are captured and never sent (`None`: nothing is).
    redirect_uri: Option<String>,
    allow: HostAllowlist,
    captured: tokio::sync::mpsc::UnboundedSender<Url>,
    /// A relying-party walk: documents recorded at the response stage.
    recording: Option<Arc<Mutex<Recording>>>,
}

/// One document the browser received, as the server sent it.
#[derive(Clone, Debug)]
pub struct Document {
    pub url: Url,
    pub status: u16,
    pub headers: Vec<(String, String)>,
    /// Empty for redirects (Chrome keeps no body for them).
    pub body: Vec<u8>,
    /// How long after its request was let through it answered.
    pub elapsed: Duration,
}

/// What a relying-party walk records.
#[derive(Debug, Default)]
struct Recording {
    /// The app's callback, and whether to change `state` on the way there.
    callback: Option<Url>,
    tamper: bool,
    documents: Vec<Document>,
    /// A document request to a host the profile does not name (blocked).
    blocked: Option<Url>,
    /// When each document request was let through, by interception id.
    sent: std::collections::HashMap<String, Instant>,
    /// When the request to the callback was let through.
    callback_sent: Option<Instant>,
    /// Chrome keeps `Set-Cookie` out of intercepted headers, so the
    /// cookies of these URLs are read before the callback is let through,
    /// to tell which the app set from the callback on.
    cookie_urls: Vec<Url>,
    cookies_before_callback: Option<Vec<rp::BrowserCookie>>,
}

impl Recording {
    fn at_callback(&self, url: &Url) -> bool {
        self.callback.as_ref().is_some_and(|c| {
            c.path() == url.path() && HostPort::from_url(c) == HostPort::from_url(url)
        })
    }
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
    /// Why the last document of this walk could not be loaded (`net::ERR_CERT_…`).
    net_error: Arc<Mutex<Option<String>>>,
    tasks: Vec<tokio::task::JoinHandle<()>>,
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
    let paused = page
        .event_listener::<EventRequestPaused>()
        .await
        .map_err(cdp)?;
    let responses = page
        .event_listener::<EventResponseReceived>()
        .await
        .map_err(cdp)?;
    let failures = page
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
    let blank = Url::parse("about:blank").map_err(cdp)?;
    let tab = Tab {
        context,
        page,
        net_error: Arc::default(),
        walking: Arc::default(),
        document: Arc::new(Mutex::new((0u16, blank, Vec::new()))),
        inflight: Arc::default(),
        tasks: Vec::new(),
    };
    let tasks = vec![
        tokio::spawn(intercept::requests(
            tab.page.clone(),
            tab.walking.clone(),
            tab.inflight.clone(),
            paused,
        )),
        tokio::spawn(intercept::documents(
            tab.document.clone(),
            tab.inflight.clone(),
            tab.net_error.clone(),
            responses,
        )),
        tokio::spawn(intercept::failures(
            tab.inflight.clone(),
            tab.net_error.clone(),
            failures,
        )),
    ];
    let mut tab = tab;
    tab.tasks = tasks;
    Ok(tab)
}

impl BrowserProcess {
    /// A clean tab of the shared browser (started at the first call).
    async fn acquire(&self) -> Result<Tab, BrowserFailure> {
        let chromium = self
            .shared
            .get_or_init(|| launch(self))
            .await
            .as_ref()
            .map_err(|e| BrowserFailure::Launch(e.clone()))?;
        let spare = chromium
            .spare
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .pop();
        match spare {
            Some(tab) => Ok(tab),
            None => open_tab(chromium).await,
        }
    }

    /// Cleans `tab` in the background for the next walk (the answer does
    /// not wait); a tab that cannot be cleaned is closed with its context.
    fn release(&self, tab: Tab) {
        let shared = self.shared.clone();
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
    }
}

impl Tab {
    /// The URL of the last document the tab received.
    fn document_url(&self) -> Url {
        self.document
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .1
            .clone()
    }

    /// Whether requests let through are still waiting for their answers.
    fn busy(&self) -> bool {
        !self
            .inflight
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .is_empty()
    }

    /// Starts a walk: what the interceptor must know, the first document.
    fn start(&self, walking: Walking, first: &Url) {
        *self.walking.lock().unwrap_or_else(|e| e.into_inner()) = Some(walking);
        *self.net_error.lock().unwrap_or_else(|e| e.into_inner()) = None;
        let mut d = self.document.lock().unwrap_or_else(|e| e.into_inner());
        d.0 = 0;
        d.1 = first.clone();
    }
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
