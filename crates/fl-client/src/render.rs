//! Human-readable output for the CLI (`--json` prints the API's JSON instead).

use fl_api::{SessionList, SessionView, StopSummary};

pub fn render_list(list: &SessionList) -> String {
    if list.sessions.is_empty() {
        return "no sessions\n".to_owned();
    }
    let mut out = format!("{:<7} {:<9} {:<8} {:<8} {:<25} {} {}\n", "PORT", "STATUS", "PID", "DISPLAY", "CREATED", "URL", "TITLE");
    for s in &list.sessions {
        out.push_str(&format!(
            "{:<7} {:<9} {:<8} {:<8} {:<25} {} {}\n",
            s.port,
            format!("{:?}", s.status).to_lowercase(),
            s.pid.map(|p| p.to_string()).unwrap_or_else(|| "-".into()),
            s.display.as_deref().unwrap_or("-"),
            s.created_at,
            s.url,
            printable(&s.title, 60)
        ));
    }
    out
}

/// A title comes from a web page: shown shortened, and with no control character (an escape
/// sequence would drive the user's terminal).
fn printable(text: &str, max_chars: usize) -> String {
    let clean: String = text.chars().map(|c| if c.is_control() { '?' } else { c }).collect();
    match clean.char_indices().nth(max_chars) {
        Some((cut, _)) => format!("{}…", &clean[..cut]),
        None => clean,
    }
}

pub fn render_session(s: &SessionView, url: &str) -> String {
    format!(
        "session on port {} is {}: open {url}\n  (pid {}, display {}, dir {})\n",
        s.port,
        format!("{:?}", s.status).to_lowercase(),
        s.pid.map(|p| p.to_string()).unwrap_or_else(|| "-".into()),
        s.display.as_deref().unwrap_or("-"),
        s.dir
    )
}

pub fn render_stop(s: &StopSummary) -> String {
    format!("stopped session on port {} with {} in {} ms\n", s.port, s.signal, s.elapsed_ms)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn titles_lose_control_characters_and_length() {
        assert_eq!(printable("a\x1b]0;pwned\x07b", 60), "a?]0;pwned?b");
        assert_eq!(printable("äöü", 2), "äö…");
        assert_eq!(printable("short", 60), "short");
    }
}
