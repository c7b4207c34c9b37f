//! Asking JupyterLab for the user's attention from code: "show the session on port N" (the
//! Python package's `s.show()`, a link a kernel's `webbrowser` opened). Each JupyterLab keeps a
//! request open on `GET /api/events?after=ID` and opens the session's tab when one comes.
//!
//! Only the last few events are kept, in memory: an event is a moment, not state, so a restart
//! forgets them (a JupyterLab that asks after an id this service never gave gets the events it
//! still has).

use std::collections::VecDeque;
use std::sync::Mutex;
use std::time::Duration;

use fl_api::{Event, EventList};
use tokio::sync::Notify;

const KEPT: usize = 32;

#[derive(Debug, Default)]
pub(crate) struct Events {
    log: Mutex<Log>,
    added: Notify,
}

#[derive(Debug, Default)]
struct Log {
    /// The id of the newest event (0: none yet).
    last: u64,
    kept: VecDeque<Event>,
}

impl Events {
    pub(crate) fn push(&self, kind: &str, port: u16) -> u64 {
        let mut log = self.log.lock().unwrap();
        log.last += 1;
        if log.kept.len() == KEPT {
            log.kept.pop_front();
        }
        let id = log.last;
        log.kept.push_back(Event { id, kind: kind.to_owned(), port });
        self.added.notify_waiters();
        id
    }

    fn after(&self, after: u64) -> EventList {
        let log = self.log.lock().unwrap();
        let events = log.kept.iter().filter(|e| e.id > after || after > log.last).cloned().collect();
        EventList { events, last: log.last }
    }

    /// The events after `after`; when there are none, waits up to `limit` for one.
    pub(crate) async fn wait_after(&self, after: u64, limit: Duration) -> EventList {
        let deadline = tokio::time::Instant::now() + limit;
        loop {
            let added = self.added.notified();
            let list = self.after(after);
            if !list.events.is_empty() {
                return list;
            }
            if tokio::time::timeout_at(deadline, added).await.is_err() {
                return self.after(after);
            }
        }
    }

    /// Where a new follower starts: no events, the newest id.
    pub(crate) fn now(&self) -> EventList {
        EventList { events: Vec::new(), last: self.log.lock().unwrap().last }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_waiting_follower_gets_the_next_event_and_only_newer_ones() {
        let events = std::sync::Arc::new(Events::default());
        events.push("show", 1);
        let start = events.now();
        assert_eq!((start.events.len(), start.last), (0, 1));
        let waiter = tokio::spawn({
            let events = std::sync::Arc::clone(&events);
            async move { events.wait_after(1, Duration::from_secs(10)).await }
        });
        tokio::time::sleep(Duration::from_millis(50)).await;
        events.push("show", 2);
        let got = waiter.await.unwrap();
        assert_eq!(got.events.iter().map(|e| e.port).collect::<Vec<_>>(), [2]);
        assert_eq!(got.last, 2);
        let none = events.wait_after(2, Duration::from_millis(50)).await;
        assert!(none.events.is_empty());
        // An id from before a restart (larger than any given): what is kept, not nothing forever.
        assert_eq!(events.wait_after(99, Duration::from_millis(10)).await.events.len(), 2);
    }
}
