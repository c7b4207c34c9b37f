//! `<home>/runtime.json`: where the running service listens and its token, for the CLI.
//!
//! Written atomically (a 0600 temp file renamed into place) when `serve` starts, removed when it
//! exits, and only if it still names this process.

use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use fl_api::RuntimeFile;

use crate::error::ServeError;

pub fn runtime_file_path(home: &Path) -> PathBuf {
    RuntimeFile::path(home)
}

pub(crate) fn write_runtime_file(home: &Path, contents: &RuntimeFile) -> Result<PathBuf, ServeError> {
    let path = runtime_file_path(home);
    let tmp = home.join(format!(".runtime.json.{}", std::process::id()));
    let error = |source| ServeError::RuntimeFile { path: path.clone(), source };
    let json = serde_json::to_vec_pretty(contents).expect("runtime file serializes");
    let _ = std::fs::remove_file(&tmp);
    let mut file = std::fs::OpenOptions::new().write(true).create_new(true).mode(0o600).open(&tmp).map_err(error)?;
    file.write_all(&json).and_then(|()| file.sync_all()).map_err(error)?;
    std::fs::rename(&tmp, &path).map_err(error)?;
    Ok(path)
}

pub fn read_runtime_file(home: &Path) -> std::io::Result<RuntimeFile> {
    let bytes = std::fs::read(runtime_file_path(home))?;
    serde_json::from_slice(&bytes).map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidData, e))
}

pub(crate) fn remove_runtime_file(home: &Path) {
    if read_runtime_file(home).is_ok_and(|r| r.pid == std::process::id()) {
        let _ = std::fs::remove_file(runtime_file_path(home));
    }
}
