//! `GET /api/sessions/{port}/page`: the URL and title of the session's tab, from Firefox. Changes
//! nothing (but counts as activity).

use axum::Json;
use axum::extract::{Path, State};
use fl_api::PageInfo;

use crate::control::{ANSWER, answer_as, ask};
use crate::error::ApiError;
use crate::state::AppState;

pub(crate) async fn page(State(state): State<AppState>, Path(port): Path<String>) -> Result<Json<PageInfo>, ApiError> {
    let port = super::parse_port(&port)?;
    let value = ask(&state, port, "page", Default::default(), ANSWER).await?;
    Ok(Json(answer_as(port, "page", value)?))
}
