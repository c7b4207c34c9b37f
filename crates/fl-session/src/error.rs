use std::path::PathBuf;
use std::time::Duration;

/// Why a session could not be started. Every variant names the port, and a start that fails
/// has already removed everything it created.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("session directory {path} already exists")]
    DirExists { port: u16, path: PathBuf },
    #[error("failed to prepare session directory {path}: {source}")]
    Prepare {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error(transparent)]
    Fs(#[from] fl_sys::FsError),
    #[error("failed to spawn {program} for port {port}: {source}")]
    Spawn {
        program: PathBuf,
        port: u16,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot start a session on port {port}: {source}")]
    Xpra {
        port: u16,
        #[source]
        source: crate::VersionError,
    },
    #[error("xpra for port {port} exited before the session was ready ({status}); xpra log:\n{log}")]
    Exited { port: u16, status: String, log: String },
    #[error("session on port {port} was not ready after {:.1} s; xpra log:\n{log}", .after.as_secs_f64())]
    Timeout { port: u16, after: Duration, log: String },
}
