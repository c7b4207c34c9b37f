//! The service's own lifetime links: following the parent and reaping orphans.
//!
//! `serve` stops its sessions when the process that started it (jupyter-server) dies, even by
//! SIGKILL: a parent-death signal (SIGTERM, handled like any shutdown) and a pidfd on the parent,
//! which needs no thread to stay alive. As a child subreaper it inherits the sessions' orphaned
//! descendants, and reaps them on SIGCHLD, leaving the children it spawned to their owners.

use std::os::fd::OwnedFd;

use tokio::io::unix::AsyncFd;
use tokio::signal::unix::{SignalKind, signal};

use crate::state::AppState;

/// Becomes a subreaper and reaps orphans whenever a child exits. Event-driven: no polling.
pub(crate) fn start_reaper(state: &AppState) {
    if let Err(e) = fl_sys::become_subreaper() {
        tracing::warn!("cannot become a child subreaper: {e}");
        return;
    }
    let mut sigchld = match signal(SignalKind::child()) {
        Ok(s) => s,
        Err(e) => {
            tracing::warn!("cannot watch SIGCHLD: {e}");
            return;
        }
    };
    let state = state.clone();
    tokio::spawn(async move {
        while sigchld.recv().await.is_some() {
            let reaped = state.options().session.children.reap_orphans();
            if reaped > 0 {
                tracing::debug!(reaped, "reaped orphaned descendants");
                state.metrics().orphans_reaped(reaped);
            }
        }
    });
}

/// Resolves when our parent process has exited; never, when we were started by init or the
/// parent cannot be watched.
pub(crate) async fn parent_exited() {
    let parent = fl_sys::parent_pid();
    if parent <= 1 {
        return std::future::pending().await;
    }
    if let Err(e) = fl_sys::signal_on_parent_death(fl_sys::Signal::SIGTERM) {
        tracing::warn!("cannot ask for a parent-death signal: {e}");
    }
    let pidfd = match watch(parent) {
        Ok(fd) => fd,
        Err(e) => {
            tracing::warn!(parent, "cannot watch the parent process: {e}");
            return std::future::pending().await;
        }
    };
    // The parent may have died before the pidfd existed: then it names a reused pid or nothing.
    if fl_sys::parent_pid() != parent {
        return;
    }
    tracing::debug!(parent, "following the parent process");
    let _ = pidfd.readable().await;
}

fn watch(pid: i32) -> std::io::Result<AsyncFd<OwnedFd>> {
    let fd = fl_sys::pidfd_open(pid)?;
    // Safety: `fd` is an open pidfd we own and move into the AsyncFd, which keeps it open (and its
    // raw number unchanged) until it is dropped.
    unsafe { AsyncFd::register_with_interest(fd, tokio::io::Interest::READABLE) }.map_err(std::io::Error::from)
}
