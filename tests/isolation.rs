//! What a session gets from the service, and what other local users can do to it.
//!
//! - No secret in `serve`'s environment reaches any process of a session (real xpra, Xvfb and
//!   Firefox). The processes are found without the product's own marker: from xpra's pid, by
//!   parent, process group and session, and Xvfb through its X lock.
//! - Another local user can create `/tmp/.X<N>-lock` and `/tmp/.X11-unix/X<N>` for a session's
//!   display. A FIFO, a symlink or a file of someone else there must not hang `DELETE`, shutdown
//!   or restart (recovery), and is neither followed nor removed. These use the fake xpra, made to
//!   report display N as Xvfb would, and the files are planted after the session started, as if
//!   its Xvfb had gone. (Realistic: Xvfb started with `-displayfd`, as ours are, writes no lock, so
//!   that name is free to anyone at any time; the socket's name once Xvfb has exited.)

mod support;

use std::collections::{BTreeMap, BTreeSet};
use std::os::unix::fs::{FileTypeExt, MetadataExt, PermissionsExt};
use std::path::Path;
use std::time::{Duration, Instant};

use fl_api::SessionView;
use support::{Planted, Server, TestHome, fake_server_on, unused_display, x_lock, x_socket};

// ---------------------------------------------------------------------------------------------
// The environment (real xpra + Firefox)

/// What `serve` gets that no session may: (name, value).
const SECRETS: &[(&str, &str)] = &[
    ("FIREFOX_LAUNCHER_TOKEN", "isolation-test-token"),
    ("JUPYTERHUB_API_TOKEN", "x"),
    ("JPY_API_TOKEN", "x"),
    ("MY_SECRET", "x"),
    ("SOME_PASSWORD", "x"),
    ("AWS_ACCESS_KEY_ID", "x"),
];

/// The test's own reading of the rule, independent of the product's code.
fn looks_secret(name: &str) -> bool {
    let upper = name.to_ascii_uppercase();
    ["FIREFOX_LAUNCHER_", "JUPYTERHUB_", "JPY_"].iter().any(|p| upper.starts_with(p))
        || ["TOKEN", "SECRET", "PASSWORD", "KEY", "CREDENTIAL"].iter().any(|w| upper.contains(w))
}

/// One process, read from `/proc/PID/stat` here rather than through the product's code.
#[derive(Debug, Clone)]
struct Proc {
    pid: i32,
    ppid: i32,
    pgid: i32,
    sid: i32,
    comm: String,
}

fn read_stat(pid: i32) -> Option<Proc> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let (open, close) = (stat.find('(')?, stat.rfind(')')?);
    let comm = stat[open + 1..close].to_owned();
    // After the comm: state ppid pgrp session ...
    let fields: Vec<&str> = stat[close + 2..].split(' ').collect();
    let field = |i: usize| fields.get(i)?.parse().ok();
    Some(Proc { pid, ppid: field(1)?, pgid: field(2)?, sid: field(3)?, comm })
}

fn all_processes() -> Vec<Proc> {
    std::fs::read_dir("/proc")
        .unwrap()
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse().ok())
        .filter_map(read_stat)
        .collect()
}

fn environ(pid: i32) -> Option<BTreeMap<String, String>> {
    let raw = std::fs::read(format!("/proc/{pid}/environ")).ok()?;
    Some(
        raw.split(|b| *b == 0)
            .filter_map(|kv| {
                let text = String::from_utf8_lossy(kv);
                let (k, v) = text.split_once('=')?;
                Some((k.to_owned(), v.to_owned()))
            })
            .collect(),
    )
}

/// The pid in `/tmp/.X<display>-lock`, which Xvfb writes when started on a fixed display (with
/// `-displayfd`, as ours are, it writes none).
fn xvfb_pid_from_lock(display: u32) -> Option<i32> {
    std::fs::read_to_string(format!("/tmp/.X{display}-lock")).ok()?.trim().parse().ok()
}

/// The processes holding a listening socket of `/tmp/.X11-unix/X<display>` (path or abstract):
/// the display's X server, whoever started it.
fn x_server_pids(display: u32) -> Vec<i32> {
    let unix = std::fs::read_to_string("/proc/net/unix").unwrap();
    let names = [format!("/tmp/.X11-unix/X{display}"), format!("@/tmp/.X11-unix/X{display}")];
    // Num RefCount Protocol Flags Type St Inode Path; flags 00010000 = listening.
    let inodes: BTreeSet<String> = unix
        .lines()
        .map(|l| l.split_whitespace().collect::<Vec<_>>())
        .filter(|f| f.len() == 8 && f[3] == "00010000" && names.iter().any(|n| n == f[7]))
        .map(|f| format!("socket:[{}]", f[6]))
        .collect();
    all_processes()
        .into_iter()
        .filter(|p| {
            std::fs::read_dir(format!("/proc/{}/fd", p.pid)).is_ok_and(|fds| {
                fds.filter_map(Result::ok).any(|fd| std::fs::read_link(fd.path()).is_ok_and(|l| inodes.contains(l.to_str().unwrap_or(""))))
            })
        })
        .map(|p| p.pid)
        .collect()
}

