#!/usr/bin/python3
"""Q2(e) probe: Firefox's DevTools server (remote debugging protocol, RDP) on a unix socket in a 0700
directory: --start-debugger-server /abs/path. goto/url/title/evaluate/screenshot over it, timed.
Run under: flock /tmp/fl-heavy.lock ./rdp_probe.py"""
import base64, http.server, json, os, shutil, signal, socket, subprocess, sys, tempfile, threading, time
PAGE = b"""<!DOCTYPE html><title>Probe page</title><body style="margin:0;background:#f00"><h1>hello</h1><script>var pageVar = 42;</script></body>"""
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        body = PAGE if self.path.startswith("/a") else PAGE.replace(b"Probe page", b"Second page")
        self.send_response(200); self.send_header("Content-Type", "text/html"); self.send_header("Content-Length", str(len(body))); self.end_headers(); self.wfile.write(body)
    def log_message(self, *a): pass

class RDP:
    def __init__(self, path):
        self.s = socket.socket(socket.AF_UNIX); self.s.connect(path); self.buf = b""; self.events = []
        self.hello = self.read()
    def read(self):
        while b":" not in self.buf: self.buf += self.s.recv(65536)
        n, rest = self.buf.split(b":", 1); n = int(n)
        while len(rest) < n: rest += self.s.recv(1 << 20)
        self.buf = rest[n:]; return json.loads(rest[:n])
    def req(self, to, type, **kw):
        d = json.dumps(dict(kw, to=to, type=type)).encode()
        self.s.sendall(str(len(d)).encode() + b":" + d)
        while True:
            m = self.read()
            if m.get("from") == to and ("type" not in m or m.get("type") == type or "error" in m):
                if "error" in m: raise RuntimeError(f"{type}: {m['error']}: {m.get('message')}")
                return m
            self.events.append(m)
    def wait_event(self, frm, type, pred=lambda m: True):
        for i, m in enumerate(self.events):
            if m.get("from") == frm and m.get("type") == type and pred(m): return self.events.pop(i)
        while True:
            m = self.read()
            if m.get("from") == frm and m.get("type") == type and pred(m): return m
            self.events.append(m)

