//! The three tasks that watch a tab: the request interceptor (hosts the
//! profile does not name blocked, the redirect to the client captured and
//! never sent, a relying-party walk's documents recorded at the response
//! stage and its `state` changed on the way back), the document watcher (the
//! last document's status and URL, the origins visited), and the load
//! failures (a document the browser could not reach at all).

use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use chromiumoxide::Page;
use chromiumoxide::cdp::browser_protocol::fetch::{
    ContinueRequestParams, EventRequestPaused, FailRequestParams, GetResponseBodyParams,
};
use chromiumoxide::cdp::browser_protocol::network::{
    ErrorReason, EventLoadingFailed, EventResponseReceived, ResourceType,
};
use chromiumoxide::listeners::EventStream;
use futures::StreamExt as _;
use url::Url;

use super::{Document, Recording, Walking, rp};

type Shared<T> = Arc<Mutex<T>>;

/// The request interceptor of a tab: every request paused at the request
/// stage is let through or blocked; documents of a recording walk are
/// paused again at the response stage and recorded.
pub(super) async fn requests(
    page: Page,
    walking: Shared<Option<Walking>>,
    inflight: Shared<HashSet<String>>,
    mut paused: EventStream<EventRequestPaused>,
) {
    while let Some(event) = paused.next().await {
        let recording = walking
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .as_ref()
            .and_then(|w| w.recording.clone());
        if event.response_status_code.is_some() || event.response_error_reason.is_some() {
            // The response stage: only documents of a recording walk.
            if let Some(rec) = &recording {
                record(&page, rec, &event).await;
            }
            let _ = page
                .execute(ContinueRequestParams::new(event.request_id.clone()))
                .await;
            continue;
        }
        // A fragment is never sent, so Chrome keeps it apart; the
        // authorization response may be in it (errors of fragment
        // response types).
        let url = Url::parse(&format!(
            "{}{}",
            event.request.url,
            event.request.url_fragment.as_deref().unwrap_or("")
        ))
        .ok();
        let document = event.resource_type == ResourceType::Document;
        if let Some(u) = url.as_ref().filter(|u| let_through(&walking, u)) {
            if let Some(n) = &event.network_id {
                inflight
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .insert(n.inner().clone());
            }
            let_go(&page, &event, u, recording.as_ref(), document).await;
        } else {
            if let (Some(rec), Some(u), true) = (&recording, &url, document) {
                rec.lock().unwrap_or_else(|e| e.into_inner()).blocked = Some(u.clone());
            }
            // The redirect to the client is never sent; hosts the
            // profile does not name are never contacted.
            let _ = page
                .execute(FailRequestParams::new(
                    event.request_id.clone(),
                    ErrorReason::BlockedByClient,
                ))
                .await;
        }
    }
}

/// Whether a request may be sent: not the redirect to the client (captured
/// instead), and to a host the profile names (or not over the network).
/// Decided under the lock, sent after it.
fn let_through(walking: &Mutex<Option<Walking>>, url: &Url) -> bool {
    let w = walking.lock().unwrap_or_else(|e| e.into_inner());
    let Some(w) = w.as_ref() else {
        return false;
    };
    if w.redirect_uri
        .as_deref()
        .is_some_and(|r| crate::driver::flow::matches_redirect_uri(url, r))
    {
        let _ = w.captured.send(url.clone());
        return false;
    }
    !matches!(url.scheme(), "http" | "https" | "ws" | "wss") || w.allow.allows(url)
}

/// Lets a request through. A recording walk's document is paused again at
/// the response stage, and its request to the callback is timed (and
/// changed when the walk tampers); the cookies before the first request to
/// the callback are read first.
async fn let_go(
    page: &Page,
    event: &EventRequestPaused,
    url: &Url,
    recording: Option<&Shared<Recording>>,
    document: bool,
) {
    let id = event.request_id.clone();
    let mut go = ContinueRequestParams::new(id.clone());
    let Some(rec) = recording else {
        let _ = page.execute(go).await;
        return;
    };
    let before_callback = {
        let mut rec = rec.lock().unwrap_or_else(|e| e.into_inner());
        if document {
            go.intercept_response = Some(true);
            rec.sent.insert(id.inner().clone(), Instant::now());
            if rec.at_callback(url) {
                rec.callback_sent = Some(Instant::now());
                if rec.tamper {
                    go.url = Some(tampered(url).to_string());
                }
            }
        }
        let first = rec.cookies_before_callback.is_none();
        (first && rec.at_callback(url)).then(|| rec.cookie_urls.clone())
    };
    if let Some(urls) = before_callback {
        let cookies = rp::cookies_of(page, &urls).await.unwrap_or_default();
        rec.lock()
            .unwrap_or_else(|e| e.into_inner())
            .cookies_before_callback = Some(cookies);
    }
    let _ = page.execute(go).await;
}

