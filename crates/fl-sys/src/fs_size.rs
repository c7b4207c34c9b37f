//! The size of a mounted file system, for `doctor`'s `/dev/shm` check.

use std::path::Path;

/// Total bytes of the file system holding `path` (`statvfs`).
pub fn filesystem_size(path: &Path) -> std::io::Result<u64> {
    let stat = nix::sys::statvfs::statvfs(path)?;
    Ok(stat.blocks() * stat.fragment_size())
}
