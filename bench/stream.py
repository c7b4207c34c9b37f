"""The picture (issue 14): what a user sees for the rest of the hour, measured in real Chromium.

One Firefox session of the sidecar shows bench/stream/page.html; headless Chromium opens it through
three paths, and the peer (jupyter-remote-desktop-proxy + TigerVNC + noVNC, running the same Firefox
and page) through Jupyter, each at 1280×800 and 1920×1080:

  direct   Debian's own Xpra HTML5 client (served as files by the bench) on the session's Xpra TCP
           port, with the session's secret: no proxy at all;
  sidecar  the sidecar's client page and websocket (/sessions/PORT/ on its TCP port);
  jupyter  the same page through jupyter-server-proxy (/firefox-launcher/sessions/PORT/) in front
           of the same sidecar;
  peer     /desktop/ of jupyter-remote-desktop-proxy on the same Jupyter server.

bench/stream/probe.mjs does the measuring (see there); this file starts and stops everything and
serves the page, its mode switch and the stock Xpra client.
"""
import http.server
import json
import os
import shutil
import signal
import subprocess
import threading
import time
import urllib.parse
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
PAGE = HERE / "stream" / "page.html"
PROBE = HERE / "stream" / "probe.mjs"
XPRA_WWW = Path("/usr/share/xpra/www")
VENV = REPO / "target" / "bench-venv"
MODES = ("anim", "scroll", "latency")


class PageServer:
    """The test page, the mode each viewer of it should show, its reports, and Xpra's stock client."""

    def __init__(self):
        self.modes = {}
        self.reports = {}
        self.lock = threading.Lock()
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *_a):
                pass

            def reply(self, status, body, ctype="text/plain"):
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                self.send_header("Cache-Control", "no-store")
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self):
                url = urllib.parse.urlsplit(self.path)
                q = urllib.parse.parse_qs(url.query)
                ident = q.get("id", ["page"])[0]
                if url.path == "/page":
                    return self.reply(200, PAGE.read_bytes(), "text/html; charset=utf-8")
                if url.path == "/mode":
                    with outer.lock:
                        return self.reply(200, outer.modes.get(ident, "idle").encode())
                if url.path == "/reports":
                    with outer.lock:
                        return self.reply(200, json.dumps(outer.reports.get(ident, [])[-400:]).encode(), "application/json")
                if url.path.startswith("/xpra/"):
                    return self.stock_client(url.path[len("/xpra/"):] or "index.html")
                self.reply(404, b"not found")

            def stock_client(self, rel):
                # Debian's client links to its packaged jQuery and friends: follow links, refuse "..".
                target = XPRA_WWW / rel
                if ".." in Path(rel).parts or not target.is_file():
                    return self.reply(404, b"not found")
                ctype = {".html": "text/html", ".js": "text/javascript", ".css": "text/css", ".png": "image/png",
                         ".svg": "image/svg+xml", ".ico": "image/x-icon", ".json": "application/json"}.get(target.suffix, "application/octet-stream")
                self.reply(200, target.read_bytes(), ctype)

            def do_POST(self):
                url = urllib.parse.urlsplit(self.path)
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                if url.path == "/mode":
                    ident = urllib.parse.parse_qs(url.query).get("id", ["page"])[0]
                    with outer.lock:
                        outer.modes[ident] = body.decode().strip()
                    return self.reply(200, b"ok")
                if url.path == "/report":
                    report = json.loads(body)
                    with outer.lock:
                        outer.reports.setdefault(str(report.get("id")), []).append(report)
                    return self.reply(200, b"ok")
                self.reply(404, b"not found")

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.httpd.server_address[1]
        self.base = f"http://127.0.0.1:{self.port}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def page_url(self, ident):
        return f"{self.base}/page?id={ident}"

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


