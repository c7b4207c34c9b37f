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

	var query = new URLSearchParams(window.location.search);

	Utilities.getparam = function (prop) {
		if (Object.prototype.hasOwnProperty.call(FORCED, prop)) {
			return FORCED[prop];
		}
		if (ALLOWED.indexOf(prop) < 0 || !query.has(prop)) {
			return null;
		}
		return query.get(prop);
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
})();
