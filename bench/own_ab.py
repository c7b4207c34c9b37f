"""Quick A/B of our own client's builds on ONE Xpra session (issue 21).

    flock /tmp/fl-heavy.lock /usr/bin/python3 bench/own_ab.py --dist A=DIR --dist B=DIR [--rounds 3]
        [--size 1280x800] [--presses 30] [--seconds 8] [--modes latency,anim] [--xpra PATH]

One sidecar (target/release/firefox-launcher serve, plus --xpra PATH if given) starts one session
showing bench/stream/page.html. Each --dist NAME=DIR (one of our client's bundles:
js-extension/client/dist or a copy) is served by this script under /sessions/1/ with the
session's session.json, its websocket spliced to the session's Xpra socket; every bundle attaches
to that same Xpra in turn (each attach takes the session over), in an order that alternates each
round. (Until issue 21 retired it, Debian's patched client was a row here too: BENCHMARKS.md keeps
what it measured.)

bench/stream/probe.mjs measures each attach (key to photon, frames shown, CPU per frame). After
each measurement `xpra info` of the session records, for the client then attached, the window's
encodings used and batch delay (--info DIR keeps each whole `xpra info`). --debug CATS turns on
Xpra debug categories (`xpra control ... debug enable`), --keep-log DIR keeps the session's log;
FL_AB_TRACE=FILE logs every read the splices relay (ms, up/down, bytes), to line up with the log's
"compress:" and "packet decoding sequence" lines. Prints one JSON line per measurement and a summary.
Everything it starts is stopped on exit; its scratch directory is removed.

Caveat: the splices are raw and without TCP_NODELAY, unlike the sidecar (which sets it towards the
browser) and jupyter-server-proxy (which rewrites whole websocket messages): an Xpra packet written
in two pieces can wait ~40 ms for Chromium's delayed ACK here. Key to photon through the real path is `scripts/bench --only stream`'s job.
"""
import argparse
import json
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import bench  # noqa: E402
import stream  # noqa: E402

CSP = ("default-src 'none'; script-src 'self'; worker-src 'self'; connect-src 'self'; img-src 'self' blob: data:; "
       "style-src 'self'; font-src 'self'; base-uri 'none'; object-src 'none'; form-action 'none'; frame-src 'none'; "
       "frame-ancestors 'self'")
TYPES = {".js": "text/javascript; charset=utf-8", ".html": "text/html; charset=utf-8", ".css": "text/css; charset=utf-8",
         ".json": "application/json", ".map": "application/json"}


TRACE = os.environ.get("FL_AB_TRACE")  # a file: every relayed read, timed (ms, direction, bytes)


def trace_pump(src, dst, direction):
    with open(TRACE, "a") as out:
        def note(n):
            out.write(f"{time.time() * 1000:.1f} {direction} {n}\n")
            out.flush()
        stream.pump(src, dst, note)


