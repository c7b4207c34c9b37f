/**
 * Xpra's cursor packets, read into one shape (DOM-free, so tested under Node).
 *
 * 3.1, and 6.5 while its backwards-compatible cursors are on (the default):
 *   ["cursor", encoding, x, y, w, h, xhot, yhot, serial, pixels, name, …]; ["cursor", ""] or a
 *   short packet means the default cursor.
 * 6.x without it: ["cursor-data", encoding, w, h, xhot, yhot, serial, pixels, name] and
 *   ["cursor-default"].
 * We ask for "png" (see capabilities.ts); "raw" (BGRA, 4 bytes a pixel) is read too. A cursor
 * larger than the limit, or whose bytes do not match, is the default cursor.
 */
import type { Value } from "../protocol/values.js";
import { DISPLAY_LIMITS } from "./geometry.js";
import { bytes, int, text } from "./read.js";

export type CursorImage = {
  encoding: "png" | "raw";
  w: number;
  h: number;
  xhot: number;
  yhot: number;
  pixels: Uint8Array;
};

/** What to show: an image, or `null` for the default cursor. `undefined`: not a cursor packet. */
export function readCursor(items: readonly Value[]): CursorImage | null | undefined {
  const type = items[0];
  if (type === "cursor-default") return null;
  let at: number;
  if (type === "cursor") {
    if (items.length < 10) return null;
    at = 4;
  } else if (type === "cursor-data") {
    if (items.length < 8) return null;
    at = 2;
  } else {
    return undefined;
  }
  const encoding = text(items[1]);
  if (encoding !== "png" && encoding !== "raw") return null;
  const max = DISPLAY_LIMITS.maxCursorSide;
  const w = int(items[at], 0, 0, 1 << 16);
  const h = int(items[at + 1], 0, 0, 1 << 16);
  if (w < 1 || h < 1 || w > max || h > max) return null;
  const xhot = int(items[at + 2], 0, 0, w - 1);
  const yhot = int(items[at + 3], 0, 0, h - 1);
  const pixels = bytes(items[at + 5]);
  if (!pixels || pixels.length === 0) return null;
  if (encoding === "raw" && pixels.length !== w * h * 4) return null;
  if (encoding === "png" && pixels.length > 4 * max * max) return null;
  return { encoding, w, h, xhot, yhot, pixels };
}

/** BGRA (Xpra's raw cursor pixels) to RGBA, for ImageData. */
export function bgraToRgba(bgra: Uint8Array): Uint8ClampedArray<ArrayBuffer> {
  const out = new Uint8ClampedArray(bgra.length);
  for (let i = 0; i + 3 < bgra.length; i += 4) {
    out[i] = bgra[i + 2]!;
    out[i + 1] = bgra[i + 1]!;
    out[i + 2] = bgra[i]!;
    out[i + 3] = bgra[i + 3]!;
  }
  return out;
}
