//! `GET /api/sessions/{port}/downloads`: the session's finished downloads, oldest first, already
//! moved into its downloads folder. Changes nothing.

use axum::Json;
use axum::extract::{Path, State};
use fl_api::DownloadList;

use crate::error::ApiError;
use crate::state::AppState;

pub(crate) async fn list_downloads(
    State(state): State<AppState>,
    Path(port): Path<String>,
) -> Result<Json<DownloadList>, ApiError> {
    let view = state.get(super::parse_port(&port)?)?;
    Ok(Json(DownloadList { downloads: view.downloads }))
}
