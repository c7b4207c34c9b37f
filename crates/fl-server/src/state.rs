//! The server's map of sessions: port → a handle on the task that owns the session.
//!
//! The map is owned by [`AppState`], never a global. Its lock is a plain mutex held only for
//! lookups and inserts, never across an `.await`; the processes themselves are touched only by
//! their supervisor task, which the handles reach through a channel. Ports get reused, so every
//! entry also carries a generation id, and a task removes its entry only if the id still matches.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use fl_api::{SessionStatus, SessionView, StopSummary};
use fl_session::{SessionConfig, Upstream};
use fl_sys::BaseDir;
use tokio::sync::{mpsc, oneshot};
use tokio_util::sync::CancellationToken;

use crate::activity::Activity;
use crate::error::ApiError;
use crate::metrics::Metrics;
use crate::command::Command;

/// What the service is configured with.
#[derive(Debug, Clone)]
pub struct StateOptions {
    pub session: SessionConfig,
    /// When set, every `/api/` and `/sessions/` request must carry it.
    pub token: Option<String>,
    /// The page Firefox opens when a request names none.
    pub default_url: String,
    /// Stop a session with no client for this long; zero disables.
    pub idle_timeout: std::time::Duration,
    /// Sessions that may run at once (the warm pool does not count).
    pub max_sessions: usize,
    /// Sessions kept started and unclaimed, so a create is answered at once.
    pub warm: usize,
    /// What the client page offers Xpra unless its query string says (`--video`, `--encoding`).
    pub client_defaults: fl_session_page::ClientDefaults,
    /// Where finished downloads go unless a request names a folder (absolute).
    pub downloads: std::path::PathBuf,
    /// Which way the clipboard works unless a request says.
    pub clipboard: fl_api::Clipboard,
    /// Sessions have sound unless a request says no: `serve --audio` and what the machine has
    /// ([`fl_session::sound::missing`], checked once at start).
    pub audio: bool,
    /// Where Firefox's file dialog opens (absolute).
    pub workspace: std::path::PathBuf,
    /// The one profile kept across sessions, `<home>/profile`.
    pub persistent_profile: std::path::PathBuf,
}

impl StateOptions {
    /// The defaults of `serve` for a service whose home is `home`: no token, 4 sessions, an hour
    /// of idle time, downloads and the file dialog in `home`'s `Downloads` and `home`.
    pub fn with_defaults(session: SessionConfig, home: &std::path::Path) -> Self {
        Self {
            session,
            token: None,
            default_url: "about:blank".into(),
            idle_timeout: std::time::Duration::from_secs(3600),
            max_sessions: 4,
            warm: 0,
            client_defaults: fl_session_page::ClientDefaults::default(),
            downloads: home.join("Downloads"),
            clipboard: fl_api::Clipboard::Both,
            audio: false,
            workspace: home.to_owned(),
            persistent_profile: home.join("profile"),
        }
    }

    /// What a request that asks for nothing gets (and what the warm pool starts with).
    pub(crate) fn default_session_options(&self) -> fl_session::SessionOptions {
        fl_session::SessionOptions {
            persistent_profile: None,
            clipboard: self.clipboard,
            audio: self.audio,
            downloads: self.downloads.clone(),
            workspace: self.workspace.clone(),
        }
    }
}

#[derive(Debug)]
pub(crate) struct Entry {
    pub id: u64,
    pub view: SessionView,
    pub upstream: Option<Upstream>,
    pub commands: mpsc::Sender<Command>,
    pub activity: Arc<Activity>,
    /// An unclaimed warm-pool session: not listed, not counted, not culled.
    pub pooled: bool,
}

impl Entry {
    /// The view as answered: live counters, and the session's key when there is a token.
    fn view(&self, token: Option<&str>) -> SessionView {
        let key = token.map(|t| crate::credentials::session_key(t, self.view.port, &self.view.created_at)).unwrap_or_default();
        SessionView { clients: self.activity.clients(), last_activity: self.activity.last_rfc3339(), key, ..self.view.clone() }
    }
}

#[derive(Debug)]
pub(crate) struct Inner {
    pub options: StateOptions,
    pub base: Arc<BaseDir>,
    pub sessions: Mutex<HashMap<u16, Entry>>,
    pub next_id: AtomicU64,
    pub shutdown: CancellationToken,
    /// Distinguishes this process's markers from another instance's.
    pub instance: String,
    pub metrics: Metrics,
    /// Wakes the warm-pool filler: a pooled session was claimed or ended.
    pub pool_changed: tokio::sync::Notify,
    /// The session cookie's value, derived from the token once (see `auth`).
    pub session_cookie: Option<String>,
    /// Firefox's window titles last read, per session.
    pub titles: crate::title::Titles,
    /// What code asked JupyterLab to show (`crate::events`).
    pub events: crate::events::Events,
}

