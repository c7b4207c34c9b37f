//! `GET /api/sessions/{port}`: one session, or 404. Changes nothing.

use axum::Json;
use axum::extract::{Path, State};
use fl_api::SessionView;

use crate::error::ApiError;
use crate::state::AppState;

pub(crate) async fn get_session(
    State(state): State<AppState>,
    Path(port): Path<String>,
) -> Result<Json<SessionView>, ApiError> {
    let view = state.get(super::parse_port(&port)?)?;
    Ok(Json(crate::title::with_titles(state.titles(), vec![view]).await.remove(0)))
}
