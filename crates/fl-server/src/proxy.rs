//! `/sessions/{port}/...`: the client page (served by [`crate::page`]) and the websocket to that
//! session's Xpra.
//!
//! Only websocket upgrades (a GET with `Upgrade: websocket`) are forwarded: Xpra's own HTTP server (its unpatched client, its
//! headers) is never reached through us. The route only names a port; where the traffic goes is
//! the session's own upstream (a unix socket in its 0700 directory), looked up in the map. Nothing
//! from the request picks a host or a socket. Redirects we issue are relative, so the service
//! works under any path prefix, such as jupyter-server-proxy's `<base_url>/firefox-launcher/`.

use axum::body::Body;
use axum::extract::{Path, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::auth::split_credentials;
use crate::error::ApiError;
use crate::state::AppState;

/// Headers that belong to one hop and must not be forwarded (RFC 9110 §7.6.1).
const HOP_BY_HOP: [header::HeaderName; 7] = [
    header::CONNECTION,
    header::PROXY_AUTHENTICATE,
    header::PROXY_AUTHORIZATION,
    header::TE,
    header::TRAILER,
    header::TRANSFER_ENCODING,
    header::UPGRADE,
];

/// `/sessions/{port}` → `{port}/`, relative so any prefix is kept.
pub(crate) async fn add_slash(Path(port): Path<String>) -> Result<Response, ApiError> {
    let port = crate::api::parse_port(&port)?;
    let location = HeaderValue::from_str(&format!("{port}/")).expect("digits and a slash");
    Ok((StatusCode::PERMANENT_REDIRECT, [(header::LOCATION, location)]).into_response())
}

/// Everything under `/sessions/{port}/`. The rest of the path is taken raw from the URI (not
/// percent-decoded) so it reaches Xpra exactly as the browser sent it.
pub(crate) async fn proxy(state: State<AppState>, request: Request) -> Result<Response, ApiError> {
    let path = request.uri().path();
    let (port, rest) = path
        .strip_prefix("/sessions/")
        .and_then(|p| p.split_once('/'))
        .ok_or_else(|| ApiError::BadRequest(format!("not a session path: {}", path.chars().take(80).collect::<String>())))?;
    let (port, rest) = (crate::api::parse_port(port)?, rest.to_owned());
    if let Some(upgrade) = request.headers().get(header::UPGRADE) {
        // Nothing but a websocket goes to Xpra: another method or protocol would reach its own
        // HTTP server through us.
        if request.method() != axum::http::Method::GET || !upgrade.as_bytes().eq_ignore_ascii_case(b"websocket") {
            return Err(ApiError::BadRequest("only a GET with 'Upgrade: websocket' is forwarded as an upgrade".into()));
        }
        return forward(state, port, &rest, request).await;
    }
    crate::page::serve_file(&state, port, &rest, request.method(), request.headers()).await
}

fn strip_hop_by_hop(headers: &mut HeaderMap) {
    if let Some(listed) = headers.get(header::CONNECTION).and_then(|v| v.to_str().ok()).map(str::to_owned) {
        for name in listed.split(',').map(str::trim).filter(|n| !n.is_empty()) {
            headers.remove(name);
        }
    }
    for name in HOP_BY_HOP {
        headers.remove(name);
    }
    headers.remove("keep-alive");
}

/// No credential goes upstream: Xpra needs none (the unix socket is the access control), and a
/// cookie or header that reached it could be echoed into the session. So every `Cookie` and
/// `Authorization` header is dropped, Jupyter's (`_xsrf`, login cookies) as well as ours.
fn strip_credentials(headers: &mut HeaderMap) {
    headers.remove(header::AUTHORIZATION);
    headers.remove(header::PROXY_AUTHORIZATION);
    headers.remove(header::COOKIE);
}

async fn forward(State(state): State<AppState>, port: u16, rest: &str, mut request: Request) -> Result<Response, ApiError> {
    let (upstream, activity) = state.upstream(port)?;
    activity.touch();
    let upgrade = request.headers().get(header::UPGRADE).cloned();
    let client_side = upgrade.as_ref().map(|_| hyper::upgrade::on(&mut request));

    let (mut parts, body) = request.into_parts();
    let query = split_credentials(parts.uri.query().unwrap_or("")).rest;
    let target = if query.is_empty() { format!("/{rest}") } else { format!("/{rest}?{query}") };
    strip_hop_by_hop(&mut parts.headers);
    strip_credentials(&mut parts.headers);
    parts.headers.insert(header::HOST, HeaderValue::from_static("localhost"));
    if let Some(protocol) = &upgrade {
        parts.headers.insert(header::CONNECTION, HeaderValue::from_static("upgrade"));
        parts.headers.insert(header::UPGRADE, protocol.clone());
    }
    let mut outgoing = hyper::Request::builder().method(parts.method).uri(target).version(hyper::Version::HTTP_11);
    *outgoing.headers_mut().expect("fresh builder") = parts.headers;
    let outgoing = outgoing.body(body).map_err(|e| ApiError::BadRequest(format!("cannot forward this request: {e}")))?;

    let mut sender = upstream.connect::<Body>().await.map_err(|source| ApiError::Upstream { port, source })?;
    let mut response = sender.send_request(outgoing).await.map_err(|source| ApiError::ProxyHttp { port, source })?;

    if response.status() == StatusCode::SWITCHING_PROTOCOLS {
        if let Some(client_side) = client_side {
            let upstream_side = hyper::upgrade::on(&mut response);
            let client = crate::activity::ClientGuard::new(activity);
            tokio::spawn(websocket(state.clone(), port, client_side, upstream_side, client));
        }
        let (parts, _) = response.into_parts();
        return Ok(Response::from_parts(parts, Body::empty()));
    }
    let (mut parts, body) = response.into_parts();
    strip_hop_by_hop(&mut parts.headers);
    Ok(Response::from_parts(parts, Body::new(body)))
}

/// Relays the upgraded client and Xpra until either side closes (see [`crate::relay`]).
async fn websocket(
    state: AppState,
    port: u16,
    client: hyper::upgrade::OnUpgrade,
    upstream: hyper::upgrade::OnUpgrade,
    _connected: crate::activity::ClientGuard,
) {
    let (client, upstream) = match tokio::try_join!(client, upstream) {
        Ok(pair) => pair,
        Err(e) => {
            tracing::debug!(port, "websocket upgrade failed: {e}");
            return;
        }
    };
    match crate::relay::relay(client, upstream, state.metrics().websocket()).await {
        Ok((up, down)) => tracing::debug!(port, up, down, "websocket closed"),
        Err(e) => tracing::debug!(port, "websocket ended: {e}"),
    }
}
