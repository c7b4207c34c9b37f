//! `firefox-launcher doctor`: what a session needs on this machine, checked one by one, each
//! missing piece named with the package that provides it on Debian/Ubuntu and on RHEL-likes.
//!
//! A wheel installs the sidecar anywhere, but Xpra, Xvfb and Firefox come from the system; a
//! start that fails for one of them is a poor way to learn which. The checks run the tools the
//! way a session does (the same paths and `PATH`), with a timeout each.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use serde::Serialize;

/// Below this, Firefox's content processes and Xvfb's shared memory run out (Docker's default
/// is 64 MiB).
const MIN_SHM: u64 = 256 * 1024 * 1024;
const TOOL_TIMEOUT: Duration = Duration::from_secs(10);

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Ok,
    /// Sessions cannot start without it.
    Missing,
    /// Sessions start, but something will not work well.
    Warning,
}

#[derive(Debug, Clone, Serialize)]
pub struct Check {
    pub name: &'static str,
    pub status: Status,
    /// What was found (a version and path), or what is wrong.
    pub detail: String,
    /// How to fix it, when it is not ok.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub fix: String,
}

/// Where the pieces are expected (`serve`'s own flags).
pub struct Setup<'a> {
    pub xpra: &'a Path,
    pub firefox: Option<&'a Path>,
}

/// Every check, in the order a session needs them.
pub fn run(setup: &Setup<'_>) -> Vec<Check> {
    let firefox = setup.firefox.map(Path::to_owned).or_else(fl_session::find_firefox);
    vec![
        xpra(setup.xpra),
        tool("Xvfb", on_path("Xvfb"), &[], ("xvfb", "xorg-x11-server-Xvfb")),
        tool("xauth", on_path("xauth"), &[], ("xauth", "xorg-x11-xauth")),
        tool("Firefox", firefox, &["--version"], ("firefox-esr", "firefox")),
        python_modules(setup.xpra),
        shared_memory(Path::new("/dev/shm")),
        own_client(fl_session_page::Page::embedded().map(fl_session_page::Page::len)),
        sound(fl_session::sound::missing()),
    ]
}

/// Sound is optional: without it sessions start silent (and `serve` logs why).
fn sound(missing: Option<String>) -> Check {
    const NAME: &str = "sound";
    match missing {
        None => ok(NAME, "pulseaudio, pactl and GStreamer for Xpra: sessions forward Firefox's sound".into()),
        Some(why) => Check {
            name: NAME,
            status: Status::Warning,
            detail: format!("sessions will be silent: {why}"),
            fix: "install it: `apt install pulseaudio python3-gst-1.0 gstreamer1.0-plugins-base gstreamer1.0-plugins-good` (Debian, Ubuntu) or `dnf install pulseaudio pulseaudio-utils python3-gobject gstreamer1-plugins-base gstreamer1-plugins-good` (RHEL, Rocky, Fedora)".into(),
        },
    }
}

/// Xpra, and whether sessions run on its version (3.1 to 6.x).
fn xpra(path: &Path) -> Check {
    const PACKAGES: (&str, &str) = ("xpra", "xpra");
    if !fl_session::is_executable(path) {
        return missing("xpra", "not found (not on PATH, or not executable where configured)".into(), PACKAGES);
    }
    match fl_session::XpraVersion::detect(path, None) {
        Ok(version) => ok("xpra", format!("xpra {version}, supported ({})", path.display())),
        Err(e @ fl_session::VersionError::Unsupported { .. }) => Check {
            name: "xpra",
            status: Status::Missing,
            detail: e.to_string(),
            fix: "install xpra 3.1 (Debian 12's `xpra`) or 4.x to 6.x (xpra.org's packages), or point --xpra at one".into(),
        },
        Err(e) => missing("xpra", e.to_string(), PACKAGES),
    }
}

fn ok(name: &'static str, detail: String) -> Check {
    Check { name, status: Status::Ok, detail, fix: String::new() }
}

fn missing(name: &'static str, detail: String, (debian, rhel): (&str, &str)) -> Check {
    Check { name, status: Status::Missing, detail, fix: format!("install it: `apt install {debian}` (Debian, Ubuntu) or `dnf install {rhel}` (RHEL, Rocky, Fedora)") }
}

fn on_path(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path).map(|dir| dir.join(name)).find(|p| fl_session::is_executable(p))
}

/// An executable that must exist; with `version_args`, also its first line of output.
fn tool(name: &'static str, path: Option<PathBuf>, version_args: &[&str], packages: (&str, &str)) -> Check {
    let Some(path) = path.filter(|p| fl_session::is_executable(p)) else {
        return missing(name, "not found (not on PATH, or not executable where configured)".into(), packages);
    };
    if version_args.is_empty() {
        return ok(name, path.display().to_string());
    }
    match output(Command::new(&path).args(version_args)) {
        Ok(text) => ok(name, format!("{} ({})", text.lines().next().unwrap_or("").trim(), path.display())),
        Err(e) => missing(name, format!("{} does not run: {e}", path.display()), packages),
    }
}

