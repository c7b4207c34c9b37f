//! `GET /api/sessions`: every session of this service, sorted by port. Changes nothing.

use axum::Json;
use axum::extract::State;
use fl_api::SessionList;

use crate::state::AppState;

pub(crate) async fn list_sessions(State(state): State<AppState>) -> Json<SessionList> {
    Json(SessionList { sessions: crate::title::with_titles(state.titles(), state.list()).await })
}
