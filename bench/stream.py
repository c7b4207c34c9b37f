"""The picture (issues 14 and 21): what a user sees for the rest of the hour, measured in real Chromium.

Our client on each Xpra gets its own sidecar (`serve`, which always serves our client; `--xpra`
picks the Xpra) and one Firefox session showing bench/stream/page.html (VARIANTS): Debian's Xpra
3.1.3 and Xpra 6.5 (video offered, decoded by WebCodecs). Headless Chromium opens them, and the peer
(jupyter-remote-desktop-proxy + TigerVNC + noVNC, running the same Firefox and page) through
Jupyter, each at 1280×800 and 1920×1080 (rows = paths):

  own31          our client through jupyter-server-proxy (/firefox-launcher-own31/sessions/PORT/),
                 Xpra 3.1.3;
  own31-sidecar  the same session and page straight from the sidecar (/sessions/PORT/ on its TCP
                 port): what jupyter-server-proxy adds is own31 minus this;
  own65          our client through jupyter-server-proxy, Xpra 6.5 (`--xpra6`), `?video=true`;
  peer           /desktop/ of jupyter-remote-desktop-proxy on the same Jupyter server.

(Until issue 21 retired it, Debian's patched Xpra HTML5 client had rows here too, through three
paths: `git show febc1d7:BENCHMARKS.md` keeps its last figures beside ours.)

bench/stream/probe.mjs does the measuring (see there); this file starts and stops everything and
serves the page and its mode switch.
"""
import http.client
import http.server
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import threading
import time
import urllib.parse
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
PAGE = HERE / "stream" / "page.html"
PROBE = Path(os.environ.get("FL_BENCH_PROBE") or HERE / "stream" / "probe.mjs")  # another probe script, for trying changes
VENV = REPO / "target" / "bench-venv"
# Latency first, right after the client connects: Xpra's batching adapts to what it sent last,
# and after a scroll it kept key presses ~30 ms slower than on a fresh connection.
MODES = ("latency", "anim", "scroll")


class PageServer:
    """The test page, the mode each viewer of it should show, and its reports."""

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
                self.reply(404, b"not found")

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


def pump(src, dst, on_chunk=None):
    """Copies src to dst until src ends, then half-closes dst; `on_chunk(n)` sees each read."""
    buf = bytearray(1 << 16)
    view = memoryview(buf)
    try:
        while n := src.recv_into(buf):
            if on_chunk:
                on_chunk(n)
            dst.sendall(view[:n])
    except OSError:
        pass
    try:
        dst.shutdown(socket.SHUT_WR)
    except OSError:
        pass


