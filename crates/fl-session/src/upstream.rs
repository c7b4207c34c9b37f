//! The session's Xpra HTTP/WebSocket endpoint, as the proxy and the readiness check reach it.
//!
//! It is a unix socket inside the session's 0700 directory, so only this user can connect; the
//! route `/sessions/{port}/` never decides where traffic goes, the session does.

use std::path::{Path, PathBuf};

use bytes::Bytes;
use http_body_util::Empty;
use hyper::client::conn::http1::SendRequest;
use hyper_util::rt::TokioIo;
use tokio::net::UnixStream;

#[derive(Debug, Clone)]
pub struct Upstream {
    socket: PathBuf,
}

#[derive(Debug, thiserror::Error)]
pub enum UpstreamError {
    #[error("failed to connect to xpra at {path}: {source}")]
    Connect {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("http exchange with xpra at {path} failed: {source}")]
    Http {
        path: PathBuf,
        #[source]
        source: hyper::Error,
    },
}

impl Upstream {
    /// The control extension's socket of the same session (`Layout::control_socket`).
    pub fn control_socket(&self) -> PathBuf {
        self.socket.with_file_name(crate::layout::CONTROL_SOCKET)
    }

    pub fn new(socket: PathBuf) -> Self {
        Self { socket }
    }

    pub fn socket(&self) -> &Path {
        &self.socket
    }

    /// Opens one HTTP/1.1 connection (with upgrades enabled, for the websocket) and returns its
    /// request sender; the connection is driven by a task that ends with it.
    pub async fn connect<B>(&self) -> Result<SendRequest<B>, UpstreamError>
    where
        B: hyper::body::Body + Send + 'static,
        B::Data: Send,
        B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
    {
        let stream = UnixStream::connect(&self.socket)
            .await
            .map_err(|source| UpstreamError::Connect { path: self.socket.clone(), source })?;
        let (sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
            .await
            .map_err(|source| UpstreamError::Http { path: self.socket.clone(), source })?;
        tokio::spawn(async move {
            if let Err(e) = conn.with_upgrades().await {
                tracing::debug!("upstream connection ended: {e}");
            }
        });
        Ok(sender)
    }

    /// True when the socket answers a websocket upgrade with 101, which is all the browser's
    /// client needs of it (Xpra 4 and later run without their web server, so `GET /` is no
    /// sign of life there). The probe's connection is dropped at once.
    pub async fn accepts_websocket(&self) -> bool {
        let Ok(mut sender) = self.connect::<Empty<Bytes>>().await else { return false };
        let request = hyper::Request::get("/")
            .header(hyper::header::HOST, "localhost")
            .header(hyper::header::CONNECTION, "Upgrade")
            .header(hyper::header::UPGRADE, "websocket")
            .header(hyper::header::SEC_WEBSOCKET_VERSION, "13")
            .header(hyper::header::SEC_WEBSOCKET_KEY, "ZmlyZWZveC1sYXVuY2hlcg==")
            .header(hyper::header::SEC_WEBSOCKET_PROTOCOL, "binary")
            .body(Empty::new())
            .expect("static request");
        matches!(sender.send_request(request).await, Ok(r) if r.status() == hyper::StatusCode::SWITCHING_PROTOCOLS)
    }
}
