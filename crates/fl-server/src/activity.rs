//! Who is using a session: open websockets through the proxy, and when anything last happened.
//! Idle culling reads it; the proxy writes it. Lock-free, as the proxy touches it per request.

use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

#[derive(Debug)]
pub(crate) struct Activity {
    clients: AtomicU32,
    last_ms: AtomicU64,
}

fn now_ms() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_millis() as u64).unwrap_or(0)
}

impl Activity {
    pub(crate) fn new() -> Self {
        Self { clients: AtomicU32::new(0), last_ms: AtomicU64::new(now_ms()) }
    }

    pub(crate) fn touch(&self) {
        self.last_ms.store(now_ms(), Ordering::Relaxed);
    }

    pub(crate) fn client_connected(&self) {
        self.clients.fetch_add(1, Ordering::Relaxed);
        self.touch();
    }

    pub(crate) fn client_left(&self) {
        self.clients.fetch_sub(1, Ordering::Relaxed);
        self.touch();
    }

    pub(crate) fn clients(&self) -> u32 {
        self.clients.load(Ordering::Relaxed)
    }

    /// How long nothing has happened; zero while a client is connected.
    pub(crate) fn idle_for(&self) -> Duration {
        if self.clients() > 0 {
            return Duration::ZERO;
        }
        Duration::from_millis(now_ms().saturating_sub(self.last_ms.load(Ordering::Relaxed)))
    }

    pub(crate) fn last_rfc3339(&self) -> String {
        let ms = self.last_ms.load(Ordering::Relaxed);
        time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
            .ok()
            .and_then(|t| t.format(&time::format_description::well_known::Rfc3339).ok())
            .unwrap_or_default()
    }
}

/// Counts one websocket client for as long as it lives.
#[derive(Debug)]
pub(crate) struct ClientGuard(pub(crate) std::sync::Arc<Activity>);

impl ClientGuard {
    pub(crate) fn new(activity: std::sync::Arc<Activity>) -> Self {
        activity.client_connected();
        Self(activity)
    }
}

impl Drop for ClientGuard {
    fn drop(&mut self) {
        self.0.client_left();
    }
}
