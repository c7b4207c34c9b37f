//! `POST /api/sessions/{port}/evaluate`, body `{"source": "document.title"}`: runs JavaScript in
//! the session's page and answers `{"value": <JSON>, "world": "page"|"isolated"}`; a promise is
//! awaited; an exception is a 422 with its message. Only the session's owner reaches this (the
//! API's token), and it is their browser.

use axum::Json;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, State};
use bytes::Bytes;
use fl_api::{EvaluateRequest, EvaluateResult};

use crate::control::{ANSWER, answer_as, ask, parse_body};
use crate::error::ApiError;
use crate::state::AppState;

pub(crate) async fn evaluate(
    State(state): State<AppState>,
    Path(port): Path<String>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<EvaluateResult>, ApiError> {
    let port = super::parse_port(&port)?;
    let body = body.map_err(|_| ApiError::BodyTooLarge(super::BODY_LIMIT))?;
    let request: EvaluateRequest = parse_body(&body)?;
    let mut params = serde_json::Map::new();
    params.insert("source".into(), request.source.into());
    let value = ask(&state, port, "evaluate", params, ANSWER).await?;
    Ok(Json(answer_as(port, "evaluate", value)?))
}
