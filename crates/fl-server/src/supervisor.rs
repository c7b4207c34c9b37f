//! One task per session, the only code that touches the session's processes.
//!
//! Handlers talk to it with [`Command`]s. The task starts the session, answers the creating request
//! once it is ready (or failed), then waits for either a stop command or the session exiting on its
//! own; both end in the same full teardown, after which the task removes its own map entry.

use std::sync::Arc;
use std::time::Duration;

use fl_api::{SessionStatus, SessionView, StopSummary};
use fl_session::{Session, SessionSpec, StartError, StopReport};
use tokio::sync::{mpsc, oneshot};

use crate::error::ApiError;
use crate::state::AppState;

/// How many fresh ports a create tries when the one it picked is taken meanwhile.
const PORT_ATTEMPTS: usize = 8;

#[derive(Debug)]
pub(crate) enum Command {
    Stop { reason: &'static str, reply: oneshot::Sender<StopSummary> },
}

type ReadyReply = oneshot::Sender<Result<SessionView, ApiError>>;

/// Starts a session and waits until it is ready. Retries with another port when the chosen one was
/// taken between picking it and Xpra binding it.
pub(crate) async fn create(state: &AppState, url: String) -> Result<SessionView, ApiError> {
    for _ in 0..PORT_ATTEMPTS {
        if state.inner.shutdown.is_cancelled() {
            return Err(ApiError::ShuttingDown);
        }
        let Some((port, id, commands)) = reserve(state, &url) else { continue };
        let (ready_tx, ready_rx) = oneshot::channel();
        tokio::spawn(run(state.clone(), port, id, url.clone(), commands, ready_tx));
        match ready_rx.await {
            Ok(Err(ApiError::Start(StartError::PortInUse { port } | StartError::DirExists { port, .. }))) => {
                tracing::info!(port, "port was taken, trying another");
            }
            Ok(result) => return result,
            Err(_) => return Err(ApiError::StartCancelled { port }),
        }
    }
    Err(ApiError::NoFreePort(PORT_ATTEMPTS))
}

/// Picks a port the kernel says is free now and claims it in the map.
fn reserve(state: &AppState, url: &str) -> Option<(u16, u64, mpsc::Receiver<Command>)> {
    let port = std::net::TcpListener::bind(("127.0.0.1", 0)).ok()?.local_addr().ok()?.port();
    let (tx, rx) = mpsc::channel(4);
    let view = SessionView {
        port,
        status: SessionStatus::Starting,
        pid: None,
        pgid: None,
        display: None,
        dir: state.inner.base.path().join(format!("session-{port}")).display().to_string(),
        url: url.to_owned(),
        created_at: now_rfc3339(),
        path: fl_api::session_path(port),
    };
    let id = state.try_insert(port, view, tx)?;
    Some((port, id, rx))
}

fn now_rfc3339() -> String {
    time::OffsetDateTime::now_utc()
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

async fn run(
    state: AppState,
    port: u16,
    id: u64,
    url: String,
    mut commands: mpsc::Receiver<Command>,
    ready: ReadyReply,
) {
    let cfg = state.options().session.clone();
    let spec = SessionSpec { port, url, marker: format!("{}-{id}-{port}", state.inner.instance) };
    let mut session = match Session::spawn(&cfg, Arc::clone(&state.inner.base), spec) {
        Ok(session) => session,
        Err(e) => {
            tracing::warn!(port, "failed: {e}");
            state.remove(port, id);
            let _ = ready.send(Err(e.into()));
            return;
        }
    };
    tracing::info!(port, pid = session.pid(), dir = %session.dir().display(), "created");
    state.update(port, id, |e| {
        e.view.pid = Some(session.pid());
        e.view.pgid = Some(session.pgid().id());
        e.upstream = Some(session.upstream());
    });

    let started = tokio::select! {
        result = session.wait_ready(&cfg) => result,
        command = commands.recv() => {
            finish(&state, id, &mut session, command, cfg.grace).await;
            let _ = ready.send(Err(ApiError::StartCancelled { port }));
            return;
        }
    };
    match started {
        Ok(took) => {
            tracing::info!(port, ms = took.as_millis() as u64, display = session.display(), "ready");
            state.update(port, id, |e| {
                e.view.status = SessionStatus::Ready;
                e.view.display = session.display().map(|d| format!(":{d}"));
            });
            if let Ok(view) = state.get(port) {
                let _ = ready.send(Ok(view));
            }
        }
        Err(e) => {
            tracing::warn!(port, "failed: {e}");
            let report = session.stop(cfg.grace).await;
            log_stopped(port, "failed", &report);
            state.remove(port, id);
            let _ = ready.send(Err(e.into()));
            return;
        }
    }

    let command = tokio::select! {
        status = session.wait_exit() => {
            tracing::info!(port, %status, "xpra exited on its own (Firefox closed or crashed)");
            None
        }
        command = commands.recv() => command,
    };
    finish(&state, id, &mut session, command, cfg.grace).await;
}

/// Tears the session down, drops it from the map, then answers the stop command if there is one.
async fn finish(state: &AppState, id: u64, session: &mut Session, command: Option<Command>, grace: Duration) {
    let port = session.port();
    let reason = match &command {
        Some(Command::Stop { reason, .. }) => reason,
        None => "exited",
    };
    state.set_status(port, id, SessionStatus::Stopping);
    tracing::info!(port, reason, "stopping");
    let report = session.stop(grace).await;
    log_stopped(port, reason, &report);
    state.remove(port, id);
    if let Some(Command::Stop { reply, .. }) = command {
        let _ = reply.send(StopSummary {
            port,
            signal: report.signal.name().to_owned(),
            elapsed_ms: report.elapsed.as_millis() as u64,
            leftovers: report.leftovers,
        });
    }
}

fn log_stopped(port: u16, reason: &str, report: &StopReport) {
    tracing::info!(
        port,
        reason,
        signal = report.signal.name(),
        ms = report.elapsed.as_millis() as u64,
        leftovers = report.leftovers,
        "stopped"
    );
    for problem in &report.problems {
        tracing::warn!(port, "cleanup: {problem}");
    }
}