def med(a): a = sorted(a); return a[len(a)//2]
def timed(label, fn, k=1):
    ts = []
    for _ in range(k):
        t = time.perf_counter(); r = fn(); ts.append((time.perf_counter() - t) * 1000)
    print(f"  {label}: n={k} median {med(ts):.1f} ms min {min(ts):.1f} max {max(ts):.1f}", flush=True); return r

def main():
    tmp = tempfile.mkdtemp(prefix="r23-rdp-"); os.chmod(tmp, 0o700)
    prof = os.path.join(tmp, "profile"); os.mkdir(prof)
    open(os.path.join(prof, "user.js"), "w").write("\n".join(f'user_pref("{k}", {json.dumps(v)});' for k, v in {
        "devtools.debugger.remote-enabled": True, "devtools.chrome.enabled": True,
        "devtools.debugger.prompt-connection": False}.items()) + "\n")
    sock = os.path.join(tmp, "rdp.sock")
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H); threading.Thread(target=srv.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{srv.server_address[1]}"
    log = open(os.path.join(tmp, "ff.log"), "w+")
    t0 = time.perf_counter()
    ff = subprocess.Popen(["firefox-esr", "--headless", "--no-remote", "--new-instance", "--window-size=1280,800", "--start-debugger-server", sock,
                           "--profile", prof, base + "/a"], stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
                          env=dict(os.environ, HOME=tmp, MOZ_CRASHREPORTER_DISABLE="1"))
    try:
        while not os.path.exists(sock) and time.perf_counter() - t0 < 60: time.sleep(0.02)
        print(f"socket after {(time.perf_counter()-t0)*1000:.0f} ms, mode {oct(os.stat(sock).st_mode)}")
        log.seek(0); print("log:", [l for l in log.read().splitlines() if "devtools" in l.lower()][:3])
        print("firefox TCP listeners:", [l for l in subprocess.run(["ss", "-ltnp"], capture_output=True, text=True).stdout.splitlines() if "firefox" in l] or "none")
        c = RDP(sock); print("hello:", json.dumps(c.hello)[:200])
        root = c.req("root", "getRoot"); print("root actors:", sorted(k for k in root if k.endswith("Actor"))[:40])
        t1 = time.perf_counter()
        while not (tabs := c.req("root", "listTabs")["tabs"]) and time.perf_counter() - t1 < 30: time.sleep(0.1)
        print(f"  first tab listed {(time.perf_counter()-t0)*1000:.0f} ms after start")
        tabs = timed("listTabs", lambda: c.req("root", "listTabs")["tabs"], 5)
        print("tabs:", [(t.get("url"), t.get("title"), t.get("selected")) for t in tabs])
        tab = tabs[0]["actor"]
        target = timed("getTarget", lambda: c.req(tab, "getTarget")["frame"])
        console = target["consoleActor"]; bcid = target["browsingContextID"]
        def evaluate(text):
            r = c.req(console, "evaluateJSAsync", text=text)
            ev = c.wait_event(console, "evaluationResult", lambda m: m.get("resultID") == r["resultID"])
            return ev.get("result"), ev.get("exceptionMessage")
        def goto(url):
            c.req(tab, "navigateTo", url=url, waitForLoad=True)
        print("evaluate document.title:", evaluate("document.title"))
        print("evaluate JSON:", evaluate("JSON.stringify({a:[1,2], pageVar, w: innerWidth, h: innerHeight})"))
        print("navigator.webdriver:", evaluate("navigator.webdriver"))
        print("evaluate object grip:", json.dumps(evaluate("({a:1})"))[:200])
        print("evaluate top-level await:", evaluate("await new Promise(r => setTimeout(() => r('awaited'), 10))"))
        timed("evaluate document.title", lambda: evaluate("document.title"), 20)
        timed("navigateTo waitForLoad", lambda: goto(base + "/b?" + str(time.time())), 10)
        try: print("after goto, old console actor:", evaluate("location.href + ' ' + document.title"))
        except Exception as e: print("after goto, old console actor:", e)
        def fresh():
            nonlocal console, bcid
            t = c.req(tab, "getTarget")["frame"]; console = t["consoleActor"]; bcid = t["browsingContextID"]
        timed("getTarget again after navigation", fresh, 3)
        print("after goto, new target:", evaluate("location.href + ' ' + document.title"))
        timed("navigateTo + getTarget + evaluate title", lambda: (goto(base + "/a?" + str(time.time())), fresh(), evaluate("document.title")), 5)
        # is the console actor still valid after navigation (same process)?
        shot = timed("screenshot.capture", lambda: c.req(root["screenshotActor"], "capture", args={"browsingContextID": bcid, "snapshotScale": 1, "fileScale": 1, "disableFlash": True})["value"], 10)
        data = shot.get("data") or ""
        if data.startswith("data:"):
            b = base64.b64decode(data.split(",", 1)[1]); print(f"  png {int.from_bytes(b[16:20],'big')}x{int.from_bytes(b[20:24],'big')} {len(b)} bytes")
        else: print("  capture returned:", json.dumps(shot)[:300])
        r = subprocess.run(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "/usr/bin/python3", "-c",
                            f"import socket; s=socket.socket(socket.AF_UNIX); s.connect({sock!r}); print('connected')"], capture_output=True, text=True)
        print("  uid 65534 connect to rdp.sock:", (r.stdout + r.stderr).strip().splitlines()[-1:])
    finally:
        try: os.killpg(ff.pid, signal.SIGTERM)
        except ProcessLookupError: pass
        try: ff.wait(10)
        except subprocess.TimeoutExpired: os.killpg(ff.pid, signal.SIGKILL); ff.wait()
        srv.shutdown(); shutil.rmtree(tmp, ignore_errors=True); print("cleaned up")
main()
