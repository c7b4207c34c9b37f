//! Fault cases with a fake xpra (tests/fake-xpra): escaped grandchildren, SIGTERM ignored, an xpra
//! that dies at once or never becomes ready, concurrent creates,
//! orphans reaped, stale X files of the display. Every `DELETE` is followed by the shared check
//! that nothing of the session is left (`Server::stop_leaving_nothing`).

mod support;

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use hyper::{Method, StatusCode};
use support::{Planted, Server, TestHome, eventually, expect_error, fake_server, fake_server_on, port_is_free, unused_display, wait_until, x_lock, x_socket};

#[tokio::test]
async fn a_grandchild_that_left_the_group_is_stopped_too() {
    let home = TestHome::new();
    let server = fake_server(&home, "escape", &[]).await;
    let session = server.client.start(None).await.unwrap();
    let escaped = |pgid: i32| server.session_processes().into_iter().filter(move |p| p.identity.pid != p.pgid && p.pgid != pgid).collect::<Vec<_>>();
    let pgid = session.pgid.unwrap();
    wait_until(Duration::from_secs(5), "the grandchild to setsid", || !escaped(pgid).is_empty()).await;
    let outside = escaped(pgid);

    let summary = server.stop_leaving_nothing(session.port).await;
    assert_eq!(summary.signal, "SIGTERM");
    assert!(summary.leftovers >= 1, "{summary:?}");
    assert!(outside.iter().all(|p| !p.identity.is_alive()), "escaped process survived: {outside:?}");
    assert!(server.session_processes().is_empty());
    assert!(home.session_dirs().is_empty());
}

#[tokio::test]
async fn a_session_that_ignores_sigterm_is_killed_after_the_grace() {
    let home = TestHome::new();
    let server = fake_server(&home, "ignore-term", &["--cleanup-timeout", "0.5"]).await;
    let session = server.client.start(None).await.unwrap();
    let members = server.session_processes();
    assert!(members.len() >= 2, "xpra and its child: {members:?}");

    let summary = server.stop_leaving_nothing(session.port).await;
    assert_eq!(summary.signal, "SIGKILL");
    assert!(summary.elapsed_ms >= 500, "{summary:?}");
    assert!(members.iter().all(|p| !p.identity.is_alive()));
    assert!(home.session_dirs().is_empty());
    assert!(port_is_free(session.port));
}

#[tokio::test]
async fn an_xpra_that_exits_at_once_fails_the_start_with_its_log() {
    let home = TestHome::new();
    let server = fake_server(&home, "exit", &[]).await;
    let response = server.client.request(Method::POST, "/api/sessions", &[], Some(b"{}".to_vec())).await.unwrap();
    let body = expect_error(&response, 500, "start_failed");
    assert!(body.error.contains("fake xpra: failing on purpose"), "{}", body.error);
    assert!(home.session_dirs().is_empty());
    assert!(server.client.list().await.unwrap().sessions.is_empty());
    server.counts().await.assert_stopped(&[("failed", 1)]);
}

#[tokio::test]
async fn a_start_that_never_gets_ready_times_out_with_504_and_leaves_nothing() {
    let home = TestHome::new();
    let server = fake_server(&home, "never-ready", &["--ready-timeout", "1"]).await;
    let response = server.client.request(Method::POST, "/api/sessions", &[], None).await.unwrap();
    expect_error(&response, 504, "start_timeout");
    assert!(server.session_processes().is_empty());
    assert!(home.session_dirs().is_empty());
    server.counts().await.assert_stopped(&[("failed", 1)]);
}

#[tokio::test]
async fn stopping_a_session_while_it_starts_answers_both_requests() {
    let home = TestHome::new();
    let server = fake_server(&home, "never-ready", &[]).await;
    let creating = {
        let client = server.client.clone();
        tokio::spawn(async move { client.request(Method::POST, "/api/sessions", &[], None).await.unwrap() })
    };
    let mut port = None;
    wait_until(Duration::from_secs(10), "the session to be listed as starting", || {
        port = starting_port(&home);
        port.is_some()
    })
    .await;
    let summary = server.stop_leaving_nothing(port.unwrap()).await;
    assert_eq!(summary.signal, "SIGTERM");
    let created = creating.await.unwrap();
    assert_eq!(created.status(), StatusCode::CONFLICT);
    assert!(server.session_processes().is_empty());
    assert!(home.session_dirs().is_empty());
}

/// The port of the only session directory, once xpra runs in it.
fn starting_port(home: &TestHome) -> Option<u16> {
    let dirs = home.session_dirs();
    let name = dirs.first()?;
    home.sessions().join(name).join("xpra.log").exists().then_some(())?;
    name.strip_prefix("session-")?.parse().ok()
}

