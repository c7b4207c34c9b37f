//! The files of one session directory, `<home>/sessions/session-PORT`.
//!
//! Everything a session writes stays inside it: Firefox's profile, Xpra's log, sockets and config
//! dirs, the X authority file, and the XDG cache/config/runtime dirs, so removing the directory
//! removes the session's every trace.

use std::io::Write;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

/// Paths inside a session directory.
#[derive(Debug, Clone)]
pub struct Layout {
    pub root: PathBuf,
}

/// Preferences that keep a fresh profile quiet and lean: no first-run or welcome pages, no
/// telemetry, no updates, one content process.
const USER_JS: &str = r#"// Written by firefox-launcher for this session only.
user_pref("browser.shell.checkDefaultBrowser", false);
user_pref("browser.startup.homepage_override.mstone", "ignore");
user_pref("startup.homepage_welcome_url", "");
user_pref("startup.homepage_welcome_url.additional", "");
user_pref("browser.aboutwelcome.enabled", false);
user_pref("trailhead.firstrun.didSeeAboutWelcome", true);
user_pref("browser.laterrun.enabled", false);
user_pref("browser.rights.3.shown", true);
user_pref("datareporting.policy.dataSubmissionEnabled", false);
user_pref("datareporting.healthreport.uploadEnabled", false);
user_pref("toolkit.telemetry.enabled", false);
user_pref("toolkit.telemetry.unified", false);
user_pref("toolkit.telemetry.archive.enabled", false);
user_pref("browser.newtabpage.activity-stream.feeds.telemetry", false);
user_pref("browser.newtabpage.activity-stream.telemetry", false);
user_pref("app.normandy.enabled", false);
user_pref("app.shield.optoutstudies.enabled", false);
user_pref("app.update.auto", false);
user_pref("app.update.enabled", false);
user_pref("extensions.update.enabled", false);
user_pref("extensions.pocket.enabled", false);
user_pref("browser.safebrowsing.malware.enabled", false);
user_pref("browser.safebrowsing.phishing.enabled", false);
user_pref("browser.safebrowsing.downloads.enabled", false);
user_pref("network.captive-portal-service.enabled", false);
user_pref("network.connectivity-service.enabled", false);
user_pref("browser.sessionstore.resume_from_crash", false);
user_pref("toolkit.startup.max_resumed_crashes", -1);
user_pref("dom.ipc.processCount", 1);
"#;

/// Xpra's own page, in place of its HTML5 client (see [`Layout::xpra_www`]).
const XPRA_PLACEHOLDER: &str = "<!DOCTYPE html><title>firefox-launcher</title>\n\
<p>This session is shown through firefox-launcher, not here.</p>\n";

/// Xpra reads `Name=value` lines (not `Name: value`).
const XPRA_HEADERS: &str = "Content-Security-Policy=default-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'\n\
X-Content-Type-Options=nosniff\n\
Referrer-Policy=no-referrer\n";

/// The control socket's name, as long as Xpra's (`xpra.sock`): where one fits, so does the other.
pub(crate) const CONTROL_SOCKET: &str = "ctl.sock";

impl Layout {
    pub fn new(root: PathBuf) -> Self {
        Self { root }
    }

    /// The fresh profile of a session that has no persistent one.
    pub fn profile(&self) -> PathBuf {
        self.root.join("profile")
    }
    /// Where Firefox saves downloads until they are finished and moved out (`fl-downloads`).
    pub fn downloads_staging(&self) -> PathBuf {
        self.root.join("downloads")
    }
    pub fn sockets(&self) -> PathBuf {
        self.root.join("sock")
    }
    /// Xpra's websocket (and on 3.1 its placeholder page), on a unix socket only we can reach.
    pub fn xpra_socket(&self) -> PathBuf {
        self.sockets().join("xpra.sock")
    }
    /// Where the control extension's native host listens (`fl-control`): beside Xpra's socket,
    /// and no longer, so a session whose Xpra socket fits in `sun_path` has a control socket too.
    pub fn control_socket(&self) -> PathBuf {
        self.sockets().join(CONTROL_SOCKET)
    }
    /// Empty on purpose: Debian's `/etc/xpra` adds a `start=` we must not run.
    pub fn conf(&self) -> PathBuf {
        self.root.join("conf")
    }
    /// Settings Xpra reads from [`Layout::conf`] (only what the command line cannot say).
    pub fn write_xpra_conf(&self, text: &str) -> std::io::Result<()> {
        create_private_file(&self.conf().join("xpra.conf"), text.as_bytes())
    }
    /// Xpra 3.1's sound process runs through this script (`xpra31_sound.py`: why).
    pub fn xpra31_sound_script(&self) -> PathBuf {
        self.root.join("xpra31-sound.py")
    }
    pub fn write_xpra31_sound_script(&self, text: &str) -> std::io::Result<()> {
        create_private_file(&self.xpra31_sound_script(), text.as_bytes())
    }
    pub fn xauthority(&self) -> PathBuf {
        self.root.join("Xauthority")
    }
    /// What Xpra 3.1's own web server serves (it upgrades websockets only with its web server
    /// on): a placeholder page, never Xpra's HTML5 client; the browser gets firefox-launcher's
    /// own client from the service. Xpra takes its response headers from the sibling
    /// `http-headers`; ours forbid everything to that page.
    pub fn xpra_www(&self) -> PathBuf {
        self.root.join("www")
    }
    fn xpra_http_headers(&self) -> PathBuf {
        self.root.join("http-headers")
    }
    pub fn log(&self) -> PathBuf {
        self.root.join("xpra.log")
    }
    pub fn xdg(&self, what: &str) -> PathBuf {
        self.root.join("xdg").join(what)
    }

