//! The edits made to Debian's Xpra HTML5 client (xpra 3.1.3) before it is served.
//!
//! Every string a session shows (window titles, notification text, URLs it asks to open) comes
//! from the web pages open in Firefox, and the client page runs in the user's JupyterLab origin.
//! These are the places where xpra 3.1.3's client turns such a string into markup or opens it;
//! each edit keeps the string as text or drops the request. An edit names the exact text it
//! replaces and how often that text must occur: if Xpra's files change and the text is not found
//! exactly that often, the client is refused, never served half-patched.
//!
//! Audited sinks (`grep -n '\.html(\|innerHTML\|append(\|prepend(\|attr(\|document\.title\|
//! window\.open\|\.src *=\|\.href *='` over `index.html` and `js/*.js`), and what each became:
//! - `js/Window.js` title bar built as an HTML string with the raw title: built empty, title set
//!   as text (`WINDOW_TITLE_BAR`); title updates through `.html()`: `.text()` (`WINDOW_TITLE`).
//! - `js/Notifications.js` notification title, body and action labels concatenated into markup:
//!   built from fixed markup, strings set as text (`NOTIFICATION`, `NOTIFICATION_BUTTON`).
//! - `js/Client.js` `open-url` (`window.open` of a session-chosen URL, or a link in a
//!   notification): ignored (`OPEN_URL`). `print_document` (`window.open` of a `data:` URL):
//!   ignored (`PRINT`).
//! - `js/Client.js` `do_reconnect` used an undefined `win` and threw, so the client never
//!   reconnected after a dropped connection: that reference is removed (`RECONNECT`).
//! - `index.html` session-info dialog fills cells with `.html()`: `.text()` (`INFO_AS_TEXT`).
//! - `js/Window.js`, `js/Menu-custom.js`: the default icon is `/favicon.png`, a request to the root
//!   of whatever host serves the page (Jupyter's); made relative (`*_ICON`).
//! - `js/Client.js` mouse positions and DPI in device pixels (`getMouse`, `_get_DPI`): the page
//!   is zoomed by 1/devicePixelRatio so Firefox is drawn sharp (see `assets/firefox-launcher.js`).
//! - `js/Client.js` clipboard: the direction the server announces in its hello (`--clipboard-direction`,
//!   which Xpra enforces) is kept, and the client reads the browser's clipboard (which may make
//!   the browser ask for a permission: on a click, a key, a paste in the page, or the server's
//!   request) or hands Firefox's text to it only in a direction allowed.
//! - `index.html` loads our own script right after `Utilities.js` (`OUR_SCRIPT`), which fixes
//!   where the client connects (see `assets/firefox-launcher.js`).
//! - `js/Client.js` keyboard, so typing arrives as typed (not about session strings; measured
//!   in `js-extension/ui-tests/keyboard.test.mjs`): dead keys and the characters composed with
//!   them are handled by our script; Option on a Mac picks characters like AltGr instead of
//!   being Alt; the hello asks for `keyboard_sync` off, so the server presses and releases each
//!   key at once and a late key-up cannot make X auto-repeat it. The layout choice is our
//!   script's (`Utilities.getKeyboardLayout`).
//!
//! Left as they are, checked: window and notification icons, the favicon and menu icons are set
//! to `data:image/...;base64,` URLs built by the client (the session only picks the bytes); the
//! window list and the XDG menu use text nodes; the clipboard goes through a `<textarea>`'s
//! `.text()` and `navigator.clipboard`; cursors are accepted only as `png` and set as a `data:`
//! URL through the CSSOM; window classes are stripped to `[0-9a-zA-Z]` before `addClass`; the
//! floating menu's inline `onclick` handlers never run under our CSP (the menu is hidden).

/// One literal replacement in one file of the client.
#[derive(Debug, Clone, Copy)]
pub struct Patch {
    /// What it prevents, for errors and logs.
    pub name: &'static str,
    /// Path relative to the client's directory.
    pub file: &'static str,
    pub find: &'static str,
    pub replace: &'static str,
    /// How often `find` must occur, exactly.
    pub count: usize,
}

/// The script of ours that `index.html` loads; served from this crate, not from Xpra's files.
pub const OUR_SCRIPT_PATH: &str = "js/firefox-launcher.js";
pub const OUR_SCRIPT: &str = include_str!("../assets/firefox-launcher.js");

