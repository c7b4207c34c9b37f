//! `GET /api/sessions/{port}/screenshot`: a PNG of what the session's tab shows (its viewport),
//! taken by Firefox. Changes nothing (but counts as activity).

use axum::extract::{Path, State};
use axum::http::header;
use axum::response::IntoResponse;
use base64::Engine;

use crate::control::{ANSWER, answer_as, ask};
use crate::error::ApiError;
use crate::state::AppState;

const PNG_SIGNATURE: &[u8] = b"\x89PNG\r\n\x1a\n";

#[derive(serde::Deserialize)]
struct Capture {
    png: String,
}

pub(crate) async fn screenshot(State(state): State<AppState>, Path(port): Path<String>) -> Result<impl IntoResponse, ApiError> {
    let port = super::parse_port(&port)?;
    let value = ask(&state, port, "screenshot", Default::default(), ANSWER).await?;
    let capture: Capture = answer_as(port, "screenshot", value)?;
    let png = base64::engine::general_purpose::STANDARD.decode(capture.png.as_bytes()).ok().filter(|b| b.starts_with(PNG_SIGNATURE));
    let broken = || ApiError::Control {
        port,
        source: fl_control::ControlError::BadAnswer { op: "screenshot".into(), why: "not a base64 PNG".into() },
    };
    let png = png.ok_or_else(broken)?;
    Ok(([(header::CONTENT_TYPE, "image/png")], png))
}
