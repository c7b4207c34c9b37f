//! Running the service: bind, announce, serve, and on SIGTERM/SIGINT shut down in order.
//!
//! Connections are accepted by [`crate::accept`], within limits a flood of idle connections
//! cannot exhaust. The API's unix socket is created owner-only from the start (under umask 0077),
//! never chmodded after `bind`. A configured token shorter than 16 bytes is refused before
//! anything else happens.
//!
//! Shutdown stops accepting, stops this service's own sessions concurrently (each within its
//! grace), removes the runtime file and returns. The signal listener only triggers that sequence;
//! nothing signal-driven ever touches a session directly.

use std::path::PathBuf;
use std::time::Duration;

use fl_api::RuntimeFile;
use fl_sys::BaseDir;
use tokio::signal::unix::{SignalKind, signal};

use crate::accept::{ConnectionLimits, serve_connections};
use crate::error::ServeError;
use crate::runtime::{remove_runtime_file, write_runtime_file};
use crate::state::{AppState, StateOptions};

#[derive(Debug, Clone)]
pub enum Listen {
    /// 127.0.0.1:PORT (0 lets the kernel pick).
    Tcp(u16),
    Unix(PathBuf),
}

#[derive(Debug, Clone)]
pub struct ServeOptions {
    pub listen: Listen,
    pub home: PathBuf,
    pub state: StateOptions,
    /// Stop everything when the process that started us exits.
    pub follow_parent: bool,
}

enum Bound {
    Tcp(tokio::net::TcpListener),
    Unix(tokio::net::UnixListener),
}

async fn bind(listen: &Listen) -> Result<(Bound, String), ServeError> {
    match listen {
        Listen::Tcp(port) => {
            let error = |source| ServeError::Listen { what: format!("127.0.0.1:{port}"), source };
            let listener = listen_tcp(*port).map_err(error)?;
            let addr = listener.local_addr().map_err(error)?;
            Ok((Bound::Tcp(listener), format!("http://{addr}")))
        }
        Listen::Unix(path) => {
            let what = path.display().to_string();
            remove_stale_socket(path);
            // `bind` creates the socket file with the mode the umask leaves; a chmod after it
            // would leave a window in which anyone may connect. Under 0077 it is born owner-only
            // (0700: connecting needs write permission, which only the owner has). The mask is
            // process-wide for these few microseconds; a file created meanwhile elsewhere in the
            // process is only made more private.
            let listener = fl_sys::with_umask(0o077, || tokio::net::UnixListener::bind(path))
                .map_err(|source| ServeError::Listen { what: what.clone(), source })?;
            Ok((Bound::Unix(listener), format!("unix:{what}")))
        }
    }
}

/// Connections the kernel completes and holds for `accept`; past it, a connecting client's SYN is
/// dropped and it retries only after a second. The default (128) overflows in a burst of
/// connections from a flood, and the owner's connection would be dropped with them.
const TCP_BACKLOG: u32 = 4096;

fn listen_tcp(port: u16) -> std::io::Result<tokio::net::TcpListener> {
    let socket = tokio::net::TcpSocket::new_v4()?;
    // What std's bind does too: a port in TIME_WAIT from a previous run can be bound again.
    socket.set_reuseaddr(true)?;
    socket.bind((std::net::Ipv4Addr::LOCALHOST, port).into())?;
    socket.listen(TCP_BACKLOG)
}

/// A socket file nobody accepts on is a leftover of a killed run; anything else is left alone
/// (and the bind then fails with a clear error).
fn remove_stale_socket(path: &std::path::Path) {
    use std::os::unix::fs::FileTypeExt;
    let is_socket = std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_socket());
    if is_socket && std::os::unix::net::UnixStream::connect(path).is_err() {
        let _ = std::fs::remove_file(path);
    }
}

/// Installs the SIGTERM/SIGINT listeners now (so a signal that arrives before we wait is not
/// fatal) and returns a future that resolves with the first one's name.
fn shutdown_signals() -> Result<impl Future<Output = &'static str>, ServeError> {
    let mut term = signal(SignalKind::terminate()).map_err(ServeError::Signal)?;
    let mut int = signal(SignalKind::interrupt()).map_err(ServeError::Signal)?;
    Ok(async move {
        tokio::select! {
            _ = term.recv() => "SIGTERM",
            _ = int.recv() => "SIGINT",
        }
    })
}

