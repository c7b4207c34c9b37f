//! "Firefox's window exists", asked of the session's X server directly.
//!
//! Xpra serving its page is not enough to call a session ready: Firefox takes seconds more to
//! create its first window. We connect to the session's Xvfb with the cookie from its own
//! Xauthority file and read the root window's `_NET_CLIENT_LIST`, the windows Xpra (the window
//! manager) manages, looking for one whose WM_CLASS names Firefox: what `xpra info` reports as
//! `class-instance=('Navigator', 'firefox-esr')`, without starting a Python process per probe.
//! With no client connected Xpra keeps the window unmapped, so mapping is not the test.

use std::path::Path;

use x11rb::connection::Connection;
use x11rb::protocol::xproto::{AtomEnum, ConnectionExt, Window};
use x11rb::rust_connection::{DefaultStream, RustConnection};

const COOKIE_NAME: &[u8] = b"MIT-MAGIC-COOKIE-1";
const MAX_WINDOWS: u32 = 1024;

/// The first MIT-MAGIC-COOKIE-1 in an Xauthority file for `display` (or for any display when the
/// file holds just one session's entries, as ours does).
fn read_cookie(xauthority: &Path, display: u32) -> Option<Vec<u8>> {
    let data = std::fs::read(xauthority).ok()?;
    let mut rest = data.as_slice();
    let mut fallback = None;
    let display = display.to_string();
    while rest.len() >= 2 {
        rest = &rest[2..]; // family
        let mut fields = Vec::with_capacity(4);
        for _ in 0..4 {
            let len = usize::from(u16::from_be_bytes(rest.get(..2)?.try_into().ok()?));
            fields.push(rest.get(2..2 + len)?);
            rest = &rest[2 + len..];
        }
        let (number, name, cookie) = (fields[1], fields[2], fields[3]);
        if name == COOKIE_NAME {
            if number == display.as_bytes() {
                return Some(cookie.to_vec());
            }
            fallback.get_or_insert_with(|| cookie.to_vec());
        }
    }
    fallback
}

fn is_firefox_class(wm_class: &[u8]) -> bool {
    wm_class
        .split(|b| *b == 0)
        .any(|part| part.eq_ignore_ascii_case(b"firefox") || part.eq_ignore_ascii_case(b"firefox-esr"))
}

fn has_firefox_class(conn: &RustConnection, window: Window) -> bool {
    conn.get_property(false, window, AtomEnum::WM_CLASS, AtomEnum::STRING, 0, 64)
        .ok()
        .and_then(|c| c.reply().ok())
        .is_some_and(|class| is_firefox_class(&class.value))
}

fn connect(display: u32, xauthority: &Path) -> Result<RustConnection, String> {
    let cookie = read_cookie(xauthority, display).ok_or_else(|| format!("no cookie in {}", xauthority.display()))?;
    let socket = format!("/tmp/.X11-unix/X{display}");
    // The cookie goes only to an X server running as us, never through a planted link or socket.
    let stream = fl_sys::connect_own_socket(Path::new(&socket)).map_err(|e| e.to_string())?;
    let (stream, _peer) = DefaultStream::from_unix_stream(stream).map_err(|e| format!("{socket}: {e}"))?;
    RustConnection::connect_to_stream_with_auth_info(stream, 0, COOKIE_NAME.to_vec(), cookie)
        .map_err(|e| format!("x11 setup on {socket}: {e}"))
}

/// The Firefox windows the window manager of `:display` manages, in its order.
fn firefox_windows(conn: &RustConnection) -> Result<Vec<Window>, String> {
    let root = conn.setup().roots[0].root;
    let atom = intern(conn, b"_NET_CLIENT_LIST")?;
    if atom == u32::from(AtomEnum::NONE) {
        return Ok(Vec::new());
    }
    let list = conn
        .get_property(false, root, atom, AtomEnum::WINDOW, 0, MAX_WINDOWS)
        .map_err(|e| e.to_string())?
        .reply()
        .map_err(|e| e.to_string())?;
    let managed: Vec<Window> = list.value32().map(Iterator::collect).unwrap_or_default();
    Ok(managed.into_iter().filter(|w| has_firefox_class(conn, *w)).collect())
}

fn intern(conn: &RustConnection, name: &[u8]) -> Result<u32, String> {
    Ok(conn.intern_atom(true, name).map_err(|e| e.to_string())?.reply().map_err(|e| e.to_string())?.atom)
}

/// Whether the window manager of `:display` manages a Firefox window; an error says why we
/// could not ask.
pub fn firefox_window_exists(display: u32, xauthority: &Path) -> Result<bool, String> {
    let conn = connect(display, xauthority)?;
    Ok(!firefox_windows(&conn)?.is_empty())
}

/// Longest title we report; Firefox's are the page's `<title>` plus " — Mozilla Firefox".
const MAX_TITLE_BYTES: u32 = 4096;

/// The title of Firefox's first window (`_NET_WM_NAME`, UTF-8), as the page set it: text from
/// the web, for JSON only.
pub fn firefox_title(display: u32, xauthority: &Path) -> Result<Option<String>, String> {
    let conn = connect(display, xauthority)?;
    let Some(window) = firefox_windows(&conn)?.into_iter().next() else { return Ok(None) };
    let (name, utf8) = (intern(&conn, b"_NET_WM_NAME")?, intern(&conn, b"UTF8_STRING")?);
    if name == u32::from(AtomEnum::NONE) || utf8 == u32::from(AtomEnum::NONE) {
        return Ok(None);
    }
    let title = conn
        .get_property(false, window, name, utf8, 0, MAX_TITLE_BYTES / 4)
        .map_err(|e| e.to_string())?
        .reply()
        .map_err(|e| e.to_string())?;
    Ok(Some(String::from_utf8_lossy(&title.value).into_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(number: &str, name: &[u8], data: &[u8]) -> Vec<u8> {
        let mut out = 256u16.to_be_bytes().to_vec();
        for field in [b"host".as_slice(), number.as_bytes(), name, data] {
            out.extend_from_slice(&(field.len() as u16).to_be_bytes());
            out.extend_from_slice(field);
        }
        out
    }

    #[test]
    fn picks_the_cookie_of_the_display() {
        let tmp = tempfile::NamedTempFile::new().unwrap();
        let mut data = entry("1", COOKIE_NAME, b"one");
        data.extend(entry("7", COOKIE_NAME, b"seven"));
        std::fs::write(tmp.path(), data).unwrap();
        assert_eq!(read_cookie(tmp.path(), 7).unwrap(), b"seven");
        assert_eq!(read_cookie(tmp.path(), 9).unwrap(), b"one");
    }

    #[test]
    fn firefox_classes_match_and_others_do_not() {
        assert!(is_firefox_class(b"Navigator\0firefox-esr\0"));
        assert!(is_firefox_class(b"Navigator\0Firefox\0"));
        assert!(!is_firefox_class(b"xterm\0XTerm\0"));
    }
}
