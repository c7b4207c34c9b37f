//! The API's way into a session's Firefox (issue 23): the session's control socket, found
//! through the map as the proxy finds its upstream, and one request through `fl-control`.
//! Driving a session counts as using it (the idle reaper leaves it alone).

use std::time::Duration;

use serde_json::{Map, Value};

use crate::error::ApiError;
use crate::state::AppState;

/// How long a request waits for the control socket: Firefox starts the extension's host a
/// moment after the session is ready (0.7-3 s measured).
const CONNECT_WAIT: Duration = Duration::from_secs(15);
/// How long Firefox may take to answer; a page load gets longer.
pub(crate) const ANSWER: Duration = Duration::from_secs(30);
pub(crate) const LOAD: Duration = Duration::from_secs(60);

pub(crate) async fn ask(state: &AppState, port: u16, op: &str, params: Map<String, Value>, timeout: Duration) -> Result<Value, ApiError> {
    let (upstream, activity) = state.upstream(port)?;
    activity.touch();
    let answer = fl_control::request(&upstream.control_socket(), op, params, CONNECT_WAIT, timeout).await;
    activity.touch();
    answer.map_err(|source| ApiError::Control { port, source })
}

/// Reads Firefox's answer as `T`; an answer of another shape is a broken channel.
pub(crate) fn answer_as<T: serde::de::DeserializeOwned>(port: u16, op: &str, value: Value) -> Result<T, ApiError> {
    serde_json::from_value(value).map_err(|e| ApiError::Control {
        port,
        source: fl_control::ControlError::BadAnswer { op: op.to_owned(), why: e.to_string() },
    })
}

