//! Firefox's window title in a session's JSON, read from its X server when asked.
//!
//! Read on request rather than watched, so an idle service does no work; each read is one short
//! X round trip on a blocking thread, bounded so a wedged X server cannot hold an API answer.
//! A title read less than a second ago is answered from memory: a client polling the list many
//! times a second cost one X round trip per session per request (the list of four sessions fell
//! from ~39,000 to ~2,200 answers per second in the bench), and a title a second old is current
//! enough for a list.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use fl_api::{SessionStatus, SessionView};

const READ_LIMIT: Duration = Duration::from_millis(500);
const FRESH_FOR: Duration = Duration::from_secs(1);
/// Titles of sessions nobody asked about for this long are forgotten.
const FORGET_AFTER: Duration = Duration::from_secs(60);

/// The last title read per session (port and creation time: ports are reused).
#[derive(Debug, Default)]
pub(crate) struct Titles(Mutex<HashMap<(u16, String), (Instant, String)>>);

impl Titles {
    fn recent(&self, view: &SessionView) -> Option<String> {
        let map = self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        map.get(&key(view)).filter(|(at, _)| at.elapsed() < FRESH_FOR).map(|(_, title)| title.clone())
    }

    fn remember(&self, view: &SessionView, title: &str) {
        let mut map = self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        map.retain(|_, (at, _)| at.elapsed() < FORGET_AFTER);
        map.insert(key(view), (Instant::now(), title.to_owned()));
    }
}

fn key(view: &SessionView) -> (u16, String) {
    (view.port, view.created_at.clone())
}

/// Fills `title` of each ready session, concurrently (from memory when read within a second).
pub(crate) async fn with_titles(titles: &Titles, mut views: Vec<SessionView>) -> Vec<SessionView> {
    let reads: Vec<_> = views.iter().map(|v| titles.recent(v).ok_or_else(|| tokio::spawn(read(v.clone())))).collect();
    for (view, read) in views.iter_mut().zip(reads) {
        view.title = match read {
            Ok(title) => title,
            Err(reading) => {
                let title = reading.await.ok().flatten();
                // Only a title actually read is kept: a session still starting gets asked again.
                if let Some(title) = &title {
                    titles.remember(view, title);
                }
                title.unwrap_or_default()
            }
        };
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

#[cfg(test)]
mod tests {
    use super::*;

    fn view(port: u16, created_at: &str) -> SessionView {
        let mut v: SessionView = serde_json::from_str(
            r#"{"port":1,"status":"ready","pid":2,"pgid":2,"display":":0","dir":"/nonexistent","url":"about:blank",
                "created_at":"","path":"sessions/1/","clients":0,"last_activity":"","title":"","profile":"temporary",
                "clipboard":"both","downloads_dir":"/d","downloads":[]}"#,
        )
        .unwrap();
        (v.port, v.created_at) = (port, created_at.to_owned());
        v
    }

    #[test]
    fn a_title_is_answered_from_memory_for_a_second_and_only_for_its_own_session() {
        let titles = Titles::default();
        let a = view(4000, "2026-11-26T10:00:00Z");
        assert_eq!(titles.recent(&a), None, "nothing read yet");
        titles.remember(&a, "page A");
        assert_eq!(titles.recent(&a).as_deref(), Some("page A"));
        assert_eq!(titles.recent(&view(4000, "2026-11-26T11:00:00Z")), None, "a new session on the same port");
        assert_eq!(titles.recent(&view(4001, "2026-11-26T10:00:00Z")), None, "another port");
        std::thread::sleep(FRESH_FOR + Duration::from_millis(100));
        assert_eq!(titles.recent(&a), None, "read again after a second");
    }
}
