//! End-to-end with Debian's real xpra, Xvfb and firefox-esr: a session is created, served through
//! the proxy (page and websocket), shows a Firefox window, and is stopped with nothing left.

mod support;

use std::time::Duration;

use fl_api::{SessionStatus, SessionView};
use fl_sys::ProcessInfo;
use hyper::{Method, StatusCode};
use support::{Server, TestHome, port_is_free};

async fn real_server(home: &TestHome) -> Server {
    Server::start(home, &["--audio", "on"], &[]).await
}

/// Asks xpra itself (not our readiness check) which windows the session has.
fn xpra_reports_firefox_window(session: &SessionView) -> bool {
    let dir = std::path::Path::new(&session.dir);
    let output = std::process::Command::new("/usr/bin/xpra")
        .arg("info")
        .arg(format!("socket://{}", dir.join("sock/xpra.sock").display()))
        .env("XPRA_SYSTEM_CONF_DIRS", dir.join("conf"))
        .env("XPRA_USER_CONF_DIRS", dir.join("conf"))
        .output()
        .expect("running xpra info");
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .any(|l| l.contains(".class-instance=") && l.to_lowercase().contains("firefox"))
}

async fn get(server: &Server, path: &str) -> hyper::Response<bytes::Bytes> {
    server.client.request(Method::GET, path, &[], None).await.unwrap()
}

/// The proxy serves our own client under its CSP, and Xpra accepts its websocket; the session's
/// own port, which any local program could open, answers nothing (no process of a session
/// listens on TCP).
async fn assert_serves_client(server: &Server, session: &SessionView) {
    let page = get(server, &format!("/{}", session.path)).await;
    assert_eq!(page.status(), StatusCode::OK);
    let body = String::from_utf8_lossy(page.body());
    assert!(body.contains("id=\"screen\"") && !body.contains("firefox-launcher.js"), "not our own client: {body}");
    assert_eq!(page.headers()["content-security-policy"], fl_session_page::CONTENT_SECURITY_POLICY);
    // Xpra answers 403 to a websocket without the "binary" subprotocol, which our client asks for.
    let upgrade = support::websocket_upgrade(server, &format!("/{}", session.path), &[("sec-websocket-protocol", "binary")]).await;
    assert_eq!(upgrade.status(), StatusCode::SWITCHING_PROTOCOLS, "the websocket through the proxy");

    let direct = std::net::TcpStream::connect(("127.0.0.1", session.port)).map(|_| ()).map_err(|e| e.kind());
    assert_eq!(direct, Err(std::io::ErrorKind::ConnectionRefused), "the session's port {} accepted a connection", session.port);
}

fn assert_gone(home: &TestHome, session: &SessionView, processes: &[ProcessInfo]) {
    assert!(processes.iter().all(|p| !p.identity.is_alive()), "still running: {processes:?}");
    assert!(!home.session_dirs().contains(&format!("session-{}", session.port)), "directory left (its sound socket with it)");
    assert!(port_is_free(session.port), "port {} still taken", session.port);
    assert_no_stale_x_files(session, processes);
}

/// What a session can leave of its X server: its socket. (Xvfb started with `-displayfd`, as
/// ours are, writes no `/tmp/.X<N>-lock` at all, so a lock is not looked for here; the cleanup of
/// planted and stale locks is tested in `tests/isolation.rs` and `fl-session`'s `xfiles`.)
fn assert_no_stale_x_files(session: &SessionView, processes: &[ProcessInfo]) {
    // Displays are reused at once by other tests' sessions, so "left behind" means a socket
    // nobody accepts on, or one our own (dead) Xvfb still holds.
    let display = session.display.as_deref().unwrap().trim_start_matches(':');
    let socket = format!("/tmp/.X11-unix/X{display}");
    assert!(processes.iter().any(|p| p.comm == "Xvfb"), "no Xvfb among the session's processes: {processes:?}");
    let stale_socket = std::path::Path::new(&socket).exists() && std::os::unix::net::UnixStream::connect(&socket).is_err();
    assert!(!stale_socket, "stale X socket {socket} left");
}