    /// Creates the subdirectories (0700) and files a session needs, and writes the `user.js` of
    /// the profile Firefox runs on (`profile`: ours, or the persistent one, which may exist).
    /// The root must exist.
    pub fn populate(&self, profile: &Path, workspace: &Path) -> std::io::Result<()> {
        let mut dirs = std::fs::DirBuilder::new();
        dirs.recursive(true).mode(0o700);
        let own = [self.sockets(), self.conf(), self.xpra_www(), self.xpra_http_headers(), self.downloads_staging()];
        for dir in std::iter::once(profile.to_owned()).chain(own) {
            dirs.create(dir)?;
        }
        for what in ["cache", "config", "data", "runtime"] {
            dirs.create(self.xdg(what))?;
        }
        write_xauthority(&self.xauthority())?;
        create_private_file(&self.xpra_www().join("index.html"), XPRA_PLACEHOLDER.as_bytes())?;
        create_private_file(&self.xpra_http_headers().join("10_firefox_launcher.txt"), XPRA_HEADERS.as_bytes())?;
        create_private_file(&self.xdg("config").join("user-dirs.dirs"), self.user_dirs(workspace).as_bytes())?;
        fl_control::install_extension(profile)?;
        // Replaced, not created: a persistent profile keeps the last session's, which named
        // another staging directory.
        replace_file(&profile.join("user.js"), self.user_js().as_bytes())
    }

    fn user_js(&self) -> String {
        let staging = js_string(&self.downloads_staging());
        let downloads = [
            ("browser.download.folderList", "2".to_owned()),
            ("browser.download.dir", staging),
            ("browser.download.useDownloadDir", "true".to_owned()),
            ("browser.download.always_ask_before_handling_new_types", "false".to_owned()),
            ("browser.download.start_downloads_in_tmp_dir", "false".to_owned()),
        ];
        let mut js = format!("{USER_JS}{}// Downloads: no dialog, into the session's staging directory; moved out when finished.\n", fl_control::USER_PREFS);
        for (name, value) in downloads {
            js.push_str(&format!("user_pref(\"{name}\", {value});\n"));
        }
        js
    }

    /// GTK's file dialog opens in Firefox's "desktop" directory when a site has none remembered
    /// (Firefox reads `XDG_DESKTOP_DIR` from here): the workspace, so a page's file input starts
    /// where the user's notebooks and data are. Values are double-quoted with backslash escapes.
    fn user_dirs(&self, workspace: &Path) -> String {
        let quote = |p: &Path| {
            let mut quoted = String::from("\"");
            for c in p.to_string_lossy().chars() {
                if matches!(c, '"' | '\\' | '$' | '`') {
                    quoted.push('\\');
                }
                quoted.push(c);
            }
            quoted + "\""
        };
        let mut dirs = format!("XDG_DOWNLOAD_DIR={}\n", quote(&self.downloads_staging()));
        if !workspace.as_os_str().is_empty() {
            dirs.push_str(&format!("XDG_DESKTOP_DIR={}\n", quote(workspace)));
        }
        dirs
    }

    /// The page a pooled session's Firefox shows until it is claimed.
    pub fn start_page(&self) -> PathBuf {
        self.root.join("start.html")
    }

    /// Firefox always starts on this file, never on an address given on its command line: every
    /// local user reads every process's command line (`/proc/PID/cmdline`), and addresses carry
    /// one-time codes and tokens. A session started for an address gets a redirect to it
    /// ([`Layout::write_redirect_page`]) before Xpra starts.
    ///
    /// A warm session's Firefox waits on a local page that reloads itself a few times a second;
    /// claiming the session replaces the file with a redirect to the requested URL. Firefox cannot
    /// be told a URL from outside once it runs (its remote control needs D-Bus, which we keep
    /// off, and Marionette would let any local user drive it), so the file is the channel.
    pub fn write_waiting_page(&self) -> std::io::Result<()> {
        replace_file(&self.start_page(), WAITING_PAGE.as_bytes())
    }

    pub fn write_redirect_page(&self, url: &str) -> std::io::Result<()> {
        let target = serde_json::to_string(url).expect("a string serializes").replace("</", "<\\/");
        let page = format!("<!DOCTYPE html><meta charset=utf-8><title>Firefox</title><script>location.replace({target})</script>\n");
        replace_file(&self.start_page(), page.as_bytes())
    }

    /// The last `max` bytes of Xpra's log, for error messages.
    pub fn log_tail(&self, max: usize) -> String {
        tail_of(&self.log(), max)
    }
}

