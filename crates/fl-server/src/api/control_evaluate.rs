//! `POST /api/sessions/{port}/evaluate`, body `{"source": "document.title"}`: runs JavaScript in
//! the session's page and answers `{"value": <JSON>, "world": "page"|"isolated"}`; a promise is
//! awaited; an exception is a 422 with its message. Only the session's owner reaches this (the
//! API's token), and it is their browser.

use axum::Json;
use axum::extract::{Path, State};
use fl_api::{EvaluateRequest, EvaluateResult};

use crate::control::{ANSWER, answer_as, ask};
use super::body::JsonBody;
use crate::error::ApiError;
use crate::state::AppState;

pub(crate) async fn evaluate(
    State(state): State<AppState>,
    Path(port): Path<String>,
    JsonBody(request): JsonBody<EvaluateRequest>,
) -> Result<Json<EvaluateResult>, ApiError> {
    let port = super::parse_port(&port)?;
    let mut params = serde_json::Map::new();
    params.insert("source".into(), request.source.into());
    let value = ask(&state, port, "evaluate", params, ANSWER).await?;
    Ok(Json(answer_as(port, "evaluate", value)?))
}
