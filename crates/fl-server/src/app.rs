//! The HTTP surface as a function of the state, so tests drive it with `oneshot` and no socket.

use axum::Router;
use axum::extract::{DefaultBodyLimit, Request};
use axum::http::{HeaderValue, header};
use axum::middleware::{Next, from_fn, from_fn_with_state};
use axum::response::Response;
use axum::routing::{any, get, post};

use crate::api::{
    control_evaluate, control_goto, control_page, control_screenshot, create_session, delete_session, events, get_session, health,
    list_downloads, list_sessions, metrics, show_session,
};
use crate::state::AppState;
use crate::{auth, guard, page, proxy};

/// Answered at once and without a token: jupyter-server-proxy's readiness probe is any HTTP
/// answer from `/`.
async fn root() -> &'static str {
    "firefox-launcher\n"
}

/// Every answer is data, never a page: titles and file names in the JSON come from web pages, so
/// no browser may sniff one into HTML or run anything in it. Session pages set their own policy
/// (`page::security_headers`), which this leaves alone.
async fn no_sniffing(request: Request, next: Next) -> Response {
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    if !headers.contains_key(header::CONTENT_SECURITY_POLICY) {
        headers.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static("default-src 'none'"));
    }
    // No other site's page may embed an answer (a screenshot as an <img>, say): such requests
    // carry no Origin for the guard to refuse.
    headers.insert(header::HeaderName::from_static("cross-origin-resource-policy"), HeaderValue::from_static("same-origin"));
    response
}

pub fn app(state: AppState) -> Router {
    let protected = Router::new()
        .route("/api/health", get(health::health))
        .route("/metrics", get(metrics::metrics))
        .route("/api/sessions", get(list_sessions::list_sessions).post(create_session::create_session))
        .route("/api/sessions/{port}", get(get_session::get_session).delete(delete_session::delete_session))
        .route("/api/sessions/{port}/downloads", get(list_downloads::list_downloads))
        .route("/api/sessions/{port}/page", get(control_page::page))
        .route("/api/sessions/{port}/goto", post(control_goto::goto))
        .route("/api/sessions/{port}/evaluate", post(control_evaluate::evaluate))
        .route("/api/sessions/{port}/screenshot", get(control_screenshot::screenshot))
        .route("/api/sessions/{port}/show", post(show_session::show_session))
        .route("/api/events", get(events::events))
        .route_layer(from_fn_with_state(state.clone(), auth::require_token));
    // Session pages get the client's CSP on every answer, a refused token's included.
    let sessions = Router::new()
        .route("/sessions/{port}", any(proxy::add_slash))
        .route("/sessions/{port}/", any(proxy::proxy))
        .route("/sessions/{port}/{*rest}", any(proxy::proxy))
        .route_layer(from_fn_with_state(state.clone(), auth::require_token))
        .route_layer(from_fn(page::security_headers));
    Router::new()
        .route("/", get(root))
        .merge(protected)
        .merge(sessions)
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(from_fn(guard::refuse_forgeries))
        .layer(from_fn(no_sniffing))
        .layer(DefaultBodyLimit::max(crate::api::BODY_LIMIT))
        .with_state(state)
}

async fn method_not_allowed(method: axum::http::Method, uri: axum::http::Uri) -> crate::error::ApiError {
    crate::error::ApiError::MethodNotAllowed(format!("{method} {}", uri.path().chars().take(80).collect::<String>()))
}

async fn not_found(uri: axum::http::Uri) -> crate::error::ApiError {
    crate::error::ApiError::NoRoute(uri.path().chars().take(80).collect())
}
