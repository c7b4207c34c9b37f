//! Accepting connections so that a flood of them cannot lock the owner out.
//!
//! Every local user can connect to a 127.0.0.1 port, and opening a connection needs no token: the
//! token is only read with a request's headers. So these limits act before any authentication:
//!
//! - A connection must deliver a request's headers within `header_read_timeout`. hyper starts that
//!   timer whenever the connection waits for a request (at accept and after every response), so it
//!   is also the keep-alive idle timeout: a silent or trickling connection is closed after it.
//! - At most `max_connections` are open at once. At the cap a new connection is neither refused
//!   nor queued; the connection idle the longest (no request in flight) is closed to make room.
//!   Refusing or queueing would hand the port to whoever holds the most connections: the owner's
//!   request arrives on one more connection, which cannot be told from a stranger's before its
//!   headers are read. Closing the longest idle one instead makes the owner's new connection the
//!   last to go; it stops being idle as soon as its headers are in (a millisecond on loopback),
//!   while a flood needs `max_connections` newer connections to reach it. An idle keep-alive
//!   connection of the owner may be closed this way; HTTP clients reconnect when a kept-alive
//!   connection closes. Only when every connection is busy (requests only the owner can keep busy:
//!   a request without the token is answered at once) is the new connection closed instead.
//! - Running out of descriptors (`EMFILE`) closes the longest idle connection too, rather than
//!   leaving the backlog to fill.
//!
//! A connection upgraded to a websocket leaves the count: hyper hands it to the proxy, and only a
//! request with the token reaches a session. On shutdown the loop stops accepting, asks each
//! connection to finish its request in flight and close, and returns once all have closed.

use std::collections::HashMap;
use std::convert::Infallible;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::{Body, Bytes, HttpBody};
use axum::extract::Request;
use axum::response::{IntoResponse, Response};
use hyper::body::{Frame, Incoming, SizeHint};
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;
use tower::ServiceExt;

/// How many connections may be open, and how long one may take to send a request.
#[derive(Debug, Clone, Copy)]
pub struct ConnectionLimits {
    pub max_connections: usize,
    /// From accept, or from the previous response, to a request's complete headers.
    pub header_read_timeout: Duration,
}

impl Default for ConnectionLimits {
    fn default() -> Self {
        Self { max_connections: 1024, header_read_timeout: Duration::from_secs(10) }
    }
}

/// A listening socket: TCP or unix.
pub trait Accept: Send + 'static {
    type Io: AsyncRead + AsyncWrite + Unpin + Send + 'static;
    fn accept(&self) -> impl Future<Output = std::io::Result<Self::Io>> + Send;
}

impl Accept for tokio::net::TcpListener {
    type Io = tokio::net::TcpStream;
    async fn accept(&self) -> std::io::Result<Self::Io> {
        tokio::net::TcpListener::accept(self).await.map(|(stream, _)| stream)
    }
}

impl Accept for tokio::net::UnixListener {
    type Io = tokio::net::UnixStream;
    async fn accept(&self) -> std::io::Result<Self::Io> {
        tokio::net::UnixListener::accept(self).await.map(|(stream, _)| stream)
    }
}

/// One open connection, as the table sees it.
#[derive(Debug, Default)]
struct Slot {
    /// Requests whose handler runs or whose response body is still being written.
    in_flight: AtomicUsize,
    /// Milliseconds since the table's epoch: accepted, or a response finished.
    last_active: AtomicU64,
    /// Cancelled to close the connection at once (it was chosen to make room).
    evict: CancellationToken,
}

/// The open connections, so that the longest idle one can be found and closed.
#[derive(Debug)]
struct Table {
    epoch: Instant,
    max: usize,
    open: Mutex<HashMap<u64, Arc<Slot>>>,
    next_id: AtomicU64,
}

impl Table {
    fn new(max: usize) -> Self {
        Self { epoch: Instant::now(), max: max.max(1), open: Mutex::new(HashMap::new()), next_id: AtomicU64::new(0) }
    }

