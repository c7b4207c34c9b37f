#!/usr/bin/python3
"""The firefox-launcher benchmark (issues 6 and 14), driven by scripts/bench.

Measures, on this machine and side by side:
  1. cold start: the bare recipe (xpra + Firefox started by hand, same command line, fresh dir)
     vs POST /api/sessions, interleaved, same 100 ms readiness polling;
  2. warm pool (--warm 1): POST latency of a claim;
  3. stop: DELETE until nothing is left (server elapsed_ms and client latency);
  4. the sidecar's RSS and CPU, idle and with 4 sessions;
  5. GET /api/sessions throughput and p99 with wrk;
  6. websocket proxy throughput and added latency, against a fake xpra that streams bytes;
  7. the picture in real Chromium: frames/s, stalls, key-to-photon latency, bandwidth and CPU per
     frame of our client on Xpra 3.1.3 and 6.5 against a noVNC peer (stream.py), and the picture
     settings compared (stream-tune);
  9. sound (issue 22): tone start to sound in the tab, the sound's bandwidth, and the animation's
     frames/s with sound on and off, on Xpra 3.1.3 and 6.5 (sound.py);
and writes BENCHMARKS.md.

Only the standard library (it runs under Debian's /usr/bin/python3, like xpra itself).
Every process it starts carries FL_BENCH_RUN=<run id> in its environment; `--cleanup RUN_ID`
stops whatever of them is left (scripts/bench's trap calls it).
"""
import argparse
import ctypes
import datetime
import http.client
import json
import os
import platform
import re
import secrets
import shutil
import signal
import socket
import statistics
import struct
import subprocess
import sys
import threading
import time
from pathlib import Path

import control
import sound
import stream

REPO = Path(__file__).resolve().parent.parent
BIN = REPO / "target" / "release" / "firefox-launcher"
MARK = "FL_BENCH_RUN"
POLL = 0.1  # the sidecar's PROBE_INTERVAL (crates/fl-session/src/ready.rs)
PR_SET_PDEATHSIG = 1


def log(*a):
    print(f"[bench {time.strftime('%H:%M:%S')}]", *a, file=sys.stderr, flush=True)


def loadavg():
    return tuple(float(x) for x in Path("/proc/loadavg").read_text().split()[:3])


LOAD_SAMPLES = []  # (phase, load1)


def note_load(phase):
    LOAD_SAMPLES.append((phase, loadavg()[0]))


# ---------------------------------------------------------------------------------------------
# processes


def proc_start_time(pid):
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return int(stat.rsplit(")", 1)[1].split()[19])


def proc_alive(pid, start):
    """Running (not a zombie) and still the process that had this start time; like is_alive()."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return False
    return fields[0] not in ("Z", "X", "x") and int(fields[19]) == start


def proc_comm(pid):
    try:
        return Path(f"/proc/{pid}/comm").read_text().strip()
    except OSError:
        return "?"


def marked_pids(run_id, value=None):
    """Processes whose environment holds MARK=run_id (and, if given, the exact session marker)."""
    needle = f"{MARK}={run_id}\0".encode()
    extra = value.encode() if value else None
    found = []
    me = os.getpid()
    for entry in os.listdir("/proc"):
        if not entry.isdigit() or int(entry) == me:
            continue
        try:
            env = Path(f"/proc/{entry}/environ").read_bytes()
        except OSError:
            continue
        if needle in env and (extra is None or extra in env):
            found.append(int(entry))
    return found


def kill_verified(pids, sig):
    for pid, start in pids:
        if proc_start_time(pid) == start:
            try:
                os.kill(pid, sig)
            except ProcessLookupError:
                pass


def stop_marked(run_id, value=None, grace=3.0):
    """SIGTERM, then SIGKILL, whatever still carries our marker; waits until it is gone."""
    pids = [(p, proc_start_time(p)) for p in marked_pids(run_id, value)]
    pids = [(p, s) for p, s in pids if s is not None]
    if not pids:
        return 0
    kill_verified(pids, signal.SIGTERM)
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline and any(proc_alive(p, s) for p, s in pids):
        time.sleep(0.02)
    kill_verified(pids, signal.SIGKILL)
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and any(proc_alive(p, s) for p, s in pids):
        time.sleep(0.05)
    return len(pids)


def remove_stale_x(display):
    """Removes /tmp/.X<N>-lock and the socket if the Xvfb that held them is gone (SIGKILL case)."""
    lock = Path(f"/tmp/.X{display}-lock")
    try:
        pid = int(lock.read_text().strip())
    except (OSError, ValueError):
        return
    if not Path(f"/proc/{pid}").exists():
        for p in (lock, Path(f"/tmp/.X11-unix/X{display}")):
            try:
                p.unlink()
            except OSError:
                pass


def pdeathsig():
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)


def proc_cpu_ticks(pid):
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])  # utime + stime


def proc_rss_kib(pid):
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def cpu_and_rss(pid, seconds):
    hz = os.sysconf("SC_CLK_TCK")
    rss0 = proc_rss_kib(pid)
    t0, c0 = time.monotonic(), proc_cpu_ticks(pid)
    time.sleep(seconds)
    t1, c1 = time.monotonic(), proc_cpu_ticks(pid)
    rss1 = proc_rss_kib(pid)
    cpu_s = (c1 - c0) / hz
    return {"rss_kib": max(rss0, rss1), "cpu_ms": cpu_s * 1000, "cpu_pct": 100 * cpu_s / (t1 - t0), "window_s": t1 - t0}


# ---------------------------------------------------------------------------------------------
# readiness probes, as the sidecar does them


def http_get_status(sock_path, timeout=2.0):
    """Status of `GET /` over a unix socket, or None."""
    try:
        with socket.socket(socket.AF_UNIX) as s:
            s.settimeout(timeout)
            s.connect(str(sock_path))
            s.sendall(b"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n")
            data = b""
            while b"\r\n" not in data:
                more = s.recv(4096)
                if not more:
                    return None
                data += more
            return int(data.split(b" ", 2)[1])
    except (OSError, ValueError, IndexError):
        return None


def read_cookie(xauthority, display):
    data = Path(xauthority).read_bytes()
    fallback = None
    i = 0
    while i + 2 <= len(data):
        i += 2  # family
        fields = []
        for _ in range(4):
            (n,) = struct.unpack_from(">H", data, i)
            fields.append(data[i + 2 : i + 2 + n])
            i += 2 + n
        number, name, cookie = fields[1], fields[2], fields[3]
        if name == b"MIT-MAGIC-COOKIE-1":
            if number == str(display).encode():
                return cookie
            fallback = fallback or cookie
    return fallback


def _pad(b):
    return b + b"\0" * (-len(b) % 4)


class X11:
    """Just enough of the X11 protocol to read _NET_CLIENT_LIST and WM_CLASS (like x11.rs)."""

    def __init__(self, display, xauthority):
        cookie = read_cookie(xauthority, display) or b""
        name = b"MIT-MAGIC-COOKIE-1" if cookie else b""
        self.s = socket.socket(socket.AF_UNIX)
        self.s.settimeout(2)
        self.s.connect(f"/tmp/.X11-unix/X{display}")
        self.s.sendall(struct.pack("<BxHHHHxx", ord("l"), 11, 0, len(name), len(cookie)) + _pad(name) + _pad(cookie))
        head = self._recv(8)
        body = self._recv(struct.unpack_from("<H", head, 6)[0] * 4)
        if head[0] != 1:
            raise OSError(f"x11 setup refused: {body[:80]!r}")
        vendor_len = struct.unpack_from("<H", body, 16)[0]
        nformats = body[21]
        (self.root,) = struct.unpack_from("<I", body, 32 + vendor_len + (-vendor_len % 4) + 8 * nformats)

    def _recv(self, n):
        out = b""
        while len(out) < n:
            more = self.s.recv(n - len(out))
            if not more:
                raise EOFError
            out += more
        return out

    def _reply(self):
        while True:
            head = self._recv(32)
            if head[0] == 0:
                return None  # an X error
            if head[0] == 1:
                return head + self._recv(struct.unpack_from("<I", head, 4)[0] * 4)
            # an event: skip

    def intern_atom(self, name):
        self.s.sendall(struct.pack("<BBHHxx", 16, 1, 2 + (len(name) + 3) // 4, len(name)) + _pad(name))
        r = self._reply()
        return struct.unpack_from("<I", r, 8)[0] if r else 0

    def get_property(self, window, prop, type_, length):
        self.s.sendall(struct.pack("<BBHIIIII", 20, 0, 6, window, prop, type_, 0, length))
        r = self._reply()
        if not r:
            return 0, b""
        fmt = r[1]
        n = struct.unpack_from("<I", r, 16)[0]
        return fmt, r[32 : 32 + n * max(fmt // 8, 1)]

    def close(self):
        self.s.close()


def firefox_window_exists(display, xauthority):
    try:
        x = X11(display, xauthority)
    except (OSError, EOFError, struct.error):
        return False
    try:
        atom = x.intern_atom(b"_NET_CLIENT_LIST")
        if not atom:
            return False
        _, data = x.get_property(x.root, atom, 33, 1024)  # WINDOW
        for (w,) in struct.iter_unpack("<I", data[: len(data) // 4 * 4]):
            _, cls = x.get_property(w, 67, 31, 64)  # WM_CLASS, STRING
            if any(p.lower() in (b"firefox", b"firefox-esr") for p in cls.split(b"\0")):
                return True
        return False
    except (OSError, EOFError, struct.error):
        return False
    finally:
        x.close()


# ---------------------------------------------------------------------------------------------
# the sidecar


class Serve:
    def __init__(self, ctx, name, extra, env=None):
        self.ctx = ctx
        self.home = ctx.tmp / name / "home"
        self.home.mkdir(parents=True)
        self.logfile = ctx.tmp / name / "serve.log"
        environment = dict(ctx.env)
        environment.update(env or {})
        args = [str(BIN), "serve", "--port", "0", "--home", str(self.home), "--idle-timeout", "0"] + extra
        self.args = args
        with open(self.logfile, "wb") as out:
            self.proc = subprocess.Popen(args, env=environment, stdin=subprocess.DEVNULL, stdout=out, stderr=out, process_group=0)
        ctx.procs.append(self.proc)
        runtime = self.home / "runtime.json"
        deadline = time.monotonic() + 30
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError(f"serve exited: {self.logfile.read_text()[-2000:]}")
            try:
                info = json.loads(runtime.read_text())
                if info.get("pid") == self.proc.pid:
                    break
            except (OSError, ValueError):
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("serve did not write runtime.json")
            time.sleep(0.02)
        self.token = info["token"]
        addr = info["address"]
        addr = addr.split("//", 1)[-1].rstrip("/")
        self.host, port = addr.rsplit(":", 1)
        self.port = int(port)
        self.pid = self.proc.pid

    def request(self, method, path, body=None, timeout=120, raw=False):
        """(status, the answer parsed as JSON (its text if it is not; its bytes with `raw`), seconds)."""
        conn = http.client.HTTPConnection(self.host, self.port, timeout=timeout)
        headers = {"Authorization": f"token {self.token}"}
        if body is not None:
            headers["Content-Type"] = "application/json"
            body = json.dumps(body)
        t0 = time.monotonic()
        conn.request(method, path, body=body, headers=headers)
        resp = conn.getresponse()
        data = resp.read()
        dt = time.monotonic() - t0
        conn.close()
        if raw:
            return resp.status, data, dt
        try:
            parsed = json.loads(data) if data else None
        except ValueError:
            parsed = data.decode(errors="replace")
        return resp.status, parsed, dt

    def post_session(self, body=None):
        status, data, dt = self.request("POST", "/api/sessions", body if body is not None else {})
        if status != 201:
            raise RuntimeError(f"POST /api/sessions: {status} {data}")
        return data, dt

    def delete_session(self, port):
        status, data, dt = self.request("DELETE", f"/api/sessions/{port}")
        if status != 200:
            raise RuntimeError(f"DELETE {port}: {status} {data}")
        return data, dt

    def health(self):
        return self.request("GET", "/api/health")[1]

    def stop(self, timeout=60):
        if self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()

    def log_text(self):
        try:
            return self.logfile.read_text(errors="replace")
        except OSError:
            return ""


def ready_breakdown(serve, port):
    """From the sidecar's log: ms from its spawn of xpra to the page, to the window, and 'ready ms'."""
    out = {}
    for line in serve.log_text().splitlines():
        if not re.search(rf"\bport={port}\b", line):
            continue
        ms = re.search(r"\bms=(\d+)", line)
        if not ms:
            continue
        # "page": when the sidecar's readiness probe first got through to Xpra: a websocket upgrade
        # ("xpra accepts websockets"); older sidecars logged "xpra serves its client" after a GET /.
        for key, pat in (("page", "xpra accepts websockets|xpra serves its client"), ("window", "firefox window exists"), ("ready", r"\bready\b")):
            if key not in out and re.search(pat, line):
                out[key] = int(ms.group(1))
                break
    return out


