//! Xpra, the leader of a session's process group, as we can wait for it.
//!
//! Normally it is our child. After `serve` restarts, a session that survived is *adopted*: its
//! Xpra is no longer our child, so we wait on a pidfd instead, and never use its pid as a process
//! group id without checking the process is still the one in the record.

use std::os::fd::OwnedFd;

use fl_sys::{Delivery, ProcIdentity, ProcessGroup, Signal};
use tokio::io::unix::AsyncFd;

#[derive(Debug)]
pub(crate) enum Leader {
    Child(tokio::process::Child),
    Adopted { identity: ProcIdentity, pidfd: AsyncFd<OwnedFd> },
}

impl Leader {
    pub(crate) fn adopt(identity: ProcIdentity) -> std::io::Result<Self> {
        let fd = fl_sys::pidfd_open(identity.pid)?;
        // Safety: `fd` is an open pidfd we own and move into the AsyncFd, which keeps it open
        // (and its raw number unchanged) until the AsyncFd is dropped.
        let pidfd = unsafe { AsyncFd::register_with_interest(fd, tokio::io::Interest::READABLE) }
            .map_err(std::io::Error::from)?;
        // The pidfd names whatever has the pid now: check it is still the recorded process.
        if !identity.is_alive() {
            return Err(std::io::Error::new(std::io::ErrorKind::NotFound, "xpra exited"));
        }
        Ok(Self::Adopted { identity, pidfd })
    }

    /// Resolves when the leader exits, with a description of how. Cancel-safe.
    pub(crate) async fn wait(&mut self) -> String {
        match self {
            Self::Child(child) => match child.wait().await {
                Ok(status) => status.to_string(),
                Err(e) => format!("unknown status ({e})"),
            },
            Self::Adopted { pidfd, .. } => match pidfd.readable().await {
                Ok(_) => "exited (adopted: status unknown)".to_owned(),
                Err(e) => format!("unknown status ({e})"),
            },
        }
    }

    /// The exit description if the leader has exited; reaps our own child.
    pub(crate) fn try_wait(&mut self) -> Option<String> {
        match self {
            Self::Child(child) => child.try_wait().ok().flatten().map(|s| s.to_string()),
            Self::Adopted { identity, .. } => (!identity.is_alive()).then(|| "exited (adopted)".to_owned()),
        }
    }

    /// Signals the whole group. For our own unreaped child the pgid cannot have been reused; for
    /// an adopted leader the caller signals verified processes instead, so this refuses.
    pub(crate) fn signal_group(&self, pgid: ProcessGroup, signal: Signal) -> Option<Result<Delivery, fl_sys::Errno>> {
        match self {
            Self::Child(_) => Some(pgid.signal(signal)),
            Self::Adopted { .. } => None,
        }
    }
}
