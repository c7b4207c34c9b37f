//! Stopping one session so that nothing of it is left.
//!
//! The sequence, after cargo-nextest's: SIGTERM to the process group, wait for the group to empty
//! or the grace to run out, then SIGKILL the group. A zero grace means SIGKILL at once.
//!
//! The group is not the whole session. Xpra starts Xvfb with `setsid`, outside its group: after a
//! SIGTERM Xpra stops Xvfb itself, but after a SIGKILL Xvfb keeps running with its X socket in
//! `/tmp/.X11-unix`. A child may also `setsid` away on its own. So before signalling we list every
//! process carrying this session's environment marker, and afterwards stop whichever of them still
//! runs, each verified by pid *and* start time, then remove the display's stale X socket and lock
//! (see `xfiles`: other users can plant entries there), and last the session directory. Nothing
//! that is not provably this session's is signalled.

use std::time::{Duration, Instant};

use fl_sys::{Delivery, ProcIdentity, ProcessInfo, Signal};

use crate::Session;
use crate::command::MARKER_ENV;

const POLL: Duration = Duration::from_millis(20);
/// How long escaped processes get between their SIGTERM and SIGKILL.
const LEFTOVER_GRACE: Duration = Duration::from_millis(500);
/// Bound on waiting for killed processes to vanish (reaping by init can lag ~1 s here).
const VANISH_LIMIT: Duration = Duration::from_secs(3);

/// Which signal ended the session's process group.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StopSignal {
    /// The group had already exited on its own.
    None,
    Term,
    Kill,
}

impl StopSignal {
    pub fn name(self) -> &'static str {
        match self {
            Self::None => "none",
            Self::Term => "SIGTERM",
            Self::Kill => "SIGKILL",
        }
    }
}

/// What [`Session::stop`] did.
#[derive(Debug, Clone)]
pub struct StopReport {
    pub signal: StopSignal,
    pub elapsed: Duration,
    /// Processes outside the group that had to be stopped one by one.
    pub leftovers: usize,
    /// Anything that could not be cleaned (the directory, a socket), for the log.
    pub problems: Vec<String>,
    /// Finished downloads moved out of the session just before its directory went.
    pub downloads: Vec<fl_api::Download>,
}

impl Session {
    /// Processes of this session: its group's live members, everything with its marker, and its
    /// Xvfb (Xpra 6 starts Xvfb with an environment of its own, without our marker).
    pub(crate) fn members(&self) -> Vec<ProcessInfo> {
        let marker = self.spec.marker.as_bytes();
        let mut found = fl_sys::find_by_env(fl_sys::current_uid(), MARKER_ENV, |v| v == marker);
        let mut extra = Vec::new();
        if self.exit.is_none() {
            extra.extend(fl_sys::group_members(self.pgid.id()));
        }
        extra.extend(self.xvfb.and_then(|x| fl_sys::process_info(x.pid)).filter(|p| Some(p.identity) == self.xvfb && !p.defunct));
        for p in extra {
            if !found.iter().any(|f| f.identity == p.identity) {
                found.push(p);
            }
        }
        found
    }

    /// Stops every process of the session and removes its directory. Safe to call once the
    /// session has exited on its own too: it then only cleans up.
    pub async fn stop(&mut self, grace: Duration) -> StopReport {
        let started = Instant::now();
        // A session stopped before it was ready has not looked for its X server yet; Xpra 6's
        // is found only as Xpra's child, so it must be looked for while Xpra still lives.
        if self.xvfb.is_none() {
            self.xvfb = self.find_xvfb();
        }
        // Signal first, look for stragglers after: every process of the session carries its
        // marker, so whatever outlives the group is still found then.
        let signal = self.stop_group(grace).await;
        let leftovers = self.stop_leftovers().await;
        let mut problems = Vec::new();
        if let Some(display) = self.display {
            problems.extend(crate::xfiles::clean_x_files(display, self.xvfb).await);
        }
        // Firefox is gone: whatever it finished is complete; the rest goes with the directory.
        let downloads = self.downloads().map(|d| d.collect()).unwrap_or_default();
        if let Err(e) = self.base.remove_tree(&self.dir_name) {
            problems.push(e.to_string());
        }
        if self.exit.is_some() {
            self.children.release(self.pid);
        }
        StopReport { signal, elapsed: started.elapsed(), leftovers, problems, downloads }
    }

    fn group_alive(&self) -> bool {
        self.exit.is_none() || !fl_sys::group_members(self.pgid.id()).is_empty()
    }

