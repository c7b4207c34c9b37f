//! Who can reach a session: only its owner. A second local user is created for the test (it runs
//! as root, as CI does), and tries every listener of a running real session and the API, and the
//! files. The test's own directories are open to it, so that only the product's 0700 directories
//! and its secrets can stop it; every probe it fails has a control that succeeds (the owner's
//! same probe, or the stranger's with the secret), so a refusal is the product's.
//! Symlinks planted in and around session directories must never redirect a write or a delete.

mod support;

use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::Command;

use support::{Server, TestHome, fake_xpra};

const STRANGER: &str = "fl-test-stranger";

/// A second, unprivileged local user; created when missing and then removed on drop.
struct Stranger {
    uid: u32,
    gid: u32,
    created: bool,
}

impl Stranger {
    fn new() -> Self {
        let id = |flag: &str| -> Option<u32> {
            let out = Command::new("id").args([flag, STRANGER]).output().ok().filter(|o| o.status.success())?;
            String::from_utf8(out.stdout).ok()?.trim().parse().ok()
        };
        let mut created = false;
        if id("-u").is_none() {
            let status = Command::new("useradd").args(["--system", "--no-create-home", "--shell", "/usr/sbin/nologin", STRANGER]).status();
            created = status.is_ok_and(|s| s.success());
            assert!(created || id("-u").is_some(), "cannot create user {STRANGER}");
        }
        Self { uid: id("-u").unwrap(), gid: id("-g").unwrap(), created }
    }

    /// Runs `program args` as the stranger; returns (success, stdout + stderr).
    fn run(&self, program: &str, args: &[&str]) -> (bool, String) {
        run(Command::new(program).args(args).uid(self.uid).gid(self.gid))
    }

    /// `curl`'s HTTP status for `url`, with `Authorization: token <token>` when given.
    fn curl(&self, url: &str, token: Option<&str>) -> String {
        let header = token.map(|t| format!("Authorization: token {t}"));
        let mut args = vec!["-s", "-o", "/dev/null", "-w", "%{http_code}", url];
        if let Some(header) = &header {
            args.extend(["-H", header]);
        }
        self.run("curl", &args).1
    }
}

impl Drop for Stranger {
    fn drop(&mut self) {
        // Every command it ran has exited (they all run to completion), so nothing holds the user.
        if self.created {
            let _ = Command::new("userdel").arg(STRANGER).status();
        }
    }
}

/// The same probe as the owner (the test's user).
fn as_owner(program: &str, args: &[&str]) -> (bool, String) {
    run(Command::new(program).args(args))
}

fn run(command: &mut Command) -> (bool, String) {
    let output = command.env("HOME", "/tmp").current_dir("/").output().unwrap();
    (output.status.success(), format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr)))
}

/// `xpra info` on `target` as the stranger (or the owner), with the secret in `password_file`.
fn xpra_info(stranger: Option<&Stranger>, target: &str, password_file: Option<&Path>) -> (bool, String) {
    let conf = tempfile::tempdir().unwrap();
    std::fs::set_permissions(conf.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let mut command = Command::new("/usr/bin/xpra");
    command.arg("info").arg(target).env("XPRA_SYSTEM_CONF_DIRS", conf.path()).env("XPRA_USER_CONF_DIRS", conf.path());
    if let Some(file) = password_file {
        command.arg(format!("--password-file={}", file.display()));
    }
    if let Some(stranger) = stranger {
        command.uid(stranger.uid).gid(stranger.gid);
    }
    let (ok, text) = run(&mut command);
    (ok && text.contains("windows."), text)
}

fn open_to_all(dir: &Path) {
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o755)).unwrap();
}

