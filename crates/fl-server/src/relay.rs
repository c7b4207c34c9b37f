//! The websocket between a browser and a session's Xpra, once both sides have switched protocols.
//!
//! The bytes are Xpra's (pixel updates down, input up) and we never look into them, so they are
//! moved socket to pipe to socket with `splice(2)` and never copied into user space: through
//! buffers the relay reached about half the throughput of a direct connection. hyper hands the
//! upgraded connections over as its own type; we take back the sockets underneath (and whatever
//! hyper had already read past the headers, which goes first). A connection of another type
//! falls back to copying. Both ways count their bytes for `/metrics`.

use std::os::fd::{AsFd, BorrowedFd};
use std::sync::atomic::{AtomicU64, Ordering};

use bytes::Bytes;
use fl_sys::SplicePipe;
use hyper::upgrade::Upgraded;
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncWriteExt, Interest};
use tokio::net::{TcpStream, UnixStream};

/// Per direction when copying: Xpra's frames are large, and 8 KiB copies cost a syscall pair per
/// 8 KiB.
const COPY_BUFFER: usize = 256 * 1024;

/// The socket under an upgraded connection.
enum Socket {
    Tcp(TcpStream),
    Unix(UnixStream),
}

impl Socket {
    /// The socket and the bytes hyper had read beyond the upgrade, or the connection back.
    fn take(upgraded: Upgraded) -> Result<(Self, Bytes), Upgraded> {
        let upgraded = match upgraded.downcast::<TokioIo<TcpStream>>() {
            Ok(parts) => return Ok((Self::Tcp(parts.io.into_inner()), parts.read_buf)),
            Err(upgraded) => upgraded,
        };
        upgraded.downcast::<TokioIo<UnixStream>>().map(|parts| (Self::Unix(parts.io.into_inner()), parts.read_buf))
    }

    async fn ready(&self, interest: Interest) -> std::io::Result<()> {
        match self {
            Self::Tcp(s) => s.ready(interest).await.map(drop),
            Self::Unix(s) => s.ready(interest).await.map(drop),
        }
    }

    fn try_io<R>(&self, interest: Interest, f: impl FnOnce() -> std::io::Result<R>) -> std::io::Result<R> {
        match self {
            Self::Tcp(s) => s.try_io(interest, f),
            Self::Unix(s) => s.try_io(interest, f),
        }
    }

    fn fd(&self) -> BorrowedFd<'_> {
        match self {
            Self::Tcp(s) => s.as_fd(),
            Self::Unix(s) => s.as_fd(),
        }
    }

    /// Xpra turns `TCP_NODELAY` on once it has written a packet, so that the partial segment ending
    /// it does not wait for the browser to acknowledge the ones before it: a round trip per packet
    /// on a remote link. Xpra no longer writes to the browser's socket, the relay does, and what it
    /// has it sends at once; it cannot tell packets apart, so it keeps the option on throughout.
    fn send_at_once(&self) -> std::io::Result<()> {
        match self {
            Self::Tcp(s) => s.set_nodelay(true),
            Self::Unix(_) => Ok(()),
        }
    }

    async fn write_all(&mut self, bytes: &[u8]) -> std::io::Result<()> {
        match self {
            Self::Tcp(s) => s.write_all(bytes).await,
            Self::Unix(s) => s.write_all(bytes).await,
        }
    }
}

/// Bytes relayed so far, each way, over every websocket of the service.
#[derive(Debug, Default)]
pub(crate) struct Counters {
    /// Xpra to the browser.
    pub down: AtomicU64,
    /// The browser to Xpra.
    pub up: AtomicU64,
}

/// Relays until either side closes; returns (up, down) bytes.
pub(crate) async fn relay(client: Upgraded, upstream: Upgraded, counters: &Counters) -> std::io::Result<(u64, u64)> {
    match (Socket::take(client), Socket::take(upstream)) {
        (Ok(client), Ok(upstream)) => splice_both_ways(client, upstream, counters).await,
        (Err(client), Err(upstream)) => copy_both_ways(client, upstream, counters).await,
        // Only one side came apart: a change in hyper or in our listeners. The side that did
        // has lost hyper's wrapper, so neither way can relay it.
        _ => Err(std::io::Error::other("one side of the websocket is of an unknown connection type")),
    }
}