#[tokio::test]
async fn ten_concurrent_creates_get_ten_distinct_ports() {
    let home = TestHome::new();
    let server = fake_server(&home, "", &["--max-sessions", "10"]).await;
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..10 {
        let client = server.client.clone();
        tasks.spawn(async move { client.start(None).await });
    }
    let mut ports = Vec::new();
    while let Some(result) = tasks.join_next().await {
        ports.push(result.unwrap().expect("every create succeeds").port);
    }
    ports.sort_unstable();
    ports.dedup();
    assert_eq!(ports.len(), 10);
    assert_eq!(server.client.list().await.unwrap().sessions.len(), 10);
    let mut tasks = tokio::task::JoinSet::new();
    for port in ports {
        let stopper = server.stopper();
        tasks.spawn(async move { stopper.stop_leaving_nothing(port).await });
    }
    while let Some(result) = tasks.join_next().await {
        result.unwrap();
    }
    assert!(server.session_processes().is_empty());
    assert!(home.session_dirs().is_empty());
}

#[tokio::test]
async fn shutting_the_service_down_stops_its_sessions_and_exits_zero() {
    let home = TestHome::new();
    let mut server = fake_server(&home, "escape", &[]).await;
    for _ in 0..2 {
        server.client.start(None).await.unwrap();
    }
    let members = server.session_processes();
    assert!(members.len() >= 4, "{members:?}");
    let status = server.terminate(Duration::from_secs(10)).await.unwrap();
    assert!(status.success(), "{status:?}\n{}", server.log());
    assert!(members.iter().all(|p| !p.identity.is_alive()), "{members:?}");
    assert!(home.session_dirs().is_empty());
    assert!(!server.runtime_file_exists());
    server.final_counts().assert_stopped(&[("shutdown", 2)]);
}

#[tokio::test]
async fn a_session_whose_xpra_dies_is_torn_down_and_unlisted() {
    let home = TestHome::new();
    let server = fake_server(&home, "", &[]).await;
    let session = server.client.start(None).await.unwrap();
    let members = server.session_processes();
    let xpra = members.iter().find(|p| p.identity.pid as u32 == session.pid.unwrap()).unwrap();
    fl_sys::signal_process(&xpra.identity, fl_sys::Signal::SIGKILL).unwrap();
    let client = &server.client;
    eventually(Duration::from_secs(5), "the dead session to be unlisted", || async {
        client.list().await.unwrap().sessions.is_empty()
    })
    .await;
    assert!(members.iter().all(|p| !p.identity.is_alive()), "{members:?}");
    assert!(home.session_dirs().is_empty());
    server.counts().await.assert_stopped(&[("exited", 1)]);
}

/// `serve` is a child subreaper: a descendant that left both its session's process group and
/// its marker (here one that outlives its session on purpose, exiting when the test releases it
/// after the directory is gone) is re-parented to `serve`, which must reap it when it exits, not leave it a zombie.
/// Each stop also orphans the fake's own children (its "Firefox", and the intermediate that
/// forked the lingerer), reaped the same way: three orphans per session, counted in `/metrics`.
#[tokio::test]
async fn orphans_that_outlive_their_session_are_reaped_by_serve() {
    const SESSIONS: u64 = 10;
    let home = TestHome::new();
    let server = fake_server(&home, "linger", &[]).await;
    let lingerers_of = |prefix: String| {
        move || fl_sys::find_by_env(fl_sys::current_uid(), "FAKE_XPRA_LINGERER", |v| v.starts_with(prefix.as_bytes()))
    };
    let all_lingerers = lingerers_of(home.path().to_str().unwrap().to_owned());
    for _ in 0..SESSIONS {
        let session = server.client.start(None).await.unwrap();
        let mine = lingerers_of(session.dir.clone());
        wait_until(Duration::from_secs(5), "the session's lingerer to run without the marker", || !mine().is_empty()).await;
        server.stop_leaving_nothing(session.port).await;
        assert!(!mine().is_empty(), "the lingerer outlives its session");
        std::fs::write(home.path().join(format!("release-session-{}", session.port)), b"").unwrap();
    }
    wait_until(Duration::from_secs(10), "every lingerer to exit on its own", || all_lingerers().is_empty()).await;
    server.assert_no_zombies().await;
    let counts = server.counts().await;
    counts.assert_stopped(&[("user", SESSIONS)]);
    assert_eq!(counts.orphans_reaped, 3 * SESSIONS, "orphans reaped");
}