/// Shared, cheaply clonable state of one running service.
#[derive(Debug, Clone)]
pub struct AppState {
    pub(crate) inner: Arc<Inner>,
}

impl AppState {
    pub fn new(options: StateOptions, base: BaseDir) -> Self {
        let instance = format!("{}-{}", std::process::id(), time::OffsetDateTime::now_utc().unix_timestamp_nanos());
        if let Err(e) = fl_session_page::Page::embedded() {
            tracing::error!("the session page cannot be served: {e}");
        }
        Self {
            inner: Arc::new(Inner {
                session_cookie: options.token.as_deref().map(crate::credentials::session_cookie),
                options,
                base: Arc::new(base),
                sessions: Mutex::new(HashMap::new()),
                next_id: AtomicU64::new(1),
                shutdown: CancellationToken::new(),
                instance,
                metrics: Metrics::default(),
                pool_changed: tokio::sync::Notify::new(),
                titles: Default::default(),
                events: Default::default(),
            }),
        }
    }

    pub(crate) fn options(&self) -> &StateOptions {
        &self.inner.options
    }

    pub(crate) fn titles(&self) -> &crate::title::Titles {
        &self.inner.titles
    }

    pub(crate) fn events(&self) -> &crate::events::Events {
        &self.inner.events
    }

    /// Cancelled when the service begins to shut down.
    pub fn shutdown_token(&self) -> CancellationToken {
        self.inner.shutdown.clone()
    }

    fn map(&self) -> std::sync::MutexGuard<'_, HashMap<u16, Entry>> {
        // A panic while holding this lock would be a bug elsewhere; the map itself stays valid.
        self.inner.sessions.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Sessions users have (the warm pool is not counted).
    pub fn session_count(&self) -> usize {
        self.map().values().filter(|e| !e.pooled).count()
    }

    /// Warm-pool sessions, ready or starting.
    pub fn pooled_count(&self) -> usize {
        self.map().values().filter(|e| e.pooled).count()
    }

    /// Warm-pool sessions ready to be claimed.
    pub fn pooled_ready(&self) -> usize {
        self.map().values().filter(|e| e.pooled && e.view.status == SessionStatus::Ready).count()
    }

    /// Each session's status by port, for `/api/health`.
    pub fn status_by_port(&self) -> std::collections::BTreeMap<String, fl_api::SessionStatus> {
        self.map().iter().filter(|(_, e)| !e.pooled).map(|(port, e)| (port.to_string(), e.view.status)).collect()
    }

    fn token(&self) -> Option<&str> {
        self.inner.options.token.as_deref()
    }

    pub fn list(&self) -> Vec<SessionView> {
        let mut views: Vec<SessionView> = self.map().values().filter(|e| !e.pooled).map(|e| e.view(self.token())).collect();
        views.sort_by_key(|v| v.port);
        views
    }

    pub fn get(&self, port: u16) -> Result<SessionView, ApiError> {
        self.map().get(&port).filter(|e| !e.pooled).map(|e| e.view(self.token())).ok_or(ApiError::NotFound(port))
    }

    /// The view of entry `port`/`id`, pooled or not.
    pub(crate) fn view(&self, port: u16, id: u64) -> Option<SessionView> {
        self.map().get(&port).filter(|e| e.id == id).map(|e| e.view(self.token()))
    }

    /// When the session users have on `port` was created (what its key is made of).
    pub(crate) fn created_at(&self, port: u16) -> Option<String> {
        self.map().get(&port).filter(|e| !e.pooled).map(|e| e.view.created_at.clone())
    }

    pub(crate) fn is_pooled(&self, port: u16, id: u64) -> bool {
        self.map().get(&port).is_some_and(|e| e.id == id && e.pooled)
    }

    /// Takes a ready warm session for a user: it is listed from now on, with `url`.
    pub(crate) fn claim_pooled(&self, url: &str) -> Result<Option<(u16, u64, mpsc::Sender<Command>)>, ApiError> {
        let mut map = self.map();
        let max = self.inner.options.max_sessions;
        if map.values().filter(|e| !e.pooled).count() >= max {
            return Err(ApiError::TooManySessions(max));
        }
        let Some(entry) = map.values_mut().filter(|e| e.pooled && e.view.status == SessionStatus::Ready).min_by_key(|e| e.id) else {
            return Ok(None);
        };
        entry.pooled = false;
        entry.view.url = url.to_owned();
        entry.view.created_at = crate::clock::now_rfc3339();
        entry.activity.touch();
        self.inner.pool_changed.notify_one();
        Ok(Some((entry.view.port, entry.id, entry.commands.clone())))
    }