class StopWatcher(threading.Thread):
    """Polls (10 ms) which processes of a sidecar session are still running during its DELETE."""

    def __init__(self, ctx, session):
        super().__init__(daemon=True)
        env = Path(f"/proc/{session['pid']}/environ").read_bytes()
        m = re.search(rb"FL_SESSION_MARKER=([^\0]*)\0", env)
        needle = f"FL_SESSION_MARKER={m.group(1).decode()}\0" if m else None
        pids = marked_pids(ctx.run_id, needle) if needle else [session["pid"]]
        self.procs = {p: (proc_start_time(p), proc_comm(p)) for p in pids}
        self.procs = {p: v for p, v in self.procs.items() if v[0] is not None}
        self.leader = session["pid"]
        self.dir = Path(session["dir"])
        d = str(session.get("display") or "").lstrip(":")
        self.display = int(d) if d.isdigit() else None
        self.dir_files, self.dir_bytes = dir_size(self.dir)
        self.gone = {}
        self.done = threading.Event()
        self.t0 = time.monotonic()

    def run(self):
        while not self.done.is_set():
            now = time.monotonic() - self.t0
            for p, (st, _) in self.procs.items():
                if p not in self.gone and not proc_alive(p, st):
                    self.gone[p] = now
            if "dir" not in self.gone and not self.dir.exists():
                self.gone["dir"] = now
            if self.display is not None and "xsock" not in self.gone and not Path(f"/tmp/.X11-unix/X{self.display}").exists():
                self.gone["xsock"] = now
            time.sleep(0.01)

    def timeline(self, total):
        tl = {}
        for p, (_, comm) in self.procs.items():
            name = "leader exit" if p == self.leader else comm
            tl[name] = max(tl.get(name, 0), self.gone.get(p, total))
        if self.display is not None:
            tl["X socket removed"] = self.gone.get("xsock", total)
        tl["session dir removed"] = self.gone.get("dir", total)
        return tl


def dir_size(d):
    files = size = 0
    for root, _, names in os.walk(d):
        for n in names:
            try:
                size += os.lstat(os.path.join(root, n)).st_size
                files += 1
            except OSError:
                pass
    return files, size


def timed_delete(ctx, serve, session):
    w = StopWatcher(ctx, session)
    w.t0 = time.monotonic()
    w.start()
    data, dt = serve.delete_session(session["port"])
    w.done.set()
    w.join()
    tl = w.timeline(dt)
    tl["_dir"] = (w.dir_files, w.dir_bytes)
    return data, dt, tl


# ---------------------------------------------------------------------------------------------
# the bare recipe


def write_xauthority(path):
    """The session's X authority file as the sidecar writes it (layout.rs, `write_xauthority`),
    before Xvfb starts: one MIT-MAGIC-COOKIE-1 entry of a fresh cookie for any address and any
    display (family FamilyWild, empty display number), 0600, its mtime set far in the past so the
    X server also loads the entry Xpra adds once it has the display."""
    entry = struct.pack(">H", 0xFFFF)
    for field in (b"", b"", b"MIT-MAGIC-COOKIE-1", secrets.token_bytes(16)):
        entry += struct.pack(">H", len(field)) + field
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        os.write(fd, entry)
    finally:
        os.close(fd)
    os.utime(path, ns=(os.stat(path).st_atime_ns, 1_000_000_000))


class Template:
    """The sidecar's own xpra command line and environment, read from a live session's /proc."""

    def __init__(self, session):
        pid = session["pid"]
        self.dir = session["dir"]
        self.argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")[:-1]
        env = dict(
            e.split(b"=", 1) for e in Path(f"/proc/{pid}/environ").read_bytes().split(b"\0") if b"=" in e
        )
        keys = [
            b"FL_SESSION_MARKER", b"XAUTHORITY", b"XPRA_SYSTEM_CONF_DIRS", b"XPRA_USER_CONF_DIRS",
            b"XDG_CACHE_HOME", b"XDG_CONFIG_HOME", b"XDG_DATA_HOME", b"XDG_RUNTIME_DIR", b"DBUS_SESSION_BUS_ADDRESS",
        ]
        # Anything else the sidecar adds that points into the session directory, too.
        keys += [k for k, v in env.items() if self.dir.encode() in v and k not in keys]
        self.env = {k.decode(): v.decode() for k, v in env.items() if k in keys}
        # The files the sidecar writes before it starts Xpra (layout.rs, `populate`): Xpra's
        # placeholder page and headers, the XDG user dirs, the profile's user.js, and the start page
        # Firefox opens (`file://$DIR/start.html`, a redirect to the session's address). Not the
        # Xauthority file: each session gets a cookie of its own (`write_xauthority`).
        self.files = {rel: (Path(self.dir) / rel).read_text() for rel in self.PREPARED if (Path(self.dir) / rel).exists()}
        self.cwd_relative = True
        self.argv_text = [a.decode() for a in self.argv]

    PREPARED = ("profile/user.js", "www/index.html", "http-headers/10_firefox_launcher.txt", "xdg/config/user-dirs.dirs", "start.html")

    def for_dir(self, d, marker):
        sub = lambda s: s.replace(self.dir, str(d))
        argv = [sub(a) for a in self.argv_text]
        env = {k: sub(v) for k, v in self.env.items()}
        env["FL_SESSION_MARKER"] = marker
        return argv, env