class DistServer:
    """Serves a client bundle under /sessions/1/ (and its session.json); a websocket upgrade there
    is spliced byte for byte to Xpra's unix socket (Xpra answers the upgrade itself)."""

    def __init__(self, dist, xpra_socket, session_json):
        self.dist = Path(dist).resolve()
        self.xpra_socket = str(xpra_socket)
        self.session_json = json.dumps(session_json).encode()
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        self.closed = False
        self.conns = []
        threading.Thread(target=self._accept, daemon=True).start()

    def url(self, query=""):
        return f"http://127.0.0.1:{self.port}/sessions/1/" + (f"?{query}" if query else "")

    def _accept(self):
        while not self.closed:
            try:
                c, _ = self.sock.accept()
            except OSError:
                return
            self.conns.append(c)
            threading.Thread(target=self._serve, args=(c,), daemon=True).start()

    def _serve(self, c):
        try:
            buf = b""
            while True:
                while b"\r\n\r\n" not in buf:
                    d = c.recv(65536)
                    if not d:
                        return c.close()
                    buf += d
                head, buf = buf.split(b"\r\n\r\n", 1)
                lines = head.decode("latin-1").split("\r\n")
                path = lines[0].split(" ")[1].split("?")[0]
                if any(l.lower().startswith("upgrade:") for l in lines[1:]):
                    up = socket.socket(socket.AF_UNIX)
                    up.connect(self.xpra_socket)
                    self.conns.append(up)
                    up.sendall(head + b"\r\n\r\n" + buf)
                    if TRACE:
                        threading.Thread(target=trace_pump, args=(up, c, "down"), daemon=True).start()
                        trace_pump(c, up, "up")
                        return
                    threading.Thread(target=stream.pump, args=(up, c), daemon=True).start()
                    stream.pump(c, up)
                    return
                if path == "/sessions/1/session.json":
                    self._reply(c, 200, self.session_json, TYPES[".json"])
                    continue
                rel = path[len("/sessions/1/"):] if path.startswith("/sessions/1/") else None
                f = (self.dist / (rel or "index.html")).resolve() if rel is not None else None
                if f is None or not str(f).startswith(str(self.dist) + os.sep) or not f.is_file():
                    self._reply(c, 404, b"not found", "text/plain")
                    continue
                self._reply(c, 200, f.read_bytes(), TYPES.get(f.suffix, "application/octet-stream"))
        except OSError:
            pass

    @staticmethod
    def _reply(c, status, body, ctype):
        c.sendall((f"HTTP/1.1 {status} X\r\nContent-Type: {ctype}\r\nContent-Length: {len(body)}\r\n"
                   f"Cache-Control: no-store\r\nContent-Security-Policy: {CSP}\r\nX-Content-Type-Options: nosniff\r\n\r\n"
                   ).encode() + body)

    def close(self):
        self.closed = True
        for s in [self.sock] + self.conns:
            try:
                s.close()
            except OSError:
                pass


def xpra_info(xpra, sock, save=None):
    """The attached client's window stats that tell what Xpra chose: encodings used, batch delay
    (the whole `xpra info` is written to `save` when given)."""
    try:
        p = subprocess.run([xpra, "info", f"socket://{sock}"], capture_output=True, text=True, timeout=30)
    except (subprocess.TimeoutExpired, OSError) as e:
        return {"error": str(e)}
    if save:
        Path(save).write_text(p.stdout + p.stderr)
    keep = {}
    for line in p.stdout.splitlines():
        k, _, v = line.partition("=")
        if re.search(r"window\.\d+\.(encoding\.(last_used|quality|speed)|encodings?\b|batch\.delay\b|batch\.actual_delay\b)", k):
            keep[k] = v
    return keep


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--dist", action="append", default=[], help="NAME=DIR of a client bundle")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--size", default="1280x800")
    ap.add_argument("--presses", type=int, default=30)
    ap.add_argument("--seconds", type=float, default=8)
    ap.add_argument("--modes", default="latency,anim")
    ap.add_argument("--xpra", default="", help="serve --xpra (e.g. /opt/xpra6/bin/xpra); default Debian's 3.1.3")
    ap.add_argument("--query", default="", help="query string for our client's page (e.g. video=true)")
    ap.add_argument("--debug", default="", help="Xpra debug categories to turn on (xpra control ... debug enable)")
    ap.add_argument("--keep-log", default="", help="copy the session's Xpra log here at the end")
    ap.add_argument("--info", default="", help="a directory: save xpra info there after each measurement")
    a = ap.parse_args()
    width, height = (int(n) for n in a.size.split("x"))
    tmp = Path(tempfile.mkdtemp(prefix="fl-own-ab."))
    ctx = argparse.Namespace(tmp=tmp, procs=[], env=dict(os.environ))
    ctx.env.update({"HOME": str(tmp / "home"), "TMPDIR": str(tmp)})
    for k in [k for k in ctx.env if k.startswith("FIREFOX_LAUNCHER_")] + ["XAUTHORITY", "DISPLAY"]:
        ctx.env.pop(k, None)
    (tmp / "home").mkdir()
    pages = stream.PageServer()
    serve = None
    dists = []
    xpra_bin = a.xpra or "/usr/bin/xpra"
    try:
        serve = bench.Serve(ctx, "ab", ["--xpra", a.xpra] if a.xpra else [])
        session, _ = serve.post_session({"url": pages.page_url("ab")})
        port, sdir, pid = session["port"], Path(session["dir"]), session.get("pid")
        sock = sdir / "sock" / "xpra.sock"
        status, sj, _ = serve.request("GET", f"/sessions/{port}/session.json")
        if status != 200:
            raise SystemExit(f"own_ab: GET /sessions/{port}/session.json answered {status}: {sj}")
        if a.debug:
            subprocess.run([xpra_bin, "control", f"socket://{sock}", "debug", "enable", a.debug], capture_output=True, timeout=30)
        print(f"session {port} pid {pid} socket {sock}; session.json {sj}", file=sys.stderr, flush=True)
        paths = []
        for d in a.dist:
            name, _, path = d.partition("=")
            ds = DistServer(path, sock, sj)
            dists.append(ds)
            paths.append((name, ds.url(a.query), ds.port))
        rows = []
        for rnd in range(a.rounds):
            order = paths if rnd % 2 == 0 else paths[::-1]
            for name, url, sport in order:
                cpu = {"roots": [{"pid": pid, "cls": "server", "tree": True}]} if pid else {}
                spec = {"id": "ab", "url": url, "width": width, "height": height, "serverPort": sport,
                        "reader": "paint", "cpu": cpu, "modes": a.modes.split(",")}
                ctx2 = argparse.Namespace(stream_seconds=a.seconds, stream_warmup=2, stream_presses=a.presses, env=ctx.env)
                snaps = []
                stop = threading.Event()
                if a.info:
                    # While the probe runs: a client is attached only then.
                    def poll(name=name, rnd=rnd, stop=stop):
                        i = 0
                        while not stop.wait(3):
                            info = xpra_info(xpra_bin, sock, Path(a.info) / f"info-{name}-{rnd}-{i}.txt")
                            snaps.append(info)
                            i += 1
                    threading.Thread(target=poll, daemon=True).start()
                started = time.time()
                r = stream.probe(ctx2, pages, spec, lambda m: None)
                stop.set()
                r["path"], r["round"] = name, rnd
                # Wall-clock bounds, to line the measurement up with Xpra's log (--keep-log).
                r["wall"] = [round(started, 3), round(time.time(), 3)]
                if a.info:
                    r["info"] = snaps
                rows.append(r)
                print(json.dumps(r), flush=True)
        summary(rows)
    finally:
        if a.keep_log and serve:
            for f in (tmp / "ab" / "home").rglob("*.log"):
                shutil.copy(f, Path(a.keep_log) / f.name)
        for ds in dists:
            ds.close()
        if serve:
            try:
                serve.delete_session(port)
            except Exception:  # noqa: BLE001 -- the serve's stop stops it too
                pass
            serve.stop()
        pages.close()
        shutil.rmtree(tmp, ignore_errors=True)


