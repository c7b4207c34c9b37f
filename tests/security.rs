//! Who can reach a session: only its owner. A second local user is created for the test (it runs
//! as root, as CI does), and tries every listener of a running real session and the API, and the
//! files. The test's own directories are open to it, so that only the product's 0700 directories
//! and its secrets can stop it; every probe it fails has a control that succeeds (the owner's
//! same probe, or the stranger's with the secret), so a refusal is the product's.
//! Symlinks planted in and around session directories must never redirect a write or a delete.

mod support;

use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
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

/// The second user, and a test home it may enter (so only the product's own modes stop it).
fn stranger_and_open_home() -> (Stranger, TestHome) {
    assert_eq!(fl_sys::current_uid(), 0, "this test creates a second local user and must run as root (CI does)");
    let stranger = Stranger::new();
    let home = TestHome::new();
    open_to_all(home.path());
    (stranger, home)
}

#[tokio::test]
async fn no_other_user_can_reach_a_session_or_the_api() {
    let (stranger, home) = stranger_and_open_home();
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

/// A probe script of the stranger's (`tests/stranger-*`), embedded so its directory need not be
/// open to the stranger; stdin and stdout piped, killed on drop.
fn stranger_script(stranger: &Stranger, script: &str, args: &[&str]) -> StrangerScript {
    let mut child = tokio::process::Command::new("/usr/bin/python3")
        .arg("-c")
        .arg(script)
        .args(args)
        .uid(stranger.uid)
        .gid(stranger.gid)
        .env_clear()
        .env("PATH", "/usr/bin:/bin")
        .current_dir("/")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("running a probe as the stranger");
    let stdout = tokio::io::BufReader::new(child.stdout.take().unwrap());
    StrangerScript { stdin: child.stdin.take(), lines: tokio::io::AsyncBufReadExt::lines(stdout), child }
}

struct StrangerScript {
    child: tokio::process::Child,
    stdin: Option<tokio::process::ChildStdin>,
    lines: tokio::io::Lines<tokio::io::BufReader<tokio::process::ChildStdout>>,
}

impl StrangerScript {
    async fn send(&mut self, line: &str) {
        use tokio::io::AsyncWriteExt;
        self.stdin.as_mut().unwrap().write_all(format!("{line}\n").as_bytes()).await.unwrap();
    }

    async fn line(&mut self) -> String {
        let next = tokio::time::timeout(std::time::Duration::from_secs(120), self.lines.next_line()).await;
        next.expect("the stranger's probe said nothing for 2 minutes").unwrap().expect("the stranger's probe ended early")
    }

    /// Closes its stdin (its signal to finish) and returns its last line.
    async fn finish(mut self) -> String {
        self.stdin = None;
        let last = self.line().await;
        let _ = self.child.wait().await;
        last
    }
}

/// The first byte of the X server's answer to a connection setup on `:display` (1 is Success),
/// with `cookie` as MIT-MAGIC-COOKIE-1 or with no authorization at all.
fn x_setup(display: u32, cookie: Option<&[u8]>) -> u8 {
    use std::io::{Read, Write};
    let mut stream = std::os::unix::net::UnixStream::connect(format!("/tmp/.X11-unix/X{display}")).unwrap();
    let (name, data): (&[u8], &[u8]) = cookie.map_or((b"", b""), |c| (b"MIT-MAGIC-COOKIE-1", c));
    let pad = |b: &[u8]| [b, &vec![0u8; (4 - b.len() % 4) % 4]].concat();
    let mut setup = vec![b'l', 0, 11, 0, 0, 0];
    setup.extend_from_slice(&(name.len() as u16).to_le_bytes());
    setup.extend_from_slice(&(data.len() as u16).to_le_bytes());
    setup.extend_from_slice(&[0, 0]);
    setup.extend(pad(name));
    setup.extend(pad(data));
    stream.write_all(&setup).unwrap();
    let mut status = [0u8; 1];
    stream.read_exact(&mut status).unwrap();
    status[0]
}

/// The first MIT-MAGIC-COOKIE-1 of an X authority file, as libXau picks for any display.
fn first_cookie(xauthority: &Path) -> Vec<u8> {
    let data = std::fs::read(xauthority).unwrap();
    let mut rest = &data[2..];
    let mut fields = Vec::new();
    for _ in 0..4 {
        let len = usize::from(u16::from_be_bytes([rest[0], rest[1]]));
        fields.push(rest[2..2 + len].to_vec());
        rest = &rest[2 + len..];
    }
    assert_eq!(fields[2], b"MIT-MAGIC-COOKIE-1");
    fields.pop().unwrap()
}

/// TCP ports that `procs` listen on, from their socket inodes and /proc/net/tcp{,6}.
fn listening_ports(procs: &[fl_sys::ProcessInfo]) -> Vec<u16> {
    let mut inodes = std::collections::HashSet::new();
    for p in procs {
        for fd in std::fs::read_dir(format!("/proc/{}/fd", p.identity.pid)).into_iter().flatten().flatten() {
            let link = std::fs::read_link(fd.path()).map(|l| l.display().to_string()).unwrap_or_default();
            if let Some(inode) = link.strip_prefix("socket:[").and_then(|l| l.strip_suffix(']')) {
                inodes.insert(inode.to_owned());
            }
        }
    }
    let mut ports = Vec::new();
    for table in ["/proc/net/tcp", "/proc/net/tcp6"] {
        for line in std::fs::read_to_string(table).unwrap_or_default().lines().skip(1) {
            let f: Vec<&str> = line.split_whitespace().collect();
            if f.len() > 9 && f[3] == "0A" && inodes.contains(f[9]) {
                ports.push(u16::from_str_radix(f[1].rsplit(':').next().unwrap(), 16).unwrap());
            }
        }
    }
    ports
}

fn threads_of(pid: u32) -> usize {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    status.lines().find_map(|l| l.strip_prefix("Threads:")).unwrap().trim().parse().unwrap()
}

const SLOW_CONNECTIONS: &str = "500";

/// The stranger's TCP probes of `port` (tests/stranger-tcp): the JSON of its requests and slow
/// connections, the threads of `xpra` while the slow ones are open, and how many got an answer.
async fn probe_port(stranger: &Stranger, port: u16, xpra: u32) -> (serde_json::Value, usize, u64) {
    let mut probe = stranger_script(stranger, include_str!("stranger-tcp"), &[&port.to_string(), SLOW_CONNECTIONS]);
    let opened: serde_json::Value = serde_json::from_str(&probe.line().await).unwrap();
    let threads = threads_of(xpra);
    let closed: serde_json::Value = serde_json::from_str(&probe.finish().await).unwrap();
    (opened, threads, closed["answered"].as_u64().unwrap())
}

/// A loopback listener of the test's own, the control for the stranger's TCP probes: it answers
/// a whole request with 204 and holds a partial one open.
async fn control_listener() -> (u16, tokio::task::JoinHandle<()>) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0)).await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let task = tokio::spawn(async move {
        let mut connections = tokio::task::JoinSet::new();
        while let Ok((mut conn, _)) = listener.accept().await {
            connections.spawn(async move {
                let mut seen = Vec::new();
                let mut buf = [0u8; 1024];
                while let Ok(n @ 1..) = conn.read(&mut buf).await {
                    seen.extend_from_slice(&buf[..n]);
                    if seen.windows(4).any(|w| w == b"\r\n\r\n") {
                        let _ = conn.write_all(b"HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n").await;
                        return;
                    }
                }
            });
        }
    });
    (port, task)
}

