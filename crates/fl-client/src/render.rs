//! Human-readable output for the CLI (`--json` prints the API's JSON instead).

use fl_api::{SessionList, SessionView, StopSummary};

pub fn render_list(list: &SessionList) -> String {
    if list.sessions.is_empty() {
        return "no sessions\n".to_owned();
    }
    let mut out = format!("{:<7} {:<9} {:<8} {:<8} {:<25} {}\n", "PORT", "STATUS", "PID", "DISPLAY", "CREATED", "URL");
    for s in &list.sessions {
        out.push_str(&format!(
            "{:<7} {:<9} {:<8} {:<8} {:<25} {}\n",
            s.port,
            format!("{:?}", s.status).to_lowercase(),
            s.pid.map(|p| p.to_string()).unwrap_or_else(|| "-".into()),
            s.display.as_deref().unwrap_or("-"),
            s.created_at,
            s.url
        ));
    }
    out
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