def free_port():
    """A port free now (bench only: whoever binds it next must fail loudly if it was taken)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Jupyter:
    """A Jupyter server whose jupyter-server-proxy routes /firefox-launcher/ to the bench's sidecar
    and /desktop/ to jupyter-remote-desktop-proxy (the peer)."""

    def __init__(self, ctx, sessions, peer_url, log, warm_peer=True, name="jupyter"):
        self.dir = ctx.tmp / name
        self.dir.mkdir()
        self.token = os.urandom(16).hex()
        profile = self.dir / "peer-profile"
        profile.mkdir()
        first = next(iter(sessions.values()))
        user_js = next(first.serve.home.glob("sessions/session-*/profile/user.js"), None)
        if user_js:
            shutil.copy(user_js, profile / "user.js")
        servers = "".join(
            f"    '{sess.variant['proxy_name']}': {{'port': {sess.serve.port}, 'absolute_url': False,\n"
            f"        'request_headers_override': {{'Authorization': 'token {sess.serve.token}'}},\n"
            "        'launcher_entry': {'enabled': False}},\n" for sess in sessions.values())
        (self.dir / "jupyter_server_config.py").write_text("c.ServerProxy.servers = {\n" + servers + "}\n")
        self.port = free_port()
        env = dict(ctx.env)
        # The peer (bench/peer/README.md): its desktop runs Firefox alone on the same page, with
        # the same user.js; HOME (vncserver's ~/.vnc) and TMPDIR are the bench's scratch ones.
        env.update({"JUPYTER_CONFIG_DIR": str(self.dir), "FL_PEER_URL": peer_url, "FL_PEER_PROFILE": str(profile),
                    "JUPYTER_REMOTE_DESKTOP_PROXY_XSTARTUP": str(HERE / "peer" / "xstartup"),
                    "JUPYTER_RUNTIME_DIR": str(self.dir / "runtime"), "JUPYTER_DATA_DIR": str(self.dir / "data"),
                    # The product's server extension, as a user's Jupyter loads it from the wheel:
                    # its websockets through jupyter-server-proxy go out with TCP_NODELAY
                    # (js-extension/jupyterlab_firefox_launcher/nodelay.py). Only its routes
                    # (firefox-launcher-*) are touched, not the peer's.
                    "PYTHONPATH": str(REPO / "js-extension")})
        self.logfile = self.dir / "jupyter.log"
        with open(self.logfile, "wb") as out:
            self.proc = subprocess.Popen(
                [str(VENV / "bin" / "jupyter"), "server", "--no-browser", f"--port={self.port}", "--ip=127.0.0.1",
                 f"--IdentityProvider.token={self.token}", f"--ServerApp.root_dir={self.dir}",
                 "--ServerApp.jpserver_extensions={'jupyterlab_firefox_launcher': True}"]
                + (["--allow-root"] if os.geteuid() == 0 else []),
                env=env, stdin=subprocess.DEVNULL, stdout=out, stderr=out, process_group=0, cwd=self.dir)
        ctx.procs.append(self.proc)
        deadline = time.monotonic() + 60
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
        # The peer's desktop starts on the first request to its websocket route: start it now,
        # so its first measurement does not include Xtigervnc's and Firefox's start (not when
        # the caller has no peer row: the sound phase).
        if not warm_peer:
            return
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        conn.request("GET", f"/desktop-websockify/?token={self.token}")
        conn.getresponse().read()

    def stop(self):
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()


def probe(ctx, pages, spec, log, presses=None):
    spec = dict(spec, pages=pages.base, seconds=ctx.stream_seconds, warmup=ctx.stream_warmup, presses=presses or ctx.stream_presses,
                modes=spec.get("modes", list(MODES)))
    load_before = float(Path("/proc/loadavg").read_text().split()[0])
    out = subprocess.run(["node", str(PROBE), json.dumps(spec)], env=ctx.env, capture_output=True, text=True, timeout=600)
    try:
        result = json.loads(out.stdout.strip().splitlines()[-1])
    except (ValueError, IndexError):
        result = {"id": spec["id"], "error": f"probe failed: {out.stderr[-1500:]}"}
    result["load1"] = [load_before, float(Path("/proc/loadavg").read_text().split()[0])]
    # The row's name when it has one (own31 and own31-sidecar share a page id).
    log(f"{spec.get('path', spec['id'])} {spec['width']}x{spec['height']}: " + json.dumps({k: v for k, v in result.items() if k not in ("url",)}))
    return result


def relayed_down(serve):
    """Bytes the sidecar has relayed Xpra → browser so far (its own counter in /metrics)."""
    status, text, _ = serve.request("GET", "/metrics")
    for line in (text or "").splitlines() if status == 200 else []:
        if line.startswith('firefox_launcher_websocket_bytes_total{direction="down"}'):
            return int(float(line.split()[-1]))
    return None


# What each row runs: the sidecar's Xpra (one `serve` and one session each; `serve` always serves our
# client), the page id its Firefox polls for its mode, and the query added to the client page's
# address. Video is offered by default from Xpra 4 on (`serve --video auto`), so own65 has it and
# own31 (3.1.3) has pictures only; own65 asks for it in its address too, as its targets are the
# video ones. The rows own31 and own31-sidecar share
# the 3.1.3 session (one after the other), through JupyterLab's proxy and straight from the sidecar.
VARIANTS = {
    "own31": {"args": [], "id": "own31", "reader": "paint", "query": "", "proxy_name": "firefox-launcher-own31"},
    "own65": {"args": ["--xpra", "XPRA6"], "id": "own65", "reader": "paint", "query": "video=true",
              "proxy_name": "firefox-launcher-own65"},
}
# path → variant
PATH_VARIANT = {"own31": "own31", "own31-sidecar": "own31", "own65": "own65"}
PATH_LABEL = {"own31": "our client, 3.1.3, Jupyter", "own31-sidecar": "our client, 3.1.3, sidecar",
              "own65": "our client, 6.5.5 + video, Jupyter", "peer": "noVNC peer, Jupyter"}
# Rows that go through the Jupyter server (jupyter-server-proxy, or the peer's own route).
JUPYTER_PATHS = ("own31", "own65", "peer")


class Session:
    """One variant's sidecar and its Firefox session showing the bench page."""

    def __init__(self, ctx, Serve, name, variant, pages):
        args = [ctx.xpra6 if a == "XPRA6" else a for a in variant["args"]]
        self.name = name
        self.variant = variant
        self.serve = Serve(ctx, f"stream-{name}", args)
        self.xvfb = None
        session, _ = self.serve.post_session({"url": pages.page_url(variant["id"])})
        self.port = session["port"]
        self.pid = session.get("pid")
        self.dir = Path(session["dir"])
        display = str(session.get("display") or "").lstrip(":").split(".")[0]
        # Xpra 6 starts Xvfb without the bench's marker: remember it (pid, start time), so it can be
        # stopped if the sidecar could not, and counted as the server's CPU.
        try:
            pid = int(Path(f"/tmp/.X{display}-lock").read_text().strip())
            self.xvfb = (pid, _start_time(pid))
        except (OSError, ValueError):
            pass

    def cpu_roots(self):
        roots = [{"pid": self.serve.pid, "cls": "proxy", "tree": False}]
        if self.pid:
            roots.append({"pid": self.pid, "cls": "server", "tree": True})
        if self.xvfb:
            roots.append({"pid": self.xvfb[0], "cls": "server", "tree": True})
        return roots

    def stop(self):
        try:
            self.serve.delete_session(self.port)
        except Exception:  # noqa: BLE001 -- stopping the serve below stops it too
            pass
        self.serve.stop()
        if self.xvfb and _start_time(self.xvfb[0]) == self.xvfb[1]:
            for sig in (signal.SIGTERM, signal.SIGKILL):
                try:
                    os.kill(self.xvfb[0], sig)
                except ProcessLookupError:
                    break
                time.sleep(1)
                if _start_time(self.xvfb[0]) != self.xvfb[1]:
                    break


