//! Test harness: a private HOME, a `firefox-launcher serve` child that is stopped on drop, and
//! checks that a session left nothing behind.
//!
//! Every guard cleans up even when the test panics: the server gets SIGTERM (then SIGKILL), and
//! any process still carrying one of its session markers is killed by verified pid.
//!
//! The leak checks: [`Server::stop_leaving_nothing`] right after each `DELETE` (processes by
//! marker and by process group, zombies under `serve`, the directory, the port), and at drop
//! zombies under `serve` (looked for while it runs: a zombie's environment cannot be read, so
//! its parent is what gives it away) and processes with a marker of its sessions.

#![allow(dead_code, reason = "each test binary uses a different part of the harness")]

use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use fl_client::Client;
use fl_sys::{ProcessInfo, Signal};

pub const MARKER_ENV: &str = "FL_SESSION_MARKER";

/// Polls `condition` with backoff until it holds or `limit` passes.
pub async fn wait_until(limit: Duration, what: &str, mut condition: impl FnMut() -> bool) {
    let deadline = Instant::now() + limit;
    let mut pause = Duration::from_millis(10);
    while !condition() {
        assert!(Instant::now() < deadline, "timed out after {limit:?} waiting for {what}");
        tokio::time::sleep(pause).await;
        pause = (pause * 2).min(Duration::from_millis(200));
    }
}

/// Polls an async `condition` with backoff until it holds or `limit` passes.
pub async fn eventually<F, Fut>(limit: Duration, what: &str, mut condition: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = Instant::now() + limit;
    let mut pause = Duration::from_millis(10);
    while !condition().await {
        assert!(Instant::now() < deadline, "timed out after {limit:?} waiting for {what}");
        tokio::time::sleep(pause).await;
        pause = (pause * 2).min(Duration::from_millis(200));
    }
}

/// Checks an error answer: its status and its JSON `code`; returns the body.
pub fn expect_error(response: &hyper::Response<bytes::Bytes>, status: u16, code: &str) -> fl_api::ErrorBody {
    let body: fl_api::ErrorBody = serde_json::from_slice(response.body())
        .unwrap_or_else(|_| panic!("not a JSON error: {:?}", response.body()));
    assert_eq!((response.status().as_u16(), body.code.as_str()), (status, code), "{}", body.error);
    body
}

/// A temporary HOME (the service's `--home` is `<it>/fl`).
pub struct TestHome {
    dir: tempfile::TempDir,
}

impl TestHome {
    pub fn new() -> Self {
        Self::with_prefix("fl-test-")
    }
    /// One whose path is `/tmp/<prefix>` and six random characters (a long prefix makes deep paths).
    pub fn with_prefix(prefix: &str) -> Self {
        Self { dir: tempfile::Builder::new().prefix(prefix).tempdir_in("/tmp").unwrap() }
    }
    pub fn path(&self) -> &Path {
        self.dir.path()
    }
    pub fn home(&self) -> PathBuf {
        self.dir.path().join("fl")
    }
    pub fn sessions(&self) -> PathBuf {
        self.home().join("sessions")
    }
    /// Names in `<home>/sessions`.
    pub fn session_dirs(&self) -> Vec<String> {
        std::fs::read_dir(self.sessions())
            .map(|d| d.filter_map(Result::ok).map(|e| e.file_name().to_string_lossy().into_owned()).collect())
            .unwrap_or_default()
    }
}

/// Xpra 6, as `scripts/install-xpra6` builds it (`FL_TEST_XPRA6` elsewhere). Its tests fail, never
/// skip, when it is missing: `scripts/test` installs it.
pub fn xpra6() -> String {
    let path = std::env::var("FL_TEST_XPRA6").unwrap_or_else(|_| "/opt/xpra6/bin/xpra".into());
    assert!(fl_session::is_executable(Path::new(&path)), "no Xpra 6 at {path}: run scripts/install-xpra6 (scripts/test does)");
    path
}

pub fn fake_xpra() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/fake-xpra")
}

/// `serve` with the fake xpra (tests/fake-xpra) in `mode`, plus `extra` arguments.
pub async fn fake_server(home: &TestHome, mode: &str, extra: &[&str]) -> Server {
    let xpra = fake_xpra();
    let mut args = vec!["--xpra", xpra.to_str().unwrap(), "--firefox", "/bin/true", "--no-window-check"];
    args.extend_from_slice(extra);
    let state = home.path().to_str().unwrap().to_owned();
    Server::start(home, &args, &[("FAKE_XPRA_MODE", mode), ("FAKE_XPRA_STATE", &state)]).await
}

