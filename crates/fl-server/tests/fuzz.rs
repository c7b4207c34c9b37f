//! Random requests (paths, methods, headers, bodies) against `app(state)`: no panic, and bad input
//! only ever gets a 4xx with a JSON error. Deterministic: a fixed-seed xorshift generator.

use axum::body::Body;
use axum::http::Request;
use fl_server::{AppState, StateOptions, app};
use http_body_util::BodyExt;
use tower::ServiceExt;

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[(self.next() % items.len() as u64) as usize]
    }
    fn bytes(&mut self, max: usize) -> Vec<u8> {
        let n = (self.next() % (max as u64 + 1)) as usize;
        (0..n).map(|_| self.next() as u8).collect()
    }
}

const SEGMENTS: &[&str] = &[
    "api", "sessions", "health", "metrics", "0", "1", "65535", "65536", "-1", "..", ".", "%2e%2e", "%2F", "a b",
    "x", "12ab", "99999999999999999999", "%00", "index.html", "", "ünï", "token=x", "{port}", "*",
];
const METHODS: &[&str] = &["GET", "POST", "DELETE", "PUT", "PATCH", "HEAD", "OPTIONS"];
const CONTENT_TYPES: &[&str] = &["application/json", "text/plain", "application/x-www-form-urlencoded", "", "application/json; charset=x"];
const BODIES: &[&str] = &["", "{}", "{\"url\":null}", "{\"url\":\"https://a\"}", "{\"url\":1}", "[]", "null", "{\"url\":\"file:///\"}", "{\"x\":", "\"\""];

const ROUTES: &[&str] = &["/api/sessions", "/api/health", "/api/sessions/1", "/sessions/1/", "/metrics", "/"];

fn request(rng: &mut Rng, token: &str) -> Request<Body> {
    let mut path = String::new();
    if rng.next().is_multiple_of(3) {
        path.push_str(rng.pick(ROUTES));
    } else {
        for _ in 0..1 + rng.next() % 4 {
            path.push('/');
            path.push_str(rng.pick(SEGMENTS));
        }
    }
    if rng.next().is_multiple_of(3) {
        path.push_str(&format!("?{}={}", rng.pick(SEGMENTS), rng.pick(SEGMENTS)));
    }
    let path: String = path.chars().filter(|c| !c.is_whitespace()).collect();
    let mut builder = Request::builder().method(rng.pick(METHODS)).uri(path.replace(['{', '}', 'ü', 'ï', 'n'], "n"));
    let content_type = rng.pick(CONTENT_TYPES);
    if !content_type.is_empty() {
        builder = builder.header("content-type", content_type);
    }
    match rng.next() % 4 {
        0 => builder = builder.header("authorization", format!("token {token}")),
        1 => builder = builder.header("authorization", String::from_utf8_lossy(&rng.bytes(40)).replace(|c: char| !c.is_ascii_graphic(), "x")),
        2 => builder = builder.header("cookie", format!("firefox_launcher_token={}", rng.next())),
        _ => {}
    }
    if rng.next().is_multiple_of(4) {
        builder = builder.header("origin", rng.pick(&["http://evil.example", "null", "http://localhost"]));
    }
    let body = if rng.next().is_multiple_of(5) { rng.bytes(64) } else { rng.pick(BODIES).as_bytes().to_vec() };
    builder.body(Body::from(body)).unwrap()
}

#[tokio::test]
async fn random_requests_never_panic_and_bad_input_is_always_a_4xx() {
    let tmp = tempfile::tempdir().unwrap();
    let base = fl_sys::BaseDir::open_private(tmp.path(), "sessions").unwrap();
    let mut session = fl_session::SessionConfig::with_defaults();
    session.xpra = "/bin/true".into();
    session.firefox = "/bin/true".into();
    // As if /bin/true had said it is Debian's xpra, so a valid create reaches the session limit.
    let _ = session.xpra_version.set(fl_session::XpraVersion { major: 3, minor: 1, patch: 3 });
    // No session may start: a valid create gets 429, so every answer below must be a 2xx or 4xx.
    let options = StateOptions {
        token: Some("fuzz-token".into()),
        idle_timeout: std::time::Duration::ZERO,
        max_sessions: 0,
        ..StateOptions::with_defaults(session, tmp.path())
    };
    let state = AppState::new(options, base);
    let router = app(state);
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let mut seen = std::collections::BTreeMap::new();
    for _ in 0..3000 {
        let request = request(&mut rng, "fuzz-token");
        let described = format!("{} {}", request.method(), request.uri());
        let is_head = request.method() == axum::http::Method::HEAD;
        let response = router.clone().oneshot(request).await.unwrap();
        let status = response.status();
        *seen.entry(status.as_u16()).or_insert(0) += 1;
        assert!(!status.is_server_error(), "{described} -> {status}");
        if status.is_client_error() && !is_head {
            let body = response.into_body().collect().await.unwrap().to_bytes();
            let json: serde_json::Value = serde_json::from_slice(&body).unwrap_or_else(|_| panic!("{described}: not JSON: {body:?}"));
            assert!(json["error"].is_string() && json["code"].is_string(), "{described}: {json}");
        }
    }
    // The generator must have reached the interesting answers, or it tested little.
    for status in [200, 400, 401, 403, 404, 405, 415, 429] {
        assert!(seen.contains_key(&status), "never saw {status}: {seen:?}");
    }
}