class Bare:
    """One session started by hand, the way the sidecar starts it."""

    def __init__(self, ctx, tpl, n):
        self.ctx = ctx
        self.dir = ctx.tmp / "bare" / f"session-{n}"
        self.marker = f"bench-bare-{ctx.run_id}-{n}"
        d = self.dir
        for sub in ("profile", "sock", "conf", "www", "http-headers", "downloads", "xdg/cache", "xdg/config", "xdg/data", "xdg/runtime"):
            (d / sub).mkdir(parents=True, mode=0o700)
        os.chmod(d, 0o700)
        missing = [rel for rel in Template.PREPARED if rel not in tpl.files]
        if missing:
            raise RuntimeError(f"the sidecar's session {tpl.dir} has no {', '.join(missing)}: the bare recipe would not match it")
        write_xauthority(d / "Xauthority")
        for rel, text in tpl.files.items():
            fd = os.open(d / rel, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            os.write(fd, text.replace(tpl.dir, str(d)).encode())
            os.close(fd)
        self.argv, env = tpl.for_dir(d, self.marker)
        self.env = dict(ctx.env)
        self.env.update(env)
        self.display = None
        self.proc = None

    def start_and_wait(self, timeout=60):
        """Spawns xpra and polls like the sidecar; returns (seconds to ready, page s, window s)."""
        r, w = os.pipe()
        logf = open(self.dir / "xpra.log", "ab")
        # --displayfd=3 in the template: put the pipe on fd 3 (reserved at start-up) for the spawn.
        os.dup2(w, 3)
        os.close(w)
        t0 = time.monotonic()
        try:
            self.proc = subprocess.Popen(
                self.argv, env=self.env, cwd=self.dir, stdin=subprocess.DEVNULL, stdout=logf, stderr=logf,
                process_group=0, pass_fds=(3,), preexec_fn=pdeathsig,
            )
        finally:
            os.dup2(self.ctx.devnull, 3)
            logf.close()
        self.ctx.procs.append(self.proc)
        os.set_blocking(r, False)
        buf = b""
        page = window = None
        deadline = t0 + timeout
        try:
            while True:
                if self.display is None:
                    try:
                        buf += os.read(r, 16)
                    except BlockingIOError:
                        pass
                    if b"\n" in buf:
                        self.display = int(buf.split(b"\n")[0])
                if page is None and http_get_status(self.dir / "sock" / "xpra.sock") == 200:
                    page = time.monotonic() - t0
                if page is not None and window is None and self.display is not None:
                    if firefox_window_exists(self.display, self.dir / "Xauthority"):
                        window = time.monotonic() - t0
                if page is not None and window is not None:
                    return time.monotonic() - t0, page, window
                if self.proc.poll() is not None:
                    raise RuntimeError(f"bare xpra exited {self.proc.returncode}: {(self.dir / 'xpra.log').read_text()[-1500:]}")
                if time.monotonic() > deadline:
                    raise RuntimeError("bare session not ready in time")
                time.sleep(POLL)
        finally:
            os.close(r)

    def stop(self, grace=3.0):
        """SIGTERM to the group, SIGKILL after the grace, then marked leftovers.

        Returns (seconds, timeline): when (s after SIGTERM) the leader was reaped, and when the
        last process of each command name (xpra, firefox-esr, Xvfb, ...) stopped running."""
        needle = f"FL_SESSION_MARKER={self.marker}\0"
        procs = {p: (proc_start_time(p), proc_comm(p)) for p in marked_pids(self.ctx.run_id, needle)}
        procs = {p: v for p, v in procs.items() if v[0] is not None}
        gone = {}
        timeline = {}
        t0 = time.monotonic()
        if self.proc and self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
            deadline = t0 + grace
            while time.monotonic() < deadline:
                now = time.monotonic() - t0
                if "leader exit" not in timeline and self.proc.poll() is not None:
                    timeline["leader exit"] = now
                for p, (st, _) in procs.items():
                    if p not in gone and not proc_alive(p, st):
                        gone[p] = now
                if "leader exit" in timeline and len(gone) == len(procs):
                    break
                time.sleep(0.01)
            if self.proc.poll() is None:
                timeline["SIGKILL"] = time.monotonic() - t0
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        stop_marked(self.ctx.run_id, needle, grace=grace)
        dt = time.monotonic() - t0
        for p, (_, comm) in procs.items():
            timeline[comm] = max(timeline.get(comm, 0), gone.get(p, dt))
        if self.display is not None:
            remove_stale_x(self.display)
        files, size = dir_size(self.dir)
        timeline["_dir"] = (files, size)
        t1 = time.monotonic()
        shutil.rmtree(self.dir, ignore_errors=True)
        timeline["rmtree"] = time.monotonic() - t1
        return dt + timeline["rmtree"], timeline


# ---------------------------------------------------------------------------------------------
# stats and output


def median(xs):
    return statistics.median(xs) if xs else float("nan")


def pct(xs, p):
    if not xs:
        return float("nan")
    s = sorted(xs)
    k = min(len(s) - 1, max(0, int(round(p / 100 * len(s) + 0.5)) - 1))
    return s[k]


def fmt_ms(s):
    return f"{s * 1000:.0f} ms"


class Ctx:
    pass


def settle(seconds=1.0):
    time.sleep(seconds)


# ---------------------------------------------------------------------------------------------
# phases


def phase_main(ctx, res):
    """Serve A (real xpra): idle, wrk empty, cold starts vs bare, stops, 4 sessions, wrk loaded."""
    serve = Serve(ctx, "main", ["--max-sessions", "6"], env={"FIREFOX_LAUNCHER_LOG": "info,fl_session=debug"})
    res["serve_args"] = " ".join(serve.args[1:]).replace(str(ctx.tmp), "$TMP")
    log(f"serve pid {serve.pid} on {serve.host}:{serve.port}")
    settle(2)
    note_load("idle")
    res["idle"] = cpu_and_rss(serve.pid, ctx.idle_seconds)
    log(f"idle: {res['idle']}")
    res["wrk_empty"] = run_wrk(ctx, serve, "empty list")

    # Warm-up: one sidecar session (also gives the exact xpra command line), one bare session.
    log("warm-up: sidecar session")
    sess, dt = serve.post_session()
    tpl = Template(sess)
    res["xpra_argv"] = [a.replace(tpl.dir, "$DIR") for a in tpl.argv_text]
    res["warmup_sidecar_s"] = dt
    settle(2)
    serve.delete_session(sess["port"])
    log("warm-up: bare session")
    b = Bare(ctx, tpl, 0)
    res["warmup_bare_s"] = b.start_and_wait()[0]
    settle(2)
    res["bare_stop_timelines"] = [b.stop()[1]]
    settle(1)

    bare, side, stops, bare_stops = [], [], [], []
    for i in range(ctx.rounds):
        order = ("bare", "sidecar") if i % 2 == 0 else ("sidecar", "bare")
        for which in order:
            note_load(f"cold-{which}")
            if which == "bare":
                b = Bare(ctx, tpl, i + 1)
                total, page, window = b.start_and_wait()
                bare.append({"total": total, "page": page, "window": window})
                settle(2)
                st, tl = b.stop()
                bare_stops.append(st)
                res.setdefault("bare_stop_timelines", []).append(tl)
                log(f"round {i}: bare {total:.3f}s (page {page:.3f}, window {window:.3f})")
            else:
                sess, dt = serve.post_session()
                br = ready_breakdown(serve, sess["port"])
                side.append({"total": dt, **{k: v / 1000 for k, v in br.items()}})
                settle(2)
                data, ddt, tl = timed_delete(ctx, serve, sess)
                stops.append({"elapsed_ms": data["elapsed_ms"], "client_s": ddt, "signal": data.get("signal"), "leftovers": data.get("leftovers"), "kind": "after cold start", "timeline": tl})
                log(f"round {i}: sidecar {dt:.3f}s {br}; stop {data}")
            settle(1)
    res["cold_bare"], res["cold_sidecar"], res["bare_stops"] = bare, side, bare_stops

    # Four sessions at once; then RSS/CPU and wrk with them running; then stop them one by one.
    log("4 sessions")
    note_load("4-sessions-start")
    results = [None] * 4

    def start(k):
        try:
            results[k] = serve.post_session()
        except Exception as e:  # noqa: BLE001
            results[k] = e

    threads = [threading.Thread(target=start, args=(k,)) for k in range(4)]
    t0 = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    res["four_start_s"] = time.monotonic() - t0
    res["four_each_s"] = [r[1] for r in results if isinstance(r, tuple)]
    errors = [str(r) for r in results if not isinstance(r, tuple)]
    if errors:
        res.setdefault("errors", []).extend(errors)
    settle(ctx.four_rest)  # Firefox keeps busy for a while after its window appears
    note_load("4-sessions-idle")
    res["busy"] = cpu_and_rss(serve.pid, ctx.idle_seconds)
    log(f"with 4 sessions: {res['busy']}")
    res["wrk_four"] = run_wrk(ctx, serve, "4 sessions")
    for r in results:
        if isinstance(r, tuple):
            data, ddt, tl = timed_delete(ctx, serve, r[0])
            stops.append({"elapsed_ms": data["elapsed_ms"], "client_s": ddt, "signal": data.get("signal"), "leftovers": data.get("leftovers"), "kind": "one of 4 running", "timeline": tl})
            log(f"stop {data}")
            settle(0.5)
    res["stops"] = stops
    settle(1)
    res["after"] = {"rss_kib": proc_rss_kib(serve.pid)}
    res["metrics_tail"] = serve.request("GET", "/metrics")[1]
    serve.stop()
    res["serve_log_main"] = serve.log_text()


def cpu_snapshot(serve_pid, others):
    total = [int(x) for x in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    def ticks(p):
        try:
            return proc_cpu_ticks(p)
        except (OSError, IndexError):
            return None
    return {"t": time.monotonic(), "busy": sum(total) - total[3] - total[4], "serve": ticks(serve_pid),
            "others": {p: ticks(p) for p in others}}


def cpu_share(a, b):
    """Percent of one core over the interval: the whole machine, the sidecar, the bench's sessions."""
    hz = os.sysconf("SC_CLK_TCK")
    dt = b["t"] - a["t"]
    pc = lambda ticks: round(100 * ticks / hz / dt, 1)
    sessions = sum(b["others"][p] - a["others"][p] for p in a["others"] if a["others"][p] is not None and b["others"].get(p) is not None)
    return {"machine_busy_pct_of_one_core": pc(b["busy"] - a["busy"]), "sidecar_pct": pc(b["serve"] - a["serve"]), "sessions_pct": pc(sessions)}


def run_wrk(ctx, serve, label):
    if not shutil.which("wrk"):
        return {"error": "wrk not installed"}
    note_load(f"wrk-{label}")
    env = dict(ctx.env)
    env["FL_BENCH_TOKEN"] = serve.token
    cmd = ["wrk", "-t", "2", "-c", str(ctx.wrk_connections), "-d", f"{ctx.wrk_seconds}s", "--latency",
           "-s", str(REPO / "bench" / "auth.lua"), f"http://{serve.host}:{serve.port}/api/sessions"]
    others = [p for p in marked_pids(ctx.run_id) if p != serve.pid]
    snap0 = cpu_snapshot(serve.pid, others)
    out = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=ctx.wrk_seconds + 60).stdout
    snap1 = cpu_snapshot(serve.pid, others)
    r = {"cmd": " ".join(cmd[:-3] + ["bench/auth.lua", cmd[-1].rsplit(':', 1)[0] + ":PORT/api/sessions"]), "raw": out, "label": label}
    m = re.search(r"Requests/sec:\s+([\d.]+)", out)
    r["rps"] = float(m.group(1)) if m else None
    unit = {"us": 1e-6, "ms": 1e-3, "s": 1.0}
    for p in ("50", "90", "99"):
        m = re.search(rf"^\s+{p}(?:\.000)?%\s+([\d.]+)(us|ms|s)\s*$", out, re.M)
        r[f"p{p}_s"] = float(m.group(1)) * unit[m.group(2)] if m else None
    m = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    r["non2xx"] = int(m.group(1)) if m else 0
    m = re.search(r"Socket errors:(.*)", out)
    r["socket_errors"] = m.group(1).strip() if m else ""
    r["cpu"] = cpu_share(snap0, snap1)
    log(f"wrk ({label}): {r['rps']} req/s, p99 {r['p99_s']}; cpu {r['cpu']}")
    return r


def phase_warm(ctx, res):
    """Serve B: --warm 1; POST latency of claims, waiting for the pool to refill each time."""
    help_text = subprocess.run([str(BIN), "serve", "--help"], capture_output=True, text=True).stdout
    if "--warm" not in help_text:
        res["warm"] = {"error": "this build has no --warm flag"}
        log("no --warm flag: warm pool rows skipped")
        return
    serve = Serve(ctx, "warm", ["--warm", "1", "--max-sessions", "4"], env={"FIREFOX_LAUNCHER_LOG": "info,fl_session=debug"})
    log(f"warm serve pid {serve.pid}")
    claims, refills = [], []

    def wait_pool(t0, timeout=90):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            h = serve.health()
            if isinstance(h, dict) and isinstance(h.get("warm"), int) and h["warm"] >= 1:
                return time.monotonic() - t0
            time.sleep(POLL)
        raise RuntimeError(f"warm pool did not fill: {serve.health()}")

    try:
        h = serve.health()
        if not isinstance(h, dict) or "warm" not in h:
            res["warm"] = {"error": f"/api/health has no 'warm' count: {h}"}
            return
        wait_pool(time.monotonic())
        for i in range(ctx.claims):
            settle(2)  # let the fresh Firefox finish its start-up work, as a user would
            note_load("warm-claim")
            sess, dt = serve.post_session()
            t_claim = time.monotonic()
            claims.append(dt)
            data, _ = serve.delete_session(sess["port"])
            refills.append(wait_pool(t_claim))
            log(f"claim {i}: {dt * 1000:.1f} ms (stop {data['elapsed_ms']} ms); pool ready again after {refills[-1]:.2f}s")
        res["warm"] = {"claims_s": claims, "refill_s": refills}
    finally:
        serve.stop()
        res["serve_log_warm"] = serve.log_text()


def ws_connect(kind, target, path, token=None):
    if kind == "tcp":
        s = socket.create_connection(target)
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    else:
        s = socket.socket(socket.AF_UNIX)
        s.connect(target)
    req = (f"GET {path} HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
           "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n")
    if token:
        req += f"Authorization: token {token}\r\n"
    s.sendall((req + "\r\n").encode())
    data = b""
    while b"\r\n\r\n" not in data:
        more = s.recv(4096)
        if not more:
            raise RuntimeError(f"upgrade: connection closed after {data!r}")
        data += more
    head, rest = data.split(b"\r\n\r\n", 1)
    if not head.startswith(b"HTTP/1.1 101"):
        raise RuntimeError(f"upgrade refused: {head[:200]!r}")
    assert not rest
    return s


def ws_download(s, n):
    buf = memoryview(bytearray(1 << 20))
    t0 = time.monotonic()
    s.sendall(struct.pack(">cQ", b"D", n))
    left = n
    while left:
        k = s.recv_into(buf[: min(left, len(buf))])
        if not k:
            raise EOFError
        left -= k
    return time.monotonic() - t0


def ws_upload(s, n):
    chunk = memoryview(b"\xa5" * (1 << 20))
    t0 = time.monotonic()
    s.sendall(struct.pack(">cQ", b"U", n))
    left = n
    while left:
        k = min(left, len(chunk))
        s.sendall(chunk[:k])
        left -= k
    if s.recv(1) != b"K":
        raise EOFError
    return time.monotonic() - t0


def ws_pingpong(s, count, size=64):
    msg = b"p" * size
    s.sendall(struct.pack(">cQ", b"E", size * count))
    rtts = []
    for _ in range(count):
        t0 = time.perf_counter()
        s.sendall(msg)
        got = 0
        while got < size:
            k = len(s.recv(size - got))
            if not k:
                raise EOFError
            got += k
        rtts.append(time.perf_counter() - t0)
    return rtts


def phase_proxy(ctx, res):
    """Serve C with a fake xpra that streams bytes: through /sessions/PORT/ vs straight to the fake.

    Two direct paths: the session's unix socket (what the sidecar itself connects to) and a loopback
    TCP port the fake listens on besides (written to DIR/tcp-port; a real session listens on no TCP
    port, the sidecar only holds the session's port, bound and refusing): the TCP hop any browser
    pays, without the sidecar. The proxy path is TCP to the sidecar and unix from it, so against the
    unix baseline it also pays for that hop. CPU time of each process is summed over the timed transfers: on 2 cores the
    proxy's three busy processes share two cores while a direct path's two have one each, and
    these figures say how much of the gap is that sharing rather than the relay.
    """
    fake = REPO / "bench" / "fake-xpra-stream"
    serve = Serve(ctx, "proxy", ["--xpra", str(fake), "--firefox", "/bin/true", "--no-window-check"])
    try:
        sess, _ = serve.post_session()
        port = sess["port"]
        sock = str(Path(sess["dir"]) / "sock" / "xpra.sock")
        # The session's pid is the fake's (the sidecar runs it as it would run xpra).
        if b"fake-xpra-stream" not in Path(f"/proc/{sess['pid']}/cmdline").read_bytes():
            raise RuntimeError(f"session pid {sess['pid']} is not the fake xpra")
        procs = {"client": os.getpid(), "sidecar": serve.pid, "xpra": sess["pid"]}
        # The fake writes its own TCP port before it serves its unix socket, so before the session is ready.
        fake_tcp = int((Path(sess["dir"]) / "tcp-port").read_text())
        paths = {
            "proxy": lambda: ws_connect("tcp", (serve.host, serve.port), f"/sessions/{port}/", serve.token),
            "direct": lambda: ws_connect("unix", sock, "/"),
            "direct_tcp": lambda: ws_connect("tcp", ("127.0.0.1", fake_tcp), "/"),
        }
        n = ctx.stream_mib << 20
        out = {k: {"down_s": [], "up_s": [], "rtt_s": [], "cpu_ticks": {d: {p: 0 for p in procs} for d in ("down_s", "up_s")}} for k in paths}
        note_load("proxy")
        order = list(paths)
        for rep in range(ctx.stream_reps):
            # Each path takes each place in the order equally often: a path run right after another
            # finds caches and the scheduler in a different state.
            for k in order[rep % len(order):] + order[: rep % len(order)]:
                s = paths[k]()
                ws_download(s, 16 << 20)  # warm-up
                for d, run in (("down_s", ws_download), ("up_s", ws_upload)):
                    before = {p: proc_cpu_ticks(pid) for p, pid in procs.items()}
                    out[k][d].append(run(s, n))
                    for p, pid in procs.items():
                        out[k]["cpu_ticks"][d][p] += proc_cpu_ticks(pid) - before[p]
                ws_pingpong(s, 200)
                out[k]["rtt_s"].extend(ws_pingpong(s, ctx.pings))
                s.sendall(struct.pack(">cQ", b"Q", 0))
                s.close()
                log(f"proxy bench rep {rep} {k}: down {n / out[k]['down_s'][-1] / 2**20:.0f} MiB/s, up {n / out[k]['up_s'][-1] / 2**20:.0f} MiB/s")
        res["proxy"] = out
        res["proxy_bytes"] = n
        res["proxy_hz"] = os.sysconf("SC_CLK_TCK")
        if shutil.which("strace"):
            # Not timed: how many syscalls the sidecar makes per byte it forwards.
            s = paths["proxy"]()
            ws_download(s, 16 << 20)
            trace = ctx.tmp / "strace-proxy.txt"
            with open(trace, "w") as err:
                st = subprocess.Popen(["strace", "-f", "-qq", "-c", "-e", "trace=read,write,recvfrom,sendto,readv,writev,splice", "-p", str(serve.pid)], stderr=err, process_group=0)
            ctx.procs.append(st)
            time.sleep(1)
            size = 64 << 20
            ws_download(s, size)
            st.send_signal(signal.SIGINT)
            st.wait(10)
            s.close()
            calls = {m.group(2): int(m.group(1)) for m in re.finditer(r"^\s*[\d.]+\s+[\d.]+\s+\d+\s+(\d+)\s+(?:\d+\s+)?(\w+)\s*$", trace.read_text(), re.M)}
            res["proxy_syscalls"] = {"bytes": size, "calls": calls}
            log(f"proxy syscalls for {size >> 20} MiB down: {calls}")
        serve.delete_session(port)
    finally:
        serve.stop()


def cpu_per_gib(path, d, n, hz):
    """CPU seconds each process spent per GiB moved, over all repetitions of one path and direction."""
    gib = n * len(path[d]) / 2**30
    return {p: t / hz / gib for p, t in path["cpu_ticks"][d].items()}


def two_core_bound(cpu):
    """GiB/s the processes could move if CPU were all that limited them: each needs its share of a
    core, and together they have two."""
    busy = {p: c for p, c in cpu.items() if c > 0}
    return min(2 / sum(busy.values()), 1 / max(busy.values()))


# ---------------------------------------------------------------------------------------------
# report


def machine_info():
    mem = next(l for l in Path("/proc/meminfo").read_text().splitlines() if l.startswith("MemTotal"))
    cpu = next((l.split(":", 1)[1].strip() for l in Path("/proc/cpuinfo").read_text().splitlines() if l.startswith("model name")), "?")

    def ver(cmd):
        try:
            return subprocess.run(cmd, capture_output=True, text=True, timeout=30).stdout.strip().splitlines()[0]
        except Exception:  # noqa: BLE001
            return "?"

    git = ver(["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"])
    dirty = subprocess.run(["git", "-C", str(REPO), "status", "--porcelain", "--", "crates", "Cargo.toml", "Cargo.lock"], capture_output=True, text=True).stdout.strip()
    return {
        "nproc": os.cpu_count(),
        "cpu": cpu,
        "mem": f"{int(mem.split()[1]) / 2**20:.1f} GiB",
        "kernel": platform.release(),
        "xpra": ver(["dpkg-query", "-W", "-f=${Version}", "xpra"]),
        "firefox": ver(["firefox-esr", "--version"]),
        "xvfb": ver(["dpkg-query", "-W", "-f=${Version}", "xvfb"]),
        "wrk": ver(["dpkg-query", "-W", "-f=${Version}", "wrk"]),
        "rustc": ver(["rustc", "--version"]),
        "git": git + (" + uncommitted changes in crates/ (built as they were)" if dirty else ""),
    }


def status(ok):
    return "met" if ok else "**missed**"


def write_report(ctx, res, started, finished):
    m = machine_info()
    rows = []
    notes = []

    # 1. cold start
    bare = [r["total"] for r in res.get("cold_bare", [])]
    side = [r["total"] for r in res.get("cold_sidecar", [])]
    if bare and side:
        ratio = median(side) / median(bare)
        rows.append(("1. Cold start, open to ready (median of %d, interleaved)" % len(side),
                     f"sidecar {median(side):.2f} s vs bare {median(bare):.2f} s: **×{ratio:.3f}**",
                     "sidecar ≤ 1.05 × bare", status(ratio <= 1.05)))
    # 2. warm pool
    w = res.get("warm", {})
    if "claims_s" in w:
        c = w["claims_s"]
        rows.append((f"2. Warm pool (`--warm 1`), POST to 201 (median of {len(c)})",
                     f"{median(c) * 1000:.1f} ms (max {max(c) * 1000:.1f} ms)", "≤ 150 ms", status(median(c) <= 0.150)))
    else:
        rows.append(("2. Warm pool (`--warm 1`), POST to 201", "not measured: " + w.get("error", "phase did not run"), "≤ 150 ms", "not measured"))
    # 3. stop
    stops = res.get("stops", [])
    if stops:
        el = [s["elapsed_ms"] for s in stops]
        cl = [s["client_s"] * 1000 for s in stops]
        grace_ms = 3000
        rows.append((f"3a. Stop, `DELETE` to nothing left: median (n={len(stops)})",
                     f"elapsed_ms {median(el):.0f} ms; client {median(cl):.0f} ms", "≤ 500 ms", status(max(median(el), median(cl)) <= 500)))
        rows.append((f"3b. Stop: max (n={len(stops)})", f"elapsed_ms {max(el):.0f} ms; client {max(cl):.0f} ms",
                     "≤ grace + 1 s = 4000 ms", status(max(max(el), max(cl)) <= grace_ms + 1000)))
    # 4. RSS / CPU
    for key, label in (("idle", "no sessions"), ("busy", "4 sessions running")):
        if key in res:
            r = res[key]
            rss = r["rss_kib"] / 1024
            if key == "idle":
                rows.append((f"4a. Sidecar RSS, idle ({label})", f"{rss:.1f} MiB", "≤ 10 MiB", status(rss <= 10)))
            else:
                rows.append((f"4c. Sidecar RSS, {label}", f"{rss:.1f} MiB", "(no target; idle ≤ 10 MiB)", "info"))
            rows.append((f"4{'b' if key == 'idle' else 'd'}. Sidecar CPU over {r['window_s']:.0f} s, {label}",
                         f"{r['cpu_ms']:.0f} ms CPU = {r['cpu_pct']:.2f} % of a core", "~0 (≤ 0.5 % of a core)", status(r["cpu_pct"] <= 0.5)))
    # 5. wrk
    for key, (ra, rb) in (("wrk_empty", ("5a", "5b")), ("wrk_four", ("5c", "5d"))):
        r = res.get(key)
        if not r:
            continue
        if r.get("rps") is None:
            rows.append((f"5. `GET /api/sessions` ({r.get('label', key)})", "not measured: " + r.get("error", "wrk output not parsed"), "≥ 10,000 req/s", "not measured"))
            continue
        extra = f"; {r['non2xx']} non-2xx" if r["non2xx"] else ""
        rows.append((f"{ra}. `GET /api/sessions` throughput, {r['label']} (wrk 2 threads, {ctx.wrk_connections} conns, {ctx.wrk_seconds} s)",
                     f"{r['rps']:,.0f} req/s{extra}", "≥ 10,000 req/s", status(r["rps"] >= 10000 and not r["non2xx"])))
        rows.append((f"{rb}. `GET /api/sessions` latency, {r['label']}", f"p99 {r['p99_s'] * 1000:.2f} ms (p50 {r['p50_s'] * 1000:.2f} ms)",
                     "p99 ≤ 5 ms", status(r["p99_s"] <= 0.005)))
    # 6. proxy
    p = res.get("proxy")
    if p:
        n = res["proxy_bytes"]
        hz = res["proxy_hz"]
        for d, label in (("down_s", "xpra → browser"), ("up_s", "browser → xpra")):
            px = n / median(p["proxy"][d]) / 2**20
            dr = n / median(p["direct"][d]) / 2**20
            figure = f"proxy {px:,.0f} MiB/s vs direct {dr:,.0f} MiB/s: **×{px / dr:.2f}**"
            if p.get("direct_tcp", {}).get(d):
                dt = n / median(p["direct_tcp"][d]) / 2**20
                figure += f" (vs direct over TCP {dt:,.0f} MiB/s: ×{px / dt:.2f})"
            rows.append((f"6{'a' if d == 'down_s' else 'b'}. Websocket proxy throughput, {label} ({ctx.stream_mib} MiB, median of {ctx.stream_reps}; direct = unix socket)",
                         figure, "proxy ≥ 0.9 × direct", status(px / dr >= 0.9)))
        sc = res.get("proxy_syscalls")
        if sc and sc["calls"]:
            per = {k: sc["bytes"] / v for k, v in sc["calls"].items() if v and k in ("recvfrom", "sendto", "read", "readv", "writev", "splice")}
            notes.append("While forwarding %d MiB xpra → browser (traced with `strace -c`, not timed) the sidecar made %s: %s." % (
                sc["bytes"] >> 20, ", ".join(f"{v:,} `{k}`" for k, v in sc["calls"].items() if k != "total"),
                ", ".join(f"{per[k] / 1024:.1f} KiB per `{k}`" for k in per)))
        pm, dm = median(p["proxy"]["rtt_s"]), median(p["direct"]["rtt_s"])
        p99p, p99d = pct(p["proxy"]["rtt_s"], 99), pct(p["direct"]["rtt_s"], 99)
        rows.append((f"6c. Websocket round trip, 64 B ping-pong ({len(p['proxy']['rtt_s'])} each)",
                     f"proxy {pm * 1e6:.0f} µs vs direct {dm * 1e6:.0f} µs: +{(pm - dm) * 1e6:.0f} µs median; p99 {p99p * 1e6:.0f} vs {p99d * 1e6:.0f} µs"
                     + (f" (direct over TCP {median(p['direct_tcp']['rtt_s']) * 1e6:.0f} µs)" if p.get("direct_tcp", {}).get("rtt_s") else ""),
                     "(added latency reported)", "info"))
        for d, label in (("down_s", "down"), ("up_s", "up")):
            if "cpu_ticks" not in p["proxy"]:
                break
            cpu = {k: cpu_per_gib(p[k], d, n, hz) for k in p if p[k][d]}
            names = {"proxy": "proxy", "direct": "direct (unix)", "direct_tcp": "direct (TCP)"}
            per = "; ".join(f"{names.get(k, k)}: " + " + ".join(f"{c:.2f} {who}" for who, c in cpu[k].items() if c > 0) for k in cpu)
            bound = {k: two_core_bound(cpu[k]) for k in cpu}
            rows.append((f"6{'d' if d == 'down_s' else 'e'}. CPU seconds per GiB {label}, all repetitions (sidecar = the relay)",
                         per + f". If CPU alone limited them, 2 cores would move proxy {bound['proxy'] * 1024:,.0f} MiB/s vs direct {bound['direct'] * 1024:,.0f} MiB/s: ×{bound['proxy'] / bound['direct']:.2f}",
                         "(explains 6a/6b)", "info"))

    rows += stream.report_rows(res, status)

    lines = []
    lines.append("# Benchmarks\n")
    lines.append("Produced by `scripts/bench` (issues 6 and 14); rerun it to refresh this file. It measures the bare recipe and the")
    lines.append("sidecar side by side on the same machine, in the same run.\n")
    lines.append(f"- **Command:** `{ctx.command}`")
    lines.append(f"- **Date:** {started} → {finished} (UTC)")
    lines.append(f"- **Machine:** {m['nproc']} CPUs ({m['cpu']}), {m['mem']} RAM, Linux {m['kernel']}")
    lines.append(f"- **Versions:** xpra {m['xpra']}, {m['firefox']}, Xvfb {m['xvfb']}, wrk {m['wrk']}, {m['rustc']}")
    lines.append(f"- **Sidecar:** `target/release/firefox-launcher` built from {m['git']}")
    la = [l for _, l in LOAD_SAMPLES]
    if la:
        lines.append(f"- **Load (1-min average) during the run:** start {LOAD_SAMPLES[0][1]:.2f}, max {max(la):.2f}, end {LOAD_SAMPLES[-1][1]:.2f}")
    lines.append("")
    lines.append("| row | figure | target | status |")
    lines.append("| --- | --- | --- | --- |")
    for r in rows:
        lines.append("| " + " | ".join(r) + " |")
    lines.append("")

    lines.append("## How each row is measured\n")
    lines.append(f"1. **Cold start.** Bare: the bench starts `/usr/bin/xpra` itself in a fresh directory with the *exact* argv and")
    lines.append("   extra environment of the sidecar's own Xpra (read from `/proc/PID/cmdline` and `/proc/PID/environ` of a")
    lines.append("   warm-up sidecar session, paths substituted; same `user.js`, start page and empty conf dirs; an Xauthority")
    lines.append("   file holding a fresh cookie before Xvfb starts, as the sidecar writes it; new process group; the")
    lines.append("   `--displayfd` pipe on fd 3; like the sidecar's, this Xpra listens on its unix socket only). Ready is the sidecar's rule,")
    lines.append(f"   polled every {int(POLL * 1000)} ms like `ready.rs`: `GET /` on the xpra unix socket answers 200, then")
    lines.append("   `_NET_CLIENT_LIST` on the session's X server holds a window whose WM_CLASS is Firefox (a raw X11 client in")
    lines.append("   `bench/bench.py`, the same query as `x11.rs`). Sidecar: client-side latency of `POST /api/sessions {}`.")
    lines.append(f"   {ctx.rounds} rounds, order alternating (bare first in even rounds), one unmeasured warm-up of each")
    lines.append("   first; each session lives 2 s, then is stopped, and the machine rests 1 s.")
    lines.append("2. **Warm pool.** A second `serve --warm 1`; wait until `/api/health` reports `warm ≥ 1`, rest 2 s, time")
    lines.append("   `POST /api/sessions {}` (client side), `DELETE` it, wait for the pool to refill; repeated.")
    lines.append("3. **Stop.** `DELETE /api/sessions/PORT` with the default grace (3 s): `elapsed_ms` from the answer and the")
    lines.append("   client-side latency; sessions from row 1 (2 s old) and the four sessions of row 4 (≈ 40 s old).")
    lines.append(f"4. **RSS and CPU.** `VmRSS` of the `serve` pid (max of start and end of the window) and utime+stime from")
    lines.append(f"   `/proc/PID/stat` over {ctx.idle_seconds} s: once 2 s after start-up with no sessions, once with four idle")
    lines.append("   sessions (started concurrently, then {ctx.four_rest:.0f} s of rest). Xpra/Firefox are not counted: only the sidecar.")
    lines.append(f"5. **`GET /api/sessions`.** `wrk -t2 -c{ctx.wrk_connections} -d{ctx.wrk_seconds}s --latency -s bench/auth.lua`")
    lines.append("   (adds the `Authorization` header) from a second process on the same 2 cores, once with an empty list and")
    lines.append("   once with four sessions listed.")
    lines.append("6. **Proxy.** A third `serve` with `--xpra bench/fake-xpra-stream --firefox /bin/true --no-window-check`:")
    lines.append("   the fake answers the websocket upgrade with 101 and then streams raw bytes on command. The same Python")
    lines.append("   client (`bench/bench.py`, plain sockets, 1 MiB buffers, TCP_NODELAY) upgrades once through")
    lines.append("   `/sessions/PORT/` on the sidecar's TCP port, once directly on the session's unix socket (\"direct\", the")
    lines.append("   issue's baseline) and once on a loopback TCP port the fake listens on besides (\"direct over TCP\": the")
    lines.append("   TCP hop a browser pays, without the sidecar; a real session listens on no TCP port), then")
    lines.append(f"   times {ctx.stream_mib} MiB down, {ctx.stream_mib} MiB up, and {ctx.pings} 64-byte echo round trips;")
    lines.append(f"   {ctx.stream_reps} repetitions, each path first, second and third equally often. Rows 6d/6e sum utime+stime")
    lines.append("   (`/proc/PID/stat`) of the client, the sidecar and the fake over the timed transfers and divide by the bytes:")
    lines.append("   on 2 cores the proxy path's three busy processes share two cores, where a direct path's two have one each.")
    lines += stream.how_lines(ctx)
    lines.append("")

    lines.append("## Raw figures\n")
    if bare and side:
        lines.append("Cold start, seconds (total / page: Xpra first answers, bare `GET /` on its socket, sidecar its readiness")
        lines.append("probe (\"xpra accepts websockets\") / Firefox window; the sidecar's page and window come from its debug log")
        lines.append("and are measured from its spawn of xpra):\n")
        lines.append("| run | bare total | bare page | bare window | sidecar POST | sidecar page | sidecar window | sidecar `ready ms` |")
        lines.append("| --- | --- | --- | --- | --- | --- | --- | --- |")
        for i, (b, s) in enumerate(zip(res["cold_bare"], res["cold_sidecar"])):
            g = lambda d, k: f"{d[k]:.3f}" if k in d else "?"
            lines.append(f"| {i} | {b['total']:.3f} | {b['page']:.3f} | {b['window']:.3f} | {s['total']:.3f} | {g(s, 'page')} | {g(s, 'window')} | {g(s, 'ready')} |")
        lines.append("")
        lines.append(f"Warm-up (not counted): sidecar {res.get('warmup_sidecar_s', 0):.3f} s, bare {res.get('warmup_bare_s', 0):.3f} s.")
        bs = res.get("bare_stops", [])
        if bs:
            lines.append(f"Bare stop by hand (killpg SIGTERM, wait, marked leftovers): median {median(bs) * 1000:.0f} ms, max {max(bs) * 1000:.0f} ms.")
        if res.get("four_each_s"):
            lines.append(f"Four concurrent POSTs: all ready after {res['four_start_s']:.2f} s (each: {', '.join(f'{x:.2f}' for x in res['four_each_s'])} s).")
        lines.append("")
    def timeline_table(title, tls):
        names = []
        for tl in tls:
            for k in tl:
                if k not in names and not k.startswith("_"):
                    names.append(k)
        lines.append(title + "\n")
        lines.append("| process (last of that name) | median s after the signal/request | max |")
        lines.append("| --- | --- | --- |")
        for k in sorted(names, key=lambda k: median([tl[k] for tl in tls if k in tl])):
            xs = [tl[k] for tl in tls if k in tl]
            lines.append(f"| {k} | {median(xs):.3f} | {max(xs):.3f} |")
        sizes = [tl["_dir"] for tl in tls if "_dir" in tl]
        if sizes:
            lines.append("")
            lines.append(f"Session directory at stop: median {median([f for f, _ in sizes]):.0f} files, {median([b for _, b in sizes]) / 2**20:.1f} MiB.")
        lines.append("")

    if res.get("bare_stop_timelines"):
        timeline_table("Where a stop's time goes, bare (killpg SIGTERM by hand; processes polled every 10 ms, zombies count as gone):",
                       res["bare_stop_timelines"])
    if stops and any("timeline" in s_ for s_ in stops):
        timeline_table("Where a stop's time goes, sidecar (from sending `DELETE`; same polling from the bench):",
                       [s_["timeline"] for s_ in stops if "timeline" in s_])
    if stops:
        lines.append("Stops: " + ", ".join(f"{s['elapsed_ms']} ms/{s['client_s'] * 1000:.0f} ms ({s['signal']}, {s['kind']})" for s in stops) + ".\n")
    if "claims_s" in w:
        lines.append("Warm claims, ms: " + ", ".join(f"{x * 1000:.1f}" for x in w["claims_s"]) + "; pool ready again after "
                     + ", ".join(f"{x:.2f}" for x in w["refill_s"]) + " s.\n")
    for key in ("idle", "busy"):
        if key in res:
            r = res[key]
            lines.append(f"RSS/CPU {key}: VmRSS {r['rss_kib']} KiB, CPU {r['cpu_ms']:.0f} ms in {r['window_s']:.1f} s.")
    if "after" in res:
        lines.append(f"RSS after the whole run (all sessions stopped): {res['after']['rss_kib']} KiB.")
    lines.append("")
    if p:
        for k in p:
            d = p[k]
            lines.append(f"Proxy {k}: down " + ", ".join(f"{n / x / 2**20:.0f}" for x in d["down_s"]) + " MiB/s; up "
                         + ", ".join(f"{n / x / 2**20:.0f}" for x in d["up_s"]) + f" MiB/s; RTT p50 {median(d['rtt_s']) * 1e6:.0f} µs, p90 {pct(d['rtt_s'], 90) * 1e6:.0f} µs, p99 {pct(d['rtt_s'], 99) * 1e6:.0f} µs.")
        lines.append("")
    for key in ("wrk_empty", "wrk_four"):
        r = res.get(key)
        if r and r.get("raw"):
            c = r.get("cpu", {})
            lines.append(f"wrk, {r['label']} (`{r['cmd']}`); CPU during it, in % of one core (200 = both cores): machine {c.get('machine_busy_pct_of_one_core')}, sidecar {c.get('sidecar_pct')}, the bench's Xpra/Firefox sessions {c.get('sessions_pct')}:\n")
            lines.append("```")
            lines.append(r["raw"].rstrip())
            lines.append("```\n")
    lines += stream.raw_lines(res)
    if res.get("xpra_argv"):
        lines.append("The xpra command line both sides ran (from the sidecar's session; `$DIR` is the session directory):\n")
        lines.append("```")
        lines.append(" \\\n  ".join(res["xpra_argv"]))
        lines.append("```\n")

    lines.append("## Notes\n")
    if la:
        busy_phases = [(ph, l) for ph, l in LOAD_SAMPLES if l >= 1.0]
        lines.append(f"- Load before the run: {ctx.load_before[0]:.2f} (1 min) / {ctx.load_before[1]:.2f} (5 min)" + (
            f"; waited {ctx.waited:.0f} s for it to drop below {ctx.max_load}." if ctx.waited else "."))
        if busy_phases:
            lines.append(f"- The 1-minute load average was ≥ 1 in {len(busy_phases)} of {len(LOAD_SAMPLES)} samples (max {max(la):.2f}). On 2 cores")
            lines.append("  the bench itself (Xvfb + Firefox starting, wrk) raises it, so a value around 1–2 during cold starts is")
            lines.append("  expected; values well above that mean another workload shared the machine and figures are pessimistic.")
        else:
            lines.append("- The 1-minute load average stayed below 1 in every sample: the machine was otherwise quiet.")
    for e in res.get("errors", []):
        lines.append(f"- Error during the run: {e}")
    for n_ in notes + ctx.extra_notes:
        lines.append(f"- {n_}")
    lines.append("")
    Path(ctx.output).write_text("\n".join(lines))
    return rows


STREAM_BEGIN = "<!-- stream section: written by `scripts/bench --only stream`; the next such run replaces it -->"
STREAM_END = "<!-- end of the stream section -->"


def write_stream_section(ctx, res, started, finished):
    """A run of the stream phase alone: its own section of BENCHMARKS.md (between the markers,
    else before "## How each row is measured"), leaving every other section as the file has it."""
    m = machine_info()
    xpra6 = "?"
    try:
        xpra6 = subprocess.run([ctx.xpra6, "--version"], capture_output=True, text=True, timeout=60).stdout.strip() or "?"
    except OSError:
        pass
    rows = stream.report_rows(res, status)
    for r in (res.get("stream") or {}).get("rows", []):
        for value in r.get("load1", []):
            LOAD_SAMPLES.append((f"stream-{r.get('path')}", value))
    lines = [STREAM_BEGIN, "## The picture: our own client on Xpra 3.1.3 and 6.5 beside the peer (issue 21)\n",
             "Rows 7 of the table above are the full run's; this section is the latest run of the stream phase alone.",
             "Debian's patched client is retired (issue 21): its last figures beside ours are in the issue 21 notes",
             "(`git show febc1d7:BENCHMARKS.md`).\n",
             f"- **Command:** `{ctx.command}`",
             f"- **Date:** {started} → {finished} (UTC)",
             f"- **Machine:** {m['nproc']} CPUs ({m['cpu']}), {m['mem']} RAM, Linux {m['kernel']}",
             f"- **Versions:** xpra {m['xpra']} (Debian) and {xpra6} (`{ctx.xpra6}`), {m['firefox']}, "
             f"{_chromium_version()}, {m['rustc']}",
             f"- **Sidecar:** `target/release/firefox-launcher` built from {m['git']}"]
    la = [l for _, l in LOAD_SAMPLES]
    if la:
        lines.append(f"- **Load (1-min average):** before {ctx.load_before[0]:.2f}, during: start {LOAD_SAMPLES[0][1]:.2f}, max {max(la):.2f}, end {LOAD_SAMPLES[-1][1]:.2f}")
    lines += ["", "| row | figure | target | status |", "| --- | --- | --- | --- |"]
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    lines += ["", "How it is measured:\n"]
    lines += stream.how_lines(ctx)[:stream.how_lines(ctx).index(next(l for l in stream.how_lines(ctx) if l.startswith("8. ")))]
    lines.append("")
    lines += stream.raw_lines(res)
    for e in res.get("errors", []):
        lines.append(f"- Error during the run: {e}")
    for n_ in ctx.extra_notes:
        lines.append(f"- {n_}")
    lines.append(STREAM_END)
    section = "\n".join(lines) + "\n"
    path = Path(ctx.output)
    text = path.read_text() if path.exists() else "# Benchmarks\n\n"
    if STREAM_BEGIN in text and STREAM_END in text:
        head, rest = text.split(STREAM_BEGIN, 1)
        tail = rest.split(STREAM_END, 1)[1].lstrip("\n")
        text = head + section + "\n" + tail
    elif "## How each row is measured" in text:
        head, tail = text.split("## How each row is measured", 1)
        text = head + section + "\n## How each row is measured" + tail
    else:
        text = text.rstrip("\n") + "\n\n" + section
    path.write_text(text)
    return rows


def write_sound_section(ctx, res, started, finished):
    xpra6 = "?"
    try:
        xpra6 = subprocess.run([ctx.xpra6, "--version"], capture_output=True, text=True, timeout=60).stdout.strip() or "?"
    except OSError:
        pass
    return sound.write_section(ctx, res, started, finished, machine_info(), xpra6, _chromium_version())


def _chromium_version():
    try:
        return subprocess.run(["/usr/bin/chromium", "--version"], capture_output=True, text=True, timeout=30).stdout.strip() or "Chromium ?"
    except OSError:
        return "Chromium ?"


# ---------------------------------------------------------------------------------------------


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--cleanup", metavar="RUN_ID", help="stop whatever a run left and exit")
    ap.add_argument("--run-id")
    ap.add_argument("--tmp", help="scratch directory (scripts/bench makes and removes it)")
    ap.add_argument("--output", default=str(REPO / "BENCHMARKS.md"))
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--claims", type=int, default=5)
    ap.add_argument("--idle-seconds", type=float, default=10)
    ap.add_argument("--four-rest", type=float, default=20, help="seconds the 4 sessions rest before rows 4 and 5")
    ap.add_argument("--wrk-seconds", type=int, default=10)
    ap.add_argument("--wrk-connections", type=int, default=16)
    ap.add_argument("--stream-mib", type=int, default=1024)
    ap.add_argument("--stream-reps", type=int, default=6)
    ap.add_argument("--pings", type=int, default=2000)
    ap.add_argument("--max-load", type=float, default=1.0, help="wait (up to --load-wait s) for the 1-min load to drop below this")
    ap.add_argument("--load-wait", type=float, default=180)
    ap.add_argument("--stream-seconds", type=float, default=10, help="each streaming measurement's window")
    ap.add_argument("--stream-warmup", type=float, default=2)
    ap.add_argument("--stream-presses", type=int, default=50, help="key presses per latency measurement")
    ap.add_argument("--stream-paths", default=",".join(stream.PATHS),
                    help="stream: which rows (own31, own65: our client through Jupyter on Xpra 3.1.3 and 6.5; own31-sidecar: "
                         "the 3.1.3 session straight from the sidecar; peer: noVNC through Jupyter)")
    ap.add_argument("--xpra6", default=os.environ.get("FL_BENCH_XPRA6", "/opt/xpra6/bin/xpra"), help="stream: the Xpra 6.5 of row own65 (scripts/install-xpra6)")
    ap.add_argument("--stream-sizes", default="1280x800,1920x1080", help="stream: viewport sizes")
    ap.add_argument("--stream-client", default="", help="stream: extra query for our client's page, over each row's own (e.g. video=false)")
    ap.add_argument("--stream-rounds", type=int, default=2, help="stream-tune: rounds over the settings")
    ap.add_argument("--no-peer", dest="stream_peer", action="store_false", help="stream: skip Jupyter (rows own31, own65 and peer)")
    ap.add_argument("--sound-paths", default=",".join(sound.PATHS), help="sound: which Xpra (own31: Debian's 3.1.3; own65: --xpra6)")
    ap.add_argument("--sound-trials", type=int, default=20, help="sound: tones timed per Xpra")
    ap.add_argument("--sound-rounds", type=int, default=3, help="sound: animation windows with sound on and with sound off, each")
    ap.add_argument("--only", default="main,warm,proxy,stream,stream-tune,sound,control",
                    help="comma-separated phases: main, warm, proxy, stream, stream-tune, sound, control")
    ap.add_argument("--command", default="scripts/bench")
    a = ap.parse_args()
    unknown = [p for p in a.stream_paths.split(",") if p not in stream.PATHS]
    if unknown:
        ap.error(f"--stream-paths: no row {', '.join(unknown)} (rows: {', '.join(stream.PATHS)})")
    unknown = [p for p in a.sound_paths.split(",") if p not in sound.PATHS]
    if unknown:
        ap.error(f"--sound-paths: no row {', '.join(unknown)} (rows: {', '.join(sound.PATHS)})")

    if a.cleanup:
        n = stop_marked(a.cleanup)
        if n:
            log(f"cleanup: stopped {n} leftover process(es) of run {a.cleanup}")
        return 0

    ctx = Ctx()
    ctx.run_id = a.run_id or secrets.token_hex(6)
    ctx.tmp = Path(a.tmp) if a.tmp else Path(os.environ.get("TMPDIR", "/tmp")) / f"fl-bench-{ctx.run_id}"
    ctx.tmp.mkdir(parents=True, exist_ok=True)
    own_tmp = not a.tmp
    for k in ("four_rest", "rounds", "claims", "idle_seconds", "wrk_seconds", "wrk_connections", "stream_mib", "stream_reps", "pings", "output", "max_load", "command",
              "stream_seconds", "stream_warmup", "stream_paths", "stream_sizes", "stream_client", "stream_rounds", "stream_presses", "stream_peer",
              "xpra6", "sound_paths", "sound_trials", "sound_rounds"):
        setattr(ctx, k, getattr(a, k))
    ctx.procs = []
    ctx.extra_notes = []
    home = ctx.tmp / "user-home"
    home.mkdir(exist_ok=True)
    ctx.env = dict(os.environ)
    ctx.env.update({MARK: ctx.run_id, "HOME": str(home), "TMPDIR": str(ctx.tmp)})
    for k in [k for k in ctx.env if k.startswith("FIREFOX_LAUNCHER_")] + ["XAUTHORITY", "DISPLAY"]:
        ctx.env.pop(k, None)

    # fd 3 is where the bare xpra gets its --displayfd pipe: keep it reserved (on /dev/null).
    ctx.devnull = os.open(os.devnull, os.O_RDWR)
    try:
        os.fstat(3)
        if 3 != ctx.devnull:
            raise SystemExit("fd 3 is already open; run the bench from scripts/bench")
    except OSError:
        os.dup2(ctx.devnull, 3)

    def on_signal(sig, _frame):
        raise SystemExit(128 + sig)

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGHUP, on_signal)

    started = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M")
    ctx.load_before = loadavg()
    ctx.waited = 0.0
    t0 = time.monotonic()
    while loadavg()[0] >= a.max_load and time.monotonic() - t0 < a.load_wait:
        if not ctx.waited:
            log(f"1-min load {loadavg()[0]:.2f} ≥ {a.max_load}: waiting up to {a.load_wait:.0f} s for the machine to quieten")
        time.sleep(5)
        ctx.waited = time.monotonic() - t0
    if loadavg()[0] >= a.max_load:
        ctx.extra_notes.append(f"The 1-minute load was still {loadavg()[0]:.2f} after waiting {a.load_wait:.0f} s: the machine was busy with other work; treat the figures as pessimistic.")

    res = {}
    phases = a.only.split(",")
    try:
        if "main" in phases:
            phase_main(ctx, res)
        if "warm" in phases:
            try:
                phase_warm(ctx, res)
            except Exception as e:  # noqa: BLE001
                res["warm"] = {"error": f"{type(e).__name__}: {e}"}
                log(f"warm phase failed: {e}")
        if "proxy" in phases:
            phase_proxy(ctx, res)
        if "stream" in phases:
            stream.phase_stream(ctx, res, Serve, log)
        if "stream-tune" in phases:
            stream.phase_stream_tune(ctx, res, Serve, log)
        if "sound" in phases:
            sound.phase_sound(ctx, res, Serve, log)
        if "control" in phases:
            control.phase_control(ctx, res, Serve, log)
        finished = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M")
        # The stream and sound phases alone write only their own sections; any other phase, the whole file.
        rows = []
        if set(phases) <= {"stream", "sound", "control"} and Path(ctx.output).exists():
            if "stream" in phases:
                rows += write_stream_section(ctx, res, started, finished)
        else:
            rows += write_report(ctx, res, started, finished)
        if "sound" in phases:
            rows += write_sound_section(ctx, res, started, finished)
        if "control" in phases:
            rows += control.write_section(ctx, res, started, finished, machine_info())
        json_out = ctx.tmp / "results.json"
        json_out.write_text(json.dumps({k: v for k, v in res.items() if not k.startswith("serve_log")}, indent=1, default=str))
        keep = os.environ.get("FL_BENCH_KEEP_JSON")
        if keep:
            shutil.copy(json_out, keep)
        print("\n".join(f"{r[0]}: {r[1]} (target {r[2]}): {r[3]}" for r in rows))
        log(f"wrote {ctx.output}")
        return 0
    finally:
        for p in ctx.procs:
            if p.poll() is None:
                try:
                    os.killpg(p.pid, signal.SIGTERM)
                except ProcessLookupError:
                    pass
        for p in ctx.procs:
            try:
                p.wait(15)
            except subprocess.TimeoutExpired:
                try:
                    os.killpg(p.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                p.wait()
        stop_marked(ctx.run_id)
        for log_key in ("serve_log_main", "serve_log_warm"):
            if log_key in res and os.environ.get("FL_BENCH_KEEP_LOGS"):
                Path(os.environ["FL_BENCH_KEEP_LOGS"]).mkdir(parents=True, exist_ok=True)
                (Path(os.environ["FL_BENCH_KEEP_LOGS"]) / f"{log_key}.log").write_text(res[log_key])
        if own_tmp:
            shutil.rmtree(ctx.tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
