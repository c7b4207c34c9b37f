#!/usr/bin/python3
"""Q2(b)/Q4 probe: an unsigned WebExtension sideloaded into a fresh profile of Debian's Firefox ESR,
talking to a native messaging host that relays to a unix socket in a 0700 directory.
Firefox runs on its own Xvfb (like a session), so X GetImage is measured on the same screen.
Run under: flock /tmp/fl-heavy.lock ./ext_probe.py
"""
import base64, http.server, json, os, shutil, signal, socket, subprocess, sys, tempfile, threading, time, zipfile
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import xgrab
HERE = os.path.dirname(os.path.abspath(__file__))
EXT_ID = "r23@firefox-launcher.test"
PAGE = b"""<!DOCTYPE html><title>Probe page</title><body style="margin:0;background:#f00">
<div style="width:100px;height:100px;background:#0f0"></div><h1>hello</h1><script>var pageVar = 42;</script></body>"""
CSP_PAGE = b"""<!DOCTYPE html><title>CSP page</title><meta http-equiv="Content-Security-Policy" content="script-src 'self'"><body>csp</body>"""

class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        body = CSP_PAGE if self.path.startswith("/csp") else (PAGE if self.path.startswith("/a") else PAGE.replace(b"Probe page", b"Second page"))
        self.send_response(200); self.send_header("Content-Type", "text/html"); self.send_header("Content-Length", str(len(body))); self.end_headers(); self.wfile.write(body)
    def log_message(self, *a): pass

