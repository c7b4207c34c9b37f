#!/usr/bin/env python3
"""The reference side of the client's cross-checks: Xpra's own Python encoders.

Run with the Python that runs the Xpra under test:
  /usr/bin/python3          Debian 12's Xpra 3.1 (rencode from python3-rencode, cython bencode)
  /opt/xpra6/bin/python3    Xpra 6.5 built by scripts/install-xpra6 (rencodeplus)

Commands (JSON on stdout; values are tagged, see tag()):
  corpus CODEC         every corpus case: the value, Xpra's bytes for it, and what Xpra's own
                       decoder reads back from those bytes (or that Xpra refuses to encode it)
  check CODEC          stdin: [{"name", "wire"}] bytes the TypeScript encoder wrote for each case;
                       answers, per case, whether Xpra's decoder reads the same value as from its
                       own bytes, and whether Xpra re-encodes what it read into the same bytes
  frames CODEC         a byte stream written by Xpra's own Protocol.encode (raw chunks, lz4
                       records, its header code) and the packets a reader must get from it
  lz4                  Xpra-style lz4 payloads (size + block) from this version's lz4 compressor
"""
import base64
import json
import random
import struct
import sys

import xpra

MIB = 1 << 20


# --- the codecs, called the way Xpra calls them -------------------------------------------------

def reference(codec):
    """(dumps, loads) for a codec, as this Xpra's packet_encoding module calls them."""
    from xpra.net import packet_encoding
    if codec == "rencodeplus":
        packet_encoding.init_encoders("rencodeplus")
        enc = packet_encoding.ENCODERS["rencodeplus"]
        return (lambda v: bytes(enc.encode(v)[0])), enc.decode
    if codec == "rencode":
        # 3.1: `from rencode import dumps, loads` (python3-rencode 1.0.6, Cython), default float bits
        return (lambda v: packet_encoding.do_rencode(v)[0]), packet_encoding.rencode_loads
    if codec == "bencode":
        def bdecode(data):
            value, length = packet_encoding.bdecode(data)
            if length != len(data):  # Xpra asserts the same
                raise ValueError("trailing bytes")
            return value
        return (lambda v: packet_encoding.do_bencode(v)[0]), bdecode
    raise SystemExit(f"unknown codec {codec}")


def expected_version(codec):
    return "6.5" if codec == "rencodeplus" else "3.1"


# --- tagged values: a JSON form that keeps every type and every float bit -----------------------

def tag(v):
    if v is None:
        return {"t": "none"}
    if isinstance(v, bool):
        return {"t": "bool", "v": v}
    if isinstance(v, int):
        return {"t": "int", "v": str(v)}
    if isinstance(v, float):
        return {"t": "float", "v": struct.pack("!d", v).hex()}
    if isinstance(v, str):
        return {"t": "str", "v": v}
    if isinstance(v, (bytes, bytearray, memoryview)):
        return {"t": "bytes", "v": base64.b64encode(bytes(v)).decode()}
    if isinstance(v, (list, tuple)):
        return {"t": "list", "v": [tag(x) for x in v]}
    if isinstance(v, dict):
        return {"t": "dict", "v": [[tag(k), tag(x)] for k, x in v.items()]}
    raise TypeError(f"cannot tag {type(v)}")


def same(a, b):
    """Strict equality: same types all the way down (1 is not True, 1.0 is not 1), float bits
    compared (so nan equals nan and -0.0 differs from 0.0), dict pairs in the same order."""
    if type(a) is not type(b):
        return False
    if isinstance(a, float):
        return struct.pack("!d", a) == struct.pack("!d", b)
    if isinstance(a, (list, tuple)):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    if isinstance(a, dict):
        return len(a) == len(b) and all(same(ka, kb) and same(va, vb)
                                        for (ka, va), (kb, vb) in zip(a.items(), b.items()))
    return a == b


# --- the corpus ----------------------------------------------------------------------------------

def nested_lists(depth):
    v = [1]
    for _ in range(depth - 1):
        v = [v]
    return v


def nested_dicts(depth):
    v = {"leaf": 1}
    for i in range(depth - 1):
        v = {f"d{i}": v}
    return v


