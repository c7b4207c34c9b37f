"""The picture (issue 14): what a user sees for the rest of the hour, measured in real Chromium.

One Firefox session of the sidecar shows bench/stream/page.html; headless Chromium opens it through
three paths, and the peer (jupyter-remote-desktop-proxy + TigerVNC + noVNC, running the same Firefox
and page) through Jupyter, each at 1280×800 and 1920×1080:

  direct   the client page on a loopback TCP port of the bench's own, whose connections are spliced
           byte for byte to the session's Xpra unix socket (Xpra listens on no TCP port): no
           sidecar at all (see Forwarder);
  sidecar  the sidecar's client page and websocket (/sessions/PORT/ on its TCP port);
  jupyter  the same page through jupyter-server-proxy (/firefox-launcher/sessions/PORT/) in front
           of the same sidecar;
  peer     /desktop/ of jupyter-remote-desktop-proxy on the same Jupyter server.

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
PROBE = HERE / "stream" / "probe.mjs"
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


class Forwarder:
    """The direct path's way in: a loopback TCP port whose every connection is spliced, byte for
    byte, to a unix socket (the session's `sock/xpra.sock`, Xpra's only listener). It reads no HTTP
    and no websocket, so it stands for nothing of the sidecar: it gives the browser the TCP hop it
    needs, and exists only for the measurement. Two threads per connection, one per direction."""

    def __init__(self, target):
        self.target = str(target)
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.conns = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return  # closed
            upstream = socket.socket(socket.AF_UNIX)
            try:
                upstream.connect(self.target)
            except OSError:
                client.close()
                upstream.close()
                continue
            client.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            self.conns += [client, upstream]
            for src, dst in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(src, dst), daemon=True).start()

    @staticmethod
    def _pump(src, dst):
        buf = bytearray(1 << 16)
        view = memoryview(buf)
        try:
            while n := src.recv_into(buf):
                dst.sendall(view[:n])
        except OSError:
            pass
        try:
            dst.shutdown(socket.SHUT_WR)
        except OSError:
            pass

    def close(self):
        # shutdown() wakes a thread blocked in accept() or recv(); close() alone does not.
        for s in [self.listener] + self.conns:
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            s.close()


def free_port():
    """A port free now (bench only: whoever binds it next must fail loudly if it was taken)."""
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
        # The peer (bench/peer/README.md): its desktop runs Firefox alone on the same page, with
        # the same user.js; HOME (vncserver's ~/.vnc) and TMPDIR are the bench's scratch ones.
        env.update({"JUPYTER_CONFIG_DIR": str(self.dir), "FL_PEER_URL": peer_url, "FL_PEER_PROFILE": str(profile),
                    "JUPYTER_REMOTE_DESKTOP_PROXY_XSTARTUP": str(HERE / "peer" / "xstartup"),
                    "JUPYTER_RUNTIME_DIR": str(self.dir / "runtime"), "JUPYTER_DATA_DIR": str(self.dir / "data")})
        self.logfile = self.dir / "jupyter.log"
        with open(self.logfile, "wb") as out:
            self.proc = subprocess.Popen(
                [str(VENV / "bin" / "jupyter"), "server", "--no-browser", f"--port={self.port}", "--ip=127.0.0.1",
                 f"--IdentityProvider.token={self.token}", f"--ServerApp.root_dir={self.dir}"]
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
        # so its first measurement does not include Xtigervnc's and Firefox's start.
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
    out = subprocess.run(["node", str(PROBE), json.dumps(spec)], env=ctx.env, capture_output=True, text=True, timeout=600)
    try:
        result = json.loads(out.stdout.strip().splitlines()[-1])
    except (ValueError, IndexError):
        result = {"id": spec["id"], "error": f"probe failed: {out.stderr[-1500:]}"}
    log(f"{spec['id']} {spec['width']}x{spec['height']}: " + json.dumps({k: v for k, v in result.items() if k not in ("url",)}))
    return result


def relayed_down(serve):
    """Bytes the sidecar has relayed Xpra → browser so far (its own counter in /metrics)."""
    status, text, _ = serve.request("GET", "/metrics")
    for line in (text or "").splitlines() if status == 200 else []:
        if line.startswith('firefox_launcher_websocket_bytes_total{direction="down"}'):
            return int(float(line.split()[-1]))
    return None


def paths(serve, port, jupyter, forwarder):
    # direct: the page's origin is the forwarder, so the client's websocket goes to Xpra through it.
    direct = {"origin": f"http://127.0.0.1:{forwarder.port}", "upstream": f"http://127.0.0.1:{serve.port}", "token": serve.token}
    out = [("direct", f"http://127.0.0.1:{forwarder.port}/sessions/{port}/", forwarder.port, direct),
           ("sidecar", f"http://127.0.0.1:{serve.port}/sessions/{port}/?token={serve.token}", serve.port, None)]
    if jupyter:
        out.append(("jupyter", f"http://127.0.0.1:{jupyter.port}/firefox-launcher/sessions/{port}/?token={jupyter.token}", jupyter.port, None))
        out.append(("peer", f"http://127.0.0.1:{jupyter.port}/desktop/?token={jupyter.token}", jupyter.port, None))
    return out


def phase_stream(ctx, res, Serve, log, extra_serve_args=(), key="stream"):
    sizes = [tuple(int(n) for n in s.split("x")) for s in ctx.stream_sizes.split(",")]
    wanted = ctx.stream_paths.split(",")
    pages = PageServer()
    serve = jupyter = forwarder = None
    try:
        serve = Serve(ctx, key, list(extra_serve_args))
        session, _ = serve.post_session({"url": pages.page_url("xpra")})
        port = session["port"]
        forwarder = Forwarder(Path(session["dir"]) / "sock" / "xpra.sock")
        jupyter = Jupyter(ctx, serve, pages.page_url("vnc"), log) if ctx.stream_peer else None
        rows = []
        for i, (width, height) in enumerate(sizes):
            # The order flips from one size to the next, so no path always goes first or last.
            order = paths(serve, port, jupyter, forwarder)
            for name, url, server_port, direct in (order if i % 2 == 0 else order[::-1]):
                if name not in wanted:
                    continue
                if ctx.stream_client and name != "peer":
                    url += ("&" if "?" in url else "?") + ctx.stream_client
                ident = "vnc" if name == "peer" else "xpra"
                # noVNC's page has a 36 px bar above the desktop: a taller viewport gives the peer
                # the same desktop size as the others.
                viewport = height + 36 if name == "peer" else height
                before = relayed_down(serve)
                r = probe(ctx, pages, {"id": ident, "url": url, "width": width, "height": viewport, "serverPort": server_port, "direct": direct}, log)
                after = relayed_down(serve)
                r["height"] = height
                if before is not None and after is not None:
                    r["sidecar_relayed_down"] = after - before
                r["path"] = name
                rows.append(r)
        res[key] = {"rows": rows, "serve_args": list(extra_serve_args)}
        serve.delete_session(port)
    finally:
        if forwarder:
            forwarder.close()
        if jupyter:
            jupyter.stop()
        if serve:
            serve.stop()
        pages.close()


# The choices `stream-tune` compares (serve flags), each measured the same way through the sidecar.
# Each is the service's default with one thing changed (the label says what).
TUNE = (
    ("defaults", []),
    ("video decoders on", ["--video"]),
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


# Fewer presses than the path comparison: eleven settings, two rounds.
TUNE_PRESSES = 20


def phase_stream_tune(ctx, res, Serve, log):
    """Each picture setting in TUNE, in turn, through the sidecar at the first size, `rounds` times."""
    width, height = (int(n) for n in ctx.stream_sizes.split(",")[0].split("x"))
    pages = PageServer()
    rows = []
    try:
        for round_no in range(ctx.stream_rounds):
            order = TUNE if round_no % 2 == 0 else TUNE[::-1]
            for label, args in order:
                serve = Serve(ctx, f"tune-{round_no}-{TUNE.index((label, args))}", list(args))
                try:
                    session, _ = serve.post_session({"url": pages.page_url("xpra")})
                    url = f"http://127.0.0.1:{serve.port}/sessions/{session['port']}/?token={serve.token}"
                    r = probe(ctx, pages, {"id": "xpra", "url": url, "width": width, "height": height, "serverPort": serve.port}, log,
                              presses=TUNE_PRESSES)
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

PATHS = ("direct", "sidecar", "jupyter", "peer")


def _get(row, mode, key):
    value = (row.get(mode) or {}).get(key)
    return value if isinstance(value, (int, float)) else None


def _fmt(value, spec="{:.1f}"):
    return "–" if value is None else spec.format(value)


def _by_path(rows, width, height):
    return {r["path"]: r for r in rows if r.get("width") == width and r.get("height") == height and "error" not in r}


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

        def per_path(mode, key, spec="{:.1f}"):
            return ", ".join(f"{p} {_fmt(_get(by[p], mode, key), spec)}" for p in PATHS if p in by)

        jd, jj = _get(by.get("direct", {}), "anim", "fps"), _get(by.get("jupyter", {}), "anim", "fps")
        ok = jd is not None and jj is not None and jj >= 0.9 * jd and (w != 1280 or jj >= 30)
        target = "jupyter ≥ 30 (1280×800) and ≥ 0.9 × direct" if w == 1280 else "jupyter ≥ 0.9 × direct"
        ratio = f" (jupyter/direct ×{jj / jd:.2f})" if jd and jj is not None else ""
        rows.append((f"7{letter}1. Animation, distinct frames/s at the client, {size}", per_path("anim", "fps") + ratio, target, status(ok)))
        rows.append((f"7{letter}2. Animation, longest stall (ms), {size}", per_path("anim", "longest_stall_ms", "{:.0f}"), "(reported)", "info"))
        rows.append((f"7{letter}3. Scroll, distinct frames/s at the client, {size}", per_path("scroll", "fps"), "(reported)", "info"))
        ld, lj = _get(by.get("direct", {}), "latency", "p50_ms"), _get(by.get("jupyter", {}), "latency", "p50_ms")
        lat = ", ".join(f"{p} {_fmt(_get(by[p], 'latency', 'p50_ms'), '{:.0f}')}/{_fmt(_get(by[p], 'latency', 'p95_ms'), '{:.0f}')}" for p in PATHS if p in by)
        added = f" (jupyter − direct at p50: {lj - ld:+.1f} ms)" if ld is not None and lj is not None else ""
        rows.append((f"7{letter}4. Key press to photon, p50/p95 ms, {size}", lat + added, "jupyter − direct ≤ 5 ms at p50",
                     status(ld is not None and lj is not None and lj - ld <= 5)))
        bw = ", ".join(f"{p} {_fmt(_mb(_get(by[p], 'anim', 'bytes_per_s')))}/{_fmt(_mb(_get(by[p], 'scroll', 'bytes_per_s')))}" for p in PATHS if p in by)
        rows.append((f"7{letter}5. Bandwidth down, animation/scroll MB/s, {size}", bw, "(reported)", "info"))
        rows.append((f"7{letter}6. Against the peer (jupyter vs peer), {size}", *_versus_peer(by), ))
    return rows


def _mb(bytes_per_s):
    return None if bytes_per_s is None else bytes_per_s / 1e6


def _versus_peer(by):
    """Ahead of the peer on frames/s (both pages) and latency, at equal or lower bandwidth?"""
    ours, peer = by.get("jupyter"), by.get("peer")
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
        "7. **The picture** (`bench/stream.py`, `bench/stream/probe.mjs`, `bench/stream/page.html`). One sidecar session",
        "   shows a page served by the bench, which the bench switches between a full-window canvas animation (a",
        "   moving gradient, 40 discs and text, repainted every frame), a long text page scrolled 4 px per frame, and a",
        "   still page whose centre block turns black/white on each key press (measured first on each connection). The animation and the scroll carry",
        "   the page's frame counter (mod 64) in the colour of a 240 px block at the centre. Headless Chromium",
        "   (Debian's, `--disable-gpu`) opens the client page at each size; an init script wraps the 2D canvas's",
        "   `drawImage`/`putImageData` and reads the centre pixel of the largest canvas after every task that drew, so",
        "   each change is timed when the client painted it. Frames/s = counter changes per second over",
        f"   {ctx.stream_seconds:.0f} s (after {ctx.stream_warmup:.0f} s of warm-up); the longest stall is the longest time",
        "   without a change; latency is from the client page's `keydown` (a key sent by CDP) to the frame that shows",
        "   the new colour (the animation frame in which the client drew it, or the next one when it drew outside a",
        "   frame: noVNC draws as an update arrives, Xpra's client in `requestAnimationFrame`, so timing the draw call",
        "   alone favoured noVNC by up to a frame; that time is kept as \"drawn\" in the tables below),",
        f"   {ctx.stream_presses} presses 150–400 ms apart; bandwidth is what Chromium's sockets to the",
        "   server's port received (`ss -ti`, the same for every path). Paths, one after the other on the same session:",
        "   **direct**: the page's origin is a loopback TCP port of the bench's own that splices each connection byte",
        "   for byte to the session's Xpra unix socket (Xpra listens on no TCP port; the splice parses nothing), so its",
        "   websocket reaches Xpra with no sidecar in between (the page's files are the sidecar's, served through a",
        "   Playwright route, so every path runs the same client); **sidecar**: `/sessions/PORT/` on the sidecar's",
        "   TCP port; **jupyter**: jupyter-server-proxy (4.6.0, `jupyter server`) routing `/firefox-launcher/` to that",
        "   sidecar; **peer**: `/desktop/` of",
        "   jupyter-remote-desktop-proxy 3.0.1 (noVNC 1.5.0, TigerVNC's Xtigervnc) on the same Jupyter server, its",
        "   desktop running Firefox ESR alone with the same `user.js` on the same page (bench/peer/); its viewport is",
        "   36 px taller, the height of noVNC's bar, so its desktop has the same size. The page in Firefox reports how",
        "   many frames it painted itself (\"page fps\" below): the client cannot show more.",
        "8. **Picture settings** (`stream-tune`). Each setting is the service's defaults (JavaScript video decoders",
        "   off, encoding auto, quality and speed auto, min-quality 30, min-speed 70) with one thing changed; each gets",
        "   a fresh `serve` and session and is measured as in 7 through the sidecar at the first size, with",
        f"   {TUNE_PRESSES} key presses; all settings in turn, then again in reverse order. The defaults are the setting",
        "   with the most frames/s at the least bandwidth in that table, latency being alike for all.",
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
        slower = [f"{w}×{h}" for (w, h) in {(r["width"], r["height"]) for r in s["rows"]}
                  if (_get(_by_path(s["rows"], w, h).get("jupyter", {}), "latency", "p50_ms") or 0)
                  > (_get(_by_path(s["rows"], w, h).get("peer", {}), "latency", "p50_ms") or float("inf"))]
        if slower:
            lines.append(f"Where the peer answers a key press sooner ({', '.join(sorted(slower))}): TigerVNC sends a change as soon as")
            lines.append("noVNC asks for the next frame, and encodes it in C; Xpra 3.1 collects damage for a batch delay and")
            lines.append("encodes in Python threads around libjpeg. Shortening the batch delay (XPRA_BATCH_START_DELAY=5,")
            lines.append("XPRA_BATCH_MIN_DELAY=1) did not move the median in a side run (27–29 ms either way), so it is not")
            lines.append("offered as a setting. The proxies are not the cause: direct, sidecar and jupyter are within a few ms.\n")
        relayed = [f"{r['path']} {r['width']}×{r['height']}: {r['sidecar_relayed_down'] / 1e6:.1f} MB" for r in s["rows"] if r.get("sidecar_relayed_down")]
        if relayed:
            lines.append("What the sidecar's own counter (`firefox_launcher_websocket_bytes_total{direction=\"down\"}` in")
            lines.append("`/metrics`) grew by over each whole measurement (connect, three tests and the pauses between): "
                         + "; ".join(relayed) + ". The direct and peer paths do not cross it.\n")
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
