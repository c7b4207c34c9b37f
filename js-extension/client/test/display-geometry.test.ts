/**
 * The device-pixel maths: the page's size and DPI sent to Xpra, CSS positions of canvases,
 * pointer positions scaled back, canvas sizes capped to what the page can show.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { canvasSize, deviceSize, dpiFor, DISPLAY_LIMITS, screenSizes, toCss, toDevice } from "../src/display/geometry.js";

test("the page in device pixels at ratios 1, 1.25, 2 and a hostile one", () => {
  assert.deepEqual(deviceSize(1280, 800, 1), { w: 1280, h: 800 });
  assert.deepEqual(deviceSize(1280, 800, 1.25), { w: 1600, h: 1000 });
  assert.deepEqual(deviceSize(1000.5, 700, 2), { w: 2001, h: 1400 });
  assert.deepEqual(deviceSize(0, -5, 2), { w: 1, h: 1 });
  assert.deepEqual(deviceSize(1e9, NaN, NaN), { w: DISPLAY_LIMITS.maxCanvasSide, h: 1 });
});

test("DPI is 96 per device pixel ratio", () => {
  assert.equal(dpiFor(1), 96);
  assert.equal(dpiFor(1.5), 144);
  assert.equal(dpiFor(2), 192);
  assert.equal(dpiFor(Infinity), 96);
});

test("device to CSS and back", () => {
  assert.equal(toCss(1600, 1.25), 1280);
  assert.equal(toDevice(1280, 1.25), 1600);
  assert.equal(toDevice(10.3, 2), 21);
  for (const r of [1, 1.25, 1.5, 2, 3]) {
    for (const d of [0, 1, 17, 999, 1921]) assert.equal(toDevice(toCss(d, r), r), d, `ratio ${r}, ${d}`);
  }
});

test("screen_sizes: one screen, one monitor covering the page, millimetres at the DPI", () => {
  assert.deepEqual(screenSizes({ w: 1920, h: 1080 }, 192), [
    ["HTML", 1920, 1080, 254, 143, [["Canvas", 0, 0, 1920, 1080, 254, 143]], 0, 0, 1920, 1080],
  ]);
});

test("a 10000x10000 window gets a canvas no larger than twice the page", () => {
  assert.deepEqual(canvasSize({ w: 10000, h: 10000 }, { w: 1600, h: 1000 }), { w: 3200, h: 2000 });
  assert.deepEqual(canvasSize({ w: 2000, h: 1200 }, { w: 1600, h: 1000 }), { w: 2000, h: 1200 });
  assert.deepEqual(canvasSize({ w: 300, h: 200 }, { w: 1600, h: 1000 }), { w: 300, h: 200 });
  assert.deepEqual(canvasSize({ w: 10000, h: 10000 }, { w: 20000, h: 20000 }), { w: DISPLAY_LIMITS.maxCanvasSide, h: DISPLAY_LIMITS.maxCanvasSide });
});