/// Raises the descriptor limit and caps connections below it, so that sessions keep half of it.
fn connection_limits() -> ConnectionLimits {
    let limits = ConnectionLimits::default();
    match fl_sys::raise_open_files_limit() {
        Ok(open_files) => {
            let cap = usize::try_from(open_files / 2).unwrap_or(usize::MAX).min(limits.max_connections);
            tracing::debug!(open_files, max_connections = cap, "descriptor limit");
            ConnectionLimits { max_connections: cap, ..limits }
        }
        Err(error) => {
            tracing::warn!(%error, "cannot raise the open-files limit");
            limits
        }
    }
}

/// Firefox starts the control extension's host from a manifest in the user's home, which names
/// this program (`fl-control`). Without it sessions run, and their control requests say why not.
fn install_control_host() {
    let home = std::env::var_os("HOME").map(PathBuf::from).filter(|h| h.is_absolute());
    match (home, std::env::current_exe()) {
        (Some(home), Ok(exe)) => match fl_control::write_host_manifest(&home, &exe) {
            Ok(path) => tracing::debug!(path = %path.display(), "control host manifest written"),
            Err(e) => tracing::warn!("sessions cannot be driven from code: cannot write the control host's manifest under {}: {e}", home.display()),
        },
        (None, _) => tracing::warn!("sessions cannot be driven from code: HOME is not an absolute path"),
        (_, Err(e)) => tracing::warn!("sessions cannot be driven from code: cannot tell this program's path: {e}"),
    }
}

pub async fn serve(options: ServeOptions) -> Result<(), ServeError> {
    if let Some(token) = &options.state.token {
        crate::credentials::check_token_length(token)?;
    }
    let limits = connection_limits();
    let base = BaseDir::open_private(&options.home, "sessions")?;
    let mut options = options;
    if options.state.token.is_none() && matches!(options.listen, Listen::Tcp(_)) {
        // Every local user can reach a 127.0.0.1 port: on TCP a token is never optional. It is
        // only written to the 0600 runtime file, where the CLI finds it.
        options.state.token = Some(fl_sys::random_secret().map_err(ServeError::Secret)?);
    }
    let grace = options.state.session.grace;
    let state = AppState::new(options.state.clone(), base);
    let signals = shutdown_signals()?;
    crate::lifecycle::start_reaper(&state);
    let adopted = crate::recovery::recover(&state).await;
    install_control_host();
    let (listener, address) = bind(&options.listen).await?;
    write_runtime_file(
        &options.home,
        &RuntimeFile { address: address.clone(), token: options.state.token.clone(), pid: std::process::id() },
    )?;
    tracing::info!(%address, home = %options.home.display(), adopted, "serving");
    crate::pool::start_filler(&state);

    let router = crate::app(state.clone());
    let shutdown = state.shutdown_token();
    let stopped = shutdown.clone();
    let server = match listener {
        Bound::Tcp(l) => tokio::spawn(serve_connections(l, router, limits, stopped)),
        Bound::Unix(l) => tokio::spawn(serve_connections(l, router, limits, stopped)),
    };

    let parent = async {
        if options.follow_parent {
            crate::lifecycle::parent_exited().await;
        } else {
            std::future::pending::<()>().await;
        }
    };
    let parent_at_start = fl_sys::parent_pid();
    let (why, mut reason) = tokio::select! {
        signal = signals => (signal, "shutdown"),
        () = parent => ("parent exited", "parent"),
    };
    // The parent-death SIGTERM can win the race against the pidfd: same cause, same reason.
    if options.follow_parent && fl_sys::parent_pid() != parent_at_start {
        reason = "parent";
    }
    tracing::info!(why, sessions = state.session_count(), "shutting down");
    shutdown.cancel();
    let stopped = state.stop_all(reason).await;
    tracing::info!(count = stopped.len(), "all sessions stopped");
    tracing::info!("final counts: {}", state.metrics().summary());
    // Open connections (a websocket whose session just ended, a slow client) get a moment.
    if tokio::time::timeout(Duration::from_secs(1).min(grace + Duration::from_secs(1)), server).await.is_err() {
        tracing::debug!("connections still open at exit");
    }
    remove_runtime_file(&options.home);
    if let Listen::Unix(path) = &options.listen {
        let _ = std::fs::remove_file(path);
    }
    Ok(())
}
