"""A minimal X11 client (stdlib only): connect over the unix socket, optional MIT-MAGIC-COOKIE-1,
GetImage (ZPixmap) of a rectangle of the root window, and a fast PNG encoder (zlib level 1).
Research 23, Q4: how long X's own copy of the screen takes, vs BiDi / WebExtension captures."""
import socket, struct, zlib, time

class X:
    def __init__(self, display_num, cookie=b""):
        self.s = socket.socket(socket.AF_UNIX)
        self.s.connect(f"/tmp/.X11-unix/X{display_num}")
        name = b"MIT-MAGIC-COOKIE-1" if cookie else b""
        pad = lambda b: b + b"\0" * (-len(b) % 4)
        self.s.sendall(struct.pack("<BxHHHHxx", 0x6c, 11, 0, len(name), len(cookie)) + pad(name) + pad(cookie))
        head = self._read(8)
        if head[0] != 1: raise RuntimeError(f"X refused: {self._read(struct.unpack('<H', head[6:8])[0]*4)[:80]}")
        body = self._read(struct.unpack("<H", head[6:8])[0] * 4)
        vlen, _, nscreens, nformats = struct.unpack("<HHBB", body[16:22])
        off = 32 + vlen + (-vlen % 4) + 8 * nformats
        self.root, = struct.unpack("<I", body[off:off+4])
        self.width, self.height = struct.unpack("<HH", body[off+20:off+24])
        self.depth = body[off+38]
    def _read(self, n):
        buf = bytearray()
        while len(buf) < n:
            c = self.s.recv(min(n - len(buf), 1 << 20))
            if not c: raise EOFError
            buf += c
        return bytes(buf)
    def get_image(self, x, y, w, h, drawable=None):
        self.s.sendall(struct.pack("<BBHIhhHHI", 73, 2, 5, drawable or self.root, x, y, w, h, 0xFFFFFFFF))
        while True:
            head = self._read(32)
            if head[0] == 1: break
            if head[0] == 0: raise RuntimeError(f"X error {head[1]}")
        n, = struct.unpack("<I", head[4:8])
        return self._read(n * 4)

def png_rgb_from_bgrx(data, w, h, level=1):
    rgb = bytearray(w * h * 3)
    rgb[0::3] = data[2::4]; rgb[1::3] = data[1::4]; rgb[2::3] = data[0::4]
    stride = w * 3
    raw = b"".join(b"\0" + rgb[i*stride:(i+1)*stride] for i in range(h))
    chunk = lambda t, d: struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d) & 0xffffffff)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw, level)) + chunk(b"IEND", b""))

def bench(display_num, w=1280, h=800, n=10, cookie=b""):
    x = X(display_num, cookie)
    res = {"screen": (x.width, x.height, x.depth)}
    tg, tp, sizes = [], [], []
    for _ in range(n):
        t = time.perf_counter(); d = x.get_image(0, 0, w, h); t1 = time.perf_counter()
        p = png_rgb_from_bgrx(d, w, h); t2 = time.perf_counter()
        tg.append((t1 - t) * 1000); tp.append((t2 - t1) * 1000); sizes.append(len(p))
    med = lambda a: sorted(a)[len(a)//2]
    res.update(getimage_ms=med(tg), getimage_min=min(tg), png_ms=med(tp), png_bytes=sizes[-1], image_bytes=len(d))
    return res, p

def _x_sync(x):
    x.s.sendall(struct.pack("<BxH", 43, 1))           # GetInputFocus: a round trip
    while True:
        head = x._read(32)
        if head[0] == 1: return
        if head[0] == 0: raise RuntimeError(f"X error {head[1]} (request {head[10]})")

def query_tree(x, window=None):
    x.s.sendall(struct.pack("<BxHI", 15, 2, window or x.root))
    while True:
        head = x._read(32)
        if head[0] == 1: break
        if head[0] == 0: raise RuntimeError(f"X error {head[1]}")
    n, = struct.unpack("<H", head[16:18]); length, = struct.unpack("<I", head[4:8])
    body = x._read(length * 4)
    return list(struct.unpack(f"<{n}I", body[:4*n]))

def set_mapped(x, window, mapped):
    x.s.sendall(struct.pack("<BxHI", 8 if mapped else 10, 2, window))   # MapWindow / UnmapWindow
    _x_sync(x)

def get_image_error(x, window, w, h):
    """GetImage of a window; returns None and the X error code if X refuses (e.g. BadMatch on an unmapped window)."""
    x.s.sendall(struct.pack("<BBHIhhHHI", 73, 2, 5, window, 0, 0, w, h, 0xFFFFFFFF))
    head = x._read(32)
    if head[0] == 0: return None, head[1]
    n, = struct.unpack("<I", head[4:8]); return x._read(n * 4), 0
