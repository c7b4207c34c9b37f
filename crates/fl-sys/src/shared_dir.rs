//! Entries in world-writable directories (`/tmp`, `/tmp/.X11-unix`), which another local user may
//! have planted.
//!
//! An X server's lock `/tmp/.X<N>-lock` and socket `/tmp/.X11-unix/X<N>` live where every local
//! user can create names, before our Xvfb takes a display or after it exits: a FIFO there makes a
//! plain open-and-read block forever (and with it the task cleaning up, and the service's shutdown
//! or restart), a symlink makes us read, connect to or delete something else, a file of theirs
//! makes us trust what they wrote. So:
//! - a directory is opened once without following a symlink, and used only when it is root's or
//!   ours and, if others may write to it, sticky; names are looked up relative to that descriptor;
//! - a file is opened with `O_NOFOLLOW | O_NONBLOCK` (a FIFO's open then returns at once) and
//!   believed only when `fstat` says it is a small regular file of ours;
//! - a socket is connected to only after `lstat` says it is a socket of ours, without blocking;
//! - an entry is removed only while it is still the file (device and inode) that was checked.
//!
//! In a sticky directory nobody but root and us can rename or remove an entry of ours, so what
//! was checked is what is then used.

use std::io::Read;
use std::os::fd::{AsFd, AsRawFd, OwnedFd};
use std::os::unix::fs::MetadataExt;
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};

use nix::errno::Errno;
use nix::fcntl::{AtFlags, OFlag, openat};
use nix::libc;
use nix::sys::socket::{AddressFamily, SockFlag, SockType, UnixAddr, connect, getsockopt, socket, sockopt};
use nix::sys::stat::{FileStat, Mode, fstat, fstatat};
use nix::unistd::{UnlinkatFlags, unlinkat};

#[derive(Debug, thiserror::Error)]
pub enum SharedFileError {
    #[error("refusing to use {path}: {why}")]
    Refused { path: PathBuf, why: String },
    #[error("failed to {action} {path}: {source}")]
    Io {
        action: &'static str,
        path: PathBuf,
        #[source]
        source: Errno,
    },
}

impl SharedFileError {
    /// True when the entry (or its directory) does not exist.
    pub fn is_missing(&self) -> bool {
        matches!(self, Self::Io { source: Errno::ENOENT, .. })
    }
}

/// A world-writable directory, open; its entries are looked at by name relative to it.
#[derive(Debug)]
pub struct SharedDir {
    fd: OwnedFd,
    path: PathBuf,
}

/// An entry that passed its checks: its name, and which file it was then.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckedEntry {
    name: String,
    dev: u64,
    ino: u64,
}

/// A small regular file of ours, read.
#[derive(Debug)]
pub struct OwnFile {
    pub entry: CheckedEntry,
    pub contents: Vec<u8>,
}

/// What is behind a socket of ours.
#[derive(Debug)]
pub enum SocketState {
    /// Something accepts connections on it (or its backlog is full): a live server.
    Listening,
    /// Nobody accepts: a leftover.
    Dead(CheckedEntry),
}

/// What kind of file `mode` (an `st_mode`) is, for messages.
fn kind(mode: u32) -> &'static str {
    match mode & libc::S_IFMT {
        libc::S_IFREG => "a regular file",
        libc::S_IFDIR => "a directory",
        libc::S_IFLNK => "a symlink",
        libc::S_IFIFO => "a FIFO",
        libc::S_IFSOCK => "a socket",
        libc::S_IFCHR => "a character device",
        libc::S_IFBLK => "a block device",
        _ => "of an unknown type",
    }
}

/// Why a directory with this mode and owner must not be trusted, if it must not.
fn dir_problem(mode: u32, uid: u32, me: u32) -> Option<String> {
    if mode & libc::S_IFMT != libc::S_IFDIR {
        return Some(format!("it is {}, not a directory", kind(mode)));
    }
    if uid != 0 && uid != me {
        return Some(format!("it is owned by uid {uid}, neither root nor us"));
    }
    if mode & 0o022 != 0 && mode & libc::S_ISVTX == 0 {
        return Some("others may write to it and it is not sticky".into());
    }
    None
}