def _start_time(pid):
    try:
        return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[19])
    except (OSError, ValueError, IndexError):
        return None


def paths(sessions, jupyter, wanted):
    """(path, url, port the browser's sockets go to, session or None) in order."""
    out = []
    own31 = sessions.get("own31")
    if own31 and "own31-sidecar" in wanted:
        serve = own31.serve
        out.append(("own31-sidecar", f"http://127.0.0.1:{serve.port}/sessions/{own31.port}/?token={serve.token}", serve.port, own31))
    if jupyter:
        for name in ("own31", "own65"):
            sess = sessions.get(PATH_VARIANT[name])
            if sess and name in wanted:
                url = f"http://127.0.0.1:{jupyter.port}/{sess.variant['proxy_name']}/sessions/{sess.port}/?token={jupyter.token}"
                out.append((name, url, jupyter.port, sess))
        if "peer" in wanted:
            out.append(("peer", f"http://127.0.0.1:{jupyter.port}/desktop/?token={jupyter.token}", jupyter.port, None))
    return out


def phase_stream(ctx, res, Serve, log, extra_serve_args=(), key="stream"):
    sizes = [tuple(int(n) for n in s.split("x")) for s in ctx.stream_sizes.split(",")]
    wanted = ctx.stream_paths.split(",")
    pages = PageServer()
    sessions = {}
    jupyter = None
    try:
        needed = {PATH_VARIANT[p] for p in wanted if p in PATH_VARIANT}
        if "peer" in wanted and ctx.stream_peer and not needed:
            # Jupyter's config routes to at least one sidecar, and the peer's Firefox takes its
            # user.js from a session's profile: the peer alone still needs one session.
            needed = {"own31"}
        for name, variant in VARIANTS.items():
            if name in needed:
                variant = dict(variant, args=variant["args"] + list(extra_serve_args))
                sessions[name] = Session(ctx, Serve, name, variant, pages)
                log(f"stream: {name} session on port {sessions[name].port} (serve {' '.join(variant['args'])})")
        needs_jupyter = any(p in wanted for p in JUPYTER_PATHS)
        jupyter = Jupyter(ctx, sessions, pages.page_url("vnc"), log) if ctx.stream_peer and needs_jupyter and sessions else None
        rows = []
        for i, (width, height) in enumerate(sizes):
            # The order flips from one size to the next, so no path always goes first or last.
            order = paths(sessions, jupyter, wanted)
            for name, url, server_port, sess in (order if i % 2 == 0 else order[::-1]):
                # --stream-client's parameters win over the row's own (e.g. video=false for own65 too).
                query = urllib.parse.urlencode({**dict(urllib.parse.parse_qsl(sess.variant["query"])),
                                                **dict(urllib.parse.parse_qsl(ctx.stream_client))}) if sess else ""
                if query:
                    url += ("&" if "?" in url else "?") + query
                ident = sess.variant["id"] if sess else "vnc"
                # noVNC's page has a 36 px bar above the desktop: a taller viewport gives the peer
                # the same desktop size as the others.
                viewport = height + 36 if name == "peer" else height
                if sess:
                    roots = sess.cpu_roots()
                    if name in JUPYTER_PATHS:
                        roots.append({"pid": jupyter.proc.pid, "cls": "proxy", "tree": False})
                    cpu = {"roots": roots}
                else:
                    # The peer: everything the Jupyter server started for its desktop (vncserver
                    # daemonizes Xtigervnc, so also whatever carries the peer's page in its environment).
                    cpu = {"roots": [{"pid": jupyter.proc.pid, "cls": "proxy", "tree": True}],
                           "envRoots": [{"needle": "FL_PEER_URL=", "cls": "proxy"}]}
                before = relayed_down(sess.serve) if sess else None
                r = probe(ctx, pages, {"id": ident, "path": name, "url": url, "width": width, "height": viewport, "serverPort": server_port,
                                       "reader": sess.variant["reader"] if sess else "pixel", "cpu": cpu}, log)
                after = relayed_down(sess.serve) if sess else None
                r["height"] = height
                if before is not None and after is not None:
                    r["sidecar_relayed_down"] = after - before
                r["path"] = name
                rows.append(r)
        res[key] = {"rows": rows, "serve_args": list(extra_serve_args), "xpra6": ctx.xpra6 if "own65" in sessions else None}
    finally:
        if jupyter:
            jupyter.stop()
        for sess in sessions.values():
            sess.stop()
        pages.close()


