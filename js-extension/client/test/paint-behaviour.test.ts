/**
 * How the paint worker behaves around the pictures: paints stay in arrival order when decodes do
 * not, scroll moves what is drawn, resize keeps it, corrupt pictures end as error results with the
 * worker alive, and hostile sizes are refused before anything is allocated (each refusal next to
 * a positive control that paints).
 */
import { strict as assert } from "node:assert";
import { test } from "node:test";
import { addWindow, call, distance, draw, painterPage, logs, resizeWindow, results, shot, type DrawSpec, type Result } from "./helpers/paint/harness.js";
import { makePng } from "./helpers/paint/makepng.js";
import { drawOf, picture, quadrantPoints } from "./helpers/paint/pictures.js";

const chromium = painterPage();
let seen = 0;

async function run(...specs: DrawSpec[]): Promise<Result[]> {
  await draw(chromium.page, ...specs);
  seen += specs.length;
  const all = await results(chromium.page, seen);
  return all.slice(seen - specs.length);
}

const b64 = (b: Uint8Array): { b64: string } => ({ b64: Buffer.from(b).toString("base64") });

/** An uncompressed rgb32 (BGRX) draw of one colour. */
function flat(wid: number, seq: number, x: number, y: number, w: number, h: number, rgb: number[]): DrawSpec {
  const px = Buffer.alloc(w * h * 4);
  for (let i = 0; i < w * h; i++) px.set([rgb[2]!, rgb[1]!, rgb[0]!, 255], i * 4);
  return { wid, x, y, width: w, height: h, coding: "rgb32", data: b64(px), sequence: seq, rowstride: w * 4, options: { rgb_format: "BGRX" } };
}

test("a slow decode followed by a fast one: answered and painted in arrival order", async () => {
  const W = 1600;
  const H = 1200;
  assert.equal(await addWindow(chromium.page, 1, W, H, 0, 0), "");
  // Noise decodes slowly; a small flat rgb draw over its corner is ready at once.
  let seed = 1;
  const noise = makePng(W, H, () => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return [seed & 0xff, (seed >> 8) & 0xff, (seed >> 16) & 0xff];
  });
  const slow: DrawSpec = { wid: 1, x: 0, y: 0, width: W, height: H, coding: "png", data: b64(noise), sequence: 1, rowstride: 0, options: {} };
  const r = await run(slow, flat(1, 2, 0, 0, 20, 20, [255, 0, 255]));
  assert.deepEqual(r.map((x) => [x.sequence, x.error]), [[1, ""], [2, ""]]);
  const px = await shot(chromium.page, 0, 0, 20, 20);
  assert.deepEqual(px.at(10, 10).slice(0, 3), [255, 0, 255], "the later draw is on top");
  await call(chromium.page, "removeWindow", 1);
});

test("scroll moves what is drawn; a move out of the window is refused", async () => {
  const p = picture("6.5", "rgb-plain"); // green, blue / white, red
  assert.equal(await addWindow(chromium.page, 2, 64, 48, 0, 0), "");
  let r = await run(drawOf("6.5", p, 2, 1));
  assert.equal(r[0]!.error, "");
  // The bottom half moves up by 24 rows.
  r = await run({ wid: 2, x: 0, y: 24, width: 64, height: 24, coding: "scroll", data: [[0, 24, 64, 24, 0, -24]], sequence: 2, rowstride: 0, options: {} });
  assert.equal(r[0]!.error, "");
  let px = await shot(chromium.page, 0, 0, 64, 48);
  const [tl, tr, bl, br] = quadrantPoints(p);
  assert.deepEqual(px.at(...tl!).slice(0, 3), p.colours[2], "bottom-left colour now top-left");
  assert.deepEqual(px.at(...tr!).slice(0, 3), p.colours[3], "bottom-right colour now top-right");
  assert.deepEqual(px.at(...bl!).slice(0, 3), p.colours[2]);
  assert.deepEqual(px.at(...br!).slice(0, 3), p.colours[3]);
  r = await run({ wid: 2, x: 0, y: 0, width: 64, height: 48, coding: "scroll", data: [[0, 0, 64, 24, 0, 40]], sequence: 3, rowstride: 0, options: {} });
  assert.match(r[0]!.error, /scroll/);
  px = await shot(chromium.page, 0, 0, 64, 48);
  assert.deepEqual(px.at(...tl!).slice(0, 3), p.colours[2], "the refused move painted nothing");
  await call(chromium.page, "removeWindow", 2);
});

test("resize keeps what is drawn, top-left anchored", async () => {
  const p = picture("6.5", "rgb-plain");
  assert.equal(await addWindow(chromium.page, 3, 64, 48, 0, 0), "");
  assert.equal((await run(drawOf("6.5", p, 3, 1)))[0]!.error, "");
  assert.equal(await resizeWindow(chromium.page, 3, 128, 96), "");
  // A draw in the new area proves the canvas grew.
  assert.equal((await run(flat(3, 2, 100, 70, 20, 20, [255, 255, 0])))[0]!.error, "");
  const px = await shot(chromium.page, 0, 0, 128, 96);
  quadrantPoints(p).forEach(([x, y], i) => assert.deepEqual(px.at(x, y).slice(0, 3), p.colours[i]));
  assert.deepEqual(px.at(110, 80).slice(0, 3), [255, 255, 0]);
  await call(chromium.page, "removeWindow", 3);
});