    /// Where to proxy `port`, and the activity to record there.
    pub(crate) fn upstream(&self, port: u16) -> Result<(Upstream, Arc<Activity>), ApiError> {
        let map = self.map();
        let entry = map.get(&port).filter(|e| !e.pooled).ok_or(ApiError::NotFound(port))?;
        let upstream = entry.upstream.clone().ok_or(ApiError::NotFound(port))?;
        Ok((upstream, Arc::clone(&entry.activity)))
    }

    pub(crate) fn activity(&self, port: u16, id: u64) -> Option<Arc<Activity>> {
        self.map().get(&port).filter(|e| e.id == id).map(|e| Arc::clone(&e.activity))
    }

    /// Claims `port` for a new session unless another entry or a leftover directory has it, or
    /// the service is at its limit.
    pub(crate) fn try_insert(&self, port: u16, view: SessionView, commands: mpsc::Sender<Command>, pooled: bool) -> Result<Option<u64>, ApiError> {
        let mut map = self.map();
        let max = self.inner.options.max_sessions;
        if !pooled && map.values().filter(|e| !e.pooled).count() >= max {
            return Err(ApiError::TooManySessions(max));
        }
        let persistent = |v: &SessionView| v.profile == fl_api::Profile::Persistent;
        if persistent(&view)
            && let Some(holder) = map.values().find(|e| persistent(&e.view))
        {
            return Err(ApiError::ProfileInUse { port: holder.view.port });
        }
        if map.contains_key(&port) || self.inner.base.contains(&fl_session::dir_name(port)) {
            return Ok(None);
        }
        let id = self.inner.next_id.fetch_add(1, Ordering::Relaxed);
        map.insert(port, Entry { id, view, upstream: None, commands, activity: Arc::new(Activity::new()), pooled });
        Ok(Some(id))
    }

    /// Lists a session taken over from a previous run (never refused: it already runs).
    pub(crate) fn insert_adopted(&self, view: SessionView, upstream: Upstream, commands: mpsc::Sender<Command>) -> u64 {
        let id = self.inner.next_id.fetch_add(1, Ordering::Relaxed);
        let entry = Entry { id, view, upstream: Some(upstream), commands, activity: Arc::new(Activity::new()), pooled: false };
        self.map().insert(entry.view.port, entry);
        id
    }

    pub(crate) fn metrics(&self) -> &Metrics {
        &self.inner.metrics
    }

    /// Applies `f` to the entry of `port` if it is still generation `id`.
    pub(crate) fn update(&self, port: u16, id: u64, f: impl FnOnce(&mut Entry)) {
        if let Some(entry) = self.map().get_mut(&port).filter(|e| e.id == id) {
            f(entry);
        }
    }

    pub(crate) fn set_status(&self, port: u16, id: u64, status: SessionStatus) {
        self.update(port, id, |e| e.view.status = status);
    }

    pub(crate) fn remove(&self, port: u16, id: u64) {
        let mut map = self.map();
        if map.get(&port).is_some_and(|e| e.id == id) && map.remove(&port).is_some_and(|e| e.pooled) {
            self.inner.pool_changed.notify_one();
        }
    }

    /// Asks the owner of `port` to stop it and waits for the summary.
    pub async fn stop(&self, port: u16, reason: &'static str) -> Result<StopSummary, ApiError> {
        let commands = self.map().get(&port).map(|e| e.commands.clone()).ok_or(ApiError::NotFound(port))?;
        let (reply, answer) = oneshot::channel();
        commands.send(Command::Stop { reason, reply }).await.map_err(|_| ApiError::NotFound(port))?;
        // A dropped reply means another stop won the race: the session is gone either way.
        answer.await.map_err(|_| ApiError::NotFound(port))
    }

    /// Stops every session of this service concurrently; used at shutdown.
    pub async fn stop_all(&self, reason: &'static str) -> Vec<StopSummary> {
        let ports: Vec<u16> = self.map().keys().copied().collect();
        let mut tasks = tokio::task::JoinSet::new();
        for port in ports {
            let state = self.clone();
            tasks.spawn(async move { state.stop(port, reason).await });
        }
        let mut summaries = Vec::new();
        while let Some(result) = tasks.join_next().await {
            if let Ok(Ok(summary)) = result {
                summaries.push(summary);
            }
        }
        summaries
    }
}