/// Every TCP port of a running session (its own, and any its processes listen on) answers the
/// stranger nothing, and a trickle of slow connections costs its Xpra no thread. Control: the
/// same probes get answers from, and hold open, connections to a listener of the test's.
async fn assert_no_tcp_door(stranger: &Stranger, server: &Server, session: &fl_api::SessionView) {
    let (control, task) = control_listener().await;
    let xpra = session.pid.unwrap();
    let (opened, _, answered) = probe_port(stranger, control, xpra).await;
    assert!(opened["requests"].as_object().unwrap().values().all(|v| v.as_str().unwrap().starts_with("answered: HTTP/1.1 204")), "control: {opened}");
    assert_eq!((opened["connected"].as_u64(), answered), (Some(500), 0), "control: the slow connections stay open unanswered: {opened}");
    task.abort();

    let mut ports = listening_ports(&server.session_processes());
    assert!(ports.is_empty(), "processes of a session listen on TCP ports {ports:?}");
    ports.push(session.port);
    for port in ports {
        let before = threads_of(xpra);
        let (opened, during, answered) = probe_port(stranger, port, xpra).await;
        let requests = opened["requests"].as_object().unwrap();
        assert!(requests.values().all(|v| v == "refused" || v.as_str().unwrap().starts_with("closed")), "port {port} answered the stranger: {opened}");
        assert_eq!(answered, 0, "port {port} answered a slow connection: {opened}");
        // Xpra 3.1 started a thread per HTTP connection on its TCP port; a little slack for its own.
        assert!(during <= before + 2, "xpra's threads grew from {before} to {during} with the stranger's connections to {port}");
    }
}

