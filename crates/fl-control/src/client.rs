//! The sidecar's side: one request per connection to a session's control socket, answered by
//! the extension through the host. The socket is checked before anything is sent (ours, a
//! socket, accepted by a process of our uid: `fl_sys::connect_own_socket`).

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use serde_json::{Map, Value};

use crate::frame::{read_frame_async, write_frame_async};

#[derive(Debug, thiserror::Error)]
pub enum ControlError {
    #[error(
        "the session's control channel is not connected (no control socket at {path} after {waited_ms} ms: its Firefox has not loaded the control extension, which needs a Firefox that allows unsigned add-ons, such as Firefox ESR): {why}"
    )]
    NotConnected { path: PathBuf, waited_ms: u128, why: String },
    #[error("Firefox did not answer '{op}' within {secs} s")]
    Timeout { op: String, secs: u64 },
    #[error("the control channel at {path} broke during '{op}': {source}")]
    Io {
        op: String,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("'{op}' failed in Firefox: {message}")]
    Failed { op: String, message: String },
    #[error("Firefox's answer to '{op}' is not understood: {why}")]
    BadAnswer { op: String, why: String },
}

/// Sends `{id, op, ...params}` and returns the answer's `result`. Waits up to `connect_wait` for
/// the socket (the host starts a moment after the session is ready), then up to `timeout` for
/// the answer.
pub async fn request(socket: &Path, op: &str, params: Map<String, Value>, connect_wait: Duration, timeout: Duration) -> Result<Value, ControlError> {
    let mut stream = connect(socket, connect_wait).await?;
    let id = next_id();
    let mut message = params;
    message.insert("id".into(), id.into());
    message.insert("op".into(), op.into());
    let io = |source| ControlError::Io { op: op.to_owned(), path: socket.to_owned(), source };
    let body = serde_json::to_vec(&Value::Object(message)).expect("a request serializes");
    let exchange = async {
        write_frame_async(&mut stream, &body).await.map_err(io)?;
        loop {
            let frame = read_frame_async(&mut stream).await.map_err(io)?;
            let frame = frame.ok_or_else(|| io(std::io::ErrorKind::UnexpectedEof.into()))?;
            let answer: Value = serde_json::from_slice(&frame).map_err(|e| bad(op, e.to_string()))?;
            // An answer to an earlier request that gave up (it came late) is not ours.
            if answer.get("id").and_then(Value::as_u64) == Some(id) {
                return result_of(op, answer);
            }
        }
    };
    tokio::time::timeout(timeout, exchange).await.map_err(|_| ControlError::Timeout { op: op.to_owned(), secs: timeout.as_secs() })?
}

fn bad(op: &str, why: String) -> ControlError {
    ControlError::BadAnswer { op: op.to_owned(), why }
}

fn result_of(op: &str, mut answer: Value) -> Result<Value, ControlError> {
    match answer.get("ok").and_then(Value::as_bool) {
        Some(true) => Ok(answer.get_mut("result").map(Value::take).unwrap_or(Value::Null)),
        Some(false) => {
            let message = answer.get("error").and_then(Value::as_str).unwrap_or("no reason given");
            Err(ControlError::Failed { op: op.to_owned(), message: message.chars().take(2000).collect() })
        }
        None => Err(bad(op, "no 'ok' in it".into())),
    }
}

fn next_id() -> u64 {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    // Seeded from the clock: a later sidecar does not reuse the ids of an earlier one.
    let _ = NEXT.compare_exchange(0, seed(), Ordering::Relaxed, Ordering::Relaxed);
    NEXT.fetch_add(1, Ordering::Relaxed)
}

fn seed() -> u64 {
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or(1);
    // Within JSON's exact integers (2^53), so the extension echoes it unchanged.
    (nanos as u64 % (1 << 50)).max(1)
}

async fn connect(socket: &Path, wait: Duration) -> Result<tokio::net::UnixStream, ControlError> {
    let started = Instant::now();
    loop {
        let why = match fl_sys::connect_own_socket(socket) {
            Ok(stream) => {
                let tokio_stream = stream.set_nonblocking(true).and_then(|()| tokio::net::UnixStream::from_std(stream));
                match tokio_stream {
                    Ok(s) => return Ok(s),
                    Err(e) => e.to_string(),
                }
            }
            // Not there yet, or a host that just ended: wait; anything else is final.
            Err(fl_sys::SharedFileError::Io { source: fl_sys::Errno::ENOENT | fl_sys::Errno::ECONNREFUSED, .. }) if started.elapsed() < wait => {
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
            Err(e) => e.to_string(),
        };
        return Err(ControlError::NotConnected { path: socket.to_owned(), waited_ms: started.elapsed().as_millis(), why });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::frame::{read_frame, write_frame};

    /// A host stand-in on a socket: answers each request with what `reply` makes of it.
    fn fake_host(path: &Path, reply: fn(Value) -> Vec<Value>) -> std::thread::JoinHandle<()> {
        let listener = std::os::unix::net::UnixListener::bind(path).unwrap();
        std::thread::spawn(move || {
            let (mut stream, _) = listener.accept().unwrap();
            let request: Value = serde_json::from_slice(&read_frame(&mut stream).unwrap().unwrap()).unwrap();
            for answer in reply(request) {
                write_frame(&mut stream, &serde_json::to_vec(&answer).unwrap()).unwrap();
            }
        })
    }

    const SHORT: Duration = Duration::from_millis(300);

    #[tokio::test]
    async fn the_answer_with_our_id_is_the_result_and_late_ones_are_skipped() {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("ctl.sock");
        let host = fake_host(&path, |r| {
            vec![
                serde_json::json!({"id": 1, "ok": true, "result": "stale"}),
                serde_json::json!({"id": r["id"], "ok": true, "result": {"op": r["op"], "url": r["url"]}}),
            ]
        });
        let params = serde_json::json!({"url": "http://x/"}).as_object().unwrap().clone();
        let result = request(&path, "goto", params, SHORT, Duration::from_secs(5)).await.unwrap();
        assert_eq!(result, serde_json::json!({"op": "goto", "url": "http://x/"}));
        host.join().unwrap();
    }

    #[tokio::test]
    async fn a_failure_in_firefox_says_what_failed() {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("ctl.sock");
        let host = fake_host(&path, |r| vec![serde_json::json!({"id": r["id"], "ok": false, "error": "ReferenceError: x is not defined"})]);
        let err = request(&path, "evaluate", Map::new(), SHORT, Duration::from_secs(5)).await.unwrap_err();
        assert_eq!(err.to_string(), "'evaluate' failed in Firefox: ReferenceError: x is not defined");
        host.join().unwrap();
    }

    #[tokio::test]
    async fn no_socket_is_not_connected_after_the_wait_and_silence_times_out() {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("ctl.sock");
        let err = request(&path, "page", Map::new(), SHORT, SHORT).await.unwrap_err();
        assert!(matches!(err, ControlError::NotConnected { waited_ms, .. } if waited_ms >= 300), "{err}");
        let host = fake_host(&path, |_| vec![]);
        let silent = request(&path, "page", Map::new(), SHORT, SHORT).await.unwrap_err();
        assert!(matches!(silent, ControlError::Timeout { .. } | ControlError::Io { .. }), "{silent}");
        host.join().unwrap();
    }
}
