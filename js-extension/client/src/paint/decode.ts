/**
 * Turns one draw into a paint operation, asynchronously and in any order; the window's queue
 * (worker.ts) applies the operations in arrival order. Every size is checked before the memory it
 * implies is allocated.
 */
import type { Value } from "../protocol/values.js";
import { imageSize } from "./imagesize.js";
import { regionError } from "./limits.js";
import { flag, int, text } from "./options.js";
import { decodeRgb } from "./rgb.js";
import type { DrawRequest } from "./types.js";
import type { VideoStream } from "./video.js";

export type PaintOp =
  | { kind: "bitmap"; bitmap: ImageBitmap }
  | { kind: "pixels"; image: ImageData }
  | { kind: "frame"; frame: VideoFrame; paint: boolean }
  | { kind: "scroll"; moves: Array<[sx: number, sy: number, w: number, h: number, dx: number, dy: number]> }
  | { kind: "none" };

const MIME: Record<string, string> = { jpeg: "image/jpeg", png: "image/png", webp: "image/webp" };

/** Releases what an operation holds (a bitmap or a frame) without painting it. */
export function disposeOp(op: PaintOp): void {
  if (op.kind === "bitmap") op.bitmap.close();
  else if (op.kind === "frame") op.frame.close();
}

function bytes(v: Value): Uint8Array {
  if (v instanceof Uint8Array) return v;
  throw new Error(`draw data is not bytes`);
}

export interface WindowView {
  width: number;
  height: number;
  /** The window's video stream for `coding`, created or replaced as needed. */
  video(coding: string): VideoStream;
  endVideo(): void;
}

export async function decodeDraw(req: DrawRequest, coding: string, win: WindowView): Promise<PaintOp> {
  const o = req.options;
  if (coding === "void") return { kind: "none" };
  if (coding === "eos") {
    win.endVideo();
    return { kind: "none" };
  }
  if (coding === "scroll") return { kind: "scroll", moves: scrollMoves(req.data, win) };
  const region = regionError(req.x, req.y, req.width, req.height, win.width, win.height);
  if (region) throw new Error(region);
  const data = bytes(req.data);
  const mime = MIME[coding];
  if (mime !== undefined) {
    const size = imageSize(coding, data);
    if (size === null) throw new Error(`${coding}: no readable header`);
    // Xpra may send a picture scaled down, never up: a larger header is refused before decoding.
    if (size[0] < 1 || size[1] < 1 || size[0] > req.width || size[1] > req.height) {
      throw new Error(`${coding}: picture ${size[0]}x${size[1]} does not fit its ${req.width}x${req.height} draw`);
    }
    const bitmap = await createImageBitmap(new Blob([data as Uint8Array<ArrayBuffer>], { type: mime }), {
      premultiplyAlpha: "none",
      colorSpaceConversion: "none",
    });
    return { kind: "bitmap", bitmap };
  }
  if (coding === "rgb24" || coding === "rgb32") {
    const other = ["zlib", "lzo", "brotli"].find((k) => int(o.get(k), 0) > 0) ?? "";
    const r = decodeRgb({
      coding,
      data,
      width: req.width,
      height: req.height,
      rowstride: req.rowstride,
      format: text(o.get("rgb_format")),
      lz4: int(o.get("lz4"), 0) > 0,
      otherCompression: other,
    });
    if (r.pixels === null) throw new Error(r.error);
    return { kind: "pixels", image: new ImageData(r.pixels, req.width, req.height) };
  }
  if (coding === "h264" || coding === "vp8" || coding === "vp9") {
    if (typeof VideoDecoder === "undefined") throw new Error(`${coding}: no WebCodecs in this browser`);
    const frame = await win.video(coding).decode(data);
    return { kind: "frame", frame, paint: flag(o.get("paint"), true) };
  }
  throw new Error(`unsupported encoding ${JSON.stringify(coding.slice(0, 32))}`);
}

/** [[sx, sy, w, h, dx, dy], ...], every rectangle inside the window before and after the move. */
function scrollMoves(v: Value, win: WindowView): Array<[number, number, number, number, number, number]> {
  if (!Array.isArray(v) || v.length > 4096) throw new Error("scroll: data is not a list of moves");
  return v.map((m) => {
    if (!Array.isArray(m) || m.length !== 6) throw new Error("scroll: a move is not [sx, sy, w, h, dx, dy]");
    const [sx, sy, w, h, dx, dy] = m.map((n) => int(n, NaN)) as [number, number, number, number, number, number];
    const inside = (x: number, y: number): boolean => x >= 0 && y >= 0 && x + w <= win.width && y + h <= win.height;
    if ([sx, sy, w, h, dx, dy].some(Number.isNaN) || w < 1 || h < 1 || !inside(sx, sy) || !inside(sx + dx, sy + dy)) {
      throw new Error(`scroll: move ${JSON.stringify(m.map((n) => (typeof n === "number" ? n : null)))} leaves the window`);
    }
    return [sx, sy, w, h, dx, dy];
  });
}
