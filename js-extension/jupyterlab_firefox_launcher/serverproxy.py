"""jupyter-server-proxy registration of the firefox-launcher sidecar.

Entry point ``jupyter_serverproxy_servers`` / ``firefox-launcher``: the proxy
starts the bundled binary on a unix socket the first time
``<base_url>firefox-launcher/`` is requested, waits until it answers ``GET /``,
and then forwards HTTP and websockets to it.

The sidecar is reachable only through the unix socket (mode set by the
sidecar) and, as defence in depth, wants a token that only this Jupyter
server process knows: the proxy adds it to every request it forwards.
"""

from __future__ import annotations

import atexit
import os
import secrets
import shutil
import tempfile
from pathlib import Path

_TOKEN: str | None = None
_SOCKET_DIR: str | None = None


def binary_path() -> Path:
    """The bundled ``firefox-launcher`` binary."""
    override = os.environ.get("FIREFOX_LAUNCHER_BIN")
    if override:
        return Path(override)
    return Path(__file__).resolve().parent / "bin" / "firefox-launcher"


def process_token() -> str:
    """A random token, made once per Jupyter server process."""
    global _TOKEN
    if _TOKEN is None:
        _TOKEN = secrets.token_urlsafe(32)
    return _TOKEN


def socket_path() -> str:
    """The sidecar's socket, in a 0700 directory made once per Jupyter server
    process and removed when it exits.

    With ``"unix_socket": True`` jupyter-server-proxy makes a
    ``/tmp/jupyter-server-proxy-*`` directory per server start and never
    removes it: under a hub every start of every user's server left one.
    """
    global _SOCKET_DIR
    if _SOCKET_DIR is None:
        _SOCKET_DIR = tempfile.mkdtemp(prefix="firefox-launcher-")
        atexit.register(shutil.rmtree, _SOCKET_DIR, ignore_errors=True)
    return os.path.join(_SOCKET_DIR, "sidecar.sock")


def setup_firefox_launcher() -> dict:
    """Return the jupyter-server-proxy server configuration."""
    token = process_token()
    return {
        "command": [str(binary_path()), "serve", "--unix-socket", "{unix_socket}"],
        "unix_socket": socket_path(),
        "environment": {"FIREFOX_LAUNCHER_TOKEN": token},
        "request_headers_override": {"Authorization": f"token {token}"},
        # Readiness is any answer to GET / over the socket; the sidecar
        # answers at once, but a cold start on a busy machine can be slow.
        "timeout": 30,
        "absolute_url": False,
        "new_browser_tab": False,
        # The labextension adds its own launcher tile.
        "launcher_entry": {"enabled": False, "title": "Firefox"},
    }
