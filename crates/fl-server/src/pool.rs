//! The warm pool (`--warm N`): N sessions started and ready but unclaimed, so that a create is
//! answered at once. One task keeps the pool full, starting one session at a time (starts in
//! parallel slow each other down on a small machine); a claim or a pooled session ending wakes
//! it. Pooled sessions are ordinary map entries marked `pooled`: not listed, not counted toward
//! `--max-sessions`, never idle-culled, and stopped with the service like any other.

use std::time::Duration;

use crate::state::AppState;

const RETRY_AFTER_FAILURE: Duration = Duration::from_secs(5);

pub(crate) fn start_filler(state: &AppState) {
    let warm = state.options().warm;
    if warm == 0 {
        return;
    }
    let state = state.clone();
    tokio::spawn(async move {
        let shutdown = state.shutdown_token();
        loop {
            if shutdown.is_cancelled() {
                break;
            }
            if state.pooled_count() < warm {
                if let Err(e) = crate::supervisor::start_pooled(&state).await {
                    tracing::warn!("warm pool: {e}");
                    tokio::select! {
                        () = tokio::time::sleep(RETRY_AFTER_FAILURE) => {}
                        () = shutdown.cancelled() => break,
                    }
                }
                continue;
            }
            tokio::select! {
                () = state.inner.pool_changed.notified() => {}
                () = shutdown.cancelled() => break,
            }
        }
    });
}
