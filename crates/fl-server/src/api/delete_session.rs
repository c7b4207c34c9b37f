//! `DELETE /api/sessions/{port}`: stops one session and answers once nothing of it is left
//! (processes, directory, X socket), saying which signal ended it. Touches no other session.

use axum::Json;
use axum::extract::{Path, State};
use fl_api::StopSummary;

use crate::error::ApiError;
use crate::state::AppState;

pub(crate) async fn delete_session(
    State(state): State<AppState>,
    Path(port): Path<String>,
) -> Result<Json<StopSummary>, ApiError> {
    state.stop(super::parse_port(&port)?, "user").await.map(Json)
}