def corpus(codec):
    """(name, value, refused) triples. refused: Xpra's encoder must refuse the value, and so
    must ours. Values a codec cannot carry are left out of that codec's corpus."""
    rng = random.Random(21)
    has_float = has_none = codec != "bencode"
    # rencodeplus keys are text; 3.1's codecs cannot tell text from bytes, so bytes keys occur
    bytes_keys = codec != "rencodeplus"
    cases = [
        ("int fixed positive", [0, 1, 42, 43]),
        ("int fixed negative", [-1, -2, -31, -32]),
        ("int8", [44, 100, 127, -33, -100, -128]),
        ("int16", [128, 255, 256, 1000, 32767, -129, -1000, -32768]),
        ("int32", [32768, 65535, 65536, 2**31 - 1, -32769, -2**31]),
        ("int64", [2**31, -2**31 - 1, 2**53 - 1, 2**53, 2**53 + 1, -(2**53) - 1, 2**63 - 1, -2**63]),
        ("big int", [2**63, -2**63 - 1, 2**64, 10**20, -(10**30), 10**62 - 1, -(10**61)]),
        ("bool", [True, False]),
        ("str empty", ""),
        ("str ascii", "hello"),
        ("str 63 bytes", "a" * 63),
        ("str 64 bytes", "b" * 64),
        ("str multibyte at the 64-byte edge", "é" * 31 + "a"),
        ("str unicode", "héllo wörld ✓ 日本語 🎉 \u2028 \u202e"),
        ("str nul and controls", "a\x00b\x01\x7f\n\t"),
        ("str leading BOM", "\ufeffbom"),
        ("str digits and separators", "12:34/56"),
        ("str long unicode", "日本語🎉x" * 20000),
        ("markup is only text", "<img src=x onerror=alert(1)><script>alert(2)</script>"),
        ("bytes empty", b""),
        ("bytes every value", bytes(range(256))),
        ("bytes 63", b"\xff" * 63),
        ("bytes 64", b"\x00" * 64),
        ("bytes not utf-8", b"\xc3\x28\xff\xfe"),
        ("bytes 1 MiB random", rng.randbytes(MIB)),
        ("list empty", []),
        ("list 63", list(range(63))),
        ("list 64", list(range(64))),
        ("list 1000 mixed", [rng.choice([i, -i, str(i), [i]]) for i in range(1000)]),
        ("list mixed nested", [1, "a", b"b", [2, [3, []]], {}, [[[]]]]),
        ("dict empty", {}),
        ("dict 24 pairs", {f"k{i}": i for i in range(24)}),
        ("dict 25 pairs", {f"k{i}": i for i in range(25)}),
        ("dict 300 pairs", {f"key-{i}": [i, str(i)] for i in range(300)}),
        ("dict int keys", {1: "a", -5: "b", 2**40: "c", 0: "zero"}),
        ("dict nested", {"a": {"b": {"c": [1, 2, {"d": "e"}]}}, "f": []}),
        ("dict unicode keys", {"clé": 1, "日本": 2, "": 3}),
        ("dict keys that are JS object names", {"__proto__": {"polluted": 1}, "constructor": 2,
                                                "toString": 3, "hasOwnProperty": 4}),
        ("deep lists (60)", nested_lists(60)),
        ("deep dicts (40)", nested_dicts(40)),
        ("top-level int", 5),
        ("top-level str", "just a string"),
        ("hello-like", ["hello", {
            "version": "6.5.5", "encodings": ["rgb", "png", "jpeg", "webp", "h264"],
            "encoding.core": ["rgb24", "rgb32", "png"], "desktop_size": [1920, 1080],
            "dpi": 96, "uuid": "0123456789abcdef", "compressors": ["lz4"], "chunks": True,
            "ping-time": 2**41 + 17, "screen_sizes": [[":0.0", 1920, 1080, 508, 285, [], 0, 0]],
            "build": {"revision": 0, "local-modifications": 0, "date": "2026-12-06"},
        }]),
        ("draw-like", ["draw", 1, 0, 0, 640, 480, "png", rng.randbytes(50000), 7, 2560,
                       {"flush": 0, "lz4": 1}]),
    ]
    if has_float:
        cases += [
            ("floats exact in float32", [0.5, -2.25, 1024.0, 0.0, -0.0, 1.0]),
            ("floats inexact in float32", [1.1, 3.141592653589793, 1e300, -1e-300, 5e-324, 1e-40]),
            ("floats special", [float("inf"), float("-inf"), float("nan")]),
            ("float top-level", 2.5),
        ]
    if has_none:
        cases += [("none", None), ("none in containers", [None, {"k": None}, [None]]),
                  ("dict none key", {None: 1, "b": 2})]
    if bytes_keys:
        cases += [("dict bytes keys", {b"key": 1, b"other": b"v"})]
    refused = []
    if codec == "bencode":
        refused += [("refused none", None), ("refused float", 1.5), ("refused float in list", [1, 0.5])]
    else:
        # MAX_INT_LENGTH: 64 characters or more are refused by rencode and rencodeplus alike
        refused += [("refused 64-character int", 10**63), ("refused -10**62", -(10**62))]
    return [(n, v, False) for n, v in cases] + [(n, v, True) for n, v in refused]


