#!/work/main/.venv/bin/python
"""Q1/Q4 probe: Firefox ESR's WebDriver BiDi on --remote-debugging-port 0.

Starts firefox-esr --headless on a temp profile, reads the port it reports, probes the Host/Origin
checks with raw HTTP, then drives it with websocket-client: session.new, navigate, evaluate,
captureScreenshot (timed). Cleans up its Firefox (by pid / process group) and temp dirs.
Run under: flock /tmp/fl-heavy.lock ./bidi_probe.py
"""
import base64, http.server, json, os, re, shutil, signal, socket, subprocess, sys, tempfile, threading, time
import websocket  # websocket-client from /work/main/.venv

PAGE = b"""<!DOCTYPE html><title>Probe page</title><body style="margin:0;background:#f00">
<div style="width:100px;height:100px;background:#0f0"></div><h1>hello</h1></body>"""

class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        body = PAGE if self.path.startswith("/a") else PAGE.replace(b"Probe page", b"Second page")
        self.send_response(200); self.send_header("Content-Type", "text/html"); self.send_header("Content-Length", str(len(body))); self.end_headers(); self.wfile.write(body)
    def log_message(self, *a): pass

def raw(port, req):
    s = socket.create_connection(("127.0.0.1", port), timeout=3)
    s.sendall(req)
    try:
        return s.recv(300).split(b"\r\n")[0].decode(errors="replace")
    except Exception as e:
        return f"err {e}"
    finally:
        s.close()

def upgrade(host, origin=None, path="/session"):
    r = (f"GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n"
         "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n")
    if origin: r += f"Origin: {origin}\r\n"
    return (r + "\r\n").encode()

class Bidi:
    def __init__(self, url):
        self.ws = websocket.create_connection(url, timeout=30, suppress_origin=True)
        self.n = 0
    def cmd(self, method, **params):
        self.n += 1; i = self.n
        self.ws.send(json.dumps({"id": i, "method": method, "params": params}))
        while True:
            m = json.loads(self.ws.recv())
            if m.get("id") == i:
                if m.get("type") == "error": raise RuntimeError(f"{method}: {m.get('error')}: {m.get('message')}")
                return m["result"]

def timed(label, f, n=1, out=None):
    ts = []
    r = None
    for _ in range(n):
        t = time.perf_counter(); r = f(); ts.append((time.perf_counter() - t) * 1000)
    ts.sort()
    print(f"  {label}: n={n} median {ts[len(ts)//2]:.1f} ms min {ts[0]:.1f} max {ts[-1]:.1f}", flush=True)
    return r

