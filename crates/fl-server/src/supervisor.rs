//! One task per session, the only code that touches the session's processes.
//!
//! Handlers talk to it with [`Command`]s. The task starts the session, answers the creating request
//! once it is ready (or failed), then waits for a stop command, the session exiting on its own, or
//! the idle timeout; all end in the same full teardown, after which the task removes its own map
//! entry. A session adopted after a restart enters the same loop, already ready.

use std::sync::Arc;
use std::time::Duration;

use fl_api::{SessionStatus, SessionView, StopSummary};
use fl_session::{Session, SessionOptions, SessionSpec, StartError, StopReport};
use tokio::sync::{mpsc, oneshot};

use crate::clock::now_rfc3339;
use crate::command::Command;
use crate::error::ApiError;
use crate::state::AppState;

/// How many fresh ports a create tries when the one the kernel gave has a leftover directory.
const PORT_ATTEMPTS: usize = 8;

type ReadyReply = oneshot::Sender<Result<SessionView, ApiError>>;

/// Xpra and Firefox are there, and Xpra is a version sessions run on (read once, off the async
/// workers).
async fn check_binaries(state: &AppState) -> Result<(), ApiError> {
    let cfg = &state.options().session;
    let binaries = [
        ("xpra", &cfg.xpra, "Debian, Ubuntu: apt install xpra; RHEL: dnf install xpra"),
        ("firefox", &cfg.firefox, "Debian: apt install firefox-esr; RHEL: dnf install firefox"),
    ];
    for (what, path, install) in binaries {
        if !fl_session::is_executable(path) {
            return Err(ApiError::MissingBinary { what, path: path.clone(), install });
        }
    }
    let cfg = cfg.clone();
    match tokio::task::spawn_blocking(move || cfg.xpra_version()).await {
        Ok(Ok(_)) => Ok(()),
        Ok(Err(e)) => Err(ApiError::Xpra(e)),
        Err(e) => Err(ApiError::Xpra(fl_session::VersionError::Run { path: state.options().session.xpra.display().to_string(), why: e.to_string() })),
    }
}

/// Starts a session and waits until it is ready. Retries with another port when the one the
/// kernel gave still has a directory from an earlier session.
pub(crate) async fn create(state: &AppState, url: String, options: SessionOptions) -> Result<SessionView, ApiError> {
    check_binaries(state).await?;
    // Warm sessions were started with the defaults: a profile, clipboard or folder cannot be
    // changed once Firefox and Xpra run.
    if options == state.options().default_session_options()
        && let Some(view) = claim(state, &url).await?
    {
        return Ok(view);
    }
    start(state, url, false, options).await
}

/// A ready warm-pool session, handed over, if there is one.
async fn claim(state: &AppState, url: &str) -> Result<Option<SessionView>, ApiError> {
    let Some((port, id, commands)) = state.claim_pooled(url)? else { return Ok(None) };
    let (reply, answer) = oneshot::channel();
    let sent = commands.send(Command::Claim { url: url.to_owned(), reply }).await;
    match (sent, answer.await) {
        (Ok(()), Ok(Ok(()))) => {
            tracing::info!(port, "claimed from the warm pool");
            Ok(state.view(port, id))
        }
        (_, Ok(Err(e))) => {
            tracing::warn!(port, "claiming a warm session failed: {e}");
            let _ = state.stop(port, "failed").await;
            Ok(None)
        }
        _ => Ok(None),
    }
}

/// Starts a session for the warm pool and waits until it is ready.
pub(crate) async fn start_pooled(state: &AppState) -> Result<SessionView, ApiError> {
    check_binaries(state).await?;
    let url = state.options().default_url.clone();
    start(state, url, true, state.options().default_session_options()).await
}

async fn start(state: &AppState, url: String, pooled: bool, options: SessionOptions) -> Result<SessionView, ApiError> {
    for _ in 0..PORT_ATTEMPTS {
        if state.inner.shutdown.is_cancelled() {
            return Err(ApiError::ShuttingDown);
        }
        let Some((hold, id, commands)) = reserve(state, &url, pooled, &options)? else { continue };
        let port = hold.port();
        let (ready_tx, ready_rx) = oneshot::channel();
        let reserved = Reserved { hold, id, pooled, options: options.clone() };
        tokio::spawn(run(state.clone(), reserved, url.clone(), commands, ready_tx));
        match ready_rx.await {
            Ok(Err(ApiError::Start(StartError::DirExists { port, .. }))) => {
                tracing::info!(port, "a directory of an earlier session has this port, trying another");
            }
            Ok(result) => return result,
            Err(_) => return Err(ApiError::StartCancelled { port }),
        }
    }
    Err(ApiError::NoFreePort(PORT_ATTEMPTS))
}

/// Takes a free port from the kernel, held from now on (see [`fl_sys::PortReservation`]), and
/// claims it in the map.
fn reserve(
    state: &AppState,
    url: &str,
    pooled: bool,
    options: &SessionOptions,
) -> Result<Option<(fl_sys::PortReservation, u64, mpsc::Receiver<Command>)>, ApiError> {
    let hold = fl_sys::PortReservation::bind(0).map_err(ApiError::PortUnavailable)?;
    let port = hold.port();
    let (tx, rx) = mpsc::channel(4);
    let (profile, clipboard, downloads_dir) = chosen(options);
    let audio = options.audio;
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
        title: String::new(),
        profile,
        clipboard,
        audio,
        downloads_dir,
        downloads: Vec::new(),
        key: String::new(),
    };
    Ok(state.try_insert(port, view, tx, pooled)?.map(|id| (hold, id, rx)))
}

