"""Websockets that jupyter-server-proxy relays from the sidecar go out without Nagle's delay.

jupyter-server-proxy writes each websocket message from the sidecar to the browser as it comes,
on tornado's socket, where Nagle's algorithm is on. A session with sound sends a small message
every 20 ms between the pictures. The browser's TCP delays its acknowledgement of a lone small
segment (up to 40 ms on Linux), and until that acknowledgement Nagle holds back the next
picture, which then arrives together with the one after it. Measured (Xpra 3.1.3, the sound
bench's animation): pictures arriving in pairs ~1 ms apart after 55-65 ms gaps, and the animation
shown at x0.65-0.73 of its frames/s without sound; with TCP_NODELAY on these sockets the gaps are
even again. tornado leaves it to the application (``WebSocketHandler.set_nodelay``), and
jupyter-server-proxy does not call it, so the server extension does, for our routes only:
``firefox-launcher`` and ``firefox-launcher-*``.
"""

from __future__ import annotations

import functools

NAME = "firefox-launcher"
_MARK = "_firefox_launcher_nodelay"


def ours(name: object) -> bool:
    """Whether a jupyter-server-proxy route is the sidecar's."""
    return isinstance(name, str) and (name == NAME or name.startswith(NAME + "-"))


def install() -> bool:
    """Wraps jupyter-server-proxy's websocket open once; False when it is not installed."""
    try:
        from jupyter_server_proxy.handlers import ProxyHandler
    except ImportError:
        return False
    original = ProxyHandler.proxy_open
    if getattr(original, _MARK, False):
        return True

    @functools.wraps(original)
    async def proxy_open(self, *args, **kwargs):
        result = await original(self, *args, **kwargs)
        if ours(getattr(self, "name", None)) and self.ws_connection is not None:
            self.set_nodelay(True)
        return result

    setattr(proxy_open, _MARK, True)
    ProxyHandler.proxy_open = proxy_open
    return True
