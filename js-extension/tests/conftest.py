"""Fixtures of the tests that run the real service: a local web server for pages and
`firefox-launcher serve` (the bundled binary) as the user's service."""

from __future__ import annotations

import http.server
import os
import signal
import subprocess
import threading
import time

import pytest

from jupyterlab_firefox_launcher import serverproxy

PAGES = {
    "/first": b"<!doctype html><title>First page</title><body style='margin:0;background:#00ff00'><script>var answer = 41 + 1;</script>",
    "/second": b"<!doctype html><title>Second page</title><body style='margin:0;background:#0000ff'>",
}


class _Pages(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        body = PAGES.get(self.path, b"not found")
        self.send_response(200 if self.path in PAGES else 404)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *_args):
        pass


@pytest.fixture()
def origin():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Pages)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


@pytest.fixture()
def service(tmp_path, monkeypatch):
    """`firefox-launcher serve` as the user's service, its home in tmp_path; stopped (with its
    sessions) at the end, whatever happened."""
    home = tmp_path / "fl"
    env = {**os.environ, "HOME": str(tmp_path), "FIREFOX_LAUNCHER_HOME": str(home)}
    env.pop("FIREFOX_LAUNCHER_TOKEN", None)
    log = open(tmp_path / "serve.log", "wb")
    proc = subprocess.Popen(
        [str(serverproxy.binary_path()), "serve", "--home", str(home), "--port", "0", "--audio", "off"],
        env=env, stdin=subprocess.DEVNULL, stdout=log, stderr=log, start_new_session=True,
    )
    monkeypatch.setenv("FIREFOX_LAUNCHER_HOME", str(home))
    try:
        deadline = time.monotonic() + 20
        while not (home / "runtime.json").exists():
            assert proc.poll() is None, (tmp_path / "serve.log").read_text()
            assert time.monotonic() < deadline, "serve wrote no runtime file in 20 s"
            time.sleep(0.1)
        yield home
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(60)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        log.close()
