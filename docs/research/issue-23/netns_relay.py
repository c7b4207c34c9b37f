#!/usr/bin/python3
"""Runs inside the session's network namespace: waits for Firefox's WebDriverBiDiServer.json, then
accepts on a unix socket (in a 0700 directory, reachable from outside the namespace by path) and
pipes each connection to Firefox's loopback port. argv: profile_dir socket_path"""
import json, os, socket, sys, threading, time
prof, path = sys.argv[1:3]
f = os.path.join(prof, "WebDriverBiDiServer.json")
while not os.path.exists(f): time.sleep(0.02)
time.sleep(0.05)
port = json.load(open(f))["ws_port"]
ls = socket.socket(socket.AF_UNIX); ls.bind(path + ".tmp"); os.rename(path + ".tmp", path); ls.listen(4)
def pipe(a, b):
    try:
        while (d := a.recv(1 << 16)): b.sendall(d)
    except OSError: pass
    finally:
        for s in (a, b):
            try: s.shutdown(socket.SHUT_RDWR)
            except OSError: pass
while True:
    c, _ = ls.accept()
    t = socket.create_connection(("127.0.0.1", port))
    threading.Thread(target=pipe, args=(c, t), daemon=True).start()
    threading.Thread(target=pipe, args=(t, c), daemon=True).start()
