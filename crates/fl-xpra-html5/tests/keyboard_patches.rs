//! The keyboard edits land in the client Debian ships (what they do is measured in a browser:
//! `js-extension/ui-tests/keyboard.test.mjs`).

use std::path::Path;

use fl_xpra_html5::{DEBIAN_DIR, Html5Client};

#[test]
fn the_client_hands_keys_to_our_script_and_turns_keyboard_sync_off() {
    let client = Html5Client::load(Path::new(DEBIAN_DIR), &Default::default()).expect("the packaged client patches cleanly");
    let js = |path: &str| String::from_utf8(client.get(path).expect("served").body().unwrap().to_vec()).unwrap();
    let client_js = js("js/Client.js");
    let process = &client_js[client_js.find("XpraClient.prototype._keyb_process = function").unwrap()..];
    let hook = process.find("Utilities.flKeyEvent(this, pressed, event)").expect("key events go through our script first");
    assert!(hook < process.find("var keyname = event.code").unwrap(), "before the client reads the key");
    assert!(client_js.contains("(Utilities.isMacOS() && (keyname==\"Alt_L\" || keyname==\"Alt_R\"))"));
    assert!(client_js.contains("\"keyboard_sync\"\t\t\t\t: false,"));
    let ours = js("js/firefox-launcher.js");
    for name in ["Utilities.flKeyEvent = ", "Utilities.getKeyboardLayout = ", "Utilities.flLayoutFromMap = "] {
        assert!(ours.contains(name), "{name}");
    }
}
