//! Xpra's HTML5 client as firefox-launcher serves it.
//!
//! The client page is served under `/sessions/PORT/`, which behind jupyter-server-proxy is the
//! user's JupyterLab origin: a script running there can read `_xsrf`, call the Jupyter API and run
//! code in the user's kernels. And everything the client draws into its page (window titles,
//! notification text, URLs to open) comes from the web pages open in Firefox. So the client is not
//! proxied from Xpra: it is read once from the package's directory, patched so no session string
//! becomes markup or opens a window ([`patches`]), and served with a Content-Security-Policy that
//! allows only its own scripts (by hash for the one inline script) and its own websocket. If the
//! package's files no longer match the patches, [`Html5Client::load`] fails and the client is not
//! served at all. This crate is the one home of that adaptation; the proxy only asks it for files.

mod defaults;
pub mod patches;

pub use fl_session_page::{ClientDefaults, Encoding, EncodingError};

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use base64::Engine as _;
use bytes::Bytes;
use sha2::{Digest, Sha256};

/// Where Debian's `xpra` package puts its HTML5 client.
pub const DEBIAN_DIR: &str = "/usr/share/xpra/www";

/// Whether this client talks to an Xpra of `major` version. Debian's 3.1 client speaks rencode
/// and bencode; Xpra 6 speaks only rencodeplus (protocol flag 16), and 4.x/5.x are untested
/// with it, so it is trusted with 3.x alone. firefox-launcher's own client (issue 21) lifts this.
pub fn speaks_with(major: u32) -> bool {
    major == 3
}

/// Why the tab cannot show a session of xpra `version`, as a sentence.
pub fn cannot_speak_with(version: &str) -> String {
    format!("Debian's Xpra 3.1 HTML5 client cannot be used with xpra {version} (xpra 6 speaks only rencodeplus, which that client lacks): the tab shows sessions of xpra 3.1 only, for now")
}

/// Not served: the connect page lets a visitor type another server's address, and source maps
/// are of no use to the client.
fn is_served(relative: &str) -> bool {
    relative != "connect.html" && !relative.ends_with(".map")
}

#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    #[error("reading the Xpra HTML5 client at {path}: {source}")]
    Read { path: PathBuf, source: std::io::Error },
    #[error("the Xpra HTML5 client at {dir} has no {file}")]
    Missing { dir: PathBuf, file: &'static str },
    #[error("{path} changed since the service loaded the Xpra HTML5 client (an xpra upgrade?); restart the service to serve the new one")]
    ChangedOnDisk { path: PathBuf },
    #[error("{file} of the Xpra HTML5 client at {dir} is not UTF-8 text")]
    NotText { dir: PathBuf, file: &'static str },
    #[error(
        "the Xpra HTML5 client at {dir} is not the one firefox-launcher knows how to make safe: \
         patch \"{name}\" expects its text {expected} time(s) in {file} and found it {found} time(s); \
         refusing to serve it unpatched"
    )]
    Changed { dir: PathBuf, name: &'static str, file: &'static str, found: usize, expected: usize },
}

/// One file as served.
#[derive(Debug, Clone)]
pub struct Asset {
    pub content_type: &'static str,
    /// A strong validator, so browsers revalidate (`no-cache`) instead of downloading again.
    pub etag: String,
    source: Source,
}

/// Where a file's bytes are: the files we patched (and our script) in memory, the rest (most of
/// the client's 6 MB) left in the package's directory and read per request, so they are not
/// resident in every idle service. A file read from the directory must still be the one whose
/// hash is its etag: one that changed since the service loaded (a package upgrade) is refused
/// rather than mixed with the patched files of the old version.
#[derive(Debug, Clone)]
enum Source {
    Memory(Bytes),
    Disk { path: PathBuf, len: u64, modified: Option<std::time::SystemTime> },
}

impl Asset {
    /// The bytes to send (a blocking read for a file left on disk).
    pub fn body(&self) -> Result<Bytes, ClientError> {
        let (path, len, modified) = match &self.source {
            Source::Memory(bytes) => return Ok(bytes.clone()),
            Source::Disk { path, len, modified } => (path, *len, *modified),
        };
        let bytes = std::fs::read(path).map_err(|source| ClientError::Read { path: path.clone(), source })?;
        let now = std::fs::metadata(path).ok().and_then(|m| m.modified().ok());
        if bytes.len() as u64 != len || now != modified {
            return Err(ClientError::ChangedOnDisk { path: path.clone() });
        }
        Ok(Bytes::from(bytes))
    }
}