/// A second local user races sessions from their first moment: cold starts, warm-pool sessions
/// (and the pool's refills) and a start from the command line. Its watch (tests/stranger-watch)
/// connects to every X socket, file and abstract, the moment it appears and every 20 ms after,
/// with no cookie, and reads every process's command line for the start addresses and the
/// token. Its verdicts count for the X servers of the sessions (by the pid that accepted each
/// connection), not for any other X server that runs on the machine meanwhile. Controls: the watch reached each X server (it got an X answer, a refusal), the owner
/// with the session's cookie connects, and the TCP probes reach a listener of the test's.
#[tokio::test]
async fn a_stranger_gets_nothing_from_sessions_while_they_start_run_and_stop() {
    stranger_race("/usr/bin/xpra", 9).await;
}

/// The same on Xpra 6 (built by `scripts/install-xpra6`), whose X server start differs.
#[tokio::test]
async fn a_stranger_gets_nothing_from_sessions_of_xpra_6() {
    stranger_race(&support::xpra6(), 3).await;
}

/// `rounds` of a warm-pool session and a cold one, then one from the CLI: 2 × rounds + 2 X servers.
async fn stranger_race(xpra: &str, rounds: usize) {
    use std::time::Duration;
    let (stranger, home) = stranger_and_open_home();
    let server = Server::start(&home, &["--warm", "1", "--max-sessions", "3", "--xpra", xpra, "--audio", "on"], &[]).await;
    let token = server.client.token().unwrap().to_owned();
    let nonce = fl_sys::random_secret().unwrap();
    let address = |what: &str| format!("http://127.0.0.1:9/{what}?code={nonce}");
    let stop = tempfile::Builder::new().prefix("fl-test-watch-").tempdir().unwrap();
    open_to_all(stop.path());
    let stop_file = stop.path().join("stop");
    let mut watch = stranger_script(&stranger, include_str!("stranger-watch"), &[]);
    let config = serde_json::json!({"secrets": [nonce, token], "stop": stop_file, "max_seconds": 600});
    watch.send(&config.to_string()).await;
    assert_eq!(watch.line().await, "watching");
    // The controls for the sessions' private sockets (sound servers, control hosts): the test's
    // own, open to all, found by the watch as it finds theirs (by name in /proc/net/unix).
    let open_sockets = [stop.path().join("control/pulse/native"), stop.path().join("control/sock/ctl.sock")];
    let _listeners: Vec<_> = open_sockets
        .iter()
        .map(|path| {
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            fl_sys::with_umask(0, || std::os::unix::net::UnixListener::bind(path).unwrap())
        })
        .collect();
    let mut private_sockets = std::collections::BTreeSet::new();

    // The X servers of this service's sessions, pooled ones included, as they come and go: the
    // watch's verdicts are judged for these (another X server on the machine is not ours).
    let xvfbs = std::sync::Arc::new(std::sync::Mutex::new(std::collections::BTreeSet::new()));
    let tracker = {
        let (xvfbs, serve) = (std::sync::Arc::clone(&xvfbs), server.pid());
        tokio::spawn(async move {
            loop {
                // By marker (Xpra 3.1), or as a child of a session's Xpra (Xpra 6's has no marker).
                let members = support::session_processes_of(serve);
                let xpras: Vec<i32> = members.iter().filter(|p| p.comm == "xpra").map(|p| p.identity.pid).collect();
                let found = fl_sys::scan().into_iter().filter(|p| p.comm == "Xvfb" && (xpras.contains(&p.ppid) || members.iter().any(|m| m.identity == p.identity)));
                xvfbs.lock().unwrap().extend(found.map(|p| p.identity.pid));
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        })
    };
    let warm_ready = || async {
        let answer = server.client.request(hyper::Method::GET, "/api/health", &[], None).await.unwrap();
        serde_json::from_slice::<fl_api::Health>(answer.body()).unwrap().warm == 1
    };
    for round in 0..rounds {
        support::eventually(Duration::from_secs(90), "the warm pool to be ready", warm_ready).await;
        let pooled = server.client.start(Some(address(&format!("pooled-{round}")))).await.unwrap();
        let cold = fl_api::CreateRequest { url: Some(address(&format!("cold-{round}"))), clipboard: Some(fl_api::Clipboard::Off), ..Default::default() };
        let cold = server.client.create(&cold).await.unwrap();
        for session in [&pooled, &cold] {
            assert!(session.audio, "control: the session has no sound server to probe: {session:?}");
            private_sockets.insert(Path::new(&session.dir).join("xdg/runtime/pulse/native"));
        }
        if round == 0 {
            for session in [&pooled, &cold] {
                // Control: the owner drives the session through the API (so its control host
                // has listened, and the watch had it to try).
                let page = server.client.request(hyper::Method::GET, &format!("/api/sessions/{}/page", session.port), &[], None).await.unwrap();
                assert_eq!(page.status(), 200, "control: the owner cannot drive the session: {}", String::from_utf8_lossy(page.body()));
                private_sockets.insert(Path::new(&session.dir).join("sock/ctl.sock"));
            }
        }
        if round == 0 {
            let display: u32 = cold.display.as_deref().unwrap().trim_start_matches(':').parse().unwrap();
            let xauthority = Path::new(&cold.dir).join("Xauthority");
            assert_eq!(x_setup(display, Some(&first_cookie(&xauthority))), 1, "control: the owner with the session's cookie is refused");
            assert_eq!(x_setup(display, None), 0, "the owner without the cookie got in");
            let out = Command::new("xhost").env("DISPLAY", format!(":{display}")).env("XAUTHORITY", &xauthority).output().unwrap();
            let out = String::from_utf8_lossy(&out.stdout).into_owned();
            assert!(out.contains("access control enabled") && !out.contains("LOCAL:"), "xhost on :{display}: {out}");
            assert_no_tcp_door(&stranger, &server, &cold).await;
            let sound = Path::new(&cold.dir).join("xdg/runtime/pulse/native");
            support::wait_until(Duration::from_secs(10), "the session's sound socket", || sound.exists()).await;
            std::os::unix::net::UnixStream::connect(&sound).expect("control: the owner connects to the session's sound server");
        }
        server.client.stop(pooled.port).await.unwrap();
        server.client.stop(cold.port).await.unwrap();
    }
    // From the command line, the address on standard input (`start -`), not on its command line.
    let mut cli = Command::new(env!("CARGO_BIN_EXE_firefox-launcher"))
        .args(["--home", home.home().to_str().unwrap(), "start", "-"])
        .env("HOME", home.path())
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    std::io::Write::write_all(&mut cli.stdin.take().unwrap(), format!("{}\n", address("cli")).as_bytes()).unwrap();
    let out = tokio::task::spawn_blocking(move || cli.wait_with_output().unwrap()).await.unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let cli_session = server.client.list().await.unwrap().sessions.into_iter().find(|s| s.url == address("cli")).expect("the CLI's session");
    server.client.stop(cli_session.port).await.unwrap();
    support::eventually(Duration::from_secs(90), "the warm pool's last refill to be ready", warm_ready).await;

    std::fs::write(&stop_file, "").unwrap();
    let report: serde_json::Value = serde_json::from_str(&watch.finish().await).unwrap();
    tracker.abort();
    let claimed = server.log().matches("claimed from the warm pool").count();
    assert!(claimed >= rounds, "only {claimed} sessions came from the warm pool:\n{}", server.log());
    // At least 2 × rounds + 2 X servers ran, each with two sockets (a file and an abstract one).
    let ours = xvfbs.lock().unwrap().clone();
    assert!(ours.len() >= 2 * rounds + 2, "control: only {} X servers of the sessions were seen: {ours:?}", ours.len());
    let expected = 2 * ours.len() as u64;
    assert!(report["answered"].as_u64().unwrap() >= expected, "control: the watch reached fewer X sockets than ran: {report}");
    let into_ours: Vec<i32> = report["accepted_pids"].as_array().unwrap().iter().map(|p| p.as_i64().unwrap() as i32).filter(|p| ours.contains(p)).collect();
    assert!(into_ours.is_empty(), "the stranger got into the X servers {into_ours:?} of the sessions: {report}");
    assert_eq!(report["leaks"], serde_json::json!([]), "a start address or the token on a command line: {report}");
    assert_no_private_door(&report["unix"], &open_sockets, &home.home(), &private_sockets);
}

/// The watch's connections to the sessions' private sockets (sound servers, control hosts): the
/// test's open ones let it in, every session's socket was tried, and no socket under the
/// service's home let it in.
fn assert_no_private_door(unix: &serde_json::Value, open: &[PathBuf], home: &Path, sessions: &std::collections::BTreeSet<PathBuf>) {
    let seen = unix.as_object().unwrap();
    let outcomes = |path: &Path| seen.get(path.to_str().unwrap()).cloned().unwrap_or_default();
    for control in open {
        assert!(outcomes(control)["connected"].as_u64().unwrap_or(0) > 0, "control: the watch did not get into the test's open socket {}: {unix}", control.display());
    }
    for socket in sessions {
        assert!(seen.contains_key(socket.to_str().unwrap()), "control: the watch never tried the socket {}: {unix}", socket.display());
    }
    let entered: Vec<_> = seen.iter().filter(|(path, o)| Path::new(path).starts_with(home) && o.get("connected").is_some()).collect();
    assert!(entered.is_empty(), "the stranger connected to sessions' private sockets: {entered:?}");
}

/// The stranger's probe of one unix socket path: from the moment the path exists, it connects as
/// fast as it can, 2000 times, and prints how each attempt ended.
const SOCKET_RACE: &str = r#"
import json, os, socket, sys, time
path, deadline, outcomes = sys.argv[1], time.monotonic() + 60, {}
print("watching", flush=True)
while sum(outcomes.values()) < 2000 and time.monotonic() < deadline:
    if not os.path.lexists(path):
        continue
    s = socket.socket(socket.AF_UNIX)
    try:
        s.connect(path)
        outcome = "connected"
    except PermissionError:
        outcome = "EACCES"
    except OSError as e:
        outcome = type(e).__name__
    finally:
        s.close()
    outcomes[outcome] = outcomes.get(outcome, 0) + 1
print(json.dumps(outcomes), flush=True)
"#;

/// How the stranger's connections to `path` ended, from the moment `make` creates it.
async fn race_socket(stranger: &Stranger, path: &Path, make: impl std::future::Future<Output = ()>) -> serde_json::Value {
    let mut probe = stranger_script(stranger, SOCKET_RACE, &[path.to_str().unwrap()]);
    assert_eq!(probe.line().await, "watching");
    make.await;
    serde_json::from_str(&probe.line().await).unwrap()
}

/// The API socket refuses another user from the moment `bind` creates it, even when `serve` runs
/// under umask 0 (so a socket chmodded only after its bind would be open to all for a moment):
/// the stranger connects from the instant the path appears, 2000 times. Control: its same probe
/// connects to a socket the test makes under umask 0 in the same directory.
#[tokio::test(flavor = "multi_thread")]
async fn the_api_socket_refuses_another_user_from_the_moment_it_exists() {
    let (stranger, home) = stranger_and_open_home();
    let control = home.path().join("control.sock");
    let control_listener = std::cell::OnceCell::new();
    let outcomes = race_socket(&stranger, &control, async {
        let _ = control_listener.set(fl_sys::with_umask(0, || std::os::unix::net::UnixListener::bind(&control).unwrap()));
    })
    .await;
    assert_eq!(outcomes, serde_json::json!({"connected": 2000}), "control: the stranger's probe of an open socket");

    let socket = home.path().join("api.sock");
    let mut server = None;
    // serve inherits the umask it is spawned under.
    let outcomes = fl_sys::with_umask(0, || {
        tokio::task::block_in_place(|| {
            tokio::runtime::Handle::current().block_on(race_socket(&stranger, &socket, async {
                server = Some(Server::start(&home, &["--unix-socket", socket.to_str().unwrap()], &[]).await);
            }))
        })
    });
    assert_eq!(outcomes, serde_json::json!({"EACCES": 2000}), "the stranger on the API socket as it was born");
    assert!(server.unwrap().client.list().await.is_ok(), "control: the owner reaches it");
}
