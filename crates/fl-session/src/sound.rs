//! A session's own sound server (issue 22): a PulseAudio that Xpra starts inside the session, on a
//! unix socket in the session's 0700 runtime directory, from which Xpra forwards Firefox's sound
//! to the browser.
//!
//! Neither Xpra's default works for us (measured on 3.1.3 and 6.5.5): 3.1 creates its private
//! pulse directory with a non-recursive mkdir under `$XDG_RUNTIME_DIR/xpra`, which our layout does
//! not have, and refuses to start; 6.5 loads its microphone sink first, so Firefox plays into it
//! and the speaker forwards silence, and leaves `/tmp/pulse-*` and files in `$HOME` behind. So
//! the sidecar gives Xpra the whole command: one sink (the speaker, hence the default from the
//! first instant), the unix socket without cookie (the directory is the user's alone), no pid
//! file (two sessions of one user must not see each other), no daemonizing (it stays in Xpra's
//! process group and goes with it), no TCP module.

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use crate::layout::Layout;

/// `sun_path` holds 108 bytes with its terminating NUL.
const SUN_PATH_MAX: usize = 107;

/// What a session's sound needs on this machine, by executable and GObject typelib.
const PROGRAMS: [(&str, &str); 2] = [("pulseaudio", "pulseaudio"), ("pactl", "pulseaudio-utils")];
const TYPELIB: &str = "Gst-1.0.typelib";
const TYPELIB_DIRS: [&str; 3] = ["/usr/lib/x86_64-linux-gnu/girepository-1.0", "/usr/lib64/girepository-1.0", "/usr/lib/girepository-1.0"];

/// Why sessions cannot have sound on this machine, naming the Debian package to install; `None`
/// when they can. (Xpra's GStreamer elements come with `gstreamer1.0-plugins-base` and `-good`,
/// which `python3-gst-1.0`'s typelib does not pull in; Xpra itself reports those it lacks.)
pub fn missing() -> Option<String> {
    for (program, package) in PROGRAMS {
        if crate::config::find_on_path(program).is_none() {
            return Some(format!("`{program}` is not on PATH (Debian package {package})"));
        }
    }
    if !TYPELIB_DIRS.iter().any(|dir| Path::new(dir).join(TYPELIB).is_file()) {
        return Some(format!("GStreamer's {TYPELIB} is missing, so Xpra cannot capture sound (Debian package python3-gst-1.0)"));
    }
    None
}

/// The session's sound socket, `<runtime dir>/pulse/native` (where libpulse looks first too).
pub fn socket(layout: &Layout) -> PathBuf {
    layout.xdg("runtime").join("pulse").join("native")
}

/// libpulse's address of [`socket`]: every session's Firefox gets it, with sound or without
/// (without an address, libpulse of a user other than root autospawns a daemon of its own).
pub(crate) fn server_address(layout: &Layout) -> OsString {
    let mut address = OsString::from("unix:");
    address.push(socket(layout));
    address
}

/// Why this session cannot have sound although the machine can; `None` when it can.
pub(crate) fn unfit(layout: &Layout) -> Option<String> {
    let socket = socket(layout);
    let len = socket.as_os_str().len();
    (len > SUN_PATH_MAX).then(|| format!("its sound socket path is {len} bytes, more than a unix socket takes ({SUN_PATH_MAX}): {}", socket.display()))
}

/// Xpra's sound options: speaker forwarding from our PulseAudio, or nothing at all (`no`, not
/// `off`, which with GStreamer installed means "supported, not started").
///
/// `--av-sync=no`: once a sound stream has started, Xpra 3.1 holds every picture of a window
/// back by the sound encoder's latency (75 ms), even for a client that did not ask for A/V sync
/// (ours does not; 6.x syncs only for a client that asks). Typing and scrolling would lag by
/// that much, and the frames wait in a queue drained one per turn of its loop: a browser is
/// typed in more than it plays video, so pictures go out as soon as they are ready.
pub(crate) fn xpra_args(layout: &Layout, on: bool, marker: &str) -> Vec<String> {
    if !on {
        return vec!["--pulseaudio=no".into(), "--speaker=no".into(), "--microphone=no".into()];
    }
    vec![
        "--pulseaudio=yes".into(),
        "--speaker=on".into(),
        "--microphone=no".into(),
        "--av-sync=no".into(),
        format!("--pulseaudio-command={}", pulseaudio_command(layout, marker)),
    ]
}

