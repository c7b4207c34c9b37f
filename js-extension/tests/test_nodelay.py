"""The sidecar's websockets through jupyter-server-proxy go out with TCP_NODELAY, and nobody
else's: a real Jupyter server with jupyter-server-proxy and this package's server extension,
two routes to the same local echo websocket server (``firefox-launcher-echo``, one of our
names, and ``other-echo``), and a test-only extension that reads each proxied socket's option."""

from __future__ import annotations

import asyncio
import json
import os
import secrets
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

import pytest
from tornado import httpserver, ioloop, web, websocket

from jupyterlab_firefox_launcher import nodelay

HERE = Path(__file__).resolve().parent


class _Echo(websocket.WebSocketHandler):
    def on_message(self, message):
        self.write_message(message, binary=isinstance(message, bytes))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture()
def echo_port():
    """A websocket echo server on localhost, in a thread with its own loop."""
    port = _free_port()
    ready = threading.Event()
    loop_box = {}

    def run():
        asyncio.set_event_loop(asyncio.new_event_loop())
        server = httpserver.HTTPServer(web.Application([(r"/ws", _Echo)]))
        server.listen(port, address="127.0.0.1")
        loop_box["loop"] = ioloop.IOLoop.current()
        ready.set()
        loop_box["loop"].start()
        server.stop()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    assert ready.wait(10)
    yield port
    loop_box["loop"].add_callback(loop_box["loop"].stop)
    thread.join(10)


@pytest.fixture()
def jupyter(tmp_path, echo_port):
    """A Jupyter server proxying two routes to the echo server; stopped (its group) at the end."""
    token = secrets.token_hex(16)
    port = _free_port()
    config = tmp_path / "config"
    config.mkdir()
    route = "{'port': %d, 'absolute_url': False, 'launcher_entry': {'enabled': False}}" % echo_port
    (config / "jupyter_server_config.py").write_text(
        f"c.ServerProxy.servers = {{'firefox-launcher-echo': {route}, 'other-echo': {route}}}\n"
    )
    env = {**os.environ, "JUPYTER_CONFIG_DIR": str(config), "JUPYTER_RUNTIME_DIR": str(tmp_path / "runtime"),
           "JUPYTER_DATA_DIR": str(tmp_path / "data"),
           "PYTHONPATH": os.pathsep.join([str(HERE / "probe_ext"), os.environ.get("PYTHONPATH", "")])}
    args = [sys.executable, "-m", "jupyter_server", "--no-browser", f"--port={port}", "--ip=127.0.0.1",
            f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={tmp_path}",
            "--ServerApp.jpserver_extensions={'jupyterlab_firefox_launcher': True, 'fl_nodelay_probe': True}"]
    if os.geteuid() == 0:
        args.append("--allow-root")
    log = open(tmp_path / "jupyter.log", "wb")
    proc = subprocess.Popen(args, env=env, stdin=subprocess.DEVNULL, stdout=log, stderr=log, process_group=0, cwd=tmp_path)
    try:
        deadline = time.monotonic() + 60
        while True:
            assert proc.poll() is None, (tmp_path / "jupyter.log").read_text()[-3000:]
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/api/status?token={token}", timeout=2).read()
                break
            except OSError:
                assert time.monotonic() < deadline, "the Jupyter server did not answer in 60 s"
                time.sleep(0.2)
        yield port, token, tmp_path / "jupyter.log"
    finally:
        os.killpg(proc.pid, 15)
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, 9)
            proc.wait()
        log.close()


def test_only_the_sidecar_s_names_are_ours():
    assert nodelay.ours("firefox-launcher")
    assert nodelay.ours("firefox-launcher-own31")
    assert not nodelay.ours("firefox-launcherx")
    assert not nodelay.ours("desktop")
    assert not nodelay.ours(None)


def test_our_proxied_websocket_has_tcp_nodelay_and_another_route_s_does_not(jupyter):
    port, token, log = jupyter

    async def check():
        conns = []
        for name in ("firefox-launcher-echo", "other-echo"):
            conn = await websocket.websocket_connect(f"ws://127.0.0.1:{port}/{name}/ws?token={token}")
            conn.write_message(name)
            # The echo proves the proxy opened its upstream (and our wrapper has run).
            assert await asyncio.wait_for(conn.read_message(), 10) == name
            conns.append(conn)
        found = json.loads(urllib.request.urlopen(f"http://127.0.0.1:{port}/fl-probe/nodelay?token={token}", timeout=10).read())
        for conn in conns:
            conn.close()
        return found

    found = asyncio.run(check())
    by_name = {f["name"]: f["nodelay"] for f in found}
    assert set(by_name) == {"firefox-launcher-echo", "other-echo"}, (found, log.read_text()[-2000:])
    # The control: the probe reads an unset option where nothing sets it.
    assert by_name["other-echo"] == 0, found
    assert by_name["firefox-launcher-echo"] == 1, found