/// Two sessions started at once, each with its processes.
async fn two_sessions(server: &Server) -> [(SessionView, Vec<ProcessInfo>); 2] {
    let (a, b) = tokio::join!(server.client.start(None), server.client.start(None));
    [a.unwrap(), b.unwrap()].map(|s| {
        let procs = processes_of(server, &s);
        (s, procs)
    })
}

/// A session's processes, its sound server among them: every test that checks they are gone
/// (stop, shutdown, Firefox's exit, a killed service) checks the sound server goes too.
fn processes_of(server: &Server, session: &SessionView) -> Vec<ProcessInfo> {
    let mine = marked_processes_of(server, session);
    assert!(mine.iter().any(|p| p.comm == "Xvfb"), "Xvfb carries the session marker: {mine:?}");
    assert!(session.audio, "the session has no sound (does the machine lack pulseaudio? see `doctor`): {session:?}");
    assert!(mine.iter().any(|p| p.comm == "pulseaudio"), "the session's sound server carries its marker: {mine:?}");
    mine
}

/// The processes that carry `session`'s marker.
fn marked_processes_of(server: &Server, session: &SessionView) -> Vec<ProcessInfo> {
    let suffix = format!("-{}", session.port);
    let all = server.session_processes();
    let mine: Vec<ProcessInfo> = all
        .into_iter()
        .filter(|p| {
            std::fs::read(format!("/proc/{}/environ", p.identity.pid)).is_ok_and(|env| {
                env.split(|b| *b == 0).any(|kv| kv.starts_with(format!("{}=", support::MARKER_ENV).as_bytes()) && kv.ends_with(suffix.as_bytes()))
            })
        })
        .collect();
    mine
}