/// Why an entry with this mode, owner and size is not a file of ours we may read.
fn file_problem(mode: u32, uid: u32, size: u64, me: u32, max: usize) -> Option<String> {
    if mode & libc::S_IFMT != libc::S_IFREG {
        return Some(format!("it is {}, not a regular file", kind(mode)));
    }
    if uid != me {
        return Some(format!("it is owned by uid {uid}, not us"));
    }
    if size > max as u64 {
        return Some(format!("it holds {size} bytes, more than {max}"));
    }
    None
}

/// Why an entry with this mode and owner is not a socket of ours.
fn socket_problem(mode: u32, uid: u32, me: u32) -> Option<String> {
    if mode & libc::S_IFMT != libc::S_IFSOCK {
        return Some(format!("it is {}, not a socket", kind(mode)));
    }
    if uid != me {
        return Some(format!("it is owned by uid {uid}, not us"));
    }
    None
}

impl SharedDir {
    /// Opens `path` without following a symlink; refuses a directory that is not root's or ours,
    /// or that others may write to without the sticky bit.
    pub fn open(path: &Path) -> Result<Self, SharedFileError> {
        let refused = |why: String| SharedFileError::Refused { path: path.to_owned(), why };
        let flags = OFlag::O_DIRECTORY | OFlag::O_NOFOLLOW | OFlag::O_RDONLY | OFlag::O_CLOEXEC;
        let fd = match nix::fcntl::open(path, flags, Mode::empty()) {
            Ok(fd) => fd,
            Err(Errno::ELOOP | Errno::ENOTDIR) => {
                let what = std::fs::symlink_metadata(path).map_or("of an unknown type", |m| kind(m.mode()));
                return Err(refused(format!("it is {what}, not a directory")));
            }
            Err(source) => return Err(SharedFileError::Io { action: "open", path: path.to_owned(), source }),
        };
        let st = fstat(&fd).map_err(|source| SharedFileError::Io { action: "stat", path: path.to_owned(), source })?;
        if let Some(why) = dir_problem(st.st_mode, st.st_uid, crate::current_uid()) {
            return Err(refused(why));
        }
        Ok(Self { fd, path: path.to_owned() })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    fn refused(&self, name: &str, why: String) -> SharedFileError {
        SharedFileError::Refused { path: self.path.join(name), why }
    }

    fn io(&self, action: &'static str, name: &str, source: Errno) -> SharedFileError {
        SharedFileError::Io { action, path: self.path.join(name), source }
    }

    /// `lstat` of the entry `name`; `None` when there is none.
    fn lstat(&self, name: &str) -> Result<Option<FileStat>, SharedFileError> {
        match fstatat(self.fd.as_fd(), name, AtFlags::AT_SYMLINK_NOFOLLOW) {
            Ok(st) => Ok(Some(st)),
            Err(Errno::ENOENT) => Ok(None),
            Err(source) => Err(self.io("stat", name, source)),
        }
    }

    fn checked(name: &str, st: &FileStat) -> CheckedEntry {
        CheckedEntry { name: name.to_owned(), dev: st.st_dev, ino: st.st_ino }
    }

    /// Reads the entry `name` if it is a regular file of ours of at most `max` bytes; `None` when
    /// there is none. Never follows a symlink and never blocks: a FIFO is refused at once.
    pub fn read_own_file(&self, name: &str, max: usize) -> Result<Option<OwnFile>, SharedFileError> {
        let flags = OFlag::O_RDONLY | OFlag::O_NOFOLLOW | OFlag::O_NONBLOCK | OFlag::O_NOCTTY | OFlag::O_CLOEXEC;
        let fd = match openat(self.fd.as_fd(), name, flags, Mode::empty()) {
            Ok(fd) => fd,
            Err(Errno::ENOENT) => return Ok(None),
            Err(Errno::ELOOP) => return Err(self.refused(name, "it is a symlink".into())),
            Err(Errno::ENXIO) => return Err(self.refused(name, "it is a socket, not a regular file".into())),
            Err(source) => return Err(self.io("open", name, source)),
        };
        let st = fstat(&fd).map_err(|source| self.io("stat", name, source))?;
        if let Some(why) = file_problem(st.st_mode, st.st_uid, st.st_size as u64, crate::current_uid(), max) {
            return Err(self.refused(name, why));
        }
        let mut contents = Vec::with_capacity(max);
        // One byte more than allowed tells a file that grew since the fstat.
        std::fs::File::from(fd)
            .take(max as u64 + 1)
            .read_to_end(&mut contents)
            .map_err(|e| self.io("read", name, Errno::from_raw(e.raw_os_error().unwrap_or(libc::EIO))))?;
        if contents.len() > max {
            return Err(self.refused(name, format!("it holds more than {max} bytes")));
        }
        Ok(Some(OwnFile { entry: Self::checked(name, &st), contents }))
    }

    /// The path of entry `name` through this open directory, so a renamed or replaced directory
    /// cannot redirect a connect.
    fn path_through_fd(&self, name: &str) -> PathBuf {
        PathBuf::from(format!("/proc/self/fd/{}/{name}", self.fd.as_raw_fd()))
    }

    /// Whether anything accepts on the socket `name`, if it is a socket of ours; `None` when there
    /// is none. The connect does not block, even on a full backlog.
    pub fn probe_own_socket(&self, name: &str) -> Result<Option<SocketState>, SharedFileError> {
        let Some(st) = self.lstat(name)? else { return Ok(None) };
        if let Some(why) = socket_problem(st.st_mode, st.st_uid, crate::current_uid()) {
            return Err(self.refused(name, why));
        }
        let flags = SockFlag::SOCK_NONBLOCK | SockFlag::SOCK_CLOEXEC;
        let sock = socket(AddressFamily::Unix, SockType::Stream, flags, None).map_err(|e| self.io("create a socket for", name, e))?;
        let addr = UnixAddr::new(self.path_through_fd(name).as_path()).map_err(|e| self.io("address", name, e))?;
        match connect(sock.as_raw_fd(), &addr) {
            Ok(()) | Err(Errno::EINPROGRESS | Errno::EAGAIN) => Ok(Some(SocketState::Listening)),
            Err(Errno::ECONNREFUSED) => Ok(Some(SocketState::Dead(Self::checked(name, &st)))),
            Err(Errno::ENOENT) => Ok(None),
            Err(source) => Err(self.io("connect to", name, source)),
        }
    }

    /// Removes a checked entry, only while its name still refers to the same file. Succeeds
    /// when it is already gone.
    pub fn remove(&self, entry: &CheckedEntry) -> Result<(), SharedFileError> {
        let name = entry.name.as_str();
        match self.lstat(name)? {
            None => return Ok(()),
            Some(st) if (st.st_dev, st.st_ino) == (entry.dev, entry.ino) => {}
            Some(_) => return Err(self.refused(name, "it was replaced since it was checked".into())),
        }
        match unlinkat(self.fd.as_fd(), name, UnlinkatFlags::NoRemoveDir) {
            Ok(()) | Err(Errno::ENOENT) => Ok(()),
            Err(source) => Err(self.io("remove", name, source)),
        }
    }
}

/// Connects (blocking) to the unix socket at `path` only if it is a socket of ours, not a
/// symlink, and the process accepting on it runs as us (`SO_PEERCRED`): what we send there, an X
/// authority cookie say, reaches no one else.
pub fn connect_own_socket(path: &Path) -> Result<UnixStream, SharedFileError> {
    let refused = |why: String| SharedFileError::Refused { path: path.to_owned(), why };
    let io = |action, e: std::io::Error| SharedFileError::Io {
        action,
        path: path.to_owned(),
        source: Errno::from_raw(e.raw_os_error().unwrap_or(libc::EIO)),
    };
    let meta = std::fs::symlink_metadata(path).map_err(|e| io("stat", e))?;
    let me = crate::current_uid();
    if let Some(why) = socket_problem(meta.mode(), meta.uid(), me) {
        return Err(refused(why));
    }
    let stream = UnixStream::connect(path).map_err(|e| io("connect to", e))?;
    let peer = getsockopt(&stream, sockopt::PeerCredentials)
        .map_err(|source| SharedFileError::Io { action: "ask who listens on", path: path.to_owned(), source })?;
    if peer.uid() != me {
        return Err(refused(format!("the process accepting on it runs as uid {}, not us", peer.uid())));
    }
    Ok(stream)
}

/// The uid of the process at the other end of a connected unix socket (`SO_PEERCRED`).
pub fn peer_uid(stream: &UnixStream) -> Result<u32, Errno> {
    getsockopt(stream, sockopt::PeerCredentials).map(|c| c.uid())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;
    use std::time::Duration;

    const NOBODY: u32 = 65534;

    fn shared(tmp: &tempfile::TempDir) -> SharedDir {
        SharedDir::open(tmp.path()).unwrap()
    }

    fn refused<T: std::fmt::Debug>(r: Result<T, SharedFileError>) -> String {
        match r {
            Err(SharedFileError::Refused { why, .. }) => why,
            other => panic!("expected a refusal, got {other:?}"),
        }
    }

    /// Runs `f` on another thread and fails if it has not returned within two seconds.
    fn promptly<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || tx.send(f()));
        rx.recv_timeout(Duration::from_secs(2)).expect("blocked for more than 2 s")
    }

    fn mkfifo(path: &Path) {
        nix::unistd::mkfifo(path, Mode::S_IRUSR | Mode::S_IWUSR).unwrap();
    }

    #[test]
    fn reads_a_small_regular_file_of_ours() {
        let tmp = tempfile::tempdir().unwrap();
        std::fs::write(tmp.path().join("lock"), "      1234\n").unwrap();
        let file = shared(&tmp).read_own_file("lock", 64).unwrap().unwrap();
        assert_eq!(file.contents, b"      1234\n");
        assert!(shared(&tmp).read_own_file("missing", 64).unwrap().is_none());
    }

    #[test]
    fn refuses_a_symlink_without_following_it() {
        let tmp = tempfile::tempdir().unwrap();
        // The target is a FIFO: following the link would block.
        mkfifo(&tmp.path().join("target"));
        std::os::unix::fs::symlink(tmp.path().join("target"), tmp.path().join("lock")).unwrap();
        let dir = shared(&tmp);
        let why = promptly(move || refused(dir.read_own_file("lock", 64)));
        assert!(why.contains("symlink"), "{why}");
    }

    #[test]
    fn refuses_a_fifo_at_once() {
        let tmp = tempfile::tempdir().unwrap();
        mkfifo(&tmp.path().join("lock"));
        let dir = shared(&tmp);
        let why = promptly(move || refused(dir.read_own_file("lock", 64)));
        assert!(why.contains("FIFO"), "{why}");
    }

    #[test]
    fn refuses_an_oversized_file() {
        let tmp = tempfile::tempdir().unwrap();
        std::fs::write(tmp.path().join("lock"), vec![b'1'; 65]).unwrap();
        let why = refused(shared(&tmp).read_own_file("lock", 64));
        assert!(why.contains("65 bytes"), "{why}");
    }

    #[test]
    fn refuses_a_file_of_another_user() {
        if crate::current_uid() != 0 {
            return; // only root can give a file away
        }
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("lock");
        std::fs::write(&path, "1\n").unwrap();
        nix::unistd::chown(&path, Some(nix::unistd::Uid::from_raw(NOBODY)), None).unwrap();
        let why = refused(shared(&tmp).read_own_file("lock", 64));
        assert!(why.contains("uid 65534"), "{why}");
        let socket = tmp.path().join("sock");
        let _listener = std::os::unix::net::UnixListener::bind(&socket).unwrap();
        nix::unistd::chown(&socket, Some(nix::unistd::Uid::from_raw(NOBODY)), None).unwrap();
        assert!(refused(shared(&tmp).probe_own_socket("sock")).contains("uid 65534"));
        assert!(refused(connect_own_socket(&socket)).contains("uid 65534"));
    }

    #[test]
    fn refuses_a_directory_others_may_write_without_the_sticky_bit_or_a_symlinked_one() {
        let tmp = tempfile::tempdir().unwrap();
        let open = tmp.path().join("open");
        std::fs::create_dir(&open).unwrap();
        std::fs::set_permissions(&open, std::fs::Permissions::from_mode(0o777)).unwrap();
        assert!(refused(SharedDir::open(&open)).contains("not sticky"));
        std::fs::set_permissions(&open, std::fs::Permissions::from_mode(0o1777)).unwrap();
        SharedDir::open(&open).unwrap();
        std::os::unix::fs::symlink(&open, tmp.path().join("link")).unwrap();
        assert!(refused(SharedDir::open(&tmp.path().join("link"))).contains("symlink"));
        assert!(SharedDir::open(&tmp.path().join("missing")).unwrap_err().is_missing());
    }

    #[test]
    fn tells_a_listening_socket_from_a_dead_one_and_removes_only_the_checked_entry() {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("X7");
        let listener = std::os::unix::net::UnixListener::bind(&path).unwrap();
        let dir = shared(&tmp);
        assert!(matches!(dir.probe_own_socket("X7").unwrap(), Some(SocketState::Listening)));
        connect_own_socket(&path).unwrap();
        drop(listener);
        let Some(SocketState::Dead(entry)) = dir.probe_own_socket("X7").unwrap() else { panic!("not dead") };
        dir.remove(&entry).unwrap();
        assert!(!path.exists());
        assert!(dir.probe_own_socket("X7").unwrap().is_none());

        // A file put in its place after the check is not removed.
        let _listener = std::os::unix::net::UnixListener::bind(&path).unwrap();
        std::fs::remove_file(&path).unwrap();
        std::fs::write(&path, "other").unwrap();
        assert!(refused(dir.remove(&entry)).contains("replaced"));
        assert!(path.exists());
    }

    #[test]
    fn refuses_a_symlink_or_fifo_where_a_socket_should_be() {
        let tmp = tempfile::tempdir().unwrap();
        let real = tmp.path().join("real");
        let _listener = std::os::unix::net::UnixListener::bind(&real).unwrap();
        std::os::unix::fs::symlink(&real, tmp.path().join("X1")).unwrap();
        mkfifo(&tmp.path().join("X2"));
        let dir = shared(&tmp);
        assert!(refused(dir.probe_own_socket("X1")).contains("symlink"));
        assert!(refused(dir.probe_own_socket("X2")).contains("FIFO"));
        assert!(refused(connect_own_socket(&tmp.path().join("X1"))).contains("symlink"));
        assert!(tmp.path().join("X1").symlink_metadata().is_ok() && tmp.path().join("X2").exists());
    }

    #[test]
    fn file_checks() {
        let reg = libc::S_IFREG | 0o644;
        assert_eq!(file_problem(reg, 5, 11, 5, 64), None);
        assert!(file_problem(libc::S_IFIFO | 0o644, 5, 0, 5, 64).unwrap().contains("FIFO"));
        assert!(file_problem(reg, 6, 11, 5, 64).unwrap().contains("uid 6"));
        assert!(dir_problem(libc::S_IFDIR | 0o1777, 0, 5).is_none());
        assert!(dir_problem(libc::S_IFDIR | 0o1777, 7, 5).unwrap().contains("uid 7"));
    }
}
