/**
 * Issue 21, the scroll on Xpra 3.1: the small strips Xpra sends around a `scroll` draw are
 * "rgb24" draws, and Xpra 3.1's rgb_encode (xpra/server/picture_encode.py) keeps that coding name
 * when the screen's own pixel format (BGRX) is one the client accepts: 4-byte pixels under
 * "rgb24", with rgb_format "BGRX". The worker refused them ("rgb_format BGRX does not match
 * rgb24"), and 3.1 answered every refused draw with a lossless repaint of the whole window,
 * which also reset its scroll detection: 330 decode errors in 33 s of scrolling, 18.8 frames/s
 * against Debian's client's 31.8 (bench/own_ab.py). Here the draws come from 3.1's own encoder.
 */
import { strict as assert } from "node:assert";
import { execFileSync } from "node:child_process";
import { describe, test } from "node:test";
import { decodeRgb, RGB_FORMATS } from "../src/paint/rgb.js";
import { PYTHON_31 } from "./helpers/python.js";

// 3.1's rgb_encode on a 7x3 BGRX image (rowstride 28, pixel (x, y) = B x, G y, R 200), as
// window_source.rgb_encode calls it for our hello (our rgb formats, transparency, lz4 on).
const ENCODE_31 = `
import base64, json, sys
from xpra.codecs.image_wrapper import ImageWrapper
from xpra.server.picture_encode import rgb_encode
args = json.load(sys.stdin)
w, h = 7, 3
px = bytes(v for y in range(h) for x in range(w) for v in (x, y, 200, 0))
img = ImageWrapper(0, 0, w, h, px, "BGRX", 24, w * 4, 4)
coding, data, opts, ow, oh, stride, depth = rgb_encode(args["coding"], img, args["formats"], True, args["speed"], False, True)
raw = data.data if hasattr(data, "data") else data
print(json.dumps({"coding": coding, "data": base64.b64encode(bytes(raw)).decode(), "options": {k: (v.decode() if isinstance(v, bytes) else v) for k, v in opts.items()}, "width": ow, "height": oh, "rowstride": stride}))
`;

interface Encoded { coding: string; data: string; options: Record<string, unknown>; width: number; height: number; rowstride: number }

function encode31(coding: string, speed: number): Encoded {
  const out = execFileSync(PYTHON_31, ["-c", ENCODE_31], {
    input: JSON.stringify({ coding, speed, formats: [...RGB_FORMATS] }),
    stdio: ["pipe", "pipe", "pipe"],
  });
  return JSON.parse(out.toString("utf8")) as Encoded;
}

describe("Xpra 3.1 rgb draws as its rgb_encode sends them to our hello", () => {
  for (const speed of [100, 0]) {
    test(`rgb24 of a BGRX screen (speed ${speed}) decodes to the screen's pixels`, () => {
      const e = encode31("rgb24", speed);
      // what 3.1 sends: the coding name kept, the pixels left as BGRX
      assert.equal(e.coding, "rgb24");
      assert.equal(e.options["rgb_format"], "BGRX");
      assert.equal(e.rowstride, 28);
      const r = decodeRgb({
        coding: e.coding,
        data: new Uint8Array(Buffer.from(e.data, "base64")),
        width: e.width,
        height: e.height,
        rowstride: e.rowstride,
        format: String(e.options["rgb_format"]),
        lz4: Number(e.options["lz4"] ?? 0) > 0,
        otherCompression: "",
      });
      assert.equal(r.error, "");
      const at = (x: number, y: number): number[] => Array.from(r.pixels!.subarray((y * 7 + x) * 4, (y * 7 + x) * 4 + 4));
      assert.deepEqual(at(0, 0), [200, 0, 0, 255]);
      assert.deepEqual(at(6, 0), [200, 0, 6, 255]);
      assert.deepEqual(at(3, 2), [200, 2, 3, 255]);
    });
  }
});
