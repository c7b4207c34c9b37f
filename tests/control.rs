//! Issue 23, the service's half: a session's Firefox driven through the sidecar's API (page,
//! goto, evaluate, screenshot) by way of the control extension and its native host, whose socket
//! is private to the session; on Xpra 3.1.3 and 6.5. Nothing of the channel outlives the session.

mod support;

use std::io::{BufRead, BufReader, Write};
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};

use fl_api::{EvaluateResult, PageInfo, SessionView};
use hyper::Method;
use support::{Server, TestHome, expect_error};

/// A web server on 127.0.0.1 for the test's pages, on a thread that lives as long as the test.
fn pages() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let origin = format!("http://{}", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let mut request = String::new();
            let mut reader = BufReader::new(&stream);
            if reader.read_line(&mut request).is_err() {
                continue;
            }
            let body = match request.split_whitespace().nth(1).unwrap_or("/") {
                "/first" => "<!doctype html><title>First page</title><body style=\"margin:0;background:#00ff00\"><script>var pageVar = 42;</script>",
                "/second" => "<!doctype html><title>Second page</title><body>second</body>",
                "/csp" => "<!doctype html><meta http-equiv=\"Content-Security-Policy\" content=\"script-src 'none'\"><title>Strict page</title><body>strict</body>",
                _ => "<!doctype html><title>Not found</title>",
            };
            let head = format!("HTTP/1.0 200 OK\r\nContent-Type: text/html\r\nContent-Length: {}\r\nConnection: close\r\n\r\n", body.len());
            let _ = (&stream).write_all(head.as_bytes()).and_then(|()| (&stream).write_all(body.as_bytes()));
        }
    });
    origin
}

async fn call(server: &Server, method: Method, path: &str, body: Option<serde_json::Value>) -> hyper::Response<bytes::Bytes> {
    let headers: &[(&str, &str)] = if body.is_some() { &[("content-type", "application/json")] } else { &[] };
    server.client.request(method, path, headers, body.map(|b| b.to_string().into_bytes())).await.unwrap()
}

async fn ok<T: serde::de::DeserializeOwned>(server: &Server, method: Method, path: &str, body: Option<serde_json::Value>) -> T {
    let response = call(server, method, path, body).await;
    assert_eq!(response.status(), 200, "{path}: {}", String::from_utf8_lossy(response.body()));
    serde_json::from_slice(response.body()).unwrap()
}

fn control_socket(session: &SessionView) -> PathBuf {
    Path::new(&session.dir).join("sock/ctl.sock")
}

/// Width and height from a PNG's IHDR chunk, after checking its signature.
fn png_size(png: &[u8]) -> (u32, u32) {
    assert!(png.starts_with(b"\x89PNG\r\n\x1a\n") && &png[12..16] == b"IHDR", "not a PNG");
    let be = |i: usize| u32::from_be_bytes(png[i..i + 4].try_into().unwrap());
    (be(16), be(20))
}