async fn splice_both_ways(client: (Socket, Bytes), upstream: (Socket, Bytes), counters: &Counters) -> std::io::Result<(u64, u64)> {
    let ((mut client, client_early), (mut upstream, upstream_early)) = (client, upstream);
    client.send_at_once()?;
    upstream.send_at_once()?;
    upstream.write_all(&client_early).await?;
    client.write_all(&upstream_early).await?;
    counters.up.fetch_add(client_early.len() as u64, Ordering::Relaxed);
    counters.down.fetch_add(upstream_early.len() as u64, Ordering::Relaxed);
    let (up_pipe, down_pipe) = (SplicePipe::new()?, SplicePipe::new()?);
    let (up, down) = tokio::try_join!(
        pump(&client, &upstream, &up_pipe, &counters.up),
        pump(&upstream, &client, &down_pipe, &counters.down),
    )?;
    Ok((up + client_early.len() as u64, down + upstream_early.len() as u64))
}

/// Neither connection is a socket we know: copy through buffers.
async fn copy_both_ways(client: Upgraded, upstream: Upgraded, counters: &Counters) -> std::io::Result<(u64, u64)> {
    let (mut client, mut upstream) = (TokioIo::new(client), TokioIo::new(upstream));
    let (up, down) = tokio::io::copy_bidirectional_with_sizes(&mut client, &mut upstream, COPY_BUFFER, COPY_BUFFER).await?;
    counters.up.fetch_add(up, Ordering::Relaxed);
    counters.down.fetch_add(down, Ordering::Relaxed);
    Ok((up, down))
}

/// One direction: `from` → pipe → `to`, until `from` ends; then the end is passed on.
async fn pump(from: &Socket, to: &Socket, pipe: &SplicePipe, counter: &AtomicU64) -> std::io::Result<u64> {
    let mut total = 0u64;
    loop {
        from.ready(Interest::READABLE).await?;
        let filled = match from.try_io(Interest::READABLE, || pipe.fill(from.fd())) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => continue,
            Err(e) => return Err(e),
        };
        let mut left = filled;
        while left > 0 {
            to.ready(Interest::WRITABLE).await?;
            match to.try_io(Interest::WRITABLE, || pipe.drain(to.fd(), left)) {
                Ok(0) => return Err(std::io::Error::other("the relay's pipe ran dry")),
                Ok(n) => left -= n,
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
                Err(e) => return Err(e),
            }
        }
        total += filled as u64;
        counter.fetch_add(filled as u64, Ordering::Relaxed);
    }
    // The other direction may still carry bytes: only this one is over.
    let _ = fl_sys::shutdown_write(to.fd());
    Ok(total)
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::AsyncReadExt;
    use tokio::net::TcpListener;

    /// A connected pair: (the relay's end, the peer's end).
    async fn tcp_pair() -> (TcpStream, TcpStream) {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let peer = TcpStream::connect(listener.local_addr().unwrap()).await.unwrap();
        (listener.accept().await.unwrap().0, peer)
    }

    #[tokio::test]
    async fn the_relay_writes_to_the_browser_without_waiting_for_acknowledgements() {
        let ((relay_browser, mut browser), (relay_xpra, mut xpra)) = (tcp_pair().await, tcp_pair().await);
        // The same socket as the relay's end, to read its options while the relay owns that end.
        let probe = std::net::TcpStream::from(relay_browser.as_fd().try_clone_to_owned().unwrap());
        assert!(!probe.nodelay().unwrap(), "a new socket waits (Nagle)");
        let counters = Counters::default();
        let relay = splice_both_ways((Socket::Tcp(relay_browser), Bytes::new()), (Socket::Tcp(relay_xpra), Bytes::new()), &counters);
        let peers = async {
            xpra.write_all(b"frame").await.unwrap();
            let mut got = [0u8; 5];
            browser.read_exact(&mut got).await.unwrap();
            assert_eq!(&got, b"frame");
            assert!(probe.nodelay().unwrap(), "the relay's socket towards the browser has TCP_NODELAY");
            drop((browser, xpra));
        };
        let (relayed, ()) = tokio::join!(relay, peers);
        assert_eq!(relayed.unwrap(), (0, 5));
        assert_eq!(counters.down.load(Ordering::Relaxed), 5);
    }
}
