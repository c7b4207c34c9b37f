//! Issue 22, the service's half: each session with sound has a PulseAudio of its own, in its
//! process group, on a unix socket in its private directory, listening on no TCP port, gone with
//! the session; a session without sound has none. On Xpra 3.1.3 and 6.5.
//! (What the tab plays is the browser suites' to check.)

mod support;

use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::time::Duration;

use fl_api::SessionView;
use fl_sys::ProcessInfo;
use support::{Server, TestHome, wait_until};

fn socket_of(session: &SessionView) -> PathBuf {
    Path::new(&session.dir).join("xdg/runtime/pulse/native")
}

fn pulseaudio_of(server: &Server, session: &SessionView) -> Vec<ProcessInfo> {
    let suffix = format!("-{}", session.port);
    server
        .session_processes()
        .into_iter()
        .filter(|p| p.comm == "pulseaudio")
        .filter(|p| std::fs::read(format!("/proc/{}/environ", p.identity.pid)).is_ok_and(|env| {
            env.split(|b| *b == 0).any(|kv| kv.starts_with(fl_session::MARKER_ENV.as_bytes()) && kv.ends_with(suffix.as_bytes()))
        }))
        .collect()
}

/// The inodes of the sockets `pid` holds.
fn socket_inodes(pid: i32) -> Vec<String> {
    let Ok(fds) = std::fs::read_dir(format!("/proc/{pid}/fd")) else { return Vec::new() };
    fds.filter_map(|fd| std::fs::read_link(fd.ok()?.path()).ok())
        .filter_map(|target| target.to_str()?.strip_prefix("socket:[")?.strip_suffix(']').map(str::to_owned))
        .collect()
}

/// Inodes of TCP sockets (v4 and v6) in the listening state, machine-wide.
fn tcp_listeners() -> Vec<String> {
    ["/proc/net/tcp", "/proc/net/tcp6"]
        .iter()
        .filter_map(|f| std::fs::read_to_string(f).ok())
        .flat_map(|text| {
            text.lines()
                .skip(1)
                .filter_map(|line| {
                    let fields: Vec<&str> = line.split_whitespace().collect();
                    (fields.get(3) == Some(&"0A")).then(|| fields.get(9).map(|s| (*s).to_owned())).flatten()
                })
                .collect::<Vec<_>>()
        })
        .collect()
}