    async fn stop_group(&mut self, grace: Duration) -> StopSignal {
        if self.exit.is_none() {
            // A pending exit status means our child is unreaped, so its pid (= the pgid) cannot
            // have been reused; try_wait reaps it if it has just exited.
            self.exit = self.leader.try_wait();
        }
        if !self.group_alive() {
            return StopSignal::None;
        }
        if !grace.is_zero() {
            self.signal_group(Signal::SIGTERM);
            if self.wait_group(grace).await {
                return StopSignal::Term;
            }
        }
        self.signal_group(Signal::SIGKILL);
        self.wait_group(VANISH_LIMIT).await;
        StopSignal::Kill
    }

    /// Signals the group through the leader; an adopted session's processes are signalled one
    /// by one after checking each is still the process we found.
    fn signal_group(&self, signal: Signal) {
        match self.leader.signal_group(self.pgid, signal) {
            Some(Ok(Delivery::Delivered | Delivery::Gone)) => {}
            Some(Err(e)) => tracing::warn!(port = self.spec.port, pgid = self.pgid.id(), "{signal} failed: {e}"),
            None => {
                let members: Vec<ProcIdentity> = self.members().iter().map(|p| p.identity).collect();
                signal_each(&members, signal);
            }
        }
    }

    /// Waits until the leader is reaped and no live member is left, or `limit` passes.
    async fn wait_group(&mut self, limit: Duration) -> bool {
        let deadline = Instant::now() + limit;
        loop {
            if self.exit.is_none() {
                let remaining = deadline.saturating_duration_since(Instant::now());
                if tokio::time::timeout(remaining, self.wait_exit()).await.is_err() {
                    return false;
                }
            }
            if !self.group_alive() {
                return true;
            }
            if Instant::now() >= deadline {
                return false;
            }
            tokio::time::sleep(POLL).await;
        }
    }

    /// Stops processes of this session that outlived its group (found by marker). Returns how
    /// many there were.
    async fn stop_leftovers(&self) -> usize {
        let left: Vec<ProcIdentity> = self.members().iter().map(|p| p.identity).collect();
        if left.is_empty() {
            return 0;
        }
        tracing::debug!(port = self.spec.port, "stopping {} process(es) outside the group", left.len());
        signal_each(&left, Signal::SIGTERM);
        if !wait_vanished(&left, LEFTOVER_GRACE).await {
            signal_each(&left, Signal::SIGKILL);
            wait_vanished(&left, VANISH_LIMIT).await;
        }
        left.len()
    }
}

/// Cleans up after a session whose Xpra is gone but whose record remains (a crashed service):
/// stops whatever still carries its marker, removes stale X files and its directory. Returns how
/// many processes had to be stopped.
pub async fn clean_up_after(base: &fl_sys::BaseDir, record: &crate::SessionRecord) -> Result<usize, fl_sys::FsError> {
    let left: Vec<ProcIdentity> = record.live_processes().iter().map(|p| p.identity).collect();
    if !left.is_empty() {
        signal_each(&left, Signal::SIGTERM);
        if !wait_vanished(&left, LEFTOVER_GRACE).await {
            signal_each(&left, Signal::SIGKILL);
            wait_vanished(&left, VANISH_LIMIT).await;
        }
    }
    if let Some(display) = record.display {
        for problem in crate::xfiles::clean_x_files(display, record.xvfb.map(|x| x.identity(record.uid))).await {
            tracing::warn!(port = record.port, "cleanup: {problem}");
        }
    }
    let layout = crate::layout::Layout::new(base.path().join(crate::dir_name(record.port)));
    if let Some(downloads) = crate::downloads_of(&layout, &record.options) {
        downloads.collect();
    }
    base.remove_tree(&crate::dir_name(record.port))?;
    Ok(left.len())
}

fn signal_each(processes: &[ProcIdentity], signal: Signal) {
    for p in processes {
        if let Err(e) = fl_sys::signal_process(p, signal) {
            tracing::warn!(pid = p.pid, "{signal} failed: {e}");
        }
    }
}

async fn wait_vanished(processes: &[ProcIdentity], limit: Duration) -> bool {
    let deadline = Instant::now() + limit;
    loop {
        if !processes.iter().any(ProcIdentity::is_alive) {
            return true;
        }
        if Instant::now() >= deadline {
            return false;
        }
        tokio::time::sleep(POLL).await;
    }
}
