//! The service's listeners at their edges, on the real binary: a flood of connections without the
//! token does not lock the owner out of the TCP port; the API's unix socket is owner-only from
//! the moment it exists; a configured token too short to be secret is refused at start.

mod support;

use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use support::{Launch, Server, TestHome, wait_until};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const TOKEN: &str = "0123456789abcdef0123456789abcdef";
const FLOOD: usize = 2000;
/// Debian's default soft limit; with it as the hard limit too, serve cannot raise it, so it must
/// make room by closing idle connections rather than by having descriptors to spare.
const SERVE_OPEN_FILES: u64 = 1024;

fn socket_address(server: &Server) -> SocketAddr {
    server.address.strip_prefix("http://").expect("a TCP address").parse().unwrap()
}

/// The owner's `GET /api/health` on a new connection: the status, and how long it took.
async fn health(address: SocketAddr) -> (Option<u16>, Duration) {
    let started = Instant::now();
    let answer = async {
        let mut stream = TcpStream::connect(address).await.ok()?;
        let request = format!("GET /api/health HTTP/1.1\r\nHost: {address}\r\nAuthorization: token {TOKEN}\r\nConnection: close\r\n\r\n");
        stream.write_all(request.as_bytes()).await.ok()?;
        let mut text = String::new();
        stream.read_to_string(&mut text).await.ok()?;
        text.strip_prefix("HTTP/1.1 ")?.get(..3)?.parse().ok()
    };
    let status = tokio::time::timeout(Duration::from_secs(5), answer).await.ok().flatten();
    (status, started.elapsed())
}

