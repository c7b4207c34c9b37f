//! The one place where errors become HTTP answers: `{"error": ..., "code": ...}` with a status.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use fl_api::ErrorBody;
use fl_session::StartError;

/// Everything a request can fail with.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("{0}")]
    BadRequest(String),
    #[error("cross-site request refused: the Origin header does not match the Host")]
    CrossOrigin,
    #[error("this request needs 'Content-Type: application/json'")]
    NotJson,
    #[error("request body too large (at most {0} bytes)")]
    BodyTooLarge(usize),
    #[error("invalid JSON body: {0}")]
    InvalidJson(String),
    #[error("invalid url {url:?}: {why}")]
    InvalidUrl { url: String, why: &'static str },
    #[error("{0}")]
    InvalidRequest(String),
    #[error("the persistent profile is in use by the session on port {port}: stop it first, or start one with a temporary profile")]
    ProfileInUse { port: u16 },
    #[error("invalid session port {0:?}: expected a number from 1 to 65535")]
    InvalidPort(String),
    #[error("method not allowed: {0}")]
    MethodNotAllowed(String),
    #[error("no such endpoint: {0}")]
    NoRoute(String),
    #[error("no session on port {0}")]
    NotFound(u16),
    #[error("missing or wrong token: send 'Authorization: token <T>'")]
    Unauthorized,
    #[error("too many sessions: at most {0} may run at once; stop one first")]
    TooManySessions(usize),
    #[error("{what} not found at {path}: install it ({install}) or configure its path; `firefox-launcher doctor` checks everything a session needs and names the packages")]
    MissingBinary { what: &'static str, path: std::path::PathBuf, install: &'static str },
    #[error("{0}")]
    Xpra(#[source] fl_session::VersionError),
    #[error("the service is shutting down")]
    ShuttingDown,
    #[error("could not find a free port after {0} attempts")]
    NoFreePort(usize),
    #[error("failed to hold a loopback port for a new session: {0}")]
    PortUnavailable(#[source] std::io::Error),
    #[error("session on port {port} was stopped before it was ready")]
    StartCancelled { port: u16 },
    #[error("failed to start session: {0}")]
    Start(#[from] StartError),
    #[error("session on port {port} is not reachable: {source}")]
    Upstream {
        port: u16,
        #[source]
        source: fl_session::UpstreamError,
    },
    #[error("{0}")]
    ClientUnavailable(String),
    #[error("session on port {port}: {source}")]
    Control {
        port: u16,
        #[source]
        source: fl_control::ControlError,
    },
    #[error("proxying to session on port {port} failed: {source}")]
    ProxyHttp {
        port: u16,
        #[source]
        source: hyper::Error,
    },
}

impl ApiError {
    fn status_and_code(&self) -> (StatusCode, &'static str) {
        use StatusCode as S;
        match self {
            Self::BadRequest(_) => (S::BAD_REQUEST, "bad_request"),
            Self::CrossOrigin => (S::FORBIDDEN, "cross_origin"),
            Self::NotJson => (S::UNSUPPORTED_MEDIA_TYPE, "not_json"),
            Self::BodyTooLarge(_) => (S::PAYLOAD_TOO_LARGE, "body_too_large"),
            Self::InvalidJson(_) => (S::BAD_REQUEST, "invalid_json"),
            Self::InvalidUrl { .. } => (S::BAD_REQUEST, "invalid_url"),
            Self::InvalidPort(_) => (S::BAD_REQUEST, "invalid_port"),
            Self::InvalidRequest(_) => (S::BAD_REQUEST, "invalid_request"),
            Self::ProfileInUse { .. } => (S::CONFLICT, "profile_in_use"),
            Self::MethodNotAllowed(_) => (S::METHOD_NOT_ALLOWED, "method_not_allowed"),
            Self::NoRoute(_) => (S::NOT_FOUND, "no_route"),
            Self::NotFound(_) => (S::NOT_FOUND, "not_found"),
            Self::Unauthorized => (S::UNAUTHORIZED, "unauthorized"),
            Self::TooManySessions(_) => (S::TOO_MANY_REQUESTS, "too_many_sessions"),
            Self::MissingBinary { .. } => (S::INTERNAL_SERVER_ERROR, "missing_binary"),
            Self::Xpra(_) => (S::INTERNAL_SERVER_ERROR, "unsupported_xpra"),
            Self::ShuttingDown => (S::SERVICE_UNAVAILABLE, "shutting_down"),
            Self::NoFreePort(_) | Self::PortUnavailable(_) => (S::SERVICE_UNAVAILABLE, "no_free_port"),
            Self::StartCancelled { .. } => (S::CONFLICT, "start_cancelled"),
            Self::Start(StartError::Timeout { .. }) => (S::GATEWAY_TIMEOUT, "start_timeout"),
            Self::Start(_) => (S::INTERNAL_SERVER_ERROR, "start_failed"),
            Self::Upstream { .. } | Self::ProxyHttp { .. } => (S::BAD_GATEWAY, "upstream_unavailable"),
            Self::ClientUnavailable(_) => (S::SERVICE_UNAVAILABLE, "client_unavailable"),
            Self::Control { source, .. } => control_status(source),
        }
    }
}

fn control_status(e: &fl_control::ControlError) -> (StatusCode, &'static str) {
    use fl_control::ControlError as C;
    match e {
        C::NotConnected { .. } => (StatusCode::SERVICE_UNAVAILABLE, "control_unavailable"),
        C::Timeout { .. } => (StatusCode::GATEWAY_TIMEOUT, "control_timeout"),
        // What the page or Firefox refused (a script's exception, a page that failed to load):
        // the request was understood, the browser could not do it.
        C::Failed { .. } => (StatusCode::UNPROCESSABLE_ENTITY, "control_failed"),
        C::Io { .. } | C::BadAnswer { .. } => (StatusCode::BAD_GATEWAY, "control_broken"),
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, code) = self.status_and_code();
        if status.is_server_error() {
            tracing::warn!(code, "{self}");
        }
        let body = ErrorBody { error: self.to_string(), code: code.to_owned() };
        (status, Json(body)).into_response()
    }
}

/// Why `serve` could not run.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error(transparent)]
    Fs(#[from] fl_sys::FsError),
    #[error("failed to listen on {what}: {source}")]
    Listen {
        what: String,
        #[source]
        source: std::io::Error,
    },
    #[error("failed to write runtime file {path}: {source}")]
    RuntimeFile {
        path: std::path::PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("failed to generate a token: {0}")]
    Secret(#[source] std::io::Error),
    #[error("the token in FIREFOX_LAUNCHER_TOKEN is too short: {len} bytes, at least {min} are needed (try `openssl rand -hex 32`)")]
    TokenTooShort { len: usize, min: usize },
    #[error("failed to install signal handler: {0}")]
    Signal(#[source] std::io::Error),
    #[error("http server failed: {0}")]
    Http(#[source] std::io::Error),
}
