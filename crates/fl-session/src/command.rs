//! The Xpra command line of a session, built from facts measured on Debian's xpra 3.1.
//!
//! Each flag is here for a reason that is easy to lose: `--daemon=no` and `--systemd-run=no` keep
//! Xpra in the process group we give it; the D-Bus flags stop Firefox from starting a dbus-daemon
//! that escapes the group; empty conf dirs stop Debian's `/etc/xpra` from running an Xsession;
//! `--displayfd` lets Xvfb pick a display no other session uses. Xpra listens on one unix socket
//! in the session's 0700 directory, which is what the proxy talks to, and on no TCP port: every
//! local user can reach a loopback port, and Xpra's answered HTTP (`/Info`, `/Status`) before any
//! password. Nothing secret is on the command line, which every local user can read: Firefox
//! opens the session's start page, a file that holds the address (see `Layout::start_page`).

use std::ffi::OsString;
use std::path::Path;

use crate::layout::{Layout, shlex_quote};

/// The fd number on which Xpra (and through it Xvfb) writes the display it picked.
pub const DISPLAY_FD: i32 = 3;

/// The environment variable that marks every process of a session, so teardown finds the ones
/// that left its process group (Xvfb, `setsid` descendants). Not a secret; named outside
/// `FIREFOX_LAUNCHER_*`, which never reaches a session (see `env`).
pub const MARKER_ENV: &str = "FL_SESSION_MARKER";

pub struct XpraCommand<'a> {
    pub version: crate::XpraVersion,
    /// The `xpra` executable (Xpra 3.1 needs telling how to run itself again, see [`crate::sound`]).
    pub xpra: &'a Path,
    pub firefox: &'a Path,
    pub layout: &'a Layout,
    pub profile: &'a Path,
    pub clipboard: fl_api::Clipboard,
    /// Firefox's sound forwarded from a PulseAudio of the session's own ([`crate::sound`]).
    pub audio: bool,
    pub picture: &'a crate::Picture,
    pub marker: &'a str,
}