/// `serve` with the fake xpra, whose sessions report display `display` (and have no X server).
pub async fn fake_server_on(home: &TestHome, display: u32) -> Server {
    let xpra = fake_xpra();
    let args = ["--xpra", xpra.to_str().unwrap(), "--firefox", "/bin/true", "--no-window-check"];
    let state = home.path().to_str().unwrap().to_owned();
    let display = display.to_string();
    Server::start(home, &args, &[("FAKE_XPRA_MODE", ""), ("FAKE_XPRA_STATE", &state), ("FAKE_XPRA_DISPLAY", &display)]).await
}

/// A running `firefox-launcher serve`.
pub struct Server {
    child: Option<Child>,
    /// The serve process (the child itself, or the child of the parent shell).
    pid: u32,
    pub client: Client,
    pub address: String,
    home: PathBuf,
    log: PathBuf,
    /// Its sessions may outlive it on purpose (adoption): sweep them at drop without failing.
    survivors_expected: bool,
}

/// How to start `serve`.
#[derive(Default)]
pub struct Launch<'a> {
    pub args: &'a [&'a str],
    pub env: &'a [(&'a str, &'a str)],
    /// Start it under a `sh` parent (which `kill_parent` can kill), as jupyter-server would.
    pub under_parent: bool,
    /// Start it with this soft and hard `RLIMIT_NOFILE` (through util-linux `prlimit`, which
    /// execs it: same pid).
    pub open_files: Option<u64>,
}

/// Sessions start from an allowlisted environment: the fake xpra's settings reach it only when
/// passed on purpose, here through `FIREFOX_LAUNCHER_PASS_ENV`. (A test that gives `--pass-env`
/// itself, which wins over the variable, must name them there too.)
fn fake_xpra_pass_env(env: &[(&str, &str)]) -> Option<(&'static str, String)> {
    let names: Vec<&str> = env.iter().map(|(k, _)| *k).filter(|k| k.starts_with("FAKE_XPRA_")).collect();
    (!names.is_empty()).then(|| ("FIREFOX_LAUNCHER_PASS_ENV", names.join(",")))
}

impl Server {
    /// Starts `serve --port 0` with `args` and `env`, and waits until it has written its runtime
    /// file.
    pub async fn start(test_home: &TestHome, args: &[&str], env: &[(&str, &str)]) -> Self {
        Self::launch(test_home, Launch { args, env, ..Launch::default() }).await
    }

