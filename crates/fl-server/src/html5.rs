//! `/sessions/{port}/...` pages: the patched Xpra HTML5 client, served by us, never by Xpra.
//!
//! Only the websocket goes to the session's Xpra ([`crate::proxy`]); every file of the client
//! comes from [`fl_xpra_html5`], which made it safe to run in the user's JupyterLab origin. Every
//! response under `/sessions/` (files, errors, redirects, the websocket's 101) carries its
//! Content-Security-Policy, `nosniff` and `no-referrer`, replacing anything Xpra would say.

use axum::http::{HeaderMap, Method};
use axum::response::Response;

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
    let bytes = if method == Method::HEAD { bytes::Bytes::new() } else { body(asset.clone()).await? };
    Ok(crate::page::cached_bytes(asset.content_type, &asset.etag, bytes, method, headers))
}

/// A file's bytes; most are read from the package's directory, off the async threads.
async fn body(asset: fl_xpra_html5::Asset) -> Result<bytes::Bytes, ApiError> {
    let unavailable = |e: &dyn std::fmt::Display| ApiError::ClientUnavailable(e.to_string());
    tokio::task::spawn_blocking(move || asset.body()).await.map_err(|e| unavailable(&e))?.map_err(|e| unavailable(&e))
}
