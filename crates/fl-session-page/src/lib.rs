//! The page a session is shown in: firefox-launcher's own Xpra client (`js-extension/client`),
//! its settings and the headers it is served with.
//!
//! The page is served under `/sessions/PORT/`, which behind jupyter-server-proxy is the user's
//! JupyterLab origin: a script running there could read `_xsrf`, call the Jupyter API and run
//! code in the user's kernels, and everything the client draws comes from the web pages open in
//! Firefox. So its files are ours only, built into this binary (see `build.rs`), never read from
//! disk or from Xpra, and served with a Content-Security-Policy that lets nothing but those files
//! run: no inline script or style, no `eval`, connections to this origin only. What the page
//! needs to know about its session (the Xpra version, hence the packet encoder; the clipboard
//! direction; the picture defaults) it fetches as `session.json` ([`PageConfig`]).

mod defaults;

use std::collections::HashMap;
use std::sync::OnceLock;

use sha2::{Digest, Sha256};

pub use defaults::{ClientDefaults, Encoding, EncodingError, Video, VideoError};

/// (path relative to the bundle, bytes), written by `build.rs`.
static FILES: &[(&str, &[u8])] = include!(concat!(env!("OUT_DIR"), "/files.rs"));

/// The policy every response under `/sessions/` carries. `style-src 'self'` still lets the
/// client place and size its canvases through the CSSOM (`element.style`), which CSP does not
/// govern; `blob:` images are the cursors it draws; `connect-src 'self'` covers its websocket
/// and `session.json`.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self'; worker-src 'self'; \
     connect-src 'self'; img-src 'self' blob: data:; style-src 'self'; font-src 'self'; base-uri 'none'; \
     object-src 'none'; form-action 'none'; frame-src 'none'; frame-ancestors 'self'";

/// One file as served.
#[derive(Debug)]
pub struct Asset {
    pub content_type: &'static str,
    /// A strong validator, so browsers revalidate (`no-cache`) instead of downloading again.
    pub etag: String,
    pub bytes: &'static [u8],
}

#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum PageError {
    #[error(
        "this firefox-launcher was built without its browser client (js-extension/client/dist was missing when \
         cargo built it): run `npm ci && npm run build && npm run bundle` in js-extension/client, then build again"
    )]
    NotBuilt,
}

/// The embedded client, indexed once.
#[derive(Debug)]
pub struct Page {
    assets: HashMap<&'static str, Asset>,
}

impl Page {
    /// The client this binary was built with.
    pub fn embedded() -> Result<&'static Page, PageError> {
        static PAGE: OnceLock<Page> = OnceLock::new();
        if FILES.is_empty() {
            return Err(PageError::NotBuilt);
        }
        Ok(PAGE.get_or_init(|| Page::from_files(FILES)))
    }

    fn from_files(files: &'static [(&'static str, &'static [u8])]) -> Self {
        let assets = files
            .iter()
            .map(|&(path, bytes)| {
                let etag = format!("\"{:x}\"", Sha256::digest(bytes));
                (path, Asset { content_type: content_type(path), etag, bytes })
            })
            .collect();
        Self { assets }
    }

    /// The file at `path` (relative to the session's page; empty for the page itself).
    pub fn get(&self, path: &str) -> Option<&Asset> {
        self.assets.get(if path.is_empty() { "index.html" } else { path })
    }

    /// How many files the bundle has.
    pub fn len(&self) -> usize {
        self.assets.len()
    }

    pub fn is_empty(&self) -> bool {
        self.assets.is_empty()
    }
}

fn content_type(path: &str) -> &'static str {
    match path.rsplit_once('.').map(|(_, ext)| ext) {
        Some("html") => "text/html; charset=utf-8",
        Some("js" | "mjs") => "text/javascript; charset=utf-8",
        Some("css") => "text/css; charset=utf-8",
        Some("json") => "application/json",
        Some("svg") => "image/svg+xml",
        Some("png") => "image/png",
        Some("ico") => "image/x-icon",
        _ => "application/octet-stream",
    }
}

/// The packet encoder a client must speak to Xpra `major.minor`: Xpra reads only the encoders it
/// has, and the client speaks first. rencodeplus arrived in 4.3 and is the only one in 6.x; 3.1
/// reads rencode (and bencode).
pub fn encoder_for(major: u32, minor: u32) -> &'static str {
    if (major, minor) >= (4, 3) { "rencodeplus" } else { "rencode" }
}

/// `session.json`: what the page knows of its session before it connects.
#[derive(Debug, Clone, serde::Serialize, PartialEq, Eq)]
pub struct PageConfig {
    pub xpra: XpraInfo,
    /// The packet encoder for the hello ([`encoder_for`]).
    pub encoder: &'static str,
    /// Which way text may cross: `both`, `to-firefox`, `from-firefox`, `off`.
    pub clipboard: String,
    /// Whether the session forwards Firefox's sound (the page then asks Xpra for it).
    pub audio: bool,
    pub video: bool,
    pub encoding: String,
}

#[derive(Debug, Clone, serde::Serialize, PartialEq, Eq)]
pub struct XpraInfo {
    pub version: String,
    pub major: u32,
    pub minor: u32,
}

impl PageConfig {
    pub fn new(version: XpraInfo, clipboard: String, audio: bool, defaults: &ClientDefaults) -> Self {
        Self {
            encoder: encoder_for(version.major, version.minor),
            video: defaults.video.for_xpra(version.major),
            xpra: version,
            clipboard,
            audio,
            encoding: defaults.encoding.to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_are_found_by_path_and_the_page_by_its_directory() {
        static FILES: &[(&str, &[u8])] = &[("index.html", b"<!doctype html>"), ("app/main.js", b"export {}")];
        let page = Page::from_files(FILES);
        assert_eq!(page.get("").unwrap().bytes, b"<!doctype html>");
        assert_eq!(page.get("").unwrap().content_type, "text/html; charset=utf-8");
        assert_eq!(page.get("app/main.js").unwrap().content_type, "text/javascript; charset=utf-8");
        assert!(page.get("app/other.js").is_none());
        assert!(page.get("../index.html").is_none());
        let etag = &page.get("app/main.js").unwrap().etag;
        assert!(etag.starts_with('"') && etag.len() == 66, "{etag}");
    }

    #[test]
    fn the_encoder_follows_the_version() {
        assert_eq!(encoder_for(3, 1), "rencode");
        assert_eq!(encoder_for(4, 2), "rencode");
        assert_eq!(encoder_for(4, 3), "rencodeplus");
        assert_eq!(encoder_for(6, 5), "rencodeplus");
    }

    #[test]
    fn the_config_says_version_encoder_clipboard_and_defaults() {
        let info = XpraInfo { version: "6.5.5".into(), major: 6, minor: 5 };
        let config = PageConfig::new(info, "to-firefox".into(), true, &ClientDefaults { video: Video::Auto, encoding: Encoding::Webp });
        let json = serde_json::to_value(&config).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"xpra": {"version": "6.5.5", "major": 6, "minor": 5}, "encoder": "rencodeplus",
                "clipboard": "to-firefox", "audio": true, "video": true, "encoding": "webp"})
        );
    }

    #[test]
    fn the_policy_allows_no_inline_code() {
        for unsafe_source in ["unsafe-inline", "unsafe-eval", "*"] {
            assert!(!CONTENT_SECURITY_POLICY.contains(unsafe_source), "{unsafe_source}");
        }
    }
}