# --- commands ----------------------------------------------------------------------------------

def cmd_corpus(codec):
    dumps, loads = reference(codec)
    out = []
    for name, value, must_refuse in corpus(codec):
        case = {"name": name, "value": tag(value), "mustRefuse": must_refuse}
        try:
            wire = dumps(value)
        except Exception as e:  # noqa: BLE001 - any refusal counts
            case["refused"] = f"{type(e).__name__}: {e}"[:200]
        else:
            case["wire"] = base64.b64encode(wire).decode()
            case["loaded"] = tag(loads(wire))
        out.append(case)
    return {"xpra": xpra.__version__, "codec": codec, "cases": out}


def cmd_check(codec):
    dumps, loads = reference(codec)
    originals = {name: value for name, value, _ in corpus(codec)}
    results = []
    for item in json.load(sys.stdin):
        name = item["name"]
        ts_wire = base64.b64decode(item["wire"])
        result = {"name": name}
        try:
            expected = loads(dumps(originals[name]))
            got = loads(ts_wire)
            result["valueEqual"] = same(got, expected)
            result["reencodedEqual"] = dumps(got) == ts_wire
        except Exception as e:  # noqa: BLE001 - reported, the TypeScript side fails the case
            result["error"] = f"{type(e).__name__}: {e}"[:300]
        results.append(result)
    return {"xpra": xpra.__version__, "codec": codec, "results": results}


def frame_packets(rng, lz4_level, compression):
    """Packets as Xpra's server code hands them to Protocol.encode, and what a reader must get."""
    Compressed, LevelCompressed = compression.Compressed, compression.LevelCompressed
    pixels = rng.randbytes(200_000)
    icon = rng.randbytes(40_000)
    text = ("clipboard text " * 4000).encode()
    flag, ctext = compression.get_compressor("lz4")(text, lz4_level)
    large = bytes(rng.randrange(4) for _ in range(30_000))  # compressible, over LARGE_PACKET_SIZE
    caps = {"version": xpra.__version__, "encodings": ["rgb", "png", "jpeg"], "chunks": True,
            "filler": ["capability-%i" % i for i in range(200)]}
    return [
        # (packet for encode, packet a reader gets)
        (["hello", caps], ["hello", caps]),
        (["ping", 123456789], ["ping", 123456789]),
        # pixels: a Compressed item goes out as a raw chunk, not compressed by the record layer
        (["draw", 1, 0, 0, 250, 200, "rgb32", Compressed("pixels", pixels), 7, 1000, {"lz4": 1}],
         ["draw", 1, 0, 0, 250, 200, "rgb32", pixels, 7, 1000, {"lz4": 1}]),
        # a LevelCompressed item: a raw chunk the record layer inflates (lz4 level flag)
        (["clipboard-contents", 3, "CLIPBOARD", "UTF8_STRING", 8, "bytes",
          LevelCompressed("text", ctext, flag, "lz4", False)],
         ["clipboard-contents", 3, "CLIPBOARD", "UTF8_STRING", 8, "bytes", text]),
        # two raw chunks before one main packet
        (["window-icon", 2, 64, 64, "png", Compressed("icon", icon), Compressed("pixels", pixels)],
         ["window-icon", 2, 64, 64, "png", icon, pixels]),
        # a large plain bytes item: the record layer lz4-compresses it into its own chunk
        (["sound-data", "opus", large, {"sequence": 1}], ["sound-data", "opus", large, {"sequence": 1}]),
        (["startup-complete"], ["startup-complete"]),
    ]


