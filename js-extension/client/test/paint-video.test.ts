/**
 * Video from both Xpra versions' own encoders (x264, vpx) decoded by WebCodecs in Debian's
 * chromium: a key frame and two frames after it, each checked on the screen; a delta frame
 * without its key frame, a truncated and a corrupt key frame end as error results, the worker
 * lives on, and the next key frame paints.
 */
import { strict as assert } from "node:assert";
import { describe, test } from "node:test";
import { addWindow, distance, draw, painterPage, results, shot, type Result } from "./helpers/paint/harness.js";
import { drawOf, picture, quadrantPoints, type Picture, type XpraVersion } from "./helpers/paint/pictures.js";

// Lossy video through YUV 4:2:0 and back: flat quadrants stay within this of the source colours.
const TOLERANCE = 40;

const chromium = painterPage();
let seen = 0;

/** Draws one picture, waits for its result, returns it. */
async function drawOne(v: XpraVersion, p: Picture, wid: number, seq: number, override: Partial<Picture> = {}): Promise<Result> {
  await draw(chromium.page, drawOf(v, { ...p, ...override }, wid, seq));
  const all = await results(chromium.page, ++seen);
  const r = all.find((x) => x.wid === wid && x.sequence === seq);
  assert.ok(r, `a result for window ${wid} sequence ${seq}`);
  return r;
}

async function assertShows(p: Picture, left: number, top: number, what: string): Promise<void> {
  const px = await shot(chromium.page, left, top, p.width, p.height);
  quadrantPoints(p).forEach(([x, y], i) => {
    const got = px.at(x, y);
    assert.ok(distance(got, p.colours[i]!) <= TOLERANCE, `${what} at ${x},${y}: got ${got.join(",")}, want ${p.colours[i]!.join(",")}`);
  });
}

/** Offset of the IDR slice's NAL header in an Annex-B stream, -1 if none. */
function idrOffset(b: Uint8Array): number {
  for (let i = 0; i + 3 < b.length; i++) {
    if (b[i] === 0 && b[i + 1] === 0 && b[i + 2] === 1 && (b[i + 3]! & 0x1f) === 5) return i + 3;
  }
  return -1;
}

let nextWid = 1;
const place = (wid: number): [number, number] => [((wid - 1) % 10) * 70, Math.floor((wid - 1) / 10) * 60];

for (const v of ["6.5", "3.1"] as XpraVersion[]) {
  for (const coding of ["h264", "vp8", "vp9"]) {
    describe(`Xpra ${v} ${coding}`, () => {
      test("a key frame and the two frames after it paint in turn", async () => {
        const wid = nextWid++;
        const [left, top] = place(wid);
        assert.equal(await addWindow(chromium.page, wid, 64, 48, left, top), "");
        for (let i = 0; i < 3; i++) {
          const p = picture(v, `${coding}-${i}`);
          const r = await drawOne(v, p, wid, 10 + i);
          assert.equal(r.error, "", `frame ${i}`);
          assert.ok(r.decodeMicros >= 0);
          await assertShows(p, left, top, `frame ${i}`);
        }
      });

      test("errors: delta without key frame, truncated and corrupt key frames; then a key frame paints", async () => {
        const wid = nextWid++;
        const [left, top] = place(wid);
        assert.equal(await addWindow(chromium.page, wid, 64, 48, left, top), "");
        const key = picture(v, `${coding}-0`);
        const delta = picture(v, `${coding}-1`);
        let r = await drawOne(v, delta, wid, 1);
        assert.match(r.error, /key frame/);
        assert.equal(r.decodeMicros, -1);
        const bytes = Buffer.from(key.data, "base64");
        // Cut inside the picture data: for H.264 inside the IDR slice (x264 puts a long SEI before
        // it), so the decoder, not the key frame check, meets the damage.
        const idr = coding === "h264" ? idrOffset(bytes) : 0;
        assert.ok(idr >= 0, "the key frame has an IDR slice");
        const cut = idr + Math.floor((bytes.length - idr) / 3);
        const truncated = bytes.subarray(0, cut).toString("base64");
        r = await drawOne(v, key, wid, 2, { data: truncated });
        const truncatedError = r.error;
        // Keep the headers a decoder reads to configure itself, scramble the picture after them.
        const corrupt = Buffer.from(bytes);
        for (let i = cut; i < corrupt.length; i++) corrupt[i] = (i * 37) & 0xff;
        r = await drawOne(v, key, wid, 3, { data: corrupt.toString("base64") });
        const corruptError = r.error;
        assert.match(truncatedError, /decoder/, "a truncated key frame is reported by the decoder");
        assert.match(corruptError, /decoder/, "a corrupt key frame is reported by the decoder");
        r = await drawOne(v, key, wid, 4);
        assert.equal(r.error, "", "the next key frame decodes");
        await assertShows(key, left, top, "key frame after the errors");
        r = await drawOne(v, delta, wid, 5);
        assert.equal(r.error, "");
        await assertShows(delta, left, top, "delta after the recovery");
        console.log(`# ${v} ${coding}: truncated key frame -> '${truncatedError}', corrupt -> '${corruptError}'`);
      });
    });
  }
}