pub const PATCHES: &[Patch] = &[
    Patch {
        name: "window title bar built without the title",
        file: "js/Window.js",
        find: "'<span class=\"windowtitle\" id=\"title' + String(wid) + '\">' + this.title + '</span> '+",
        replace: "'<span class=\"windowtitle\" id=\"title' + String(wid) + '\"></span> '+",
        count: 1,
    },
    Patch {
        name: "window title bar gets the title as text",
        file: "js/Window.js",
        find: "\t\t// make draggable\n",
        replace: "\t\tjQuery('#title' + String(wid)).text(Utilities.flDecodeTitle(this.title));\n\t\t// make draggable\n",
        count: 1,
    },
    Patch {
        name: "window title updates as text",
        file: "js/Window.js",
        find: "jQuery('#title' + this.wid).html(decodedTitle);",
        replace: "jQuery('#title' + this.wid).text(decodedTitle);\n\t\tUtilities.flTitleChanged(this, decodedTitle);",
        count: 1,
    },
    Patch {
        name: "Firefox's main window fills the page, other windows stay inside it",
        file: "js/Window.js",
        find: "\t// adapt to screen size if needed (ie: shadow / desktop windows):\n\tthis.screen_resized();\n",
        replace: "\tthis.fl_fill = Utilities.flShouldFill(this);\n\
\tif (this.fl_fill) {\n\
\t\tthis._set_decorated(false);\n\
\t\tthis.fill_screen();\n\
\t\tUtilities.flTitleChanged(this, Utilities.flDecodeTitle(this.title));\n\
\t} else {\n\
\t\tUtilities.flKeepInside(this);\n\
\t}\n\
\t// adapt to screen size if needed (ie: shadow / desktop windows):\n\tthis.screen_resized();\n",
        count: 1,
    },
    Patch {
        name: "a window the session moves or resizes stays inside the page",
        file: "js/Window.js",
        find: "\t\tthis.y = y;\n\t\tif(!this.ensure_visible()) {\n",
        replace: "\t\tthis.y = y;\n\t\tif(Utilities.flKeepInside(this) || !this.ensure_visible()) {\n",
        count: 1,
    },
    Patch {
        name: "a filling window follows the page's size",
        file: "js/Window.js",
        find: "\tif (this.fullscreen || this.maximized) {\n\t\tthis.fill_screen();",
        replace: "\tif (this.fullscreen || this.maximized || this.fl_fill) {\n\t\tthis.fill_screen();",
        count: 1,
    },
    Patch {
        name: "a filling window never gets Xpra's title bar back",
        file: "js/Window.js",
        find: "XpraWindow.prototype._set_decorated = function(decorated) {\n",
        replace: "XpraWindow.prototype._set_decorated = function(decorated) {\n\tif (this.fl_fill) {\n\t\tdecorated = false;\n\t}\n",
        count: 1,
    },
    Patch {
        name: "a filling window stays filling when Firefox un-maximizes",
        file: "js/Window.js",
        find: "XpraWindow.prototype.max_save_restore = function(use_all_space) {\n",
        replace: "XpraWindow.prototype.max_save_restore = function(use_all_space) {\n\tif (this.fl_fill) {\n\t\tthis.fill_screen();\n\t\treturn;\n\t}\n",
        count: 1,
    },
    Patch {
        name: "notification title and body as text",
        file: "js/Notifications.js",
        find: "var a = $('<div id=\"' + nID + '\" class=\"alert ' + type + '\">'+\n\
\t\t\t\t\t'<img class=\"notification_icon\" id=\"notification_icon' + nID + '\">'+\n\
\t\t\t\t\t'<span class=\"title\">'+title+'</span>'+\n\
\t\t\t\t\t'<span class=\"message\">' + message + '</span>'+\n\
\t\t\t\t\t'<div class=\"dismiss\">&#215;</div>'+\n\
\t\t\t\t  '</div>');\n",
        replace: "var a = $('<div class=\"alert\"><img class=\"notification_icon\"><span class=\"title\"></span>'+\n\
\t\t\t\t\t'<span class=\"message\"></span><div class=\"dismiss\">&#215;</div></div>');\n\
\t\ta.attr('id', nID).addClass(String(type || ''));\n\
\t\ta.find('.notification_icon').attr('id', 'notification_icon' + nID);\n\
\t\ta.find('.title').text(String(title));\n\
\t\ta.find('.message').text(String(message));\n",
        count: 1,
    },
    Patch {
        name: "notification action labels as text",
        file: "js/Notifications.js",
        find: "var notification_button = $('<div class=\"notification_button\" id=notification\"'+action_id+'\">'+action_label+'</div>');",
        replace: "var notification_button = $('<div class=\"notification_button\"></div>').attr('id', 'notification' + action_id).text(String(action_label));",
        count: 1,
    },
    Patch {
        name: "open-url requests ignored",
        file: "js/Client.js",
        find: "XpraClient.prototype._process_open_url = function(packet, ctx) {\n",
        replace: "XpraClient.prototype._process_open_url = function(packet, ctx) {\n\
\tctx.cwarn(\"firefox-launcher: a request to open a URL was ignored\");\n\
\treturn;\n",
        count: 1,
    },
    Patch {
        name: "reconnecting does not throw",
        file: "js/Client.js",
        find: "\tvar protocol = this.protocol;\n\tif (win.minimized) {\n\t\t//tell server to map it:\n\t\twin.toggle_minimized();\n\t}\n",
        replace: "\tvar protocol = this.protocol;\n",
        count: 1,
    },
    Patch {
        name: "print requests ignored",
        file: "js/Client.js",
        find: "XpraClient.prototype.print_document = function(filename, data, mimetype) {\n",
        replace: "XpraClient.prototype.print_document = function(filename, data, mimetype) {\n\
\tthis.warn(\"firefox-launcher: a print request was ignored\");\n\
\treturn;\n",
        count: 1,
    },
    Patch {
        name: "dead keys and composed characters go through our script",
        file: "js/Client.js",
        find: "\tif (!this.capture_keyboard) {\n\t\treturn true;\n\t}\n\t/**\n\t * Process a key event: key pressed or key released.\n",
        replace: "\tif (!this.capture_keyboard) {\n\t\treturn true;\n\t}\n\
\tvar fl_handled = Utilities.flKeyEvent(this, pressed, event);\n\
\tif (fl_handled !== undefined) {\n\
\t\treturn fl_handled;\n\
\t}\n\
\t/**\n\t * Process a key event: key pressed or key released.\n",
        count: 1,
    },
    Patch {
        name: "Option on a Mac chooses characters like AltGr",
        file: "js/Client.js",
        find: "if (str==\"AltGraph\" || (keyname==\"Alt_R\" && Utilities.isWindows())) {",
        replace: "if (str==\"AltGraph\" || (keyname==\"Alt_R\" && Utilities.isWindows()) || (Utilities.isMacOS() && (keyname==\"Alt_L\" || keyname==\"Alt_R\"))) {",
        count: 1,
    },
    Patch {
        name: "keys are pressed and released at once on the server",
        file: "js/Client.js",
        find: "\t\t\"keyboard\"\t\t\t\t\t: true,\n",
        replace: "\t\t\"keyboard\"\t\t\t\t\t: true,\n\t\t\"keyboard_sync\"\t\t\t\t: false,\n",
        count: 1,
    },
    Patch {
        name: "default window icon relative to the page",
        file: "js/Window.js",
        find: "var src = \"/favicon.png\";",
        replace: "var src = \"favicon.png\";",
        count: 1,
    },
    Patch {
        name: "window list icon relative to the page",
        file: "js/Menu-custom.js",
        find: "img.src=\"/favicon.png\";",
        replace: "img.src=\"favicon.png\";",
        count: 1,
    },
    Patch {
        name: "mouse positions in device pixels",
        file: "js/Client.js",
        find: "\tvar mx = e.clientX + jQuery(document).scrollLeft();\n\tvar my = e.clientY + jQuery(document).scrollTop();\n",
        replace: "\tvar mx = (e.clientX + jQuery(document).scrollLeft()) * Utilities.flScale();\n\
\tvar my = (e.clientY + jQuery(document).scrollTop()) * Utilities.flScale();\n",
        count: 1,
    },
    Patch {
        name: "the DPI of the device pixels",
        file: "js/Client.js",
        find: "XpraClient.prototype._get_DPI = function() {\n",
        replace: "XpraClient.prototype._get_DPI = function() {\n\treturn Math.round(96 * Utilities.flScale());\n",
        count: 1,
    },
    Patch {
        name: "session info as text",
        file: "index.html",
        find: ".html(",
        replace: ".text(",
        count: 12,
    },
    Patch {
        name: "our script loaded after Utilities.js",
        file: "index.html",
        find: "<script type=\"text/javascript\" src=\"js/Utilities.js\"></script>\n",
        replace: "<script type=\"text/javascript\" src=\"js/Utilities.js\"></script>\n\
\t\t<script type=\"text/javascript\" src=\"js/firefox-launcher.js\"></script>\n",
        count: 1,
    },
    Patch {
        name: "the clipboard direction the server announced is kept",
        file: "js/Client.js",
        find: "\tvar hello = packet[1];\n",
        replace: "\tvar hello = packet[1];\n\tctx.fl_clipboard_direction = Utilities.flClipboardDirection(hello);\n",
        count: 1,
    },
    Patch {
        name: "the browser's clipboard is read only when text may go into Firefox",
        file: "js/Client.js",
        find: "XpraClient.prototype._poll_clipboard = function(e) {\n",
        replace: "XpraClient.prototype._poll_clipboard = function(e) {\n\tif (!Utilities.flClipboardMay(this, 'to-server')) {\n\t\treturn;\n\t}\n",
        count: 1,
    },
    Patch {
        name: "clipboard text is sent only when it may go into Firefox",
        file: "js/Client.js",
        find: "\tif (!this.clipboard_enabled || !this.connected) {\n",
        replace: "\tif (!this.clipboard_enabled || !this.connected || !Utilities.flClipboardMay(this, 'to-server')) {\n",
        count: 1,
    },
    Patch {
        name: "Firefox's clipboard reaches the browser only when it may come out",
        file: "js/Client.js",
        find: "XpraClient.prototype._process_clipboard_token = function(packet, ctx) {\n\tif (!ctx.clipboard_enabled) {\n",
        replace: "XpraClient.prototype._process_clipboard_token = function(packet, ctx) {\n\tif (!ctx.clipboard_enabled || !Utilities.flClipboardMay(ctx, 'to-client')) {\n",
        count: 1,
    },
    Patch {
        name: "a paste in the page reads the browser's clipboard only when text may go into Firefox",
        file: "index.html",
        find: "\t\t\t\tpasteboard.on('paste', function (e) {\n\t\t\t\t\tvar paste_data;\n",
        replace: "\t\t\t\tpasteboard.on('paste', function (e) {\n\t\t\t\t\tif (!Utilities.flClipboardMay(client, 'to-server')) {\n\t\t\t\t\t\treturn false;\n\t\t\t\t\t}\n\t\t\t\t\tvar paste_data;\n",
        count: 1,
    },
    Patch {
        name: "the server's request for the browser's clipboard is answered empty unless text may go into Firefox",
        file: "js/Client.js",
        find: "XpraClient.prototype._process_clipboard_request = function(packet, ctx) {\n",
        replace: "XpraClient.prototype._process_clipboard_request = function(packet, ctx) {\n\tif (!Utilities.flClipboardMay(ctx, 'to-server')) {\n\t\tctx.send_clipboard_string(packet[1], packet[2], \"\");\n\t\treturn;\n\t}\n",
        count: 1,
    },
];

