//! One Xpra + Firefox session, from an empty directory to nothing left.
//!
//! A [`Session`] is owned by exactly one task in the server. It is spawned as the leader of a new
//! process group, becomes ready when Xpra accepts a websocket on its socket *and* Firefox has a window, and
//! is stopped by [`Session::stop`], which ends every process it started (including Xvfb, which Xpra
//! keeps outside the group) and removes its directory. Its [`SessionRecord`] lets a restarted
//! service find it again ([`Session::adopt`]).

mod command;
mod config;
mod env;
mod error;
mod layout;
mod leader;
mod picture;
mod ready;
mod record;
pub mod sound;
mod teardown;
mod upstream;
mod version;
mod x11;
mod xfiles;

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::Arc;
use std::time::Instant;

use fl_sys::{BaseDir, Pipe, ProcIdentity, ProcessGroup};
use tokio::sync::oneshot;

pub use command::MARKER_ENV;
pub use config::{SessionConfig, find_firefox, is_executable};
pub use env::{is_refused_env, session_env};
pub use error::StartError;
pub use picture::{Level, LevelError, Picture};
pub use record::{ProcRecord, RECORD_FILE, SessionRecord, this_process};
pub use teardown::{StopReport, StopSignal, clean_up_after};
pub use xfiles::remove_stale_x_files;
pub use upstream::{Upstream, UpstreamError};
pub use version::{VersionError, XpraVersion};

use leader::Leader;

/// What a caller asks for.
#[derive(Debug, Clone)]
pub struct SessionSpec {
    pub port: u16,
    /// The page Firefox opens.
    pub url: String,
    /// A value unique to this session, set in the environment of all its processes.
    pub marker: String,
    /// RFC 3339.
    pub created_at: String,
    /// Started for the warm pool: Firefox waits on a local page until [`Session::claim`].
    pub pooled: bool,
    pub options: SessionOptions,
}

/// The choices a session is started with, kept in its record.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct SessionOptions {
    /// Firefox runs on this profile, kept after the session, instead of a fresh one inside it.
    /// The caller makes sure no other session uses it at the same time.
    pub persistent_profile: Option<PathBuf>,
    pub clipboard: fl_api::Clipboard,
    /// Firefox's sound forwarded to the browser (the caller checked that the machine can,
    /// [`sound::missing`]; a session whose path is too long for the socket goes without).
    pub audio: bool,
    /// Where finished downloads are moved; empty: they stay in the session (and go with it).
    pub downloads: PathBuf,
    /// Where Firefox's file dialog opens; empty: GTK's default.
    pub workspace: PathBuf,
}

/// A running (or starting) session. Dropping it does not stop it: call [`Session::stop`].
#[derive(Debug)]
pub struct Session {
    spec: SessionSpec,
    layout: layout::Layout,
    base: Arc<BaseDir>,
    dir_name: String,
    leader: Leader,
    pid: u32,
    pgid: ProcessGroup,
    /// How the leader exited, once it has (and, for our child, been reaped).
    exit: Option<String>,
    display: Option<u32>,
    display_rx: Option<oneshot::Receiver<Option<u32>>>,
    xvfb: Option<ProcIdentity>,
    record: SessionRecord,
    spawned_at: Instant,
    children: Arc<fl_sys::OwnChildren>,
    /// The session's port, held (bound, not listening) for as long as the session is ours.
    _port: Option<fl_sys::PortReservation>,
}

/// The title of the Firefox window of the session in `dir` on `:display`, read from its X server
/// (blocking: call it off the async workers). `None` when there is no such window or it cannot
/// be asked.
pub fn window_title(dir: &Path, display: u32) -> Option<String> {
    x11::firefox_title(display, &layout::Layout::new(dir.to_owned()).xauthority()).ok().flatten()
}

pub fn dir_name(port: u16) -> String {
    format!("session-{port}")
}

