//! `POST /api/sessions`, body empty or `{"url": "https://..."}`: starts a session and answers 201
//! once Firefox is on screen. Adds a map entry (status "starting") for the whole start; a failed
//! start removes it and everything it created.

use axum::Json;
use axum::extract::State;
use axum::extract::rejection::BytesRejection;
use axum::http::StatusCode;
use bytes::Bytes;
use fl_api::{CreateRequest, SessionView};

use crate::error::ApiError;
use crate::state::AppState;

const MAX_URL_LEN: usize = 4096;

pub(crate) async fn create_session(
    State(state): State<AppState>,
    body: Result<Bytes, BytesRejection>,
) -> Result<(StatusCode, Json<SessionView>), ApiError> {
    let body = body.map_err(|_| ApiError::BodyTooLarge(super::BODY_LIMIT))?;
    let request = parse_body(&body)?;
    let url = match request.url {
        Some(url) => validate_url(url)?,
        None => state.options().default_url.clone(),
    };
    let view = crate::supervisor::create(&state, url).await?;
    Ok((StatusCode::CREATED, Json(view)))
}

fn parse_body(body: &[u8]) -> Result<CreateRequest, ApiError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(CreateRequest::default());
    }
    serde_json::from_slice(body).map_err(|e| ApiError::InvalidJson(e.to_string()))
}

/// Firefox gets the URL as one argument; we still only accept what a user would type as a web
/// address, so nothing can smuggle a command-line flag or a `file:`/`javascript:` page.
fn validate_url(url: String) -> Result<String, ApiError> {
    let why = if url.len() > MAX_URL_LEN {
        Some("longer than 4096 bytes")
    } else if !(url.starts_with("https://") || url.starts_with("http://") || url == "about:blank") {
        Some("only http://, https:// and about:blank are allowed")
    } else if url.chars().any(|c| c.is_whitespace() || c.is_control()) {
        Some("whitespace and control characters are not allowed")
    } else {
        None
    };
    match why {
        Some(why) => Err(ApiError::InvalidUrl { url: url.chars().take(200).collect(), why }),
        None => Ok(url),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_bodies_mean_defaults_and_bad_json_is_an_error() {
        assert_eq!(parse_body(b"").unwrap(), CreateRequest::default());
        assert_eq!(parse_body(b" \n").unwrap(), CreateRequest::default());
        assert_eq!(parse_body(b"{}").unwrap(), CreateRequest::default());
        assert!(matches!(parse_body(b"{\"url\":"), Err(ApiError::InvalidJson(_))));
        assert!(matches!(parse_body(b"{\"uri\":\"x\"}"), Err(ApiError::InvalidJson(_))));
    }

    #[test]
    fn only_web_urls_pass() {
        assert!(validate_url("https://example.org/a?b=c".into()).is_ok());
        assert!(validate_url("about:blank".into()).is_ok());
        for bad in ["file:///etc/passwd", "javascript:alert(1)", "-profile /tmp", "https://a b", ""] {
            assert!(validate_url(bad.into()).is_err(), "{bad}");
        }
    }
}
