#!/usr/bin/python3
"""Native messaging host (research 23): relays Firefox's stdin/stdout messages (4-byte length +
JSON) to the sidecar's unix socket (newline-delimited JSON), both ways. The socket path comes
from the environment Firefox inherited (R23_SOCK). argv: [manifest path, extension id]."""
import json, os, socket, struct, sys, threading
log = open(os.environ.get("R23_HOSTLOG", "/dev/null"), "a")
print("host argv", sys.argv, "ppid", os.getppid(), file=log, flush=True)
s = socket.socket(socket.AF_UNIX); s.connect(os.environ["R23_SOCK"])
rf = s.makefile("rb")
def up():
    inp = sys.stdin.buffer
    while True:
        h = inp.read(4)
        if len(h) < 4: os._exit(0)
        s.sendall(inp.read(struct.unpack("<I", h)[0]) + b"\n")
threading.Thread(target=up, daemon=True).start()
out = sys.stdout.buffer
for line in rf:
    out.write(struct.pack("<I", len(line.rstrip(b"\n"))) + line.rstrip(b"\n")); out.flush()
os._exit(0)
