//! Starting the server on a socket, for the binary and for tests.

use std::net::SocketAddr;
use std::sync::Arc;

use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use crate::config::{Settings, Storage};
use crate::protocol::Secret;
use crate::state::{AppState, StateError};
use crate::store::{MemoryStore, SqliteStore, Store, StoreError};

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    State(#[from] StateError),
    #[error(transparent)]
    Config(#[from] crate::config::ConfigError),
}

/// A server accepting connections.
pub struct RunningServer {
    addr: SocketAddr,
    state: AppState,
    shutdown: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<std::io::Result<()>>>,
}

impl RunningServer {
    /// The bound address (the real port when asked for port 0).
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://HOST:PORT`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn issuer(&self) -> &str {
        &self.state.issuer
    }

    /// The test-admin bearer token, when the admin API is on.
    pub fn admin_token(&self) -> Option<&Secret> {
        self.state.admin_token.as_ref()
    }

    /// The shared state, for in-process inspection by tests.
    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// Stops accepting, lets in-flight requests finish, and waits.
    pub async fn shutdown(mut self) -> std::io::Result<()> {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        match self.task.take() {
            Some(t) => t.await.unwrap_or(Ok(())),
            None => Ok(()),
        }
    }

    /// Runs until the server stops by itself (it does not, unless the
    /// listener fails) or `signal` completes.
    pub async fn serve_until(
        mut self,
        signal: impl std::future::Future<Output = ()>,
    ) -> std::io::Result<()> {
        let task = self.task.take();
        tokio::select! {
            () = signal => {}
            r = async { match task { Some(t) => t.await.unwrap_or(Ok(())), None => Ok(()) } } => return r,
        }
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        Ok(())
    }
}

impl Drop for RunningServer {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

/// Opens the configured store.
pub fn open_store(storage: &Storage) -> Result<Arc<dyn Store>, StoreError> {
    Ok(match storage {
        Storage::Memory => Arc::new(MemoryStore::new()),
        Storage::Sqlite(dir) => Arc::new(SqliteStore::open(dir)?),
    })
}

/// Binds, builds the state and starts serving in the background.
pub async fn start(settings: Settings) -> Result<RunningServer, StartError> {
    settings.validate()?;
    let listener = TcpListener::bind(settings.bind)
        .await
        .map_err(|source| StartError::Bind {
            addr: settings.bind,
            source,
        })?;
    let addr = listener.local_addr().map_err(|source| StartError::Bind {
        addr: settings.bind,
        source,
    })?;
    let issuer = settings
        .issuer
        .clone()
        .map(|i| i.trim_end_matches('/').to_string())
        .unwrap_or_else(|| format!("http://{addr}"));
    let store = open_store(&settings.storage)?;
    let state = AppState::new(&settings, issuer, store)?;
    let app = crate::app(state.clone());
    let (tx, rx) = oneshot::channel::<()>();
    let limits = settings.connections;
    let task = tokio::spawn(async move {
        crate::connections::serve(listener, app, limits, async {
            let _ = rx.await;
        })
        .await
    });
    Ok(RunningServer {
        addr,
        state,
        shutdown: Some(tx),
        task: Some(task),
    })
}
