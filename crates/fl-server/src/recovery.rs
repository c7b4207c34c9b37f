//! Start-up recovery: what to do with session directories a previous run left behind.
//!
//! Each directory's record decides, and nothing is signalled on the strength of a pid alone:
//! - from another host (a shared NFS home) or another user: left alone, said in the log;
//! - from an earlier boot of this host: its processes cannot exist, so the directory goes;
//! - owned by another `serve` that still runs: left to it;
//! - ours, with Xpra still the recorded process (pid + start time + uid) and serving its page:
//!   adopted, listed, proxied and stoppable like any other;
//! - ours otherwise: whatever still carries its marker is stopped, stale X files and the
//!   directory removed.
//!
//! A directory without a readable record is removed once it is a minute old (a start that died
//! between `mkdir` and writing the record); a younger one may be another run's start in progress.

use std::sync::Arc;
use std::time::Duration;

use fl_session::{Session, SessionRecord};

use crate::state::AppState;

const UNRECORDED_MIN_AGE: Duration = Duration::from_secs(60);

enum Verdict {
    Leave(String),
    Remove(&'static str),
    Ours(Box<SessionRecord>),
}

fn judge(record: SessionRecord, host: &str, boot: &str, uid: u32, me: fl_session::ProcRecord) -> Verdict {
    if record.hostname != host {
        return Verdict::Leave(format!("it belongs to host {}", record.hostname));
    }
    if record.uid != uid {
        return Verdict::Leave(format!("it belongs to uid {}", record.uid));
    }
    if record.boot_id != boot {
        return Verdict::Remove("it is from an earlier boot");
    }
    if record.server != me && record.server.identity(uid).is_alive() {
        return Verdict::Leave(format!("it belongs to the running firefox-launcher pid {}", record.server.pid));
    }
    Verdict::Ours(Box::new(record))
}

/// Reconciles every entry of `<home>/sessions`. Returns how many sessions were adopted.
pub(crate) async fn recover(state: &AppState) -> usize {
    let base = &state.inner.base;
    let names = match base.entries() {
        Ok(names) => names,
        Err(e) => {
            tracing::warn!("recovery skipped: {e}");
            return 0;
        }
    };
    let (host, boot, uid, me) = (fl_sys::hostname(), fl_sys::boot_id().unwrap_or_default(), fl_sys::current_uid(), fl_session::this_process());
    let mut adopted = 0;
    for name in names {
        let Some(port) = name.strip_prefix("session-").and_then(|p| p.parse::<u16>().ok()) else {
            tracing::warn!("recovery: leaving {} alone: not a session directory", base.path().join(&name).display());
            continue;
        };
        let dir = base.path().join(&name);
        let verdict = match SessionRecord::read(&dir) {
            Ok(record) if record.port == port => judge(record, &host, &boot, uid, me),
            _ if base.age_of(&name).is_some_and(|age| age >= UNRECORDED_MIN_AGE) => Verdict::Remove("it has no record"),
            _ => Verdict::Leave("it has no record yet".into()),
        };
        match verdict {
            Verdict::Leave(why) => tracing::info!(port, "recovery: leaving {} alone: {why}", dir.display()),
            Verdict::Remove(why) => match base.remove_tree(&name) {
                Ok(()) => tracing::info!(port, "recovery: removed {}: {why}", dir.display()),
                Err(e) => tracing::warn!(port, "recovery: {e}"),
            },
            Verdict::Ours(record) => adopted += usize::from(take_back(state, *record).await),
        }
    }
    adopted
}

/// Adopts the session when it is healthy, else tears it down. True when adopted.
async fn take_back(state: &AppState, record: SessionRecord) -> bool {
    let port = record.port;
    let cfg = &state.options().session;
    let base = Arc::clone(&state.inner.base);
    // An unclaimed warm session of a previous run is not worth keeping: the pool starts afresh.
    let adoptable = !record.pooled;
    if let Ok(mut session) = Session::adopt(cfg, Arc::clone(&base), record.clone()) {
        // Healthy: Xpra serves its page and (unless a fake xpra runs without one) Firefox runs.
        let firefox_runs = !cfg.require_window || record.live_processes().iter().any(|p| p.comm.starts_with("firefox"));
        if adoptable && firefox_runs && session.upstream().accepts_websocket().await {
            crate::supervisor::adopt(state, session);
            return true;
        }
        tracing::info!(port, "recovery: tearing down an unhealthy session of a previous run");
        let report = session.stop(cfg.grace).await;
        crate::supervisor::log_stopped(state, port, "recovered", &report);
        return false;
    }
    let started = std::time::Instant::now();
    match fl_session::clean_up_after(&base, &record).await {
        Ok(left) => {
            state.metrics().session_stopped("recovered", started.elapsed());
            tracing::info!(port, leftovers = left, "recovery: cleaned up a session whose xpra had exited");
        }
        Err(e) => tracing::warn!(port, "recovery: {e}"),
    }
    false
}