test("corrupt and truncated jpeg: error results, the worker lives, the next picture paints", async () => {
  const p = picture("6.5", "jpeg");
  assert.equal(await addWindow(chromium.page, 4, 64, 48, 0, 0), "");
  const bytes = Buffer.from(p.data, "base64");
  const garbage = Buffer.from(bytes);
  for (let i = 200; i < garbage.length; i++) garbage[i] = (i * 91) & 0xff;
  const r = await run(
    drawOf("6.5", { ...p, data: garbage.toString("base64") }, 4, 1),
    drawOf("6.5", { ...p, data: bytes.subarray(0, 150).toString("base64") }, 4, 2),
    drawOf("6.5", { ...p, data: Buffer.from("not a picture").toString("base64") }, 4, 3),
    drawOf("6.5", p, 4, 4),
  );
  assert.deepEqual(r.map((x) => x.sequence), [1, 2, 3, 4]);
  for (const x of r.slice(0, 3)) {
    assert.notEqual(x.error, "", `sequence ${x.sequence} is an error`);
    assert.equal(x.decodeMicros, -1);
  }
  assert.equal(r[3]!.error, "");
  const px = await shot(chromium.page, 0, 0, 64, 48);
  quadrantPoints(p).forEach(([x, y], i) => assert.ok(distance(px.at(x, y), p.colours[i]!) <= 12));
  await call(chromium.page, "removeWindow", 4);
});

test("hostile sizes are refused before allocation; the same draws at sane sizes paint", async () => {
  // Windows: 10000x10000 and a 16 Mpx+ window are refused on the chromium.page, an ordinary one is not.
  assert.match(await addWindow(chromium.page, 5, 10000, 10000, 0, 0), /limit/);
  assert.match(await addWindow(chromium.page, 6, 8192, 8192, 0, 0), /limit/);
  assert.match(String(await call(chromium.page, "resizeWindow", 7, 10000, 10000)), /limit/);
  assert.equal(await addWindow(chromium.page, 7, 64, 48, 0, 0), "");
  const rgb = picture("6.5", "rgb-plain");
  const jpeg = picture("6.5", "jpeg");
  // A jpeg whose header claims 60000x60000 (SOF0 height/width patched).
  const big = Buffer.from(jpeg.data, "base64");
  const sof = big.indexOf(Buffer.from([0xff, 0xc0]));
  assert.ok(sof > 0);
  big.writeUInt16BE(60000, sof + 5);
  big.writeUInt16BE(60000, sof + 7);
  // rgb lz4 whose size field claims 1 GiB.
  const bomb = Buffer.alloc(64);
  bomb.writeUInt32LE(1 << 30, 0);
  const r = await run(
    { ...flat(7, 1, 0, 0, 10000, 10000, [1, 2, 3]), data: b64(new Uint8Array(4)) }, // 10000x10000 draw, tiny data
    { ...flat(7, 2, 0, 0, 128, 96, [1, 2, 3]) }, // larger than its window
    drawOf("6.5", { ...jpeg, data: big.toString("base64") }, 7, 3),
    { ...drawOf("6.5", rgb, 7, 4), data: b64(bomb), options: { rgb_format: "BGRX", lz4: 1 } },
    { ...drawOf("6.5", rgb, 7, 5), rowstride: 1 << 30 },
    drawOf("6.5", rgb, 7, 6), // control: the real rgb
    drawOf("6.5", jpeg, 7, 7, 0, 0), // control: the real jpeg
  );
  assert.deepEqual(r.map((x) => x.sequence), [1, 2, 3, 4, 5, 6, 7]);
  assert.match(r[0]!.error, /limit|larger/);
  assert.match(r[1]!.error, /larger than its window/);
  assert.match(r[2]!.error, /60000x60000 does not fit/);
  assert.match(r[3]!.error, /lz4/);
  assert.match(r[4]!.error, /rowstride/);
  assert.deepEqual([r[5]!.error, r[6]!.error], ["", ""]);
  const px = await shot(chromium.page, 0, 0, 64, 48);
  quadrantPoints(jpeg).forEach(([x, y], i) => assert.ok(distance(px.at(x, y), jpeg.colours[i]!) <= 12));
  await call(chromium.page, "removeWindow", 7);
});

test("unknown window and unknown encoding: error results, not exceptions", async () => {
  assert.equal(await addWindow(chromium.page, 8, 64, 48, 0, 0), "");
  const r = await run(flat(99, 1, 0, 0, 8, 8, [0, 0, 0]), { ...flat(8, 2, 0, 0, 8, 8, [0, 0, 0]), coding: "avif" }, flat(8, 3, 0, 0, 8, 8, [0, 0, 0]));
  assert.match(r[0]!.error, /no window 99/);
  assert.match(r[1]!.error, /unsupported encoding/);
  assert.equal(r[2]!.error, "");
  // Nothing escaped: no uncaught page or worker error, no internal error logged by the worker.
  assert.deepEqual(chromium.session.pageErrors.filter((e) => e.startsWith("pageerror")), []);
  assert.deepEqual(await logs(chromium.page), []);
});