#[tokio::test]
async fn a_session_shows_firefox_through_the_proxy_and_stops_without_a_trace() {
    let home = TestHome::new();
    let server = real_server(&home).await;
    let session = server.client.start(Some("about:blank".into())).await.unwrap();
    assert_eq!(session.status, SessionStatus::Ready);
    assert_eq!(session.path, format!("sessions/{}/", session.port));
    assert!(xpra_reports_firefox_window(&session), "xpra lists no Firefox window");
    assert_serves_client(&server, &session).await;
    // Firefox is told its sound server is the session's own (none, here): without an address
    // libpulse autospawns a daemon outside the session for users other than root.
    let pulse = format!("unix:{}/xdg/runtime/pulse/native", session.dir);
    let told = fl_sys::find_by_env(fl_sys::current_uid(), "PULSE_SERVER", |v| v == pulse.as_bytes());
    assert!(told.iter().any(|p| p.comm.starts_with("firefox")), "no Firefox with PULSE_SERVER={pulse}: {told:?}");

    let websocket = support::websocket_upgrade(&server, &format!("/{}", session.path), &[("sec-websocket-protocol", "binary")]).await;
    assert_eq!(websocket.status(), StatusCode::SWITCHING_PROTOCOLS, "websocket through the proxy");

    let processes = processes_of(&server, &session);
    let summary = server.client.stop(session.port).await.unwrap();
    assert_eq!(summary.signal, "SIGTERM", "real xpra stops on SIGTERM: {summary:?}");
    assert_gone(&home, &session, &processes);
    assert_eq!(get(&server, &format!("/api/sessions/{}", session.port)).await.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn stopping_one_session_leaves_the_other_working() {
    let home = TestHome::new();
    let server = real_server(&home).await;
    let [(a, a_procs), (b, b_procs)] = two_sessions(&server).await;
    assert_ne!(a.display, b.display);

    server.client.stop(a.port).await.unwrap();
    assert_gone(&home, &a, &a_procs);
    // Firefox's content processes come and go by themselves; xpra, Xvfb and Firefox itself must not.
    let b_core: Vec<&ProcessInfo> = b_procs
        .iter()
        .filter(|p| p.comm == "Xvfb" || p.identity.pid as u32 == b.pid.unwrap() || p.ppid as u32 == b.pid.unwrap())
        .collect();
    assert!(b_core.len() >= 3, "xpra, Xvfb and firefox: {b_core:?}");
    assert!(b_core.iter().all(|p| p.identity.is_alive()), "the other session lost processes: {b_core:?}");
    let listed = server.client.list().await.unwrap().sessions;
    assert_eq!(listed.iter().map(|s| s.port).collect::<Vec<_>>(), vec![b.port]);
    assert_eq!(listed[0].status, SessionStatus::Ready);
    assert_serves_client(&server, &b).await;
    assert!(xpra_reports_firefox_window(&b));

    server.client.stop(b.port).await.unwrap();
    assert_gone(&home, &b, &b_procs);
}

#[tokio::test]
async fn stopping_the_service_leaves_nothing() {
    let home = TestHome::new();
    let mut server = real_server(&home).await;
    let [(a, a_procs), (b, b_procs)] = two_sessions(&server).await;

    let status = server.terminate(Duration::from_secs(20)).await.expect("serve exits");
    assert!(status.success(), "{status:?}\n{}", server.log());
    assert_gone(&home, &a, &a_procs);
    assert_gone(&home, &b, &b_procs);
    assert!(!server.runtime_file_exists());
    let log = server.log();
    assert!(log.contains("stopped") && log.contains("reason=\"shutdown\""), "{log}");
    server.final_counts().assert_stopped(&[("shutdown", 2)]);
}

#[tokio::test]
async fn firefox_closing_ends_the_session() {
    let home = TestHome::new();
    let server = real_server(&home).await;
    let session = server.client.start(None).await.unwrap();
    let processes = processes_of(&server, &session);
    let firefox = processes.iter().find(|p| p.comm.starts_with("firefox")).expect("a firefox process");
    fl_sys::signal_process(&firefox.identity, fl_sys::Signal::SIGKILL).unwrap();
    support::wait_until(Duration::from_secs(20), "the session to be unlisted", || {
        !home.session_dirs().contains(&format!("session-{}", session.port))
    })
    .await;
    assert!(server.client.list().await.unwrap().sessions.is_empty());
    assert_gone(&home, &session, &processes);
    server.counts().await.assert_stopped(&[("exited", 1)]);
}

/// `serve` SIGKILLed (OOM killer, Slurm): each Xpra gets its parent-death SIGTERM and stops
/// Firefox and Xvfb itself, so nothing of the sessions runs on, with no second `serve` to help.
/// The next `serve` finds only their records, adopts nothing and removes them. (A session is
/// adopted only when its Xpra outlives that signal, which real Xpra does not: see
/// tests/lifecycle.rs `a_session_that_survives_a_killed_service_is_adopted_by_the_next`, with a
/// fake xpra that ignores it.)
#[tokio::test]
async fn a_killed_service_takes_its_sessions_with_it() {
    let home = TestHome::new();
    let mut first = real_server(&home).await;
    let [(a, a_procs), (b, b_procs)] = two_sessions(&first).await;
    first.signal_and_wait(fl_sys::Signal::SIGKILL, Duration::from_secs(5)).await;
    let first_pid = first.pid();
    support::wait_until(Duration::from_secs(20), "the sessions to end by themselves after serve was killed", || {
        a_procs.iter().chain(&b_procs).all(|p| !p.identity.is_alive()) && support::session_processes_of(first_pid).is_empty()
    })
    .await;
    for (session, procs) in [(&a, &a_procs), (&b, &b_procs)] {
        assert_no_stale_x_files(session, procs);
        assert!(home.session_dirs().contains(&format!("session-{}", session.port)), "the record waits for the next serve");
    }

    let second = real_server(&home).await;
    assert!(second.client.list().await.unwrap().sessions.is_empty(), "nothing to adopt: {}", second.log());
    assert_gone(&home, &a, &a_procs);
    assert_gone(&home, &b, &b_procs);
    assert!(home.session_dirs().is_empty(), "{:?}", home.session_dirs());
    second.counts().await.assert_stopped(&[("recovered", 2)]);
}

/// Firefox dying before its window is up (real Firefox, given too little address space to load
/// libxul) fails the start at once: Xpra exits with its only child, and the error names the port
/// and carries the tail of Xpra's log, Firefox's last words included. Nothing of it is left.
#[tokio::test]
async fn firefox_dying_before_ready_fails_the_start_with_the_port_and_the_log_tail() {
    use std::os::unix::fs::PermissionsExt;
    let home = TestHome::new();
    let firefox = home.path().join("firefox-that-dies");
    std::fs::write(&firefox, "#!/bin/sh\nulimit -v 200000\nexec firefox-esr \"$@\"\n").unwrap();
    std::fs::set_permissions(&firefox, std::fs::Permissions::from_mode(0o755)).unwrap();
    // A start that timed out instead would answer 504 (start_timeout).
    let server = Server::start(&home, &["--firefox", firefox.to_str().unwrap(), "--ready-timeout", "30"], &[]).await;
    let response = server.client.request(Method::POST, "/api/sessions", &[], None).await.unwrap();
    let body = support::expect_error(&response, 500, "start_failed");
    let port: u16 = body
        .error
        .split("xpra for port ")
        .nth(1)
        .and_then(|rest| rest.split(' ').next()?.parse().ok())
        .unwrap_or_else(|| panic!("no port named in: {}", body.error));
    assert!(body.error.contains("Couldn't load XPCOM"), "Firefox's own error in the log tail: {}", body.error);
    assert!(port_is_free(port), "port {port} still taken");
    assert!(home.session_dirs().is_empty(), "{:?}", home.session_dirs());
    assert!(server.session_processes().is_empty(), "{:?}", server.session_processes());
    server.assert_no_zombies().await;
    server.counts().await.assert_stopped(&[("failed", 1)]);
}

#[tokio::test]
async fn twenty_real_create_stop_cycles_leave_nothing() {
    let home = TestHome::new();
    let server = real_server(&home).await;
    let fds = |pid: u32| std::fs::read_dir(format!("/proc/{pid}/fd")).map(|d| d.count()).unwrap_or(0);
    let warm = server.client.start(None).await.unwrap();
    server.client.stop(warm.port).await.unwrap();
    let fds_before = fds(server.pid());
    for _ in 0..20 {
        let session = server.client.start(None).await.unwrap();
        let procs = processes_of(&server, &session);
        server.client.stop(session.port).await.unwrap();
        assert_gone(&home, &session, &procs);
    }
    assert!(server.session_processes().is_empty());
    assert!(home.session_dirs().is_empty());
    let pid = server.pid();
    support::wait_until(Duration::from_secs(5), "fds back to where they started", || fds(pid) <= fds_before).await;
}

#[tokio::test]
async fn a_claimed_warm_session_opens_the_requested_page() {
    // A page Firefox must fetch once the warm session is claimed for it.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://127.0.0.1:{}/claimed-page", listener.local_addr().unwrap().port());
    let (seen_tx, seen_rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        use std::io::{Read, Write};
        for mut stream in listener.incoming().flatten() {
            let mut buf = [0u8; 2048];
            let n = stream.read(&mut buf).unwrap_or(0);
            let _ = seen_tx.send(String::from_utf8_lossy(&buf[..n]).lines().next().unwrap_or("").to_owned());
            let _ = stream.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok");
        }
    });

    let home = TestHome::new();
    let server = Server::start(&home, &["--warm", "1"], &[]).await;
    support::eventually(Duration::from_secs(60), "the warm pool to fill", || async {
        serde_json::from_slice::<fl_api::Health>(get(&server, "/api/health").await.body()).unwrap().warm == 1
    })
    .await;

    let session = server.client.start(Some(url.clone())).await.unwrap();
    assert_eq!(session.status, SessionStatus::Ready);
    let request_line = seen_rx.recv_timeout(Duration::from_secs(20)).expect("Firefox never opened the requested page");
    assert_eq!(request_line, "GET /claimed-page HTTP/1.1");
    let procs = processes_of(&server, &session);
    server.client.stop(session.port).await.unwrap();
    assert_gone(&home, &session, &procs);
}

/// The session's port is its identity, held by the service from before its directory exists
/// to after it is gone: no other program can bind it meanwhile, and nothing answers on it (no
/// process of the session listens on TCP). A thief tries to bind it the moment the directory
/// appears, and again once the session is ready; control: after the stop the port binds.
#[tokio::test]
async fn the_session_port_is_held_for_the_session_s_life_and_answers_nothing() {
    let home = TestHome::new();
    let server = real_server(&home).await;
    let sessions = home.sessions();
    let (taken_tx, taken_rx) = std::sync::mpsc::channel();
    let thief = std::thread::spawn(move || {
        let deadline = std::time::Instant::now() + Duration::from_secs(60);
        while std::time::Instant::now() < deadline {
            let first = std::fs::read_dir(&sessions).into_iter().flatten().flatten().find_map(|e| {
                e.file_name().to_str().and_then(|n| n.strip_prefix("session-")).and_then(|p| p.parse::<u16>().ok())
            });
            if let Some(port) = first {
                taken_tx.send((port, std::net::TcpListener::bind(("127.0.0.1", port)).map_err(|e| e.kind()))).unwrap();
                return;
            }
            std::thread::sleep(Duration::from_millis(1));
        }
    });
    let session = server.client.start(Some("about:blank".into())).await.unwrap();
    thief.join().unwrap();
    let (port, early) = taken_rx.recv().expect("the session directory never appeared");
    assert_eq!(port, session.port);
    assert_eq!(early.map(|_| ()), Err(std::io::ErrorKind::AddrInUse), "another program bound port {port} while the session started");
    assert_eq!(std::net::TcpListener::bind(("127.0.0.1", port)).map(|_| ()).map_err(|e| e.kind()), Err(std::io::ErrorKind::AddrInUse));
    let refused = std::net::TcpStream::connect(("127.0.0.1", port)).map(|_| ()).map_err(|e| e.kind());
    assert_eq!(refused, Err(std::io::ErrorKind::ConnectionRefused), "something answers on the session's port");
    assert!(xpra_reports_firefox_window(&session));
    server.client.stop(session.port).await.unwrap();
    assert!(port_is_free(port), "port {port} still held after the stop");
}

/// Serves `page` to every request on a loopback port, on a thread that lives as long as the test.
fn serve_page(page: &'static str) -> u16 {
    let listener = std::net::TcpListener::bind(("127.0.0.1", 0)).unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            use std::io::{Read, Write};
            let mut stream = stream;
            let mut request = [0u8; 4096];
            let _ = stream.read(&mut request);
            let answer = format!("HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{page}", page.len());
            let _ = stream.write_all(answer.as_bytes());
        }
    });
    port
}

