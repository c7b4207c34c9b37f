//! The accept loop on a real socket, with small limits so each case runs in about a second:
//! a flood of idle connections does not lock a request out, silent and trickling connections are
//! closed, websockets still upgrade, a request whose body its route ignores keeps its connection,
//! and shutdown stops accepting.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::Request;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use fl_server::{ConnectionLimits, serve_connections};
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_util::sync::CancellationToken;

const LIMITS: ConnectionLimits = ConnectionLimits { max_connections: 16, header_read_timeout: Duration::from_millis(500) };

/// Answers 101 and echoes whatever the upgraded connection sends.
async fn echo_upgrade(mut request: Request) -> Response {
    let upgrade = hyper::upgrade::on(&mut request);
    tokio::spawn(async move {
        let mut io = TokioIo::new(upgrade.await.unwrap());
        let mut buf = [0u8; 64];
        while let Ok(n @ 1..) = io.read(&mut buf).await {
            io.write_all(&buf[..n]).await.unwrap();
        }
    });
    (StatusCode::SWITCHING_PROTOCOLS, [(header::CONNECTION, "upgrade"), (header::UPGRADE, "echo")]).into_response()
}

struct Service {
    address: SocketAddr,
    shutdown: CancellationToken,
    task: tokio::task::JoinHandle<()>,
}

async fn start() -> Service {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let router = Router::new()
        .route("/", get(|| async { "ok" }))
        .route("/ignores-its-body", axum::routing::post(|| async { "ok" }))
        .route("/upgrade", get(echo_upgrade));
    let shutdown = CancellationToken::new();
    let task = tokio::spawn(serve_connections(listener, router, LIMITS, shutdown.clone()));
    Service { address, shutdown, task }
}