impl XpraCommand<'_> {
    fn start_child(&self) -> String {
        let profile = self.profile;
        format!(
            "{} --no-remote --new-instance --profile {} {}",
            shlex_quote(&self.firefox.to_string_lossy()),
            shlex_quote(&profile.to_string_lossy()),
            shlex_quote(&format!("file://{}", self.layout.start_page().display())),
        )
    }

    fn xvfb(&self) -> String {
        format!(
            "Xvfb +extension GLX +extension Composite -screen 0 3840x2160x24+32 -dpi 96 \
             -nolisten tcp -noreset -auth {}",
            shlex_quote(&self.layout.xauthority().to_string_lossy())
        )
    }

    /// Xpra's own web server. The browser reaches Xpra only through the websocket the service
    /// relays; Xpra 3.1 answers a websocket upgrade only with its web server on, so there it
    /// serves a placeholder (never its unpatched client); 4.x and later upgrade without it.
    fn html(&self) -> String {
        if self.version.is_modern() { "--html=off".into() } else { format!("--html={}", self.layout.xpra_www().display()) }
    }

    pub fn args(&self) -> Vec<OsString> {
        let l = self.layout;
        let path = |p: std::path::PathBuf| p.into_os_string().into_string().unwrap_or_default();
        let mut args: Vec<String> = vec![
            "start".into(),
            format!("--bind={}", path(l.xpra_socket())),
            self.html(),
            format!("--displayfd={DISPLAY_FD}"),
            format!("--start-child={}", self.start_child()),
            "--exit-with-children=yes".into(),
            "--terminate-children=yes".into(),
            "--start-env=DBUS_SESSION_BUS_ADDRESS=disabled:".into(),
            "--start-env=MOZ_CRASHREPORTER_DISABLE=1".into(),
            "--dbus-launch=".into(),
            "--dbus-control=no".into(),
            "--daemon=no".into(),
            "--systemd-run=no".into(),
            "--mdns=no".into(),
            "--notifications=no".into(),
            "--webcam=no".into(),
            "--printing=no".into(),
            "--file-transfer=no".into(),
            "--start-new-commands=no".into(),
            "--open-files=no".into(),
            "--open-url=no".into(),
            // Xpra enforces the direction itself: a client page cannot ask for more.
            format!("--clipboard={}", if self.clipboard == fl_api::Clipboard::Off { "no" } else { "yes" }),
            format!("--clipboard-direction={}", clipboard_direction(self.clipboard)),
            format!("--socket-dirs={}", path(l.sockets())),
            format!("--log-dir={}", path(l.root.clone())),
            format!("--xvfb={}", self.xvfb()),
        ];
        if !self.version.is_modern() {
            // Xpra 4 dropped the option (and its D-Bus proxy with it).
            args.push("--dbus-proxy=no".into());
        }
        args.extend(crate::sound::xpra_args(l, self.audio, self.marker));
        args.extend(self.picture.xpra_args());
        args.into_iter().map(OsString::from).collect()
    }

    /// Environment entries set on top of the allowlisted part of the service's own.
    pub fn env(&self) -> Vec<(&'static str, OsString)> {
        let mut env = self.base_env();
        // Xpra 6 loads the XKB rules it sets a browser's layout with from `sys.prefix`'s
        // share/X11/xkb, which an xpra built into a virtualenv (or /opt) does not have: there it
        // fails to set the layout, says only "failed to set exact keymap", and types with a US
        // map (measured on 6.5.5: no ä on a German keyboard). The system's rules are the ones a
        // packaged xpra reads anyway.
        if self.version.is_modern() && Path::new(XKB_RULES).is_dir() {
            env.push(("XPRA_XKB_CONFIG_ROOT", XKB_RULES.into()));
        }
        env.extend(crate::sound::env(self.layout, self.audio, self.version, self.xpra));
        env
    }

    fn base_env(&self) -> Vec<(&'static str, OsString)> {
        let l = self.layout;
        vec![
            (MARKER_ENV, self.marker.into()),
            ("XAUTHORITY", l.xauthority().into()),
            ("XPRA_SYSTEM_CONF_DIRS", l.conf().into()),
            ("XPRA_USER_CONF_DIRS", l.conf().into()),
            ("XDG_CACHE_HOME", l.xdg("cache").into()),
            ("XDG_CONFIG_HOME", l.xdg("config").into()),
            ("XDG_DATA_HOME", l.xdg("data").into()),
            ("XDG_RUNTIME_DIR", l.xdg("runtime").into()),
            ("DBUS_SESSION_BUS_ADDRESS", "disabled:".into()),
            // Xpra 6 run as root waits up to 5 s for the system bus's socket, then starts the
            // system's `dbus-daemon --system --fork` itself (a machine-wide daemon outside the
            // session) and waits 5 s more: sessions of root (CI, containers) took 15 s to start
            // instead of 5. No session needs the system bus. Older Xpra ignores the variable.
            ("XPRA_SYSTEM_DBUS", "0".into()),
            // Where the session's sound server listens (inside its own runtime directory); without
            // sound none does, and Firefox finds none. Set all the same: without PULSE_SERVER,
            // libpulse in a process of a user other than root autospawns `pulseaudio --start`,
            // which daemonizes out of the session's process group and outlives it.
            ("PULSE_SERVER", crate::sound::server_address(l)),
            // Where the control extension's native host listens (Firefox passes its environment on).
            (fl_control::SOCKET_ENV, l.control_socket().into()),
            // Xpra 3.1 reads the keymap through the core protocol unless told otherwise, and
            // mistakes AltGr's level there (the fifth column) for a second group's: a character
            // on AltGr ('[' on a German layout) typed without AltGr held came out as the base
            // one ('8'). With XKB it reads the levels as they are and adds AltGr itself.
            ("XPRA_XKB", "1".into()),
        ]
    }
}

/// Where Debian (and every distribution packaging xkeyboard-config) keeps the XKB rules.
const XKB_RULES: &str = "/usr/share/X11/xkb";

