//! `firefox-launcher list|start|stop`: a client of a running `serve`, found through
//! `<home>/runtime.json` (its address, over TCP or a unix socket, and its token).

mod render;

use std::path::{Path, PathBuf};

use bytes::Bytes;
use fl_api::{CreateRequest, ErrorBody, RuntimeFile, SessionList, SessionView, StopSummary};
use http_body_util::{BodyExt, Full};
use hyper::{Method, Request, StatusCode};
use hyper_util::rt::TokioIo;

pub use render::{render_list, render_session, render_stop};

#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    #[error("no running firefox-launcher found: cannot read {path} ({source}); start one with 'firefox-launcher serve'")]
    NoRuntime {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{path} is not a valid runtime file: {why}")]
    BadRuntime { path: PathBuf, why: String },
    #[error("failed to connect to firefox-launcher at {address}: {source}")]
    Connect {
        address: String,
        #[source]
        source: std::io::Error,
    },
    #[error("request to firefox-launcher at {address} failed: {source}")]
    Http {
        address: String,
        #[source]
        source: hyper::Error,
    },
    #[error("{error} (HTTP {status}, {code})")]
    Api { status: u16, error: String, code: String },
    #[error("unexpected answer from firefox-launcher (HTTP {status}): {body}")]
    Decode { status: u16, body: String },
}

#[derive(Debug, Clone)]
enum Address {
    Tcp(String),
    Unix(PathBuf),
}

/// A connection recipe for one running service.
#[derive(Debug, Clone)]
pub struct Client {
    address: Address,
    display: String,
    token: Option<String>,
}

impl Client {
    /// Reads `<home>/runtime.json`.
    pub fn from_home(home: &Path) -> Result<Self, ClientError> {
        let path = RuntimeFile::path(home);
        let bytes = std::fs::read(&path).map_err(|source| ClientError::NoRuntime { path: path.clone(), source })?;
        let runtime: RuntimeFile = serde_json::from_slice(&bytes)
            .map_err(|e| ClientError::BadRuntime { path: path.clone(), why: e.to_string() })?;
        Self::new(&runtime.address, runtime.token).map_err(|why| ClientError::BadRuntime { path, why })
    }

    /// `address` is `http://HOST:PORT` or `unix:/path`.
    pub fn new(address: &str, token: Option<String>) -> Result<Self, String> {
        let parsed = if let Some(path) = address.strip_prefix("unix:") {
            Address::Unix(PathBuf::from(path))
        } else if let Some(host) = address.strip_prefix("http://") {
            Address::Tcp(host.trim_end_matches('/').to_owned())
        } else {
            return Err(format!("unsupported address {address:?}"));
        };
        Ok(Self { address: parsed, display: address.to_owned(), token })
    }

    /// Sends one request with the token (if any) and `headers`, and returns the raw answer.
    /// For scripts and tests that need more than the typed calls below.
    pub async fn request(
        &self,
        method: Method,
        path: &str,
        headers: &[(&str, &str)],
        body: Option<Vec<u8>>,
    ) -> Result<hyper::Response<Bytes>, ClientError> {
        let connect_error = |source| ClientError::Connect { address: self.display.clone(), source };
        let http_error = |source| ClientError::Http { address: self.display.clone(), source };
        let mut request = Request::builder().method(method.clone()).uri(path).header(hyper::header::HOST, "localhost");
        if let Some(token) = &self.token {
            request = request.header(hyper::header::AUTHORIZATION, format!("token {token}"));
        }
        let has_type = headers.iter().any(|(name, _)| name.eq_ignore_ascii_case("content-type"));
        if !has_type && (body.is_some() || method != Method::GET) {
            request = request.header(hyper::header::CONTENT_TYPE, "application/json");
        }
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        let request = request.body(Full::new(Bytes::from(body.unwrap_or_default()))).expect("valid request");
        macro_rules! exchange {
            ($stream:expr) => {{
                let (mut sender, conn) =
                    hyper::client::conn::http1::handshake(TokioIo::new($stream)).await.map_err(http_error)?;
                tokio::spawn(conn);
                sender.send_request(request).await.map_err(http_error)?
            }};
        }
        let response = match &self.address {
            Address::Tcp(host) => exchange!(tokio::net::TcpStream::connect(host).await.map_err(connect_error)?),
            Address::Unix(path) => exchange!(tokio::net::UnixStream::connect(path).await.map_err(connect_error)?),
        };
        let (parts, body) = response.into_parts();
        let body = body.collect().await.map_err(http_error)?.to_bytes();
        Ok(hyper::Response::from_parts(parts, body))
    }

    /// The URL a browser opens for `session`: on TCP with the session's key, which opens that
    /// session's page and nothing else (never the token: a URL ends up in shell and browser
    /// history, and on a browser's command line, which every local user can read).
    pub fn browser_url(&self, session: &fl_api::SessionView) -> String {
        let path = &session.path;
        match (&self.address, session.key.is_empty()) {
            (Address::Tcp(_), false) => format!("{}/{path}?key={}", self.display, session.key),
            (Address::Tcp(_), true) => format!("{}/{path}", self.display),
            (Address::Unix(_), _) => format!("{path} (behind {})", self.display),
        }
    }

    /// The token this client sends, if any.
    pub fn token(&self) -> Option<&str> {
        self.token.as_deref()
    }

    /// A client for the same service without the token, to check what strangers get.
    pub fn without_token(&self) -> Self {
        Self { token: None, ..self.clone() }
    }

    async fn send(&self, method: Method, path: &str, body: Option<Vec<u8>>) -> Result<(StatusCode, Bytes), ClientError> {
        let response = self.request(method, path, &[], body).await?;
        Ok((response.status(), response.into_body()))
    }

    async fn call<T: serde::de::DeserializeOwned>(&self, method: Method, path: &str, body: Option<Vec<u8>>) -> Result<T, ClientError> {
        let (status, body) = self.send(method, path, body).await?;
        if !status.is_success() {
            return Err(match serde_json::from_slice::<ErrorBody>(&body) {
                Ok(e) => ClientError::Api { status: status.as_u16(), error: e.error, code: e.code },
                Err(_) => ClientError::Decode { status: status.as_u16(), body: String::from_utf8_lossy(&body).into_owned() },
            });
        }
        serde_json::from_slice(&body)
            .map_err(|_| ClientError::Decode { status: status.as_u16(), body: String::from_utf8_lossy(&body).into_owned() })
    }

    pub async fn list(&self) -> Result<SessionList, ClientError> {
        self.call(Method::GET, "/api/sessions", None).await
    }

    pub async fn start(&self, url: Option<String>) -> Result<SessionView, ClientError> {
        self.create(&CreateRequest { url, ..CreateRequest::default() }).await
    }

    pub async fn create(&self, request: &CreateRequest) -> Result<SessionView, ClientError> {
        let body = serde_json::to_vec(request).expect("serializes");
        self.call(Method::POST, "/api/sessions", Some(body)).await
    }

    pub async fn stop(&self, port: u16) -> Result<StopSummary, ClientError> {
        self.call(Method::DELETE, &format!("/api/sessions/{port}"), None).await
    }
}
