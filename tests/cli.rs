//! The command line against a real `serve` (with the fake xpra): `start` prints the URL to open,
//! `list` and `list --json` show the session, `stop` stops it; a clear error and a failing exit
//! when no service runs; every `FIREFOX_LAUNCHER_*` variable the README's table names (read from
//! it, so a new one without a test fails), each seen taking effect; SIGINT as well as SIGTERM stops `serve` cleanly.

mod support;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use fl_api::{RuntimeFile, SessionList};
use fl_client::{Client, ClientError};
use fl_sys::Signal;
use hyper::{Method, StatusCode};
use support::{TestHome, eventually, fake_server, fake_xpra, session_processes_of, wait_until};

const BIN: &str = env!("CARGO_BIN_EXE_firefox-launcher");

/// The binary with `args`, HOME set to the test home and none of the caller's own
/// `FIREFOX_LAUNCHER_*` settings.
fn command(home: &TestHome, args: &[&str]) -> Command {
    let mut command = Command::new(BIN);
    command.args(args).env("HOME", home.path()).stdin(Stdio::null());
    for (name, _) in std::env::vars_os() {
        if name.to_string_lossy().starts_with("FIREFOX_LAUNCHER_") {
            command.env_remove(name);
        }
    }
    command
}

/// Runs a CLI command against the service in `home` (through `--home`).
fn cli(home: &TestHome, args: &[&str]) -> Output {
    let home_dir = home.home();
    let mut all = vec!["--home", home_dir.to_str().unwrap()];
    all.extend_from_slice(args);
    command(home, &all).output().unwrap()
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[track_caller]
fn succeeded(output: &Output) -> String {
    assert!(output.status.success(), "exit {:?}\nstdout: {}\nstderr: {}", output.status, stdout(output), stderr(output));
    stdout(output)
}

#[tokio::test]
async fn start_list_and_stop_from_the_command_line() {
    let home = TestHome::new();
    let server = fake_server(&home, "", &[]).await;
    let token = server.client.token().unwrap().to_owned();

    // `start URL` waits for the session, then prints the URL to open: with the session's key,
    // never the token.
    let out = succeeded(&cli(&home, &["start", "https://example.org/cli"]));
    assert!(!out.contains(&token), "the token was printed:\n{out}");
    let sessions = server.client.list().await.unwrap().sessions;
    assert_eq!(sessions.len(), 1, "{out}");
    let session = &sessions[0];
    assert_eq!(session.url, "https://example.org/cli");
    let open = format!("{}/sessions/{}/?key={}", server.address, session.port, session.key);
    assert!(!session.key.is_empty() && out.split_whitespace().any(|word| word == open), "no {open} in:\n{out}");
    // That URL opens the session in a browser: the key is traded for a cookie, which opens the
    // page. It opens nothing else: not the API, not another session.
    let stranger = server.client.without_token();
    let answer = stranger.request(Method::GET, &open[server.address.len()..], &[], None).await.unwrap();
    assert_eq!(answer.status(), StatusCode::SEE_OTHER);
    let set_cookie = answer.headers().get(hyper::header::SET_COOKIE).expect("a cookie for the key").to_str().unwrap();
    let cookie = set_cookie.split(';').next().unwrap().to_owned();
    let page = format!("/sessions/{}/", session.port);
    let with_cookie = [("cookie", cookie.as_str())];
    assert_eq!(stranger.request(Method::GET, &page, &with_cookie, None).await.unwrap().status(), StatusCode::OK);
    assert_eq!(stranger.request(Method::GET, &page, &[], None).await.unwrap().status(), StatusCode::UNAUTHORIZED, "control: no cookie");
    let other = server.client.start(None).await.unwrap();
    let other_page = format!("/sessions/{}/", other.port);
    for path in [format!("{other_page}?key={}", session.key), "/api/sessions".into(), format!("/api/sessions?key={}", session.key)] {
        let answer = stranger.request(Method::GET, &path, &with_cookie, None).await.unwrap();
        assert_eq!(answer.status(), StatusCode::UNAUTHORIZED, "the key opened {path}");
    }
    assert_eq!(stranger.request(Method::GET, &other_page, &with_cookie, None).await.unwrap().status(), StatusCode::UNAUTHORIZED);
    server.client.stop(other.port).await.unwrap();

    // `list`: one line per session, with its port, status and URL.
    let out = succeeded(&cli(&home, &["list"]));
    let line = out.lines().find(|l| l.split_whitespace().next() == Some(&session.port.to_string())).unwrap_or_else(|| panic!("{out}"));
    let words: Vec<&str> = line.split_whitespace().collect();
    assert!(words.contains(&"ready") && words.contains(&"https://example.org/cli"), "{line}");
    // `list --json`: the API's list.
    let listed: SessionList = serde_json::from_str(&succeeded(&cli(&home, &["list", "--json"]))).unwrap();
    assert_eq!(listed.sessions.iter().map(|s| (s.port, s.url.as_str())).collect::<Vec<_>>(), [(session.port, "https://example.org/cli")]);

    // `stop PORT`: gone, with everything it ran.
    let port = session.port.to_string();
    let out = succeeded(&cli(&home, &["stop", &port]));
    assert!(out.starts_with(&format!("stopped session on port {port} with SIGTERM")), "{out}");
    assert!(server.client.list().await.unwrap().sessions.is_empty());
    assert!(session_processes_of(server.pid()).is_empty());
    assert!(home.session_dirs().is_empty(), "{:?}", home.session_dirs());
    assert_eq!(succeeded(&cli(&home, &["list"])), "no sessions\n");
    // Stopping it again is an error, said as such.
    let again = cli(&home, &["stop", &port]);
    assert!(!again.status.success() && stderr(&again).contains("not_found"), "{again:?}");
}

#[tokio::test]
async fn the_command_line_says_so_when_no_service_runs() {
    let home = TestHome::new();
    // No runtime file: the default home is ~/.firefox-launcher (HOME is the test home).
    for args in [&["list"][..], &["start"], &["stop", "41000"]] {
        let out = command(&home, args).output().unwrap();
        let expected = home.path().join(".firefox-launcher/runtime.json");
        let message = format!("firefox-launcher: no running firefox-launcher found: cannot read {}", expected.display());
        assert!(!out.status.success(), "{args:?}: {out:?}");
        assert!(stderr(&out).starts_with(&message) && stderr(&out).contains("'firefox-launcher serve'"), "{args:?}: {}", stderr(&out));
        assert!(stdout(&out).is_empty(), "{args:?}: {}", stdout(&out));
    }
    // A runtime file left by a killed service: its port answers no more.
    std::fs::create_dir_all(home.home()).unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let address = format!("http://127.0.0.1:{port}");
    let runtime = RuntimeFile { address: address.clone(), token: Some("t".repeat(32)), pid: i32::MAX as u32 };
    std::fs::write(RuntimeFile::path(&home.home()), serde_json::to_vec(&runtime).unwrap()).unwrap();
    let out = cli(&home, &["list"]);
    assert!(!out.status.success(), "{out:?}");
    assert!(stderr(&out).starts_with(&format!("firefox-launcher: failed to connect to firefox-launcher at {address}")), "{}", stderr(&out));
}

/// A `serve` started by the test with only environment variables for settings; SIGTERM (then
/// SIGKILL) on drop, and whatever its sessions left is killed by verified pid.
struct EnvServe {
    child: Child,
    log: PathBuf,
}

impl EnvServe {
    /// Starts `serve` (no arguments) with `env`, and waits for its runtime file in `home`.
    async fn start(test_home: &TestHome, home: &Path, env: &[(&str, &str)]) -> (Self, RuntimeFile) {
        let log = test_home.path().join(format!("serve-{}.log", home.file_name().unwrap().to_string_lossy()));
        let child = command(test_home, &["serve"])
            .envs(env.iter().copied())
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).unwrap())
            .spawn()
            .unwrap();
        let mut serve = Self { child, log };
        let pid = serve.child.id();
        let read = || -> Option<RuntimeFile> { serde_json::from_slice(&std::fs::read(RuntimeFile::path(home)).ok()?).ok() };
        let mut exited = None;
        wait_until(Duration::from_secs(20), "serve to write its runtime file", || {
            exited = serve.child.try_wait().unwrap();
            exited.is_some() || read().is_some_and(|r| r.pid == pid)
        })
        .await;
        assert!(exited.is_none(), "serve exited at start ({exited:?}):\n{}", serve.log());
        (serve, read().unwrap())
    }

    fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// SIGTERM, then the exit status.
    async fn terminate(&mut self) -> std::process::ExitStatus {
        let identity = fl_sys::process_info(self.child.id() as i32).unwrap().identity;
        fl_sys::signal_process(&identity, Signal::SIGTERM).unwrap();
        let mut status = None;
        wait_until(Duration::from_secs(20), "serve to exit", || {
            status = self.child.try_wait().unwrap();
            status.is_some()
        })
        .await;
        status.unwrap()
    }
}

