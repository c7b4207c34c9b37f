//! The HTTP surface without a socket or a process: `app(state)` driven with `oneshot`.

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use fl_server::{AppState, StateOptions, app};
use http_body_util::BodyExt;
use tower::ServiceExt;

const TOKEN: &str = "s3cret-token";

fn state(token: Option<&str>) -> (AppState, tempfile::TempDir) {
    let tmp = tempfile::tempdir().unwrap();
    let base = fl_sys::BaseDir::open_private(tmp.path(), "sessions").unwrap();
    let mut session = fl_session::SessionConfig::with_defaults();
    session.xpra = "/nonexistent/xpra".into();
    let options = StateOptions {
        token: token.map(str::to_owned),
        idle_timeout: std::time::Duration::ZERO,
        ..StateOptions::with_defaults(session, tmp.path())
    };
    (AppState::new(options, base), tmp)
}

async fn send(state: &AppState, request: Request<Body>) -> (StatusCode, axum::http::HeaderMap, serde_json::Value) {
    let response = app(state.clone()).oneshot(request).await.unwrap();
    let (parts, body) = response.into_parts();
    let bytes = body.collect().await.unwrap().to_bytes();
    let json = serde_json::from_slice(&bytes).unwrap_or(serde_json::Value::Null);
    (parts.status, parts.headers, json)
}

fn get(uri: &str) -> Request<Body> {
    Request::get(uri).body(Body::empty()).unwrap()
}