/// The document watcher: the last document's status and URL, and every
/// origin a document came from.
pub(super) async fn documents(
    document: Shared<(u16, Url, Vec<String>)>,
    inflight: Shared<HashSet<String>>,
    net_error: Shared<Option<String>>,
    mut responses: EventStream<EventResponseReceived>,
) {
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
            // A document that arrived: an earlier load failure is not why the walk
            // stopped.
            *net_error.lock().unwrap_or_else(|e| e.into_inner()) = None;
        }
    }
}

/// The load failures: a document the browser could not reach at all.
pub(super) async fn failures(
    inflight: Shared<HashSet<String>>,
    net_error: Shared<Option<String>>,
    mut failures: EventStream<EventLoadingFailed>,
) {
    while let Some(event) = failures.next().await {
        inflight
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(event.request_id.inner());
        // A document the browser could not reach at all: a refused certificate or
        // TLS handshake, a closed port, an unknown name. Blocked and aborted
        // requests are the harness's own doing; other errors are the page's.
        let text = event.error_text.as_str();
        let unreachable = [
            "net::ERR_CERT_",
            "net::ERR_SSL_",
            "net::ERR_BAD_SSL_CLIENT_AUTH_CERT",
            "net::ERR_CONNECTION_",
            "net::ERR_NAME_NOT_RESOLVED",
            "net::ERR_ADDRESS_UNREACHABLE",
        ]
        .iter()
        .any(|p| text.starts_with(p));
        if event.r#type == ResourceType::Document && !event.canceled.unwrap_or(false) && unreachable
        {
            *net_error.lock().unwrap_or_else(|e| e.into_inner()) = Some(text.to_owned());
        }
    }
}

/// `url` with its `state` replaced: the answer changed on the way back.
fn tampered(url: &Url) -> Url {
    let mut next = url.clone();
    let pairs: Vec<(String, String)> = url
        .query_pairs()
        .map(|(k, v)| {
            let v = if k == "state" {
                format!("tampered-{}", crate::protocol::random_token(8))
            } else {
                v.into_owned()
            };
            (k.into_owned(), v)
        })
        .collect();
    next.query_pairs_mut().clear().extend_pairs(pairs);
    next
}

/// Keeps a document paused at the response stage: status, headers and
/// (unless it redirects) its body.
async fn record(page: &Page, rec: &Mutex<Recording>, event: &EventRequestPaused) {
    let Ok(url) = Url::parse(&event.request.url) else {
        return;
    };
    let status = event
        .response_status_code
        .and_then(|s| u16::try_from(s).ok())
        .unwrap_or(0);
    let headers: Vec<(String, String)> = event
        .response_headers
        .iter()
        .flatten()
        .map(|h| (h.name.to_ascii_lowercase(), h.value.clone()))
        .collect();
    let body = if (300..400).contains(&status) || status == 0 {
        Vec::new()
    } else {
        match page
            .execute(GetResponseBodyParams::new(event.request_id.clone()))
            .await
        {
            Ok(r) if r.base64_encoded => {
                use base64::Engine as _;
                base64::engine::general_purpose::STANDARD
                    .decode(&r.body)
                    .unwrap_or_default()
            }
            Ok(r) => r.body.clone().into_bytes(),
            Err(_) => Vec::new(),
        }
    };
    let mut rec = rec.lock().unwrap_or_else(|e| e.into_inner());
    let elapsed = rec
        .sent
        .remove(event.request_id.inner())
        .map(|t| t.elapsed())
        .unwrap_or_default();
    rec.documents.push(Document {
        url,
        status,
        headers,
        body,
        elapsed,
    });
}
