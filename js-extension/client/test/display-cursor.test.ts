/**
 * Cursor packets from 3.1 and 6.5 (legacy "cursor") and 6.x's "cursor-data"/"cursor-default":
 * one shape, bounded, the default cursor for anything odd.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { bgraToRgba, readCursor } from "../src/display/cursor.js";
import type { Value } from "../src/protocol/values.js";

const png = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 1, 2, 3]);

test("3.1/6.5 legacy cursor packets: png and raw", () => {
  const enc = new TextEncoder();
  // 3.1 sends the encoding as bytes.
  const c = readCursor(["cursor", enc.encode("png"), 10, 20, 24, 32, 3, 4, 77, png, enc.encode("left_ptr")]);
  assert.deepEqual(c, { encoding: "png", w: 24, h: 32, xhot: 3, yhot: 4, pixels: png });
  const raw = new Uint8Array(2 * 2 * 4).fill(9);
  assert.equal(readCursor(["cursor", "raw", 0, 0, 2, 2, 1, 1, 5, raw, "x"])?.encoding, "raw");
});

test("6.x cursor-data and cursor-default", () => {
  assert.deepEqual(readCursor(["cursor-data", "png", 16, 16, 0, 0, 1, png, "xterm"]), { encoding: "png", w: 16, h: 16, xhot: 0, yhot: 0, pixels: png });
  assert.equal(readCursor(["cursor-default"]), null);
  assert.equal(readCursor(["cursor", ""]), null);
});

test("odd or oversized cursors are the default cursor; other packets are not cursors", () => {
  const bad: Value[][] = [
    ["cursor", "png", 0, 0, 10000, 10000, 0, 0, 1, png, "big"],
    ["cursor", "raw", 0, 0, 4, 4, 0, 0, 1, new Uint8Array(10), "short"],
    ["cursor", "svg", 0, 0, 4, 4, 0, 0, 1, png, "svg"],
    ["cursor", "png", 0, 0, 4, 4, 0, 0, 1, "not bytes", "str"],
    ["cursor", "png", 0, 0, 0, 4, 0, 0, 1, png, "zero"],
  ];
  for (const p of bad) assert.equal(readCursor(p), null, String(p[10]));
  // The hot spot is kept inside the image.
  assert.deepEqual(readCursor(["cursor", "png", 0, 0, 8, 8, 500, -3, 1, png, "hot"])?.xhot, 7);
  assert.equal(readCursor(["draw", 1]), undefined);
});

test("BGRA to RGBA", () => {
  assert.deepEqual([...bgraToRgba(new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8]))], [3, 2, 1, 4, 7, 6, 5, 8]);
});
