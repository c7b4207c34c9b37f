//! `/sessions/{port}/...` pages: the patched Xpra HTML5 client, served by us, never by Xpra.
//!
//! Only the websocket goes to the session's Xpra ([`crate::proxy`]); every file of the client
//! comes from [`fl_xpra_html5`], which made it safe to run in the user's JupyterLab origin. Every
//! response under `/sessions/` (files, errors, redirects, the websocket's 101) carries its
//! Content-Security-Policy, `nosniff` and `no-referrer`, replacing anything Xpra would say.

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::error::ApiError;
use crate::state::AppState;

/// Serves the file at `rest` of session `port`'s client page.
pub(crate) async fn serve_file(state: &AppState, port: u16, rest: &str, method: &Method, headers: &HeaderMap) -> Result<Response, ApiError> {
    let (_, activity) = state.upstream(port)?;
    activity.touch();
    if !matches!(*method, Method::GET | Method::HEAD) {
        return Err(ApiError::MethodNotAllowed(format!("{method} on the client page of session {port}")));
    }
    let client = state.html5_client().map_err(|e| ApiError::ClientUnavailable(e.to_string()))?;
    // A page that could never connect is refused with the reason, not served as a broken tab.
    if let Some(version) = state.options().session.xpra_version.get().filter(|v| !fl_xpra_html5::speaks_with(v.major)) {
        return Err(ApiError::ClientUnavailable(fl_xpra_html5::cannot_speak_with(&version.to_string())));
    }
    let asset = client.get(rest).ok_or_else(|| ApiError::NoRoute(format!("sessions/{port}/{}", rest.chars().take(80).collect::<String>())))?;
    let etag = HeaderValue::from_str(&asset.etag).expect("hex in quotes");
    let fresh = headers.get(header::IF_NONE_MATCH).is_some_and(|v| v.as_bytes() == asset.etag.as_bytes());
    let (status, body) = match (fresh, method == Method::HEAD) {
        (true, _) => (StatusCode::NOT_MODIFIED, Body::empty()),
        (false, true) => (StatusCode::OK, Body::empty()),
        (false, false) => (StatusCode::OK, Body::from(body(asset.clone()).await?)),
    };
    let mut response = (status, body).into_response();
    let h = response.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(asset.content_type));
    h.insert(header::ETAG, etag);
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    Ok(response)
}

/// A file's bytes; most are read from the package's directory, off the async threads.
async fn body(asset: fl_xpra_html5::Asset) -> Result<bytes::Bytes, ApiError> {
    let unavailable = |e: &dyn std::fmt::Display| ApiError::ClientUnavailable(e.to_string());
    tokio::task::spawn_blocking(move || asset.body()).await.map_err(|e| unavailable(&e))?.map_err(|e| unavailable(&e))
}

/// Puts the client's security headers on every response under `/sessions/`, whatever made it.
pub(crate) async fn security_headers(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    match state.html5_client() {
        Ok(client) => {
            for (name, value) in client.security_headers() {
                set(headers, name, value);
            }
        }
        Err(_) => {
            set(headers, "content-security-policy", fl_xpra_html5::REFUSED_CSP);
            set(headers, "x-content-type-options", "nosniff");
            set(headers, "referrer-policy", "no-referrer");
        }
    }
    response
}

fn set(headers: &mut HeaderMap, name: &'static str, value: &str) {
    if let Ok(value) = HeaderValue::from_str(value) {
        headers.insert(HeaderName::from_static(name), value);
    }
}
