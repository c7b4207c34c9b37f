//! `/sessions/{port}/...` when the service serves our own client ([`fl_session_page`]): its
//! embedded files, and `session.json`, what the page must know before it connects (the Xpra
//! version decides the packet encoder it speaks first).

use axum::body::Body;
use axum::extract::Request;
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use fl_session_page::{Page, PageConfig, XpraInfo};

use crate::error::ApiError;
use crate::state::AppState;

/// Serves the file at `rest` of session `port`'s page.
pub(crate) async fn serve_file(state: &AppState, port: u16, rest: &str, method: &Method, headers: &HeaderMap) -> Result<Response, ApiError> {
    let (_, activity) = state.upstream(port)?;
    activity.touch();
    if !matches!(*method, Method::GET | Method::HEAD) {
        return Err(ApiError::MethodNotAllowed(format!("{method} on the page of session {port}")));
    }
    let page = Page::embedded().map_err(|e| ApiError::ClientUnavailable(e.to_string()))?;
    if rest == "session.json" {
        return session_json(state, port);
    }
    let asset = page.get(rest).ok_or_else(|| ApiError::NoRoute(format!("sessions/{port}/{}", rest.chars().take(80).collect::<String>())))?;
    Ok(cached(asset.content_type, &asset.etag, asset.bytes, method, headers))
}

/// A file answered with its validator: 304 when the browser has it, no body for HEAD.
pub(crate) fn cached(content_type: &'static str, etag: &str, bytes: &'static [u8], method: &Method, headers: &HeaderMap) -> Response {
    cached_bytes(content_type, etag, bytes::Bytes::from_static(bytes), method, headers)
}

pub(crate) fn cached_bytes(content_type: &'static str, etag: &str, bytes: bytes::Bytes, method: &Method, headers: &HeaderMap) -> Response {
    let fresh = headers.get(header::IF_NONE_MATCH).is_some_and(|v| v.as_bytes() == etag.as_bytes());
    let (status, body) = match (fresh, method == Method::HEAD) {
        (true, _) => (StatusCode::NOT_MODIFIED, Body::empty()),
        (false, true) => (StatusCode::OK, Body::empty()),
        (false, false) => (StatusCode::OK, Body::from(bytes)),
    };
    let mut response = (status, body).into_response();
    let h = response.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    h.insert(header::ETAG, HeaderValue::from_str(etag).expect("hex in quotes"));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    response
}

fn session_json(state: &AppState, port: u16) -> Result<Response, ApiError> {
    let view = state.get(port)?;
    let version = state.options().session.xpra_version.get().ok_or_else(|| {
        ApiError::ClientUnavailable(format!("the version of {} is not known yet: reload the page of session {port}", state.options().session.xpra.display()))
    })?;
    let clipboard = serde_json::to_value(view.clipboard).ok().and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_else(|| "off".into());
    let info = XpraInfo { version: version.to_string(), major: version.major, minor: version.minor };
    let config = PageConfig::new(info, clipboard, view.audio, &state.options().client_defaults);
    let mut response = axum::Json(config).into_response();
    response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(response)
}

/// Puts the client's security headers on every response under `/sessions/`, whatever made it.
pub(crate) async fn security_headers(request: Request, next: Next) -> Response {
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    set(headers, "content-security-policy", fl_session_page::CONTENT_SECURITY_POLICY);
    set(headers, "x-content-type-options", "nosniff");
    set(headers, "referrer-policy", "no-referrer");
    response
}

fn set(headers: &mut HeaderMap, name: &'static str, value: &str) {
    if let Ok(value) = HeaderValue::from_str(value) {
        headers.insert(HeaderName::from_static(name), value);
    }
}
