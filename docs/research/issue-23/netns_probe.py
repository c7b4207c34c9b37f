#!/work/main/.venv/bin/python
"""Q2(a) probe: Firefox (headless) with BiDi inside its own user+network namespace (unshare, no
root), its network through a SOCKS5 proxy on a unix socket served from outside the namespace, and
BiDi reached from outside through a relay on a unix socket. Run as an ordinary uid or root.
Run under: flock /tmp/fl-heavy.lock ./netns_probe.py"""
import base64, http.server, json, os, shutil, signal, socket, struct, subprocess, sys, tempfile, threading, time
import websocket
HERE = os.path.dirname(os.path.abspath(__file__))
PAGE = b"<!DOCTYPE html><title>Host loopback page</title><body>served on the node's 127.0.0.1</body>"
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200); self.send_header("Content-Type", "text/html"); self.send_header("Content-Length", str(len(PAGE))); self.end_headers(); self.wfile.write(PAGE)
    def log_message(self, *a): pass

socks_log = []
def socks_server(path):
    ls = socket.socket(socket.AF_UNIX); ls.bind(path); ls.listen(16)
    def handle(c):
        try:
            c.recv(262)                      # greeting: ver, nmethods, methods
            c.sendall(b"\x05\x00")           # no auth (the socket's directory is the access control)
            ver, cmd, _, atyp = c.recv(4)
            if atyp == 1: host = socket.inet_ntoa(c.recv(4))
            elif atyp == 3: host = c.recv(c.recv(1)[0]).decode()
            else: host = socket.inet_ntop(socket.AF_INET6, c.recv(16))
            port = struct.unpack(">H", c.recv(2))[0]
            socks_log.append(f"{cmd} {host}:{port}")
            try: t = socket.create_connection((host, port), timeout=5)
            except OSError: c.sendall(b"\x05\x05\x00\x01" + b"\0" * 6); c.close(); return
            c.sendall(b"\x05\x00\x00\x01" + b"\0" * 6)
            def pipe(a, b):
                try:
                    while (d := a.recv(1 << 16)): b.sendall(d)
                except OSError: pass
                finally:
                    for s in (a, b):
                        try: s.shutdown(socket.SHUT_RDWR)
                        except OSError: pass
            threading.Thread(target=pipe, args=(c, t), daemon=True).start(); pipe(t, c)
        except Exception as e: socks_log.append(f"error {e}")
    while True:
        c, _ = ls.accept(); threading.Thread(target=handle, args=(c,), daemon=True).start()