/// Why a patch could not be applied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mismatch {
    pub name: &'static str,
    pub file: &'static str,
    pub found: usize,
    pub expected: usize,
}

/// Applies every patch for `file` to `text`, all or nothing.
pub fn apply(file: &str, text: &str) -> Result<String, Mismatch> {
    let mut text = text.to_owned();
    for patch in PATCHES.iter().filter(|p| p.file == file) {
        let found = text.matches(patch.find).count();
        if found != patch.count {
            return Err(Mismatch { name: patch.name, file: patch.file, found, expected: patch.count });
        }
        text = text.replace(patch.find, patch.replace);
    }
    Ok(text)
}

/// The files some patch must be applied to: each must exist.
pub fn patched_files() -> impl Iterator<Item = &'static str> {
    let mut files: Vec<&'static str> = PATCHES.iter().map(|p| p.file).collect();
    files.sort_unstable();
    files.dedup();
    files.into_iter()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_patch_applies_only_at_its_exact_count() {
        let icon = "img.src=\"/favicon.png\";";
        let patched = apply("js/Menu-custom.js", &format!("a\n{icon}\nb")).unwrap();
        assert_eq!(patched, "a\nimg.src=\"favicon.png\";\nb");

        let twice = format!("{icon}\n{icon}");
        let err = apply("js/Menu-custom.js", &twice).unwrap_err();
        assert_eq!((err.file, err.found, err.expected), ("js/Menu-custom.js", 2, 1));
        let none = apply("js/Menu-custom.js", "nothing").unwrap_err();
        assert_eq!(none.found, 0);
    }

    #[test]
    fn files_without_patches_pass_through() {
        assert_eq!(apply("js/Keycodes.js", "anything").unwrap(), "anything");
    }

    #[test]
    fn patched_files_are_listed_once() {
        let files: Vec<_> = patched_files().collect();
        let mut unique = files.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(files.len(), unique.len());
    }
}
