//! Moving bytes between two sockets through a pipe with `splice(2)`, so they never enter user
//! space: the websocket relay's bytes are Xpra's pixel updates, and copying them through buffers
//! cost the proxy about half the throughput of a direct connection.

use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd};

use nix::fcntl::{FcntlArg, OFlag, SpliceFFlags, fcntl, splice};

/// What the pipe asks for; the kernel may give less (`/proc/sys/fs/pipe-max-size`).
const PIPE_SIZE: i32 = 1 << 20;

/// A non-blocking pipe that carries one direction of a relay.
#[derive(Debug)]
pub struct SplicePipe {
    read: OwnedFd,
    write: OwnedFd,
    capacity: usize,
}

impl SplicePipe {
    pub fn new() -> std::io::Result<Self> {
        let (read, write) = nix::unistd::pipe2(OFlag::O_NONBLOCK | OFlag::O_CLOEXEC)?;
        let capacity = fcntl(&write, FcntlArg::F_SETPIPE_SZ(PIPE_SIZE)).map_or(64 * 1024, |n| n as usize);
        Ok(Self { read, write, capacity })
    }

    /// Moves up to the pipe's capacity from `from` into the pipe. `Ok(0)` is end of stream;
    /// `WouldBlock` when `from` has nothing now.
    pub fn fill(&self, from: BorrowedFd<'_>) -> std::io::Result<usize> {
        let flags = SpliceFFlags::SPLICE_F_MOVE | SpliceFFlags::SPLICE_F_NONBLOCK;
        Ok(splice(from, None, &self.write, None, self.capacity, flags)?)
    }

    /// Moves up to `len` bytes from the pipe into `to`; `WouldBlock` when `to` is full.
    pub fn drain(&self, to: BorrowedFd<'_>, len: usize) -> std::io::Result<usize> {
        // No SPLICE_F_MORE: like MSG_MORE it holds back a small write, a keystroke or a ping.
        let flags = SpliceFFlags::SPLICE_F_MOVE | SpliceFFlags::SPLICE_F_NONBLOCK;
        Ok(splice(&self.read, None, to, None, len, flags)?)
    }
}

/// Tells the peer of a socket that no more bytes will come (`shutdown(SHUT_WR)`), passing on an
/// end of stream seen in the other direction.
pub fn shutdown_write(socket: BorrowedFd<'_>) -> std::io::Result<()> {
    Ok(nix::sys::socket::shutdown(socket.as_fd().as_raw_fd(), nix::sys::socket::Shutdown::Write)?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{Read, Write};
    use std::os::unix::net::UnixStream;

    #[test]
    fn bytes_cross_from_one_socket_to_another_and_the_end_is_seen() {
        let (mut writer, source) = UnixStream::pair().unwrap();
        let (sink, mut reader) = UnixStream::pair().unwrap();
        let pipe = SplicePipe::new().unwrap();
        assert_eq!(pipe.fill(source.as_fd()).unwrap_err().kind(), std::io::ErrorKind::WouldBlock);
        writer.write_all(b"hello").unwrap();
        let n = pipe.fill(source.as_fd()).unwrap();
        assert_eq!(n, 5);
        assert_eq!(pipe.drain(sink.as_fd(), n).unwrap(), 5);
        let mut got = [0u8; 5];
        reader.read_exact(&mut got).unwrap();
        assert_eq!(&got, b"hello");
        drop(writer);
        assert_eq!(pipe.fill(source.as_fd()).unwrap(), 0, "end of stream");
        shutdown_write(sink.as_fd()).unwrap();
        assert_eq!(reader.read(&mut got).unwrap(), 0);
    }
}
