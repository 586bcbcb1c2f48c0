//! The generator's own ceiling: a loopback endpoint the generator serves itself, in the same
//! process, loaded through the same HTTP client as every measured request. No target is in
//! it, so its rate is what the generator (and the machine it runs on) can do at best; a run
//! close to it is generator-bound. Loading the target's `/healthz` instead would measure the
//! target, and a third-party server may have none.

use std::net::SocketAddr;

use axum::Router;
use axum::routing::get;
use tokio::sync::oneshot;
use url::Url;

/// The path the endpoint answers.
pub const PATH: &str = "/oauthspec-ceiling";

/// A running ceiling endpoint on 127.0.0.1; stops when dropped.
pub struct Ceiling {
    pub url: Url,
    _stop: oneshot::Sender<()>,
}

impl Ceiling {
    /// Binds 127.0.0.1 on a free port and serves `GET /oauthspec-ceiling` → 200 `ok`.
    pub async fn start() -> std::io::Result<Self> {
        let listener = tokio::net::TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0))).await?;
        let addr = listener.local_addr()?;
        let app = Router::new().route(PATH, get(|| async { "ok" }));
        let (stop, stopped) = oneshot::channel::<()>();
        tokio::spawn(async move {
            let _ = axum::serve(listener, app)
                .with_graceful_shutdown(async {
                    let _ = stopped.await;
                })
                .await;
        });
        let url = Url::parse(&format!("http://{addr}{PATH}"))
            .map_err(|e| std::io::Error::other(e.to_string()))?;
        Ok(Ceiling { url, _stop: stop })
    }
}
