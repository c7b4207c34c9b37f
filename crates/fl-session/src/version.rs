//! Which Xpra a service runs, and whether sessions can run on it.
//!
//! Debian 12 ships Xpra 3.1; Debian 13 ships none, and clusters install 5.x or 6.x from
//! xpra.org. Their command lines differ (6.x has no `--dbus-proxy`, for one), so the version is
//! read once from `xpra --version` and the command line is built for it ([`crate::command`]).
//! A version outside the supported range is refused with a sentence at start, never turned into
//! a session that half works.

use std::path::Path;
use std::time::Duration;

/// `xpra --version` answers within this (it is a Python start-up).
const VERSION_TIMEOUT: Duration = Duration::from_secs(20);

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct XpraVersion {
    pub major: u32,
    pub minor: u32,
    pub patch: u32,
}

#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum VersionError {
    #[error("could not run {path} --version: {why}")]
    Run { path: String, why: String },
    #[error("{path} --version said {said:?}, which names no xpra version")]
    Unreadable { path: String, said: String },
    #[error("{path} is xpra {version}, which firefox-launcher does not support: use xpra 3.1 to 6.x")]
    Unsupported { path: String, version: XpraVersion },
}

impl std::fmt::Display for XpraVersion {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}.{}.{}", self.major, self.minor, self.patch)
    }
}

impl XpraVersion {
    /// Reads `xpra v3.1.3` or `xpra v6.5.5-r0` (the first line of `xpra --version`).
    pub fn parse(said: &str) -> Option<Self> {
        let word = said.split_whitespace().find_map(|w| w.strip_prefix('v'))?;
        let mut numbers = word.split(['.', '-']).map(|n| n.parse::<u32>().ok());
        Some(Self { major: numbers.next()??, minor: numbers.next()??, patch: numbers.next().flatten().unwrap_or(0) })
    }

    /// Xpra 3.1 (Debian 12) up to 6.x.
    pub fn is_supported(&self) -> bool {
        (3..=6).contains(&self.major) && !(self.major == 3 && self.minor < 1)
    }

    /// Xpra 4 and later: what changed since 3.1 for our command line.
    pub(crate) fn is_modern(&self) -> bool {
        self.major >= 4
    }

    /// Runs `xpra --version` (blocking) and checks the answer. In `serve`, `children` is the
    /// service's own list, so that its orphan reaper leaves this child to us.
    pub fn detect(xpra: &Path, children: Option<&fl_sys::OwnChildren>) -> Result<Self, VersionError> {
        let path = xpra.display().to_string();
        let run_error = |why: String| VersionError::Run { path: path.clone(), why };
        let mut command = std::process::Command::new(xpra);
        command.arg("--version").stdin(std::process::Stdio::null()).stdout(std::process::Stdio::piped()).stderr(std::process::Stdio::null());
        let spawned = match children {
            Some(children) => children.spawn(|| command.spawn(), |c| Some(c.id())),
            None => command.spawn(),
        };
        let child = spawned.map_err(|e| run_error(e.to_string()))?;
        let pid = child.id();
        let said = wait_for_output(child).map_err(run_error);
        if let Some(children) = children {
            children.release(pid);
        }
        let first = said?.lines().next().unwrap_or("").trim().to_owned();
        let version = Self::parse(&first).ok_or_else(|| VersionError::Unreadable { path: path.clone(), said: first })?;
        if !version.is_supported() {
            return Err(VersionError::Unsupported { path, version });
        }
        Ok(version)
    }
}

/// The child's standard output once it exits, within [`VERSION_TIMEOUT`] (else it is killed).
fn wait_for_output(mut child: std::process::Child) -> Result<String, String> {
    let deadline = std::time::Instant::now() + VERSION_TIMEOUT;
    while child.try_wait().map_err(|e| e.to_string())?.is_none() {
        if std::time::Instant::now() >= deadline {
            let _ = child.kill();
            let _ = child.wait();
            return Err(format!("no answer within {} s", VERSION_TIMEOUT.as_secs()));
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let mut said = String::new();
    std::io::Read::read_to_string(&mut child.stdout.take().expect("piped"), &mut said).map_err(|e| e.to_string())?;
    Ok(said)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_are_read_from_what_xpra_says() {
        assert_eq!(XpraVersion::parse("xpra v3.1.3"), Some(XpraVersion { major: 3, minor: 1, patch: 3 }));
        assert_eq!(XpraVersion::parse("xpra v6.5.5-r0"), Some(XpraVersion { major: 6, minor: 5, patch: 5 }));
        assert_eq!(XpraVersion::parse("xpra v5.0"), Some(XpraVersion { major: 5, minor: 0, patch: 0 }));
        assert_eq!(XpraVersion::parse("command not found"), None);
        assert_eq!(XpraVersion::parse("xpra vX.1"), None);
    }

    #[test]
    fn three_one_to_six_are_supported() {
        let v = |major, minor| XpraVersion { major, minor, patch: 0 };
        assert!(v(3, 1).is_supported() && v(4, 4).is_supported() && v(5, 0).is_supported() && v(6, 5).is_supported());
        assert!(!v(3, 0).is_supported() && !v(2, 7).is_supported() && !v(7, 0).is_supported());
    }

    #[test]
    fn a_program_that_names_no_version_is_refused_with_what_it_said() {
        let err = XpraVersion::detect(Path::new("/bin/true"), None).unwrap_err();
        assert!(matches!(err, VersionError::Unreadable { .. }), "{err}");
        assert!(matches!(XpraVersion::detect(Path::new("/nonexistent/xpra"), None), Err(VersionError::Run { .. })));
    }
}