def encode_stream(codec, packets):
    """Runs this Xpra's own Protocol.encode and chunk-header code over the packets."""
    from xpra.net import compression, packet_encoding
    written = []
    if expected_version(codec) == "3.1":
        from xpra.net.protocol import Protocol
        p = Protocol.__new__(Protocol)
        p.send_aliases = {}
        p.cipher_out = None
        p.raw_write = lambda packet_type, items, *args: written.extend(items)
        p.make_chunk_header = p.make_xpra_header
        p.make_frame_header = p.noframe_header
        p._encoder = packet_encoding.get_encoder(codec)
    else:
        from xpra.net.protocol.socket_handler import SocketProtocol
        p = SocketProtocol.__new__(SocketProtocol)
        p.chunks = True
        p.cipher_out_name = None
        p.raw_write = lambda items, packet_type="", *args: written.extend(items)
        p.make_chunk_header = p.make_xpra_header
        p.make_frame_header = p.noframe_header
        p._encoder = packet_encoding.get_encoder(codec)
    p.encoder = codec
    p.compression_level = 3
    p._compress = compression.get_compressor("lz4")
    p.output_stats = {}
    p.large_packets = ["hello", "sound-data", b"hello", b"sound-data"]
    p._closed = False
    for packet in packets:
        chunks = p.encode(packet)
        if expected_version(codec) == "3.1":
            p._add_chunks_to_queue(packet[0], chunks)
        else:
            p._add_chunks_to_queue(packet[0], chunks, synchronous=True, more=False)
    return b"".join(bytes(x) for x in written)


def cmd_frames(codec):
    from xpra.net import compression, packet_encoding
    if expected_version(codec) == "6.5":
        packet_encoding.init_encoders(codec)
        compression.init_compressors("lz4")
    rng = random.Random(6)
    pairs = frame_packets(rng, 3, compression)
    stream = encode_stream(codec, [sent for sent, _ in pairs])
    dumps, loads = reference(codec)
    # What Xpra's decoder makes of each packet once its chunks are back in place: the raw chunk
    # bytes replace the placeholder as bytes, everything else as the codec reads it back.
    expected = []
    for _, got in pairs:
        loaded = list(loads(dumps(got)))
        for i, item in enumerate(got):
            if isinstance(item, bytes) and len(item) > 4096:
                loaded[i] = item
        expected.append(tag(loaded))
    return {"xpra": xpra.__version__, "codec": codec,
            "stream": base64.b64encode(stream).decode(), "packets": expected}


def cmd_lz4():
    if expected_version_of_running() == "6.5":
        from xpra.net.lz4.lz4 import compress as xcompress

        def compressors():
            for level in (1, 3, 5, 9):
                yield f"xpra.net.lz4 level {level}", lambda d, level=level: bytes(xcompress(d, level))
    else:
        import lz4.block

        def compressors():
            # the three modes 3.1's lz4_block_compress uses
            yield "fast (level<=3)", lambda d: lz4.block.compress(d, mode="fast", acceleration=4)
            yield "default", lambda d: lz4.block.compress(d)
            yield "high_compression (level>=7)", lambda d: lz4.block.compress(d, mode="high_compression", compression=9)
    rng = random.Random(4)
    inputs = [
        ("empty", b""),
        ("one byte", b"x"),
        ("short text", b"hello hello hello hello"),
        ("literal run of 15", bytes(range(15))),
        ("literal run of 270", rng.randbytes(270)),
        ("run of one byte (offset 1 overlap)", b"a" * 5000),
        ("period 3 (offset 3 overlap)", b"abc" * 3000),
        ("long match lengths", b"0123456789abcdef" * 20000),
        ("text", ("The quick brown fox jumps over the lazy dog. " * 3000).encode()),
        ("random 64 KiB", rng.randbytes(65536)),
        ("pixels-like 1 MiB", bytes((i // 7 + (i >> 12)) & 0xff for i in range(MIB))),
        ("random 1 MiB", rng.randbytes(MIB)),
    ]
    out = []
    for cname, compress in compressors():
        for name, data in inputs:
            out.append({"name": f"{cname}: {name}", "original": base64.b64encode(data).decode(),
                        "payload": base64.b64encode(compress(data)).decode()})
    return {"xpra": xpra.__version__, "cases": out}


def expected_version_of_running():
    return "6.5" if xpra.__version__.startswith("6.") else "3.1"


def main():
    command = sys.argv[1]
    codec = sys.argv[2] if len(sys.argv) > 2 else None
    if codec and not xpra.__version__.startswith(expected_version(codec)):
        raise SystemExit(f"{codec} is checked against Xpra {expected_version(codec)}, "
                         f"this Python has Xpra {xpra.__version__}")
    if command == "corpus":
        result = cmd_corpus(codec)
    elif command == "check":
        result = cmd_check(codec)
    elif command == "frames":
        result = cmd_frames(codec)
    elif command == "lz4":
        result = cmd_lz4()
    else:
        raise SystemExit(f"unknown command {command}")
    json.dump(result, sys.stdout)


if __name__ == "__main__":
    main()