# The choices `stream-tune` compares (serve flags), each measured the same way through the sidecar.
# Each is the service's default with one thing changed (the label says what). The sessions run
# Xpra 3.1.3, to which the defaults (`--video auto`) offer pictures only.
TUNE = (
    ("defaults", []),
    ("video on", ["--video=true"]),
    ("encoding jpeg", ["--encoding", "jpeg"]),
    ("encoding webp", ["--encoding", "webp"]),
    ("min-speed 30", ["--min-speed", "30"]),
    ("min-speed 50", ["--min-speed", "50"]),
    ("min-speed 70", ["--min-speed", "70"]),
    ("min-speed 90", ["--min-speed", "90"]),
    ("speed 100", ["--speed", "100"]),
    ("min-quality 10", ["--min-quality", "10"]),
    ("min-quality 60", ["--min-quality", "60"]),
)


# Fewer presses than the path comparison: eleven settings, two rounds (and no more than
# --stream-presses, so a short run stays short).
TUNE_PRESSES = 20


def phase_stream_tune(ctx, res, Serve, log):
    """Each picture setting in TUNE, in turn, through the sidecar at the first size, `rounds` times:
    our client (the only one `serve` has) on serve's default Xpra (Debian's 3.1.3)."""
    width, height = (int(n) for n in ctx.stream_sizes.split(",")[0].split("x"))
    pages = PageServer()
    rows = []
    try:
        for round_no in range(ctx.stream_rounds):
            order = TUNE if round_no % 2 == 0 else TUNE[::-1]
            for label, args in order:
                serve = Serve(ctx, f"tune-{round_no}-{TUNE.index((label, args))}", list(args))
                try:
                    session, _ = serve.post_session({"url": pages.page_url("tune")})
                    url = f"http://127.0.0.1:{serve.port}/sessions/{session['port']}/?token={serve.token}"
                    # Our client draws in a worker: the probe counts its paint events ("paint").
                    r = probe(ctx, pages, {"id": "tune", "path": label, "url": url, "width": width, "height": height, "serverPort": serve.port,
                                           "reader": "paint"}, log, presses=min(TUNE_PRESSES, ctx.stream_presses))
                    r.update(setting=label, args=args, round=round_no)
                    rows.append(r)
                    serve.delete_session(session["port"])
                finally:
                    serve.stop()
    finally:
        pages.close()
    res["stream_tune"] = {"rows": rows, "size": [width, height]}


# ---------------------------------------------------------------------------------------------
# the report

PATHS = ("own31", "own31-sidecar", "own65", "peer")
CPU_CLASSES = (("server", "Xpra"), ("firefox", "Firefox"), ("browser", "Chromium"), ("proxy", "proxy"))


def _get(row, mode, key):
    value = (row.get(mode) or {}).get(key)
    return value if isinstance(value, (int, float)) else None


def _fmt(value, spec="{:.1f}"):
    return "–" if value is None else spec.format(value)


def _by_path(rows, width, height):
    return {r["path"]: r for r in rows if r.get("width") == width and r.get("height") == height and "error" not in r}


def _ratio(row, mode="anim"):
    f, p = _get(row, mode, "fps"), _get(row, mode, "page_fps")
    return f / p if f is not None and p else None


def cpu_per_frame(row, mode="anim"):
    """CPU ms per frame shown, by class, over the streaming window (None when not measured)."""
    m = (row.get(mode) or {})
    cpu, frames = m.get("cpu_ms"), m.get("frames")
    if not isinstance(cpu, dict) or not frames:
        return None
    return {k: cpu.get(k, 0.0) / frames for k, _ in CPU_CLASSES}


def _cpu_text(row, mode="anim"):
    per = cpu_per_frame(row, mode)
    if per is None:
        return "–"
    m = row.get(mode) or {}
    busy = sum((m.get("cpu_ms") or {}).values()) / (m.get("seconds") or 1) / 10  # % of one core
    return " + ".join(f"{per[k]:.1f} {label}" for k, label in CPU_CLASSES) + f" ({busy:.0f} % of a core)"


