//! Who may use the service when a token is configured (`FIREFOX_LAUNCHER_TOKEN`).
//!
//! - `/api/` and `/metrics` open only for `Authorization: token <T>` (or `Bearer <T>`): what
//!   jupyter-server-proxy is told to send, and what the CLI sends.
//! - `/sessions/…` also opens for the session cookie. Its value is derived from the token
//!   (HMAC-SHA256 keyed with the token over a fixed label), so holding it is not holding the token.
//!   That matters because browsers send 127.0.0.1 cookies to every port of 127.0.0.1: cookies are
//!   not port-isolated, so any other local server the browser visits sees ours. What it sees shows
//!   a session; it cannot list, start or stop one, and it is not the token.
//! - `?token=<T>` authenticates the one request that carries it. On a `/sessions/` URL (what a
//!   browser opens) it also sets the session cookie: a GET is redirected to the same URL without
//!   it, so the token does not linger in the address bar or reach Xpra. Elsewhere it sets nothing.
//! - The token itself as a cookie opens nothing.
//!
//! The token and the cookie are never logged or echoed.

use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::error::{ApiError, ServeError};
use crate::state::AppState;

pub(crate) const COOKIE_NAME: &str = "firefox_launcher_session";

/// A shorter configured token is refused at start: it could be guessed by anyone on the machine.
pub(crate) const MIN_TOKEN_BYTES: usize = 16;

/// What the session cookie's HMAC is computed over; a new label would make new cookies.
const COOKIE_LABEL: &[u8] = b"firefox-launcher session cookie";

pub(crate) fn check_token_length(token: &str) -> Result<(), ServeError> {
    match token.len() {
        len if len < MIN_TOKEN_BYTES => Err(ServeError::TokenTooShort { len, min: MIN_TOKEN_BYTES }),
        _ => Ok(()),
    }
}

/// The session cookie's value: HMAC-SHA256 keyed with the token over [`COOKIE_LABEL`], in hex.
/// It opens sessions only; without the token it cannot be made, and from it the token cannot be
/// recovered.
pub(crate) fn session_cookie(token: &str) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(token.as_bytes()).expect("HMAC takes keys of any length");
    mac.update(COOKIE_LABEL);
    mac.finalize().into_bytes().iter().map(|b| format!("{b:02x}")).collect()
}

/// Compares in time independent of where the first difference is.
fn same(a: &str, b: &str) -> bool {
    a.len() == b.len() && a.bytes().zip(b.bytes()).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

fn header_token(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    (scheme.eq_ignore_ascii_case("token") || scheme.eq_ignore_ascii_case("bearer")).then(|| token.trim())
}

fn cookie_values(headers: &HeaderMap) -> impl Iterator<Item = &str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .filter(|(name, _)| *name == COOKIE_NAME)
        .map(|(_, value)| value)
}

/// Splits a query into the `token` value and the other parameters.
pub(crate) fn split_token(query: &str) -> (Option<&str>, String) {
    let mut token = None;
    let mut rest = Vec::new();
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        match pair.strip_prefix("token=") {
            Some(value) => token = Some(value),
            None => rest.push(pair),
        }
    }
    (token, rest.join("&"))
}

/// The routes a browser opens, where the session cookie counts and `?token=` sets it.
fn is_session_path(path: &str) -> bool {
    path.starts_with("/sessions/")
}

pub(crate) async fn require_token(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let Some(token) = state.options().token.as_deref() else {
        return next.run(request).await;
    };
    let headers = request.headers();
    if header_token(headers).is_some_and(|t| same(t, token)) {
        return next.run(request).await;
    }
    let sessions = is_session_path(request.uri().path());
    let cookie = state.inner.session_cookie.as_deref().expect("derived whenever a token is set");
    if sessions && cookie_values(headers).any(|v| same(v, cookie)) {
        return next.run(request).await;
    }
    let (query_token, rest) = split_token(request.uri().query().unwrap_or(""));
    match (query_token.is_some_and(|t| same(t, token)), sessions) {
        (false, _) => ApiError::Unauthorized.into_response(),
        (true, false) => next.run(request).await,
        (true, true) => trade_for_cookie(request, next, cookie, &rest).await,
    }
}

/// A session URL opened with `?token=`: sets the session cookie; a GET is redirected to the same
/// URL without the token, relatively, so any path prefix is kept.
async fn trade_for_cookie(request: Request, next: Next, cookie: &str, rest: &str) -> Response {
    let cookie = format!("{COOKIE_NAME}={cookie}; HttpOnly; SameSite=Strict");
    let cookie = HeaderValue::from_str(&cookie).expect("a name and hex digits");
    if request.method() != Method::GET {
        let mut response = next.run(request).await;
        response.headers_mut().append(header::SET_COOKIE, cookie);
        return response;
    }
    let last_segment = request.uri().path().rsplit('/').next().unwrap_or("");
    let location = match (last_segment, rest.is_empty()) {
        ("", true) => "./".to_owned(),
        ("", false) => format!("./?{rest}"),
        (seg, true) => seg.to_owned(),
        (seg, false) => format!("{seg}?{rest}"),
    };
    let mut response = StatusCode::SEE_OTHER.into_response();
    response.headers_mut().insert(header::SET_COOKIE, cookie);
    if let Ok(location) = HeaderValue::from_str(&location) {
        response.headers_mut().insert(header::LOCATION, location);
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_is_split_from_other_parameters() {
        assert_eq!(split_token("token=abc&x=1"), (Some("abc"), "x=1".to_owned()));
        assert_eq!(split_token("1700000000"), (None, "1700000000".to_owned()));
        assert_eq!(split_token(""), (None, String::new()));
    }

    #[test]
    fn the_session_cookie_is_derived_from_the_token_and_is_not_it() {
        let token = "0123456789abcdef0123456789abcdef";
        let cookie = session_cookie(token);
        // Python: hmac.new(token, b"firefox-launcher session cookie", hashlib.sha256).hexdigest()
        assert_eq!(cookie, "cc432f1121695ec6ead4e43477b4889b54b5904c3d442d995036962f02dde56d");
        assert_ne!(cookie, session_cookie("0123456789abcdef0123456789abcdeg"));
    }

    #[test]
    fn tokens_shorter_than_16_bytes_are_refused() {
        assert!(matches!(check_token_length("123456789012345"), Err(ServeError::TokenTooShort { len: 15, min: 16 })));
        assert!(check_token_length("1234567890123456").is_ok());
    }

    #[test]
    fn comparison_is_exact() {
        assert!(same("abc", "abc"));
        assert!(!same("abc", "abd"));
        assert!(!same("abc", "abcd"));
    }
}