def free_port():
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Jupyter:
    """A Jupyter server whose jupyter-server-proxy routes /firefox-launcher/ to the bench's sidecar
    and /desktop/ to jupyter-remote-desktop-proxy (the peer)."""

    def __init__(self, ctx, serve, peer_url, log):
        self.dir = ctx.tmp / "jupyter"
        self.dir.mkdir()
        self.token = os.urandom(16).hex()
        profile = self.dir / "peer-profile"
        profile.mkdir()
        user_js = next(serve.home.glob("sessions/session-*/profile/user.js"), None)
        if user_js:
            shutil.copy(user_js, profile / "user.js")
        (self.dir / "jupyter_server_config.py").write_text(
            "c.ServerProxy.servers = {'firefox-launcher': {\n"
            f"    'port': {serve.port}, 'absolute_url': False,\n"
            f"    'request_headers_override': {{'Authorization': 'token {serve.token}'}},\n"
            "    'launcher_entry': {'enabled': False}}}\n")
        self.port = free_port()
        env = dict(ctx.env)
        env.update({"JUPYTER_CONFIG_DIR": str(self.dir), "FL_PEER_URL": peer_url, "FL_PEER_PROFILE": str(profile),
                    "JUPYTER_RUNTIME_DIR": str(self.dir / "runtime"), "JUPYTER_DATA_DIR": str(self.dir / "data")})
        self.logfile = self.dir / "jupyter.log"
        with open(self.logfile, "wb") as out:
            self.proc = subprocess.Popen(
                [str(VENV / "bin" / "jupyter"), "server", "--no-browser", f"--port={self.port}", "--ip=127.0.0.1",
                 f"--IdentityProvider.token={self.token}", f"--ServerApp.root_dir={self.dir}"],
                env=env, stdin=subprocess.DEVNULL, stdout=out, stderr=out, process_group=0, cwd=self.dir)
        ctx.procs.append(self.proc)
        deadline = time.monotonic() + 60
        import http.client
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError(f"jupyter server exited: {self.logfile.read_text()[-2000:]}")
            try:
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=2)
                conn.request("GET", f"/api/status?token={self.token}")
                if conn.getresponse().status == 200:
                    break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("jupyter server did not answer in 60 s")
            time.sleep(0.2)
        log(f"jupyter server on port {self.port}")

    def stop(self):
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()


def probe(ctx, pages, spec, log):
    spec = dict(spec, pages=pages.base, seconds=ctx.stream_seconds, warmup=ctx.stream_warmup, presses=ctx.stream_presses,
                modes=spec.get("modes", list(MODES)))
    out = subprocess.run(["node", str(PROBE), json.dumps(spec)], env=ctx.env, capture_output=True, text=True, timeout=600)
    try:
        result = json.loads(out.stdout.strip().splitlines()[-1])
    except (ValueError, IndexError):
        result = {"id": spec["id"], "error": f"probe failed: {out.stderr[-1500:]}"}
    log(f"{spec['id']} {spec['width']}x{spec['height']}: " + json.dumps({k: v for k, v in result.items() if k not in ("url",)}))
    return result


def session_secret(serve, port):
    return (serve.home / "sessions" / f"session-{port}" / "tcp-password").read_text().strip()


def paths(serve, port, jupyter, pages):
    secret = urllib.parse.quote(session_secret(serve, port))
    direct = {"origin": f"http://127.0.0.1:{port}", "upstream": f"http://127.0.0.1:{serve.port}", "token": serve.token}
    out = [("direct", f"http://127.0.0.1:{port}/sessions/{port}/?password={secret}", port, direct),
           ("sidecar", f"http://127.0.0.1:{serve.port}/sessions/{port}/?token={serve.token}", serve.port, None)]
    if jupyter:
        out.append(("jupyter", f"http://127.0.0.1:{jupyter.port}/firefox-launcher/sessions/{port}/?token={jupyter.token}", jupyter.port, None))
        out.append(("peer", f"http://127.0.0.1:{jupyter.port}/desktop/?token={jupyter.token}", jupyter.port, None))
    return out


def phase_stream(ctx, res, Serve, log, extra_serve_args=(), key="stream"):
    sizes = [tuple(int(n) for n in s.split("x")) for s in ctx.stream_sizes.split(",")]
    wanted = ctx.stream_paths.split(",")
    pages = PageServer()
    serve = jupyter = None
    try:
        serve = Serve(ctx, key, list(extra_serve_args))
        session, _ = serve.post_session({"url": pages.page_url("xpra")})
        port = session["port"]
        jupyter = Jupyter(ctx, serve, pages.page_url("vnc"), log) if ctx.stream_peer else None
        rows = []
        for width, height in sizes:
            for name, url, server_port, direct in paths(serve, port, jupyter, pages):
                if name not in wanted:
                    continue
                if ctx.stream_client and name != "peer":
                    url += "&" + ctx.stream_client
                ident = "vnc" if name == "peer" else "xpra"
                r = probe(ctx, pages, {"id": ident, "url": url, "width": width, "height": height, "serverPort": server_port, "direct": direct}, log)
                r["path"] = name
                rows.append(r)
        res[key] = {"rows": rows, "serve_args": list(extra_serve_args)}
        serve.delete_session(port)
    finally:
        if jupyter:
            jupyter.stop()
        if serve:
            serve.stop()
        pages.close()
