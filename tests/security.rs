//! Who can reach a session: only its owner. A second local user is created for the test (it runs
//! as root, as CI does), and tries every listener of a running real session and the API.
//! Symlinks planted in and around session directories must never redirect a write or a delete.

mod support;

use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::Command;

use support::{Server, TestHome, fake_xpra};

const STRANGER: &str = "fl-test-stranger";

/// The uid of a second, unprivileged local user, created when missing.
fn stranger_uid() -> u32 {
    let lookup = || Command::new("id").args(["-u", STRANGER]).output().ok().filter(|o| o.status.success());
    if lookup().is_none() {
        let status = Command::new("useradd").args(["--system", "--no-create-home", "--shell", "/usr/sbin/nologin", STRANGER]).status();
        assert!(status.is_ok_and(|s| s.success()) || lookup().is_some(), "cannot create user {STRANGER}");
    }
    String::from_utf8(lookup().unwrap().stdout).unwrap().trim().parse().unwrap()
}

/// Runs `program args` as the stranger; returns (success, stdout + stderr).
fn as_stranger(uid: u32, program: &str, args: &[&str]) -> (bool, String) {
    let output = Command::new(program).args(args).uid(uid).gid(uid).env("HOME", "/tmp").current_dir("/").output().unwrap();
    (output.status.success(), format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr)))
}

fn xpra_info(uid: Option<u32>, target: &str, password_file: Option<&Path>) -> (bool, String) {
    let conf = tempfile::tempdir().unwrap();
    std::fs::set_permissions(conf.path(), std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    let mut command = Command::new("/usr/bin/xpra");
    command.arg("info").arg(target).env("XPRA_SYSTEM_CONF_DIRS", conf.path()).env("XPRA_USER_CONF_DIRS", conf.path()).env("HOME", "/tmp");
    if let Some(file) = password_file {
        command.arg(format!("--password-file={}", file.display()));
    }
    if let Some(uid) = uid {
        command.uid(uid).gid(uid);
    }
    let output = command.output().unwrap();
    let text = format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr));
    (output.status.success() && text.contains("windows."), text)
}

