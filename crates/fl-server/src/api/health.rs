//! `GET /api/health`. Requires nothing but the token; changes nothing.

use axum::Json;
use axum::extract::State;
use fl_api::Health;

use crate::state::AppState;

pub(crate) async fn health(State(state): State<AppState>) -> Json<Health> {
    Json(Health {
        status: "ok".to_owned(),
        version: env!("CARGO_PKG_VERSION").to_owned(),
        sessions: state.session_count(),
        status_by_port: state.status_by_port(),
        warm: state.pooled_ready(),
    })
}
