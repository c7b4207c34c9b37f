//! `POST /api/sessions/{port}/goto`, body `{"url": "https://..."}`: loads the URL in the session's
//! tab and answers with its URL and title once it has loaded (422 when loading failed). The URL
//! passes the same check as a new session's.

use axum::Json;
use axum::extract::{Path, State};
use fl_api::{GotoRequest, PageInfo};

use crate::control::{LOAD, answer_as, ask};
use super::body::JsonBody;
use crate::error::ApiError;
use crate::state::AppState;

pub(crate) async fn goto(
    State(state): State<AppState>,
    Path(port): Path<String>,
    JsonBody(request): JsonBody<GotoRequest>,
) -> Result<Json<PageInfo>, ApiError> {
    let port = super::parse_port(&port)?;
    let url = super::validate_url(request.url)?;
    let mut params = serde_json::Map::new();
    params.insert("url".into(), url.into());
    let value = ask(&state, port, "goto", params, LOAD).await?;
    Ok(Json(answer_as(port, "goto", value)?))
}