#[tokio::test]
async fn no_other_user_can_reach_a_session_or_the_api() {
    if fl_sys::current_uid() != 0 {
        panic!("this test creates a second local user and must run as root (CI does)");
    }
    let uid = stranger_uid();
    let home = TestHome::new();
    let server = Server::start(&home, &[], &[]).await;
    let session = server.client.start(None).await.unwrap();
    let dir = Path::new(&session.dir);
    let api = server.address.clone();

    // The API on TCP: no token, no answer.
    let (_, out) = as_stranger(uid, "curl", &["-s", "-o", "/dev/null", "-w", "%{http_code}", &format!("{api}/api/sessions")]);
    assert_eq!(out, "401");
    let (_, out) = as_stranger(uid, "curl", &["-s", "-o", "/dev/null", "-w", "%{http_code}", &format!("{api}/{}", session.path)]);
    assert_eq!(out, "401");

    // Xpra's TCP listener demands the session's secret, from anyone, the owner included.
    let tcp = format!("tcp://127.0.0.1:{}/", session.port);
    let (ok, out) = xpra_info(Some(uid), &tcp, None);
    assert!(!ok, "a stranger attached over TCP: {out}");
    let (ok, out) = xpra_info(None, &tcp, None);
    assert!(!ok, "TCP without the password attached: {out}");
    let (ok, out) = xpra_info(None, &tcp, Some(&dir.join("tcp-password")));
    assert!(ok, "the owner with the session's secret could not attach: {out}");

    // The unix socket and the secret sit in a 0700 directory the stranger cannot enter.
    let socket = dir.join("sock/xpra.sock");
    let (ok, out) = xpra_info(Some(uid), &format!("socket://{}", socket.display()), None);
    assert!(!ok, "a stranger attached over the unix socket: {out}");
    let (ok, _) = as_stranger(uid, "cat", &[dir.join("tcp-password").to_str().unwrap()]);
    assert!(!ok, "a stranger read the session secret");
    for private in [home.home(), home.sessions(), dir.to_owned()] {
        let mode = std::fs::metadata(&private).unwrap().permissions();
        assert_eq!(std::os::unix::fs::PermissionsExt::mode(&mode) & 0o077, 0, "{} is not private", private.display());
    }
    // The runtime file holds the token: owner only.
    let runtime = std::fs::metadata(fl_api::RuntimeFile::path(&home.home())).unwrap();
    assert_eq!(std::os::unix::fs::PermissionsExt::mode(&runtime.permissions()) & 0o777, 0o600);
    server.client.stop(session.port).await.unwrap();
    assert!(!server.log().contains(server.client.token().unwrap()), "the token reached the log");

    // Behind jupyter-server-proxy the API is a unix socket: 0600, even in a directory anyone
    // may enter.
    let open_dir = tempfile::Builder::new().prefix("fl-test-sock-").tempdir().unwrap();
    std::fs::set_permissions(open_dir.path(), std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    let socket = open_dir.path().join("api.sock");
    let home2 = TestHome::new();
    let unix = Server::start(&home2, &["--unix-socket", socket.to_str().unwrap()], &[]).await;
    let (ok, out) = as_stranger(uid, "curl", &["-s", "--unix-socket", socket.to_str().unwrap(), "http://localhost/api/health"]);
    assert!(!ok && !out.contains("\"status\""), "a stranger reached the API socket: {out}");
    assert!(unix.client.list().await.is_ok(), "the owner reaches it");
}

/// A record recovery must act on: this host, this boot, our uid, a dead owning `serve`, and an
/// Xpra and Xvfb long gone (pids that cannot exist, with made-up start times).
fn plant_valid_record(dir: &Path, port: u16) {
    let dead = |pid| fl_session::ProcRecord { pid, start_time: 1 };
    let record = fl_session::SessionRecord {
        port,
        url: "about:blank".into(),
        created_at: "2026-11-25T00:00:00Z".into(),
        marker: format!("planted-{port}"),
        uid: fl_sys::current_uid(),
        hostname: fl_sys::hostname(),
        boot_id: fl_sys::boot_id().unwrap(),
        server: dead(i32::MAX - 1),
        xpra: Some(dead(i32::MAX - 2)),
        xvfb: Some(dead(i32::MAX - 3)),
        display: None,
        pooled: false,
    };
    record.write(dir).unwrap();
}

#[tokio::test]
async fn symlinks_planted_in_or_as_session_directories_redirect_nothing() {
    let home = TestHome::new();
    let victim = home.path().join("victim");
    std::fs::create_dir(&victim).unwrap();
    std::fs::write(victim.join("precious"), "keep").unwrap();
    // A "session directory" that is a symlink to the victim, whose valid record of a dead session
    // lures recovery into cleaning up.
    std::fs::create_dir_all(home.sessions()).unwrap();
    plant_valid_record(&victim, 40003);
    std::os::unix::fs::symlink(&victim, home.sessions().join("session-40003")).unwrap();
    // Control: the same kind of record in a real directory is cleaned up.
    let real = home.sessions().join("session-40004");
    std::fs::create_dir(&real).unwrap();
    std::fs::write(real.join("canary"), "goes").unwrap();
    plant_valid_record(&real, 40004);

    let xpra = fake_xpra();
    let server = Server::start(&home, &["--xpra", xpra.to_str().unwrap(), "--firefox", "/bin/true", "--no-window-check"], &[]).await;
    // Recovery is done before the runtime file is written (Server::start waits for it).
    assert!(!real.exists(), "recovery left a dead session's directory:\n{}", server.log());
    // The symlink is an entry of sessions/ like any other: it goes, and nothing behind it does.
    assert!(std::fs::symlink_metadata(home.sessions().join("session-40003")).is_err(), "the symlink was left:\n{}", server.log());
    let mut left: Vec<String> = std::fs::read_dir(&victim).unwrap().map(|e| e.unwrap().file_name().into_string().unwrap()).collect();
    left.sort();
    assert_eq!(left, ["precious", "record.json"], "recovery reached through the symlink:\n{}", server.log());
    assert_eq!(std::fs::read_to_string(victim.join("precious")).unwrap(), "keep");

    let session = server.client.start(None).await.unwrap();
    // A symlink planted inside a running session's directory, and one replacing its profile.
    let dir = Path::new(&session.dir);
    std::os::unix::fs::symlink(&victim, dir.join("evil")).unwrap();
    std::fs::remove_dir_all(dir.join("profile")).unwrap();
    std::os::unix::fs::symlink(&victim, dir.join("profile")).unwrap();
    server.client.stop(session.port).await.unwrap();

    assert!(!dir.exists());
    assert_eq!(std::fs::read_to_string(victim.join("precious")).unwrap(), "keep");
    assert!(victim.join("record.json").exists());
}