impl Session {
    /// Creates the session directory and spawns Xpra in a new process group. Returns as soon as
    /// Xpra runs; [`Session::wait_ready`] waits for the rest. On error nothing is left behind.
    /// `port` holds `spec.port` and is kept until the session is dropped.
    pub fn spawn(cfg: &SessionConfig, base: Arc<BaseDir>, spec: SessionSpec, port: fl_sys::PortReservation) -> Result<Self, StartError> {
        debug_assert_eq!(port.port(), spec.port);
        let dir_name = dir_name(spec.port);
        let root = base.create_dir(&dir_name).map_err(|e| match e {
            fl_sys::FsError::Exists { path } => StartError::DirExists { port: spec.port, path },
            other => StartError::Fs(other),
        })?;
        let layout = layout::Layout::new(root);
        // Decided once, here: the record, the session's options and so its view say what it has.
        let mut spec = spec;
        spec.options.audio = audio(&layout, &spec);
        let mut record = SessionRecord {
            port: spec.port,
            url: spec.url.clone(),
            created_at: spec.created_at.clone(),
            marker: spec.marker.clone(),
            uid: fl_sys::current_uid(),
            hostname: fl_sys::hostname(),
            boot_id: fl_sys::boot_id().unwrap_or_default(),
            server: this_process(),
            xpra: None,
            xvfb: None,
            display: None,
            pooled: spec.pooled,
            options: spec.options.clone(),
        };
        let prepare_error = |source| StartError::Prepare { path: layout.root.clone(), source };
        let spawned = layout
            .populate(&profile_dir(&layout, &spec.options), &spec.options.workspace)
            .and_then(|()| if spec.pooled { layout.write_waiting_page() } else { layout.write_redirect_page(&spec.url) })
            .and_then(|()| record.write(&layout.root))
            .map_err(prepare_error)
            .and_then(|()| spawn_xpra(cfg, &layout, &spec));
        let (child, display_rx) = match spawned {
            Ok(v) => v,
            Err(e) => {
                if let Err(rm) = base.remove_tree(&dir_name) {
                    tracing::warn!(port = spec.port, "{rm}");
                }
                return Err(e);
            }
        };
        let pid = child.id().expect("a child that was just spawned has a pid");
        let pgid = ProcessGroup::from_leader_pid(pid).expect("a spawned child's pid is above 1");
        // Unreaped, the child's /proc entry exists even if it has already exited.
        record.xpra = fl_sys::process_info(pid as i32).map(|p| ProcRecord::of(p.identity));
        let session = Self {
            spec,
            layout,
            base,
            dir_name,
            leader: Leader::Child(child),
            pid,
            pgid,
            exit: None,
            display: None,
            display_rx: Some(display_rx),
            xvfb: None,
            record,
            spawned_at: Instant::now(),
            children: Arc::clone(&cfg.children),
            _port: Some(port),
        };
        session.save_record();
        Ok(session)
    }

    /// Takes over a session a previous `serve` started, from its record. Fails unless its Xpra is
    /// still the recorded process. Its port is held again; if another program took it meanwhile,
    /// the session still runs (nothing of it listens there) and the log says so.
    pub fn adopt(cfg: &SessionConfig, base: Arc<BaseDir>, record: SessionRecord) -> std::io::Result<Self> {
        let not_found = || std::io::Error::new(std::io::ErrorKind::NotFound, "xpra is not running");
        let xpra = record.live_xpra().ok_or_else(not_found)?;
        let leader = Leader::adopt(xpra)?;
        let pgid = ProcessGroup::from_leader_pid(xpra.pid as u32).ok_or_else(not_found)?;
        let spec = SessionSpec {
            port: record.port,
            url: record.url.clone(),
            marker: record.marker.clone(),
            created_at: record.created_at.clone(),
            pooled: record.pooled,
            options: record.options.clone(),
        };
        let layout = layout::Layout::new(base.path().join(dir_name(record.port)));
        let port = fl_sys::PortReservation::bind(record.port)
            .inspect_err(|e| tracing::warn!(port = record.port, "cannot hold the port of an adopted session again: {e}"))
            .ok();
        let mut session = Self {
            dir_name: dir_name(record.port),
            layout,
            base,
            leader,
            pid: xpra.pid as u32,
            pgid,
            exit: None,
            display: record.display,
            display_rx: None,
            xvfb: record.xvfb.map(|x| x.identity(record.uid)),
            spec,
            record,
            spawned_at: Instant::now(),
            children: Arc::clone(&cfg.children),
            _port: port,
        };
        if session.xvfb.is_none() {
            session.xvfb = session.find_xvfb();
        }
        Ok(session)
    }

