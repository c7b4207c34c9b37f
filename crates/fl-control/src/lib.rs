//! Driving a session's Firefox from its owner's code (issue 23), without opening anything to
//! anyone else.
//!
//! Firefox's own remote protocols (WebDriver BiDi, Marionette) listen on loopback TCP without
//! authentication: any local user could drive the browser. So every session's profile gets a
//! small WebExtension ([`install`]) that connects to a native messaging host, which is this
//! program started by Firefox ([`host`]): it relays the extension's messages to a unix socket in
//! the session's 0700 directory. The sidecar is the one client of that socket ([`client`]); the
//! notebook reaches the sidecar through its authenticated API. No TCP port, no web page and no
//! other uid is involved at any point.
//!
//! Messages on both legs are native messaging frames ([`frame`]): a 32-bit native-endian length
//! and that many bytes of JSON.

pub mod client;
pub mod frame;
pub mod host;
pub mod install;

pub use client::{ControlError, request};
pub use install::{EXTENSION_ID, HOST_NAME, SOCKET_ENV, USER_PREFS, install_extension, write_host_manifest};
