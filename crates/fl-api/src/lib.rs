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
    /// Where the session's page (our Xpra client) is served, relative to the service root.
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
    #[serde(default)]
    pub profile: Profile,
    #[serde(default)]
    pub clipboard: Clipboard,
    /// Whether Firefox's sound is forwarded to the browser.
    #[serde(default)]
    pub audio: bool,
    /// Where finished downloads are moved (absolute).
    #[serde(default)]
    pub downloads_dir: String,
    /// Downloads finished so far, oldest first.
    #[serde(default)]
    pub downloads: Vec<Download>,
    /// Opens this session's page and nothing else (`<path>?key=<key>`): a link to hand out in
    /// place of the token. Empty when the service has no token.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub key: String,
}

/// Which Firefox profile a session runs on.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Profile {
    /// A fresh profile in the session directory, deleted with it.
    #[default]
    Temporary,
    /// `<home>/profile`, kept across sessions; one session at a time.
    Persistent,
}

/// Which way text may cross between the user's browser and Firefox.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Clipboard {
    #[default]
    Both,
    /// From the user's browser into Firefox only.
    ToFirefox,
    /// From Firefox out to the user's browser only.
    FromFirefox,
    Off,
}

impl Clipboard {
    pub const ALL: [Self; 4] = [Self::Both, Self::ToFirefox, Self::FromFirefox, Self::Off];

    pub fn name(self) -> &'static str {
        match self {
            Self::Both => "both",
            Self::ToFirefox => "to-firefox",
            Self::FromFirefox => "from-firefox",
            Self::Off => "off",
        }
    }
}

impl std::str::FromStr for Clipboard {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Self::ALL.into_iter().find(|c| c.name() == s).ok_or_else(|| format!("{s:?} is not one of both, to-firefox, from-firefox, off"))
    }
}

/// A download Firefox finished, moved into the downloads folder.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Download {
    /// The file's name in the folder (the web site chose it: untrusted text).
    pub name: String,
    /// Absolute.
    pub path: String,
    pub size: u64,
    /// RFC 3339.
    pub finished_at: String,
}

/// The answer to `GET /api/sessions/{port}/downloads`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DownloadList {
    pub downloads: Vec<Download>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionList {
    pub sessions: Vec<SessionView>,
}

/// The body of `POST /api/sessions`; an empty body means all defaults.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateRequest {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub profile: Option<Profile>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub clipboard: Option<Clipboard>,
    /// `false`: no sound for this session (the service's default is on where the machine can).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub audio: Option<bool>,
    /// An absolute directory for finished downloads, instead of the service's.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub downloads: Option<String>,
}

/// What a session's Firefox shows: `GET /api/sessions/{port}/page`, and the answer to a goto.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PageInfo {
    pub url: String,
    pub title: String,
    /// The tab is still loading (a session just started, a page navigating on its own).
    #[serde(default)]
    pub loading: bool,
}

/// The body of `POST /api/sessions/{port}/goto`: loads `url` in the session's tab and answers
/// once it has loaded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GotoRequest {
    pub url: String,
}

/// The body of `POST /api/sessions/{port}/evaluate`: JavaScript run in the session's page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EvaluateRequest {
    pub source: String,
}

/// The answer to an evaluate: the value as JSON, and where it ran: `page` (the page's own
/// world, its globals visible) or `isolated` (the page's CSP forbids eval there: the DOM only).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EvaluateResult {
    pub value: serde_json::Value,
    pub world: String,
}

/// Something JupyterLab should do for the user, asked from code: `show` (open or focus the tab
/// of the session on `port`: `s.show()`, a link opened by a kernel's `webbrowser`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Event {
    pub id: u64,
    #[serde(rename = "type")]
    pub kind: String,
    pub port: u16,
}

/// The answer to `GET /api/events?after=ID`: the events after `ID` (waited for when there are
/// none yet), and the id to ask after next.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventList {
    pub events: Vec<Event>,
    pub last: u64,
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
