//! Accepting connections without letting idle or slow clients hold the
//! server: a header-read timeout that also closes idle keep-alive
//! connections, a body-read timeout, and a cap on open connections that,
//! when reached, closes the oldest connection that never sent a request
//! rather than turning away the newcomer. Accept errors (such as running
//! out of file descriptors) back off instead of spinning.

use std::collections::HashMap;
use std::future::Future;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto::Builder;
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tower::ServiceExt as _;

/// How long connections may take, and how many may be open.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// A request's headers must arrive within this; a keep-alive
    /// connection idle this long is closed.
    pub header_read: Duration,
    /// Each piece of a request body must arrive within this.
    pub body_read: Duration,
    /// Open connections at most; the next one closes the oldest that never
    /// sent a request.
    pub max_connections: usize,
}

impl Default for Limits {
    /// 10 s to send headers, 10 s between body chunks, 512 connections
    /// (half the common 1024 open-files limit).
    fn default() -> Self {
        Limits {
            header_read: Duration::from_secs(10),
            body_read: Duration::from_secs(10),
            max_connections: 512,
        }
    }
}

/// An open connection, as the accept loop sees it.
struct Open {
    /// Set once a request has arrived on it.
    served: Arc<AtomicBool>,
    close: oneshot::Sender<()>,
}

#[derive(Default)]
struct Registry {
    open: Mutex<HashMap<u64, Open>>,
    next: AtomicU64,
}

impl Registry {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<u64, Open>> {
        self.open.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Makes room for one more: closes the oldest connection that never
    /// sent a request. Whether there was one.
    fn shed(&self) -> bool {
        let mut open = self.lock();
        let oldest = open
            .iter()
            .filter(|(_, o)| !o.served.load(Ordering::Relaxed))
            .map(|(id, _)| *id)
            .min();
        match oldest.and_then(|id| open.remove(&id)) {
            Some(o) => {
                let _ = o.close.send(());
                true
            }
            None => false,
        }
    }
}

/// Completes once `wait` has passed without a request having arrived; never
/// otherwise. hyper's header timer starts only once the HTTP version has been
/// sniffed from the first bytes, so a socket that sends nothing would
/// otherwise be held forever; after the first request, hyper's own timer
/// closes idle keep-alive connections.
async fn silent_for(wait: Duration, served: Arc<AtomicBool>) {
    tokio::time::sleep(wait).await;
    if served.load(Ordering::Relaxed) {
        std::future::pending::<()>().await;
    }
}

/// Serves `app` on `listener` with `limits` until `shutdown` completes,
/// then lets requests in flight finish (at most 10 s).
pub async fn serve(
    listener: TcpListener,
    app: Router,
    limits: Limits,
    shutdown: impl Future<Output = ()>,
) -> std::io::Result<()> {
    let app = app.layer(tower_http::timeout::RequestBodyTimeoutLayer::new(
        limits.body_read,
    ));
    let registry = Arc::new(Registry::default());
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    let mut builder = Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_read);
    builder.http2().timer(TokioTimer::new());
    tokio::pin!(shutdown);
    loop {
        let accepted = tokio::select! {
            () = &mut shutdown => break,
            accepted = listener.accept() => accepted,
        };
        let stream = match accepted {
            Ok((stream, _)) => stream,
            Err(e) => {
                // Out of file descriptors, or the like: free one and wait a
                // moment rather than spin on the error.
                tracing::warn!("accept error: {e}");
                registry.shed();
                tokio::time::sleep(Duration::from_millis(20)).await;
                continue;
            }
        };
        if registry.lock().len() >= limits.max_connections && !registry.shed() {
            // Every open connection is serving requests: the newcomer waits
            // no better than being told to come back.
            drop(stream);
            continue;
        }
        let id = registry.next.fetch_add(1, Ordering::Relaxed);
        let served = Arc::new(AtomicBool::new(false));
        let (close, closed) = oneshot::channel();
        registry.lock().insert(
            id,
            Open {
                served: served.clone(),
                close,
            },
        );
        let first_request = silent_for(limits.header_read, served.clone());
        let service = TowerToHyperService::new(app.clone().map_request(
            move |req: axum::extract::Request<hyper::body::Incoming>| {
                served.store(true, Ordering::Relaxed);
                req
            },
        ));
        let conn = builder
            .serve_connection_with_upgrades(TokioIo::new(stream), service)
            .into_owned();
        let conn = graceful.watch(conn);
        let registry = registry.clone();
        tokio::spawn(async move {
            tokio::select! {
                _ = conn => {}
                _ = closed => {}
                () = first_request => {}
            }
            registry.lock().remove(&id);
        });
    }
    drop(listener);
    let _ = tokio::time::timeout(Duration::from_secs(10), graceful.shutdown()).await;
    Ok(())
}
