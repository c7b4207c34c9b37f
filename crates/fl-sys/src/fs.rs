//! Session directories that a symlink cannot redirect.
//!
//! The base directory (`<home>/sessions`) is opened once, without following symlinks, and checked to
//! be a directory we own with mode 0700. Session directories are then created and deleted relative
//! to that open descriptor with `mkdirat`/`unlinkat`, and the recursive delete opens every
//! subdirectory with `O_NOFOLLOW`, so a symlink planted anywhere in a session directory is unlinked,
//! never followed.

use std::os::fd::{AsFd, OwnedFd};
use std::os::unix::fs::{DirBuilderExt, MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};

use nix::dir::Dir;
use nix::errno::Errno;
use nix::fcntl::{AtFlags, OFlag, openat};
use nix::sys::stat::{Mode, fstatat, mkdirat};
use nix::unistd::{UnlinkatFlags, unlinkat};

#[derive(Debug, thiserror::Error)]
pub enum FsError {
    #[error("failed to create directory {path}: {source}")]
    Create {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("refusing to use {path}: {why}")]
    Unsafe { path: PathBuf, why: String },
    #[error("{path} already exists")]
    Exists { path: PathBuf },
    #[error("failed to remove {path}: {source}")]
    Remove {
        path: PathBuf,
        #[source]
        source: Errno,
    },
    #[error("failed to open {path}: {source}")]
    Open {
        path: PathBuf,
        #[source]
        source: Errno,
    },
}

/// An open directory under which entries are created and removed by name only.
#[derive(Debug)]
pub struct BaseDir {
    fd: OwnedFd,
    path: PathBuf,
}

/// Creates `path` (and parents) with mode 0700 if missing, then checks it: a real directory, not a
/// symlink, owned by us, with no group or other access.
fn ensure_private_dir(path: &Path) -> Result<(), FsError> {
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(path)
        .map_err(|source| FsError::Create { path: path.to_owned(), source })?;
    let meta = std::fs::symlink_metadata(path)
        .map_err(|source| FsError::Create { path: path.to_owned(), source })?;
    let unsafe_dir = |why: String| FsError::Unsafe { path: path.to_owned(), why };
    if meta.file_type().is_symlink() {
        return Err(unsafe_dir("it is a symlink".into()));
    }
    if !meta.is_dir() {
        return Err(unsafe_dir("it is not a directory".into()));
    }
    if meta.uid() != crate::current_uid() {
        return Err(unsafe_dir(format!("it is owned by uid {}, not us", meta.uid())));
    }
    if meta.mode() & 0o077 != 0 {
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o700))
            .map_err(|source| FsError::Create { path: path.to_owned(), source })?;
    }
    Ok(())
}

