//! Signals addressed to a process group or to one verified process.
//!
//! A pid alone is never enough to signal: pids are reused. A [`ProcessGroup`] is only built from a
//! child we spawned ourselves, and a single process is only signalled through a [`ProcIdentity`]
//! whose start time is checked right before the signal.

use nix::errno::Errno;
use nix::sys::signal::{kill, killpg};
use nix::unistd::Pid;

use crate::proc::ProcIdentity;

pub use nix::sys::signal::Signal;

/// What happened to a signal we sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Delivery {
    /// At least one process received it.
    Delivered,
    /// Nothing by that id exists any more (`ESRCH`): already gone, not an error.
    Gone,
}

/// A process group that this service created by spawning its leader with `setpgid(0, 0)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ProcessGroup(i32);

impl ProcessGroup {
    /// Wraps the pgid of a leader we spawned. Refuses 0 and 1, which would address our own
    /// group or every process.
    pub fn from_leader_pid(pid: u32) -> Option<Self> {
        let pid = i32::try_from(pid).ok()?;
        (pid > 1).then_some(Self(pid))
    }

    pub fn id(self) -> i32 {
        self.0
    }

    /// Sends `signal` to every member of the group.
    pub fn signal(self, signal: Signal) -> Result<Delivery, Errno> {
        match killpg(Pid::from_raw(self.0), signal) {
            Ok(()) => Ok(Delivery::Delivered),
            Err(Errno::ESRCH) => Ok(Delivery::Gone),
            Err(e) => Err(e),
        }
    }
}

/// Sends `signal` to one process, after checking that the pid still names the same process
/// (same start time and owner). A reused pid gets [`Delivery::Gone`], never the signal.
pub fn signal_process(who: &ProcIdentity, signal: Signal) -> Result<Delivery, Errno> {
    if !who.is_alive() {
        return Ok(Delivery::Gone);
    }
    match kill(Pid::from_raw(who.pid), signal) {
        Ok(()) => Ok(Delivery::Delivered),
        Err(Errno::ESRCH) => Ok(Delivery::Gone),
        Err(e) => Err(e),
    }
}