/// Every process of the session, without its marker: xpra and the display's X server (found by
/// its listening socket, or its lock), then (to a fixpoint) their descendants, every member of a process group or session one of
/// them leads, and orphans reparented to `serve` (it is a child subreaper). Process groups and
/// sessions are followed only when a member leads them: xpra's own session is the one `serve`
/// and the test runner share.
fn session_processes(serve: i32, xpra: i32, display: u32) -> Vec<Proc> {
    let all = all_processes();
    let x_server = x_server_pids(display).into_iter().chain(xvfb_pid_from_lock(display));
    let mut found: BTreeSet<i32> = [xpra].into_iter().chain(x_server).collect();
    loop {
        let before = found.len();
        for p in all.iter().filter(|p| p.pid != serve) {
            let related = found.contains(&p.ppid) || p.ppid == serve || found.contains(&p.pgid) || found.contains(&p.sid);
            if related {
                found.insert(p.pid);
            }
        }
        if found.len() == before {
            break;
        }
    }
    all.into_iter().filter(|p| found.contains(&p.pid)).collect()
}

fn display_of(session: &SessionView) -> u32 {
    session.display.as_deref().expect("a display").trim_start_matches(':').parse().unwrap()
}

#[tokio::test]
async fn no_secret_of_the_service_reaches_any_process_of_a_session() {
    let home = TestHome::new();
    let mut env = SECRETS.to_vec();
    env.extend([("TZ", "Europe/Berlin"), ("FOO_PASSTHROUGH", "1")]);
    // Asking for a secret by name does not pass it either.
    let server = Server::start(&home, &["--pass-env", "FOO_PASSTHROUGH", "--pass-env", "MY_SECRET"], &env).await;
    let session = server.client.start(None).await.unwrap();
    let xpra = session.pid.unwrap() as i32;
    let display = display_of(&session);
    let procs = session_processes(server.pid() as i32, xpra, display);

    let has = |f: &dyn Fn(&Proc) -> bool| procs.iter().any(f);
    assert!(has(&|p| p.pid == xpra && p.comm.contains("xpra")), "no xpra: {procs:?}");
    let x_server = x_server_pids(display);
    assert!(has(&|p| p.comm == "Xvfb" && x_server.contains(&p.pid)), "no Xvfb serving :{display} ({x_server:?}): {procs:?}");
    assert!(has(&|p| p.comm.starts_with("firefox")), "no firefox: {procs:?}");

    let mut leaks = Vec::new();
    let mut read = 0;
    for p in &procs {
        let Some(env) = environ(p.pid) else { continue };
        read += 1;
        leaks.extend(env.keys().filter(|k| looks_secret(k)).map(|k| format!("{} ({}): {k}", p.comm, p.pid)));
    }
    assert!(read >= 3, "read the environment of too few processes: {procs:?}");
    assert!(leaks.is_empty(), "secrets reached the session: {leaks:#?}");

    // The positive control: what is allowed, or passed on purpose, does arrive.
    let firefox = procs.iter().find(|p| p.comm.starts_with("firefox") && p.ppid == xpra).expect("firefox, xpra's child");
    let firefox_env = environ(firefox.pid).unwrap();
    assert_eq!(firefox_env.get("TZ").map(String::as_str), Some("Europe/Berlin"), "{firefox_env:?}");
    assert_eq!(firefox_env.get("FOO_PASSTHROUGH").map(String::as_str), Some("1"), "{firefox_env:?}");
    assert!(firefox_env.contains_key("PATH") && firefox_env.contains_key(support::MARKER_ENV));
    assert!(server.log().contains("--pass-env MY_SECRET: refused"), "{}", server.log());

    server.client.stop(session.port).await.unwrap();
}

// ---------------------------------------------------------------------------------------------
// Files planted at the display's X lock and socket (fake xpra)

const BOUND: Duration = Duration::from_secs(10);

/// Files the test planted in `/tmp`, removed on drop even when the test fails.
/// `/tmp/.X11-unix` as Xvfb creates it (1777), if it does not exist yet.
fn ensure_x11_unix_dir() {
    let dir = Path::new("/tmp/.X11-unix");
    if std::fs::create_dir(dir).is_ok() {
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o1777)).unwrap();
    }
}

fn mkfifo(path: &Path) {
    let status = std::process::Command::new("mkfifo").arg(path).status().unwrap();
    assert!(status.success(), "mkfifo {}", path.display());
}