def report_rows(res, status):
    """Rows for the summary table (7x: the picture), as (row, figure, target, status)."""
    s = res.get("stream")
    if not s:
        return []
    rows = []
    sizes = []
    for r in s["rows"]:
        if (r["width"], r["height"]) not in sizes:
            sizes.append((r["width"], r["height"]))
    for i, (w, h) in enumerate(sizes):
        by = _by_path(s["rows"], w, h)
        letter = "abcdefgh"[i]
        size = f"{w}×{h}"
        if not by:
            rows.append((f"7{letter}. The picture, {size}", "not measured: every row failed (errors in the raw table)", "(issue 14, 21)", "not measured"))
            continue
        n = iter(range(1, 100))

        def label(text):
            return f"7{letter}{next(n)}. {text}, {size}"

        def per_path(mode, key, spec="{:.1f}"):
            return ", ".join(f"{p} {_fmt(_get(by[p], mode, key), spec)}" for p in PATHS if p in by)

        def shown_of_painted(mode):
            return ", ".join(f"{p} {_fmt(_get(by[p], mode, 'fps'))}/{_fmt(_get(by[p], mode, 'page_fps'), '{:.0f}')} (×{_fmt(_ratio(by[p], mode), '{:.2f}')})"
                             for p in PATHS if p in by)

        # Issue 21's targets are own65's and are checked in their own rows below (_own_targets).
        rows.append((label("Animation, frames/s shown / painted by Firefox (×shown/painted)"), shown_of_painted("anim"), "(reported; targets below)", "info"))
        rows.append((label("Animation, longest stall (ms)"), per_path("anim", "longest_stall_ms", "{:.0f}"), "(reported)", "info"))
        rows.append((label("Scroll, frames/s shown / painted by Firefox (×shown/painted)"), shown_of_painted("scroll"), "(reported)", "info"))
        lj, ls = _get(by.get("own31", {}), "latency", "p50_ms"), _get(by.get("own31-sidecar", {}), "latency", "p50_ms")
        lat = ", ".join(f"{p} {_fmt(_get(by[p], 'latency', 'p50_ms'), '{:.0f}')}/{_fmt(_get(by[p], 'latency', 'p95_ms'), '{:.0f}')}" for p in PATHS if p in by)
        added = f" (Jupyter's proxy, own31 − own31-sidecar at p50: {lj - ls:+.1f} ms)" if lj is not None and ls is not None else ""
        rows.append((label("Key press to photon, p50/p95 ms"), lat + added, "(reported; targets below)", "info"))
        bw = ", ".join(f"{p} {_fmt(_mb(_get(by[p], 'anim', 'bytes_per_s')))}/{_fmt(_mb(_get(by[p], 'scroll', 'bytes_per_s')))}" for p in PATHS if p in by)
        rows.append((label("Bandwidth down, animation/scroll MB/s"), bw, "(reported)", "info"))
        rows.append((label("CPU ms per frame shown (animation): Xpra + Firefox + Chromium + proxy"),
                     "; ".join(f"{p}: {_cpu_text(by[p])}" for p in PATHS if p in by), "(where the time went)", "info"))
        rows.append((label("Against the peer (own31 vs peer: Debian's Xpra, serve's defaults)"), *_versus_peer(by), ))
        rows += [(label(t), f, tg, st) for t, f, tg, st in _own_targets(by, w, h)]
    return rows


def _own_targets(by, w, h):
    """Issue 21's targets for our client (rows own65 and own31), as (text, figure, target, status)."""
    out = []
    o6, peer, o3 = by.get("own65"), by.get("peer"), by.get("own31")
    big = (w, h) == (1920, 1080)
    target = "≥ 0.9 of painted" + (" and ≥ 42 frames/s" if big else "")
    if o6:
        r, f = _ratio(o6), _get(o6, "anim", "fps")
        ok = r is not None and r >= 0.9 and (not big or (f is not None and f >= 42))
        out.append(("Our client on Xpra 6.5 + video: animation shown/painted",
                    f"{_fmt(f)} of {_fmt(_get(o6, 'anim', 'page_fps'), '{:.0f}')} frames/s: ×{_fmt(r, '{:.2f}')} (scroll ×{_fmt(_ratio(o6, 'scroll'), '{:.2f}')})",
                    target, "met" if ok else "**missed**"))
    else:
        out.append(("Our client on Xpra 6.5 + video: animation shown/painted", "not measured", target, "not measured"))
    if o6 and peer:
        lo, lp = _get(o6, "latency", "p50_ms"), _get(peer, "latency", "p50_ms")
        ok = lo is not None and lp is not None and lo <= lp
        out.append(("Our client on Xpra 6.5 + video: key to photon p50 vs the peer", f"{_fmt(lo, '{:.0f}')} vs {_fmt(lp, '{:.0f}')} ms",
                    "≤ the peer's", "met" if ok else "**missed**"))
        figs, ok = [], True
        for mode in ("anim", "scroll"):
            bo, bp = _mb(_get(o6, mode, "bytes_per_s")), _mb(_get(peer, mode, "bytes_per_s"))
            ok &= bo is not None and bp is not None and bo <= bp
            figs.append(f"{mode} {_fmt(bo, '{:.2f}')} vs {_fmt(bp, '{:.2f}')} MB/s")
        out.append(("Our client on Xpra 6.5 + video: bandwidth vs the peer", "; ".join(figs), "≤ the peer's (both pages)", "met" if ok else "**missed**"))
    if o3:
        # Debian's patched client is gone from `serve` (issue 21), so this run cannot measure it
        # beside ours: its last figures are what BENCHMARKS.md kept, not a ratio made up here.
        out.append(("Our client vs Debian's retired client on Xpra 3.1.3",
                    f"own31 {_fmt(_get(o3, 'anim', 'fps'))} frames/s animation, {_fmt(_get(o3, 'scroll', 'fps'))} scroll, "
                    f"key to photon p50 {_fmt(_get(o3, 'latency', 'p50_ms'), '{:.0f}')} ms; Debian's client is no longer served, "
                    "so not measured in this run: its last figures beside ours are in BENCHMARKS.md's issue 21 notes "
                    "(`git show febc1d7:BENCHMARKS.md`)",
                    "≥ 0.95 × Debian's frames/s, key to photon ≤ Debian's + 2 ms", "not measured"))
    return out