    pub async fn launch(test_home: &TestHome, launch: Launch<'_>) -> Self {
        let home = test_home.home();
        let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos();
        let log = test_home.path().join(format!("serve-{nanos}.log"));
        let binary = env!("CARGO_BIN_EXE_firefox-launcher");
        assert!(!(launch.under_parent && launch.open_files.is_some()), "open_files is not supported under a parent");
        let mut command = match (launch.under_parent, launch.open_files) {
            (true, _) => {
                let mut sh = Command::new("/bin/sh");
                sh.args(["-c", "\"$@\" & wait", "sh", binary]);
                sh
            }
            (false, Some(n)) => {
                let mut prlimit = Command::new("prlimit");
                prlimit.arg(format!("--nofile={n}:{n}")).arg("--").arg(binary);
                prlimit
            }
            (false, None) => Command::new(binary),
        };
        command
            .arg("serve")
            .args(["--home", home.to_str().unwrap()])
            .args(launch.args)
            .env("HOME", test_home.path())
            .env_remove("FIREFOX_LAUNCHER_TOKEN")
            .env("FIREFOX_LAUNCHER_LOG", "debug")
            .envs(fake_xpra_pass_env(launch.env))
            .envs(launch.env.iter().copied())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).unwrap());
        if !launch.args.contains(&"--port") && !launch.args.contains(&"--unix-socket") {
            command.args(["--port", "0"]);
        }
        let child = command.spawn().expect("spawning firefox-launcher serve");
        let direct = (!launch.under_parent).then(|| child.id());
        let mut server = Self {
            child: Some(child),
            pid: 0,
            client: Client::new("http://127.0.0.1:1", None).unwrap(),
            address: String::new(),
            home,
            log,
            survivors_expected: false,
        };
        let runtime_path = fl_api::RuntimeFile::path(&server.home);
        let read = || -> Option<fl_api::RuntimeFile> { serde_json::from_slice(&std::fs::read(&runtime_path).ok()?).ok() };
        let started = std::time::SystemTime::now();
        let fresh = |r: &fl_api::RuntimeFile| {
            direct.is_none_or(|pid| r.pid == pid)
                && std::fs::metadata(&runtime_path).and_then(|m| m.modified()).is_ok_and(|m| m >= started - Duration::from_secs(1))
                && fl_sys::process_info(r.pid as i32).is_some_and(|p| !p.defunct)
        };
        let mut exited = None;
        wait_until(Duration::from_secs(20), "serve to write its runtime file", || {
            exited = server.child.as_mut().unwrap().try_wait().unwrap();
            exited.is_some() || read().is_some_and(|r| fresh(&r))
        })
        .await;
        assert!(exited.is_none(), "serve exited at start ({exited:?}):\n{}", server.log());
        let runtime = read().unwrap();
        server.pid = runtime.pid;
        server.client = Client::from_home(&server.home).unwrap();
        server.address = runtime.address;
        server
    }

    pub fn pid(&self) -> u32 {
        self.pid
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    pub fn runtime_file_exists(&self) -> bool {
        fl_api::RuntimeFile::path(&self.home).exists()
    }

    /// Its sessions are meant to outlive it (adoption tests): drop sweeps them without failing.
    pub fn expect_survivors(&mut self) {
        self.survivors_expected = true;
    }

    /// True while the serve process runs.
    pub fn is_running(&self) -> bool {
        fl_sys::process_info(self.pid as i32).is_some_and(|p| !p.defunct)
    }

    /// Sends `signal` to serve, then waits (up to `limit`) for it to exit; its exit status when
    /// it is our direct child.
    pub async fn signal_and_wait(&mut self, signal: Signal, limit: Duration) -> Option<ExitStatus> {
        let _ = nix_kill(self.pid, signal);
        let mut status = None;
        let child = self.child.as_mut()?;
        wait_until(limit, "serve to exit", || {
            status = child.try_wait().unwrap();
            status.is_some()
        })
        .await;
        self.child = None;
        status
    }

    /// SIGTERM, then waits (up to `limit`) for the exit status.
    pub async fn terminate(&mut self, limit: Duration) -> Option<ExitStatus> {
        self.signal_and_wait(Signal::SIGTERM, limit).await
    }

    /// SIGKILLs the shell that started serve (see [`Launch::under_parent`]).
    pub fn kill_parent(&mut self) {
        let child = self.child.as_mut().expect("running");
        child.kill().unwrap();
        child.wait().unwrap();
    }

    /// Processes that carry a marker of one of this server's sessions.
    pub fn session_processes(&self) -> Vec<ProcessInfo> {
        session_processes_of(self.pid)
    }

    /// What stops sessions of this server and checks they left nothing (see [`Stopper`]).
    pub fn stopper(&self) -> Stopper {
        Stopper { client: self.client.clone(), sessions: self.home.join("sessions"), serve: self.pid }
    }

    /// `DELETE`s session `port`, then checks at once that nothing of it is left.
    pub async fn stop_leaving_nothing(&self, port: u16) -> fl_api::StopSummary {
        self.stopper().stop_leaving_nothing(port).await
    }

    /// Waits (a little: reaping follows SIGCHLD) until no zombie is left under serve.
    pub async fn assert_no_zombies(&self) {
        assert_no_zombies_under(self.pid).await;
    }

    /// `GET /metrics`, as text.
    pub async fn metrics_text(&self) -> String {
        let response = self.client.request(hyper::Method::GET, "/metrics", &[], None).await.unwrap();
        assert_eq!(response.status(), hyper::StatusCode::OK);
        String::from_utf8(response.into_body().to_vec()).unwrap()
    }

    /// `firefox_launcher_sessions_stopped_total` by reason, and `orphans_reaped`, from `/metrics`.
    pub async fn counts(&self) -> Counts {
        Counts::from_metrics(&self.metrics_text().await)
    }

    /// The counts `serve` logged as it exited (`/metrics` no longer answers by the time a
    /// shutdown or the parent's death has been counted).
    pub fn final_counts(&self) -> Counts {
        let log = self.log();
        let line = log.lines().rev().find_map(|l| l.split_once("final counts: ")).map(|(_, c)| c.to_owned());
        let line = line.unwrap_or_else(|| panic!("no final counts in the log:\n{log}"));
        let mut counts = Counts::default();
        for (key, value) in line.split_whitespace().filter_map(|kv| kv.split_once('=')) {
            let value: u64 = value.parse().unwrap_or_else(|_| panic!("final counts: {line}"));
            match key {
                "orphans_reaped" => counts.orphans_reaped = value,
                "created" => {}
                reason => {
                    counts.stopped.insert(reason.to_owned(), value);
                }
            }
        }
        counts
    }
}