/// Xpra encodes pictures with Pillow and compresses with lz4, in the Python it runs under.
fn python_modules(xpra: &Path) -> Check {
    const NAME: &str = "Python modules of xpra";
    let interpreter = std::fs::read_to_string(xpra)
        .ok()
        .and_then(|script| script.lines().next().and_then(|l| l.strip_prefix("#!")).map(|l| l.trim().to_owned()))
        .unwrap_or_else(|| "python3".into());
    let mut words = interpreter.split_whitespace();
    let Some(program) = words.next() else { return missing(NAME, "cannot tell xpra's Python".into(), ("python3", "python3")) };
    let probe = "import PIL, lz4; print('Pillow', PIL.__version__)";
    match output(Command::new(program).args(words).args(["-c", probe])) {
        Ok(text) => ok(NAME, format!("{} ({interpreter})", text.trim())),
        Err(e) => missing(NAME, format!("{interpreter} cannot import PIL and lz4: {e}"), ("python3-pil python3-lz4", "python3-pillow python3-lz4")),
    }
}

fn shared_memory(shm: &Path) -> Check {
    const NAME: &str = "/dev/shm";
    match fl_sys::filesystem_size(shm) {
        Ok(size) if size >= MIN_SHM => ok(NAME, format!("{} MiB", size >> 20)),
        Ok(size) => Check {
            name: NAME,
            status: Status::Warning,
            detail: format!("only {} MiB: Firefox tabs may crash", size >> 20),
            fix: "give it at least 256 MiB (Docker: --shm-size=1g; Kubernetes: a memory emptyDir on /dev/shm)".into(),
        },
        Err(e) => Check { name: NAME, status: Status::Warning, detail: format!("cannot stat it: {e}"), fix: "mount a tmpfs on /dev/shm".into() },
    }
}

/// Our own client is built into the binary: there, or the binary was built without it.
fn own_client(files: Result<usize, fl_session_page::PageError>) -> Check {
    const NAME: &str = "session page";
    match files {
        Ok(files) => ok(NAME, format!("firefox-launcher's own client, built in ({files} files)")),
        Err(e) => Check { name: NAME, status: Status::Missing, detail: e.to_string(), fix: "build the binary with scripts/build-client run first (scripts/wheel and pip do)".into() },
    }
}

/// The tool's stdout (or stderr, where some print their version), or why it failed.
fn output(command: &mut Command) -> Result<String, String> {
    let mut child = command.stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().map_err(|e| e.to_string())?;
    let deadline = std::time::Instant::now() + TOOL_TIMEOUT;
    while child.try_wait().map_err(|e| e.to_string())?.is_none() {
        if std::time::Instant::now() >= deadline {
            let _ = child.kill();
            let _ = child.wait();
            return Err(format!("no answer within {TOOL_TIMEOUT:?}"));
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let out = child.wait_with_output().map_err(|e| e.to_string())?;
    let text = if out.stdout.is_empty() { out.stderr } else { out.stdout };
    let text = String::from_utf8_lossy(&text).into_owned();
    if out.status.success() { Ok(text) } else { Err(format!("{}: {}", out.status, text.trim())) }
}

/// The checks as text, one per line, and whether every required piece is there.
pub fn render(checks: &[Check]) -> (String, bool) {
    let mut text = String::new();
    for c in checks {
        let label = match c.status {
            Status::Ok => "ok",
            Status::Missing => "MISSING",
            Status::Warning => "warning",
        };
        text.push_str(&format!("{label:<8} {}: {}\n", c.name, c.detail));
        if !c.fix.is_empty() {
            text.push_str(&format!("         → {}\n", c.fix));
        }
    }
    (text, !checks.iter().any(|c| c.status == Status::Missing))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_tool_is_named_with_its_packages() {
        let check = tool("xpra", Some("/nonexistent/xpra".into()), &["--version"], ("xpra", "xpra"));
        assert_eq!(check.status, Status::Missing);
        assert!(check.fix.contains("apt install xpra") && check.fix.contains("dnf install xpra"), "{}", check.fix);
        let (text, all_there) = render(&[check]);
        assert!(!all_there);
        assert!(text.starts_with("MISSING  xpra: not found"), "{text}");
    }

    #[test]
    fn a_present_tool_reports_its_version_line() {
        let check = tool("sh", Some("/bin/sh".into()), &["-c", "echo 'tool 1.2\nmore'"], ("sh", "sh"));
        assert_eq!((check.status, check.detail.as_str()), (Status::Ok, "tool 1.2 (/bin/sh)"));
    }

    #[test]
    fn a_binary_built_without_its_client_says_so() {
        let missing = own_client(Err(fl_session_page::PageError::NotBuilt));
        assert_eq!(missing.status, Status::Missing);
        assert!(missing.detail.contains("npm run bundle"), "{}", missing.detail);
        let there = own_client(Ok(12));
        assert_eq!((there.status, there.detail.as_str()), (Status::Ok, "firefox-launcher's own client, built in (12 files)"));
    }

    #[test]
    fn missing_sound_is_a_warning_that_names_the_packages() {
        let silent = sound(Some("`pulseaudio` is not on PATH (Debian package pulseaudio)".into()));
        assert_eq!(silent.status, Status::Warning, "sessions still start");
        assert!(silent.detail.starts_with("sessions will be silent: `pulseaudio`"), "{}", silent.detail);
        assert!(silent.fix.contains("python3-gst-1.0"), "{}", silent.fix);
        assert_eq!(sound(None).status, Status::Ok);
    }
}
