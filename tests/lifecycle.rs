//! Crash safety with a fake xpra: following the parent, a killed service taking its sessions with
//! it, adoption after a SIGKILL (only of a session whose xpra outlived it), recovery that never
//! touches what is not ours, idle culling, limits, metrics, and a 100-cycle soak. Every `DELETE`
//! is followed by the shared check that nothing of the session is left.

mod support;

use std::io::{Read, Write};
use std::path::Path;
use std::time::Duration;

use fl_session::{ProcRecord, SessionRecord};
use hyper::{Method, StatusCode};
use support::{Launch, Server, TestHome, eventually, expect_error, fake_server, fake_xpra, session_processes_of, wait_until};

/// A process we did not start whose name looks like a session's: it must survive everything.
struct Decoy {
    child: std::process::Child,
    _dir: tempfile::TempDir,
}

impl Decoy {
    fn named(name: &str) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let link = dir.path().join(name);
        std::os::unix::fs::symlink("/bin/sleep", &link).unwrap();
        let child = std::process::Command::new(&link).arg("300").spawn().unwrap();
        Self { child, _dir: dir }
    }
    fn identity(&self) -> fl_sys::ProcIdentity {
        fl_sys::process_info(self.child.id() as i32).unwrap().identity
    }
    fn alive(&mut self) -> bool {
        self.child.try_wait().unwrap().is_none()
    }
}

impl Drop for Decoy {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn plant_record(home: &TestHome, port: u16, hostname: &str, xpra: fl_sys::ProcIdentity) -> std::path::PathBuf {
    let dir = home.sessions().join(format!("session-{port}"));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("precious"), "keep").unwrap();
    let record = SessionRecord {
        port,
        url: "about:blank".into(),
        created_at: "2026-11-25T00:00:00Z".into(),
        marker: format!("planted-{port}"),
        uid: fl_sys::current_uid(),
        hostname: hostname.into(),
        boot_id: fl_sys::boot_id().unwrap(),
        server: ProcRecord { pid: i32::MAX - 1, start_time: 1 },
        xpra: Some(ProcRecord::of(xpra)),
        xvfb: None,
        display: None,
        pooled: false,
        options: Default::default(),
    };
    record.write(&dir).unwrap();
    dir
}

#[tokio::test]
async fn killing_the_parent_stops_every_session_within_two_seconds() {
    let home = TestHome::new();
    let xpra = fake_xpra();
    let args = ["--xpra", xpra.to_str().unwrap(), "--firefox", "/bin/true", "--no-window-check"];
    let mut server = Server::launch(&home, Launch { args: &args, env: &[("FAKE_XPRA_MODE", "escape")], under_parent: true, ..Launch::default() }).await;
    for _ in 0..2 {
        server.client.start(None).await.unwrap();
    }
    let members = server.session_processes();
    assert!(members.len() >= 4, "{members:?}");
    server.kill_parent();
    wait_until(Duration::from_secs(2), "sessions to stop after the parent died", || {
        members.iter().all(|p| !p.identity.is_alive())
    })
    .await;
    wait_until(Duration::from_secs(5), "serve to exit", || !server.is_running()).await;
    assert!(home.session_dirs().is_empty());
    assert!(server.log().contains("reason=\"parent\""), "{}", server.log());
    server.final_counts().assert_stopped(&[("parent", 2)]);
}

/// `serve` SIGKILLed: each xpra gets its parent-death SIGTERM (set at spawn, whatever
/// `--no-follow-parent` says: that flag is about serve's own parent) and takes its session with
/// it, with no second `serve` to help. The next `serve` finds only records, adopts nothing and
/// removes them. (With real Xpra: tests/real_sessions.rs
/// `a_killed_service_takes_its_sessions_with_it`.)
#[tokio::test]
async fn a_killed_service_takes_its_sessions_with_it_even_without_following_its_parent() {
    let home = TestHome::new();
    let mut first = fake_server(&home, "", &["--no-follow-parent"]).await;
    let sessions = [first.client.start(None).await.unwrap(), first.client.start(None).await.unwrap()];
    let members = first.session_processes();
    assert!(members.len() >= 4, "two xpras and their children: {members:?}");
    first.signal_and_wait(fl_sys::Signal::SIGKILL, Duration::from_secs(5)).await;
    let pid = first.pid();
    // Generous: the children get the parent-death signal at once, but on a loaded machine (the
    // whole suite in parallel) their exit and reaping took over 5 s once.
    wait_until(Duration::from_secs(15), "the sessions to follow their killed service", || {
        members.iter().all(|p| !p.identity.is_alive()) && session_processes_of(pid).is_empty()
    })
    .await;
    assert_eq!(home.session_dirs().len(), 2, "the records wait for the next serve");

    let second = fake_server(&home, "", &[]).await;
    assert!(second.client.list().await.unwrap().sessions.is_empty(), "nothing to adopt: {}", second.log());
    assert!(home.session_dirs().is_empty(), "{:?}", home.session_dirs());
    second.counts().await.assert_stopped(&[("recovered", 2)]);
    for session in sessions {
        assert!(support::port_is_free(session.port));
    }
}

