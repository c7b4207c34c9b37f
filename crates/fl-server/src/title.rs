//! Firefox's window title in a session's JSON, read from its X server when asked.
//!
//! Read on request rather than watched, so an idle service does no work; each read is one short
//! X round trip on a blocking thread, bounded so a wedged X server cannot hold an API answer.

use std::time::Duration;

use fl_api::{SessionStatus, SessionView};

const READ_LIMIT: Duration = Duration::from_millis(500);

/// Fills `title` of each ready session, concurrently.
pub(crate) async fn with_titles(mut views: Vec<SessionView>) -> Vec<SessionView> {
    let reads: Vec<_> = views.iter().map(|v| tokio::spawn(read(v.clone()))).collect();
    for (view, read) in views.iter_mut().zip(reads) {
        view.title = read.await.ok().flatten().unwrap_or_default();
    }
    views
}

async fn read(view: SessionView) -> Option<String> {
    let display: u32 = view.display.as_deref()?.trim_start_matches(':').parse().ok()?;
    if view.status != SessionStatus::Ready {
        return None;
    }
    let dir = std::path::PathBuf::from(view.dir);
    let blocking = tokio::task::spawn_blocking(move || fl_session::window_title(&dir, display));
    tokio::time::timeout(READ_LIMIT, blocking).await.ok()?.ok()?
}