#[tokio::test]
async fn no_other_user_can_reach_a_session_or_the_api() {
    if fl_sys::current_uid() != 0 {
        panic!("this test creates a second local user and must run as root (CI does)");
    }
    let stranger = Stranger::new();
    let home = TestHome::new();
    open_to_all(home.path());
    let server = Server::start(&home, &[], &[]).await;
    let session = server.client.start(None).await.unwrap();
    let dir = Path::new(&session.dir);
    let token = server.client.token().unwrap();

    // The API on TCP and the session's page: no token, no answer. Control: the stranger with the
    // token gets one, so it reaches the port and only the token decides.
    for path in ["api/sessions", session.path.as_str()] {
        let url = format!("{}/{path}", server.address);
        assert_eq!(stranger.curl(&url, None), "401", "{url}");
        assert_eq!(stranger.curl(&url, Some(token)), "200", "{url} with the token");
    }

    // The session's port answers nobody: no process of a session listens on TCP. Control: the
    // stranger's same probe reaches a listener the test opens on loopback.
    let control = std::net::TcpListener::bind(("127.0.0.1", 0)).unwrap();
    let probe = |port: u16| stranger.run("curl", &["-s", "-o", "/dev/null", "-w", "%{http_code}", &format!("http://127.0.0.1:{port}/Info")]);
    std::thread::scope(|scope| {
        scope.spawn(|| {
            use std::io::{Read, Write};
            let (mut conn, _) = control.accept().unwrap();
            let mut request = [0u8; 1024];
            let _ = conn.read(&mut request);
            let _ = conn.write_all(b"HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n");
        });
        assert_eq!(probe(control.local_addr().unwrap().port()).1, "204", "control: the stranger cannot reach a loopback listener");
    });
    let (ok, code) = probe(session.port);
    assert!(!ok && code == "000", "the session's port {} answered the stranger: {code}", session.port);

    // Files: the stranger walks up to the service's home (the test's directory is open)...
    let (ok, out) = stranger.run("ls", &[home.path().to_str().unwrap()]);
    assert!(ok && out.lines().any(|l| l == "fl"), "control: the stranger cannot list the test home: {out}");
    // ...and the product's private directories stop it, not the test's: every probe that fails
    // as the stranger succeeds as the owner.
    let runtime = fl_api::RuntimeFile::path(&home.home());
    let probes = [
        ("ls", home.home()),
        ("ls", home.sessions()),
        ("ls", dir.to_owned()),
        ("cat", runtime.clone()),
        ("cat", dir.join("Xauthority")),
        ("cat", dir.join("record.json")),
        ("cat", dir.join("xpra.log")),
    ];
    for (program, path) in &probes {
        let path = path.to_str().unwrap();
        let (ok, out) = stranger.run(program, &[path]);
        assert!(!ok && out.contains("Permission denied"), "the stranger could {program} {path}: {out}");
        let (ok, out) = as_owner(program, &[path]);
        assert!(ok, "control: the owner could not {program} {path}: {out}");
    }
    let socket = format!("socket://{}", dir.join("sock/xpra.sock").display());
    let (ok, out) = xpra_info(Some(&stranger), &socket, None);
    assert!(!ok, "a stranger attached over the unix socket: {out}");
    let (ok, out) = xpra_info(None, &socket, None);
    assert!(ok, "control: the owner could not attach over the unix socket: {out}");
    for private in [home.home(), home.sessions(), dir.to_owned()] {
        let mode = std::fs::metadata(&private).unwrap().permissions().mode();
        assert_eq!(mode & 0o077, 0, "{} is not private", private.display());
    }
    // The runtime file holds the token: owner only.
    assert_eq!(std::fs::metadata(&runtime).unwrap().permissions().mode() & 0o777, 0o600);
    server.client.stop(session.port).await.unwrap();
    assert!(!server.log().contains(token), "the token reached the log");

    // Behind jupyter-server-proxy the API is a unix socket: owner-only, even in a directory
    // anyone may enter.
    let open_dir = tempfile::Builder::new().prefix("fl-test-sock-").tempdir().unwrap();
    open_to_all(open_dir.path());
    let socket = open_dir.path().join("api.sock");
    let home2 = TestHome::new();
    let unix = Server::start(&home2, &["--unix-socket", socket.to_str().unwrap()], &[]).await;
    let health = ["-s", "--unix-socket", socket.to_str().unwrap(), "http://localhost/api/health"];
    let (ok, out) = stranger.run("ls", &[open_dir.path().to_str().unwrap()]);
    assert!(ok && out.contains("api.sock"), "control: the stranger cannot see the socket: {out}");
    let (ok, out) = stranger.run("curl", &health);
    assert!(!ok && !out.contains("\"status\""), "a stranger reached the API socket: {out}");
    let (ok, out) = as_owner("curl", &health);
    assert!(ok && out.contains("\"status\""), "control: the owner cannot reach the API socket: {out}");
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
        options: Default::default(),
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
