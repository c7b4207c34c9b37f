//! Waiting until a session is usable, or failing fast when it cannot be.
//!
//! Ready means two facts: Xpra accepts a websocket (what the browser's client opens) on the session's socket, and
//! Firefox has mapped a window on the session's display. Meanwhile we watch Xpra itself: if it (or
//! Firefox, since Xpra exits with its child) dies first, the start fails at once with the log tail.

use std::os::fd::OwnedFd;
use std::time::{Duration, Instant};

use tokio::io::AsyncReadExt;
use tokio::sync::oneshot;

use crate::{Session, StartError};

const PROBE_INTERVAL: Duration = Duration::from_millis(100);
const LOG_TAIL_BYTES: usize = 2000;
const DISPLAY_SETTLE: Duration = Duration::from_secs(1);

/// Reads the display number Xvfb writes (via Xpra) on the `--displayfd` pipe.
pub(crate) fn read_display(read_end: OwnedFd) -> oneshot::Receiver<Option<u32>> {
    let (tx, rx) = oneshot::channel();
    tokio::spawn(async move {
        let display = async {
            let mut pipe = tokio::net::unix::pipe::Receiver::from_owned_fd(read_end)
                .inspect_err(|e| tracing::warn!("cannot read the displayfd pipe: {e}"))
                .ok()?;
            let mut buf = Vec::new();
            let mut byte = [0u8; 1];
            while pipe.read(&mut byte).await.ok()? == 1 && byte[0] != b'\n' && buf.len() < 16 {
                buf.push(byte[0]);
            }
            std::str::from_utf8(&buf).ok()?.trim().parse().ok()
        }
        .await;
        let _ = tx.send(display);
    });
    rx
}

impl Session {
    /// Waits until the session is ready; returns how long it took since spawn.
    ///
    /// On error the session's processes may still run: the caller stops it.
    pub async fn wait_ready(&mut self, cfg: &crate::SessionConfig) -> Result<Duration, StartError> {
        let deadline = Instant::now() + cfg.ready_timeout;
        let upstream = self.upstream();
        let mut page = false;
        let mut window = !cfg.require_window;
        loop {
            self.poll_display();
            if !page {
                page = upstream.accepts_websocket().await;
                if page {
                    tracing::debug!(port = self.spec.port, ms = self.spawned_at.elapsed().as_millis() as u64, "xpra accepts websockets");
                }
            }
            if page && !window {
                window = self.window_exists().await;
                if window {
                    tracing::debug!(port = self.spec.port, ms = self.spawned_at.elapsed().as_millis() as u64, display = self.display, "firefox window exists");
                }
            }
            if page && window {
                self.settle_display().await;
                self.xvfb = self.find_xvfb();
                self.record.xvfb = self.xvfb.map(crate::ProcRecord::of);
                self.record.display = self.display;
                self.save_record();
                return Ok(self.spawned_at.elapsed());
            }
            if Instant::now() >= deadline {
                return Err(StartError::Timeout {
                    port: self.spec.port,
                    after: cfg.ready_timeout,
                    log: self.layout.log_tail(LOG_TAIL_BYTES),
                });
            }
            tokio::select! {
                status = self.wait_exit() => return Err(self.exited_early(status)),
                () = tokio::time::sleep(PROBE_INTERVAL) => {}
            }
        }
    }

    fn poll_display(&mut self) {
        if let Some(rx) = self.display_rx.as_mut() {
            match rx.try_recv() {
                Ok(reported) => {
                    tracing::debug!(port = self.spec.port, "display reported: {reported:?}");
                    self.display = reported;
                    self.display_rx = None;
                }
                Err(oneshot::error::TryRecvError::Closed) => self.display_rx = None,
                Err(oneshot::error::TryRecvError::Empty) => {}
            }
        }
    }

    /// Xvfb reports its display before Xpra serves its client, so once the page is served the
    /// number is in the pipe; only its reader task may not have run yet. Without this wait a
    /// session that skips the window check could be recorded without its display, and its X
    /// files would never be cleaned.
    async fn settle_display(&mut self) {
        if let Some(rx) = self.display_rx.take() {
            match tokio::time::timeout(DISPLAY_SETTLE, rx).await {
                Ok(Ok(reported)) => self.display = reported,
                Ok(Err(_)) => {}
                Err(_) => tracing::warn!(port = self.spec.port, "no display reported {DISPLAY_SETTLE:?} after the client was served"),
            }
        }
    }

    async fn window_exists(&self) -> bool {
        let Some(display_no) = self.display else { return false };
        let xauthority = self.layout.xauthority();
        let port = self.spec.port;
        let probe = tokio::task::spawn_blocking(move || crate::x11::firefox_window_exists(display_no, &xauthority));
        match probe.await {
            Ok(Ok(found)) => found,
            Ok(Err(why)) => {
                tracing::debug!(port, display_no, "window probe: {why}");
                false
            }
            Err(_) => false,
        }
    }

    /// The session's X server: the member named Xvfb, or (Xpra 6, whose Xvfb lacks our marker
    /// and leads its own group) Xpra's own child of that name.
    pub(crate) fn find_xvfb(&self) -> Option<fl_sys::ProcIdentity> {
        let is_xvfb = |p: &fl_sys::ProcessInfo| p.comm == "Xvfb" && !p.defunct && p.identity.uid == fl_sys::current_uid();
        self.members()
            .into_iter()
            .find(is_xvfb)
            .or_else(|| fl_sys::scan().into_iter().filter(is_xvfb).find(|p| self.exit.is_none() && p.ppid == self.pid as i32))
            .map(|p| p.identity)
    }

    fn exited_early(&self, status: String) -> StartError {
        let log = self.layout.log_tail(LOG_TAIL_BYTES);
        StartError::Exited { port: self.spec.port, status, log }
    }
}