impl Drop for EnvServe {
    fn drop(&mut self) {
        let pid = self.child.id();
        if self.child.try_wait().ok().flatten().is_none() {
            // Our unreaped child: its pid is still its own.
            if let Some(me) = fl_sys::process_info(pid as i32) {
                let _ = fl_sys::signal_process(&me.identity, Signal::SIGTERM);
            }
            let deadline = Instant::now() + Duration::from_secs(15);
            while self.child.try_wait().ok().flatten().is_none() && Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(50));
            }
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
        for p in session_processes_of(pid) {
            let _ = fl_sys::signal_process(&p.identity, Signal::SIGKILL);
        }
    }
}

/// `FIREFOX_LAUNCHER_XPRA`: the fake xpra, in the mode the file `mode` names at each start, noting
/// each command line in `xpra-calls` (both in `$FAKE_XPRA_STATE`, which reaches it only through
/// `FIREFOX_LAUNCHER_PASS_ENV`).
fn write_xpra_wrapper(path: &Path) {
    let script = format!(
        "#!/bin/sh\n[ \"$1\" = --version ] || echo \"$*\" >> \"${{FAKE_XPRA_STATE:?}}/xpra-calls\"\nFAKE_XPRA_MODE=$(cat \"$FAKE_XPRA_STATE/mode\")\nexport FAKE_XPRA_MODE\nexec {} \"$@\"\n",
        fake_xpra().display()
    );
    std::fs::write(path, script).unwrap();
    std::fs::set_permissions(path, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
}

fn api_error(result: Result<fl_api::SessionView, ClientError>) -> (u16, String) {
    match result {
        Err(ClientError::Api { status, code, .. }) => (status, code),
        other => panic!("expected an API error, got {other:?}"),
    }
}

#[tokio::test]
async fn every_environment_variable_the_readme_names_takes_effect() {
    let home = TestHome::new();
    let state = home.path().to_str().unwrap().to_owned();
    let env_home = home.path().join("env-home");
    let xpra = home.path().join("my-xpra");
    write_xpra_wrapper(&xpra);
    let firefox = home.path().join("my-firefox");
    std::os::unix::fs::symlink("/bin/true", &firefox).unwrap();
    std::fs::write(home.path().join("mode"), "never-ready").unwrap();
    const TOKEN: &str = "env-token-0123456789abcdef";
    let (env_home_s, xpra_s, firefox_s) = (env_home.to_str().unwrap(), xpra.to_str().unwrap(), firefox.to_str().unwrap());
    let env = [
        ("FIREFOX_LAUNCHER_HOME", env_home_s),
        ("FIREFOX_LAUNCHER_TOKEN", TOKEN),
        ("FIREFOX_LAUNCHER_XPRA", xpra_s),
        ("FIREFOX_LAUNCHER_FIREFOX", firefox_s),
        ("FIREFOX_LAUNCHER_PASS_ENV", "FAKE_XPRA_STATE,FL_CLI_TEST_PASSED"),
        ("FIREFOX_LAUNCHER_READY_TIMEOUT", "2"),
        ("FIREFOX_LAUNCHER_IDLE_TIMEOUT", "4"),
        ("FIREFOX_LAUNCHER_CLEANUP_TIMEOUT", "0"),
        ("FIREFOX_LAUNCHER_MAX_SESSIONS", "1"),
        ("FIREFOX_LAUNCHER_WARM", "1"),
        ("FIREFOX_LAUNCHER_DEBUG", "1"),
        // Not in the README: the fake xpra has no X server to show a window on.
        ("FIREFOX_LAUNCHER_NO_WINDOW_CHECK", "true"),
        ("FAKE_XPRA_STATE", &state),
        ("FL_CLI_TEST_PASSED", "yes"),
    ];
    let (mut serve, runtime) = EnvServe::start(&home, &env_home, &env).await;

    // HOME: the runtime file is there (EnvServe waited for it), not in ~/.firefox-launcher.
    assert!(!home.path().join(".firefox-launcher").exists());
    // TOKEN: it is the one written, and the one the API wants.
    assert_eq!(runtime.token.as_deref(), Some(TOKEN));
    let client = Client::new(&runtime.address, Some(TOKEN.to_owned())).unwrap();
    let refused = client.without_token().list().await;
    assert!(matches!(refused, Err(ClientError::Api { status: 401, .. })), "{refused:?}");
    client.list().await.unwrap();

    // READY_TIMEOUT: a session that never gets ready is given up after 2 s, not 60.
    let started = Instant::now();
    assert_eq!(api_error(client.start(None).await), (504, "start_timeout".to_owned()));
    assert!(started.elapsed() < Duration::from_secs(30), "{:?}", started.elapsed());

    // WARM: with sessions that can get ready, one is kept ready (the pool retries its failed start).
    std::fs::write(home.path().join("mode"), "").unwrap();
    eventually(Duration::from_secs(40), "a warm session", || async {
        let response = client.request(Method::GET, "/api/health", &[], None).await.unwrap();
        serde_json::from_slice::<fl_api::Health>(response.body()).unwrap().warm == 1
    })
    .await;
    let session = client.start(Some("https://example.org/env".into())).await.unwrap();
    // MAX_SESSIONS: a second one is one too many (the warm one does not count).
    assert_eq!(api_error(client.start(None).await), (429, "too_many_sessions".to_owned()));
    // XPRA and FIREFOX: our wrapper ran every start, with our Firefox. PASS_ENV: the named
    // variables reached the session (the wrapper needs FAKE_XPRA_STATE; the session has the other).
    let calls = std::fs::read_to_string(home.path().join("xpra-calls")).unwrap();
    assert!(calls.lines().count() >= 3 && calls.lines().all(|l| l.contains(&format!("--start-child='{firefox_s}'"))), "{calls}");
    let environ = std::fs::read(format!("/proc/{}/environ", session.pid.unwrap())).unwrap();
    assert!(environ.split(|b| *b == 0).any(|v| v == b"FL_CLI_TEST_PASSED=yes"));
    // The CLI finds the service through FIREFOX_LAUNCHER_HOME too.
    let listed = command(&home, &["list", "--json"]).env("FIREFOX_LAUNCHER_HOME", env_home_s).output().unwrap();
    let listed: SessionList = serde_json::from_str(&succeeded(&listed)).unwrap();
    assert_eq!(listed.sessions.iter().map(|s| s.port).collect::<Vec<_>>(), [session.port]);

    // IDLE_TIMEOUT: with no browser on it, the session goes after 4 s, not an hour;
    // CLEANUP_TIMEOUT 0: with SIGKILL at once (the fake xpra would have obeyed a SIGTERM).
    eventually(Duration::from_secs(30), "the idle session to be culled", || async { client.list().await.unwrap().sessions.is_empty() }).await;
    let log = serve.log();
    let port = format!("port={}", session.port);
    let stopped = log.lines().find(|l| l.contains(" stopped ") && l.contains(&port) && l.contains("reason=\"idle\""));
    assert!(stopped.is_some_and(|l| l.contains("signal=\"SIGKILL\"")), "{log}");
    // DEBUG: debug lines.
    assert!(log.lines().any(|l| l.contains(" DEBUG ")), "{log}");
    assert!(serve.terminate().await.success());
    drop(serve);

    // LOG: a full filter (here: debug for one module only).
    let log_home = home.path().join("log-home");
    let (mut serve, _) = EnvServe::start(
        &home,
        &log_home,
        &[("FIREFOX_LAUNCHER_HOME", log_home.to_str().unwrap()), ("FIREFOX_LAUNCHER_LOG", "fl_server::serve=debug")],
    )
    .await;
    assert!(serve.terminate().await.success());
    let log = serve.log();
    assert!(log.lines().any(|l| l.contains(" DEBUG fl_server::serve:")), "{log}");
    assert!(log.lines().all(|l| l.contains(" fl_server::serve:")), "{log}");

    // The session's choices and the picture: one more serve, with Debian's client page.
    let pic_home = home.path().join("pic-home");
    let (downloads, workspace) = (home.path().join("env-downloads"), home.path().join("env-workspace"));
    std::fs::create_dir(&workspace).unwrap();
    let (downloads_s, workspace_s) = (downloads.to_str().unwrap(), workspace.to_str().unwrap());
    std::fs::write(home.path().join("xpra-calls"), "").unwrap();
    let picture = [
        ("FIREFOX_LAUNCHER_HOME", pic_home.to_str().unwrap()),
        ("FIREFOX_LAUNCHER_XPRA", xpra_s),
        ("FIREFOX_LAUNCHER_PASS_ENV", "FAKE_XPRA_STATE"),
        ("FIREFOX_LAUNCHER_NO_WINDOW_CHECK", "true"),
        ("FAKE_XPRA_STATE", &state),
        ("FIREFOX_LAUNCHER_DOWNLOADS", downloads_s),
        ("FIREFOX_LAUNCHER_CLIPBOARD", "to-firefox"),
        // Sound is on by default where the machine has it (scripts/test installs it): off here.
        ("FIREFOX_LAUNCHER_AUDIO", "off"),
        ("FIREFOX_LAUNCHER_WORKSPACE", workspace_s),
        // By default video is not offered to Xpra 3.1 (what the fake says it is): the variable
        // turns it on.
        ("FIREFOX_LAUNCHER_VIDEO", "1"),
        ("FIREFOX_LAUNCHER_ENCODING", "png"),
        ("FIREFOX_LAUNCHER_QUALITY", "55"),
        ("FIREFOX_LAUNCHER_SPEED", "45"),
        ("FIREFOX_LAUNCHER_MIN_QUALITY", "25"),
        ("FIREFOX_LAUNCHER_MIN_SPEED", "35"),
    ];
    let (mut serve, runtime) = EnvServe::start(&home, &pic_home, &picture).await;
    let client = Client::new(&runtime.address, runtime.token.clone()).unwrap();
    let session = client.start(None).await.unwrap();
    // DOWNLOADS (created 0700), CLIPBOARD and AUDIO: what the session was started with.
    assert_eq!((session.downloads_dir.as_str(), session.clipboard), (downloads_s, fl_api::Clipboard::ToFirefox));
    assert_eq!(fl_session::sound::missing(), None, "this machine lacks what sound needs, so AUDIO=off proves nothing");
    assert!(!session.audio, "AUDIO=off, and the session has sound");
    let mode = std::os::unix::fs::PermissionsExt::mode(&std::fs::metadata(&downloads).unwrap().permissions());
    assert_eq!(mode & 0o777, 0o700);
    // CLIPBOARD's direction and the picture levels reach Xpra's command line.
    let calls = std::fs::read_to_string(home.path().join("xpra-calls")).unwrap();
    for flag in ["--clipboard-direction=to-server", "--speaker=no", "--quality=55", "--speed=45", "--min-quality=25", "--min-speed=35"] {
        assert!(calls.lines().last().unwrap().split_whitespace().any(|a| a == flag), "no {flag} in {calls}");
    }
    // WORKSPACE: where Firefox's file dialog opens (GTK's desktop directory).
    let dirs = std::fs::read_to_string(Path::new(&session.dir).join("xdg/config/user-dirs.dirs")).unwrap();
    assert!(dirs.contains(&format!("XDG_DESKTOP_DIR=\"{workspace_s}\"")), "{dirs}");
    // VIDEO and ENCODING: the defaults the session page reads before it connects.
    let config = client.request(Method::GET, &format!("/{}session.json", session.path), &[], None).await.unwrap();
    assert_eq!(config.status(), StatusCode::OK);
    let config: serde_json::Value = serde_json::from_slice(config.body()).unwrap();
    assert_eq!((&config["video"], &config["encoding"]), (&serde_json::json!(true), &serde_json::json!("png")), "{config}");
    client.stop(session.port).await.unwrap();
    assert!(serve.terminate().await.success());

    // Every variable the README's configuration table names was set above and seen at work.
    let seen: Vec<&str> = env.iter().chain(&picture).map(|(name, _)| *name).chain(["FIREFOX_LAUNCHER_LOG"]).collect();
    let missing: Vec<String> = readme_variables().into_iter().filter(|name| !seen.contains(&name.as_str())).collect();
    assert!(missing.is_empty(), "the README names variables this test never sets: {missing:?}");
}

/// The `FIREFOX_LAUNCHER_*` names of the README's configuration table; `_SPEED` after a full
/// name in the same cell is `FIREFOX_LAUNCHER_SPEED`.
fn readme_variables() -> Vec<String> {
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../README.md")).unwrap();
    let table = readme.split("### Configuration").nth(1).expect("a configuration section").split("\n\n").nth(1).expect("its table");
    let mut names = Vec::new();
    for row in table.lines() {
        let Some(cell) = row.split('|').nth(2) else { continue };
        for word in cell.split('`').skip(1).step_by(2) {
            let name = word.split('=').next().unwrap();
            let name = match name.strip_prefix('_') {
                Some(rest) => format!("FIREFOX_LAUNCHER_{rest}"),
                None => name.to_owned(),
            };
            if name.starts_with("FIREFOX_LAUNCHER_") && !names.contains(&name) {
                names.push(name);
            }
        }
    }
    assert!(names.len() >= 20, "too few variables read from the README's table: {names:?}");
    names
}

#[tokio::test]
async fn sigint_and_sigterm_stop_serve_cleanly() {
    for signal in [Signal::SIGINT, Signal::SIGTERM] {
        let home = TestHome::new();
        // escape: each session also leaves a grandchild that setsid()s away from its group.
        let mut server = fake_server(&home, "escape", &[]).await;
        for _ in 0..2 {
            server.client.start(None).await.unwrap();
        }
        let members = server.session_processes();
        assert!(members.len() >= 6, "{members:?}");
        let status = server.signal_and_wait(signal, Duration::from_secs(20)).await.unwrap();
        assert!(status.success(), "{signal}: serve exited with {status:?}\n{}", server.log());
        let left: Vec<_> = members.iter().filter(|p| p.identity.is_alive()).collect();
        assert!(left.is_empty(), "{signal}: left running: {left:?}");
        assert!(home.session_dirs().is_empty(), "{signal}: {:?}", home.session_dirs());
        assert!(!server.runtime_file_exists(), "{signal}: the runtime file is left");
        let log = server.log();
        assert!(log.contains(&format!("shutting down why=\"{signal}\"")), "{log}");
        assert_eq!(log.matches("reason=\"shutdown\" signal=").count(), 2, "{log}");
    }
}

/// `doctor` names each missing piece with its packages and fails; on this machine, where the
/// suites run real sessions, it finds everything.
#[test]
fn doctor_names_what_is_missing_and_passes_where_everything_is_there() {
    let home = TestHome::new();
    let all_there = succeeded(&cli(&home, &["doctor"]));
    for name in ["xpra: xpra 3.1.", "Xvfb: ", "xauth: ", "Firefox: Mozilla Firefox", "Python modules of xpra: Pillow", "session page: firefox-launcher's own client"] {
        assert!(all_there.contains(&format!("ok       {name}")), "{name} not ok:\n{all_there}");
    }
    // A small /dev/shm is a warning (sessions still start), never a missing piece.
    assert!(all_there.contains("ok       /dev/shm: ") || all_there.contains("warning  /dev/shm: "), "{all_there}");

    let output = cli(&home, &["doctor", "--xpra", "/nonexistent/xpra", "--json"]);
    assert!(!output.status.success(), "doctor passed with xpra missing");
    let checks: Vec<serde_json::Value> = serde_json::from_str(&stdout(&output)).unwrap();
    let status = |name: &str| checks.iter().find(|c| c["name"] == name).map(|c| (c["status"].clone(), c["fix"].clone())).unwrap();
    let (xpra, fix) = status("xpra");
    assert_eq!(xpra, "missing");
    assert!(fix.as_str().unwrap().contains("apt install xpra"), "{fix}");
    assert_eq!(status("Firefox").0, "ok");

    // Xpra 6: supported, and shown by the same client.
    let xpra6 = support::xpra6();
    let six = succeeded(&cli(&home, &["doctor", "--xpra", &xpra6]));
    assert!(six.contains("ok       xpra: xpra 6.") && six.contains("ok       session page: "), "{six}");
    // An Xpra outside 3.1-6.x is missing, with what to install.
    let seven = command(&home, &["doctor", "--xpra", fake_xpra().to_str().unwrap()]).env("FAKE_XPRA_VERSION", "v7.0.0").output().unwrap();
    assert!(!seven.status.success());
    let text = stdout(&seven);
    assert!(text.contains("MISSING  xpra: ") && text.contains("is xpra 7.0.0") && text.contains("4.x to 6.x"), "{text}");
}

/// One version for the Rust workspace, the npm package, the Python package (hatch takes the npm
/// package's) and the extension's own constant (it warns when the sidecar's differs), reported
/// by `--version` and `/api/health`.
#[tokio::test]
async fn the_version_is_one_across_the_binary_the_api_and_the_packages() {
    let version = env!("CARGO_PKG_VERSION");
    let package: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../js-extension/package.json")).unwrap()).unwrap();
    assert_eq!(package["version"], version, "js-extension/package.json (and so the Python package) differs from Cargo.toml");
    let pyproject = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../js-extension/pyproject.toml")).unwrap();
    assert!(pyproject.contains("[tool.hatch.version]\nsource = \"nodejs\""), "the Python package no longer takes the npm version");
    let extension = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../js-extension/src/version.ts")).unwrap();
    assert!(extension.contains(&format!("export const EXTENSION_VERSION = '{version}';")), "js-extension/src/version.ts differs");

    let home = TestHome::new();
    assert_eq!(succeeded(&cli(&home, &["--version"])).trim(), format!("firefox-launcher {version}"));
    let server = support::fake_server(&home, "", &[]).await;
    let health = server.client.request(hyper::Method::GET, "/api/health", &[], None).await.unwrap();
    let health: fl_api::Health = serde_json::from_slice(health.body()).unwrap();
    assert_eq!(health.version, version);
}
