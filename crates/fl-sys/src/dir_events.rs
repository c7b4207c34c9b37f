//! Names moved into a directory, as inotify reports them.
//!
//! Firefox finishes a download by renaming its `.part` file onto the final name, so "moved in" is
//! exactly "finished": no polling, and no guessing from sizes while a file is still being written.

use std::ffi::OsString;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, RawFd};
use std::path::Path;

use nix::errno::Errno;
use nix::sys::inotify::{AddWatchFlags, InitFlags, Inotify};

/// A non-blocking inotify watch on one directory (not its subdirectories).
#[derive(Debug)]
pub struct DirEvents {
    inotify: Inotify,
}

impl DirEvents {
    /// Watches `dir` for names moved into it. `dir` itself must not be a symlink.
    pub fn moved_in(dir: &Path) -> std::io::Result<Self> {
        let inotify = Inotify::init(InitFlags::IN_NONBLOCK | InitFlags::IN_CLOEXEC)?;
        inotify.add_watch(dir, AddWatchFlags::IN_MOVED_TO | AddWatchFlags::IN_DONT_FOLLOW | AddWatchFlags::IN_ONLYDIR)?;
        Ok(Self { inotify })
    }

    /// The names moved in since the last call; empty when there are none (it never blocks).
    /// `Err` means the watch is gone for good (the directory was removed).
    pub fn read(&self) -> std::io::Result<Vec<OsString>> {
        let mut names = Vec::new();
        loop {
            match self.inotify.read_events() {
                Ok(events) => {
                    if events.iter().any(|e| e.mask.contains(AddWatchFlags::IN_IGNORED)) {
                        return Err(std::io::Error::new(std::io::ErrorKind::NotFound, "the watched directory is gone"));
                    }
                    names.extend(events.into_iter().filter_map(|e| e.name));
                }
                Err(Errno::EAGAIN) => return Ok(names),
                Err(e) => return Err(e.into()),
            }
        }
    }
}

impl AsFd for DirEvents {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.inotify.as_fd()
    }
}

/// For tokio's `AsyncFd`, which registers the descriptor with its reactor.
impl AsRawFd for DirEvents {
    fn as_raw_fd(&self) -> RawFd {
        self.inotify.as_fd().as_raw_fd()
    }
}

/// Moves `from` to `to` unless `to` exists: two downloads of the same name never overwrite each
/// other, and nothing of the user's is replaced. `link(2)` then `unlink(2)`, not
/// `renameat2(RENAME_NOREPLACE)`, which glibc has only since 2.28 (the wheel's binary runs on
/// 2.17). `EEXIST` when `to` exists, `EXDEV` across file systems; a crash between the two calls
/// leaves the file under both names, never under neither.
pub fn rename_no_replace(from: &Path, to: &Path) -> std::io::Result<()> {
    std::fs::hard_link(from, to)?;
    std::fs::remove_file(from)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reports_names_moved_in_and_nothing_else() {
        let dir = tempfile::tempdir().unwrap();
        let events = DirEvents::moved_in(dir.path()).unwrap();
        assert!(events.read().unwrap().is_empty());
        std::fs::write(dir.path().join("a.part"), b"x").unwrap();
        assert!(events.read().unwrap().is_empty(), "a created file is not a moved-in one");
        std::fs::rename(dir.path().join("a.part"), dir.path().join("a")).unwrap();
        assert_eq!(events.read().unwrap(), vec![OsString::from("a")]);
    }

    #[test]
    fn the_watch_ends_when_the_directory_goes() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("w");
        std::fs::create_dir(&path).unwrap();
        let events = DirEvents::moved_in(&path).unwrap();
        std::fs::remove_dir(&path).unwrap();
        assert!(events.read().is_err());
    }

    #[test]
    fn rename_never_replaces() {
        let dir = tempfile::tempdir().unwrap();
        let (a, b) = (dir.path().join("a"), dir.path().join("b"));
        std::fs::write(&a, b"new").unwrap();
        std::fs::write(&b, b"old").unwrap();
        let e = rename_no_replace(&a, &b).unwrap_err();
        assert_eq!(e.raw_os_error(), Some(Errno::EEXIST as i32));
        assert_eq!(std::fs::read(&b).unwrap(), b"old");
        std::fs::remove_file(&b).unwrap();
        rename_no_replace(&a, &b).unwrap();
        assert_eq!(std::fs::read(&b).unwrap(), b"new");
    }

}
