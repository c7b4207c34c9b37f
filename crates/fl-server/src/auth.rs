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
//! - `?key=<K>` on `/sessions/PORT/` opens that one session, and sets a cookie holding the key
//!   the same way (see [`crate::credentials`]): the link `firefox-launcher start` prints.
//! - The token itself as a cookie opens nothing.
//!
//! The token and the cookie are never logged or echoed.

use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::credentials::{same, session_key};
use crate::error::ApiError;
use crate::state::AppState;

pub(crate) const COOKIE_NAME: &str = "firefox_launcher_session";
/// The cookie that holds one session's key; browsers keep it for that session's path only.
pub(crate) const KEY_COOKIE_NAME: &str = "firefox_launcher_key";

fn header_token(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    (scheme.eq_ignore_ascii_case("token") || scheme.eq_ignore_ascii_case("bearer")).then(|| token.trim())
}

fn cookie_values<'a>(headers: &'a HeaderMap, wanted: &'a str) -> impl Iterator<Item = &'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .filter(move |(name, _)| *name == wanted)
        .map(|(_, value)| value)
}

/// A query's credentials (`token`, `key`), taken out of it, and the other parameters.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct QueryCredentials<'a> {
    pub token: Option<&'a str>,
    pub key: Option<&'a str>,
    pub rest: String,
}

pub(crate) fn split_credentials(query: &str) -> QueryCredentials<'_> {
    let mut found = QueryCredentials::default();
    let mut rest = Vec::new();
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        match (pair.strip_prefix("token="), pair.strip_prefix("key=")) {
            (Some(token), _) => found.token = Some(token),
            (_, Some(key)) => found.key = Some(key),
            _ => rest.push(pair),
        }
    }
    found.rest = rest.join("&");
    found
}

/// The port of a route a browser opens (`/sessions/PORT...`), where the session cookie counts,
/// `?token=` sets it and a session key opens that port. `Some(None)`: a session route whose port
/// is not a number (the handler answers that).
fn session_route(path: &str) -> Option<Option<u16>> {
    let rest = path.strip_prefix("/sessions/")?;
    Some(rest.split('/').next().and_then(|p| p.parse().ok()))
}

pub(crate) async fn require_token(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let Some(token) = state.options().token.as_deref() else {
        return next.run(request).await;
    };
    let headers = request.headers();
    if header_token(headers).is_some_and(|t| same(t, token)) {
        return next.run(request).await;
    }
    let query = split_credentials(request.uri().query().unwrap_or(""));
    let Some(port) = session_route(request.uri().path()) else {
        return match query.token.is_some_and(|t| same(t, token)) {
            true => next.run(request).await,
            false => ApiError::Unauthorized.into_response(),
        };
    };
    let cookie = state.inner.session_cookie.as_deref().expect("derived whenever a token is set");
    if cookie_values(headers, COOKIE_NAME).any(|v| same(v, cookie)) {
        return next.run(request).await;
    }
    let key = port.and_then(|port| Some(session_key(token, port, &state.created_at(port)?)));
    if let Some(key) = &key
        && cookie_values(headers, KEY_COOKIE_NAME).any(|v| same(v, key))
    {
        return next.run(request).await;
    }
    let rest = query.rest.clone();
    if query.token.is_some_and(|t| same(t, token)) {
        return trade_for_cookie(request, next, COOKIE_NAME, cookie, &rest).await;
    }
    match key {
        Some(key) if query.key.is_some_and(|k| same(k, &key)) => trade_for_cookie(request, next, KEY_COOKIE_NAME, &key, &rest).await,
        _ => ApiError::Unauthorized.into_response(),
    }
}

/// A session URL opened with a credential in its query: sets the cookie `name`; a GET is
/// redirected to the same URL without the credential, relatively, so any path prefix is kept.
/// The cookie has no `Path`: the browser keeps it for the directory of the URL it was set on
/// (`/sessions/PORT` behind any prefix), which is what a session key may open anyway.
async fn trade_for_cookie(request: Request, next: Next, name: &str, value: &str, rest: &str) -> Response {
    let cookie = format!("{name}={value}; HttpOnly; SameSite=Strict");
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
    fn credentials_are_split_from_other_parameters() {
        let found = split_credentials("token=abc&x=1&key=k");
        assert_eq!(found, QueryCredentials { token: Some("abc"), key: Some("k"), rest: "x=1".to_owned() });
        assert_eq!(split_credentials("1700000000").rest, "1700000000");
        assert_eq!(split_credentials(""), QueryCredentials::default());
    }

    #[test]
    fn session_routes_name_their_port() {
        assert_eq!(session_route("/sessions/41223/"), Some(Some(41223)));
        assert_eq!(session_route("/sessions/41223"), Some(Some(41223)));
        assert_eq!(session_route("/sessions/x/"), Some(None));
        assert_eq!(session_route("/api/sessions/41223"), None);
    }
}
