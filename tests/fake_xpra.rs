//! Fault cases with a fake xpra (tests/fake-xpra): escaped grandchildren, SIGTERM ignored, an xpra
//! that dies at once or never becomes ready, a port taken under our feet, concurrent creates.

mod support;

use std::time::Duration;

use hyper::{Method, StatusCode};
use support::{TestHome, eventually, expect_error, fake_server, port_is_free, wait_until};

#[tokio::test]
async fn a_grandchild_that_left_the_group_is_stopped_too() {
    let home = TestHome::new();
    let server = fake_server(&home, "escape", &[]).await;
    let session = server.client.start(None).await.unwrap();
    let escaped = |pgid: i32| server.session_processes().into_iter().filter(move |p| p.identity.pid != p.pgid && p.pgid != pgid).collect::<Vec<_>>();
    let pgid = session.pgid.unwrap();
    wait_until(Duration::from_secs(5), "the grandchild to setsid", || !escaped(pgid).is_empty()).await;
    let outside = escaped(pgid);

    let summary = server.client.stop(session.port).await.unwrap();
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

    let summary = server.client.stop(session.port).await.unwrap();
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
}

#[tokio::test]
async fn a_start_that_never_gets_ready_times_out_with_504_and_leaves_nothing() {
    let home = TestHome::new();
    let server = fake_server(&home, "never-ready", &["--ready-timeout", "1"]).await;
    let response = server.client.request(Method::POST, "/api/sessions", &[], None).await.unwrap();
    expect_error(&response, 504, "start_timeout");
    assert!(server.session_processes().is_empty());
    assert!(home.session_dirs().is_empty());
}

#[tokio::test]
async fn a_port_taken_before_xpra_binds_it_is_retried_on_another() {
    let home = TestHome::new();
    let server = fake_server(&home, "port-taken-once", &[]).await;
    let session = server.client.start(None).await.unwrap();
    assert!(home.path().join("failed-once").exists(), "the first attempt must have failed");
    assert_eq!(home.session_dirs(), vec![format!("session-{}", session.port)]);
    server.client.stop(session.port).await.unwrap();
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
    let summary = server.client.stop(port.unwrap()).await.unwrap();
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
        let client = server.client.clone();
        tasks.spawn(async move { client.stop(port).await });
    }
    while let Some(result) = tasks.join_next().await {
        result.unwrap().unwrap();
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
}
