//! One Xpra + Firefox session, from an empty directory to nothing left.
//!
//! A [`Session`] is owned by exactly one task in the server. It is spawned as the leader of a new
//! process group, becomes ready when Xpra serves its HTML5 client *and* Firefox has mapped a window,
//! and is stopped by [`Session::stop`], which ends every process it started (including Xvfb, which
//! Xpra keeps outside the group) and removes its directory.

mod command;
mod config;
mod error;
mod layout;
mod ready;
mod teardown;
mod upstream;
mod x11;

use std::path::{Path, PathBuf};
use std::process::{ExitStatus, Stdio};
use std::sync::Arc;
use std::time::Instant;

use fl_sys::{BaseDir, Pipe, ProcIdentity, ProcessGroup};
use tokio::sync::oneshot;

pub use command::MARKER_ENV;
pub use config::{SessionConfig, find_firefox, is_executable};
pub use error::StartError;
pub use teardown::{StopReport, StopSignal};
pub use upstream::{Upstream, UpstreamError};

/// What a caller asks for.
#[derive(Debug, Clone)]
pub struct SessionSpec {
    pub port: u16,
    /// The page Firefox opens.
    pub url: String,
    /// A value unique to this session, set in the environment of all its processes.
    pub marker: String,
}

/// A running (or starting) session. Dropping it does not stop it: call [`Session::stop`].
#[derive(Debug)]
pub struct Session {
    spec: SessionSpec,
    layout: layout::Layout,
    base: Arc<BaseDir>,
    dir_name: String,
    leader: tokio::process::Child,
    pid: u32,
    pgid: ProcessGroup,
    exit: Option<ExitStatus>,
    display: Option<u32>,
    display_rx: Option<oneshot::Receiver<Option<u32>>>,
    xvfb: Option<ProcIdentity>,
    spawned_at: Instant,
}

impl Session {
    /// Creates the session directory and spawns Xpra in a new process group. Returns as soon as
    /// Xpra runs; [`Session::wait_ready`] waits for the rest. On error nothing is left behind.
    pub fn spawn(cfg: &SessionConfig, base: Arc<BaseDir>, spec: SessionSpec) -> Result<Self, StartError> {
        let dir_name = format!("session-{}", spec.port);
        let root = base.create_dir(&dir_name).map_err(|e| match e {
            fl_sys::FsError::Exists { path } => StartError::DirExists { port: spec.port, path },
            other => StartError::Fs(other),
        })?;
        let layout = layout::Layout::new(root);
        let spawned = layout
            .populate()
            .map_err(|source| StartError::Prepare { path: layout.root.clone(), source })
            .and_then(|()| spawn_xpra(cfg, &layout, &spec));
        let (leader, display_rx) = match spawned {
            Ok(v) => v,
            Err(e) => {
                if let Err(rm) = base.remove_tree(&dir_name) {
                    tracing::warn!(port = spec.port, "{rm}");
                }
                return Err(e);
            }
        };
        let pid = leader.id().expect("a child that was just spawned has a pid");
        let pgid = ProcessGroup::from_leader_pid(pid).expect("a spawned child's pid is above 1");
        Ok(Self {
            spec,
            layout,
            base,
            dir_name,
            leader,
            pid,
            pgid,
            exit: None,
            display: None,
            display_rx: Some(display_rx),
            xvfb: None,
            spawned_at: Instant::now(),
        })
    }

    pub fn port(&self) -> u16 {
        self.spec.port
    }
    pub fn url(&self) -> &str {
        &self.spec.url
    }
    /// Xpra's pid, kept from spawn time (tokio forgets it once the child is reaped).
    pub fn pid(&self) -> u32 {
        self.pid
    }
    pub fn pgid(&self) -> ProcessGroup {
        self.pgid
    }
    pub fn display(&self) -> Option<u32> {
        self.display
    }
    pub fn xvfb(&self) -> Option<ProcIdentity> {
        self.xvfb
    }
    pub fn dir(&self) -> &Path {
        &self.layout.root
    }
    pub fn log_path(&self) -> PathBuf {
        self.layout.log()
    }
    /// Where the proxy sends this session's traffic.
    pub fn upstream(&self) -> Upstream {
        Upstream::new(self.layout.xpra_socket())
    }

    /// Resolves when Xpra exits on its own (Firefox closed or crashed, Xpra died). Cancel-safe.
    pub async fn wait_exit(&mut self) -> ExitStatus {
        if let Some(status) = self.exit {
            return status;
        }
        let status = self.leader.wait().await.unwrap_or_else(|e| {
            tracing::warn!(port = self.spec.port, "waiting for xpra failed: {e}");
            std::os::unix::process::ExitStatusExt::from_raw(0)
        });
        self.exit = Some(status);
        status
    }
}

fn spawn_xpra(
    cfg: &SessionConfig,
    layout: &layout::Layout,
    spec: &SessionSpec,
) -> Result<(tokio::process::Child, oneshot::Receiver<Option<u32>>), StartError> {
    let spawn_error = |source| StartError::Spawn { program: cfg.xpra.clone(), port: spec.port, source };
    let prepare_error = |source| StartError::Prepare { path: layout.log(), source };
    let command = command::XpraCommand {
        firefox: &cfg.firefox,
        layout,
        port: spec.port,
        url: &spec.url,
        marker: &spec.marker,
    };
    // Xpra's output goes to a file in the session directory, never to a pipe nobody reads.
    let log = std::fs::OpenOptions::new()
        .append(true)
        .create_new(true)
        .open(layout.log())
        .map_err(prepare_error)?;
    let log_err = log.try_clone().map_err(prepare_error)?;
    let pipe = Pipe::new().map_err(prepare_error)?;

    let mut std_cmd = std::process::Command::new(&cfg.xpra);
    std_cmd
        .args(command.args())
        .envs(command.env())
        .current_dir(&layout.root)
        .stdin(Stdio::null())
        .stdout(log)
        .stderr(log_err);
    std::os::unix::process::CommandExt::process_group(&mut std_cmd, 0);
    fl_sys::move_fd_in_child(&mut std_cmd, &pipe.write, command::DISPLAY_FD);
    let child = tokio::process::Command::from(std_cmd).spawn().map_err(spawn_error)?;
    drop(pipe.write);
    Ok((child, ready::read_display(pipe.read)))
}