def _mb(bytes_per_s):
    return None if bytes_per_s is None else bytes_per_s / 1e6


def _versus_peer(by):
    """Issue 14's target, for what a user gets by default (our client on Debian's Xpra 3.1.3,
    through Jupyter): ahead of the peer on frames/s (both pages) and latency, at equal or lower
    bandwidth?"""
    ours, peer = by.get("own31"), by.get("peer")
    if not ours or not peer:
        return ("not measured", "ahead on fps and latency at ≤ bandwidth", "not measured")
    verdicts = []
    ahead = True
    for mode in ("anim", "scroll"):
        fo, fp = _get(ours, mode, "fps"), _get(peer, mode, "fps")
        bo, bp = _get(ours, mode, "bytes_per_s"), _get(peer, mode, "bytes_per_s")
        if None in (fo, fp, bo, bp):
            return ("incomplete", "ahead on fps and latency at ≤ bandwidth", "not measured")
        good = fo >= fp and bo <= bp
        ahead &= good
        verdicts.append(f"{mode} {fo:.1f} vs {fp:.1f} fps at {bo / 1e6:.1f} vs {bp / 1e6:.1f} MB/s")
    lo, lp = _get(ours, "latency", "p50_ms"), _get(peer, "latency", "p50_ms")
    ahead &= lo is not None and lp is not None and lo <= lp
    verdicts.append(f"latency p50 {_fmt(lo, '{:.0f}')} vs {_fmt(lp, '{:.0f}')} ms")
    return ("; ".join(verdicts), "ahead on fps and latency at ≤ bandwidth", "met" if ahead else "**missed**")


def how_lines(ctx):
    return [
        "7. **The picture** (`bench/stream.py`, `bench/stream/probe.mjs`, `bench/stream/page.html`). Each Xpra has its",
        "   own sidecar (`serve`, which serves our client; its defaults offer video, which our client decodes with",
        f"   WebCodecs): Debian's Xpra 3.1.3 (serve's default) and Xpra 6.5.5 (`--xpra {ctx.xpra6}`, page opened with",
        "   `?video=true`), each with one session showing a page served by the bench, which the bench switches between a full-window",
        "   canvas animation (a moving gradient, 40 discs and text, repainted every frame), a long text page scrolled",
        "   4 px per frame, and a still page whose centre block turns black/white on each key press (measured first on",
        "   each connection). The animation and the scroll carry the page's frame counter (mod 64) in the colour of a",
        "   240 px block at the centre. Headless Chromium (Debian's, `--disable-gpu`) opens the client page at each",
        "   size, and each change at the centre is timed when the client painted it:",
        "   - **noVNC** (the peer) draws with the 2D canvas: an init script wraps `drawImage`/`putImageData`",
        "     and reads the centre pixel of the largest canvas after every task that drew. Frames shown = counter",
        "     changes; the photon = the first paint that shows the new colour.",
        "   - **Our client** draws in a worker (OffscreenCanvas), which the page cannot read back; after each picture",
        "     it dispatches `firefox-launcher:paint` on `#screen` (`{wid, x, y, width, height, coding, decodeMicros}`,",
        "     `js-extension/client/docs/page-surface.md`). A paint of the filling window whose rectangle covers the",
        "     window's centre is a new frame there (the page repaints the centre every frame; Xpra sends only damage):",
        "     frames shown = animation frames of the client page in which such a paint arrived; the photon = the first",
        "     such paint after the key. Checked against Chromium's own screenshots: after every press the centre must",
        "     show the new colour (\"verified\" below), and after every streaming window 8 screenshots 200–400 ms apart",
        "     bound the paints counted between two of them by how far the page's counter advanced (\"check\" below:",
        "     no pair may count more paints than new frames, with one of slack for a paint reported after the",
        "     screenshot that already showed it).",
        "   Both are timed to the frame that shows them (the animation frame in which the client drew, or the next one",
        "   when it drew outside a frame; the paint call's own time is kept as \"drawn\"). Frames/s over",
        f"   {ctx.stream_seconds:.0f} s (after {ctx.stream_warmup:.0f} s of warm-up); the longest stall is the longest time",
        "   without a new frame; latency is from the client page's `keydown` (a key sent by CDP) to the photon,",
        f"   {ctx.stream_presses} presses, each 150–400 ms after the previous photon and once the client has drawn",
        "   nothing for 400 ms (so a late lossless refresh cannot pass for a photon); bandwidth is what Chromium's",
        "   sockets to the server's port received (`ss -ti`, the same for every path). CPU: utime+stime",
        "   (`/proc/PID/stat`) of each process tree before and after each streaming window, by class: Xpra (Xpra and",
        "   its Xvfb; the peer's Xtigervnc), Firefox (its whole tree), Chromium (every process the probe started) and",
        "   proxy (the sidecar, and the Jupyter server for the rows through it; for the peer, the rest of",
        "   its desktop's tree: websockify, vncserver), divided by the frames shown. Paths (all on the same machine,",
        "   one after the other; the order flips from one size to the next): **own31**, **own65**: jupyter-server-proxy",
        "   (4.6.0, `jupyter server`) routing `/firefox-launcher…/` to that row's sidecar (the page alone, as the",
        "   JupyterLab tab's frame loads it), on Xpra 3.1.3 and 6.5.5; **own31-sidecar**: the same 3.1.3 session's",
        "   page at `/sessions/PORT/` on its sidecar's TCP port, without Jupyter (own31 minus it is what",
        "   jupyter-server-proxy adds);",
        "   **peer**: `/desktop/` of jupyter-remote-desktop-proxy 3.0.1 (noVNC 1.5.0, TigerVNC's Xtigervnc) on the",
        "   same Jupyter server, its desktop running Firefox ESR alone with the same `user.js` on the same page",
        "   (bench/peer/); its viewport is 36 px taller, the height of noVNC's bar, so its desktop has the same size.",
        "   The page in Firefox reports how many frames it painted itself (\"painted\"): the client cannot show more.",
        "   Until issue 21 retired it, Debian's patched Xpra HTML5 client had rows here too (direct, sidecar, jupyter);",
        "   its last figures beside ours are in BENCHMARKS.md's issue 21 notes (`git show febc1d7:BENCHMARKS.md`).",
        "8. **Picture settings** (`stream-tune`). Each setting is the service's defaults (video offered, decoded by",
        "   WebCodecs; encoding auto, quality and speed auto, min-quality 30, min-speed 70) with one thing changed; each",
        "   gets a fresh `serve` (our client on Debian's Xpra 3.1.3) and session and is measured as in 7 through the",
        f"   sidecar at the first size, with {min(TUNE_PRESSES, ctx.stream_presses)} key presses; all settings in turn, then again in reverse order. The",
        "   defaults are the setting with the most frames/s at the least bandwidth in that table, latency being alike for all.",
        "   Debian's patched client, which the earlier tables of this kind measured, is retired (issue 21).",
    ]