/// The patched client, in memory, with the headers every response under `/sessions/PORT/` gets.
#[derive(Debug)]
pub struct Html5Client {
    assets: HashMap<String, Asset>,
    csp: String,
}

impl Html5Client {
    /// Reads the client from `dir` and patches it; fails rather than serve it unpatched.
    /// `defaults` are what the page does when its query string leaves an option unset.
    pub fn load(dir: &Path, defaults: &ClientDefaults) -> Result<Self, ClientError> {
        let mut on_disk = read_tree(dir)?;
        let mut files = HashMap::new();
        for file in patches::patched_files() {
            let path = on_disk.remove(file).ok_or_else(|| ClientError::Missing { dir: dir.to_owned(), file })?;
            let bytes = std::fs::read(&path).map_err(|source| ClientError::Read { path, source })?;
            let text = String::from_utf8(bytes).map_err(|_| ClientError::NotText { dir: dir.to_owned(), file })?;
            let patched = patches::apply(file, &text).map_err(|m| ClientError::Changed {
                dir: dir.to_owned(),
                name: m.name,
                file: m.file,
                found: m.found,
                expected: m.expected,
            })?;
            files.insert(file.to_owned(), patched.into_bytes());
        }
        files.insert(patches::OUR_SCRIPT_PATH.to_owned(), defaults::apply(defaults, patches::OUR_SCRIPT).into_bytes());
        let index = files.get("index.html").ok_or_else(|| ClientError::Missing { dir: dir.to_owned(), file: "index.html" })?;
        let csp = content_security_policy(&inline_script_hashes(&String::from_utf8_lossy(index)));
        let mut assets: HashMap<String, Asset> = files.into_iter().map(|(path, body)| { let asset = in_memory(&path, body); (path, asset) }).collect();
        for (relative, path) in on_disk {
            let asset = on_disk_asset(&relative, path)?;
            assets.insert(relative, asset);
        }
        Ok(Self { assets, csp })
    }

    /// The file at `relative` (the path after `/sessions/PORT/`, query removed); `""` is the page.
    pub fn get(&self, relative: &str) -> Option<&Asset> {
        let relative = if relative.is_empty() { "index.html" } else { relative };
        self.assets.get(relative)
    }

    /// Headers for every response under `/sessions/PORT/`, replacing whatever Xpra would send.
    pub fn security_headers(&self) -> [(&'static str, &str); 3] {
        [
            ("content-security-policy", self.csp.as_str()),
            ("x-content-type-options", "nosniff"),
            ("referrer-policy", "no-referrer"),
        ]
    }
}

/// The policy when the client cannot be served: nothing may run at all.
pub const REFUSED_CSP: &str = "default-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'self'";

/// Scripts only from this origin plus the inline ones we hashed (no `'unsafe-inline'`, no
/// `'unsafe-eval'`); network only to this origin, which covers the client's own websocket;
/// images also from `data:`/`blob:` (the client decodes frames and icons that way). Inline
/// *styles* stay allowed: the client positions windows with `style` attributes, and a style
/// cannot run script or, with these `img-src`/`font-src`, send anything elsewhere.
fn content_security_policy(script_hashes: &[String]) -> String {
    let hashes: String = script_hashes.iter().map(|h| format!(" '{h}'")).collect();
    format!(
        "default-src 'none'; script-src 'self'{hashes}; worker-src 'self'; connect-src 'self'; \
         img-src 'self' data: blob:; media-src 'self' blob:; style-src 'self' 'unsafe-inline'; \
         font-src 'self'; manifest-src 'self'; base-uri 'none'; object-src 'none'; form-action 'none'; \
         frame-src 'none'; frame-ancestors 'self'"
    )
}

/// `sha256-…` of the content of each `<script>` without a `src` attribute.
fn inline_script_hashes(html: &str) -> Vec<String> {
    let mut hashes = Vec::new();
    let mut rest = html;
    while let Some(start) = rest.find("<script") {
        rest = &rest[start..];
        let Some(tag_end) = rest.find('>') else { break };
        let tag = &rest[..tag_end];
        let body = &rest[tag_end + 1..];
        let Some(close) = body.find("</script>") else { break };
        if !tag.contains("src=") {
            let digest = Sha256::digest(&body.as_bytes()[..close]);
            hashes.push(format!("sha256-{}", base64::engine::general_purpose::STANDARD.encode(digest)));
        }
        rest = &body[close..];
    }
    hashes
}

fn etag(body: &[u8]) -> String {
    let digest = Sha256::digest(body);
    format!("\"{}\"", digest[..12].iter().map(|b| format!("{b:02x}")).collect::<String>())
}

fn in_memory(path: &str, body: Vec<u8>) -> Asset {
    Asset { content_type: content_type(path), etag: etag(&body), source: Source::Memory(Bytes::from(body)) }
}

/// Hashed now for its etag, then left on disk.
fn on_disk_asset(relative: &str, path: PathBuf) -> Result<Asset, ClientError> {
    let read_err = |source| ClientError::Read { path: path.clone(), source };
    let body = std::fs::read(&path).map_err(read_err)?;
    let modified = std::fs::metadata(&path).map_err(read_err)?.modified().ok();
    let source = Source::Disk { len: body.len() as u64, modified, path };
    Ok(Asset { content_type: content_type(relative), etag: etag(&body), source })
}

fn content_type(path: &str) -> &'static str {
    match path.rsplit_once('.').map(|(_, ext)| ext) {
        Some("html") => "text/html; charset=utf-8",
        Some("js") => "text/javascript; charset=utf-8",
        Some("css") => "text/css; charset=utf-8",
        Some("png") => "image/png",
        Some("ico") => "image/x-icon",
        Some("svg") => "image/svg+xml",
        Some("woff") => "font/woff",
        Some("woff2") => "font/woff2",
        Some("ttf") => "font/ttf",
        Some("json") => "application/json",
        _ => "application/octet-stream",
    }
}

