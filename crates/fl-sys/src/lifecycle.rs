//! Process-lifetime links: who dies with whom, and who reaps whom.
//!
//! `serve` follows its parent (jupyter-server): it asks for SIGTERM when the parent dies and also
//! watches the parent through a pidfd, which works even where the parent-death signal does not
//! (it follows the *thread* that forked us). `serve` is a child subreaper, so a session's
//! double-forked descendants are re-parented to it rather than to init, stay visible, and are
//! reaped by it. Xpra gets SIGTERM when `serve` dies, so a killed service leaves no browser behind.

use std::collections::HashSet;
use std::os::fd::{FromRawFd, OwnedFd};
use std::sync::{Mutex, MutexGuard};

use nix::errno::Errno;
use nix::sys::signal::Signal;
use nix::sys::wait::{WaitPidFlag, waitpid};
use nix::unistd::Pid;

/// Makes this process a child subreaper (`PR_SET_CHILD_SUBREAPER`).
pub fn become_subreaper() -> Result<(), Errno> {
    nix::sys::prctl::set_child_subreaper(true)
}

/// Asks for `signal` when the parent (thread) of this process dies (`PR_SET_PDEATHSIG`).
pub fn signal_on_parent_death(signal: Signal) -> Result<(), Errno> {
    nix::sys::prctl::set_pdeathsig(signal)
}

/// Arranges for the child that `command` spawns to get SIGTERM when this process's spawning
/// thread dies.
pub fn child_dies_with_us(command: &mut std::process::Command) {
    use std::os::unix::process::CommandExt;
    // Safety: the closure runs in the forked child before exec and only calls prctl(2), which is
    // async-signal-safe; it allocates nothing and touches no lock.
    unsafe {
        command.pre_exec(|| {
            if nix::libc::prctl(nix::libc::PR_SET_PDEATHSIG, nix::libc::SIGTERM, 0, 0, 0) < 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
}

/// A pidfd: becomes readable when the process exits, whoever its parent is.
pub fn pidfd_open(pid: i32) -> std::io::Result<OwnedFd> {
    // Safety: pidfd_open(2) takes a pid and flags and returns a new fd or -1; no memory is passed.
    let fd = unsafe { nix::libc::syscall(nix::libc::SYS_pidfd_open, pid, 0) };
    if fd < 0 {
        return Err(std::io::Error::last_os_error());
    }
    // Safety: the kernel just returned this fd to us; nothing else owns it.
    Ok(unsafe { OwnedFd::from_raw_fd(fd as i32) })
}

/// The children this process spawned itself, whose exit status their owners collect. Everything
/// else that dies as our child was re-parented to us as subreaper, and is ours to reap.
///
/// Spawning and reaping take the same lock, so a child that exits at once cannot be reaped by
/// mistake before it is registered.
#[derive(Debug, Default)]
pub struct OwnChildren {
    pids: Mutex<HashSet<i32>>,
}

impl OwnChildren {
    fn pids(&self) -> MutexGuard<'_, HashSet<i32>> {
        self.pids.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Runs `spawn` and registers the pid it reports, under the lock.
    pub fn spawn<T>(&self, spawn: impl FnOnce() -> std::io::Result<T>, pid_of: impl Fn(&T) -> Option<u32>) -> std::io::Result<T> {
        let mut pids = self.pids();
        let spawned = spawn()?;
        if let Some(pid) = pid_of(&spawned) {
            pids.insert(pid as i32);
        }
        Ok(spawned)
    }

    /// Forgets a child whose owner has collected it.
    pub fn release(&self, pid: u32) {
        self.pids().remove(&(pid as i32));
    }

    /// Reaps exited children that are not registered. Only zombies are waited for, each by pid
    /// with `WNOHANG`. Returns how many were reaped.
    pub fn reap_orphans(&self) -> usize {
        let pids = self.pids();
        let me = std::process::id() as i32;
        crate::scan()
            .into_iter()
            .filter(|p| p.ppid == me && p.defunct && !pids.contains(&p.identity.pid))
            .filter(|p| waitpid(Pid::from_raw(p.identity.pid), Some(WaitPidFlag::WNOHANG)).is_ok_and(|s| s.pid().is_some()))
            .count()
    }
}

/// Our parent's pid (1, or a subreaper's, once the real parent has died).
pub fn parent_pid() -> i32 {
    nix::unistd::getppid().as_raw()
}

/// A random secret: 32 bytes from the kernel, hex-encoded.
pub fn random_secret() -> std::io::Result<String> {
    use std::io::Read;
    let mut bytes = [0u8; 32];
    std::fs::File::open("/dev/urandom")?.read_exact(&mut bytes)?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

/// This machine's hostname, for session records on shared home directories.
pub fn hostname() -> String {
    nix::unistd::gethostname().map(|h| h.to_string_lossy().into_owned()).unwrap_or_default()
}