/// Xpra's words: the server is Firefox's side, the client the user's browser.
fn clipboard_direction(clipboard: fl_api::Clipboard) -> &'static str {
    match clipboard {
        fl_api::Clipboard::Both => "both",
        fl_api::Clipboard::ToFirefox => "to-server",
        fl_api::Clipboard::FromFirefox => "to-client",
        fl_api::Clipboard::Off => "disabled",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xpra_4_and_later_run_without_their_web_server() {
        let layout = Layout::new("/s".into());
        let html = |major| {
            let command = XpraCommand { version: crate::XpraVersion { major, minor: 1, patch: 0 }, ..command(&layout) };
            command.args().into_iter().filter(|a| a.to_string_lossy().starts_with("--html=")).collect::<Vec<_>>()
        };
        assert_eq!(html(3), ["--html=/s/www"]);
        assert_eq!(html(6), ["--html=off"]);
    }

    #[test]
    fn sound_is_disabled_and_no_sound_server_is_autospawned() {
        let layout = Layout::new("/s".into());
        let command = command(&layout);
        let args: Vec<_> = command.args().into_iter().map(|a| a.to_string_lossy().into_owned()).collect();
        assert!(args.iter().any(|a| a == "--speaker=no") && args.iter().any(|a| a == "--microphone=no"), "{args:?}");
        let env = command.env();
        let pulse = env.iter().find(|(name, _)| *name == "PULSE_SERVER").map(|(_, v)| v.clone());
        assert_eq!(pulse, Some(OsString::from("unix:/s/xdg/runtime/pulse/native")));
        assert!(!env.iter().any(|(name, _)| *name == "XPRA_PRIVATE_PULSEAUDIO"), "{env:?}");
    }

    #[test]
    fn with_sound_xpra_starts_our_pulseaudio_and_forwards_the_speaker_only() {
        let layout = Layout::new("/s".into());
        let command = XpraCommand { audio: true, ..command(&layout) };
        let args: Vec<_> = command.args().into_iter().map(|a| a.to_string_lossy().into_owned()).collect();
        for expected in ["--pulseaudio=yes", "--speaker=on", "--microphone=no"] {
            assert!(args.iter().any(|a| a == expected), "{expected}: {args:?}");
        }
        assert!(args.iter().any(|a| a.starts_with("--pulseaudio-command=env FL_SESSION_MARKER='m' XDG_RUNTIME_DIR='/s/xdg/runtime' ")), "{args:?}");
        let env = command.env();
        assert!(env.iter().any(|(name, value)| *name == "XPRA_PRIVATE_PULSEAUDIO" && value == "0"), "{env:?}");
    }

    #[test]
    fn xpra_never_starts_the_system_s_dbus_daemon() {
        let layout = Layout::new("/s".into());
        let env = command(&layout).env();
        assert!(env.iter().any(|(name, value)| *name == "XPRA_SYSTEM_DBUS" && value == "0"), "{env:?}");
    }

    #[test]
    fn xpra_6_reads_the_system_s_xkb_rules() {
        let layout = Layout::new("/s".into());
        let root = |major| {
            let command = XpraCommand { version: crate::XpraVersion { major, minor: 5, patch: 5 }, ..command(&layout) };
            command.env().into_iter().find(|(name, _)| *name == "XPRA_XKB_CONFIG_ROOT").map(|(_, v)| v)
        };
        assert_eq!(root(6), Some(OsString::from(XKB_RULES)), "Debian has {XKB_RULES}");
        assert_eq!(root(3), None);
    }

    fn command(layout: &Layout) -> XpraCommand<'_> {
        XpraCommand {
            xpra: Path::new("/usr/bin/xpra"),
            version: crate::XpraVersion { major: 3, minor: 1, patch: 3 },
            firefox: Path::new("/f"),
            layout,
            profile: Path::new("/s/profile"),
            clipboard: fl_api::Clipboard::Both,
            audio: false,
            picture: &DEFAULT_PICTURE,
            marker: "m",
        }
    }

    static DEFAULT_PICTURE: std::sync::LazyLock<crate::Picture> = std::sync::LazyLock::new(crate::Picture::default);

    #[test]
    fn the_session_sets_no_name_the_allowlist_refuses() {
        let layout = Layout::new("/s".into());
        let command = command(&layout);
        for (name, _) in command.env() {
            assert!(!crate::env::is_refused_env(name), "{name}");
        }
    }
}