/// A session can outlive its killed service only when its xpra shrugs off the parent-death
/// SIGTERM (as a hung xpra would): the fake in `ignore-term` mode. Then the next serve adopts it.
#[tokio::test]
async fn a_session_that_survives_a_killed_service_is_adopted_by_the_next() {
    let home = TestHome::new();
    let mut first = fake_server(&home, "ignore-term", &["--cleanup-timeout", "0.5"]).await;
    let session = first.client.start(None).await.unwrap();
    let members = first.session_processes();
    first.expect_survivors();
    first.signal_and_wait(fl_sys::Signal::SIGKILL, Duration::from_secs(5)).await;
    assert!(members.iter().all(|p| p.identity.is_alive()), "the session should have survived");

    let second = fake_server(&home, "ignore-term", &["--cleanup-timeout", "0.5"]).await;
    let listed = second.client.list().await.unwrap().sessions;
    assert_eq!(listed.iter().map(|s| s.port).collect::<Vec<_>>(), vec![session.port], "{}", second.log());
    assert_eq!(listed[0].pid, session.pid);
    let page = second.client.request(Method::GET, &format!("/{}", session.path), &[], None).await.unwrap();
    assert_eq!(page.status(), StatusCode::OK, "the adopted session is proxied");

    let summary = second.stop_leaving_nothing(session.port).await;
    assert_eq!(summary.signal, "SIGKILL");
    assert!(members.iter().all(|p| !p.identity.is_alive()));
    assert!(session_processes_of(first.pid()).is_empty());
    assert!(home.session_dirs().is_empty());
    second.counts().await.assert_stopped(&[("user", 1)]);
}

#[tokio::test]
async fn recovery_and_teardown_never_touch_what_is_not_ours() {
    let home = TestHome::new();
    let mut decoys = [Decoy::named("xpra"), Decoy::named("Xvfb"), Decoy::named("firefox-esr")];
    // A record whose xpra pid now belongs to an unrelated process (pid reuse: wrong start time).
    let mut reused = decoys[0].identity();
    reused.start_time += 1;
    let reused_dir = plant_record(&home, 40001, &fl_sys::hostname(), reused);
    // A record from another host sharing this home, naming a live pid that is not its process.
    let elsewhere = plant_record(&home, 40002, "another-node.example", decoys[1].identity());

    let mut server = fake_server(&home, "escape", &[]).await;
    assert!(!reused_dir.exists(), "a dead session of ours is cleaned up");
    assert_eq!(std::fs::read_to_string(elsewhere.join("precious")).unwrap(), "keep", "another host's session is left alone");
    let log = server.log();
    assert!(log.contains("another-node.example"), "{log}");
    server.counts().await.assert_stopped(&[("recovered", 1)]);

    let session = server.client.start(None).await.unwrap();
    server.stop_leaving_nothing(session.port).await;
    server.client.start(None).await.unwrap();
    let status = server.terminate(Duration::from_secs(10)).await.unwrap();
    assert!(status.success());
    for decoy in &mut decoys {
        assert!(decoy.alive(), "a decoy was killed");
    }
    assert!(elsewhere.join("precious").exists());
}

#[tokio::test]
async fn an_idle_session_is_stopped_but_not_while_a_client_is_connected() {
    let home = TestHome::new();
    let server = fake_server(&home, "", &["--idle-timeout", "2"]).await;
    let watched = server.client.start(None).await.unwrap();

    // A websocket client through the proxy keeps it alive.
    let address = server.address.trim_start_matches("http://").to_owned();
    let mut socket = std::net::TcpStream::connect(&address).unwrap();
    write!(
        socket,
        "GET /{} HTTP/1.1\r\nHost: localhost\r\nAuthorization: token {}\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n",
        watched.path,
        server.client.token().expect("on TCP the service always has a token")
    )
    .unwrap();
    let mut head = [0u8; 12];
    socket.read_exact(&mut head).unwrap();
    assert_eq!(&head, b"HTTP/1.1 101");
    let unwatched = server.client.start(None).await.unwrap();

    let client = &server.client;
    let ports = || async { client.list().await.unwrap().sessions.iter().map(|s| s.port).collect::<Vec<_>>() };
    eventually(Duration::from_secs(10), "the unwatched session to be culled", || async {
        !ports().await.contains(&unwatched.port)
    })
    .await;
    assert_eq!(ports().await, vec![watched.port], "only the unwatched session is culled");
    assert_eq!(client.list().await.unwrap().sessions[0].clients, 1);

    drop(socket);
    eventually(Duration::from_secs(10), "culling once the client left", || async { ports().await.is_empty() }).await;
    assert!(home.session_dirs().is_empty());
    server.counts().await.assert_stopped(&[("idle", 2)]);
}

