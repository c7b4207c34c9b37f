//! The display's X lock and socket, removed once our Xvfb is gone, and only when they are ours.
//!
//! An X server that did not exit cleanly leaves its socket `/tmp/.X11-unix/X<N>` and, when it was
//! started on a fixed display rather than with `-displayfd` (as ours are), its lock
//! `/tmp/.X<N>-lock` holding its pid; either gets in the way of the display's next user.
//! Both names sit in directories every local user can write to, so what is there when we look may
//! have been planted: a FIFO (reading it would block teardown, shutdown and restart forever), a
//! symlink, a file of someone else. Every look goes through [`fl_sys::SharedDir`], which never
//! follows a link, never blocks, and believes only entries of ours. The lock is removed only when
//! it is a small regular file of ours naming our Xvfb or no live process; the socket only when it
//! is a socket of ours nobody accepts on; neither while something accepts on the socket. Anything
//! else is left where it is and reported. The work runs on a blocking thread, never on the async
//! workers ([`clean_x_files`]).

use std::path::Path;

use fl_sys::{ProcIdentity, SharedDir, SharedFileError, SocketState};

/// Xvfb writes its pid as `%10d\n`; anything much longer is not a lock it wrote.
const LOCK_MAX_BYTES: usize = 64;

/// What the lock of a display is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Lock {
    Absent,
    /// Ours, naming our Xvfb, no live process, or nothing readable.
    Stale,
    /// Ours, naming another live process: the display is in use again.
    Live,
    /// Not ours to touch (a FIFO, a symlink, another user's file, ...), or unreadable.
    Foreign,
}

/// What the socket of a display is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Socket {
    Absent,
    /// Ours, and nobody accepts on it.
    Dead,
    Listening,
    Foreign,
}

/// Which of the two to remove: (lock, socket).
fn plan(lock: Lock, socket: Socket) -> (bool, bool) {
    if socket == Socket::Listening {
        return (false, false);
    }
    (lock == Lock::Stale, socket == Socket::Dead && lock != Lock::Live)
}

/// True when lock contents name our (gone) Xvfb, no live process, or nothing at all.
fn names_no_live_process(contents: &[u8], xvfb: Option<ProcIdentity>) -> bool {
    let pid: Option<i32> = std::str::from_utf8(contents).ok().and_then(|s| s.trim().parse().ok());
    match pid {
        None => true,
        Some(pid) => xvfb.is_some_and(|x| x.pid == pid) || pid <= 0 || fl_sys::process_info(pid).is_none(),
    }
}

/// Opens `dir`, or `None` when it does not exist.
fn open_dir(dir: &Path) -> Result<Option<SharedDir>, SharedFileError> {
    match SharedDir::open(dir) {
        Ok(d) => Ok(Some(d)),
        Err(e) if e.is_missing() => Ok(None),
        Err(e) => Err(e),
    }
}

/// Removes the display's stale X lock and socket after our Xvfb (`xvfb`, if known) is gone.
/// Blocking (it touches files others may control): call it off the async workers. Returns what
/// could not be cleaned, for the log.
pub fn remove_stale_x_files(display: u32, xvfb: Option<ProcIdentity>) -> Vec<String> {
    remove_stale_x_files_in(Path::new("/tmp"), Path::new("/tmp/.X11-unix"), display, xvfb)
}

/// [`remove_stale_x_files`] on a blocking thread.
pub(crate) async fn clean_x_files(display: u32, xvfb: Option<ProcIdentity>) -> Vec<String> {
    tokio::task::spawn_blocking(move || remove_stale_x_files(display, xvfb))
        .await
        .unwrap_or_else(|e| vec![format!("cleaning the X files of display :{display} failed: {e}")])
}