/// Run without a shell (Xpra splits it like a shell would): `env` gives PulseAudio its runtime and
/// state directories inside the session, which neither Xpra version passes itself, and the
/// session's marker, which Xpra's own allowlist of PulseAudio's environment drops (so teardown
/// would not know it if it ever left the process group).
fn pulseaudio_command(layout: &Layout, marker: &str) -> String {
    let runtime = layout.xdg("runtime");
    let pulse = runtime.join("pulse");
    let quote = |p: &Path| crate::layout::shlex_quote(&p.to_string_lossy());
    format!(
        "env {marker_env}={marker} XDG_RUNTIME_DIR={runtime} PULSE_STATE_PATH={pulse} PULSE_CONFIG_PATH={pulse} \
         pulseaudio -n --daemonize=no --system=no --use-pid-file=no --exit-idle-time=-1 \
         --disable-shm=yes --log-target=stderr --log-level=2 \
         '--load=module-null-sink sink_name=Xpra-Speaker sink_properties=device.description=Xpra-Speaker' \
         {socket_module}",
        marker_env = crate::MARKER_ENV,
        marker = crate::layout::shlex_quote(marker),
        runtime = quote(&runtime),
        pulse = quote(&pulse),
        socket_module = crate::layout::shlex_quote(&format!(
            "--load=module-native-protocol-unix socket={} auth-cookie-enabled=0 auth-anonymous=1",
            socket(layout).display()
        )),
    )
}

/// Xpra's environment for a session with sound: our address stands (3.1 would set its private
/// one), no bell is played into the session at each stream start, and 3.1 runs its sound process
/// with its own interpreter, through [`Layout::xpra31_sound_script`].
pub(crate) fn env(layout: &Layout, on: bool, version: crate::XpraVersion, xpra: &Path) -> Vec<(&'static str, OsString)> {
    if !on {
        return Vec::new();
    }
    let mut env = vec![("XPRA_PRIVATE_PULSEAUDIO", "0".into()), ("XPRA_NEW_STREAM_SOUND", "0".into())];
    if !version.is_modern()
        && let Some(command) = sound_command(&layout.xpra31_sound_script(), xpra)
    {
        env.push(("XPRA_SOUND_COMMAND", command));
    }
    env
}

/// How Xpra 3.1 is to start its sound process. Left to itself it runs `python3.11 <xpra>` found
/// on PATH (the interpreter's name, not its path), and the first `python3.11` on a Jupyter
/// server's PATH is its virtualenv's, which has neither `xpra` nor `gi`: the sound query fails
/// ("failed to query sound subsystem") and the session has no sound. The interpreter that runs
/// the server is the one its script names; a Python one runs `script` (`xpra31_sound.py`), which
/// mends 3.1's sound queue and then runs Xpra. 6.x runs `sys.executable` itself. `None` when the
/// executable names no absolute interpreter (then Xpra's default is all there is).
fn sound_command(script: &Path, xpra: &Path) -> Option<OsString> {
    let interpreter = interpreter_of(xpra)?;
    let quote = |p: &Path| crate::layout::shlex_quote(&p.to_string_lossy());
    let python = interpreter.file_name().is_some_and(|n| n.to_string_lossy().starts_with("python"));
    let command = if python {
        format!("{} {} {}", quote(&interpreter), quote(script), quote(xpra))
    } else {
        format!("{} {}", quote(&interpreter), quote(xpra))
    };
    Some(command.into())
}

/// The absolute interpreter a script's `#!` line names (`#!/usr/bin/python3` → `/usr/bin/python3`).
fn interpreter_of(script: &Path) -> Option<PathBuf> {
    use std::io::Read;
    let mut head = [0u8; 256];
    let n = std::fs::File::open(script).and_then(|mut f| f.read(&mut head)).ok()?;
    let line = head[..n].strip_prefix(b"#!")?.split(|b| *b == b'\n').next()?;
    let first = std::str::from_utf8(line).ok()?.split_whitespace().next()?;
    let interpreter = Path::new(first);
    (interpreter.is_absolute() && interpreter.is_file()).then(|| interpreter.to_path_buf())
}

/// The session's `xpra.conf`: no configure commands (they set default sinks we do not have). On
/// the command line the option would add to Xpra's defaults instead of replacing them; 3.1 runs
/// each as a shell command, 6.x takes `none`.
fn xpra_conf(version: crate::XpraVersion, on: bool) -> Option<String> {
    on.then(|| format!("pulseaudio-configure-commands = {}\n", if version.is_modern() { "none" } else { "true" }))
}