def raw_lines(res):
    lines = []
    s = res.get("stream")
    if s:
        lines.append("The picture, every measurement (fps at the client / page fps in Firefox / longest stall ms / MB/s down):\n")
        lines.append("| size | path | connect ms | animation | scroll | key to photon p50/p95 ms (n, lost); drawn p50/p95 |")
        lines.append("| --- | --- | --- | --- | --- | --- |")
        for r in s["rows"]:
            lines.append(_raw_row(r, f"{r['width']}×{r['height']}", r["path"]))
        lines.append("")
        lines += _cpu_lines(s["rows"])
        lines += _own_lines(s["rows"])
        slower = sorted(f"{p} at {w}×{h}" for (w, h) in {(r["width"], r["height"]) for r in s["rows"]} for p in ("own31", "own65")
                        if (_get(_by_path(s["rows"], w, h).get(p, {}), "latency", "p50_ms") or 0)
                        > (_get(_by_path(s["rows"], w, h).get("peer", {}), "latency", "p50_ms") or float("inf")))
        if slower:
            lines.append(f"Where the peer answers a key press sooner ({', '.join(slower)}): TigerVNC sends a change as soon as")
            lines.append("noVNC asks for the next frame, and encodes it in C; Xpra collects damage for a batch delay and")
            lines.append("encodes in Python threads around its codecs. With Debian's client on 3.1.3 (before issue 21), shortening")
            lines.append("the batch delay (XPRA_BATCH_START_DELAY=5, XPRA_BATCH_MIN_DELAY=1) did not move the median in a side")
            lines.append("run (27–29 ms either way). What Jupyter's proxy adds: own31 against own31-sidecar.\n")
        relayed = [f"{r['path']} {r['width']}×{r['height']}: {r['sidecar_relayed_down'] / 1e6:.1f} MB" for r in s["rows"] if r.get("sidecar_relayed_down")]
        if relayed:
            lines.append("What the sidecar's own counter (`firefox_launcher_websocket_bytes_total{direction=\"down\"}` in")
            lines.append("`/metrics`) grew by over each whole measurement (connect, three tests and the pauses between): "
                         + "; ".join(relayed) + ". The peer does not cross it.\n")
    t = res.get("stream_tune")
    if t:
        w, h = t["size"]
        lines.append(f"Picture settings compared (`scripts/bench --only stream-tune`), through the sidecar at {w}×{h}, same columns:\n")
        lines.append("| setting | round | connect ms | animation | scroll | key to photon p50/p95 ms (n, lost); drawn p50/p95 |")
        lines.append("| --- | --- | --- | --- | --- | --- |")
        for r in t["rows"]:
            lines.append(_raw_row(r, r["setting"], str(r["round"])))
        lines.append("")
        lines.append("Medians over the rounds:\n")
        lines.append("| setting | animation fps | scroll fps | key to photon p50 ms | animation MB/s | scroll MB/s |")
        lines.append("| --- | --- | --- | --- | --- | --- |")
        for label, summary in tune_summary(t["rows"]):
            lines.append(f"| {label} | " + " | ".join(_fmt(summary[k], f) for k, f in (
                ("anim", "{:.1f}"), ("scroll", "{:.1f}"), ("latency", "{:.0f}"), ("anim_mb", "{:.2f}"), ("scroll_mb", "{:.2f}"))) + " |")
        lines.append("")
    return lines


