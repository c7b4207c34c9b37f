//! The session page under `/sessions/PORT/`: our own client, whose files come from the binary
//! (never from Xpra or the disk), under a CSP that lets no inline code run on every answer;
//! `session.json` tells the page what it must know before it connects; only the websocket
//! reaches Xpra, and no credential reaches it. The fake xpra is enough here: these are the
//! service's promises, not Xpra's.

mod support;

use hyper::{Method, StatusCode};
use support::{TestHome, expect_error, fake_server};

async fn get(server: &support::Server, path: &str) -> hyper::Response<bytes::Bytes> {
    server.client.request(Method::GET, path, &[], None).await.unwrap()
}

/// Our page's policy: scripts, workers, connections and styles from the page's own origin only.
fn assert_own_policy(response: &hyper::Response<bytes::Bytes>) {
    let h = response.headers();
    let csp = h.get("content-security-policy").map(|v| v.to_str().unwrap()).unwrap_or_else(|| panic!("no CSP on {:?}", response.status()));
    assert_eq!(csp, fl_session_page::CONTENT_SECURITY_POLICY);
    assert!(!csp.contains("unsafe") && !csp.contains("sha256") && !csp.contains('*'), "{csp}");
    assert_eq!(h["x-content-type-options"], "nosniff");
    assert_eq!(h["referrer-policy"], "no-referrer");
}

#[tokio::test]
async fn the_page_and_its_modules_are_ours_under_a_policy_without_inline_code() {
    let home = TestHome::new();
    let server = fake_server(&home, "", &[]).await;
    let session = server.client.start(None).await.unwrap();
    let base = format!("/{}", session.path);

    let page = get(&server, &base).await;
    assert_eq!(page.status(), StatusCode::OK, "{}", String::from_utf8_lossy(page.body()));
    assert_eq!(page.headers()["content-type"], "text/html; charset=utf-8");
    let html = String::from_utf8_lossy(page.body()).into_owned();
    assert!(!html.contains("firefox-launcher.js"), "Debian's client was served: {html}");
    assert_own_policy(&page);

    // Every script the page loads is served, as JavaScript, under the same policy; and none is
    // written inline (the policy would block it: the page would be broken, not unsafe).
    let scripts: Vec<&str> = html.split("<script").skip(1).collect();
    assert!(!scripts.is_empty(), "the page loads no script: {html}");
    for tag in scripts {
        let src = tag.split("src=\"").nth(1).and_then(|s| s.split('"').next()).unwrap_or_else(|| panic!("an inline script: <script{tag}"));
        let script = get(&server, &format!("{base}{}", src.trim_start_matches("./"))).await;
        assert_eq!(script.status(), StatusCode::OK, "{src}");
        assert_eq!(script.headers()["content-type"], "text/javascript; charset=utf-8", "{src}");
        assert_own_policy(&script);
        let etag = script.headers()["etag"].to_str().unwrap().to_owned();
        let again = server.client.request(Method::GET, &format!("{base}{}", src.trim_start_matches("./")), &[("if-none-match", &etag)], None).await.unwrap();
        assert_eq!(again.status(), StatusCode::NOT_MODIFIED, "{src} revalidated");
    }

    for path in ["js/Client.js", "connect.html", "../../api/sessions", "index.html/.."] {
        let refused = get(&server, &format!("{base}{path}")).await;
        assert_eq!(refused.status(), StatusCode::NOT_FOUND, "{path}");
        assert_own_policy(&refused);
    }
    let post = server.client.request(Method::POST, &base, &[], Some(b"{}".to_vec())).await.unwrap();
    expect_error(&post, 405, "method_not_allowed");
    assert_own_policy(&post);
    let unknown = get(&server, "/sessions/1/").await;
    expect_error(&unknown, 404, "not_found");
    assert_own_policy(&unknown);
    server.client.stop(session.port).await.unwrap();
}

/// `session.json` follows the Xpra version (hence the encoder the page speaks first), the
/// session's clipboard direction and the service's picture defaults.
#[tokio::test]
async fn session_json_says_version_encoder_clipboard_and_picture_defaults() {
    async fn config(version: &str, extra: &[&str]) -> serde_json::Value {
        let home = TestHome::new();
        let xpra = support::fake_xpra();
        let mut args = vec!["--xpra", xpra.to_str().unwrap(), "--firefox", "/bin/true", "--no-window-check"];
        args.extend_from_slice(extra);
        let state = home.path().to_str().unwrap().to_owned();
        let env = [("FAKE_XPRA_MODE", ""), ("FAKE_XPRA_STATE", state.as_str()), ("FAKE_XPRA_VERSION", version)];
        let server = support::Server::start(&home, &args, &env).await;
        let session = server.client.start(None).await.unwrap();
        let answer = get(&server, &format!("/{}session.json", session.path)).await;
        assert_eq!(answer.status(), StatusCode::OK, "{}", String::from_utf8_lossy(answer.body()));
        assert_eq!(answer.headers()["content-type"], "application/json");
        assert_own_policy(&answer);
        server.client.stop(session.port).await.unwrap();
        serde_json::from_slice(answer.body()).unwrap()
    }

    // By default video is offered from Xpra 4 on, not to 3.1 (`--video auto`); sound where the
    // machine has it (scripts/install-system-deps installs it).
    let old = config("v3.1.3", &[]).await;
    let sound = fl_session::sound::missing().is_none();
    assert_eq!(old, serde_json::json!({"xpra": {"version": "3.1.3", "major": 3, "minor": 1}, "encoder": "rencode",
        "clipboard": "both", "audio": sound, "video": false, "encoding": "auto"}));
    let old_with_video = config("v3.1.3", &["--video"]).await;
    assert_eq!(old_with_video["video"], true);
    let new_default = config("v6.5.5", &[]).await;
    assert_eq!(new_default["video"], true);
    let new = config("v6.5.5", &["--video=false", "--encoding", "webp", "--clipboard", "from-firefox", "--audio", "off"]).await;
    assert_eq!(new, serde_json::json!({"xpra": {"version": "6.5.5", "major": 6, "minor": 5}, "encoder": "rencodeplus",
        "clipboard": "from-firefox", "audio": false, "video": false, "encoding": "webp"}));
}