def med(a): a = sorted(a); return a[len(a)//2]

def main():
    mode = sys.argv[1] if len(sys.argv) > 1 else "xdg"   # where the native manifest goes: xdg | legacy | both
    tmp = tempfile.mkdtemp(prefix="r23-ext-"); os.chmod(tmp, 0o700)
    home, xdg, prof = (os.path.join(tmp, d) for d in ("home", "xdg", "profile"))
    for d in (home, xdg, prof, os.path.join(prof, "extensions")): os.makedirs(d, mode=0o700)
    with zipfile.ZipFile(os.path.join(prof, "extensions", EXT_ID + ".xpi"), "w") as z:
        for f in ("manifest.json", "bg.js"): z.write(os.path.join(HERE, "ext", f), f)
    open(os.path.join(prof, "user.js"), "w").write("\n".join([
        'user_pref("xpinstall.signatures.required", false);',
        'user_pref("extensions.autoDisableScopes", 0);',
        'user_pref("browser.shell.checkDefaultBrowser", false);', 'user_pref("devtools.console.stdout.chrome", true);',
        'user_pref("browser.startup.homepage_override.mstone", "ignore");',
        'user_pref("datareporting.policy.dataSubmissionEnabled", false);',
        'user_pref("toolkit.telemetry.reportingpolicy.firstRun", false);', ""]))
    manifest = {"name": "fl_r23", "description": "r23", "path": os.path.join(HERE, "ext", "host.py"), "type": "stdio", "allowed_extensions": [EXT_ID]}
    dirs = {"xdg": [os.path.join(xdg, "mozilla", "native-messaging-hosts")], "legacy": [os.path.join(home, ".mozilla", "native-messaging-hosts")]}
    dirs["both"] = dirs["xdg"] + dirs["legacy"]
    for d in dirs[mode]:
        os.makedirs(d); json.dump(manifest, open(os.path.join(d, "fl_r23.json"), "w"))
    sock_path = os.path.join(tmp, "control.sock")
    ls = socket.socket(socket.AF_UNIX); ls.bind(sock_path); ls.listen(1); ls.settimeout(40)
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{srv.server_address[1]}"
    rfd, wfd = os.pipe()
    xvfb = subprocess.Popen(["Xvfb", "-displayfd", str(wfd), "-screen", "0", "3840x2160x24", "-nolisten", "tcp", "-noreset"],
                            pass_fds=[wfd], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    os.close(wfd); disp = int(os.read(rfd, 16).decode().strip()); os.close(rfd)
    ff = None
    log = open(os.path.join(tmp, "ff.log"), "w+")
    try:
        env = {k: v for k, v in os.environ.items() if k in ("PATH", "LANG", "USER", "LOGNAME")}
        env.update(HOME=home, XDG_CONFIG_HOME=xdg, XDG_CACHE_HOME=os.path.join(tmp, "cache"), DISPLAY=f":{disp}",
                   MOZ_CRASHREPORTER_DISABLE="1", DBUS_SESSION_BUS_ADDRESS="disabled:", R23_SOCK=sock_path,
                   R23_HOSTLOG=os.path.join(tmp, "host.log"))
        t0 = time.perf_counter()
        ff = subprocess.Popen(["firefox-esr", "--no-remote", "--new-instance", "--width", "1280", "--height", "800", "--profile", prof, base + "/a"],
                              env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        try:
            c, _ = ls.accept()
        except socket.timeout:
            print(f"[{mode}] no native host connected within 40 s")
            hl = os.path.join(tmp, "host.log")
            print("host log:", open(hl).read() if os.path.exists(hl) else "none (host never started)")
            print("dirs Firefox made under HOME/XDG:", [os.path.relpath(os.path.join(r, d), tmp) for top in (home, xdg) for r, ds, _ in os.walk(top) for d in ds][:30])
            print("profile extensions.json:", open(os.path.join(prof, "extensions.json")).read()[:1500] if os.path.exists(os.path.join(prof, "extensions.json")) else "none")
            log.seek(0); print("firefox log tail:", log.read()[-2500:])
            return
        print(f"[{mode}] native host connected {(time.perf_counter()-t0)*1000:.0f} ms after Firefox started")
        print("host log:", open(os.path.join(tmp, "host.log")).read().strip())
        peer = c.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, 12)
        print("peer cred (pid,uid,gid):", __import__("struct").unpack("3i", peer))
        f = c.makefile("rwb")
        print("hello:", f.readline().decode().strip()[:200])
        n = [0]
        def call(op, **kw):
            n[0] += 1; f.write((json.dumps(dict(kw, id=n[0], op=op)) + "\n").encode()); f.flush()
            r = json.loads(f.readline())
            if "error" in r: raise RuntimeError(f"{op}: {r['error']}")
            return r["ok"]
        def timed(label, fn, k=10):
            ts, r = [], None
            for _ in range(k):
                t = time.perf_counter(); r = fn(); ts.append((time.perf_counter() - t) * 1000)
            print(f"  {label}: n={k} median {med(ts):.1f} ms min {min(ts):.1f} max {max(ts):.1f}", flush=True)
            return r
        timed("ping round trip", lambda: call("ping"), 20)
        print("  tabs:", call("tabs"))
        print("  resize:", call("resize", width=1280, height=800))
        timed("goto (+load, url/title back)", lambda: call("goto", url=base + "/b?" + str(time.time())), 10)
        timed("info (url,title)", lambda: call("info"), 20)
        print("  goto result:", call("goto", url=base + "/a"))
        for op in ("eval_isolated", "eval_wrapped", "eval_main"):
            for code in ("document.title", "({a:[1,2], w: innerWidth, h: innerHeight, dpr: devicePixelRatio})", "typeof pageVar === 'undefined' ? 'no pageVar' : pageVar", "new Promise(r => setTimeout(() => r('awaited'), 10))"):
                try: print(f"  {op} {code[:40]!r} ->", json.dumps(call(op, code=code))[:150])
                except Exception as e: print(f"  {op} {code[:40]!r} -> ERROR {e}")
        print("  navigator.webdriver (page world):", call("eval_main", code="navigator.webdriver"))
        timed("eval_isolated document.title", lambda: call("eval_isolated", code="document.title"), 20)
        timed("eval_main document.title", lambda: call("eval_main", code="document.title"), 20)
        call("goto", url=base + "/csp")
        for op in ("eval_isolated", "eval_wrapped", "eval_main"):
            try: print(f"  CSP page {op} document.title ->", json.dumps(call(op, code="document.title"))[:200])
            except Exception as e: print(f"  CSP page {op} -> ERROR {e}")
        call("goto", url=base + "/a")
        for fmt in ("png", "jpeg"):
            d = timed(f"captureVisibleTab {fmt}", lambda: call("shot", format=fmt), 10)
            b = base64.b64decode(d.split(",", 1)[1])
            if fmt == "png": print(f"    png {int.from_bytes(b[16:20],'big')}x{int.from_bytes(b[20:24],'big')} {len(b)} bytes"); open(os.path.join(HERE, "ext_shot.png"), "wb").write(b)
            else: print(f"    jpeg {len(b)} bytes")
        try:
            d = timed("captureTab png", lambda: call("shot_tab"), 10)
        except Exception as e: print("  captureTab:", e)
        call("eval_isolated", code="document.body.innerHTML = Array.from({length:400},(_, i)=>`<p style='color:hsl(${i},80%,40%)'>line ${i} lorem ipsum dolor sit amet <b>bold</b></p>`).join(''); 1")
        d = timed("captureVisibleTab png text-heavy", lambda: call("shot"), 10)
        print("    bytes", len(base64.b64decode(d.split(",", 1)[1])))
        # X's own copy of the same screen (Xvfb without -auth here; the sidecar has the session's cookie)
        res, png = xgrab.bench(disp, 1280, 800, 10)
        print("  X GetImage 1280x800 + PNG(zlib 1, python):", res)
        open(os.path.join(HERE, "x_shot.png"), "wb").write(png)
        # Xpra keeps Firefox's window unmapped while no client is connected: emulate that
        x = xgrab.X(disp)
        tops = xgrab.query_tree(x)
        for wid in tops: xgrab.set_mapped(x, wid, False)
        time.sleep(1.0)
        print(f"  unmapped {len(tops)} top-level windows; visibilityState:", call("eval_isolated", code="document.visibilityState + ' hidden=' + document.hidden"))
        try:
            d = timed("captureVisibleTab png, window unmapped", lambda: call("shot"), 5)
            b = base64.b64decode(d.split(",", 1)[1]); open(os.path.join(HERE, "ext_shot_unmapped.png"), "wb").write(b); print("    bytes", len(b))
        except Exception as e: print("  captureVisibleTab unmapped:", e)
        try: timed("goto, window unmapped", lambda: call("goto", url=base + "/b?u" + str(time.time())), 3)
        except Exception as e: print("  goto unmapped:", e)
        print("  rAF ticks in 1 s, unmapped:", call("eval_main", code="new Promise(r => { let n = 0; const f = () => { n++; requestAnimationFrame(f); }; requestAnimationFrame(f); setTimeout(() => r(n), 1000); })"))
        big = max(tops, key=lambda w: 0)
        print("  X GetImage of an unmapped top-level window -> X error code:", [xgrab.get_image_error(x, wid, 100, 100)[1] for wid in tops][:5])
        for wid in tops: xgrab.set_mapped(x, wid, True)
        time.sleep(0.5)
        print("  rAF ticks in 1 s, mapped again:", call("eval_main", code="new Promise(r => { let n = 0; const f = () => { n++; requestAnimationFrame(f); }; requestAnimationFrame(f); setTimeout(() => r(n), 1000); })"))
        # background tab: does captureTab see a tab that is not active?
        try:
            tid = call("tabs")[0]["id"]; call("newtab", url=base + "/b")
            time.sleep(1)
            print("  captureTab of a background tab:", len(call("shot_tab", tabId=tid)), "chars")
        except Exception as e: print("  captureTab background:", e)
        # who else can reach the socket? (dir 0700; as uid 65534)
        r = subprocess.run(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "/usr/bin/python3", "-c",
                            f"import socket; s=socket.socket(socket.AF_UNIX); s.connect({sock_path!r}); print('connected')"], capture_output=True, text=True)
        print("  uid 65534 connect to control.sock:", (r.stdout + r.stderr).strip().splitlines()[-1:])
    finally:
        for p in (ff, xvfb):
            if p is None: continue
            try: os.killpg(p.pid, signal.SIGTERM)
            except ProcessLookupError: pass
            try: p.wait(10)
            except subprocess.TimeoutExpired: os.killpg(p.pid, signal.SIGKILL); p.wait()
        srv.shutdown(); ls.close()
        shutil.rmtree(tmp, ignore_errors=True)
        print("cleaned up")

main()