#[tokio::test]
async fn health_answers_with_version_and_count_and_ignores_cache_busters() {
    let (state, _tmp) = state(None);
    let (status, _, json) = send(&state, get("/api/health?1732540000000")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(json["status"], "ok");
    assert_eq!(json["sessions"], 0);
    assert_eq!(json["version"], env!("CARGO_PKG_VERSION"));
}

#[tokio::test]
async fn root_answers_at_once_without_a_token() {
    let (state, _tmp) = state(Some(TOKEN));
    let response = app(state).oneshot(get("/")).await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
}

#[tokio::test]
async fn bad_json_is_a_400_json_error() {
    let (state, _tmp) = state(None);
    let request = Request::post("/api/sessions").header(header::CONTENT_TYPE, "application/json").body(Body::from("{\"url\":")).unwrap();
    let (status, _, json) = send(&state, request).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(json["code"], "invalid_json");
    assert!(json["error"].as_str().unwrap().starts_with("invalid JSON body"));
}

#[tokio::test]
async fn urls_other_than_web_pages_are_refused() {
    let (state, _tmp) = state(None);
    let request = Request::post("/api/sessions")
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(r#"{"url":"javascript:alert(1)"}"#))
        .unwrap();
    let (status, _, json) = send(&state, request).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(json["code"], "invalid_url");
}

#[tokio::test]
async fn unknown_and_malformed_ports_are_404_and_400() {
    let (state, _tmp) = state(None);
    for (uri, status, code) in [
        ("/api/sessions/4242", StatusCode::NOT_FOUND, "not_found"),
        ("/api/sessions/abc", StatusCode::BAD_REQUEST, "invalid_port"),
        ("/api/sessions/70000", StatusCode::BAD_REQUEST, "invalid_port"),
        ("/api/sessions/0", StatusCode::BAD_REQUEST, "invalid_port"),
        ("/sessions/4242/", StatusCode::NOT_FOUND, "not_found"),
        ("/sessions/..%2F/", StatusCode::BAD_REQUEST, "invalid_port"),
        ("/api/nothing", StatusCode::NOT_FOUND, "no_route"),
        ("/api/sessions/4242/page", StatusCode::NOT_FOUND, "not_found"),
        ("/api/sessions/4242/screenshot", StatusCode::NOT_FOUND, "not_found"),
        ("/api/sessions/x/page", StatusCode::BAD_REQUEST, "invalid_port"),
        ("/api/events?after=soon", StatusCode::BAD_REQUEST, "invalid_request"),
    ] {
        let (got, _, json) = send(&state, get(uri)).await;
        assert_eq!((got, json["code"].as_str().unwrap()), (status, code), "{uri}");
    }
    let delete = Request::delete("/api/sessions/4242").body(Body::empty()).unwrap();
    let (status, _, json) = send(&state, delete).await;
    assert_eq!((status, json["code"].as_str().unwrap()), (StatusCode::NOT_FOUND, "not_found"));
    // An unknown port is a 404 for every control route (with a body each accepts).
    let control = [("/api/sessions/4242/goto", r#"{"url":"https://a/"}"#), ("/api/sessions/4242/evaluate", r#"{"source":"1"}"#)];
    for (path, body) in control.into_iter().chain([("/api/sessions/4242/show", "{}")]) {
        let post = Request::post(path).header(header::CONTENT_TYPE, "application/json").body(Body::from(body)).unwrap();
        let (status, _, json) = send(&state, post).await;
        assert_eq!((status, json["code"].as_str().unwrap()), (StatusCode::NOT_FOUND, "not_found"), "{path}");
    }
    // A new follower of the events gets the id to follow from, at once.
    let (status, _, json) = send(&state, get("/api/events")).await;
    assert_eq!((status, json), (StatusCode::OK, serde_json::json!({"events": [], "last": 0})));
}

#[tokio::test]
async fn a_session_path_without_slash_redirects_relatively() {
    let (state, _tmp) = state(None);
    let (status, headers, _) = send(&state, get("/sessions/4242")).await;
    assert_eq!(status, StatusCode::PERMANENT_REDIRECT);
    assert_eq!(headers[header::LOCATION], "4242/");
}

#[tokio::test]
async fn a_token_is_required_when_configured() {
    let (state, _tmp) = state(Some(TOKEN));
    for uri in ["/api/health", "/api/sessions", "/sessions/4242/"] {
        let (status, _, json) = send(&state, get(uri)).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{uri}");
        assert_eq!(json["code"], "unauthorized");
        assert!(!json["error"].as_str().unwrap().contains(TOKEN));
    }
    for value in [format!("token {TOKEN}"), format!("Bearer {TOKEN}")] {
        let request = Request::get("/api/health").header(header::AUTHORIZATION, value).body(Body::empty()).unwrap();
        assert_eq!(send(&state, request).await.0, StatusCode::OK);
    }
    let wrong = Request::get("/api/health").header(header::AUTHORIZATION, "token nope").body(Body::empty()).unwrap();
    assert_eq!(send(&state, wrong).await.0, StatusCode::UNAUTHORIZED);
    let (status, _, _) = send(&state, get("/api/health?token=nope")).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn a_query_token_sets_a_cookie_and_redirects_without_it() {
    let (state, _tmp) = state(Some(TOKEN));
    let (status, headers, _) = send(&state, get(&format!("/sessions/4242/?token={TOKEN}&x=1"))).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(headers[header::LOCATION], "./?x=1");
    let cookie = headers[header::SET_COOKIE].to_str().unwrap();
    assert!(cookie.contains("HttpOnly"));
    let pair = cookie.split(';').next().unwrap();
    // It opens the session's pages (here: past authentication, to a port with no session), and
    // nothing else (below).
    let request = Request::get("/sessions/4242/").header(header::COOKIE, format!("other=1; {pair}")).body(Body::empty()).unwrap();
    assert_eq!(send(&state, request).await.0, StatusCode::NOT_FOUND);
}

/// The `name=value` pair that `/sessions/4242/?token=T` sets.
async fn session_cookie(state: &AppState) -> String {
    let (status, headers, _) = send(state, get(&format!("/sessions/4242/?token={TOKEN}"))).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let set_cookie = headers[header::SET_COOKIE].to_str().unwrap();
    assert!(set_cookie.contains("HttpOnly"), "{set_cookie}");
    set_cookie.split(';').next().unwrap().to_owned()
}

fn with_cookie(method: &str, uri: &str, cookie: &str) -> Request<Body> {
    Request::builder().method(method).uri(uri).header(header::COOKIE, format!("other=1; {cookie}")).body(Body::empty()).unwrap()
}

// Browsers send 127.0.0.1 cookies to every local port: the cookie must not be the token, and
// must not open the API.
#[tokio::test]
async fn the_session_cookie_is_not_the_token_and_opens_sessions_only() {
    let (state, _tmp) = state(Some(TOKEN));
    let pair = session_cookie(&state).await;
    let (_, value) = pair.split_once('=').unwrap();
    assert!(!value.is_empty() && !value.contains(TOKEN), "the cookie carries the token");
    // Sessions: past authentication, to the lookup of a session that does not exist.
    let (status, _, json) = send(&state, with_cookie("GET", "/sessions/4242/", &pair)).await;
    assert_eq!((status, json["code"].as_str()), (StatusCode::NOT_FOUND, Some("not_found")));
    // Control: without it, the same request is refused.
    assert_eq!(send(&state, get("/sessions/4242/")).await.0, StatusCode::UNAUTHORIZED);
    // The API and the metrics: refused.
    for (method, uri) in [("GET", "/api/sessions"), ("GET", "/api/health"), ("GET", "/metrics"), ("DELETE", "/api/sessions/4242")] {
        let (status, _, json) = send(&state, with_cookie(method, uri, &pair)).await;
        assert_eq!((status, json["code"].as_str()), (StatusCode::UNAUTHORIZED, Some("unauthorized")), "{method} {uri}");
    }
}

#[tokio::test]
async fn the_token_itself_as_a_cookie_opens_nothing() {
    let (state, _tmp) = state(Some(TOKEN));
    let name = session_cookie(&state).await.split_once('=').unwrap().0.to_owned();
    for cookie in [format!("{name}={TOKEN}"), format!("firefox_launcher_token={TOKEN}")] {
        for uri in ["/api/sessions", "/sessions/4242/"] {
            assert_eq!(send(&state, with_cookie("GET", uri, &cookie)).await.0, StatusCode::UNAUTHORIZED, "{cookie} on {uri}");
        }
    }
    // Control: the header opens the API.
    assert_eq!(send(&state, authed("GET", "/api/sessions").body(Body::empty()).unwrap()).await.0, StatusCode::OK);
}

#[tokio::test]
async fn a_query_token_off_the_session_routes_opens_its_one_request_and_sets_no_cookie() {
    let (state, _tmp) = state(Some(TOKEN));
    for uri in [format!("/api/sessions?token={TOKEN}"), format!("/metrics?token={TOKEN}")] {
        let (status, headers, _) = send(&state, get(&uri)).await;
        assert_eq!(status, StatusCode::OK, "{uri}");
        assert!(headers.get(header::SET_COOKIE).is_none(), "{uri} set a cookie");
    }
}

fn authed(method: &str, uri: &str) -> axum::http::request::Builder {
    Request::builder().method(method).uri(uri).header(header::AUTHORIZATION, format!("token {TOKEN}"))
}

#[tokio::test]
async fn a_web_page_cannot_drive_the_api() {
    let (state, _tmp) = state(Some(TOKEN));
    // A cross-site fetch or form, even one that somehow carries the token.
    let control = [("POST", "/api/sessions/4242/goto"), ("POST", "/api/sessions/4242/evaluate")];
    for (method, uri) in [("POST", "/api/sessions"), ("DELETE", "/api/sessions/4242")].into_iter().chain(control) {
        let request = authed(method, uri)
            .header(header::HOST, "127.0.0.1:8888")
            .header(header::ORIGIN, "https://evil.example")
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from("{}"))
            .unwrap();
        let (status, _, json) = send(&state, request).await;
        assert_eq!((status, json["code"].as_str().unwrap()), (StatusCode::FORBIDDEN, "cross_origin"), "{method} {uri}");
    }
    // A cross-site websocket to a session.
    let upgrade = authed("GET", "/sessions/4242/")
        .header(header::HOST, "127.0.0.1:8888")
        .header(header::ORIGIN, "http://evil.example")
        .header(header::UPGRADE, "websocket")
        .body(Body::empty())
        .unwrap();
    assert_eq!(send(&state, upgrade).await.0, StatusCode::FORBIDDEN);
    // An HTML form can only send form or text bodies.
    for content_type in ["application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "text/plain"] {
        let form = authed("POST", "/api/sessions").header(header::CONTENT_TYPE, content_type).body(Body::from("url=x")).unwrap();
        let (status, _, json) = send(&state, form).await;
        assert_eq!((status, json["code"].as_str().unwrap()), (StatusCode::UNSUPPORTED_MEDIA_TYPE, "not_json"));
    }
    // Same-origin requests pass the guard (and here reach the session limit check).
    let same = authed("DELETE", "/api/sessions/4242")
        .header(header::HOST, "127.0.0.1:8888")
        .header(header::ORIGIN, "http://127.0.0.1:8888")
        .body(Body::empty())
        .unwrap();
    assert_eq!(send(&state, same).await.0, StatusCode::NOT_FOUND);
}

/// The API's body limit as the README states it (16 KiB); `fl_server`'s constant is private.
const BODY_LIMIT: usize = 16 * 1024;

/// A valid create request padded with whitespace (valid JSON) to exactly `len` bytes.
fn create_body(len: usize) -> Vec<u8> {
    let mut body = br#"{"url":"about:blank"}"#.to_vec();
    body.resize(len, b' ');
    body
}

async fn post_body(state: &AppState, body: Vec<u8>) -> (StatusCode, serde_json::Value) {
    let request = Request::post("/api/sessions").header(header::CONTENT_TYPE, "application/json").body(Body::from(body)).unwrap();
    let (status, _, json) = send(state, request).await;
    (status, json)
}

#[tokio::test]
async fn oversized_bodies_are_refused() {
    let (state, _tmp) = state(None);
    // One byte over the limit: refused before it is parsed.
    let (status, json) = post_body(&state, create_body(BODY_LIMIT + 1)).await;
    assert_eq!((status, json["code"].as_str()), (StatusCode::PAYLOAD_TOO_LARGE, Some("body_too_large")), "{json}");
    // Far over it, too.
    let (status, json) = post_body(&state, create_body(64 * 1024)).await;
    assert_eq!((status, json["code"].as_str()), (StatusCode::PAYLOAD_TOO_LARGE, Some("body_too_large")), "{json}");
}

#[tokio::test]
async fn a_body_of_exactly_the_limit_is_accepted() {
    let (state, _tmp) = state(None);
    // It gets past the limit and is parsed; the start itself then fails (xpra is
    // /nonexistent/xpra here), which is not the limit's business.
    let (status, json) = post_body(&state, create_body(BODY_LIMIT)).await;
    assert_ne!(status, StatusCode::PAYLOAD_TOO_LARGE, "{json}");
    assert_ne!(json["code"], "body_too_large", "{json}");
    assert_ne!(json["code"], "invalid_json", "{json}");
}

#[tokio::test]
async fn the_proxy_only_reaches_known_sessions() {
    let (state, _tmp) = state(None);
    // Something listening on a port that is not a session's: the proxy must not connect to it.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let port = listener.local_addr().unwrap().port();
    for uri in [format!("/sessions/{port}/"), format!("/sessions/{port}/http://127.0.0.1:{port}/"), format!("/sessions/{port}/..%2F..%2F")] {
        let (status, _, json) = send(&state, get(&uri)).await;
        assert_eq!((status, json["code"].as_str().unwrap()), (StatusCode::NOT_FOUND, "not_found"), "{uri}");
    }
    assert!(listener.accept().is_err(), "the proxy connected to a port that is no session");
}

/// A downloads folder must be absolute and outside the service's home, also through a symlink;
/// a good one is made (0700) and passes (the start then fails only for the missing xpra).
#[tokio::test]
async fn a_downloads_folder_inside_the_service_or_relative_is_refused() {
    let (state, tmp) = state(None);
    let body = |dir: &std::path::Path| format!(r#"{{"downloads":{}}}"#, serde_json::to_string(dir.to_str().unwrap()).unwrap()).into_bytes();
    let into_sessions = tmp.path().join("innocent-looking");
    std::os::unix::fs::symlink(tmp.path().join("sessions"), &into_sessions).unwrap();
    for (bad, why) in [
        (tmp.path().join("sessions/x"), "inside"),
        (into_sessions.clone(), "inside"),
        (tmp.path().join("profile/dl"), "inside"),
        (std::path::PathBuf::from("relative/dir"), "absolute"),
        (tmp.path().join("a/../sessions"), "'..'"),
    ] {
        let (status, json) = post_body(&state, body(&bad)).await;
        assert_eq!((status, json["code"].as_str()), (StatusCode::BAD_REQUEST, Some("invalid_request")), "{bad:?}: {json}");
        assert!(json["error"].as_str().unwrap().contains(why), "{bad:?}: {json}");
    }
    assert!(!tmp.path().join("sessions/x").exists() && !tmp.path().join("profile").exists(), "a refused folder was made");

    let good = tmp.path().join("elsewhere/Downloads");
    let (status, json) = post_body(&state, body(&good)).await;
    assert_eq!(json["code"], "missing_binary", "{status}: {json}");
    let mode = std::os::unix::fs::PermissionsExt::mode(&std::fs::metadata(&good).unwrap().permissions());
    assert_eq!(mode & 0o777, 0o700);
}

#[tokio::test]
async fn every_answer_is_data_that_no_browser_sniffs_or_runs() {
    let (state, _tmp) = state(Some(TOKEN));
    let requests = [
        authed("GET", "/api/health").body(Body::empty()).unwrap(),
        authed("GET", "/api/sessions").body(Body::empty()).unwrap(),
        authed("GET", "/api/sessions/4242").body(Body::empty()).unwrap(),
        authed("GET", "/api/sessions/4242/screenshot").body(Body::empty()).unwrap(),
        authed("GET", "/nowhere").body(Body::empty()).unwrap(),
        get("/api/sessions"),
        get("/"),
    ];
    for request in requests {
        let uri = request.uri().to_string();
        let (status, headers, _) = send(&state, request).await;
        assert_eq!(headers.get(header::X_CONTENT_TYPE_OPTIONS).map(|v| v.to_str().unwrap()), Some("nosniff"), "{uri} ({status})");
        let csp = headers.get(header::CONTENT_SECURITY_POLICY).map(|v| v.to_str().unwrap());
        assert_eq!(csp, Some("default-src 'none'"), "{uri} ({status})");
        assert_eq!(headers.get("cross-origin-resource-policy").map(|v| v.to_str().unwrap()), Some("same-origin"), "{uri} ({status})");
    }
    // Session pages keep their own policy (the client's), with nosniff too.
    let (_, headers, _) = send(&state, get("/sessions/4242/")).await;
    assert_eq!(headers[header::X_CONTENT_TYPE_OPTIONS], "nosniff");
    assert_eq!(headers.get_all(header::CONTENT_SECURITY_POLICY).iter().count(), 1);
}

#[tokio::test]
async fn only_a_get_websocket_upgrade_is_forwarded_as_one() {
    let (state, _tmp) = state(None);
    let upgrade = |method: &str, protocol: &str| {
        Request::builder().method(method).uri("/sessions/4242/").header(header::UPGRADE, protocol).header(header::CONNECTION, "upgrade").body(Body::empty()).unwrap()
    };
    for (method, protocol) in [("POST", "websocket"), ("PUT", "websocket"), ("GET", "h2c"), ("GET", "tls/1.2")] {
        let (status, _, json) = send(&state, upgrade(method, protocol)).await;
        assert_eq!((status, json["code"].as_str()), (StatusCode::BAD_REQUEST, Some("bad_request")), "{method} with Upgrade: {protocol}");
    }
    // Control: a GET websocket upgrade goes on to the proxy, which knows no session 4242.
    for protocol in ["websocket", "WebSocket"] {
        let (status, _, json) = send(&state, upgrade("GET", protocol)).await;
        assert_eq!((status, json["code"].as_str()), (StatusCode::NOT_FOUND, Some("not_found")), "GET with Upgrade: {protocol}");
    }
}
