//! REST handlers, one file each. Each opens with what it requires and what it changes.

pub(crate) mod body;
pub(crate) mod control_evaluate;
pub(crate) mod control_goto;
pub(crate) mod control_page;
pub(crate) mod control_screenshot;
pub(crate) mod create_session;
pub(crate) mod delete_session;
pub(crate) mod events;
pub(crate) mod get_session;
pub(crate) mod health;
pub(crate) mod list_downloads;
pub(crate) mod list_sessions;
pub(crate) mod metrics;
pub(crate) mod show_session;

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

const MAX_URL_LEN: usize = 4096;

/// Firefox gets the URL as one argument; we still only accept what a user would type as an
/// address: a web page, `about:blank`, or a file of the machine by its absolute path (the
/// owner's own files, in the owner's own browser: "Open in Firefox" on an HTML file). Nothing can
/// smuggle a command-line flag or a `javascript:`/`data:` page.
pub(crate) fn validate_url(url: String) -> Result<String, ApiError> {
    let why = if url.len() > MAX_URL_LEN {
        Some("longer than 4096 bytes")
    } else if !(url.starts_with("https://") || url.starts_with("http://") || url.starts_with("file:///") || url == "about:blank") {
        Some("only http://, https://, file:/// and about:blank are allowed")
    } else if url.chars().any(|c| c.is_whitespace() || c.is_control()) {
        Some("whitespace and control characters are not allowed")
    } else {
        None
    };
    match why {
        Some(why) => Err(ApiError::InvalidUrl { url: url.chars().take(200).collect(), why }),
        None => Ok(expand_home(url, std::env::var_os("HOME").as_deref().map(std::path::Path::new))),
    }
}

/// `file:///~/...` names a file in the user's home: JupyterLab knows its root directory only as
/// `~/...` when it lies there (Jupyter shortens it so), and the service runs as the same user.
fn expand_home(url: String, home: Option<&std::path::Path>) -> String {
    const UNRESERVED: &[u8] = b"-._~/";
    match (url.strip_prefix("file:///~/"), home.and_then(|h| h.to_str()).filter(|h| h.starts_with('/'))) {
        (Some(rest), Some(home)) => {
            let mut encoded = String::from("file://");
            for b in home.trim_end_matches('/').bytes() {
                if b.is_ascii_alphanumeric() || UNRESERVED.contains(&b) {
                    encoded.push(b as char);
                } else {
                    encoded.push_str(&format!("%{b:02X}"));
                }
            }
            format!("{encoded}/{rest}")
        }
        _ => url,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_under_the_home_is_named_by_its_absolute_path() {
        let home = Some(std::path::Path::new("/home/a b"));
        assert_eq!(expand_home("file:///~/work/x.html".into(), home), "file:///home/a%20b/work/x.html");
        assert_eq!(expand_home("file:///srv/x.html".into(), home), "file:///srv/x.html");
        assert_eq!(expand_home("https://a/~/x".into(), home), "https://a/~/x");
        assert_eq!(expand_home("file:///~/x".into(), None), "file:///~/x");
    }

    #[test]
    fn only_web_urls_pass() {
        assert!(validate_url("https://example.org/a?b=c".into()).is_ok());
        assert!(validate_url("about:blank".into()).is_ok());
        assert!(validate_url("file:///home/u/report.html".into()).is_ok());
        for bad in ["file://host/x", "file:relative", "javascript:alert(1)", "data:text/html,x", "-profile /tmp", "https://a b", "file:///a b", ""] {
            assert!(validate_url(bad.into()).is_err(), "{bad}");
        }
    }
}
