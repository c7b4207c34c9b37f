//! The per-service token, when one is configured (`FIREFOX_LAUNCHER_TOKEN`).
//!
//! Accepted as `Authorization: token <T>` or `Bearer <T>` (what jupyter-server-proxy is told to
//! send), or from our HttpOnly cookie. A browser that cannot send a header may pass `?token=<T>`
//! once: a GET is then redirected to the same URL without it, setting the cookie, so the token does
//! not linger in the address bar or reach Xpra. The token is never logged or echoed.

use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::error::ApiError;
use crate::state::AppState;

pub(crate) const COOKIE_NAME: &str = "firefox_launcher_token";

/// Compares in time independent of where the first difference is.
fn same(a: &str, b: &str) -> bool {
    a.len() == b.len() && a.bytes().zip(b.bytes()).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

fn header_token(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    (scheme.eq_ignore_ascii_case("token") || scheme.eq_ignore_ascii_case("bearer")).then(|| token.trim())
}

fn cookie_tokens(headers: &HeaderMap) -> impl Iterator<Item = &str> {
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

pub(crate) async fn require_token(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let Some(expected) = state.options().token.as_deref() else {
        return next.run(request).await;
    };
    let headers = request.headers();
    if header_token(headers).is_some_and(|t| same(t, expected)) || cookie_tokens(headers).any(|t| same(t, expected)) {
        return next.run(request).await;
    }
    let query = request.uri().query().unwrap_or("");
    let (query_token, rest) = split_token(query);
    if !query_token.is_some_and(|t| same(t, expected)) {
        return ApiError::Unauthorized.into_response();
    }
    let cookie = format!("{COOKIE_NAME}={expected}; HttpOnly; SameSite=Strict");
    let cookie = HeaderValue::from_str(&cookie).expect("tokens are checked to be header-safe at start");
    if request.method() == Method::GET {
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
        return response;
    }
    let mut response = next.run(request).await;
    response.headers_mut().append(header::SET_COOKIE, cookie);
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
    fn comparison_is_exact() {
        assert!(same("abc", "abc"));
        assert!(!same("abc", "abd"));
        assert!(!same("abc", "abcd"));
    }
}