/// What a path is, without following it.
fn kind(path: &Path) -> &'static str {
    match path.symlink_metadata() {
        Err(_) => "missing",
        Ok(m) if m.file_type().is_symlink() => "symlink",
        Ok(m) if m.file_type().is_fifo() => "fifo",
        Ok(m) if m.file_type().is_file() => "file",
        Ok(_) => "other",
    }
}

/// Starts a session and checks it has `display`.
async fn session_on(server: &Server, display: u32) -> SessionView {
    let session = server.client.start(None).await.unwrap();
    assert_eq!(session.display, Some(format!(":{display}")), "the fake reports the display");
    session
}

#[tokio::test]
async fn a_fifo_and_a_symlink_at_the_display_do_not_hang_delete_and_are_left_alone() {
    let display = unused_display(3000);
    ensure_x11_unix_dir();
    let mut planted = Planted::default();
    let home = TestHome::new();
    let server = fake_server_on(&home, display).await;
    let session = session_on(&server, display).await;

    // Xvfb is gone (the fake has none); another user takes over its names.
    let victim = home.path().join("victim");
    std::fs::write(&victim, "  99999999\n").unwrap();
    planted.0.extend([x_lock(display), x_socket(display)]);
    mkfifo(&x_lock(display));
    std::os::unix::fs::symlink(&victim, x_socket(display)).unwrap();

    let started = Instant::now();
    let summary = tokio::time::timeout(BOUND, server.client.stop(session.port)).await.expect("DELETE hung").unwrap();
    assert!(started.elapsed() < Duration::from_secs(5), "DELETE took {:?}", started.elapsed());
    assert_eq!(summary.signal, "SIGTERM");
    assert_eq!((kind(&x_lock(display)), kind(&x_socket(display))), ("fifo", "symlink"));
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "  99999999\n");
    assert!(home.session_dirs().is_empty());
    let log = server.log();
    assert!(log.contains(&format!("refusing to use {}: it is a FIFO", x_lock(display).display())), "{log}");
}

#[tokio::test]
async fn a_symlink_to_a_fifo_and_a_fifo_at_the_display_do_not_hang_shutdown() {
    let display = unused_display(3000);
    ensure_x11_unix_dir();
    let mut planted = Planted::default();
    let home = TestHome::new();
    let mut server = fake_server_on(&home, display).await;
    session_on(&server, display).await;

    // Following the lock's link would block on the FIFO behind it.
    let trap = home.path().join("trap");
    mkfifo(&trap);
    planted.0.extend([x_lock(display), x_socket(display)]);
    std::os::unix::fs::symlink(&trap, x_lock(display)).unwrap();
    mkfifo(&x_socket(display));

    let status = server.terminate(BOUND).await.expect("serve exits");
    assert!(status.success(), "{status:?}\n{}", server.log());
    assert_eq!((kind(&x_lock(display)), kind(&x_socket(display))), ("symlink", "fifo"));
    assert_eq!(kind(&trap), "fifo");
    assert!(home.session_dirs().is_empty());
}

#[tokio::test]
async fn files_of_another_user_at_the_display_do_not_hang_a_restart_and_are_not_removed() {
    let display = unused_display(3000);
    ensure_x11_unix_dir();
    let mut planted = Planted::default();
    let home = TestHome::new();
    let mut first = fake_server_on(&home, display).await;
    let session = session_on(&first, display).await;
    first.expect_survivors();
    first.signal_and_wait(fl_sys::Signal::SIGKILL, Duration::from_secs(5)).await;

    // A lock naming no live process, as a dead Xvfb's would, but not ours (when we can give a
    // file away); a symlink to a FIFO where the socket was.
    planted.0.extend([x_lock(display), x_socket(display)]);
    std::fs::write(x_lock(display), "  99999999\n").unwrap();
    let foreign = fl_sys::current_uid() == 0;
    if foreign {
        let status = std::process::Command::new("chown").arg("65534").arg(x_lock(display)).status().unwrap();
        assert!(status.success());
    }
    let trap = home.path().join("trap");
    mkfifo(&trap);
    std::os::unix::fs::symlink(&trap, x_socket(display)).unwrap();

    let started = Instant::now();
    let second = fake_server_on(&home, display).await;
    assert!(started.elapsed() < BOUND, "restart took {:?}", started.elapsed());
    assert!(second.client.list().await.unwrap().sessions.is_empty());
    assert!(!home.session_dirs().contains(&format!("session-{}", session.port)), "recovery left the directory");
    assert_eq!(kind(&x_socket(display)), "symlink");
    if foreign {
        assert_eq!(kind(&x_lock(display)), "file", "another user's lock was removed");
        assert_eq!(x_lock(display).metadata().unwrap().uid(), 65534);
    }
    assert!(second.log().contains("recovery"), "{}", second.log());
}
