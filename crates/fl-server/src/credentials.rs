//! The secrets derived from the service's token, and how they are compared.
//!
//! Kept apart from the middleware that checks requests ([`crate::auth`]) so that the state can
//! derive them once without the two modules depending on each other.
//!
//! - The **session cookie** opens every session's page (not the API): HMAC-SHA256 keyed with the
//!   token over a fixed label. Holding it is not holding the token.
//! - A **session key** opens one session's page and nothing else: HMAC-SHA256 keyed with the
//!   token over the session's port and creation time, so a key of an ended session does not open
//!   the next session that gets the same port. It is what `firefox-launcher start` prints, in
//!   place of the token, which used to land in shell history and browser history.

use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::error::ServeError;

/// A shorter configured token is refused at start: it could be guessed by anyone on the machine.
pub(crate) const MIN_TOKEN_BYTES: usize = 16;

/// What the session cookie's HMAC is computed over; a new label would make new cookies.
const COOKIE_LABEL: &[u8] = b"firefox-launcher session cookie";

/// What a session key's HMAC starts with, before the port and the creation time.
const KEY_LABEL: &str = "firefox-launcher session key";

pub(crate) fn check_token_length(token: &str) -> Result<(), ServeError> {
    match token.len() {
        len if len < MIN_TOKEN_BYTES => Err(ServeError::TokenTooShort { len, min: MIN_TOKEN_BYTES }),
        _ => Ok(()),
    }
}

fn hmac_hex(token: &str, message: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(token.as_bytes()).expect("HMAC takes keys of any length");
    mac.update(message);
    mac.finalize().into_bytes().iter().map(|b| format!("{b:02x}")).collect()
}

/// The session cookie's value, in hex.
pub(crate) fn session_cookie(token: &str) -> String {
    hmac_hex(token, COOKIE_LABEL)
}

/// The key that opens only the session on `port` created at `created_at` (RFC 3339), in hex.
pub(crate) fn session_key(token: &str, port: u16, created_at: &str) -> String {
    hmac_hex(token, format!("{KEY_LABEL} {port} {created_at}").as_bytes())
}

/// Compares in time independent of where the first difference is.
pub(crate) fn same(a: &str, b: &str) -> bool {
    a.len() == b.len() && a.bytes().zip(b.bytes()).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    const TOKEN: &str = "0123456789abcdef0123456789abcdef";

    #[test]
    fn the_session_cookie_is_derived_from_the_token_and_is_not_it() {
        let cookie = session_cookie(TOKEN);
        // Python: hmac.new(token, b"firefox-launcher session cookie", hashlib.sha256).hexdigest()
        assert_eq!(cookie, "cc432f1121695ec6ead4e43477b4889b54b5904c3d442d995036962f02dde56d");
        assert_ne!(cookie, session_cookie("0123456789abcdef0123456789abcdeg"));
    }

    #[test]
    fn a_session_key_names_one_port_and_one_creation() {
        let key = session_key(TOKEN, 41223, "2026-12-06T10:00:00Z");
        // Python: hmac.new(token, b"firefox-launcher session key 41223 2026-12-06T10:00:00Z", sha256)
        assert_eq!(key, "64e79f57ccc6a9b58cc69b7a589d194ee5edbc685e7bf460f5578d06eacab40b");
        assert_ne!(key, session_key(TOKEN, 41224, "2026-12-06T10:00:00Z"));
        assert_ne!(key, session_key(TOKEN, 41223, "2026-12-06T10:00:01Z"));
        assert_ne!(key, session_cookie(TOKEN));
    }

    #[test]
    fn tokens_shorter_than_16_bytes_are_refused() {
        assert!(matches!(check_token_length("123456789012345"), Err(ServeError::TokenTooShort { len: 15, min: 16 })));
        assert!(check_token_length("1234567890123456").is_ok());
    }

    #[test]
    fn comparison_is_exact() {
        assert!(same("abc", "abc"));
        assert!(!same("abc", "abd"));
        assert!(!same("abc", "abcd"));
    }
}
