//! A TCP port held for a session's whole life, with nothing listening on it.
//!
//! A session's port is its identity (`session-PORT`, `/sessions/PORT/`), but no process of a
//! session listens on TCP: every local user can connect to a loopback port, and Xpra's listener
//! answered HTTP (`/Info`, `/Status`) before any password. So the service holds the port itself
//! with a socket that is bound but never listens: a connection to it is refused by the kernel
//! (RST), and no other program, ours or another user's, can bind it while we hold it. The socket
//! is made without `SO_REUSEADDR`, which is what makes every other bind of the port fail (the
//! kernel lets two non-listening sockets share a port only when both ask to). The bind itself
//! picks and claims the port in one step, so there is no window between a check and a use.

use std::net::{Ipv4Addr, SocketAddrV4};
use std::os::fd::OwnedFd;

use nix::sys::socket::{AddressFamily, SockFlag, SockType, SockaddrIn, bind, getsockname, socket};

/// A loopback TCP port bound (not listening) by this process until dropped.
#[derive(Debug)]
pub struct PortReservation {
    _socket: OwnedFd,
    port: u16,
}

impl PortReservation {
    /// Claims `127.0.0.1:port`; `0` lets the kernel pick a free one. `EADDRINUSE` means another
    /// socket has it.
    pub fn bind(port: u16) -> std::io::Result<Self> {
        let socket = socket(AddressFamily::Inet, SockType::Stream, SockFlag::SOCK_CLOEXEC, None)?;
        bind(std::os::fd::AsRawFd::as_raw_fd(&socket), &SockaddrIn::from(SocketAddrV4::new(Ipv4Addr::LOCALHOST, port)))?;
        let bound: SockaddrIn = getsockname(std::os::fd::AsRawFd::as_raw_fd(&socket))?;
        Ok(Self { _socket: socket, port: bound.port() })
    }

    pub fn port(&self) -> u16 {
        self.port
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_held_port_refuses_connections_and_other_binds_until_dropped() {
        let held = PortReservation::bind(0).unwrap();
        let port = held.port();
        assert_ne!(port, 0);
        let refused = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap_err();
        assert_eq!(refused.kind(), std::io::ErrorKind::ConnectionRefused);
        // std's listener sets SO_REUSEADDR: it still cannot take the port.
        let taken = std::net::TcpListener::bind(("127.0.0.1", port)).unwrap_err();
        assert_eq!(taken.kind(), std::io::ErrorKind::AddrInUse);
        assert_eq!(std::net::TcpListener::bind(("0.0.0.0", port)).unwrap_err().kind(), std::io::ErrorKind::AddrInUse);
        assert_eq!(PortReservation::bind(port).unwrap_err().kind(), std::io::ErrorKind::AddrInUse);
        drop(held);
        // Control: once released, the same binds succeed.
        let again = PortReservation::bind(port).unwrap();
        drop(again);
        assert!(std::net::TcpListener::bind(("127.0.0.1", port)).is_ok());
    }
}
