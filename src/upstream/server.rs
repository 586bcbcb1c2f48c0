//! The wiremock server under every fake of the harness (the upstream
//! providers, the attacker's key host of the JWT attacks): started on a
//! listener of the caller's own, never from wiremock's pool, so a port is
//! never handed from one fake to the next; stopped off the async runtime.

use wiremock::{Mock, MockServer};

/// A running wiremock server. Dropping it stops it.
pub struct FakeServer {
    /// Always `Some` until dropped.
    server: Option<MockServer>,
}

impl FakeServer {
    /// Starts a server on `listener`; `record` keeps every request it
    /// receives (for [`MockServer::received_requests`]).
    pub async fn start(listener: std::net::TcpListener, record: bool) -> Self {
        let builder = MockServer::builder().listener(listener);
        let builder = if record {
            builder
        } else {
            builder.disable_request_recording()
        };
        FakeServer {
            server: Some(builder.start().await),
        }
    }

    /// Mounts `mock` on the server.
    pub async fn mount(&self, mock: Mock) {
        if let Some(server) = &self.server {
            mock.mount(server).await;
        }
    }

    /// The server (`None` only while it is being dropped).
    pub fn server(&self) -> Option<&MockServer> {
        self.server.as_ref()
    }
}

impl Drop for FakeServer {
    /// wiremock's `MockServer` verifies its expectations on drop with
    /// `futures::executor::block_on` over a tokio lock. Inside a tokio task
    /// that can spin forever once the task's cooperative budget is spent
    /// (the lock keeps answering "yield"), so the server is dropped on a
    /// thread of its own, outside any runtime.
    fn drop(&mut self) {
        if let Some(server) = self.server.take() {
            let _ = std::thread::Builder::new()
                .name("fake-upstream-drop".into())
                .spawn(move || drop(server));
        }
    }
}