async fn a_session_is_driven_from_code(xpra: &str) {
    let origin = pages();
    let home = TestHome::new();
    let server = Server::start(&home, &["--xpra", xpra, "--audio", "off"], &[]).await;
    let manifest = home.path().join(".mozilla/native-messaging-hosts/firefox_launcher_control.json");
    assert!(manifest.is_file(), "serve wrote no native messaging manifest in its HOME");
    let session = server.client.start(Some(format!("{origin}/first"))).await.unwrap();
    let base = format!("/api/sessions/{}", session.port);

    // The session is ready once Firefox is on screen; its start page then hands over to the URL.
    let mut page: PageInfo = ok(&server, Method::GET, &format!("{base}/page"), None).await;
    let settled = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while (page.loading || page.url != format!("{origin}/first")) && std::time::Instant::now() < settled {
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        page = ok(&server, Method::GET, &format!("{base}/page"), None).await;
    }
    assert_eq!(page, PageInfo { url: format!("{origin}/first"), title: "First page".into(), loading: false });
    let evaluated: EvaluateResult = ok(&server, Method::POST, &format!("{base}/evaluate"), Some(serde_json::json!({"source": "[document.title, window.pageVar]"}))).await;
    assert_eq!(evaluated.value, serde_json::json!(["First page", 42]));
    assert_eq!(evaluated.world, "page");
    let awaited: EvaluateResult = ok(&server, Method::POST, &format!("{base}/evaluate"), Some(serde_json::json!({"source": "new Promise(r => setTimeout(() => r({n: 1}), 50))"}))).await;
    assert_eq!(awaited.value, serde_json::json!({"n": 1}), "a promise is awaited");

    let shot = call(&server, Method::GET, &format!("{base}/screenshot"), None).await;
    assert_eq!(shot.status(), 200, "{}", String::from_utf8_lossy(shot.body()));
    assert_eq!(shot.headers()["content-type"], "image/png");
    let (width, height) = png_size(shot.body());
    assert!(width >= 640 && height >= 400, "a screenshot of {width}x{height}");

    let second: PageInfo = ok(&server, Method::POST, &format!("{base}/goto"), Some(serde_json::json!({"url": format!("{origin}/second")}))).await;
    assert_eq!(second.title, "Second page", "goto answers once the page has loaded");
    // A page whose policy forbids eval: the DOM is still read, in the extension's own world.
    let strict: PageInfo = ok(&server, Method::POST, &format!("{base}/goto"), Some(serde_json::json!({"url": format!("{origin}/csp")}))).await;
    assert_eq!(strict.title, "Strict page");
    let text: EvaluateResult = ok(&server, Method::POST, &format!("{base}/evaluate"), Some(serde_json::json!({"source": "document.body.textContent"}))).await;
    assert_eq!((text.value, text.world.as_str()), (serde_json::json!("strict"), "isolated"));

    // Errors say what failed; bad input is refused before it reaches Firefox.
    let thrown = call(&server, Method::POST, &format!("{base}/evaluate"), Some(serde_json::json!({"source": "throw new Error('no such thing')"}))).await;
    let error = expect_error(&thrown, 422, "control_failed");
    assert!(error.error.contains("no such thing"), "{error:?}");
    let script = call(&server, Method::POST, &format!("{base}/goto"), Some(serde_json::json!({"url": "javascript:alert(1)"}))).await;
    expect_error(&script, 400, "invalid_url");
    let unknown = call(&server, Method::GET, "/api/sessions/9/page", None).await;
    expect_error(&unknown, 404, "not_found");
    let bad = call(&server, Method::POST, &format!("{base}/evaluate"), Some(serde_json::json!({"code": "1"}))).await;
    expect_error(&bad, 400, "invalid_json");

    // The channel: a socket private to the session's owner, its host in the session's group.
    let socket = control_socket(&session);
    let mode = std::fs::metadata(&socket).unwrap().permissions().mode() & 0o777;
    let dir = std::fs::metadata(socket.parent().unwrap()).unwrap();
    assert_eq!((mode & 0o077, dir.permissions().mode() & 0o777, dir.uid()), (0, 0o700, fl_sys::current_uid()));
    let pgid = session.pgid.unwrap();
    let host: Vec<_> = fl_sys::group_members(pgid).into_iter().filter(|p| p.comm == "firefox-launche").collect();
    assert_eq!(host.len(), 1, "one native host in the session's process group: {:?}", fl_sys::group_members(pgid));

    let stopped = server.client.stop(session.port).await.unwrap();
    assert_eq!(stopped.leftovers, 0);
    assert!(!host[0].identity.is_alive(), "the native host outlived its session");
    assert!(!socket.exists());
}

#[tokio::test]
async fn a_session_on_xpra_3_1_is_driven_from_code() {
    a_session_is_driven_from_code("/usr/bin/xpra").await;
}

#[tokio::test]
async fn a_session_on_xpra_6_is_driven_from_code() {
    a_session_is_driven_from_code(&support::xpra6()).await;
}