#[tokio::test]
async fn the_session_limit_answers_429_and_missing_binaries_a_clear_error() {
    let home = TestHome::new();
    let server = fake_server(&home, "", &["--max-sessions", "2"]).await;
    for _ in 0..2 {
        server.client.start(None).await.unwrap();
    }
    let third = server.client.request(Method::POST, "/api/sessions", &[], None).await.unwrap();
    expect_error(&third, 429, "too_many_sessions");
    assert_eq!(home.session_dirs().len(), 2);

    let home = TestHome::new();
    let xpra = fake_xpra();
    let server = Server::start(&home, &["--xpra", xpra.to_str().unwrap(), "--firefox", "/nonexistent/firefox", "--no-window-check"], &[]).await;
    let response = server.client.request(Method::POST, "/api/sessions", &[], None).await.unwrap();
    let body = expect_error(&response, 500, "missing_binary");
    assert!(body.error.contains("/nonexistent/firefox"), "{}", body.error);
    // The JupyterLab extension shows this sentence: it names the package and `doctor`.
    assert!(body.error.contains("apt install firefox-esr") && body.error.contains("firefox-launcher doctor"), "{}", body.error);
    assert!(home.session_dirs().is_empty());
}

#[tokio::test]
async fn health_and_metrics_tell_what_happened() {
    let home = TestHome::new();
    let server = fake_server(&home, "", &[]).await;
    let session = server.client.start(None).await.unwrap();
    let health: fl_api::Health = serde_json::from_slice(server.client.request(Method::GET, "/api/health", &[], None).await.unwrap().body()).unwrap();
    assert_eq!(health.status_by_port.get(&session.port.to_string()), Some(&fl_api::SessionStatus::Ready));
    server.stop_leaving_nothing(session.port).await;
    let metrics = server.metrics_text().await;
    for line in [
        "firefox_launcher_sessions_active 0",
        "firefox_launcher_sessions_created_total 1",
        "firefox_launcher_sessions_stopped_total{reason=\"user\"} 1",
        "firefox_launcher_session_start_seconds_count 1",
        "firefox_launcher_session_stop_seconds_count 1",
    ] {
        assert!(metrics.lines().any(|l| l == line), "missing {line:?} in\n{metrics}");
    }
}

fn open_fds(pid: u32) -> usize {
    std::fs::read_dir(format!("/proc/{pid}/fd")).map(|d| d.count()).unwrap_or(0)
}

#[tokio::test]
async fn a_hundred_create_stop_cycles_leave_nothing_and_no_fds() {
    let home = TestHome::new();
    let server = fake_server(&home, "escape", &[]).await;
    // One warm-up cycle so lazily opened fds (the reaper's signal pipe, pools) are counted.
    let s = server.client.start(None).await.unwrap();
    server.stop_leaving_nothing(s.port).await;
    let fds_before = open_fds(server.pid());
    for _ in 0..100 {
        let s = server.client.start(None).await.unwrap();
        server.stop_leaving_nothing(s.port).await;
    }
    assert!(server.session_processes().is_empty());
    assert!(home.session_dirs().is_empty());
    let pid = server.pid();
    wait_until(Duration::from_secs(5), "fds back to where they started", || open_fds(pid) <= fds_before).await;
}

async fn health(server: &Server) -> fl_api::Health {
    serde_json::from_slice(server.client.request(Method::GET, "/api/health", &[], None).await.unwrap().body()).unwrap()
}

#[tokio::test]
async fn the_warm_pool_hands_out_a_ready_session_and_refills() {
    let home = TestHome::new();
    let mut server = fake_server(&home, "", &["--warm", "1", "--max-sessions", "1"]).await;
    wait_until_async(&server, |h| h.warm == 1).await;
    assert!(server.client.list().await.unwrap().sessions.is_empty(), "pooled sessions are not listed");
    let pool_processes = server.session_processes();
    assert!(!pool_processes.is_empty());

    let session = server.client.start(Some("https://example.org/claimed".into())).await.unwrap();
    assert_eq!(session.url, "https://example.org/claimed");
    assert!(pool_processes.iter().any(|p| p.identity.pid as u32 == session.pid.unwrap()), "the pooled xpra was handed out");
    let page = std::fs::read_to_string(Path::new(&session.dir).join("start.html")).unwrap();
    assert!(page.contains("location.replace(\"https://example.org/claimed\")"), "{page}");
    assert_eq!(server.client.list().await.unwrap().sessions.len(), 1);

    // The pool refills, and does not count toward --max-sessions.
    wait_until_async(&server, |h| h.warm == 1).await;
    let second = server.client.request(Method::POST, "/api/sessions", &[], None).await.unwrap();
    expect_error(&second, 429, "too_many_sessions");

    let members = server.session_processes();
    let status = server.terminate(Duration::from_secs(10)).await.unwrap();
    assert!(status.success());
    assert!(members.iter().all(|p| !p.identity.is_alive()), "the pool is stopped with the service");
    assert!(home.session_dirs().is_empty());
    server.final_counts().assert_stopped(&[("shutdown", 2)]);
}

async fn wait_until_async(server: &Server, condition: impl Fn(&fl_api::Health) -> bool) {
    eventually(Duration::from_secs(10), "a condition on /api/health", || async { condition(&health(server).await) }).await;
}
