#!/usr/bin/env python3
"""
Pictures encoded by Xpra's own encoders, for the paint tests. Run under the Python of the Xpra
version to check (/opt/xpra6/bin/python3 for 6.5, /usr/bin/python3 for Debian's 3.1.3).

Prints JSON: {"version": ..., "pictures": [{name, coding, width, height, rowstride, options,
data (base64), colours}]}. Every picture is a 64x48 pattern of four flat quadrants, so the test
knows what colour each point of the canvas must have; video comes as a stream of frames whose
quadrants rotate, so a delta frame that is not decoded shows the previous frame's colours.
"""
import base64
import json
import sys

W, H = 64, 48
RED, GREEN, BLUE, WHITE = (255, 0, 0), (0, 255, 0), (0, 0, 255), (255, 255, 255)
YELLOW, CYAN, MAGENTA, GREY = (255, 255, 0), (0, 255, 255), (255, 0, 255), (128, 128, 128)
PATTERNS = [
    (RED, GREEN, BLUE, WHITE),  # top-left, top-right, bottom-left, bottom-right
    (GREEN, BLUE, WHITE, RED),
    (YELLOW, CYAN, MAGENTA, GREY),
]


def quadrant(x, y, pattern):
    return pattern[(0 if x < W // 2 else 1) + (0 if y < H // 2 else 2)]


def bgrx(pattern, alpha=255):
    out = bytearray()
    for y in range(H):
        for x in range(W):
            r, g, b = quadrant(x, y, pattern)
            out += bytes((b, g, r, alpha))
    return bytes(out)


def yuv420p(pattern, full_range):
    # BT.601, full range (JPEG's) or limited, as the encoder will declare it in the stream.
    def yuv(rgb):
        r, g, b = rgb
        if full_range:
            yy = 0.299 * r + 0.587 * g + 0.114 * b
            u = 128 - 0.168736 * r - 0.331264 * g + 0.5 * b
            v = 128 + 0.5 * r - 0.418688 * g - 0.081312 * b
        else:
            yy = 16 + (65.481 * r + 128.553 * g + 24.966 * b) / 255
            u = 128 + (-37.797 * r - 74.203 * g + 112.0 * b) / 255
            v = 128 + (112.0 * r - 93.786 * g - 18.214 * b) / 255
        return tuple(max(0, min(255, round(c))) for c in (yy, u, v))
    Y = bytes(yuv(quadrant(x, y, pattern))[0] for y in range(H) for x in range(W))
    U = bytes(yuv(quadrant(x * 2, y * 2, pattern))[1] for y in range(H // 2) for x in range(W // 2))
    V = bytes(yuv(quadrant(x * 2, y * 2, pattern))[2] for y in range(H // 2) for x in range(W // 2))
    return (Y, U, V), (W, W // 2, W // 2)


def plain(v):
    """client_options to JSON: bytes (3.1) to text, tuples to lists."""
    if isinstance(v, bytes):
        return v.decode("latin1")
    if isinstance(v, dict):
        return {plain(k): plain(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [plain(x) for x in v]
    return v


def data_of(d):
    d = getattr(d, "data", d)
    return bytes(d)


def entry(name, coding, data, options, rowstride=0, pattern=0):
    return {
        "name": name,
        "coding": coding if isinstance(coding, str) else coding.decode(),
        "width": W,
        "height": H,
        "rowstride": rowstride,
        "options": plain(options or {}),
        "data": base64.b64encode(data_of(data)).decode(),
        "colours": [list(c) for c in PATTERNS[pattern]],
    }


def main():
    import xpra
    version = xpra.__version__
    six = int(version.split(".")[0]) >= 4
    pics = []
    if six:
        from xpra.codecs.image import ImageWrapper
        from xpra.util.objects import typedict
    else:
        from xpra.codecs.image_wrapper import ImageWrapper
        from xpra.util import typedict

    def bgrx_image(pattern=0, alpha=255):
        return ImageWrapper(0, 0, W, H, bgrx(PATTERNS[pattern], alpha), "BGRX", 32, W * 4, 4)

    def yuv_image(pattern, full_range):
        planes, strides = yuv420p(PATTERNS[pattern], full_range)
        img = ImageWrapper(0, 0, W, H, planes, "YUV420P", 24, strides, 1, ImageWrapper.PLANAR_3)
        if full_range and hasattr(img, "set_full_range"):
            img.set_full_range(True)
        return img

    # jpeg, webp, png
    if six:
        from xpra.codecs.jpeg import encoder as jpeg
        from xpra.codecs.webp import encoder as webp
        from xpra.codecs.pillow import encoder as pillow
        r = jpeg.encode("jpeg", bgrx_image(), typedict({"quality": 95, "speed": 0}))
        pics.append(entry("jpeg", r[0], r[1], r[2]))
        r = webp.encode("webp", bgrx_image(1), typedict({"quality": 100, "speed": 0}))
        pics.append(entry("webp", r[0], r[1], r[2], pattern=1))
        r = pillow.encode("png", bgrx_image(2), typedict({}))
        pics.append(entry("png", r[0], r[1], r[2], pattern=2))
    else:
        from xpra.codecs.jpeg import encoder as jpeg
        from xpra.codecs.webp import encoder as webp
        from xpra.codecs.pillow import encoder as pillow
        # the calls 3.1's window_source.py makes (jpeg_encode, picture_encode.webp_encode, pillow)
        r = jpeg.encode(bgrx_image(), 95, 0, {})
        pics.append(entry("jpeg", r[0], r[1], r[2]))
        cdata, client_options = webp.encode(bgrx_image(1), 100, 0, True, "")
        pics.append(entry("webp", "webp", cdata, client_options, pattern=1))
        r = pillow.encode("png", bgrx_image(2), 100, 0, False)
        pics.append(entry("png", r[0], r[1], r[2], pattern=2))

    # rgb, lz4-compressed by the encoder (speed 0 asks for the most compression)
    if six:
        from xpra.codecs.argb import encoder as argb
        from xpra.net.compression import init_compressors
        init_compressors("lz4")  # a server does this at start; without it nothing is compressed
        r = argb.encode("rgb32", bgrx_image(), typedict({"lz4": True, "speed": 0, "rgb_formats": ["BGRX", "RGBX"]}))
        pics.append(entry("rgb-lz4", r[0], r[1], r[2], rowstride=r[5]))
        r = argb.encode("rgb32", bgrx_image(1), typedict({"lz4": False, "speed": 100, "rgb_formats": ["BGRX", "RGBX"]}))
        pics.append(entry("rgb-plain", r[0], r[1], r[2], rowstride=r[5], pattern=1))
    else:
        from xpra.server.picture_encode import rgb_encode
        r = rgb_encode("rgb32", bgrx_image(), ["BGRX", "RGBX"], True, 0, False, True)
        pics.append(entry("rgb-lz4", r[0], r[1], r[2], rowstride=r[5]))
        r = rgb_encode("rgb32", bgrx_image(1), ["BGRX", "RGBX"], True, 100, False, False)
        pics.append(entry("rgb-plain", r[0], r[1], r[2], rowstride=r[5], pattern=1))

    # video: three frames per codec, patterns 0, 1, 2 (one key frame, then deltas)
    for coding, mod in (("h264", "x264"), ("vp8", "vpx"), ("vp9", "vpx")):
        try:
            if six:
                m = __import__(f"xpra.codecs.{mod}.encoder", fromlist=["Encoder"])
            else:
                m = __import__("xpra.codecs.enc_x264.encoder" if mod == "x264" else "xpra.codecs.vpx.encoder", fromlist=["Encoder"])
        except ImportError as e:
            print(f"no {coding} encoder: {e}", file=sys.stderr)
            continue
        e = m.Encoder()
        opts = {"quality": 90, "speed": 50, "dst-formats": ["YUV420P"], "b-frames": False}
        if six:
            e.init_context(coding, W, H, "YUV420P", typedict(opts))
        else:
            e.init_context(W, H, "YUV420P", ["YUV420P"], coding, 90, 50, (1, 1), typedict(opts))
        for i in range(3):
            r = e.compress_image(yuv_image(i, six), typedict({"quality": 90, "speed": 50}) if six else 90, *(() if six else (50, {})))
            if r is None:
                raise RuntimeError(f"{coding} frame {i}: no output")
            data, client_options = r[0], r[1]
            pics.append(entry(f"{coding}-{i}", coding, data, client_options, pattern=i))
        e.clean()
    json.dump({"version": version, "pictures": pics}, sys.stdout)


main()