/// The session JSON carries Firefox's window title, as text, and follows the page's changes.
#[tokio::test]
async fn a_session_reports_firefox_s_window_title() {
    let page = "<!DOCTYPE html><title>first &lt;b&gt;title&lt;/b&gt;</title>\
                <script>setTimeout(function () { document.title = 'second title'; }, 3000);</script>";
    let site = serve_page(page);
    let home = TestHome::new();
    let server = real_server(&home).await;
    let session = server.client.start(Some(format!("http://127.0.0.1:{site}/"))).await.unwrap();
    let title = || async {
        let answer = get(&server, &format!("/api/sessions/{}", session.port)).await;
        serde_json::from_slice::<SessionView>(answer.body()).unwrap().title
    };
    support::eventually(Duration::from_secs(20), "the first title", || async { title().await.starts_with("first <b>title</b>") }).await;
    support::eventually(Duration::from_secs(20), "the changed title", || async { title().await.starts_with("second title") }).await;
    let listed = server.client.list().await.unwrap();
    assert!(listed.sessions[0].title.starts_with("second title"), "{:?}", listed.sessions[0]);
    server.client.stop(session.port).await.unwrap();
}

/// Xpra 6 (`scripts/install-xpra6`): a session gets ready on it and, stopped with SIGKILL at once
/// (`--cleanup-timeout 0`), leaves nothing, its Xvfb included, although Xpra 6 starts Xvfb in a
/// group of its own and without our environment marker. It never touches the system's D-Bus.
#[tokio::test]
async fn a_session_on_xpra_6_gets_ready_and_a_sigkill_stop_leaves_nothing() {
    let home = TestHome::new();
    let xpra = support::xpra6();
    let server = Server::start(&home, &["--xpra", &xpra, "--cleanup-timeout", "0"], &[]).await;
    let session = server.client.start(Some("about:blank".into())).await.unwrap();
    let mut procs = marked_processes_of(&server, &session);
    let xvfb = fl_sys::scan().into_iter().find(|p| p.ppid == session.pid.unwrap() as i32 && p.comm == "Xvfb").expect("Xpra 6's Xvfb, its child");
    assert!(!procs.iter().any(|p| p.identity == xvfb.identity), "Xvfb carries the marker: this test no longer tests the fallback");
    procs.push(xvfb);
    assert_serves_client(&server, &session).await;
    // Xpra 6 runs without its web server: its socket upgrades the websocket (the control), and
    // answers no page of its own.
    let socket = std::path::Path::new(&session.dir).join("sock/xpra.sock");
    let upstream = fl_session::Upstream::new(socket.clone());
    assert!(upstream.accepts_websocket().await, "no websocket on {}", socket.display());
    let plain = std::process::Command::new("curl").args(["-s", "-o", "/dev/null", "-w", "%{http_code}", "-m", "5", "--unix-socket"]).arg(&socket).arg("http://localhost/").output().unwrap();
    assert_ne!(String::from_utf8_lossy(&plain.stdout), "200", "Xpra 6 served a page of its own");
    // Run as root (as CI is), Xpra 6 would wait for the system bus and start the machine's
    // dbus-daemon itself, logging either outcome ("started system dbus daemon" / "dbus-daemon
    // failed to start"); as another user it never tries.
    let log = std::fs::read_to_string(std::path::Path::new(&session.dir).join("xpra.log")).unwrap();
    assert!(!log.contains("system dbus daemon") && !log.contains("dbus-daemon failed"), "Xpra 6 went for the system bus:\n{log}");
    let summary = server.client.stop(session.port).await.unwrap();
    assert_eq!(summary.signal, "SIGKILL");
    assert_gone(&home, &session, &procs);
}

