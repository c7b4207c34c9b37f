//! The defaults the service chose (`serve --video`, `--encoding`), written into our script for
//! Debian's client.

use fl_session_page::ClientDefaults;
#[cfg(test)]
use fl_session_page::Encoding;

/// Where our script receives them; the script ships with an empty object there.
pub(crate) const MARKER: &str = "var DEFAULTS = {};";

/// The script's `DEFAULTS` line. Values are our own words (never from a request), so they
/// need no escaping; `auto` leaves the client's own choice.
pub(crate) fn script_line(defaults: &ClientDefaults) -> String {
    let encoding = match defaults.encoding {
        fl_session_page::Encoding::Auto => String::new(),
        other => format!(", encoding: '{other}'"),
    };
    format!("var DEFAULTS = {{ video: '{}'{encoding} }};", defaults.video)
}

/// Our script with these defaults written in.
pub(crate) fn apply(defaults: &ClientDefaults, script: &str) -> String {
    script.replacen(MARKER, &script_line(defaults), 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_script_gets_the_defaults_once() {
        let script = crate::patches::OUR_SCRIPT;
        assert_eq!(script.matches(MARKER).count(), 1, "our script lost its DEFAULTS line");
        let written = apply(&ClientDefaults { video: true, encoding: Encoding::Webp }, script);
        assert!(written.contains("var DEFAULTS = { video: 'true', encoding: 'webp' };"));
        assert!(!written.contains(MARKER));
        let auto = apply(&ClientDefaults::default(), script);
        assert!(auto.contains("var DEFAULTS = { video: 'false' };"));
    }
}
