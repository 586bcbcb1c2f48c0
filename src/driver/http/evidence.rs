//! The evidence log: every exchange of a driver, recorded with its secrets redacted.

use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use url::Url;

/// One recorded request and its answer, secrets redacted.
#[derive(Clone, Debug)]
pub struct Exchange {
    pub method: String,
    pub url: String,
    pub request_headers: Vec<(String, String)>,
    pub request_body: Option<String>,
    /// `None` if no answer came (refused, timeout, connection error: see `error`).
    pub status: Option<u16>,
    pub response_headers: Vec<(String, String)>,
    pub response_body: Option<String>,
    pub elapsed: Duration,
    pub error: Option<String>,
}

/// The evidence log: every exchange of a driver (and its clones), in order.
#[derive(Clone, Default)]
pub struct Evidence {
    inner: Arc<Mutex<EvidenceInner>>,
}

#[derive(Default)]
struct EvidenceInner {
    exchanges: Vec<Exchange>,
    dropped: usize,
}

impl Evidence {
    pub fn new() -> Self {
        Self::default()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, EvidenceInner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub fn push(&self, exchange: Exchange, max: usize) {
        let mut inner = self.lock();
        inner.exchanges.push(exchange);
        if inner.exchanges.len() > max {
            let excess = inner.exchanges.len() - max;
            inner.exchanges.drain(..excess);
            inner.dropped += excess;
        }
    }

    /// A copy of the exchanges recorded so far.
    pub fn exchanges(&self) -> Vec<Exchange> {
        self.lock().exchanges.clone()
    }

    /// Exchanges recorded after the first `from` (to show one step's traffic).
    pub fn since(&self, from: usize) -> Vec<Exchange> {
        self.lock().exchanges.iter().skip(from).cloned().collect()
    }

    pub fn len(&self) -> usize {
        self.lock().exchanges.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn clear(&self) {
        let mut inner = self.lock();
        inner.exchanges.clear();
        inner.dropped = 0;
    }

    /// Renders exchanges as HTTP transcripts.
    /// One exchange as a transcript, numbered `n`.
    pub fn render_one(n: usize, exchange: &Exchange) -> String {
        let mut out = String::new();
        render_exchange(&mut out, n, exchange);
        out
    }

    pub fn render(exchanges: &[Exchange]) -> String {
        let mut out = String::new();
        for (i, x) in exchanges.iter().enumerate() {
            render_exchange(&mut out, i + 1, x);
        }
        out
    }
}

impl fmt::Debug for Evidence {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Evidence({} exchanges)", self.len())
    }
}

impl fmt::Display for Evidence {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let inner = self.lock();
        if inner.dropped > 0 {
            writeln!(f, "({} earlier exchanges not kept)", inner.dropped)?;
        }
        f.write_str(&Self::render(&inner.exchanges))
    }
}

impl fmt::Display for Exchange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut out = String::new();
        render_exchange(&mut out, 1, self);
        f.write_str(&out)
    }
}

fn render_exchange(out: &mut String, n: usize, x: &Exchange) {
    use std::fmt::Write as _;
    let outcome = match (x.status, &x.error) {
        (Some(s), _) => format!("{s} {}", reason_phrase(s)),
        (None, Some(e)) => format!("no answer: {e}"),
        (None, None) => "no answer".to_owned(),
    };
    let _ = writeln!(
        out,
        "── #{n} {} {} → {} ({} ms)",
        x.method,
        x.url,
        outcome.trim_end(),
        x.elapsed.as_millis()
    );
    let target = Url::parse(&x.url)
        .map(|u| {
            let mut t = u.path().to_owned();
            if let Some(q) = u.query() {
                t.push('?');
                t.push_str(q);
            }
            t
        })
        .unwrap_or_else(|_| x.url.clone());
    let _ = writeln!(out, "> {} {} HTTP/1.1", x.method, target);
    for (k, v) in &x.request_headers {
        let _ = writeln!(out, "> {k}: {v}");
    }
    if let Some(body) = &x.request_body {
        let _ = writeln!(out, ">");
        for line in body.lines() {
            let _ = writeln!(out, "> {line}");
        }
    }
    if let Some(status) = x.status {
        let _ = writeln!(out, "< HTTP/1.1 {status} {}", reason_phrase(status));
        for (k, v) in &x.response_headers {
            let _ = writeln!(out, "< {k}: {v}");
        }
        if let Some(body) = &x.response_body {
            let _ = writeln!(out, "<");
            for line in body.lines() {
                let _ = writeln!(out, "< {line}");
            }
        }
    }
    out.push('\n');
}

fn reason_phrase(status: u16) -> &'static str {
    reqwest::StatusCode::from_u16(status)
        .ok()
        .and_then(|s| s.canonical_reason())
        .unwrap_or("")
}
