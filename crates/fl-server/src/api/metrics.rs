//! `GET /metrics`: Prometheus text. Requires the token like the API; changes nothing.

use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;

use crate::state::AppState;

pub(crate) async fn metrics(State(state): State<AppState>) -> impl IntoResponse {
    let body = state.inner.metrics.render(state.session_count());
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], body)
}
