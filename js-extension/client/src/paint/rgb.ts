/**
 * Raw pixels (`rgb24`, `rgb32`, optionally lz4-compressed by Xpra's encode thread) into the RGBA
 * rows ImageData wants. Pure and synchronous: it runs in the worker and under Node alike.
 *
 * Both 3.1 and 6.5 put the pixel format in options.rgb_format and, when compressed, the lz4 level
 * in options.lz4 with the data in the record layer's layout (u32 size, one block); the declared
 * size must be exactly rowstride×height, so a hostile size allocates nothing.
 */
import { lz4DecompressSized } from "../protocol/framing/lz4.js";

/** The formats this converter reads (what the hello may offer as encodings.rgb_formats). */
export const RGB_FORMATS = ["BGRX", "BGRA", "RGBX", "RGBA", "RGB", "BGR"] as const;

export interface RgbInput {
  coding: string;
  data: Uint8Array;
  width: number;
  height: number;
  rowstride: number;
  /** options.rgb_format; '' means Xpra's default for the coding (BGRX / BGR... see below). */
  format: string;
  /** options.lz4 > 0. */
  lz4: boolean;
  /** options.zlib, lzo, brotli > 0: never offered, always refused. */
  otherCompression: string;
}

export type RgbOutput = { pixels: Uint8ClampedArray<ArrayBuffer>; error: "" } | { pixels: null; error: string };

const fail = (error: string): RgbOutput => ({ pixels: null, error });

export function decodeRgb(inp: RgbInput): RgbOutput {
  const { width, height, rowstride } = inp;
  if (inp.otherCompression) return fail(`rgb compressed with ${inp.otherCompression}, which was not offered`);
  // 3.1 and 6.5 always send rgb_format; the fallback follows the coding's pixel size.
  const format = inp.format || (inp.coding === "rgb24" ? "RGB" : "BGRX");
  // The format, not the coding's name, says how many bytes a pixel has: Xpra 3.1's rgb_encode
  // keeps the coding it was asked for ("rgb24" for the small strips around a scroll) when the
  // screen's own format (BGRX) is one we accept, and sends 4-byte pixels under "rgb24".
  // Refusing them made every such draw a decode error, and 3.1 answers each with a lossless
  // repaint of the whole window, which also throws away its scroll detection (issue 21).
  const bpp = format.length;
  if (!(RGB_FORMATS as readonly string[]).includes(format)) return fail(`unknown rgb_format ${JSON.stringify(format.slice(0, 16))}`);
  // A stride may pad each row (Xpra aligns some), but not without bound.
  if (!Number.isSafeInteger(rowstride) || rowstride < width * bpp || rowstride > width * bpp + 256) {
    return fail(`rowstride ${String(rowstride)} invalid for ${width}x${height} ${format}`);
  }
  let src = inp.data;
  if (inp.lz4) {
    try {
      src = lz4DecompressSized(src, rowstride * height);
    } catch (e) {
      return fail(`rgb lz4: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
  // The last row need not carry its padding.
  const needed = rowstride * (height - 1) + width * bpp;
  if (src.length < needed) return fail(`rgb data is ${src.length} bytes, ${width}x${height} ${format} needs ${needed}`);
  const out = new Uint8ClampedArray(width * height * 4);
  const r = format.indexOf("R");
  const g = format.indexOf("G");
  const b = format.indexOf("B");
  const a = format.indexOf("A");
  let o = 0;
  for (let y = 0; y < height; y++) {
    let i = y * rowstride;
    for (let x = 0; x < width; x++, i += bpp) {
      out[o++] = src[i + r]!;
      out[o++] = src[i + g]!;
      out[o++] = src[i + b]!;
      out[o++] = a < 0 ? 255 : src[i + a]!;
    }
  }
  return { pixels: out, error: "" };
}
