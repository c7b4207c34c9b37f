//! The JSON shapes of the REST API and of `<home>/runtime.json`.
//!
//! Server and CLI client both depend on this small crate, so a field renamed on one side is a
//! compile error on the other rather than a silent mismatch.

use serde::{Deserialize, Serialize};

/// The lifecycle stage of a session, as shown to clients.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SessionStatus {
    Starting,
    Ready,
    Stopping,
}

/// One session, as listed by `GET /api/sessions`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionView {
    pub port: u16,
    pub status: SessionStatus,
    /// Xpra's pid, once it has been spawned.
    pub pid: Option<u32>,
    pub pgid: Option<i32>,
    /// The X display, e.g. `:3`, once Xvfb has reported it.
    pub display: Option<String>,
    pub dir: String,
    pub url: String,
    /// RFC 3339.
    pub created_at: String,
    /// Where the session's HTML5 client is served, relative to the service root.
    pub path: String,
    /// Browsers connected to the session through the proxy (websockets open now).
    #[serde(default)]
    pub clients: u32,
    /// RFC 3339: the last proxied request or websocket close; idle culling counts from here.
    #[serde(default)]
    pub last_activity: String,
    /// Firefox's window title now, read from the session's X server (text from the web page);
    /// empty before the window exists.
    #[serde(default)]
    pub title: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionList {
    pub sessions: Vec<SessionView>,
}

/// The body of `POST /api/sessions`; an empty body means all defaults.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateRequest {
    pub url: Option<String>,
}

/// The answer to `DELETE /api/sessions/{port}`: how the session ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StopSummary {
    pub port: u16,
    /// `SIGTERM` or `SIGKILL`, whichever ended the process group, or `none` when it had already
    /// exited on its own.
    pub signal: String,
    pub elapsed_ms: u64,
    /// Processes outside the group (Xvfb, escaped descendants) that had to be stopped separately.
    pub leftovers: usize,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Health {
    pub status: String,
    pub version: String,
    pub sessions: usize,
    /// Each session's status, by port.
    #[serde(default)]
    pub status_by_port: std::collections::BTreeMap<String, SessionStatus>,
    /// Warm-pool sessions ready to be claimed.
    #[serde(default)]
    pub warm: usize,
}

/// Every error answer: a human sentence and a stable machine code.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorBody {
    pub error: String,
    pub code: String,
}

/// `<home>/runtime.json`: how the CLI finds the running service. Written 0600 by `serve`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RuntimeFile {
    /// `http://127.0.0.1:PORT` or `unix:/path/to/socket`.
    pub address: String,
    pub token: Option<String>,
    pub pid: u32,
}

impl RuntimeFile {
    /// Where `serve` writes it: `<home>/runtime.json`.
    pub fn path(home: &std::path::Path) -> std::path::PathBuf {
        home.join("runtime.json")
    }
}

/// The path of a session's client, relative to the service root.
pub fn session_path(port: u16) -> String {
    format!("sessions/{port}/")
}
