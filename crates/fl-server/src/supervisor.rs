//! One task per session, the only code that touches the session's processes.
//!
//! Handlers talk to it with [`Command`]s. The task starts the session, answers the creating request
//! once it is ready (or failed), then waits for a stop command, the session exiting on its own, or
//! the idle timeout; all end in the same full teardown, after which the task removes its own map
//! entry. A session adopted after a restart enters the same loop, already ready.

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

fn check_binaries(state: &AppState) -> Result<(), ApiError> {
    let cfg = &state.options().session;
    for (what, path) in [("xpra", &cfg.xpra), ("firefox", &cfg.firefox)] {
        if !fl_session::is_executable(path) {
            return Err(ApiError::MissingBinary { what, path: path.clone() });
        }
    }
    Ok(())
}

/// Starts a session and waits until it is ready. Retries with another port when the chosen one was
/// taken between picking it and Xpra binding it.
pub(crate) async fn create(state: &AppState, url: String) -> Result<SessionView, ApiError> {
    check_binaries(state)?;
    for _ in 0..PORT_ATTEMPTS {
        if state.inner.shutdown.is_cancelled() {
            return Err(ApiError::ShuttingDown);
        }
        let Some((port, id, commands)) = reserve(state, &url)? else { continue };
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
fn reserve(state: &AppState, url: &str) -> Result<Option<(u16, u64, mpsc::Receiver<Command>)>, ApiError> {
    let Some(port) = std::net::TcpListener::bind(("127.0.0.1", 0)).ok().and_then(|l| l.local_addr().ok()).map(|a| a.port()) else {
        return Ok(None);
    };
    let (tx, rx) = mpsc::channel(4);
    let view = SessionView {
        port,
        status: SessionStatus::Starting,
        pid: None,
        pgid: None,
        display: None,
        dir: state.inner.base.path().join(fl_session::dir_name(port)).display().to_string(),
        url: url.to_owned(),
        created_at: now_rfc3339(),
        path: fl_api::session_path(port),
        clients: 0,
        last_activity: String::new(),
    };
    Ok(state.try_insert(port, view, tx)?.map(|id| (port, id, rx)))
}

pub(crate) fn now_rfc3339() -> String {
    time::OffsetDateTime::now_utc().format(&time::format_description::well_known::Rfc3339).unwrap_or_default()
}

/// The view of a running session, for adopted sessions and after ready.
pub(crate) fn view_of(session: &Session, status: SessionStatus) -> SessionView {
    SessionView {
        port: session.port(),
        status,
        pid: Some(session.pid()),
        pgid: Some(session.pgid().id()),
        display: session.display().map(|d| format!(":{d}")),
        dir: session.dir().display().to_string(),
        url: session.url().to_owned(),
        created_at: session.created_at().to_owned(),
        path: fl_api::session_path(session.port()),
        clients: 0,
        last_activity: String::new(),
    }
}

async fn run(state: AppState, port: u16, id: u64, url: String, mut commands: mpsc::Receiver<Command>, ready: ReadyReply) {
    let cfg = state.options().session.clone();
    let created_at = state.get(port).map(|v| v.created_at).unwrap_or_else(|_| now_rfc3339());
    let spec = SessionSpec { port, url, marker: format!("{}-{id}-{port}", state.inner.instance), created_at };
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
            finish(&state, id, &mut session, command.map(Ended::Command).unwrap_or(Ended::Dropped)).await;
            let _ = ready.send(Err(ApiError::StartCancelled { port }));
            return;
        }
    };
    match started {
        Ok(took) => {
            tracing::info!(port, ms = took.as_millis() as u64, display = session.display(), "ready");
            state.metrics().session_ready(took);
            state.update(port, id, |e| e.view = view_of(&session, SessionStatus::Ready));
            if let Ok(view) = state.get(port) {
                let _ = ready.send(Ok(view));
            }
        }
        Err(e) => {
            tracing::warn!(port, "failed: {e}");
            let report = session.stop(cfg.grace).await;
            log_stopped(&state, port, "failed", &report);
            state.remove(port, id);
            let _ = ready.send(Err(e.into()));
            return;
        }
    }
    supervise(state, id, session, commands).await;
}

/// Lists a session taken over from a previous run and supervises it like one of ours.
pub(crate) fn adopt(state: &AppState, session: Session) {
    let (tx, rx) = mpsc::channel(4);
    let id = state.insert_adopted(view_of(&session, SessionStatus::Ready), session.upstream(), tx);
    tracing::info!(port = session.port(), pid = session.pid(), "adopted from a previous run");
    tokio::spawn(supervise(state.clone(), id, session, rx));
}

/// Why a ready session ends.
enum Ended {
    Command(Command),
    Exited(String),
    Idle(Duration),
    Dropped,
}

async fn supervise(state: AppState, id: u64, mut session: Session, mut commands: mpsc::Receiver<Command>) {
    let port = session.port();
    let idle_timeout = state.options().idle_timeout;
    let activity = state.activity(port, id);
    let ended = loop {
        let idle_check = async {
            match (&activity, idle_timeout.is_zero()) {
                (Some(activity), false) => tokio::time::sleep(idle_timeout.saturating_sub(activity.idle_for())).await,
                _ => std::future::pending().await,
            }
        };
        tokio::select! {
            status = session.wait_exit() => break Ended::Exited(status),
            command = commands.recv() => break command.map(Ended::Command).unwrap_or(Ended::Dropped),
            () = idle_check => {
                let idle = activity.as_ref().map(|a| a.idle_for()).unwrap_or_default();
                if idle >= idle_timeout {
                    break Ended::Idle(idle);
                }
            }
        }
    };
    finish(&state, id, &mut session, ended).await;
}

/// Tears the session down, drops it from the map, then answers the stop command if there is one.
async fn finish(state: &AppState, id: u64, session: &mut Session, ended: Ended) {
    let port = session.port();
    let reason = match &ended {
        Ended::Command(Command::Stop { reason, .. }) => reason,
        Ended::Exited(status) => {
            tracing::info!(port, status, "xpra exited on its own (Firefox closed or crashed)");
            "exited"
        }
        Ended::Idle(idle) => {
            tracing::info!(port, idle_s = idle.as_secs(), "no client connected: idle timeout");
            "idle"
        }
        Ended::Dropped => "shutdown",
    };
    state.set_status(port, id, SessionStatus::Stopping);
    tracing::info!(port, reason, "stopping");
    let grace = state.options().session.grace;
    let report = session.stop(grace).await;
    log_stopped(state, port, reason, &report);
    state.remove(port, id);
    if let Ended::Command(Command::Stop { reply, .. }) = ended {
        let _ = reply.send(StopSummary {
            port,
            signal: report.signal.name().to_owned(),
            elapsed_ms: report.elapsed.as_millis() as u64,
            leftovers: report.leftovers,
        });
    }
}

pub(crate) fn log_stopped(state: &AppState, port: u16, reason: &str, report: &StopReport) {
    state.metrics().session_stopped(reason, report.elapsed);
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
