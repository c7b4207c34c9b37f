/**
 * The paint layer's pure parts under Node, on real output of both Xpra versions' encoders: key
 * frame and codec detection, picture header sizes, rgb decoding and its refusals, and the hello
 * capabilities without WebCodecs (Node has none, as an insecure page has none).
 */
import { strict as assert } from "node:assert";
import { describe, test } from "node:test";
import { frameInfo } from "../src/paint/bitstream.js";
import { pictureCapabilities } from "../src/paint/capabilities.js";
import { imageSize } from "../src/paint/imagesize.js";
import { decodeRgb, type RgbInput } from "../src/paint/rgb.js";
import { picture, type XpraVersion } from "./helpers/paint/pictures.js";

const bytes = (b64: string): Uint8Array => new Uint8Array(Buffer.from(b64, "base64"));

for (const v of ["6.5", "3.1"] as XpraVersion[]) {
  describe(`Xpra ${v} encoder output`, () => {
    for (const coding of ["h264", "vp8", "vp9"]) {
      test(`${coding}: the first frame is a key frame with a codec string, the others are not`, () => {
        const infos = [0, 1, 2].map((i) => frameInfo(coding, bytes(picture(v, `${coding}-${i}`).data)));
        assert.equal(infos[0]!.key, true);
        const want = { h264: /^avc1\.[0-9a-f]{6}$/, vp8: /^vp8$/, vp9: /^vp09\.00\.10\.08$/ }[coding]!;
        assert.match(infos[0]!.codec, want);
        assert.deepEqual(infos.slice(1), [{ key: false, codec: "" }, { key: false, codec: "" }]);
      });
    }

    test("h264 codec string is the stream's own profile and level", () => {
      const p = picture(v, "h264-0");
      const info = frameInfo("h264", bytes(p.data));
      // x264 says which profile it used (6.5 in the options); high is 0x64.
      if (p.options["profile"] === "high") assert.match(info.codec, /^avc1\.64/);
      assert.ok(/^avc1\.(42|4d|64|f4)/.test(info.codec), info.codec);
    });

    for (const coding of ["jpeg", "png", "webp"]) {
      test(`${coding}: header size read before decoding`, () => {
        const p = picture(v, coding);
        assert.deepEqual(imageSize(coding, bytes(p.data)), [p.width, p.height]);
        assert.equal(imageSize(coding, bytes(p.data).subarray(0, 10)), null);
      });
    }

    test("rgb32 with lz4 decodes to the encoder's pattern", () => {
      const p = picture(v, "rgb-lz4");
      const r = decodeRgb({ coding: p.coding, data: bytes(p.data), width: p.width, height: p.height, rowstride: p.rowstride, format: String(p.options["rgb_format"]), lz4: Number(p.options["lz4"]) > 0, otherCompression: "" });
      assert.equal(r.error, "");
      const at = (x: number, y: number): number[] => Array.from(r.pixels!.subarray((y * p.width + x) * 4, (y * p.width + x) * 4 + 4));
      assert.deepEqual(at(0, 0), [...p.colours[0]!, 255]);
      assert.deepEqual(at(63, 0), [...p.colours[1]!, 255]);
      assert.deepEqual(at(0, 47), [...p.colours[2]!, 255]);
      assert.deepEqual(at(63, 47), [...p.colours[3]!, 255]);
    });
  });
}

describe("rgb refusals, each beside a control that decodes", () => {
  const ok: RgbInput = { coding: "rgb24", data: new Uint8Array([1, 2, 3, 4, 5, 6, 0, 0, 7, 8, 9, 10, 11, 12]), width: 2, height: 2, rowstride: 8, format: "RGB", lz4: false, otherCompression: "" };
  test("control: padded rgb24 rows", () => {
    const r = decodeRgb(ok);
    assert.equal(r.error, "");
    assert.deepEqual(Array.from(r.pixels!), [1, 2, 3, 255, 4, 5, 6, 255, 7, 8, 9, 255, 10, 11, 12, 255]);
  });
  const cases: Array<[string, Partial<RgbInput>, RegExp]> = [
    ["short data", { data: ok.data.subarray(0, 13) }, /needs 14/],
    ["rowstride below a row", { rowstride: 5 }, /rowstride/],
    ["rowstride far beyond a row", { rowstride: 4096 }, /rowstride/],
    // (a 4-byte format under "rgb24" is what Xpra 3.1 sends: paint-rgb31.test.ts)
    ["4-byte format with too little data for it", { format: "BGRX" }, /needs 16/],
    ["unknown format", { format: "r210" }, /unknown rgb_format/],
    ["zlib (never offered)", { otherCompression: "zlib" }, /zlib/],
    ["lz4 flag on raw data", { lz4: true }, /lz4/],
  ];
  for (const [name, change, want] of cases) {
    test(name, () => {
      const r = decodeRgb({ ...ok, ...change });
      assert.equal(r.pixels, null);
      assert.match(r.error, want);
    });
  }
});

describe("pictureCapabilities without WebCodecs", () => {
  test("3.1: flat encoding.* keys, pictures only, the preference as given", async () => {
    const c = await pictureCapabilities({ xpraMajor: 3, video: true, encoding: "jpeg" });
    assert.equal(c["encoding"], "jpeg");
    assert.deepEqual(c["encodings"], ["jpeg", "png", "webp", "rgb", "rgb24", "rgb32", "scroll", "void"]);
    assert.deepEqual(c["encodings.core"], c["encodings"]);
    assert.equal(c["encoding.rgb_lz4"], true);
    assert.equal(c["encoding.transparency"], true);
    assert.ok(!("encoding.h264.YUV420P.profile" in c));
  });
  test("6.x: nested encodings and encoding dictionaries", async () => {
    const c = (await pictureCapabilities({ xpraMajor: 6, video: true, encoding: "auto" })) as Record<string, Record<string, unknown>>;
    assert.deepEqual(Object.keys(c).sort(), ["encoding", "encodings"]);
    assert.deepEqual(c["encodings"]![""], ["jpeg", "png", "webp", "rgb", "rgb24", "rgb32", "scroll", "void"]);
    assert.equal(c["encoding"]![""], "auto");
    assert.equal(c["encoding"]!["rgb_lz4"], true);
    assert.ok(!("h264" in c["encoding"]!));
  });
});
