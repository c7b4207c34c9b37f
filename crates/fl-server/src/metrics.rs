//! Counters behind `GET /metrics`, in Prometheus' text format.
//!
//! Session outcomes by reason (user, idle, exited, shutdown, parent, recovered, failed), start and
//! stop durations as histograms, orphans reaped as subreaper. Plain atomics: no registry crate.

use std::fmt::Write;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

const BUCKETS: [f64; 10] = [0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 20.0, 30.0, 60.0];
pub(crate) const REASONS: [&str; 7] = ["user", "idle", "exited", "shutdown", "parent", "recovered", "failed"];

#[derive(Debug, Default)]
struct Histogram {
    counts: [AtomicU64; BUCKETS.len()],
    count: AtomicU64,
    sum_micros: AtomicU64,
}

impl Histogram {
    fn observe(&self, d: Duration) {
        let secs = d.as_secs_f64();
        for (bound, count) in BUCKETS.iter().zip(&self.counts) {
            if secs <= *bound {
                count.fetch_add(1, Ordering::Relaxed);
            }
        }
        self.count.fetch_add(1, Ordering::Relaxed);
        self.sum_micros.fetch_add(d.as_micros() as u64, Ordering::Relaxed);
    }

    fn render(&self, name: &str, help: &str, out: &mut String) {
        let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} histogram");
        for (bound, count) in BUCKETS.iter().zip(&self.counts) {
            let _ = writeln!(out, "{name}_bucket{{le=\"{bound}\"}} {}", count.load(Ordering::Relaxed));
        }
        let count = self.count.load(Ordering::Relaxed);
        let _ = writeln!(out, "{name}_bucket{{le=\"+Inf\"}} {count}");
        let _ = writeln!(out, "{name}_sum {}", self.sum_micros.load(Ordering::Relaxed) as f64 / 1e6);
        let _ = writeln!(out, "{name}_count {count}");
    }
}

#[derive(Debug, Default)]
pub(crate) struct Metrics {
    created: AtomicU64,
    stopped: Mutex<[u64; REASONS.len()]>,
    start: Histogram,
    stop: Histogram,
    orphans_reaped: AtomicU64,
    websocket: crate::relay::Counters,
}

impl Metrics {
    pub(crate) fn session_ready(&self, took: Duration) {
        self.created.fetch_add(1, Ordering::Relaxed);
        self.start.observe(took);
    }

    pub(crate) fn session_stopped(&self, reason: &str, took: Duration) {
        if let Some(i) = REASONS.iter().position(|r| *r == reason) {
            self.stopped.lock().unwrap_or_else(std::sync::PoisonError::into_inner)[i] += 1;
        }
        self.stop.observe(took);
    }

    pub(crate) fn websocket(&self) -> &crate::relay::Counters {
        &self.websocket
    }

    pub(crate) fn orphans_reaped(&self, n: usize) {
        self.orphans_reaped.fetch_add(n as u64, Ordering::Relaxed);
    }

    /// The counters as `name=value` pairs on one line, for the log as the service exits: the
    /// sessions stopped by a shutdown or the parent's death are counted only after `/metrics`
    /// has stopped answering, so no scrape ever sees them.
    pub(crate) fn summary(&self) -> String {
        let mut out = format!("created={}", self.created.load(Ordering::Relaxed));
        let stopped = *self.stopped.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        for (reason, n) in REASONS.iter().zip(stopped) {
            let _ = write!(out, " {reason}={n}");
        }
        let _ = write!(out, " orphans_reaped={}", self.orphans_reaped.load(Ordering::Relaxed));
        out
    }

    pub(crate) fn render(&self, active: usize) -> String {
        let mut out = String::new();
        let _ = writeln!(out, "# HELP firefox_launcher_sessions_active Sessions listed now.\n# TYPE firefox_launcher_sessions_active gauge\nfirefox_launcher_sessions_active {active}");
        let _ = writeln!(out, "# HELP firefox_launcher_sessions_created_total Sessions that became ready.\n# TYPE firefox_launcher_sessions_created_total counter\nfirefox_launcher_sessions_created_total {}", self.created.load(Ordering::Relaxed));
        let _ = writeln!(out, "# HELP firefox_launcher_sessions_stopped_total Sessions torn down, by reason.\n# TYPE firefox_launcher_sessions_stopped_total counter");
        let stopped = *self.stopped.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        for (reason, n) in REASONS.iter().zip(stopped) {
            let _ = writeln!(out, "firefox_launcher_sessions_stopped_total{{reason=\"{reason}\"}} {n}");
        }
        self.start.render("firefox_launcher_session_start_seconds", "From spawn to ready.", &mut out);
        self.stop.render("firefox_launcher_session_stop_seconds", "From stop request to nothing left.", &mut out);
        let _ = writeln!(out, "# HELP firefox_launcher_orphans_reaped_total Re-parented descendants reaped as subreaper.\n# TYPE firefox_launcher_orphans_reaped_total counter\nfirefox_launcher_orphans_reaped_total {}", self.orphans_reaped.load(Ordering::Relaxed));
        let _ = writeln!(out, "# HELP firefox_launcher_websocket_bytes_total Bytes relayed between browsers and Xpra (down: to the browser).\n# TYPE firefox_launcher_websocket_bytes_total counter");
        for (direction, counter) in [("down", &self.websocket.down), ("up", &self.websocket.up)] {
            let _ = writeln!(out, "firefox_launcher_websocket_bytes_total{{direction=\"{direction}\"}} {}", counter.load(Ordering::Relaxed));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_summary_names_every_counter_on_one_line() {
        let metrics = Metrics::default();
        metrics.session_ready(Duration::from_millis(5));
        metrics.session_stopped("parent", Duration::from_millis(5));
        metrics.orphans_reaped(3);
        assert_eq!(
            metrics.summary(),
            "created=1 user=0 idle=0 exited=0 shutdown=0 parent=1 recovered=0 failed=0 orphans_reaped=3"
        );
    }
}