impl BaseDir {
    /// Creates `home` and `home/<name>` as private directories and opens the latter.
    pub fn open_private(home: &Path, name: &str) -> Result<Self, FsError> {
        ensure_private_dir(home)?;
        let path = home.join(name);
        ensure_private_dir(&path)?;
        let fd = nix::fcntl::open(
            &path,
            OFlag::O_DIRECTORY | OFlag::O_NOFOLLOW | OFlag::O_CLOEXEC | OFlag::O_RDONLY,
            Mode::empty(),
        )
        .map_err(|source| FsError::Open { path: path.clone(), source })?;
        Ok(Self { fd, path })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Creates the entry `name` as a new 0700 directory. An existing entry of any kind (a stale
    /// directory or a planted symlink) is an error, never reused.
    pub fn create_dir(&self, name: &str) -> Result<PathBuf, FsError> {
        let path = self.path.join(name);
        match mkdirat(self.fd.as_fd(), name, Mode::S_IRWXU) {
            Ok(()) => Ok(path),
            Err(Errno::EEXIST) => Err(FsError::Exists { path }),
            Err(e) => Err(FsError::Create { path, source: e.into() }),
        }
    }

    /// The names of the entries in this directory.
    pub fn entries(&self) -> Result<Vec<String>, FsError> {
        list_entries(&self.fd, &self.path)
    }

    /// How long ago the entry `name` was last modified, if it exists.
    pub fn age_of(&self, name: &str) -> Option<std::time::Duration> {
        let st = fstatat(self.fd.as_fd(), name, AtFlags::AT_SYMLINK_NOFOLLOW).ok()?;
        let modified = std::time::UNIX_EPOCH + std::time::Duration::new(st.st_mtime as u64, st.st_mtime_nsec as u32);
        std::time::SystemTime::now().duration_since(modified).ok()
    }

    /// True when an entry called `name` exists (of any type).
    pub fn contains(&self, name: &str) -> bool {
        fstatat(self.fd.as_fd(), name, AtFlags::AT_SYMLINK_NOFOLLOW).is_ok()
    }

    /// Removes the entry `name` and, if it is a directory, everything in it, never following a
    /// symlink. Removing an entry that does not exist succeeds.
    pub fn remove_tree(&self, name: &str) -> Result<(), FsError> {
        remove_entry(&self.fd, name, &self.path.join(name))
    }
}

fn is_dir(parent: &OwnedFd, name: &str) -> Result<bool, Errno> {
    let st = fstatat(parent.as_fd(), name, AtFlags::AT_SYMLINK_NOFOLLOW)?;
    Ok(st.st_mode & nix::libc::S_IFMT == nix::libc::S_IFDIR)
}

fn remove_entry(parent: &OwnedFd, name: &str, path: &Path) -> Result<(), FsError> {
    let removed = |r: Result<(), Errno>| match r {
        Ok(()) | Err(Errno::ENOENT) => Ok(()),
        Err(source) => Err(FsError::Remove { path: path.to_owned(), source }),
    };
    match is_dir(parent, name) {
        Err(Errno::ENOENT) => return Ok(()),
        Err(source) => return Err(FsError::Remove { path: path.to_owned(), source }),
        Ok(false) => return removed(unlinkat(parent.as_fd(), name, UnlinkatFlags::NoRemoveDir)),
        Ok(true) => {}
    }
    let child = match openat(
        parent.as_fd(),
        name,
        OFlag::O_DIRECTORY | OFlag::O_NOFOLLOW | OFlag::O_CLOEXEC | OFlag::O_RDONLY,
        Mode::empty(),
    ) {
        Ok(fd) => fd,
        Err(Errno::ENOENT) => return Ok(()),
        Err(source) => return Err(FsError::Open { path: path.to_owned(), source }),
    };
    for entry in list_entries(&child, path)? {
        remove_entry(&child, &entry, &path.join(&entry))?;
    }
    removed(unlinkat(parent.as_fd(), name, UnlinkatFlags::RemoveDir))
}

fn list_entries(dir_fd: &OwnedFd, path: &Path) -> Result<Vec<String>, FsError> {
    let open_error = |source| FsError::Open { path: path.to_owned(), source };
    let dup = dir_fd.try_clone().map_err(|e| open_error(Errno::from_raw(e.raw_os_error().unwrap_or(0))))?;
    let mut dir = Dir::from_fd(dup).map_err(open_error)?;
    let mut names = Vec::new();
    for entry in dir.iter() {
        let name = entry.map_err(open_error)?.file_name().to_string_lossy().into_owned();
        if name != "." && name != ".." {
            names.push(name);
        }
    }
    Ok(names)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remove_tree_unlinks_symlinks_without_touching_their_targets() {
        let tmp = tempfile::tempdir().unwrap();
        let victim = tmp.path().join("victim");
        std::fs::create_dir(&victim).unwrap();
        std::fs::write(victim.join("precious"), "keep").unwrap();

        let base = BaseDir::open_private(&tmp.path().join("home"), "sessions").unwrap();
        let dir = base.create_dir("session-1").unwrap();
        std::fs::create_dir_all(dir.join("profile/deep")).unwrap();
        std::fs::write(dir.join("profile/deep/file"), "x").unwrap();
        std::os::unix::fs::symlink(&victim, dir.join("link-to-victim")).unwrap();
        std::os::unix::fs::symlink(&victim, dir.join("profile/deep/link")).unwrap();

        base.remove_tree("session-1").unwrap();
        assert!(!dir.exists());
        assert_eq!(std::fs::read_to_string(victim.join("precious")).unwrap(), "keep");
        base.remove_tree("session-1").unwrap();
    }

    #[test]
    fn create_dir_refuses_an_existing_entry_or_a_planted_symlink() {
        let tmp = tempfile::tempdir().unwrap();
        let base = BaseDir::open_private(tmp.path(), "sessions").unwrap();
        std::os::unix::fs::symlink(tmp.path(), base.path().join("session-2")).unwrap();
        assert!(matches!(base.create_dir("session-2"), Err(FsError::Exists { .. })));
        base.create_dir("session-3").unwrap();
        assert!(matches!(base.create_dir("session-3"), Err(FsError::Exists { .. })));
        base.remove_tree("session-2").unwrap();
        assert!(tmp.path().exists(), "removing a symlink must not remove its target");
    }

    #[test]
    fn open_private_refuses_a_symlinked_base() {
        let tmp = tempfile::tempdir().unwrap();
        std::fs::create_dir(tmp.path().join("real")).unwrap();
        std::os::unix::fs::symlink(tmp.path().join("real"), tmp.path().join("sessions")).unwrap();
        let err = BaseDir::open_private(tmp.path(), "sessions").unwrap_err();
        assert!(matches!(err, FsError::Unsafe { .. }), "{err}");
    }
}
