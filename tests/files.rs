//! Files and the profile, with Debian's real xpra, Xvfb and firefox-esr: a download lands
//! complete in the downloads folder and outlives its session, one cut short by a stop leaves
//! nothing under its name, and the persistent profile remembers a cookie across sessions and a
//! crash, one session at a time.

mod support;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use fl_api::{CreateRequest, Profile, SessionView};
use support::{Server, TestHome, eventually};

/// A loopback HTTP server that answers with `handler(request head)` and records every head.
struct Site {
    port: u16,
    heads: Arc<Mutex<Vec<String>>>,
}

impl Site {
    fn new(handler: impl Fn(&str, &mut std::net::TcpStream) + Send + Sync + 'static) -> Self {
        let listener = std::net::TcpListener::bind(("127.0.0.1", 0)).unwrap();
        let port = listener.local_addr().unwrap().port();
        let heads = Arc::new(Mutex::new(Vec::new()));
        let (seen, handler) = (Arc::clone(&heads), Arc::new(handler));
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let (seen, handler) = (Arc::clone(&seen), Arc::clone(&handler));
                std::thread::spawn(move || {
                    use std::io::Read;
                    let mut stream = stream;
                    let mut head = [0u8; 8192];
                    let n = stream.read(&mut head).unwrap_or(0);
                    let head = String::from_utf8_lossy(&head[..n]).into_owned();
                    seen.lock().unwrap().push(head.clone());
                    handler(&head, &mut stream);
                });
            }
        });
        Self { port, heads }
    }

    fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    /// The heads of the requests for `path` so far.
    fn requests(&self, path: &str) -> Vec<String> {
        let start = format!("GET {path} ");
        self.heads.lock().unwrap().iter().filter(|h| h.starts_with(&start)).cloned().collect()
    }
}

fn answer(stream: &mut std::net::TcpStream, headers: &str, body: &[u8]) {
    use std::io::Write;
    let head = format!("HTTP/1.1 200 OK\r\n{headers}Content-Length: {}\r\nConnection: close\r\n\r\n", body.len());
    let _ = stream.write_all(head.as_bytes()).and_then(|()| stream.write_all(body));
}

fn random_bytes(n: usize) -> Vec<u8> {
    let mut seed = std::process::id() as u64 ^ 0x9E37_79B9_7F4A_7C15;
    (0..n)
        .map(|_| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed as u8
        })
        .collect()
}

async fn session(server: &Server, port: u16) -> SessionView {
    server.client.list().await.unwrap().sessions.into_iter().find(|s| s.port == port).expect("the session is listed")
}

fn persistent(url: String) -> CreateRequest {
    CreateRequest { url: Some(url), profile: Some(Profile::Persistent), ..CreateRequest::default() }
}

#[tokio::test]
async fn a_download_lands_complete_in_the_folder_and_outlives_its_session() {
    let data = Arc::new(random_bytes(300_000));
    let body = Arc::clone(&data);
    let site = Site::new(move |_, stream| {
        answer(stream, "Content-Type: application/octet-stream\r\nContent-Disposition: attachment; filename=\"measurements 2026.bin\"\r\n", &body)
    });
    let home = TestHome::new();
    let server = Server::start(&home, &[], &[]).await;
    let folder = home.path().join("Downloads");
    let started = server.client.start(Some(site.url("/data"))).await.unwrap();
    assert_eq!(started.downloads_dir, folder.display().to_string());
    let mode = std::os::unix::fs::PermissionsExt::mode(&std::fs::metadata(&folder).unwrap().permissions());
    assert_eq!(mode & 0o777, 0o700, "the folder is created private");

    eventually(Duration::from_secs(30), "the download to be listed", || async { !session(&server, started.port).await.downloads.is_empty() }).await;
    let listed = session(&server, started.port).await.downloads;
    let path = folder.join("measurements 2026.bin");
    assert_eq!(listed.len(), 1, "{listed:?}");
    assert_eq!((listed[0].name.as_str(), listed[0].path.as_str(), listed[0].size), ("measurements 2026.bin", path.to_str().unwrap(), 300_000));
    assert!(std::fs::read(&path).unwrap() == *data, "the bytes differ from what the site sent");
    let answer = server.client.request(hyper::Method::GET, &format!("/api/sessions/{}/downloads", started.port), &[], None).await.unwrap();
    let list: fl_api::DownloadList = serde_json::from_slice(answer.body()).unwrap();
    assert_eq!(list.downloads, listed);

    server.stop_leaving_nothing(started.port).await;
    assert!(std::fs::read(&path).unwrap() == *data, "the download went with its session");
    let names: Vec<_> = std::fs::read_dir(&folder).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert_eq!(names.len(), 1, "only the finished file, no .part: {names:?}");
}

