//! The platform boundary of firefox-launcher.
//!
//! Every Linux system call the launcher makes lives in this crate, so the rest of the code base speaks
//! in terms of process groups, process identities and session directories, never raw pids or paths
//! that a symlink could redirect. Other crates do not depend on `nix` or `libc` directly.

mod dir_events;
mod fs;
mod fs_size;
mod lifecycle;
mod limits;
mod port;
mod proc;
mod shared_dir;
mod signal;
mod spawn;
mod splice;

pub use dir_events::{DirEvents, rename_no_replace};
pub use fs::{BaseDir, FsError};
pub use fs_size::filesystem_size;
pub use lifecycle::{OwnChildren, become_subreaper, child_dies_with_us, hostname, parent_pid, pidfd_open, random_secret, signal_on_parent_death};
pub use limits::{raise_open_files_limit, with_umask};
pub use port::PortReservation;
pub use proc::{
    ProcError, ProcIdentity, ProcessInfo, boot_id, find_by_env, group_members, process_info, scan,
};
pub use nix::errno::Errno;
pub use shared_dir::{CheckedEntry, OwnFile, SharedDir, SharedFileError, SocketState, connect_own_socket, peer_uid};
pub use signal::{Delivery, ProcessGroup, Signal, signal_process};
pub use spawn::{Pipe, move_fd_in_child};
pub use splice::{SplicePipe, shutdown_write};

/// The effective uid of this process: sessions and everything they own must belong to it.
pub fn current_uid() -> u32 {
    nix::unistd::geteuid().as_raw()
}