/// `GET /` on a new connection: the status, and how long the answer took.
async fn get_root(address: SocketAddr) -> (Option<u16>, Duration) {
    let started = Instant::now();
    let answer = async {
        let mut stream = TcpStream::connect(address).await.ok()?;
        stream.write_all(b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").await.ok()?;
        let mut text = String::new();
        stream.read_to_string(&mut text).await.ok()?;
        text.strip_prefix("HTTP/1.1 ")?.get(..3)?.parse().ok()
    };
    let status = tokio::time::timeout(Duration::from_secs(5), answer).await.ok().flatten();
    (status, started.elapsed())
}

/// True when the server closes `stream` within `limit`.
async fn closed_within(stream: &mut TcpStream, limit: Duration) -> bool {
    let mut buf = [0u8; 1024];
    let deadline = Instant::now() + limit;
    loop {
        match tokio::time::timeout_at(deadline.into(), stream.read(&mut buf)).await {
            Err(_) => return false,
            Ok(Ok(0) | Err(_)) => return true,
            Ok(Ok(_)) => continue,
        }
    }
}

fn assert_answers_quickly(answer: (Option<u16>, Duration), what: &str) {
    assert_eq!(answer.0, Some(200), "{what}: no answer");
    assert!(answer.1 < Duration::from_secs(1), "{what}: answered after {:?}", answer.1);
}

#[tokio::test]
async fn a_flood_of_idle_connections_over_the_cap_does_not_lock_out_a_request() {
    let service = start().await;
    assert_answers_quickly(get_root(service.address).await, "before the flood");
    let mut flood = Vec::new();
    for i in 0..LIMITS.max_connections * 4 {
        let mut stream = TcpStream::connect(service.address).await.unwrap();
        if i % 2 == 1 {
            // Half of them start a request and never finish its headers.
            stream.write_all(b"GET / HTTP/1.1\r\nHost: x\r\n").await.unwrap();
        }
        flood.push(stream);
    }
    for round in 0..5 {
        assert_answers_quickly(get_root(service.address).await, &format!("during the flood, round {round}"));
    }
    // The oldest were closed to make room; the newest are still open.
    assert!(closed_within(&mut flood[0], Duration::from_millis(100)).await, "the oldest idle connection is still open");
    assert!(!closed_within(flood.last_mut().unwrap(), Duration::from_millis(100)).await, "the newest connection was closed");
}

#[tokio::test]
async fn silent_trickling_and_idle_keep_alive_connections_are_closed_after_the_header_timeout() {
    let service = start().await;
    let mut silent = TcpStream::connect(service.address).await.unwrap();
    let mut trickling = TcpStream::connect(service.address).await.unwrap();
    let mut kept_alive = TcpStream::connect(service.address).await.unwrap();
    kept_alive.write_all(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n").await.unwrap();
    let mut buf = [0u8; 256];
    let n = kept_alive.read(&mut buf).await.unwrap();
    assert!(buf[..n].starts_with(b"HTTP/1.1 200"), "{:?}", String::from_utf8_lossy(&buf[..n]));
    let started = Instant::now();
    let trickle = tokio::spawn(async move {
        for byte in b"GET / HTTP/1.1\r\nHost: x\r\nX-Slow: yes\r\n" {
            if trickling.write_all(&[*byte]).await.is_err() {
                return (trickling, started.elapsed());
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        (trickling, started.elapsed())
    });
    let limit = LIMITS.header_read_timeout * 3;
    assert!(closed_within(&mut silent, limit).await, "a silent connection stayed open");
    assert!(closed_within(&mut kept_alive, limit).await, "an idle keep-alive connection stayed open");
    let (mut trickling, _) = trickle.await.unwrap();
    assert!(closed_within(&mut trickling, limit).await, "a trickling connection stayed open");
    assert!(started.elapsed() < Duration::from_secs(2), "closed only after {:?}", started.elapsed());
    // Control: a connection that sends its request in time is answered.
    assert_answers_quickly(get_root(service.address).await, "after the timeouts");
}

#[tokio::test]
async fn an_upgraded_connection_carries_bytes_both_ways() {
    let service = start().await;
    let mut stream = TcpStream::connect(service.address).await.unwrap();
    stream.write_all(b"GET /upgrade HTTP/1.1\r\nHost: x\r\nConnection: upgrade\r\nUpgrade: echo\r\n\r\n").await.unwrap();
    let mut head = Vec::new();
    while !head.ends_with(b"\r\n\r\n") {
        let mut byte = [0u8];
        assert_eq!(stream.read(&mut byte).await.unwrap(), 1, "closed before the 101: {:?}", String::from_utf8_lossy(&head));
        head.push(byte[0]);
    }
    assert!(head.starts_with(b"HTTP/1.1 101"), "{:?}", String::from_utf8_lossy(&head));
    // Longer than the header timeout: an upgraded connection is no longer waiting for headers.
    tokio::time::sleep(LIMITS.header_read_timeout * 2).await;
    stream.write_all(b"ping").await.unwrap();
    let mut echoed = [0u8; 4];
    tokio::time::timeout(Duration::from_secs(2), stream.read_exact(&mut echoed)).await.unwrap().unwrap();
    assert_eq!(&echoed, b"ping");
}

#[tokio::test]
async fn shutdown_stops_accepting_and_closes_idle_connections() {
    let service = start().await;
    let mut idle = TcpStream::connect(service.address).await.unwrap();
    assert_answers_quickly(get_root(service.address).await, "before shutdown");
    service.shutdown.cancel();
    tokio::time::timeout(Duration::from_secs(1), service.task).await.expect("serve_connections returned").unwrap();
    assert!(closed_within(&mut idle, Duration::from_millis(100)).await, "an idle connection outlived shutdown");
    assert!(TcpStream::connect(service.address).await.is_err(), "still accepting after shutdown");
}

/// Reads one response (headers and a `Content-Length` body) from a kept-alive connection.
async fn read_response(stream: &mut TcpStream) -> Option<String> {
    let mut text = Vec::new();
    let mut buf = [0u8; 1024];
    loop {
        let head_end = text.windows(4).position(|w| w == b"\r\n\r\n");
        if let Some(end) = head_end {
            let head = String::from_utf8_lossy(&text[..end]).to_string();
            let length: usize = head.lines().find_map(|l| l.to_ascii_lowercase().strip_prefix("content-length: ").map(|v| v.trim().parse().unwrap()))?;
            if text.len() >= end + 4 + length {
                return Some(head);
            }
        }
        match tokio::time::timeout(Duration::from_secs(5), stream.read(&mut buf)).await {
            Ok(Ok(n @ 1..)) => text.extend_from_slice(&buf[..n]),
            _ => return None,
        }
    }
}

#[tokio::test]
async fn a_request_whose_route_ignores_its_body_keeps_its_connection() {
    let service = start().await;
    let mut stream = TcpStream::connect(service.address).await.unwrap();
    // The body comes a moment after the headers, as from a client that writes them separately.
    stream.write_all(b"POST /ignores-its-body HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n").await.unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    stream.write_all(b"{}").await.unwrap();
    let first = read_response(&mut stream).await.expect("an answer to the POST");
    assert!(first.starts_with("HTTP/1.1 200"), "{first}");
    // The same connection serves the next request (hyper closes it when a body was left unread).
    stream.write_all(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n").await.expect("the connection is still open for a second request");
    let second = read_response(&mut stream).await.expect("the kept-alive connection answers a second request");
    assert!(second.starts_with("HTTP/1.1 200"), "{second}");
    service.shutdown.cancel();
    service.task.await.unwrap();
}
