#!/usr/bin/python3
"""The extension + native host inside a real firefox-launcher session (Xpra + Xvfb + Firefox, run
by the installed sidecar binary, unmodified): the persistent profile is pre-seeded with the xpi and
prefs.js (the sidecar rewrites only user.js), the native manifest goes to serve's HOME, the socket
path reaches Firefox through --pass-env. No client connects, so Xpra keeps Firefox's window
unmapped (the real "nobody watching" case). Then DELETE: is the host gone with the session?
Run under: flock /tmp/fl-heavy.lock ./xpra_ext_probe.py"""
import base64, http.client, http.server, json, os, shutil, signal, socket, struct, subprocess, sys, tempfile, threading, time, zipfile
HERE = os.path.dirname(os.path.abspath(__file__)); sys.path.insert(0, HERE)
import xgrab
BIN = "/work/main/.venv/lib/python3.11/site-packages/jupyterlab_firefox_launcher/bin/firefox-launcher"
EXT_ID = "r23@firefox-launcher.test"
PAGE = b"<!DOCTYPE html><title>Probe page</title><body style='margin:0;background:#f00'><h1>hello</h1></body>"
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200); self.send_header("Content-Type", "text/html"); self.send_header("Content-Length", str(len(PAGE))); self.end_headers(); self.wfile.write(PAGE)
    def log_message(self, *a): pass
class UConn(http.client.HTTPConnection):
    def __init__(self, path): super().__init__("localhost", timeout=120); self.path_ = path
    def connect(self): self.sock = socket.socket(socket.AF_UNIX); self.sock.connect(self.path_)
def api(sock, method, path, body=None, token=None):
    c = UConn(sock); h = {"Content-Type": "application/json"}
    if token: h["Authorization"] = f"token {token}"
    c.request(method, path, json.dumps(body) if body is not None else None, h); r = c.getresponse(); d = r.read(); c.close()
    return r.status, (json.loads(d) if d.strip().startswith((b"{", b"[")) else d[:200])