def main():
    tmp = tempfile.mkdtemp(prefix="r23-netns-"); os.chmod(tmp, 0o700)
    prof = os.path.join(tmp, "profile"); os.mkdir(prof)
    socks_path, bidi_path = os.path.join(tmp, "socks.sock"), os.path.join(tmp, "bidi.sock")
    threading.Thread(target=socks_server, args=(socks_path,), daemon=True).start()
    open(os.path.join(prof, "user.js"), "w").write("\n".join(f'user_pref("{k}", {json.dumps(v)});' for k, v in {
        "network.proxy.type": 1, "network.proxy.socks": "file://" + socks_path, "network.proxy.socks_port": 0,
        "network.proxy.socks_version": 5, "network.proxy.socks_remote_dns": True,
        "network.proxy.allow_hijacking_localhost": True, "network.proxy.no_proxies_on": "",
        "network.http.http3.enable": False}.items()) + "\n")
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    target = f"http://127.0.0.1:{srv.server_address[1]}/"
    log = open(os.path.join(tmp, "ff.log"), "w+")
    inner = (f"ip link set lo up && ({sys.executable.replace('/.venv/bin/python','/.venv/bin/python')} {HERE}/netns_relay.py {prof} {bidi_path} &) && "
             f"exec firefox-esr --headless --no-remote --new-instance --remote-debugging-port 0 --profile {prof} about:blank")
    t0 = time.perf_counter()
    p = subprocess.Popen(["unshare", "--user", "--map-root-user", "--net", "--", "sh", "-c", inner],
                         stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
                         env=dict(os.environ, HOME=tmp, MOZ_CRASHREPORTER_DISABLE="1"))
    try:
        while not os.path.exists(bidi_path) and time.perf_counter() - t0 < 60: time.sleep(0.05)
        print(f"relay socket up after {(time.perf_counter()-t0)*1000:.0f} ms")
        print("host netns listeners of firefox:", [l for l in subprocess.run(["ss", "-ltnp"], capture_output=True, text=True).stdout.splitlines() if "firefox" in l] or "none")
        import re
        log.seek(0); m = re.search(r"listening on ws://([^:]+):(\d+)", log.read()); print("listening line host/port:", m.groups())
        for hosthdr in ("localhost", f"localhost:{m.group(2)}", f"127.0.0.1:{m.group(2)}"):
            s = socket.socket(socket.AF_UNIX); s.connect(bidi_path)
            s.sendall((f"GET /session HTTP/1.1\r\nHost: {hosthdr}\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n").encode())
            print(f"  handshake with Host {hosthdr!r}:", s.recv(200).split(b"\r\n")[0]); s.close()
        s = socket.socket(socket.AF_UNIX); s.connect(bidi_path)
        ws = websocket.create_connection(f"ws://localhost:{m.group(2)}/session", socket=s, timeout=30, suppress_origin=True)
        n = [0]
        def cmd(method, **params):
            n[0] += 1; ws.send(json.dumps({"id": n[0], "method": method, "params": params}))
            while True:
                m = json.loads(ws.recv())
                if m.get("id") == n[0]:
                    if m.get("type") == "error": raise RuntimeError(f"{method}: {m['error']} {m['message']}")
                    return m["result"]
        def timed(label, fn, k=1):
            ts = []
            for _ in range(k):
                t = time.perf_counter(); r = fn(); ts.append((time.perf_counter() - t) * 1000)
            print(f"  {label}: n={k} median {sorted(ts)[k//2]:.1f} ms min {min(ts):.1f}"); return r
        timed("session.new", lambda: cmd("session.new", capabilities={}))
        ctx = cmd("browsingContext.getTree")["contexts"][0]["context"]
        timed("navigate to the node's 127.0.0.1 via SOCKS", lambda: cmd("browsingContext.navigate", context=ctx, url=target, wait="complete"), 5)
        print("  navigator.webdriver:", cmd("script.evaluate", expression="navigator.webdriver", target={"context": ctx}, awaitPromise=False)["result"])
        print("  title:", cmd("script.evaluate", expression="document.title", target={"context": ctx}, awaitPromise=False)["result"])
        try:
            r = cmd("browsingContext.navigate", context=ctx, url="https://example.org/", wait="complete")
            print("  example.org title:", cmd("script.evaluate", expression="document.title", target={"context": ctx}, awaitPromise=False)["result"])
        except Exception as e: print("  example.org:", e)
        cmd("browsingContext.setViewport", context=ctx, viewport={"width": 1280, "height": 800})
        timed("captureScreenshot via relay", lambda: cmd("browsingContext.captureScreenshot", context=ctx), 10)
        print("  socks requests:", socks_log[:10])
        r = subprocess.run(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "/usr/bin/python3", "-c",
                            f"import socket; s=socket.socket(socket.AF_UNIX); s.connect({bidi_path!r}); print('connected')"], capture_output=True, text=True)
        print("  uid 65534 connect to bidi.sock:", (r.stdout + r.stderr).strip().splitlines()[-1:])
    finally:
        try: os.killpg(p.pid, signal.SIGTERM)
        except ProcessLookupError: pass
        try: p.wait(10)
        except subprocess.TimeoutExpired: os.killpg(p.pid, signal.SIGKILL); p.wait()
        log.seek(0); print("firefox log tail:", log.read()[-800:])
        srv.shutdown(); shutil.rmtree(tmp, ignore_errors=True); print("cleaned up")
main()
