//! REST handlers, one file each. Each opens with what it requires and what it changes.

pub(crate) mod create_session;
pub(crate) mod delete_session;
pub(crate) mod get_session;
pub(crate) mod health;
pub(crate) mod list_downloads;
pub(crate) mod list_sessions;
pub(crate) mod metrics;

use crate::error::ApiError;

/// The API takes small JSON bodies only (the proxy streams and is not limited by this).
pub(crate) const BODY_LIMIT: usize = 16 * 1024;

/// Parses the `{port}` of a route. Ports are integers, never path text.
pub(crate) fn parse_port(raw: &str) -> Result<u16, ApiError> {
    match raw.parse::<u16>() {
        Ok(port) if port > 0 => Ok(port),
        _ => Err(ApiError::InvalidPort(raw.chars().take(32).collect())),
    }
}
