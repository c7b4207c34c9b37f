//! `GET /api/events?after=ID`: the events after `ID`, waiting up to 20 s for one (then an empty
//! list); without `after`, at once, no events and the id to follow from. Changes nothing.

use std::time::Duration;

use axum::Json;
use axum::extract::{Query, State};
use fl_api::EventList;

use crate::error::ApiError;
use crate::state::AppState;

/// Under jupyter-server-proxy's and browsers' own request timeouts.
const LONGEST_WAIT: Duration = Duration::from_secs(20);

#[derive(serde::Deserialize)]
pub(crate) struct After {
    after: Option<String>,
}

pub(crate) async fn events(State(state): State<AppState>, Query(query): Query<After>) -> Result<Json<EventList>, ApiError> {
    let Some(after) = query.after else { return Ok(Json(state.events().now())) };
    let after = after.parse::<u64>().map_err(|_| ApiError::InvalidRequest(format!("after={:?}: expected an event id", after.chars().take(32).collect::<String>())))?;
    let shutdown = state.shutdown_token();
    tokio::select! {
        list = state.events().wait_after(after, LONGEST_WAIT) => Ok(Json(list)),
        () = shutdown.cancelled() => Err(ApiError::ShuttingDown),
    }
}