/// The session outcome counters of one server.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Counts {
    /// `firefox_launcher_sessions_stopped_total`, by reason.
    pub stopped: std::collections::BTreeMap<String, u64>,
    pub orphans_reaped: u64,
}

impl Counts {
    fn from_metrics(text: &str) -> Self {
        let mut counts = Self::default();
        for line in text.lines().filter(|l| !l.starts_with('#')) {
            let Some((name, value)) = line.rsplit_once(' ') else { continue };
            let value = || value.parse::<u64>().unwrap_or_else(|_| panic!("{line}"));
            if let Some(reason) = name.strip_prefix("firefox_launcher_sessions_stopped_total{reason=\"").and_then(|r| r.strip_suffix("\"}")) {
                counts.stopped.insert(reason.to_owned(), value());
            } else if name == "firefox_launcher_orphans_reaped_total" {
                counts.orphans_reaped = value();
            }
        }
        assert!(counts.stopped.contains_key("user"), "no stopped counters in\n{text}");
        counts
    }

    /// Asserts the stopped counters are exactly `expected` (every other reason 0).
    #[track_caller]
    pub fn assert_stopped(&self, expected: &[(&str, u64)]) {
        let mut want = self.stopped.clone();
        want.values_mut().for_each(|n| *n = 0);
        for (reason, n) in expected {
            assert!(want.contains_key(*reason), "no reason {reason:?} in {:?}", self.stopped);
            want.insert((*reason).to_owned(), *n);
        }
        assert_eq!(self.stopped, want, "sessions stopped, by reason");
    }
}

/// Stops sessions through `DELETE` and checks, as soon as the answer is in, that nothing of the
/// session is left: no live process with its marker or in its process group, no zombie under
/// `serve` (which reaps as a child subreaper), no directory, and its port free. Cloneable, for
/// concurrent stops.
#[derive(Clone)]
pub struct Stopper {
    client: Client,
    sessions: PathBuf,
    serve: u32,
}

impl Stopper {
    pub async fn stop_leaving_nothing(&self, port: u16) -> fl_api::StopSummary {
        let dir = self.sessions.join(format!("session-{port}"));
        let record = fl_session::SessionRecord::read(&dir).unwrap_or_else(|e| panic!("record of session {port}: {e}"));
        let marker = record.marker.clone();
        let with_marker = || fl_sys::find_by_env(fl_sys::current_uid(), MARKER_ENV, |v| v == marker.as_bytes());
        let before = with_marker();
        let xpra = record.xpra.map(|x| x.identity(record.uid));

        let summary = self.client.stop(port).await.unwrap_or_else(|e| panic!("DELETE session {port}: {e}"));

        let survivors: Vec<_> = before.iter().filter(|p| p.identity.is_alive()).collect();
        assert!(survivors.is_empty(), "session {port}: processes outlived DELETE: {survivors:?}");
        let marked = with_marker();
        assert!(marked.is_empty(), "session {port}: processes with its marker after DELETE: {marked:?}");
        if let Some(xpra) = xpra {
            let group = fl_sys::group_members(xpra.pid);
            // Pids are reused: a group led by a new process with that pid is not this session's.
            let reused = group.iter().any(|p| p.identity.pid == xpra.pid && p.identity != xpra);
            assert!(reused || group.is_empty(), "session {port}: its process group {} lives on: {group:?}", xpra.pid);
        }
        assert_no_zombies_under(self.serve).await;
        assert!(!dir.exists(), "session {port}: {} left after DELETE", dir.display());
        assert!(port_is_free(port), "session {port}: port still taken after DELETE");
        summary
    }
}

/// Zombies whose parent is `pid`. A zombie runs nothing and its environment cannot be read, so
/// the leak checks by marker never see it; its parent is the practical check.
pub fn zombies_under(pid: u32) -> Vec<ProcessInfo> {
    fl_sys::scan().into_iter().filter(|p| p.ppid == pid as i32 && p.defunct).collect()
}

/// How long a zombie may stay under `serve`: it reaps on SIGCHLD, within milliseconds.
const ZOMBIE_BOUND: Duration = Duration::from_secs(5);