/// Files planted in `/tmp`, removed on drop even when the test fails.
/// What an X server of ours leaves when it is killed: a lock naming its (now dead) pid, and a
/// socket nobody accepts on. `lock_pid` names the pid written in the lock.
fn plant_x_files(display: u32, lock_pid: u32) {
    let unix = Path::new("/tmp/.X11-unix");
    if std::fs::create_dir(unix).is_ok() {
        std::fs::set_permissions(unix, std::fs::Permissions::from_mode(0o1777)).unwrap();
    }
    std::fs::write(x_lock(display), format!("{lock_pid:>10}\n")).unwrap();
    drop(std::os::unix::net::UnixListener::bind(x_socket(display)).unwrap());
}

/// Pids above the kernel's pid_max (32768 or at most 2^22) name no process.
const DEAD_PID: u32 = 99_999_999;

#[tokio::test]
async fn the_display_s_stale_x_files_are_removed_but_not_those_of_a_display_in_use() {
    let display = unused_display(6000);
    let _planted = Planted(vec![x_lock(display), x_socket(display)]);
    let exists = |p: PathBuf| p.symlink_metadata().is_ok();
    let home = TestHome::new();
    let mut server = fake_server_on(&home, display).await;

    // The session's X server is gone (the fake has none) and left its lock and socket: DELETE
    // removes both.
    let session = server.client.start(None).await.unwrap();
    assert_eq!(session.display, Some(format!(":{display}")), "the fake reports the display");
    plant_x_files(display, DEAD_PID);
    server.stop_leaving_nothing(session.port).await;
    assert!(!exists(x_lock(display)) && !exists(x_socket(display)), "stale X files of :{display} left");

    // The lock names a live process: the display is in use again, and nothing is removed.
    let session = server.client.start(None).await.unwrap();
    plant_x_files(display, std::process::id());
    server.stop_leaving_nothing(session.port).await;
    assert!(exists(x_lock(display)) && exists(x_socket(display)), "the X files of a display in use were removed");

    // Something accepts on the socket: nothing is removed, not even a stale lock.
    std::fs::remove_file(x_socket(display)).unwrap();
    let session = server.client.start(None).await.unwrap();
    std::fs::write(x_lock(display), format!("{DEAD_PID:>10}\n")).unwrap();
    let listening = std::os::unix::net::UnixListener::bind(x_socket(display)).unwrap();
    server.stop_leaving_nothing(session.port).await;
    assert!(exists(x_lock(display)) && exists(x_socket(display)), "the X files of a listening display were removed");
    drop(listening);
    std::fs::remove_file(x_socket(display)).unwrap();
    std::fs::remove_file(x_lock(display)).unwrap();

    // A killed service's session (its xpra followed it, by its parent-death signal) left stale
    // X files: the next serve's recovery removes them.
    let session = server.client.start(None).await.unwrap();
    let members = server.session_processes();
    server.signal_and_wait(fl_sys::Signal::SIGKILL, Duration::from_secs(5)).await;
    wait_until(Duration::from_secs(5), "the session to follow its killed service", || members.iter().all(|p| !p.identity.is_alive())).await;
    plant_x_files(display, DEAD_PID);
    let second = fake_server_on(&home, display).await;
    assert!(!home.session_dirs().contains(&format!("session-{}", session.port)), "{}", second.log());
    assert!(!exists(x_lock(display)) && !exists(x_socket(display)), "recovery left the stale X files of :{display}");
    second.counts().await.assert_stopped(&[("recovered", 1)]);
}

/// An Xpra outside 3.1–6.x is refused with a sentence that names it, before anything is started;
/// the same fake answering as 3.1 starts (control).
#[tokio::test]
async fn an_unsupported_xpra_is_refused_with_a_sentence() {
    let home = TestHome::new();
    let xpra = support::fake_xpra();
    let state = home.path().to_str().unwrap().to_owned();
    let args = ["--xpra", xpra.to_str().unwrap(), "--firefox", "/bin/true", "--no-window-check"];
    let server = Server::start(&home, &args, &[("FAKE_XPRA_VERSION", "v7.0.0"), ("FAKE_XPRA_STATE", &state)]).await;
    let response = server.client.request(Method::POST, "/api/sessions", &[], None).await.unwrap();
    let body = expect_error(&response, 500, "unsupported_xpra");
    assert!(body.error.contains("is xpra 7.0.0") && body.error.contains("3.1 to 6.x"), "{}", body.error);
    assert!(home.session_dirs().is_empty() && server.session_processes().is_empty());
    drop(server);

    let control_home = TestHome::new();
    let control = fake_server(&control_home, "", &[]).await;
    let session = control.client.start(None).await.unwrap();
    control.stop_leaving_nothing(session.port).await;
}