/// Every served file under `dir` (symlinks followed: Debian links jQuery from
/// `/usr/share/javascript`), keyed by its `/`-separated relative path.
fn read_tree(dir: &Path) -> Result<HashMap<String, PathBuf>, ClientError> {
    let mut files = HashMap::new();
    let mut pending = vec![(dir.to_owned(), String::new())];
    let read_err = |path: &Path| { let path = path.to_owned(); move |source| ClientError::Read { path, source } };
    while let Some((path, prefix)) = pending.pop() {
        for entry in std::fs::read_dir(&path).map_err(read_err(&path))? {
            let entry = entry.map_err(read_err(&path))?;
            let Ok(name) = entry.file_name().into_string() else { continue };
            let full = entry.path();
            let relative = format!("{prefix}{name}");
            let metadata = std::fs::metadata(&full).map_err(read_err(&full))?;
            if metadata.is_dir() {
                pending.push((full, format!("{relative}/")));
            } else if metadata.is_file() && is_served(&relative) {
                files.insert(relative, full);
            }
        }
    }
    Ok(files)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_inline_scripts_are_hashed() {
        let html = "<script src=\"a.js\"></script><script>alert(1)</script><script type=\"x\">b</script>";
        let hashes = inline_script_hashes(html);
        assert_eq!(hashes.len(), 2);
        let expected = base64::engine::general_purpose::STANDARD.encode(Sha256::digest(b"alert(1)"));
        assert_eq!(hashes[0], format!("sha256-{expected}"));
    }

    #[test]
    fn the_policy_has_no_unsafe_script_sources() {
        let csp = content_security_policy(&["sha256-x".to_owned()]);
        let script_src = csp.split(';').find(|d| d.trim().starts_with("script-src")).unwrap();
        assert_eq!(script_src.trim(), "script-src 'self' 'sha256-x'");
        assert!(!csp.contains("unsafe-eval"));
        for directive in ["connect-src 'self'", "base-uri 'none'", "object-src 'none'", "form-action 'none'", "frame-ancestors 'self'"] {
            assert!(csp.contains(directive), "{directive} missing from {csp}");
        }
    }

    #[test]
    fn content_types_are_exact_for_nosniff() {
        assert_eq!(content_type("js/Client.js"), "text/javascript; charset=utf-8");
        assert_eq!(content_type("index.html"), "text/html; charset=utf-8");
        assert_eq!(content_type("icons/x.woff2"), "font/woff2");
    }
}