/// Several health requests, each answered with 200 within a second (a generous bound on
/// loopback, where an unhindered answer takes about a millisecond).
async fn owner_gets_through(address: SocketAddr, when: &str) {
    for round in 0..5 {
        let (status, took) = health(address).await;
        assert_eq!(status, Some(200), "{when}, round {round}: no answer after {took:?}");
        assert!(took < Duration::from_secs(1), "{when}, round {round}: answered after {took:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// `FLOOD` connections without the token; each sends `first` (maybe nothing) and then waits.
/// Gives up after three connects in a row hang (the service takes no more connections).
async fn flood(address: SocketAddr, first: &[u8]) -> Vec<TcpStream> {
    let mut streams = Vec::with_capacity(FLOOD);
    let mut hung = 0;
    while streams.len() < FLOOD && hung < 3 {
        match tokio::time::timeout(Duration::from_secs(1), TcpStream::connect(address)).await {
            Ok(Ok(mut stream)) => {
                hung = 0;
                let _ = stream.write_all(first).await;
                streams.push(stream);
            }
            Ok(Err(error)) => panic!("connection {} refused: {error}", streams.len()),
            Err(_) => hung += 1,
        }
    }
    streams
}

/// True while the service keeps `stream` open: its flood was still in force.
async fn still_open(stream: &mut TcpStream) -> bool {
    let mut buf = [0u8; 64];
    tokio::time::timeout(Duration::from_millis(100), stream.read(&mut buf)).await.is_err()
}

fn raise_own_open_files_limit() {
    let limit = fl_sys::raise_open_files_limit().unwrap();
    assert!(limit > FLOOD as u64 + 200, "this test needs more than {} open files; the hard limit is {limit}", FLOOD + 200);
}

async fn start_on_tcp(home: &TestHome) -> Server {
    let env = [("FIREFOX_LAUNCHER_TOKEN", TOKEN)];
    Server::launch(home, Launch { env: &env, open_files: Some(SERVE_OPEN_FILES), ..Launch::default() }).await
}

#[tokio::test]
async fn a_flood_of_silent_connections_does_not_lock_the_owner_out() {
    raise_own_open_files_limit();
    let home = TestHome::new();
    let server = start_on_tcp(&home).await;
    let address = socket_address(&server);
    owner_gets_through(address, "before the flood").await;
    let mut streams = flood(address, b"").await;
    owner_gets_through(address, &format!("after {} silent connections", streams.len())).await;
    assert_eq!(streams.len(), FLOOD, "the flood was cut short");
    assert!(still_open(streams.last_mut().unwrap()).await, "the flood was over before the owner's requests");
}

#[tokio::test]
async fn a_flood_of_trickled_partial_headers_does_not_lock_the_owner_out() {
    raise_own_open_files_limit();
    let home = TestHome::new();
    let server = start_on_tcp(&home).await;
    let address = socket_address(&server);
    owner_gets_through(address, "before the flood").await;
    let mut streams = flood(address, b"GET /api/health HTTP/1.1\r\nHost: x\r\nX-Slow: ").await;
    let count = streams.len();
    let mut newest = streams.pop().unwrap();
    // One more byte of the never-ending header on every connection, every 300 ms.
    let trickle = tokio::spawn(async move {
        loop {
            for stream in &streams {
                let _ = stream.try_write(b"x");
            }
            tokio::time::sleep(Duration::from_millis(300)).await;
        }
    });
    owner_gets_through(address, &format!("while {count} connections trickle headers")).await;
    trickle.abort();
    assert_eq!(count, FLOOD, "the flood was cut short");
    assert!(still_open(&mut newest).await, "the flood was over before the owner's requests");
}

#[test]
fn the_api_socket_is_owner_only_from_the_start() {
    // Under the usual umask 022, a socket that is only chmodded after bind is born 0755 for a
    // moment; serve must not depend on the umask it was started with.
    fl_sys::with_umask(0o022, || {
        tokio::runtime::Runtime::new().unwrap().block_on(async {
            let home = TestHome::new();
            let socket = home.path().join("api.sock");
            let server = Server::start(&home, &["--unix-socket", socket.to_str().unwrap()], &[]).await;
            // The runtime file is written right after the bind; nothing changes the mode later.
            let mode = std::os::unix::fs::PermissionsExt::mode(&std::fs::metadata(&socket).unwrap().permissions());
            assert_eq!(mode & 0o077, 0, "the API socket is {:o}", mode & 0o777);
            assert!(server.client.list().await.is_ok(), "the owner reaches it");
        });
    });
}

/// A `serve` that is killed if the test ends before it does.
struct Serve(Child);

impl Drop for Serve {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[tokio::test]
async fn a_token_shorter_than_16_bytes_is_refused_at_start() {
    let home = TestHome::new();
    let short = "tiny-t0ken";
    let mut serve = Serve(
        Command::new(env!("CARGO_BIN_EXE_firefox-launcher"))
            .args(["serve", "--port", "0", "--home", home.home().to_str().unwrap()])
            .env("HOME", home.path())
            .env("FIREFOX_LAUNCHER_TOKEN", short)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap(),
    );
    let mut status = None;
    wait_until(Duration::from_secs(10), "serve to exit", || {
        status = serve.0.try_wait().unwrap();
        status.is_some()
    })
    .await;
    let mut stderr = String::new();
    std::io::Read::read_to_string(serve.0.stderr.as_mut().unwrap(), &mut stderr).unwrap();
    assert!(!status.unwrap().success(), "serve accepted a {}-byte token", short.len());
    assert!(stderr.contains("FIREFOX_LAUNCHER_TOKEN") && stderr.contains("too short"), "{stderr}");
    assert!(!stderr.contains(short), "the token was echoed: {stderr}");
    assert!(!fl_api::RuntimeFile::path(&home.home()).exists(), "a refused serve announced itself");

    // Control: a 32-byte token starts, and is the one announced.
    let server = Server::start(&home, &[], &[("FIREFOX_LAUNCHER_TOKEN", TOKEN)]).await;
    assert_eq!(server.client.token(), Some(TOKEN));
}

/// The websocket relay moves bytes both ways exactly, bytes that came with the upgrade request
/// first, and counts them in `/metrics` (through `bench/fake-xpra-stream`, a byte source and
/// sink behind the upgrade: D N sends N bytes, U N takes N and answers K, E N echoes N).
#[tokio::test]
async fn the_websocket_relay_moves_bytes_both_ways_and_counts_them() {
    let fake = concat!(env!("CARGO_MANIFEST_DIR"), "/../../bench/fake-xpra-stream");
    let home = TestHome::new();
    let args = ["--xpra", fake, "--firefox", "/bin/true", "--no-window-check"];
    let server = Server::start(&home, &args, &[("FIREFOX_LAUNCHER_TOKEN", TOKEN)]).await;
    let session = server.client.start(None).await.unwrap();
    let command = |op: u8, n: u64| [&[op][..], &n.to_be_bytes()].concat();

    let mut stream = TcpStream::connect(socket_address(&server)).await.unwrap();
    let upgrade = format!(
        "GET /sessions/{}/ HTTP/1.1\r\nHost: x\r\nAuthorization: token {TOKEN}\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\
         Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n",
        session.port
    );
    // The first command rides in the same write as the request's headers.
    stream.write_all(&[upgrade.as_bytes(), &command(b'E', 5), b"early"].concat()).await.unwrap();
    let mut head = Vec::new();
    while !head.ends_with(b"\r\n\r\n") {
        head.push(stream.read_u8().await.unwrap());
    }
    assert!(head.starts_with(b"HTTP/1.1 101"), "{}", String::from_utf8_lossy(&head));
    let mut echoed = [0u8; 5];
    let limit = Duration::from_secs(10);
    tokio::time::timeout(limit, stream.read_exact(&mut echoed)).await.expect("the bytes sent with the upgrade to come back").unwrap();
    assert_eq!(&echoed, b"early");

    const DOWN: u64 = 3 << 20;
    stream.write_all(&command(b'D', DOWN)).await.unwrap();
    let mut down = vec![0u8; DOWN as usize];
    tokio::time::timeout(limit, stream.read_exact(&mut down)).await.expect("Xpra's bytes").unwrap();
    assert!(down.iter().all(|&b| b == 0x5a), "the bytes from Xpra changed on the way");
    const UP: u64 = 2 << 20;
    stream.write_all(&command(b'U', UP)).await.unwrap();
    stream.write_all(&vec![7u8; UP as usize]).await.unwrap();
    assert_eq!(tokio::time::timeout(limit, stream.read_u8()).await.expect("Xpra to take the bytes").unwrap(), b'K');
    stream.write_all(&command(b'Q', 0)).await.unwrap();
    assert_eq!(stream.read(&mut echoed).await.unwrap(), 0, "Xpra's close reaches the browser");

    let (up, down) = (4 * 9 + 5 + UP, 5 + DOWN + 1);
    let counted = |direction: &str| {
        let line = format!("firefox_launcher_websocket_bytes_total{{direction=\"{direction}\"}} ");
        move |metrics: &str| metrics.lines().find_map(|l| l.strip_prefix(line.as_str())).and_then(|v| v.parse::<u64>().ok())
    };
    let (count_up, count_down) = (counted("up"), counted("down"));
    support::eventually(Duration::from_secs(5), "the relayed bytes to be counted", || async {
        let metrics = server.metrics_text().await;
        count_up(&metrics) == Some(up) && count_down(&metrics) == Some(down)
    })
    .await;
    server.stop_leaving_nothing(session.port).await;
}
