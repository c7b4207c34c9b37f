//! `POST /api/sessions/{port}/show`: asks every JupyterLab following `GET /api/events` to open
//! or focus the session's tab. Answers `{"id"}` of the event, or 404.

use axum::Json;
use axum::extract::{Path, State};

use crate::error::ApiError;
use crate::state::AppState;

/// The body (`{}` or nothing) is not looked at (the accept loop has read it: `accept.rs`).
pub(crate) async fn show_session(State(state): State<AppState>, Path(port): Path<String>) -> Result<Json<serde_json::Value>, ApiError> {
    let port = super::parse_port(&port)?;
    let (_, activity) = state.upstream(port)?;
    activity.touch();
    let id = state.events().push("show", port);
    tracing::info!(port, "show asked from code");
    Ok(Json(serde_json::json!({ "id": id })))
}
