//! What every session of one service is started with.

use std::path::PathBuf;
use std::sync::Arc;

use fl_sys::OwnChildren;
use std::time::Duration;

#[derive(Debug, Clone)]
pub struct SessionConfig {
    /// The `xpra` executable (Debian's `/usr/bin/xpra` by default; a fake one in fault tests).
    pub xpra: PathBuf,
    /// The Firefox executable that Xpra starts as its child.
    pub firefox: PathBuf,
    /// How long a start may take before it is abandoned (504).
    pub ready_timeout: Duration,
    /// Between SIGTERM and SIGKILL when a session is stopped.
    pub grace: Duration,
    /// Whether "ready" waits for Firefox's X11 window. Always on in production; off only for a
    /// fake xpra that has no X server.
    pub require_window: bool,
    /// Children spawned by this service, so the orphan reaper leaves them to their owners.
    pub children: Arc<OwnChildren>,
    /// Names of the service's environment passed to sessions besides the allowlist (`--pass-env`);
    /// refused names are dropped all the same.
    pub pass_env: Vec<String>,
    /// How Xpra encodes the picture.
    pub picture: crate::Picture,
    /// `xpra`'s version, once read ([`SessionConfig::xpra_version`]).
    pub xpra_version: Arc<std::sync::OnceLock<crate::XpraVersion>>,
}

/// Finds Firefox on `PATH`: `firefox`, then `firefox-esr`.
pub fn find_firefox() -> Option<PathBuf> {
    ["firefox", "firefox-esr"].iter().find_map(|name| find_on_path(name))
}

/// The first executable `name` in a directory of `PATH`.
pub fn find_on_path(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path).map(|dir| dir.join(name)).find(|p| is_executable(p))
}

pub fn is_executable(path: &std::path::Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

impl SessionConfig {
    /// Defaults: Debian's xpra, the first Firefox on `PATH`, 60 s to start, 3 s of grace.
    pub fn with_defaults() -> Self {
        Self {
            xpra: PathBuf::from("/usr/bin/xpra"),
            firefox: find_firefox().unwrap_or_else(|| PathBuf::from("firefox")),
            ready_timeout: Duration::from_secs(60),
            grace: Duration::from_secs(3),
            require_window: true,
            children: Arc::default(),
            pass_env: Vec::new(),
            picture: crate::Picture::default(),
            xpra_version: Arc::default(),
        }
    }

    /// The version of `xpra`, read the first time it is asked for and kept once it is one we
    /// support; an error (missing, unreadable, unsupported) is asked again next time, since the
    /// binary may be installed or replaced meanwhile. Blocking: it may run `xpra --version`.
    pub fn xpra_version(&self) -> Result<crate::XpraVersion, crate::VersionError> {
        if let Some(version) = self.xpra_version.get() {
            return Ok(*version);
        }
        let version = crate::XpraVersion::detect(&self.xpra, Some(&self.children))?;
        Ok(*self.xpra_version.get_or_init(|| version))
    }
}