#[tokio::test]
async fn every_answer_under_sessions_carries_the_csp() {
    let home = TestHome::new();
    let server = fake_server(&home, "", &[]).await;
    let session = server.client.start(None).await.unwrap();
    let base = format!("/{}", session.path);

    let unknown = get(&server, "/sessions/1/").await;
    expect_error(&unknown, 404, "not_found");
    assert_own_policy(&unknown);

    let post = server.client.request(Method::POST, &base, &[], Some(b"{}".to_vec())).await.unwrap();
    expect_error(&post, 405, "method_not_allowed");
    assert_own_policy(&post);

    let no_slash = get(&server, base.trim_end_matches('/')).await;
    assert_eq!(no_slash.status(), StatusCode::PERMANENT_REDIRECT);
    assert_own_policy(&no_slash);

    let stranger = fl_client::Client::new(&server.address, None).unwrap();
    let refused = stranger.request(Method::GET, &base, &[], None).await.unwrap();
    expect_error(&refused, 401, "unauthorized");
    assert_own_policy(&refused);
    server.client.stop(session.port).await.unwrap();
}

#[tokio::test]
async fn no_credential_reaches_xpra() {
    let home = TestHome::new();
    let server = fake_server(&home, "", &[]).await;
    let session = server.client.start(None).await.unwrap();
    let cookies = "_xsrf=2|abc; jupyterhub-session-id=secret1; firefox_launcher_token=secret2; other=1";
    let path = format!("/{}", session.path);
    let upgrade = support::websocket_upgrade(&server, &path, &[("cookie", cookies), ("x-probe", "reached")]).await;
    assert_eq!(upgrade.status(), StatusCode::SWITCHING_PROTOCOLS);
    assert_own_policy(&upgrade);

    let recorded = std::path::Path::new(&session.dir).join("upgrade-headers.json");
    let headers: Vec<(String, String)> = serde_json::from_str(&std::fs::read_to_string(&recorded).unwrap()).unwrap();
    let names: Vec<String> = headers.iter().map(|(k, _)| k.to_lowercase()).collect();
    // Positive control: the fake recorded what it was sent.
    assert!(names.contains(&"x-probe".to_owned()) && names.contains(&"upgrade".to_owned()), "{headers:?}");
    for refused in ["cookie", "authorization", "proxy-authorization"] {
        assert!(!names.contains(&refused.to_owned()), "{refused} reached xpra: {headers:?}");
    }
    let all = format!("{headers:?}");
    for secret in ["secret1", "secret2", "abc"] {
        assert!(!all.contains(secret), "{secret} reached xpra: {all}");
    }
    server.client.stop(session.port).await.unwrap();
}

/// The server half of the picture settings reaches Xpra's command line (the page half is in
/// `session.json`, above).
#[tokio::test]
async fn picture_settings_reach_xpra() {
    async fn argv(extra: &[&str]) -> Vec<String> {
        let home = TestHome::new();
        let server = fake_server(&home, "", extra).await;
        let session = server.client.start(None).await.unwrap();
        let cmdline = std::fs::read(format!("/proc/{}/cmdline", session.pid.unwrap())).unwrap();
        server.client.stop(session.port).await.unwrap();
        cmdline.split(|b| *b == 0).map(|a| String::from_utf8_lossy(a).into_owned()).collect()
    }
    let defaults = argv(&[]).await;
    for flag in ["--quality=0", "--min-quality=30", "--speed=0", "--min-speed=70"] {
        assert!(defaults.iter().any(|a| a == flag), "{flag} not in {defaults:?}");
    }
    let chosen = argv(&["--quality", "80", "--min-speed", "60"]).await;
    for flag in ["--quality=80", "--min-quality=30", "--speed=0", "--min-speed=60"] {
        assert!(chosen.iter().any(|a| a == flag), "{flag} not in {chosen:?}");
    }
}

#[tokio::test]
async fn a_picture_setting_out_of_range_is_refused_at_start() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_firefox-launcher"))
        .args(["serve", "--port", "0", "--quality", "0"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("--quality") && stderr.contains("auto or a number from 1 to 100"), "{stderr}");
}