/// Waits up to [`ZOMBIE_BOUND`] for no zombie to be left under `pid`; panics naming them.
pub async fn assert_no_zombies_under(pid: u32) {
    let deadline = Instant::now() + ZOMBIE_BOUND;
    loop {
        let zombies = zombies_under(pid);
        if zombies.is_empty() {
            return;
        }
        assert!(Instant::now() < deadline, "zombies left under serve {pid} for {ZOMBIE_BOUND:?}: {zombies:?}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

fn nix_kill(pid: u32, signal: Signal) -> Result<(), String> {
    let identity = fl_sys::process_info(pid as i32).ok_or("gone")?.identity;
    fl_sys::signal_process(&identity, signal).map(|_| ()).map_err(|e| e.to_string())
}

/// Live processes whose session marker names server `pid` (markers are `<pid>-<time>-<id>-<port>`).
pub fn session_processes_of(pid: u32) -> Vec<ProcessInfo> {
    let prefix = format!("{pid}-");
    fl_sys::find_by_env(fl_sys::current_uid(), MARKER_ENV, |v| v.starts_with(prefix.as_bytes()))
}

impl Drop for Server {
    fn drop(&mut self) {
        // Zombies vanish with serve (init reaps them): look while it runs.
        let mut zombies = Vec::new();
        if self.is_running() {
            let deadline = Instant::now() + ZOMBIE_BOUND;
            zombies = zombies_under(self.pid);
            while !zombies.is_empty() && Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(20));
                zombies = zombies_under(self.pid);
            }
        }
        if self.is_running() {
            let _ = nix_kill(self.pid, Signal::SIGTERM);
            let deadline = Instant::now() + Duration::from_secs(15);
            while self.is_running() && Instant::now() < deadline {
                if let Some(child) = self.child.as_mut() {
                    let _ = child.try_wait();
                }
                std::thread::sleep(Duration::from_millis(50));
            }
            let _ = nix_kill(self.pid, Signal::SIGKILL);
        }
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
        // Whatever the server failed to stop: kill by verified pid, then say so.
        let left = session_processes_of(self.pid);
        for p in &left {
            let _ = fl_sys::signal_process(&p.identity, Signal::SIGKILL);
        }
        if !left.is_empty() && !self.survivors_expected && !std::thread::panicking() {
            panic!("server {} left processes behind: {left:?}\n{}", self.pid, self.log());
        }
        if !zombies.is_empty() && !std::thread::panicking() {
            panic!("server {} left zombies unreaped: {zombies:?}\n{}", self.pid, self.log());
        }
    }
}

/// True when nothing listens on 127.0.0.1:`port` (we can bind it).
pub fn port_is_free(port: u16) -> bool {
    std::net::TcpListener::bind(("127.0.0.1", port)).is_ok()
}

/// Files a test planted (at a display's X lock or socket): removed on drop, pass or fail.
#[derive(Default)]
pub struct Planted(pub Vec<PathBuf>);

impl Drop for Planted {
    fn drop(&mut self) {
        for path in &self.0 {
            let _ = std::fs::remove_file(path);
        }
    }
}

pub fn x_lock(display: u32) -> PathBuf {
    PathBuf::from(format!("/tmp/.X{display}-lock"))
}

pub fn x_socket(display: u32) -> PathBuf {
    PathBuf::from(format!("/tmp/.X11-unix/X{display}"))
}

/// A display number with neither a lock nor a socket, from `base` up (far above the ones Xvfb
/// picks, from :0); test binaries use bases 3000 apart so they never plant on the same one.
pub fn unused_display(base: u32) -> u32 {
    (0..1000)
        .map(|i| base + (std::process::id() + i) % 3000)
        .find(|&n| x_lock(n).symlink_metadata().is_err() && x_socket(n).symlink_metadata().is_err())
        .expect("a free display number")
}

/// Opens a websocket to a session page through the service, with `extra` headers; returns the
/// answer (101 when the upgrade went through).
pub async fn websocket_upgrade(server: &Server, path: &str, extra: &[(&str, &str)]) -> hyper::Response<bytes::Bytes> {
    let mut headers = vec![
        ("connection", "Upgrade"),
        ("upgrade", "websocket"),
        ("sec-websocket-version", "13"),
        ("sec-websocket-key", "dGhlIHNhbXBsZSBub25jZQ=="),
    ];
    headers.extend_from_slice(extra);
    server.client.request(hyper::Method::GET, path, &headers, None).await.unwrap()
}