/// What a view says of the choices a session was started with: profile, clipboard, folder.
fn chosen(options: &SessionOptions) -> (fl_api::Profile, fl_api::Clipboard, String) {
    let profile = if options.persistent_profile.is_some() { fl_api::Profile::Persistent } else { fl_api::Profile::Temporary };
    (profile, options.clipboard, options.downloads.display().to_string())
}

/// The view of a running session, for adopted sessions and after ready.
pub(crate) fn view_of(session: &Session, status: SessionStatus) -> SessionView {
    let (profile, clipboard, downloads_dir) = chosen(session.options());
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
        title: String::new(),
        profile,
        clipboard,
        audio: session.options().audio,
        downloads_dir,
        downloads: Vec::new(),
        key: String::new(),
    }
}

/// A map entry claimed for a session about to start, and its port.
struct Reserved {
    hold: fl_sys::PortReservation,
    id: u64,
    pooled: bool,
    options: SessionOptions,
}

async fn run(state: AppState, reserved: Reserved, url: String, mut commands: mpsc::Receiver<Command>, ready: ReadyReply) {
    let Reserved { hold, id, pooled, options } = reserved;
    let port = hold.port();
    let cfg = state.options().session.clone();
    let created_at = state.view(port, id).map(|v| v.created_at).unwrap_or_else(now_rfc3339);
    let spec = SessionSpec { port, url, marker: format!("{}-{id}-{port}", state.inner.instance), created_at, pooled, options };
    let mut session = match Session::spawn(&cfg, Arc::clone(&state.inner.base), spec, hold) {
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
            finish(&state, id, &mut session, Ended::from(command)).await;
            let _ = ready.send(Err(ApiError::StartCancelled { port }));
            return;
        }
    };
    match started {
        Ok(took) => {
            tracing::info!(port, ms = took.as_millis() as u64, display = session.display(), "ready");
            state.metrics().session_ready(took);
            state.update(port, id, |e| {
                e.view = view_of(&session, SessionStatus::Ready);
                // Idle time counts from ready, not from the request (a start can be slow).
                e.activity.touch();
            });
            if let Some(view) = state.view(port, id) {
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
    Stop { reason: &'static str, reply: oneshot::Sender<StopSummary> },
    Exited(String),
    Idle(Duration),
    /// Every handle is gone (the state was dropped): stop as at shutdown.
    Dropped,
}

impl From<Option<Command>> for Ended {
    /// A command that ends the session. A claim can only reach a ready pooled session, never a
    /// starting one, so here it can only mean the pool is confused: stop, as for a failure.
    fn from(command: Option<Command>) -> Self {
        match command {
            Some(Command::Stop { reason, reply }) => Self::Stop { reason, reply },
            Some(Command::Claim { reply, .. }) => {
                let _ = reply.send(Err(std::io::Error::other("the session is not ready")));
                Self::Dropped
            }
            None => Self::Dropped,
        }
    }
}

async fn supervise(state: AppState, id: u64, mut session: Session, mut commands: mpsc::Receiver<Command>) {
    let port = session.port();
    let idle_timeout = state.options().idle_timeout;
    let activity = state.activity(port, id);
    let downloads = watch_downloads(&state, id, &session);
    let ended = loop {
        // A warm session waits for its user: it is never idle. Otherwise sleep until the idle
        // timeout could have passed, then look again (a client may have come and gone).
        let pooled = state.is_pooled(port, id);
        let idle_check = async {
            match (&activity, idle_timeout.is_zero()) {
                (Some(_), false) if pooled => tokio::time::sleep(idle_timeout).await,
                (Some(activity), false) => tokio::time::sleep(idle_timeout.saturating_sub(activity.idle_for())).await,
                _ => std::future::pending().await,
            }
        };
        tokio::select! {
            status = session.wait_exit() => break Ended::Exited(status),
            command = commands.recv() => match command {
                Some(Command::Claim { url, reply }) => {
                    let _ = reply.send(session.claim(&url));
                }
                other => break Ended::from(other),
            },
            () = idle_check => {
                let idle = activity.as_ref().map(|a| a.idle_for()).unwrap_or_default();
                if !state.is_pooled(port, id) && idle >= idle_timeout {
                    break Ended::Idle(idle);
                }
            }
        }
    };
    // The stop collects what finished meanwhile; the watch must be gone (not only told to go:
    // it may run on another worker) before it, or both would move the same file.
    if let Some(watch) = downloads {
        watch.abort();
        let _ = watch.await;
    }
    finish(&state, id, &mut session, ended).await;
}

/// Moves the session's downloads out as they finish and lists them in its view.
fn watch_downloads(state: &AppState, id: u64, session: &Session) -> Option<tokio::task::JoinHandle<()>> {
    let downloads = session.downloads()?;
    let port = session.port();
    let watch = downloads
        .watch()
        .inspect_err(|e| tracing::warn!(port, "cannot watch the staging directory for downloads into {}: {e}", downloads.target().display()))
        .ok()?;
    let state = state.clone();
    Some(tokio::spawn(watch.run(move |download| state.update(port, id, |e| e.view.downloads.push(download)))))
}

/// Tears the session down, drops it from the map, then answers the stop command if there is one.
async fn finish(state: &AppState, id: u64, session: &mut Session, ended: Ended) {
    let port = session.port();
    let reason = match &ended {
        Ended::Stop { reason, .. } => reason,
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
    if let Ended::Stop { reply, .. } = ended {
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
    for download in &report.downloads {
        tracing::info!(port, path = download.path, "download finished before the stop: moved out");
    }
}