#[tokio::test]
async fn a_download_cut_short_by_a_stop_leaves_nothing_under_its_name() {
    let site = Site::new(|_, stream| {
        use std::io::Write;
        let head = "HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\n\
                    Content-Disposition: attachment; filename=\"slow.bin\"\r\nContent-Length: 50000000\r\n\r\n";
        let _ = stream.write_all(head.as_bytes());
        for _ in 0..600 {
            if stream.write_all(&[7u8; 20_000]).is_err() {
                return;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    });
    let home = TestHome::new();
    // SIGKILL at once, as when Firefox hangs past the grace: a SIGTERMed Firefox cleans up its
    // unfinished downloads itself, a killed one leaves its placeholder and `.part` behind.
    let server = Server::start(&home, &["--cleanup-timeout", "0"], &[]).await;
    let started = server.client.start(Some(site.url("/slow"))).await.unwrap();
    let staging = std::path::Path::new(&started.dir).join("downloads");
    let partial = || std::fs::read_dir(&staging).is_ok_and(|d| d.flatten().any(|e| e.file_name().to_string_lossy().ends_with(".part")));
    support::wait_until(Duration::from_secs(30), "Firefox to be downloading", partial).await;

    server.stop_leaving_nothing(started.port).await;
    let folder = home.path().join("Downloads");
    let names: Vec<_> = std::fs::read_dir(&folder).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert!(names.is_empty(), "a download cut short left {names:?} in {}", folder.display());
}

#[tokio::test]
async fn the_persistent_profile_remembers_a_cookie_across_sessions_and_a_crash() {
    let secret = format!("{:x}", u64::from_le_bytes(random_bytes(8).try_into().unwrap()));
    let cookie = format!("fl_test={secret}");
    let set_cookie = format!("Set-Cookie: {cookie}; Max-Age=3600; Path=/\r\nContent-Type: text/html\r\n");
    let site = Site::new(move |head, stream| {
        let headers = if head.starts_with("GET /set ") { set_cookie.as_str() } else { "Content-Type: text/html\r\n" };
        answer(stream, headers, b"<!DOCTYPE html><title>cookie</title>");
    });
    let sent_cookie = |path: &str| site.requests(path).iter().any(|h| h.contains(&cookie));
    let home = TestHome::new();
    let server = Server::start(&home, &[], &[]).await;

    let first = server.client.create(&persistent(site.url("/set"))).await.unwrap();
    assert_eq!(first.profile, Profile::Persistent);
    let profile = home.home().join("profile");
    let mode = std::os::unix::fs::PermissionsExt::mode(&std::fs::metadata(&profile).unwrap().permissions());
    assert_eq!(mode & 0o777, 0o700);
    eventually(Duration::from_secs(20), "the page that sets the cookie", || async { !site.requests("/set").is_empty() }).await;

    // One session at a time on the profile; a temporary one still starts, and has no cookie.
    let refused = server.client.create(&persistent(site.url("/second"))).await.unwrap_err();
    assert_eq!(api_error(refused), (409, "profile_in_use".into(), Some(first.port)));
    let temporary = server.client.start(Some(site.url("/temporary"))).await.unwrap();
    eventually(Duration::from_secs(20), "the temporary session's request", || async { !site.requests("/temporary").is_empty() }).await;
    assert!(!sent_cookie("/temporary"), "a temporary profile sent the persistent profile's cookie");
    server.stop_leaving_nothing(temporary.port).await;

    server.stop_leaving_nothing(first.port).await;
    assert!(profile.join("cookies.sqlite").exists(), "the profile went with its session");
    let second = server.client.create(&persistent(site.url("/check"))).await.unwrap();
    eventually(Duration::from_secs(20), "the next session to send the cookie", || async { sent_cookie("/check") }).await;

    // Firefox killed: the session ends on its own, and the next one opens the profile at once
    // (no "already running" dialog, which would keep the page from loading) with the cookie.
    let firefox: Vec<_> = server.session_processes().into_iter().filter(|p| p.comm.starts_with("firefox")).collect();
    assert!(!firefox.is_empty(), "no Firefox process in the session");
    for p in &firefox {
        fl_sys::signal_process(&p.identity, fl_sys::Signal::SIGKILL).unwrap();
    }
    eventually(Duration::from_secs(20), "the crashed session to end", || async { server.client.list().await.unwrap().sessions.is_empty() }).await;
    assert!(!home.session_dirs().contains(&format!("session-{}", second.port)));
    let third = server.client.create(&persistent(site.url("/after-crash"))).await.unwrap();
    eventually(Duration::from_secs(20), "the session after the crash to send the cookie", || async { sent_cookie("/after-crash") }).await;
    server.stop_leaving_nothing(third.port).await;
}

/// (status, code, port named in the message) of an API error.
fn api_error(e: fl_client::ClientError) -> (u16, String, Option<u16>) {
    match e {
        fl_client::ClientError::Api { status, error, code } => {
            let port = error.split(|c: char| !c.is_ascii_digit()).filter_map(|w| w.parse().ok()).next();
            (status, code, port)
        }
        other => panic!("not an API error: {other}"),
    }
}