def main():
    extra = sys.argv[1:]
    tmp = tempfile.mkdtemp(prefix="r23-bidi-")
    prof = os.path.join(tmp, "profile"); os.mkdir(prof)
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{srv.server_address[1]}"
    errf = open(os.path.join(tmp, "stderr"), "w+")
    env = dict(os.environ, MOZ_CRASHREPORTER_DISABLE="1", HOME=tmp, XDG_CONFIG_HOME=os.path.join(tmp, "xdg"))
    t0 = time.perf_counter()
    ff = subprocess.Popen(["firefox-esr", "--headless", "--no-remote", "--new-instance", "--window-size=1280,800",
                           "--remote-debugging-port", "0", *extra, "--profile", prof, "about:blank"],
                          stdout=errf, stderr=subprocess.STDOUT, env=env, start_new_session=True)
    try:
        port = None
        while time.perf_counter() - t0 < 60 and port is None:
            time.sleep(0.05)
            errf.seek(0); txt = errf.read()
            m = re.search(r"WebDriver BiDi listening on ws://([\d.\[\]:a-z]+):(\d+)", txt)
            if m: port = int(m.group(2)); host = m.group(1)
        print(f"listening line after {(time.perf_counter()-t0)*1000:.0f} ms: host={host} port={port}")
        errf.seek(0); print("stderr:", errf.read()[-1500:].replace("\n", "\n   | "))
        print("profile files:", sorted(os.listdir(prof))[:80])
        for f in ("WebDriverBiDiServer.json", "MarionetteActivePort"):
            p = os.path.join(prof, f)
            if os.path.exists(p): print(f"{f} ({oct(os.stat(p).st_mode)}):", open(p).read()[:300])
        # what listens, per ss
        print(subprocess.run(["ss", "-ltnp"], capture_output=True, text=True).stdout.replace("\n", "\n   | ")[:2000])
        print("HTTP probes:")
        for name, req in [
            ("GET / Host 127.0.0.1", b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"),
            ("GET /json/version", b"GET /json/version HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"),
            ("upgrade /session Host 127.0.0.1:port", upgrade(f"127.0.0.1:{port}")),
            ("upgrade /session Host localhost:port", upgrade(f"localhost:{port}")),
            ("upgrade /session Host evil.example:port (DNS rebinding)", upgrade(f"evil.example:{port}")),
            ("upgrade /session Host 127.0.0.1 + Origin http://evil.example", upgrade(f"127.0.0.1:{port}", "http://evil.example")),
            ("upgrade /session Host 127.0.0.1 + Origin http://127.0.0.1:8888", upgrade(f"127.0.0.1:{port}", "http://127.0.0.1:8888")),
            ("upgrade /session Host 127.0.0.1 + Origin null", upgrade(f"127.0.0.1:{port}", "null")),
        ]:
            print(f"  {name}: {raw(port, req)}")
        b = Bidi(f"ws://127.0.0.1:{port}/session")
        r = timed("session.new", lambda: b.cmd("session.new", capabilities={}))
        sid = r["sessionId"]; print("  sessionId:", sid, "caps:", json.dumps(r["capabilities"])[:300])
        # second connection on /session: can another client make a session now?
        b2 = Bidi(f"ws://127.0.0.1:{port}/session")
        try: print("  2nd session.new:", b2.cmd("session.new", capabilities={}))
        except Exception as e: print("  2nd session.new refused:", e)
        try: print("  2nd conn session.status:", b2.cmd("session.status"))
        except Exception as e: print("  2nd conn session.status:", e)
        try: print("  2nd conn browsingContext.getTree without session:", str(b2.cmd("browsingContext.getTree"))[:200])
        except Exception as e: print("  2nd conn getTree refused:", e)
        # a third connection straight to /session/<id>
        try:
            b3 = Bidi(f"ws://127.0.0.1:{port}/session/{sid}")
            print("  connect /session/<id>: ok, getTree ->", str(b3.cmd("browsingContext.getTree"))[:120])
        except Exception as e: print("  connect /session/<id>:", e)
        ctx = b.cmd("browsingContext.getTree")["contexts"][0]["context"]
        timed("navigate wait=complete (first)", lambda: b.cmd("browsingContext.navigate", context=ctx, url=base + "/a", wait="complete"))
        timed("navigate wait=complete", lambda: b.cmd("browsingContext.navigate", context=ctx, url=base + "/b?" + str(time.time()), wait="complete"), n=10)
        timed("script.evaluate document.title", lambda: b.cmd("script.evaluate", expression="document.title", target={"context": ctx}, awaitPromise=False), n=20)
        print("  evaluate result:", b.cmd("script.evaluate", expression="({a:[1,2],t:document.title,w:innerWidth,h:innerHeight,dpr:devicePixelRatio})", target={"context": ctx}, awaitPromise=True)["result"])
        timed("getTree (url)", lambda: b.cmd("browsingContext.getTree", root=ctx), n=20)
        b.cmd("browsingContext.setViewport", context=ctx, viewport={"width": 1280, "height": 800})
        png = timed("captureScreenshot viewport 1280x800 (png)", lambda: b.cmd("browsingContext.captureScreenshot", context=ctx)["data"], n=15)
        raw_png = base64.b64decode(png)
        open(os.path.join("/work/research-23", "bidi_shot.png"), "wb").write(raw_png)
        w, h = int.from_bytes(raw_png[16:20], "big"), int.from_bytes(raw_png[20:24], "big")
        print(f"  png {w}x{h} {len(raw_png)} bytes")
        timed("captureScreenshot jpeg q0.8", lambda: b.cmd("browsingContext.captureScreenshot", context=ctx, format={"type": "image/jpeg", "quality": 0.8}), n=10)
        # heavier page: make it busy-looking
        b.cmd("script.evaluate", expression="document.body.innerHTML = Array.from({length:400},(_, i)=>`<p style='color:hsl(${i},80%,40%)'>line ${i} lorem ipsum dolor sit amet <b>bold</b></p>`).join('')", target={"context": ctx}, awaitPromise=False)
        png2 = timed("captureScreenshot text-heavy page", lambda: b.cmd("browsingContext.captureScreenshot", context=ctx)["data"], n=10)
        print(f"  text-heavy png {len(base64.b64decode(png2))} bytes")
        timed("session.end", lambda: b.cmd("session.end"))
    finally:
        try: os.killpg(ff.pid, signal.SIGTERM)
        except ProcessLookupError: pass
        try: ff.wait(10)
        except subprocess.TimeoutExpired:
            os.killpg(ff.pid, signal.SIGKILL); ff.wait()
        srv.shutdown()
        shutil.rmtree(tmp, ignore_errors=True)
        print("cleaned up; firefox rc", ff.returncode)

main()
