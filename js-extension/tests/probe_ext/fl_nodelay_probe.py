"""A test-only Jupyter server extension: ``GET /fl-probe/nodelay`` answers, for every websocket
jupyter-server-proxy holds open to a browser, its route's name and whether its socket has
TCP_NODELAY (read from the socket itself)."""

from __future__ import annotations

import gc
import json
import socket

from jupyter_server.base.handlers import JupyterHandler
from jupyter_server.utils import url_path_join
from tornado import web


class NodelayHandler(JupyterHandler):
    @web.authenticated
    def get(self):
        from jupyter_server_proxy.handlers import ProxyHandler

        found = []
        for handler in gc.get_objects():
            if isinstance(handler, ProxyHandler) and handler.ws_connection is not None:
                sock = handler.ws_connection.stream.socket
                found.append({"name": handler.name, "nodelay": sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY)})
        self.finish(json.dumps(found))


def _jupyter_server_extension_points():
    return [{"module": "fl_nodelay_probe"}]


def _load_jupyter_server_extension(serverapp):
    base = serverapp.web_app.settings["base_url"]
    serverapp.web_app.add_handlers(".*$", [(url_path_join(base, "fl-probe/nodelay"), NodelayHandler)])
