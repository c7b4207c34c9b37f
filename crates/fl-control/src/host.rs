//! The native messaging host: this program, started by the session's Firefox when the control
//! extension connects. It listens on the unix socket its session's environment names (inside the
//! session's 0700 directory, created 0600) and relays frames: each from a connection to the
//! extension (stdout), each from the extension (stdin) to the connection of the moment. One
//! connection at a time, only from our own uid. It ends when Firefox closes its stdin.

use std::ffi::OsString;
use std::io::{BufReader, BufWriter};
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::{Arc, Mutex};

use crate::frame::{read_frame, write_frame};
use crate::install::{EXTENSION_ID, HOST_NAME, SOCKET_ENV};

/// Whether Firefox started this program as the host: its arguments are then exactly the
/// manifest's path and the extension's id (the native messaging convention).
pub fn called_by_firefox(args: &[OsString]) -> bool {
    let manifest = format!("{HOST_NAME}.json");
    args.len() == 3 && args[2] == EXTENSION_ID && Path::new(&args[1]).file_name().is_some_and(|n| n == manifest.as_str())
}

#[derive(Debug, thiserror::Error)]
pub enum HostError {
    #[error("{SOCKET_ENV} is not set to an absolute path: this Firefox was not started by a firefox-launcher session")]
    NoSocket,
    #[error("cannot listen on {path}: {source}")]
    Listen { path: PathBuf, source: std::io::Error },
}

/// Runs the host until Firefox closes stdin. Errors go to stderr, which is the session's log.
pub fn run() -> ExitCode {
    match serve() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("firefox-launcher native host: {e}");
            ExitCode::FAILURE
        }
    }
}

type Current = Arc<Mutex<Option<UnixStream>>>;

fn serve() -> Result<(), HostError> {
    let path = std::env::var_os(SOCKET_ENV).map(PathBuf::from).filter(|p| p.is_absolute()).ok_or(HostError::NoSocket)?;
    let listener = listen(&path).map_err(|source| HostError::Listen { path: path.clone(), source })?;
    let current: Current = Arc::default();
    let from_firefox = Arc::clone(&current);
    let socket = path.clone();
    std::thread::spawn(move || {
        relay_from_firefox(&from_firefox);
        // Firefox is gone (or its extension): so is the socket, and this process.
        let _ = std::fs::remove_file(&socket);
        std::process::exit(0);
    });
    let me = fl_sys::current_uid();
    for stream in listener.incoming() {
        let Ok(stream) = stream else { continue };
        match fl_sys::peer_uid(&stream) {
            Ok(uid) if uid == me => {}
            _ => continue,
        }
        let Ok(reply_side) = stream.try_clone() else { continue };
        *current.lock().unwrap() = Some(reply_side);
        relay_to_firefox(stream);
        *current.lock().unwrap() = None;
    }
    Ok(())
}

/// Binds `path` with no access for anyone else; a dead socket left by an earlier host of the
/// same session is replaced, a live one is not (the bind then fails).
fn listen(path: &Path) -> std::io::Result<UnixListener> {
    let bind = || fl_sys::with_umask(0o177, || UnixListener::bind(path));
    match bind() {
        Err(e) if e.kind() == std::io::ErrorKind::AddrInUse => {
            remove_dead(path)?;
            bind()
        }
        other => other,
    }
}

/// Removes the socket at `path` if it is ours and nothing accepts on it, and only while it is
/// still the entry that was checked.
fn remove_dead(path: &Path) -> std::io::Result<()> {
    let (Some(dir), Some(name)) = (path.parent(), path.file_name().and_then(|n| n.to_str())) else { return Ok(()) };
    let dir = fl_sys::SharedDir::open(dir).map_err(std::io::Error::other)?;
    if let Some(fl_sys::SocketState::Dead(entry)) = dir.probe_own_socket(name).map_err(std::io::Error::other)? {
        dir.remove(&entry).map_err(std::io::Error::other)?;
    }
    Ok(())
}

/// Frames of one connection, to the extension, until the connection ends.
fn relay_to_firefox(stream: UnixStream) {
    let mut from = BufReader::new(stream);
    let stdout = std::io::stdout();
    while let Ok(Some(frame)) = read_frame(&mut from) {
        let mut out = BufWriter::new(stdout.lock());
        if write_frame(&mut out, &frame).is_err() {
            std::process::exit(0);
        }
    }
}

/// Frames from the extension, to whichever connection is open (none: dropped).
fn relay_from_firefox(current: &Current) {
    let mut stdin = std::io::stdin().lock();
    while let Ok(Some(frame)) = read_frame(&mut stdin) {
        let mut guard = current.lock().unwrap();
        if let Some(stream) = guard.as_mut()
            && write_frame(stream, &frame).is_err()
        {
            *guard = None;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_firefox_s_exact_call_starts_the_host() {
        let args = |a: &[&str]| a.iter().map(OsString::from).collect::<Vec<_>>();
        assert!(called_by_firefox(&args(&["fl", "/h/.mozilla/native-messaging-hosts/firefox_launcher_control.json", EXTENSION_ID])));
        assert!(!called_by_firefox(&args(&["fl", "/h/other.json", EXTENSION_ID])));
        assert!(!called_by_firefox(&args(&["fl", "/h/firefox_launcher_control.json", "other@x"])));
        assert!(!called_by_firefox(&args(&["fl", "serve"])));
    }

    #[test]
    fn a_dead_socket_is_replaced_and_a_live_one_is_not() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ctl.sock");
        drop(UnixListener::bind(&path).unwrap());
        assert!(path.exists(), "a closed listener leaves its socket file");
        let replaced = listen(&path).expect("a dead socket is replaced");
        let error = listen(&path).expect_err("a live socket is not");
        assert_eq!(error.kind(), std::io::ErrorKind::AddrInUse);
        UnixStream::connect(&path).expect("the live listener still has its socket");
        drop(replaced);
    }
}