def _cpu_lines(rows):
    out = ["CPU per frame shown, ms (Xpra + Firefox + Chromium + proxy), and how busy the machine was (% of one core; 200 = both cores):\n",
           "| size | path | animation | scroll |", "| --- | --- | --- | --- |"]
    for r in rows:
        if "error" not in r:
            out.append(f"| {r['width']}×{r['height']} | {r['path']} | {_cpu_text(r, 'anim')} | {_cpu_text(r, 'scroll')} |")
    return out + [""]


def _own_lines(rows):
    """What our client's paint events said, and how they were checked against screenshots."""
    mine = [r for r in rows if r.get("path") in PATH_VARIANT and "error" not in r]
    if not mine:
        return []
    out = ["Our client's paints: encodings of the paints over the centre, median decode time, the screenshot check",
           "(paint frames counted between screenshot pairs vs the page's counter advance; pairs that counted more than one over),",
           "and the presses whose photon the screenshot afterwards confirmed:\n",
           "| size | path | animation: codings; decode p50; check | scroll: codings; decode p50; check | presses verified / mismatched; key sent p50 ms; photon's decode p50 ms |",
           "| --- | --- | --- | --- | --- |"]

    def cell(m):
        if not m:
            return "–"
        codings = ", ".join(f"{k or '(no name)'} {v}" for k, v in sorted((m.get("codings") or {}).items(), key=lambda kv: -kv[1]))
        c = m.get("check") or {}
        check = (f"{c.get('paint_frames')} vs {c.get('counter_advance')} over {c.get('pairs')} pairs, {c.get('over_counted_pairs')} over"
                 if c else "–")
        return f"{codings or '–'}; {_fmt(m.get('decode_p50_us'), '{:.0f}')} µs; {check}"
    for r in mine:
        lat = r.get("latency") or {}
        out.append(f"| {r['width']}×{r['height']} | {r['path']} | {cell(r.get('anim'))} | {cell(r.get('scroll'))} | "
                   f"{lat.get('verified', '–')} / {lat.get('mismatched', '–')}; {_fmt(lat.get('sent_p50_ms'), '{:.0f}')}; {_fmt(lat.get('decode_p50_ms'), '{:.0f}')} |")
    return out + [""]


def tune_summary(rows):
    """Per setting, in TUNE's order: medians of frames/s, latency and bandwidth over its rounds."""
    def med(xs):
        xs = [x for x in xs if x is not None]
        return statistics.median(xs) if xs else None
    out = []
    for label, _ in TUNE:
        mine = [r for r in rows if r.get("setting") == label and "error" not in r]
        if mine:
            out.append((label, {
                "anim": med([_get(r, "anim", "fps") for r in mine]),
                "scroll": med([_get(r, "scroll", "fps") for r in mine]),
                "latency": med([_get(r, "latency", "p50_ms") for r in mine]),
                "anim_mb": med([_mb(_get(r, "anim", "bytes_per_s")) for r in mine]),
                "scroll_mb": med([_mb(_get(r, "scroll", "bytes_per_s")) for r in mine]),
            }))
    return out


def _raw_row(r, first, second):
    if "error" in r:
        return f"| {first} | {second} | – | error: {r['error'][:120]} | | |"

    def streaming(mode):
        return "{} / {} / {} / {}".format(_fmt(_get(r, mode, "fps")), _fmt(_get(r, mode, "page_fps"), "{:.0f}"),
                                          _fmt(_get(r, mode, "longest_stall_ms"), "{:.0f}"), _fmt(_mb(_get(r, mode, "bytes_per_s")), "{:.2f}"))
    lat = r.get("latency") or {}
    latency = (f"{_fmt(lat.get('p50_ms'), '{:.0f}')}/{_fmt(lat.get('p95_ms'), '{:.0f}')} ({lat.get('n')}, {lat.get('lost')}); "
               f"{_fmt(lat.get('drawn_p50_ms'), '{:.0f}')}/{_fmt(lat.get('drawn_p95_ms'), '{:.0f}')}")
    return f"| {first} | {second} | {r.get('connect_ms', '–')} | {streaming('anim')} | {streaming('scroll')} | {latency} |"