/// A PATH as a Jupyter server's: its virtualenv's `python3`/`python3.11` first, which have
/// neither `xpra` nor GStreamer's `gi` (here they fail outright, as pyenv's shims do).
fn jupyter_like_path(home: &TestHome) -> String {
    let bin = home.path().join("venv-bin");
    std::fs::create_dir_all(&bin).unwrap();
    for name in ["python3", "python3.11"] {
        let python = bin.join(name);
        std::fs::write(&python, "#!/bin/sh\necho \"$0: no module named xpra\" >&2\nexit 1\n").unwrap();
        std::fs::set_permissions(&python, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    format!("{}:{}", bin.display(), std::env::var("PATH").unwrap())
}

/// Xpra's log, once it says Firefox is started (which Xpra does after setting up sound).
async fn wait_for_firefox_started(session: &SessionView) -> String {
    let log = Path::new(&session.dir).join("xpra.log");
    let read = || std::fs::read_to_string(&log).unwrap_or_default();
    wait_until(Duration::from_secs(20), "Xpra's log says it started Firefox", || read().contains("started command")).await;
    read()
}

/// Xpra asks its sound process what it can do before it starts Firefox; when that fails, the
/// session has no sound to offer (3.1: "failed to query sound subsystem", 6.x: "... audio ...").
async fn assert_xpra_queried_its_sound(session: &SessionView) {
    // Positive control: the log read is the one where the query's outcome is written, and the
    // query is over (it comes before Firefox's start).
    let text = wait_for_firefox_started(session).await;
    assert!(!text.contains("failed to query sound subsystem") && !text.contains("failed to query audio subsystem"), "Xpra's sound process failed:\n{text}");
}

async fn a_session_with_sound_has_its_own_sound_server_and_leaves_nothing(xpra: &str) {
    let home = TestHome::new();
    let path = jupyter_like_path(&home);
    let server = Server::start(&home, &["--xpra", xpra, "--audio", "on"], &[("PATH", &path)]).await;
    let session = server.client.start(Some("about:blank".into())).await.unwrap();
    assert!(session.audio, "the session says it has no sound: {session:?}");
    assert_xpra_queried_its_sound(&session).await;
    let socket = socket_of(&session);
    wait_until(Duration::from_secs(10), "the session's sound socket", || socket.exists()).await;

    let pulse = pulseaudio_of(&server, &session);
    assert_eq!(pulse.len(), 1, "one PulseAudio of the session's own: {pulse:?}");
    let pgid = session.pgid.unwrap();
    assert_eq!(fl_sys::group_members(pgid).iter().filter(|p| p.comm == "pulseaudio").count(), 1, "in the session's process group");
    let dir = std::fs::metadata(socket.parent().unwrap()).unwrap();
    assert_eq!((dir.permissions().mode() & 0o777, dir.uid()), (0o700, fl_sys::current_uid()), "the socket's directory is private");
    let listening = tcp_listeners();
    let held = socket_inodes(pulse[0].identity.pid);
    assert!(!held.is_empty(), "PulseAudio holds no socket at all: the check would prove nothing");
    assert!(held.iter().all(|inode| !listening.contains(inode)), "PulseAudio listens on TCP");
    // Firefox plays into it: the address every process of the session gets.
    let firefox_told = fl_sys::find_by_env(fl_sys::current_uid(), "PULSE_SERVER", |v| v == format!("unix:{}", socket.display()).as_bytes());
    assert!(firefox_told.iter().any(|p| p.comm.starts_with("firefox")), "{firefox_told:?}");

    server.client.stop(session.port).await.unwrap();
    assert!(!pulse[0].identity.is_alive(), "PulseAudio outlived its session");
    assert!(!Path::new(&session.dir).exists(), "the session's directory (and the socket) outlived it");

    a_crashed_xpra_leaves_no_sound_server(&server).await;
}

/// Xpra SIGKILLed (a crash, the OOM killer): it cannot stop its PulseAudio, which the service's
/// teardown of the session takes down with the rest of its group.
async fn a_crashed_xpra_leaves_no_sound_server(server: &Server) {
    let session = server.client.start(Some("about:blank".into())).await.unwrap();
    wait_until(Duration::from_secs(10), "the session's sound socket", || socket_of(&session).exists()).await;
    let pulse = pulseaudio_of(server, &session);
    assert_eq!(pulse.len(), 1, "control: the session's PulseAudio runs: {pulse:?}");
    let xpra = fl_sys::scan().into_iter().find(|p| p.identity.pid == session.pid.unwrap() as i32).expect("the session's Xpra");
    fl_sys::signal_process(&xpra.identity, fl_sys::Signal::SIGKILL).unwrap();
    wait_until(Duration::from_secs(20), "the session of the killed Xpra to end", || !Path::new(&session.dir).exists()).await;
    wait_until(Duration::from_secs(5), "its PulseAudio to be gone", || !pulse[0].identity.is_alive()).await;
    assert!(server.client.list().await.unwrap().sessions.is_empty());
}

async fn a_session_without_sound_has_no_sound_server(xpra: &str) {
    let home = TestHome::new();
    let server = Server::start(&home, &["--xpra", xpra, "--audio", "on"], &[]).await;
    let silent = serde_json::json!({"url": "about:blank", "audio": false});
    let response = server.client.request(hyper::Method::POST, "/api/sessions", &[("content-type", "application/json")], Some(silent.to_string().into_bytes())).await.unwrap();
    assert_eq!(response.status(), hyper::StatusCode::CREATED);
    let session: SessionView = serde_json::from_slice(response.body()).unwrap();
    assert!(!session.audio);
    // Xpra starts its PulseAudio, when it has one, before Firefox.
    wait_for_firefox_started(&session).await;
    assert!(pulseaudio_of(&server, &session).is_empty(), "a session without sound runs a PulseAudio");
    assert!(!socket_of(&session).exists());
    server.client.stop(session.port).await.unwrap();
}

/// A session directory too deep for a unix socket path (`sun_path` is 108 bytes) starts without
/// sound, and its view and its page's settings say so, rather than promising sound it lacks.
#[tokio::test]
async fn a_session_too_deep_for_the_sound_socket_starts_silent_and_says_so() {
    // /tmp/<51>XXXXXX/fl/sessions/session-NNNNN is 88 bytes: the sound socket 25 more (113), Xpra's
    // own socket 15 more (103, it fits).
    let home = TestHome::with_prefix(&format!("fl-test-{}", "d".repeat(43)));
    let server = Server::start(&home, &["--xpra", "/usr/bin/xpra", "--audio", "on"], &[]).await;
    let session = server.client.start(Some("about:blank".into())).await.unwrap();
    assert!(socket_of(&session).as_os_str().len() > 107, "control: the test's path is not too long: {}", socket_of(&session).display());
    assert!(!session.audio, "the session says it has sound: {session:?}");
    assert!(server.log().contains("sound off: its sound socket path is"), "{}", server.log());
    let listed = server.client.list().await.unwrap().sessions;
    assert!(listed.iter().all(|s| !s.audio), "{listed:?}");
    assert!(pulseaudio_of(&server, &session).is_empty(), "a PulseAudio runs without a socket it could use");
    server.client.stop(session.port).await.unwrap();
}

#[tokio::test]
async fn sound_on_xpra_3_1_runs_in_the_session_and_goes_with_it() {
    a_session_with_sound_has_its_own_sound_server_and_leaves_nothing("/usr/bin/xpra").await;
    a_session_without_sound_has_no_sound_server("/usr/bin/xpra").await;
}

#[tokio::test]
async fn sound_on_xpra_6_runs_in_the_session_and_goes_with_it() {
    let xpra = support::xpra6();
    a_session_with_sound_has_its_own_sound_server_and_leaves_nothing(&xpra).await;
    a_session_without_sound_has_no_sound_server(&xpra).await;
}
