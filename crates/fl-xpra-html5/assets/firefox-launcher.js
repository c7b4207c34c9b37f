/*
 * firefox-launcher's part of the Xpra HTML5 client it serves (crates/fl-xpra-html5).
 *
 * Loaded by the patched index.html right after Utilities.js, before the client reads any option.
 *
 * The client page lives in the user's JupyterLab origin, so where it connects and what it may do
 * is not for a link to decide: it always connects back to the address it was loaded from (its
 * own websocket, under /sessions/PORT/), never takes a server, port, path, password or key from
 * the query string or from sessionStorage, and never offers printing, file transfer or the
 * connect page. A few harmless display options still come from the query string.
 */
(function () {
	'use strict';

	// Fixed whatever the URL says.
	var FORCED = {
		floating_menu: 'false',
		submit: 'false',
		printing: 'false',
		file_transfer: 'false',
		sharing: 'false',
		steal: 'true',
		sound: 'false',
		remote_logging: 'false',
		insecure: 'false',
		exit_with_children: 'false',
		exit_with_client: 'false',
		action: 'connect'
	};
	// Taken from the query string; everything else reads as unset, so the client falls back to
	// its own defaults: this page's host, port, path and scheme.
	var ALLOWED = ['encoding', 'keyboard_layout', 'swap_keys', 'clipboard', 'video', 'bandwidth_limit', 'touchaction',
		'reconnect'];

	// What the service chose for options the query string leaves unset (`serve --video`,
	// `--encoding`): written here by fl-xpra-html5 when the service loads the client.
	var DEFAULTS = {};

	var query = new URLSearchParams(window.location.search);
	// Set below from `keyboard_layout`; declared here because getparam reads it.
	var layoutOverride = null;

	// Device pixels: on a screen with devicePixelRatio d the page is zoomed by 1/d, so the
	// client's layout units are device pixels. The X display, Firefox's window and the canvases
	// are then sized in device pixels and drawn 1:1 (sharp), and the client reports a DPI of 96·d,
	// which Xpra hands to the session (Xft/DPI), so Firefox renders at scale d, the size a local
	// browser would. Mouse positions (viewport pixels) are scaled back by d (see patches.rs).
	// Browser zoom changes d too: the zoom and the mouse scale follow it; Firefox's own scale
	// keeps the DPI it was given when the client connected.
	var scale = 1;
	function applyScale() {
		var d = window.devicePixelRatio || 1;
		if (d !== scale || !document.documentElement.style.zoom) {
			scale = d;
			document.documentElement.style.zoom = String(1 / d);
		}
	}
	applyScale();
	window.addEventListener('resize', applyScale);
	Utilities.flScale = function () {
		return scale;
	};

	Utilities.getparam = function (prop) {
		if (Object.prototype.hasOwnProperty.call(FORCED, prop)) {
			return FORCED[prop];
		}
		if (ALLOWED.indexOf(prop) < 0) {
			return null;
		}
		if (!query.has(prop)) {
			return Object.prototype.hasOwnProperty.call(DEFAULTS, prop) ? DEFAULTS[prop] : null;
		}
		if (prop === 'keyboard_layout') {
			return layoutOverride;
		}
		return query.get(prop);
	};

	// The clipboard direction the session's Xpra announced in its hello, in Xpra's words
	// (to-server: into Firefox; to-client: out of it). No clipboard, or a word we do not know,
	// reads as disabled, and so does every moment before the hello.
	var DIRECTIONS = ['both', 'to-server', 'to-client', 'disabled'];
	Utilities.flClipboardDirection = function (hello) {
		var direction = hello['clipboard-direction'];
		if (direction && typeof direction !== 'string') {
			direction = Utilities.Uint8ToString(direction);
		}
		return hello['clipboard'] && DIRECTIONS.indexOf(direction) >= 0 ? direction : 'disabled';
	};
	Utilities.flClipboardMay = function (client, direction) {
		var allowed = client.fl_clipboard_direction;
		return allowed === 'both' || allowed === direction;
	};

	// Firefox's main window fills the page and follows its size, without Xpra's title bar: the
	// first normal, top-level window that no other window already fills. Dialogs, menus and
	// popups keep their own geometry (and Xpra's title bar, so a popup can be moved and closed).
	Utilities.flShouldFill = function (win) {
		if (win.override_redirect || win.tray) {
			return false;
		}
		var type = (win.metadata['window-type'] || [''])[0];
		if ((type && type !== 'NORMAL') || win.metadata['transient-for']) {
			return false;
		}
		var windows = win.client.id_to_window;
		for (var id in windows) {
			if (windows[id] !== win && windows[id].fl_fill) {
				return false;
			}
		}
		return true;
	};

	// Any other window (a dialog such as the file chooser, a popup) is made to fit inside the
	// page and moved into it, so no part of it is out of reach: when it is created, and whenever
	// the session moves or resizes it. Returns whether it changed the geometry (the caller then
	// tells the session). A window that insists on a size larger than the page (its minimum) is
	// shrunk a few times only, so the client and the application never argue without end; it is
	// still kept at the page's top left corner.
	var MAX_SHRINKS = 3;
	Utilities.flKeepInside = function (win) {
		if (win.fl_fill || win.override_redirect || win.tray) {
			return false;
		}
		var size = win.client._get_desktop_size();
		var maxW = size[0] - win.leftoffset - win.rightoffset;
		var maxH = size[1] - win.topoffset - win.bottomoffset;
		if (maxW <= 0 || maxH <= 0) {
			return false;
		}
		var before = [win.x, win.y, win.w, win.h].join();
		if ((win.w > maxW || win.h > maxH) && (win.fl_shrinks || 0) < MAX_SHRINKS) {
			win.fl_shrinks = (win.fl_shrinks || 0) + 1;
			win.w = Math.min(win.w, maxW);
			win.h = Math.min(win.h, maxH);
		}
		win.x = Math.max(win.leftoffset, Math.min(win.x, size[0] - win.rightoffset - win.w));
		win.y = Math.max(win.topoffset, Math.min(win.y, size[1] - win.bottomoffset - win.h));
		return [win.x, win.y, win.w, win.h].join() !== before;
	};

	// The page (and, through a message, the JupyterLab tab around it) is titled after the filling
	// window. Always as text: document.title and postMessage carry no markup.
	Utilities.flTitleChanged = function (win, title) {
		if (!win.fl_fill) {
			return;
		}
		document.title = title;
		tellParent({ type: 'firefox-launcher:title', title: String(title) });
	};

	// The page around us (the JupyterLab tab) learns when the session's connection drops and comes
	// back, so it can check whether the session ended and say so.
	function tellParent(message) {
		if (window.parent !== window) {
			window.parent.postMessage(message, window.location.origin);
		}
	}
	document.addEventListener('connection-lost', function () {
		tellParent({ type: 'firefox-launcher:connection', state: 'lost' });
	});
	document.addEventListener('connection-established', function () {
		tellParent({ type: 'firefox-launcher:connection', state: 'established' });
	});

	// Titles arrive UTF-8 encoded in a binary string; a malformed one is shown as it came.
	Utilities.flDecodeTitle = function (title) {
		var text = String(title === null || title === undefined ? '' : title);
		try {
			return decodeURIComponent(escape(text));
		} catch (e) {
			return text;
		}
	};

	// ---- Keyboard ----
	// The client sends each key as the character the browser produced (its X keysym name), and
	// Xpra finds a key producing that keysym in the session's X keymap, which is one XKB layout.
	// A character that layout lacks is dropped, so the layout must be the user's:
	// 1. `keyboard_layout` in the query string (the JupyterLab setting): an X layout name, with
	//    an optional variant (`de`, `ch`, `gb`, `de(nodeadkeys)`), or a language tag (`de-CH`);
	// 2. the keyboard layout the browser reports (navigator.keyboard, Chromium), when it is one
	//    of the layouts below and not the one the language already gives (a US-like map never
	//    outvotes the language: headless Chromium reports it whatever the keyboard, and Polish,
	//    Romanian or US-international keyboards look the same);
	// 3. the browser's language, as Xpra does it (Utilities.getKeyboardLayout).
	var xpraLayoutFromLanguage = Utilities.getKeyboardLayout;

	function normaliseLayout(value) {
		var v = String(value || '').trim();
		if (!v) {
			return null;
		}
		if (/^[a-z]{2,8}(\([a-z0-9_]{1,32}\))?$/.test(v)) {
			return v;
		}
		var tag = /^([A-Za-z]{2,3})[-_]([A-Za-z]{2})$/.exec(v);
		if (tag) {
			var language = tag[1].toLowerCase();
			var full = language + '-' + tag[2].toUpperCase();
			return LANGUAGE_TO_LAYOUT[full] || LANGUAGE_TO_LAYOUT[language] || language;
		}
		if (/^[A-Za-z]{2,3}$/.test(v)) {
			return v.toLowerCase();
		}
		console.warn('firefox-launcher: ignoring keyboard_layout', v);
		return null;
	}
	layoutOverride = normaliseLayout(query.get('keyboard_layout'));

	// Unshifted characters of the keys below, per XKB layout, as xkeyboard-config 2.35 (Debian 12)
	// defines them; a space is a dead key there (browsers report those differently), not compared.
	var MAP_KEYS = ['Backquote', 'Digit1', 'Digit2', 'Digit3', 'Digit4', 'Digit5', 'Digit6', 'Digit7', 'Digit8',
		'Digit9', 'Digit0', 'Minus', 'Equal', 'KeyQ', 'KeyW', 'KeyE', 'KeyR', 'KeyT', 'KeyY', 'KeyU', 'KeyI',
		'KeyO', 'KeyP', 'BracketLeft', 'BracketRight', 'KeyA', 'KeyS', 'KeyD', 'KeyF', 'KeyG', 'KeyH', 'KeyJ',
		'KeyK', 'KeyL', 'Semicolon', 'Quote', 'Backslash', 'KeyZ', 'KeyX', 'KeyC', 'KeyV', 'KeyB', 'KeyN', 'KeyM',
		'Comma', 'Period', 'Slash'];
	var MAP_LAYOUTS = {
		us: "`1234567890-=qwertyuiop[]asdfghjkl;'\\zxcvbnm,./",
		gb: "`1234567890-=qwertyuiop[]asdfghjkl;'#zxcvbnm,./",
		de: " 1234567890\u00df qwertzuiop\u00fc+asdfghjkl\u00f6\u00e4#yxcvbnm,.-",
		at: " 1234567890\u00df qwertzuiop\u00fc+asdfghjkl\u00f6\u00e4#yxcvbnm,.-",
		ch: "\u00a71234567890' qwertzuiop\u00fc asdfghjkl\u00f6\u00e4$yxcvbnm,.-",
		fr: "\u00b2&\u00e9\"'(-\u00e8_\u00e7\u00e0)=azertyuiop $qsdfghjklm\u00f9*wxcvbn,;:!",
		be: "\u00b2&\u00e9\"'(\u00a7\u00e8!\u00e7\u00e0)-azertyuiop $qsdfghjklm\u00f9\u00b5wxcvbn,;:=",
		es: "\u00ba1234567890'\u00a1qwertyuiop +asdfghjkl\u00f1 \u00e7zxcvbnm,.-",
		latam: "|1234567890'\u00bfqwertyuiop +asdfghjkl\u00f1{}zxcvbnm,.-",
		it: "\\1234567890'\u00ecqwertyuiop\u00e8+asdfghjkl\u00f2\u00e0\u00f9zxcvbnm,.-",
		pt: "\\1234567890'\u00abqwertyuiop+ asdfghjkl\u00e7\u00ba zxcvbnm,.-",
		br: "'1234567890-=qwertyuiop [asdfghjkl\u00e7 ]zxcvbnm,.;",
		se: "\u00a71234567890+ qwertyuiop\u00e5 asdfghjkl\u00f6\u00e4'zxcvbnm,.-",
		fi: "\u00a71234567890+ qwertyuiop\u00e5 asdfghjkl\u00f6\u00e4'zxcvbnm,.-",
		no: "|1234567890+\\qwertyuiop\u00e5 asdfghjkl\u00f8\u00e6'zxcvbnm,.-",
		dk: "\u00bd1234567890+ qwertyuiop\u00e5 asdfghjkl\u00e6\u00f8'zxcvbnm,.-",
		nl: "@1234567890/\u00b0qwertyuiop *asdfghjkl+ <zxcvbnm,.-",
		cz: ";+\u011b\u0161\u010d\u0159\u017e\u00fd\u00e1\u00ed\u00e9= qwertzuiop\u00fa)asdfghjkl\u016f\u00a7 yxcvbnm,.-",
		sk: ";+\u013e\u0161\u010d\u0165\u017e\u00fd\u00e1\u00ed\u00e9= qwertzuiop\u00fa\u00e4asdfghjkl\u00f4\u00a7\u0148yxcvbnm,.-",
		hu: "0123456789\u00f6\u00fc\u00f3qwertzuiop\u0151\u00faasdfghjkl\u00e9\u00e1\u0171yxcvbnm,.-",
		tr: "\"1234567890*-qwertyu\u0131op\u011f\u00fcasdfghjkl\u015fi,zxcvbnm\u00f6\u00e7."
	};

	// The layout a browser's keyboard map shows, or null when it shows nothing the language
	// does not already say. `map` is a Map (code -> unshifted character).
	Utilities.flLayoutFromMap = function (map, languageLayout) {
		var matches = Object.keys(MAP_LAYOUTS).filter(function (layout) {
			var chars = MAP_LAYOUTS[layout];
			var compared = 0;
			for (var i = 0; i < MAP_KEYS.length; i++) {
				var value = map.get(MAP_KEYS[i]);
				if (chars[i] === ' ' || value === undefined) {
					continue;
				}
				if (value !== chars[i]) {
					return false;
				}
				compared++;
			}
			return compared >= 30;
		});
		if (!matches.length || matches.indexOf('us') >= 0 || matches.indexOf(languageLayout) >= 0) {
			return null;
		}
		return matches[0];
	};

	var layoutFromMap = null;
	if (!layoutOverride && navigator.keyboard && navigator.keyboard.getLayoutMap) {
		navigator.keyboard.getLayoutMap().then(function (map) {
			layoutFromMap = Utilities.flLayoutFromMap(map, xpraLayoutFromLanguage.call(Utilities));
		}, function () {
			// not allowed here (a cross-origin frame): the language decides
		});
	}

	// Read by the client when it connects and before every key (XpraClient._check_browser_language),
	// so a layout learnt after connecting is sent with the next key.
	Utilities.getKeyboardLayout = function () {
		return layoutOverride || layoutFromMap || xpraLayoutFromLanguage.call(Utilities);
	};

	// Dead keys. Browsers compose an accent typed on a dead key with the next key and report the
	// result on that key (UI Events: `Dead`, then `é`); Xpra would also send the dead key, so X
	// composes a second time, and the composed character is often missing from the layout (no
	// `é` on a German keyboard, no `ê` on a French one). So a dead key is held back, and a
	// composed character goes to X as the dead key plus its base letter (an accent on its own,
	// typed with the space bar, as the dead key plus space), which X composes exactly as a local
	// keyboard's. Returns undefined to let Xpra handle the event.
	var DEAD_FOR_MARK = {
		'\u0300': 'dead_grave', '\u0301': 'dead_acute', '\u0302': 'dead_circumflex', '\u0303': 'dead_tilde',
		'\u0304': 'dead_macron', '\u0306': 'dead_breve', '\u0307': 'dead_abovedot', '\u0308': 'dead_diaeresis',
		'\u030a': 'dead_abovering', '\u030b': 'dead_doubleacute', '\u030c': 'dead_caron', '\u0327': 'dead_cedilla',
		'\u0328': 'dead_ogonek'
	};
	var DEAD_FOR_ACCENT = {
		'`': 'dead_grave', '\u00b4': 'dead_acute', '^': 'dead_circumflex', '~': 'dead_tilde',
		'\u00a8': 'dead_diaeresis'
	};
	Utilities.flKeyEvent = function (client, pressed, event) {
		var key = event.key;
		if (key === 'Dead') {
			if (pressed) {
				client.fl_dead_pending = true;
			}
			return false;
		}
		var held = client.fl_composed || (client.fl_composed = {});
		if (!pressed && held[event.code]) {
			var release = held[event.code];
			delete held[event.code];
			flSend(client, release, false, event);
			return false;
		}
		if (!pressed || !client.fl_dead_pending || !key || key.length !== 1) {
			return undefined;
		}
		client.fl_dead_pending = false;
		var parts = key.normalize('NFD');
		var dead = DEAD_FOR_ACCENT[key] || (parts.length === 2 && DEAD_FOR_MARK[parts[1]]);
		var base = DEAD_FOR_ACCENT[key] ? ' ' : parts[0];
		if (!dead || !CHAR_TO_NAME[base]) {
			return undefined;
		}
		flSend(client, { keyname: dead, str: '' }, true, event);
		flSend(client, { keyname: dead, str: '' }, false, event);
		held[event.code] = { keyname: CHAR_TO_NAME[base], str: base };
		flSend(client, held[event.code], true, event);
		return false;
	};

	// Sent like the client's own key packets: after the current event, in order.
	function flSend(client, key, pressed, event) {
		var modifiers = client._keyb_get_modifiers(event);
		var keycode = event.which || event.keyCode || 0;
		setTimeout(function () {
			if (client.topwindow !== null && client.topwindow !== undefined) {
				client.send(['key-action', client.topwindow, key.keyname, pressed, modifiers, keycode, key.str, keycode, 0]);
			}
		}, 0);
	}
})();