/// The X servers whose command line names `needle` (a session's Xauthority path).
fn xvfb_naming(needle: &str) -> Vec<i32> {
    fl_sys::scan()
        .into_iter()
        .filter(|p| p.comm == "Xvfb" && !p.defunct)
        .filter(|p| std::fs::read(format!("/proc/{}/cmdline", p.identity.pid)).is_ok_and(|c| String::from_utf8_lossy(&c).contains(needle)))
        .map(|p| p.identity.pid)
        .collect()
}

/// A start on Xpra 6 that never gets ready (a "Firefox" that maps no window) fails on its
/// timeout, and takes Xpra 6's Xvfb with it: Xpra 6 starts it outside the session's group and
/// without our marker, and it was found only once the session was ready.
#[tokio::test]
async fn a_start_on_xpra_6_that_times_out_leaves_no_x_server() {
    let home = TestHome::new();
    let xpra = support::xpra6();
    let no_window = home.path().join("no-window-firefox");
    std::fs::write(&no_window, "#!/bin/sh\nexec sleep 600\n").unwrap();
    std::fs::set_permissions(&no_window, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    let server = Server::start(&home, &["--xpra", &xpra, "--firefox", no_window.to_str().unwrap(), "--ready-timeout", "15", "--cleanup-timeout", "0"], &[]).await;
    let sessions = home.path().to_string_lossy().into_owned();
    let start = {
        let client = server.client.clone();
        tokio::spawn(async move { client.start(Some("about:blank".into())).await })
    };
    // Control: the X server is there while the start waits.
    support::eventually(Duration::from_secs(14), "Xpra 6's Xvfb running", || async { !xvfb_naming(&sessions).is_empty() }).await;
    let seen = xvfb_naming(&sessions);
    let failed = start.await.unwrap().unwrap_err().to_string();
    assert!(failed.contains("start_timeout") || failed.contains("not ready"), "{failed}");
    let left = xvfb_naming(&sessions);
    assert!(left.is_empty(), "Xvfb left running after the failed start (pids {left:?}; seen while starting: {seen:?})");
}