def summary(rows):
    def med(xs):
        xs = [x for x in xs if isinstance(x, (int, float))]
        return statistics.median(xs) if xs else None

    print("\npath | key→photon p50 (per round) | drawn p50 | anim frames/s shown | scroll frames/s shown | "
          "Xpra CPU ms/frame anim | scroll | scroll MB/s down", flush=True)
    for name in dict.fromkeys(r["path"] for r in rows):
        mine = [r for r in rows if r["path"] == name and "error" not in r]
        lat = [r.get("latency", {}).get("p50_ms") for r in mine]
        drawn = [r.get("latency", {}).get("drawn_p50_ms") for r in mine]
        fps = [r.get("anim", {}).get("fps") for r in mine]
        sfps = [r.get("scroll", {}).get("fps") for r in mine]
        cpu = [stream.cpu_per_frame(r) for r in mine]
        cpu = [c.get("server") if isinstance(c, dict) else None for c in cpu]
        scpu = [stream.cpu_per_frame(r, "scroll") for r in mine]
        scpu = [c.get("server") if isinstance(c, dict) else None for c in scpu]
        smb = [r.get("scroll", {}).get("bytes_per_s") for r in mine]
        smb = [round(b / 1e6, 2) if isinstance(b, (int, float)) else None for b in smb]
        print(f"{name} | {med(lat)} ({lat}) | {med(drawn)} | {med(fps)} ({fps}) | {med(sfps)} ({sfps}) | "
              f"{med(cpu)} ({cpu}) | {med(scpu)} ({scpu}) | {med(smb)}", flush=True)


if __name__ == "__main__":
    main()
