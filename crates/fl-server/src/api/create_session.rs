//! `POST /api/sessions`, body empty or `{"url": "https://...", "profile": "persistent",
//! "clipboard": "to-firefox", "audio": false, "downloads": "/abs/dir"}`: starts a session and answers 201 once
//! Firefox is on screen. Adds a map entry (status "starting") for the whole start; a failed start
//! removes it and everything it created. The downloads folder is created (0700) if missing.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use std::path::{Component, Path, PathBuf};

use fl_api::{CreateRequest, Profile, SessionView};
use fl_session::SessionOptions;

use super::body::JsonBody;
use crate::error::ApiError;
use crate::state::AppState;

pub(crate) async fn create_session(
    State(state): State<AppState>,
    JsonBody(request): JsonBody<CreateRequest>,
) -> Result<(StatusCode, Json<SessionView>), ApiError> {
    let url = match request.url.clone() {
        Some(url) => super::validate_url(url)?,
        None => state.options().default_url.clone(),
    };
    let options = session_options(&state, request)?;
    let view = crate::supervisor::create(&state, url, options).await?;
    Ok((StatusCode::CREATED, Json(view)))
}

fn session_options(state: &AppState, request: CreateRequest) -> Result<SessionOptions, ApiError> {
    let defaults = state.options().default_session_options();
    let downloads = match request.downloads {
        Some(dir) => validate_folder(&dir)?,
        None => defaults.downloads.clone(),
    };
    let own = [state.inner.base.path().to_owned(), state.options().persistent_profile.clone()];
    refuse_inside(&downloads, &own)?;
    let error = |e: std::io::Error| ApiError::InvalidRequest(format!("downloads folder {}: {e}", downloads.display()));
    fl_downloads::ensure_private_dir(&downloads).map_err(error)?;
    // The folder as the file browser will see it (symlinks resolved), checked again resolved.
    let downloads = std::fs::canonicalize(&downloads).map_err(error)?;
    refuse_inside(&downloads, &own.map(|dir| std::fs::canonicalize(&dir).unwrap_or(dir)))?;
    Ok(SessionOptions {
        persistent_profile: (request.profile == Some(Profile::Persistent)).then(|| state.options().persistent_profile.clone()),
        clipboard: request.clipboard.unwrap_or(defaults.clipboard),
        // A request can turn sound off, not on where the service or the machine has none.
        audio: defaults.audio && request.audio != Some(false),
        downloads,
        ..defaults
    })
}

fn refuse_inside(downloads: &Path, own: &[PathBuf]) -> Result<(), ApiError> {
    match own.iter().find(|dir| downloads.starts_with(dir)) {
        Some(dir) => Err(ApiError::InvalidRequest(format!(
            "downloads folder {}: inside {}, which firefox-launcher deletes or owns",
            downloads.display(),
            dir.display()
        ))),
        None => Ok(()),
    }
}

/// An absolute (or `~/`) path without `..`, so what it names is what a prefix check sees.
fn validate_folder(dir: &str) -> Result<PathBuf, ApiError> {
    let home = std::env::var_os("HOME").map(PathBuf::from);
    let expanded = match (dir.strip_prefix("~/"), home) {
        (Some(rest), Some(home)) => home.join(rest),
        _ => PathBuf::from(dir),
    };
    let path = expanded.as_path();
    let why = if dir.len() > super::MAX_URL_LEN || dir.chars().any(char::is_control) {
        Some("too long or holds control characters")
    } else if !path.is_absolute() {
        Some("must be an absolute path")
    } else if path.components().any(|c| c == Component::ParentDir) {
        Some("must not contain '..'")
    } else {
        None
    };
    match why {
        Some(why) => Err(ApiError::InvalidRequest(format!("downloads folder {:?}: {why}", dir.chars().take(200).collect::<String>()))),
        None => Ok(expanded),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_body(body: &[u8]) -> Result<CreateRequest, ApiError> {
        super::super::body::parse(body)
    }

    #[test]
    fn empty_bodies_mean_defaults_and_bad_json_is_an_error() {
        assert_eq!(parse_body(b"").unwrap(), CreateRequest::default());
        assert_eq!(parse_body(b" \n").unwrap(), CreateRequest::default());
        assert_eq!(parse_body(b"{}").unwrap(), CreateRequest::default());
        assert!(matches!(parse_body(b"{\"url\":"), Err(ApiError::InvalidJson(_))));
        assert!(matches!(parse_body(b"{\"uri\":\"x\"}"), Err(ApiError::InvalidJson(_))));
    }

    #[test]
    fn downloads_folders_are_absolute_without_dot_dot() {
        assert_eq!(validate_folder("/home/u/Downloads").unwrap(), PathBuf::from("/home/u/Downloads"));
        let home = PathBuf::from(std::env::var_os("HOME").unwrap());
        assert_eq!(validate_folder("~/Downloads").unwrap(), home.join("Downloads"));
        for bad in ["Downloads", "", "/home/u/../../etc", "/home/u/\u{7}x"] {
            assert!(matches!(validate_folder(bad), Err(ApiError::InvalidRequest(_))), "{bad}");
        }
        let body = br#"{"profile":"persistent","clipboard":"to-firefox","downloads":"/d"}"#;
        let request = parse_body(body).unwrap();
        assert_eq!((request.profile, request.clipboard), (Some(Profile::Persistent), Some(fl_api::Clipboard::ToFirefox)));
        assert!(matches!(parse_body(br#"{"clipboard":"sideways"}"#), Err(ApiError::InvalidJson(_))));
        assert_eq!(parse_body(br#"{"audio":false}"#).unwrap().audio, Some(false));
        assert!(matches!(parse_body(br#"{"audio":"no"}"#), Err(ApiError::InvalidJson(_))));
    }
}