    fn now(&self) -> u64 {
        u64::try_from(self.epoch.elapsed().as_millis()).unwrap_or(u64::MAX)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<u64, Arc<Slot>>> {
        // Nothing panics while holding it; if something did, the map is still consistent.
        self.open.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Makes room if at the cap, then records a new connection; `None` when every connection is
    /// busy and the new one must be closed.
    fn admit(&self) -> Option<(u64, Arc<Slot>)> {
        let mut open = self.lock();
        if open.len() >= self.max && !Self::evict_longest_idle(&mut open) {
            return None;
        }
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let slot = Arc::new(Slot { last_active: AtomicU64::new(self.now()), ..Slot::default() });
        open.insert(id, Arc::clone(&slot));
        Some((id, slot))
    }

    /// Closes the connection with no request in flight that was active least recently.
    fn evict_longest_idle(open: &mut HashMap<u64, Arc<Slot>>) -> bool {
        let victim = open
            .iter()
            .filter(|(_, slot)| slot.in_flight.load(Ordering::Acquire) == 0)
            .min_by_key(|(_, slot)| slot.last_active.load(Ordering::Relaxed))
            .map(|(id, _)| *id);
        let Some(slot) = victim.and_then(|id| open.remove(&id)) else { return false };
        slot.evict.cancel();
        true
    }

    fn leave(&self, id: u64) {
        self.lock().remove(&id);
    }
}

/// Holds a connection busy while a request is handled and its response body written.
struct Busy {
    slot: Arc<Slot>,
    table: Arc<Table>,
}

impl Busy {
    fn new(slot: Arc<Slot>, table: Arc<Table>) -> Self {
        slot.in_flight.fetch_add(1, Ordering::AcqRel);
        Self { slot, table }
    }
}

impl Drop for Busy {
    fn drop(&mut self) {
        self.slot.last_active.store(self.table.now(), Ordering::Relaxed);
        self.slot.in_flight.fetch_sub(1, Ordering::AcqRel);
    }
}

/// A response body that keeps its connection busy until hyper has written (and dropped) it.
struct Tracked {
    body: Body,
    _busy: Busy,
}

impl HttpBody for Tracked {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, axum::Error>>> {
        Pin::new(&mut self.body).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.body.size_hint()
    }
}

/// Request bodies up to this size are read before routing. hyper closes a connection whose
/// request body was not read by the time the response went out, so a route that ignores its body
/// (a `POST` with `{}`, a `DELETE` with one) would cost a keep-alive client its connection, and
/// its next request a broken pipe. Larger bodies (proxied uploads) stream as they come.
const READ_FIRST: u64 = 64 * 1024;

async fn handle(router: Router, busy: Busy, request: hyper::Request<Incoming>) -> Result<Response, Infallible> {
    let (parts, body) = request.into_parts();
    let body = match body.size_hint().exact() {
        Some(1..=READ_FIRST) => match http_body_util::BodyExt::collect(body).await {
            Ok(collected) => Body::from(collected.to_bytes()),
            // A body cut short is never handed on as a shorter (or empty) one.
            Err(error) => return Ok(crate::error::ApiError::InvalidRequest(format!("the request's body could not be read: {error}")).into_response()),
        },
        _ => Body::new(body),
    };
    let response = router.oneshot(Request::from_parts(parts, body)).await?;
    Ok(response.map(|body| Body::new(Tracked { body, _busy: busy })))
}

fn http1_builder(limits: &ConnectionLimits) -> http1::Builder {
    let mut builder = http1::Builder::new();
    builder.timer(TokioTimer::new()).header_read_timeout(limits.header_read_timeout);
    builder
}

/// Serves one connection until it closes, is evicted, or the service shuts down.
async fn serve_one<I>(io: I, router: Router, slot: Arc<Slot>, table: Arc<Table>, builder: Arc<http1::Builder>, shutdown: CancellationToken)
where
    I: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let service = {
        let slot = Arc::clone(&slot);
        hyper::service::service_fn(move |request: Request<Incoming>| {
            handle(router.clone(), Busy::new(Arc::clone(&slot), Arc::clone(&table)), request)
        })
    };
    let mut connection = std::pin::pin!(builder.serve_connection(TokioIo::new(io), service).with_upgrades());
    tokio::select! {
        result = connection.as_mut() => {
            if let Err(error) = result {
                tracing::debug!(%error, "connection ended");
            }
            return;
        }
        () = slot.evict.cancelled() => tracing::debug!("closing the longest idle connection to make room"),
        () = shutdown.cancelled() => {}
    }
    // Idle (or still sending its headers): dropping it closes the socket at once, where hyper's
    // graceful shutdown would wait for the headers.
    if slot.in_flight.load(Ordering::Acquire) == 0 {
        return;
    }
    connection.as_mut().graceful_shutdown();
    if let Err(error) = connection.await {
        tracing::debug!(%error, "connection ended");
    }
}

/// What to do when `accept` fails: out of descriptors, make room; anything else (a connection
/// reset before it was accepted, say) concerns one connection only.
async fn after_accept_error(table: &Table, error: std::io::Error) {
    let out_of_descriptors = [fl_sys::Errno::EMFILE, fl_sys::Errno::ENFILE].map(|e| e as i32);
    if error.raw_os_error().is_some_and(|code| out_of_descriptors.contains(&code)) {
        tracing::debug!(%error, "out of file descriptors: closing the longest idle connection");
        Table::evict_longest_idle(&mut table.lock());
    } else {
        tracing::debug!(%error, "accept failed");
    }
    // The closed descriptor is freed when its task runs; do not spin on the listener meanwhile.
    tokio::time::sleep(Duration::from_millis(10)).await;
}

/// Serves `router` on `listener` within `limits` until `shutdown` is cancelled, then stops
/// accepting and returns once every open connection has finished its request and closed.
pub async fn serve_connections<L: Accept>(listener: L, router: Router, limits: ConnectionLimits, shutdown: CancellationToken) {
    let table = Arc::new(Table::new(limits.max_connections));
    let builder = Arc::new(http1_builder(&limits));
    let mut tasks = JoinSet::new();
    loop {
        let accepted = tokio::select! {
            () = shutdown.cancelled() => break,
            accepted = listener.accept() => accepted,
        };
        while tasks.try_join_next().is_some() {}
        let io = match accepted {
            Ok(io) => io,
            Err(error) => {
                after_accept_error(&table, error).await;
                continue;
            }
        };
        let Some((id, slot)) = table.admit() else {
            tracing::warn!(max = limits.max_connections, "every connection is busy: closing a new one");
            continue;
        };
        let (router, table, builder, shutdown) = (router.clone(), Arc::clone(&table), Arc::clone(&builder), shutdown.clone());
        tasks.spawn(async move {
            serve_one(io, router, slot, Arc::clone(&table), builder, shutdown).await;
            table.leave(id);
        });
    }
    drop(listener);
    while tasks.join_next().await.is_some() {}
}