/// Writes what a session's sound needs besides Xpra's command line: its `xpra.conf` and, on 3.1,
/// the script its sound process runs through. Fails with the path it could not write.
pub(crate) fn write_files(layout: &Layout, version: crate::XpraVersion, on: bool) -> Result<(), (PathBuf, std::io::Error)> {
    let Some(conf) = xpra_conf(version, on) else { return Ok(()) };
    layout.write_xpra_conf(&conf).map_err(|e| (layout.conf(), e))?;
    if !version.is_modern() {
        layout.write_xpra31_sound_script(XPRA31_SOUND).map_err(|e| (layout.xpra31_sound_script(), e))?;
    }
    Ok(())
}

/// `xpra31_sound.py`, which mends Xpra 3.1's sound queue (its docstring says how).
const XPRA31_SOUND: &str = include_str!("xpra31_sound.py");

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_socket_and_the_command_stay_inside_the_session() {
        let layout = Layout::new("/s".into());
        assert_eq!(socket(&layout), Path::new("/s/xdg/runtime/pulse/native"));
        assert_eq!(server_address(&layout), OsString::from("unix:/s/xdg/runtime/pulse/native"));
        let args = xpra_args(&layout, true, "m-1");
        let command = args.iter().find_map(|a| a.strip_prefix("--pulseaudio-command=")).unwrap();
        assert!(command.starts_with("env FL_SESSION_MARKER='m-1' XDG_RUNTIME_DIR='/s/xdg/runtime' "), "{command}");
        assert!(command.contains("socket=/s/xdg/runtime/pulse/native auth-cookie-enabled=0"), "{command}");
        assert!(command.contains("--daemonize=no") && command.contains("--use-pid-file=no"), "{command}");
        assert!(!command.contains("tcp"), "{command}");
        assert_eq!(xpra_args(&layout, false, "m-1"), ["--pulseaudio=no", "--speaker=no", "--microphone=no"]);
    }

    #[test]
    fn a_socket_path_too_long_for_a_unix_socket_turns_sound_off() {
        assert_eq!(unfit(&Layout::new("/s".into())), None);
        let deep = Layout::new(PathBuf::from("/").join("d".repeat(90)));
        assert!(unfit(&deep).unwrap().contains("more than a unix socket takes"));
    }

    #[test]
    fn xpra_3_1_runs_its_sound_process_with_the_interpreter_its_script_names() {
        let dir = tempfile::tempdir().unwrap();
        let script = |name: &str, text: &str| {
            let path = dir.path().join(name);
            std::fs::write(&path, text).unwrap();
            path
        };
        let sh = script("sh-xpra", "#!/bin/sh -e\nexec true\n");
        let v = |major| crate::XpraVersion { major, minor: 1, patch: 0 };
        let layout = Layout::new("/s".into());
        let command = |xpra: &Path, major| env(&layout, true, v(major), xpra).into_iter().find(|(k, _)| *k == "XPRA_SOUND_COMMAND").map(|(_, c)| c);
        assert_eq!(command(&sh, 3), Some(format!("'/bin/sh' '{}'", sh.display()).into()));
        // A Python interpreter runs the script that mends 3.1's sound queue, then Xpra.
        if Path::new("/usr/bin/python3").is_file() {
            let py = script("py-xpra", "#!/usr/bin/python3\nimport xpra\n");
            assert_eq!(command(&py, 3), Some(format!("'/usr/bin/python3' '/s/xpra31-sound.py' '{}'", py.display()).into()));
        }
        assert_eq!(command(&sh, 6), None, "6.x runs sys.executable itself");
        assert_eq!(command(&script("env-xpra", "#!python3\n"), 3), None, "a relative interpreter is PATH's again");
        assert_eq!(command(&script("elf", "\x7fELF"), 3), None);
        assert_eq!(command(&dir.path().join("absent"), 3), None);
        assert!(env(&layout, false, v(3), &sh).is_empty());
    }

    #[test]
    fn the_configure_commands_are_turned_off_as_each_version_reads_them() {
        let v = |major| crate::XpraVersion { major, minor: 1, patch: 0 };
        assert_eq!(xpra_conf(v(3), true).as_deref(), Some("pulseaudio-configure-commands = true\n"));
        assert_eq!(xpra_conf(v(6), true).as_deref(), Some("pulseaudio-configure-commands = none\n"));
        assert_eq!(xpra_conf(v(6), false), None);
    }
}
