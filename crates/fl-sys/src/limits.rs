//! Process-wide settings the service adjusts at start: the open-file limit and the file-creation
//! mask.
//!
//! Every open connection costs a descriptor, and a default soft limit of 1024 would let a flood of
//! idle connections starve the sessions (and the accept loop) of descriptors. The umask matters
//! for the one file whose mode cannot be set at creation: a unix socket that `bind` creates.

use nix::errno::Errno;
use nix::sys::resource::{Resource, getrlimit, setrlimit};
use nix::sys::stat::{Mode, umask};

/// Raises the soft `RLIMIT_NOFILE` to the hard limit; returns the soft limit now in force.
pub fn raise_open_files_limit() -> Result<u64, Errno> {
    let (soft, hard) = getrlimit(Resource::RLIMIT_NOFILE)?;
    if soft >= hard {
        return Ok(soft);
    }
    setrlimit(Resource::RLIMIT_NOFILE, hard, hard)?;
    Ok(hard)
}

/// Runs `f` with the file-creation mask set to `mask`, then puts the previous mask back (also if
/// `f` panics).
///
/// The mask belongs to the process, not the thread: a file another thread creates meanwhile gets
/// `mask` too. Callers pass a mask stricter than the usual one, so such a file errs on the private
/// side.
pub fn with_umask<T>(mask: u32, f: impl FnOnce() -> T) -> T {
    struct Restore(Mode);
    impl Drop for Restore {
        fn drop(&mut self) {
            umask(self.0);
        }
    }
    let _restore = Restore(umask(Mode::from_bits_truncate(mask)));
    f()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_soft_limit_reaches_the_hard_limit() {
        // Lowered first, so the test means something where soft and hard start equal.
        let (_, hard) = getrlimit(Resource::RLIMIT_NOFILE).unwrap();
        setrlimit(Resource::RLIMIT_NOFILE, hard.min(256), hard).unwrap();
        let raised = raise_open_files_limit().unwrap();
        let (soft, hard) = getrlimit(Resource::RLIMIT_NOFILE).unwrap();
        assert_eq!((raised, soft), (hard, hard));
    }

    #[test]
    fn a_file_created_under_the_mask_has_no_group_or_other_bits_and_the_mask_is_restored() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f");
        let before = umask(Mode::from_bits_truncate(0o022));
        umask(before);
        with_umask(0o077, || std::fs::File::create(&path).unwrap());
        let mode = std::os::unix::fs::PermissionsExt::mode(&std::fs::metadata(&path).unwrap().permissions());
        assert_eq!(mode & 0o777, 0o600);
        let after = umask(before);
        assert_eq!(after, before);
    }
}