    pub fn port(&self) -> u16 {
        self.spec.port
    }
    pub fn url(&self) -> &str {
        &self.spec.url
    }
    pub fn created_at(&self) -> &str {
        &self.spec.created_at
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
    pub fn options(&self) -> &SessionOptions {
        &self.spec.options
    }
    /// Moves this session's finished downloads to where they belong.
    pub fn downloads(&self) -> Option<fl_downloads::Downloads> {
        downloads_of(&self.layout, &self.spec.options)
    }
    /// Where the proxy sends this session's traffic.
    pub fn upstream(&self) -> Upstream {
        Upstream::new(self.layout.xpra_socket())
    }

    /// Resolves when Xpra exits on its own (Firefox closed or crashed, Xpra died), with how.
    /// Cancel-safe.
    pub async fn wait_exit(&mut self) -> String {
        if let Some(exit) = &self.exit {
            return exit.clone();
        }
        let exit = self.leader.wait().await;
        self.exit = Some(exit.clone());
        exit
    }

    /// Hands a pooled session to a user: its Firefox goes to `url` within a quarter second.
    pub fn claim(&mut self, url: &str) -> std::io::Result<()> {
        self.layout.write_redirect_page(url)?;
        self.spec.url = url.to_owned();
        self.spec.pooled = false;
        self.record.url = url.to_owned();
        self.record.pooled = false;
        self.save_record();
        Ok(())
    }

    fn save_record(&self) {
        if let Err(e) = self.record.write(&self.layout.root) {
            tracing::warn!(port = self.spec.port, "failed to write {}: {e}", self.layout.root.join(RECORD_FILE).display());
        }
    }
}

fn profile_dir(layout: &layout::Layout, options: &SessionOptions) -> PathBuf {
    options.persistent_profile.clone().unwrap_or_else(|| layout.profile())
}

fn downloads_of(layout: &layout::Layout, options: &SessionOptions) -> Option<fl_downloads::Downloads> {
    let target = &options.downloads;
    (!target.as_os_str().is_empty()).then(|| fl_downloads::Downloads::new(layout.downloads_staging(), target.clone()))
}

/// Whether a session asked to have sound gets it: not when its path is too long for the socket
/// (then its view says so too).
fn audio(layout: &layout::Layout, spec: &SessionSpec) -> bool {
    if !spec.options.audio {
        return false;
    }
    match sound::unfit(layout) {
        Some(why) => {
            tracing::warn!(port = spec.port, "sound off: {why}");
            false
        }
        None => true,
    }
}

fn spawn_xpra(
    cfg: &SessionConfig,
    layout: &layout::Layout,
    spec: &SessionSpec,
) -> Result<(tokio::process::Child, oneshot::Receiver<Option<u32>>), StartError> {
    let spawn_error = |source| StartError::Spawn { program: cfg.xpra.clone(), port: spec.port, source };
    let prepare_error = |source| StartError::Prepare { path: layout.log(), source };
    let profile = profile_dir(layout, &spec.options);
    let version = cfg.xpra_version().map_err(|source| StartError::Xpra { port: spec.port, source })?;
    let command = command::XpraCommand {
        version,
        xpra: &cfg.xpra,
        firefox: &cfg.firefox,
        layout,
        profile: &profile,
        clipboard: spec.options.clipboard,
        audio: spec.options.audio,
        picture: &cfg.picture,
        marker: &spec.marker,
    };
    sound::write_files(layout, version, command.audio).map_err(|(path, source)| StartError::Prepare { path, source })?;
    // Xpra's output goes to a file in the session directory, never to a pipe nobody reads.
    let log = std::fs::OpenOptions::new().append(true).create_new(true).open(layout.log()).map_err(prepare_error)?;
    let log_err = log.try_clone().map_err(prepare_error)?;
    let pipe = Pipe::new().map_err(prepare_error)?;

    let mut std_cmd = std::process::Command::new(&cfg.xpra);
    std_cmd
        .args(command.args())
        .env_clear()
        .envs(env::session_env(std::env::vars_os(), &cfg.pass_env))
        .envs(command.env())
        .current_dir(&layout.root)
        .stdin(Stdio::null())
        .stdout(log)
        .stderr(log_err);
    std::os::unix::process::CommandExt::process_group(&mut std_cmd, 0);
    fl_sys::move_fd_in_child(&mut std_cmd, &pipe.write, command::DISPLAY_FD);
    fl_sys::child_dies_with_us(&mut std_cmd);
    let mut command = tokio::process::Command::from(std_cmd);
    let child = cfg.children.spawn(|| command.spawn(), tokio::process::Child::id).map_err(spawn_error)?;
    drop(pipe.write);
    Ok((child, ready::read_display(pipe.read)))
}
