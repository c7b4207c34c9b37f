"""Control (issue 23): driving a session's Firefox through the sidecar's API, as the Python
package does, on Xpra 3.1.3 (serve's default) and 6.5 (`--xpra6`).

One sidecar per Xpra (sound off), one session on a local page, nobody watching it. Measured
from the API's side (an HTTP request to the sidecar on 127.0.0.1, the time to its whole answer):

  first      after the session is ready, the first control answer (`GET page`): the wait for
             Firefox to start the control extension's host;
  goto       `POST goto` to one of two local pages, alternately (it answers once the page has
             loaded), then `GET page` (its title): the round trip a notebook's
             `s.goto(url); s.title` makes;
  evaluate   `POST evaluate` of `document.title`;
  screenshot `GET screenshot`: Firefox's capture of the tab, PNG, and its size.
"""
import http.server
import struct
import threading

from sections import put_section

TRIALS = 20
SCREENSHOT_TARGET_MS = 100
VARIANTS = {"control31": ([], "Xpra 3.1.3"), "control65": (["--xpra", "XPRA6"], "Xpra 6.5.5")}
BEGIN = "<!-- control section: written by `scripts/bench --only control` (and the full run); the next such run replaces it -->"
END = "<!-- end of the control section -->"

PAGES = {
    "/a": b"<!doctype html><title>Page A</title><body style='margin:0;background:#f4f4f4'><h1>A</h1>" + b"<p>text " * 400,
    "/b": b"<!doctype html><title>Page B</title><body style='margin:0;background:#ffffff'><h1>B</h1>" + b"<p>more " * 400,
}


class _Pages(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        body = PAGES.get(self.path, b"")
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *_args):
        pass


def _timed(serve, method, path, body=None):
    status, data, dt = serve.request(method, path, body)
    if status != 200:
        raise RuntimeError(f"{method} {path}: {status} {data}")
    return data, dt * 1000


def measure(serve, origin, log):
    session, _ = serve.post_session({"url": f"{origin}/a", "audio": False})
    port = session["port"]
    base = f"/api/sessions/{port}"
    try:
        _, first = _timed(serve, "GET", f"{base}/page")
        gotos, evals, shots = [], [], []
        for i in range(TRIALS):
            page = "/b" if i % 2 == 0 else "/a"
            _, goto = _timed(serve, "POST", f"{base}/goto", {"url": origin + page})
            info, title = _timed(serve, "GET", f"{base}/page")
            assert info["title"] == f"Page {page[1].upper()}", info
            gotos.append(goto + title)
            _, ev = _timed(serve, "POST", f"{base}/evaluate", {"source": "document.title"})
            evals.append(ev)
            shots.append(_timed_png(serve, port))
        log(f"control: port {port}: first {first:.0f} ms, goto+title p50 {_p(gotos, 50):.0f} ms")
        size = shots[-1][1]
        return {"first_ms": first, "goto_ms": gotos, "evaluate_ms": evals, "screenshot_ms": [s[0] for s in shots], "size": size}
    finally:
        serve.delete_session(port)


def _timed_png(serve, port):
    status, png, dt = serve.request("GET", f"/api/sessions/{port}/screenshot", timeout=60, raw=True)
    if status != 200 or not png.startswith(b"\x89PNG"):
        raise RuntimeError(f"screenshot: {status} {png[:200]!r}")
    width, height = struct.unpack(">II", png[16:24])
    return dt * 1000, f"{width}×{height}, {len(png) // 1024} KiB"


def _p(xs, p):
    s = sorted(xs)
    return s[min(len(s) - 1, max(0, int(round(p / 100 * len(s) + 0.5)) - 1))]


def phase_control(ctx, res, Serve, log):
    pages = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Pages)
    threading.Thread(target=pages.serve_forever, daemon=True).start()
    origin = f"http://127.0.0.1:{pages.server_address[1]}"
    out = res.setdefault("control", {})
    try:
        for name, (args, label) in VARIANTS.items():
            args = [ctx.xpra6 if a == "XPRA6" else a for a in args]
            serve = Serve(ctx, name, ["--audio", "off"] + args)
            try:
                out[name] = {"label": label, **measure(serve, origin, log)}
            except Exception as e:  # noqa: BLE001
                res.setdefault("errors", []).append(f"control {name}: {type(e).__name__}: {e}")
                log(f"control {name} failed: {e}")
            finally:
                serve.stop()
    finally:
        pages.shutdown()


def write_section(ctx, res, started, finished, machine):
    m = machine
    rows = []
    lines = ["## Driving Firefox from code (issue 23)\n",
             f"- **Command:** `{ctx.command}`",
             f"- **Date:** {started} → {finished} (UTC)",
             f"- **Machine:** {m['nproc']} CPUs ({m['cpu']}), {m['mem']} RAM, Linux {m['kernel']}",
             f"- **Versions:** xpra {m['xpra']} (Debian) and `{ctx.xpra6}`, {m['firefox']}, {m['rustc']}",
             f"- **Sidecar:** `target/release/firefox-launcher` built from {m['git']}",
             "", "| row | figure (p50 / p95, {TRIALS} each) | target | status |".replace("{TRIALS}", str(TRIALS)), "| --- | --- | --- | --- |"]
    for name, r in res.get("control", {}).items():
        label = r["label"]
        shot50, shot95 = _p(r["screenshot_ms"], 50), _p(r["screenshot_ms"], 95)
        status = "met" if shot50 <= SCREENSHOT_TARGET_MS else "missed"
        table = [
            (f"{label}: first control answer after ready", f"{r['first_ms']:.0f} ms", "report", "reported"),
            (f"{label}: goto + title round trip", f"{_p(r['goto_ms'], 50):.0f} / {_p(r['goto_ms'], 95):.0f} ms", "report", "reported"),
            (f"{label}: evaluate `document.title`", f"{_p(r['evaluate_ms'], 50):.0f} / {_p(r['evaluate_ms'], 95):.0f} ms", "report", "reported"),
            (f"{label}: screenshot ({r['size']})", f"{shot50:.0f} / {shot95:.0f} ms", f"≤ {SCREENSHOT_TARGET_MS} ms", status),
        ]
        rows += table
        lines += ["| " + " | ".join(row) + " |" for row in table]
    lines += ["", "How it is measured: " + " ".join(__doc__.split("\n\n", 1)[1].split())]
    for e in res.get("errors", []):
        if e.startswith("control"):
            lines.append(f"- Error during the run: {e}")
    put_section(ctx.output, BEGIN, END, lines, ("<!-- sound section:", "<!-- stream section:", "## How each row is measured"))
    return rows