const WAITING_PAGE: &str = "<!DOCTYPE html><meta charset=utf-8><title>Firefox</title>\
<script>setTimeout(function(){location.replace(location.pathname+'?'+Date.now())},250)</script>\n";

/// The X authority file, holding this session's cookie before its X server exists.
///
/// An X server whose `-auth` file has no entries lets every local user connect (it enables
/// "local access"), so an empty file, filled only once Xvfb has reported its display, left each
/// session open to anyone for its first second, and the connections stayed. The entry written
/// here matches any address and any display (family `FamilyWild`, empty display number): the
/// X server loads every entry of the file whatever it names, and clients (Xpra, Firefox)
/// take it for any display, since `-displayfd` decides the number later.
///
/// Xpra then adds a cookie of its own for the display it got. The X server reloads the file
/// only when its mtime, in whole seconds, is later than at the last load; a cookie added in the
/// same second as ours would never be loaded, and Xpra's clients, which find Xpra's entry first,
/// could not connect. So the file's mtime is set far in the past: any later write is newer.
fn write_xauthority(path: &Path) -> std::io::Result<()> {
    const FAMILY_WILD: u16 = 0xffff;
    let secret = fl_sys::random_secret()?;
    let cookie: Vec<u8> = (0..16).map(|i| u8::from_str_radix(&secret[2 * i..2 * i + 2], 16).expect("hex")).collect();
    let mut entry = FAMILY_WILD.to_be_bytes().to_vec();
    for field in [b"".as_slice(), b"", b"MIT-MAGIC-COOKIE-1", &cookie] {
        entry.extend_from_slice(&(field.len() as u16).to_be_bytes());
        entry.extend_from_slice(field);
    }
    create_private_file(path, &entry)?;
    let file = std::fs::File::options().write(true).open(path)?;
    file.set_modified(std::time::SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(1))
}

/// Writes `contents` to `path` atomically (0600 temp file, then rename).
fn replace_file(path: &Path, contents: &[u8]) -> std::io::Result<()> {
    let tmp = path.with_extension("tmp");
    let _ = std::fs::remove_file(&tmp);
    create_private_file(&tmp, contents)?;
    std::fs::rename(&tmp, path)
}

fn create_private_file(path: &Path, contents: &[u8]) -> std::io::Result<()> {
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)?
        .write_all(contents)
}

fn tail_of(path: &Path, max: usize) -> String {
    let Ok(bytes) = std::fs::read(path) else { return String::new() };
    let start = bytes.len().saturating_sub(max);
    String::from_utf8_lossy(&bytes[start..]).trim().to_owned()
}

/// A path as a JavaScript string literal (JSON's escaping is valid JavaScript).
fn js_string(path: &Path) -> String {
    serde_json::to_string(&path.to_string_lossy()).expect("a string serializes")
}

/// Quotes `s` for Python's `shlex.split`, which is how Xpra splits `--start-child`.
pub fn shlex_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoting_survives_quotes_spaces_and_shell_syntax() {
        assert_eq!(shlex_quote("a b"), "'a b'");
        assert_eq!(shlex_quote("it's;$(x)"), r"'it'\''s;$(x)'");
    }

    #[test]
    fn the_redirect_page_quotes_the_url_as_a_script_string() {
        let tmp = tempfile::tempdir().unwrap();
        let layout = Layout::new(tmp.path().to_owned());
        layout.write_waiting_page().unwrap();
        layout.write_redirect_page("https://x.example/?a=\"</script><script>alert(1)//").unwrap();
        let page = std::fs::read_to_string(layout.start_page()).unwrap();
        assert!(page.contains(r#"location.replace("https://x.example/?a=\"<\/script><script>alert(1)//")"#), "{page}");
        assert_eq!(page.matches("</script>").count(), 1);
    }

    #[test]
    fn populate_creates_private_dirs_and_a_quiet_profile() {
        use std::os::unix::fs::PermissionsExt;
        let tmp = tempfile::tempdir().unwrap();
        let layout = Layout::new(tmp.path().to_owned());
        layout.populate(&layout.profile(), Path::new(r#"/work/a "$b`\"#)).unwrap();
        let user_js = std::fs::read_to_string(layout.profile().join("user.js")).unwrap();
        assert!(user_js.contains("toolkit.telemetry.enabled\", false"));
        assert!(user_js.contains("xpinstall.signatures.required\", false"), "{user_js}");
        assert!(layout.profile().join("extensions").join(fl_control::EXTENSION_ID).join("manifest.json").is_file());
        let staging = format!("user_pref(\"browser.download.dir\", \"{}/downloads\");", tmp.path().display());
        assert!(user_js.contains(&staging), "{user_js}");
        let dirs = std::fs::read_to_string(layout.xdg("config").join("user-dirs.dirs")).unwrap();
        assert!(dirs.contains(r#"XDG_DESKTOP_DIR="/work/a \"\$b\`\\""#), "{dirs}");
        let mode = std::fs::metadata(layout.sockets()).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o700);
        assert!(layout.populate(&layout.profile(), Path::new("")).is_err(), "populating twice must not reuse files blindly");
    }
}