def med(a): a = sorted(a); return a[len(a)//2]
def main():
    T = tempfile.mkdtemp(prefix="r23-xpra-"); os.chmod(T, 0o700)
    home, flhome = os.path.join(T, "home"), os.path.join(T, "fl")
    prof = os.path.join(flhome, "profile")
    os.makedirs(os.path.join(prof, "extensions"), mode=0o700); os.makedirs(home, mode=0o700)
    with zipfile.ZipFile(os.path.join(prof, "extensions", EXT_ID + ".xpi"), "w") as z:
        for f in ("manifest.json", "bg.js"): z.write(os.path.join(HERE, "ext", f), f)
    open(os.path.join(prof, "prefs.js"), "w").write('user_pref("xpinstall.signatures.required", false);\nuser_pref("extensions.autoDisableScopes", 0);\n')
    nm = os.path.join(home, ".mozilla", "native-messaging-hosts"); os.makedirs(nm)
    json.dump({"name": "fl_r23", "description": "r23", "path": os.path.join(HERE, "ext", "host.py"), "type": "stdio", "allowed_extensions": [EXT_ID]}, open(os.path.join(nm, "fl_r23.json"), "w"))
    ctl = os.path.join(T, "control.sock"); ls = socket.socket(socket.AF_UNIX); ls.bind(ctl); ls.listen(1); ls.settimeout(60)
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H); threading.Thread(target=srv.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{srv.server_address[1]}"
    apisock = os.path.join(T, "api.sock")
    env = {k: v for k, v in os.environ.items() if k in ("PATH", "LANG", "USER", "LOGNAME", "TZ")}
    env.update(HOME=home, R23_SOCK=ctl, R23_HOSTLOG=os.path.join(T, "host.log"))
    log = open(os.path.join(T, "serve.log"), "w+")
    serve = subprocess.Popen([BIN, "serve", "--unix-socket", apisock, "--home", flhome, "--pass-env", "R23_SOCK", "--pass-env", "R23_HOSTLOG",
                              "--audio", "false", "--idle-timeout", "0", "--no-follow-parent"], env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        while not os.path.exists(apisock): time.sleep(0.05)
        token = None
        rt = os.path.join(flhome, "runtime.json")
        if os.path.exists(rt): token = json.load(open(rt)).get("token")
        t0 = time.perf_counter()
        st, sess = api(apisock, "POST", "/api/sessions", {"profile": "persistent", "url": base + "/a"}, token)
        print(f"POST /api/sessions -> {st} after {(time.perf_counter()-t0)*1000:.0f} ms:", {k: sess.get(k) for k in ("port", "status", "display", "clients")} if isinstance(sess, dict) else sess)
        if st != 201: log.seek(0); print(log.read()[-2000:]); return
        c, _ = ls.accept()
        print(f"native host connected {(time.perf_counter()-t0)*1000:.0f} ms after the POST")
        print("host log:", open(os.path.join(T, "host.log")).read().strip()[:300])
        hostpid = struct.unpack("3i", c.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, 12))[0]
        f = c.makefile("rwb"); print("hello:", f.readline().decode().strip()[:120])
        n = [0]
        def call(op, **kw):
            n[0] += 1; f.write((json.dumps(dict(kw, id=n[0], op=op)) + "\n").encode()); f.flush()
            r = json.loads(f.readline())
            if "error" in r: raise RuntimeError(f"{op}: {r['error']}")
            return r["ok"]
        def timed(label, fn, k):
            ts = []
            for _ in range(k):
                t = time.perf_counter(); r = fn(); ts.append((time.perf_counter() - t) * 1000)
            print(f"  {label}: n={k} median {med(ts):.1f} ms min {min(ts):.1f} max {max(ts):.1f}", flush=True); return r
        print("  tabs:", call("tabs"))
        print("  visibility with no client connected:", call("eval_isolated", code="document.visibilityState"))
        print("  resize:", {k: v for k, v in call("resize", width=1280, height=800).items() if k in ("width", "height", "state")})
        timed("goto + load", lambda: call("goto", url=base + "/b?" + str(time.time())), 10)
        timed("info", lambda: call("info"), 10)
        timed("evaluate (isolated) document.title", lambda: call("eval_isolated", code="document.title"), 10)
        d = timed("captureVisibleTab png (no client, window unmapped)", lambda: call("shot"), 10)
        b = base64.b64decode(d.split(",", 1)[1]); print(f"    png {int.from_bytes(b[16:20],'big')}x{int.from_bytes(b[20:24],'big')} {len(b)} bytes")
        open(os.path.join(HERE, "xpra_ext_shot.png"), "wb").write(b)
        # X: the session's display with its cookie
        disp = int(str(sess["display"]).lstrip(":")); cookie = None
        try:
            xa = open(os.path.join(sess["dir"], "Xauthority"), "rb").read()
            i = xa.find(b"MIT-MAGIC-COOKIE-1"); cookie = xa[i+18+2:i+18+2+16]
            x = xgrab.X(disp, cookie)
            tops = xgrab.query_tree(x)
            errs = [xgrab.get_image_error(x, w, 64, 64)[1] for w in tops[:8]]
            print(f"  X: {len(tops)} root children; GetImage 64x64 per window -> error codes {errs} (8 = BadMatch: unmapped)")
            res, _ = xgrab.bench(disp, 1280, 800, 5, cookie)
            print("  X GetImage of the root 1280x800 (+PNG):", {k: (round(v, 1) if isinstance(v, float) else v) for k, v in res.items()})
        except Exception as e: print("  X probe:", repr(e))
        t = time.perf_counter(); st, r = api(apisock, "DELETE", f"/api/sessions/{sess['port']}", None, token)
        print(f"DELETE -> {st} in {(time.perf_counter()-t)*1000:.0f} ms:", r)
        time.sleep(0.5)
        print("native host process after stop:", "gone" if not os.path.exists(f"/proc/{hostpid}") else open(f"/proc/{hostpid}/cmdline").read())
    finally:
        try: os.killpg(serve.pid, signal.SIGTERM)
        except ProcessLookupError: pass
        try: serve.wait(20)
        except subprocess.TimeoutExpired: os.killpg(serve.pid, signal.SIGKILL); serve.wait()
        log.seek(0); tail = log.read()[-600:]; print("serve log tail:", tail)
        srv.shutdown(); shutil.rmtree(T, ignore_errors=True); print("cleaned up")
main()