fn remove_stale_x_files_in(tmp: &Path, unix_dir: &Path, display_no: u32, xvfb: Option<ProcIdentity>) -> Vec<String> {
    if xvfb.is_some_and(|x| x.is_alive()) {
        return vec![format!("Xvfb of display :{display_no} is still running")];
    }
    let mut problems = Vec::new();
    let lock_name = format!(".X{display_no}-lock");
    let socket_name = format!("X{display_no}");

    let tmp = open_dir(tmp).map_err(|e| problems.push(e.to_string())).ok().flatten();
    let lock = tmp.as_ref().map(|dir| dir.read_own_file(&lock_name, LOCK_MAX_BYTES));
    let (lock_kind, lock_entry) = match lock {
        None | Some(Ok(None)) => (if tmp.is_some() { Lock::Absent } else { Lock::Foreign }, None),
        Some(Ok(Some(file))) if names_no_live_process(&file.contents, xvfb) => (Lock::Stale, Some(file.entry)),
        Some(Ok(Some(_))) => (Lock::Live, None),
        Some(Err(e)) => {
            problems.push(format!("left alone: {e}"));
            (Lock::Foreign, None)
        }
    };

    let unix_dir = match open_dir(unix_dir) {
        Ok(d) => d,
        Err(e) => {
            problems.push(format!("left alone: {e}"));
            return problems;
        }
    };
    let socket = unix_dir.as_ref().map(|dir| dir.probe_own_socket(&socket_name));
    let (socket_kind, socket_entry) = match socket {
        None | Some(Ok(None)) => (Socket::Absent, None),
        Some(Ok(Some(SocketState::Dead(entry)))) => (Socket::Dead, Some(entry)),
        Some(Ok(Some(SocketState::Listening))) => (Socket::Listening, None),
        Some(Err(e)) => {
            problems.push(format!("left alone: {e}"));
            (Socket::Foreign, None)
        }
    };

    let (remove_lock, remove_socket) = plan(lock_kind, socket_kind);
    let removals = [(remove_socket, unix_dir.as_ref(), socket_entry), (remove_lock, tmp.as_ref(), lock_entry)];
    for (remove, dir, entry) in removals {
        if let (true, Some(dir), Some(entry)) = (remove, dir, entry) {
            match dir.remove(&entry) {
                Ok(()) => tracing::debug!(display_no, "removed a stale X file from {}", dir.path().display()),
                Err(e) => problems.push(e.to_string()),
            }
        }
    }
    problems
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn plans() {
        assert_eq!(plan(Lock::Stale, Socket::Dead), (true, true));
        assert_eq!(plan(Lock::Absent, Socket::Dead), (false, true));
        assert_eq!(plan(Lock::Foreign, Socket::Dead), (false, true));
        assert_eq!(plan(Lock::Stale, Socket::Foreign), (true, false));
        assert_eq!(plan(Lock::Live, Socket::Dead), (false, false));
        assert_eq!(plan(Lock::Stale, Socket::Listening), (false, false));
        assert_eq!(plan(Lock::Foreign, Socket::Foreign), (false, false));
    }

    #[test]
    fn a_lock_naming_a_live_process_is_not_stale() {
        let me = std::process::id();
        assert!(!names_no_live_process(format!("{me:>10}\n").as_bytes(), None));
        assert!(names_no_live_process(b"  99999999\n", None));
        assert!(names_no_live_process(b"garbage", None));
        let mine = fl_sys::process_info(me as i32).unwrap().identity;
        assert!(names_no_live_process(format!("{me:>10}\n").as_bytes(), Some(mine)));
    }

    /// A `/tmp` and `/tmp/.X11-unix` of our own.
    fn dirs() -> (tempfile::TempDir, std::path::PathBuf, std::path::PathBuf) {
        let tmp = tempfile::tempdir().unwrap();
        let unix = tmp.path().join(".X11-unix");
        std::fs::create_dir(&unix).unwrap();
        let root = tmp.path().to_owned();
        (tmp, root, unix)
    }

    #[test]
    fn removes_our_stale_lock_and_dead_socket() {
        let (_tmp, root, unix) = dirs();
        std::fs::write(root.join(".X9-lock"), "  99999999\n").unwrap();
        drop(std::os::unix::net::UnixListener::bind(unix.join("X9")).unwrap());
        assert_eq!(remove_stale_x_files_in(&root, &unix, 9, None), Vec::<String>::new());
        assert!(!root.join(".X9-lock").exists() && !unix.join("X9").exists());
    }

    #[test]
    fn leaves_a_planted_fifo_and_symlink_alone_without_blocking() {
        let (_tmp, root, unix) = dirs();
        assert!(std::process::Command::new("mkfifo").arg(root.join(".X9-lock")).status().unwrap().success());
        std::fs::write(root.join("victim"), "keep").unwrap();
        std::os::unix::fs::symlink(root.join("victim"), unix.join("X9")).unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        let (r, u) = (root.clone(), unix.clone());
        std::thread::spawn(move || tx.send(remove_stale_x_files_in(&r, &u, 9, None)));
        let problems = rx.recv_timeout(Duration::from_secs(2)).expect("blocked on the planted files");
        assert_eq!(problems.len(), 2, "{problems:?}");
        assert!(root.join(".X9-lock").exists());
        assert!(unix.join("X9").symlink_metadata().unwrap().file_type().is_symlink());
        assert_eq!(std::fs::read_to_string(root.join("victim")).unwrap(), "keep");
    }

    #[test]
    fn leaves_everything_while_the_socket_is_listening() {
        let (_tmp, root, unix) = dirs();
        std::fs::write(root.join(".X9-lock"), "  99999999\n").unwrap();
        let _listener = std::os::unix::net::UnixListener::bind(unix.join("X9")).unwrap();
        assert!(remove_stale_x_files_in(&root, &unix, 9, None).is_empty());
        assert!(root.join(".X9-lock").exists() && unix.join("X9").exists());
    }
}
