/**
 * Bounds on what a server may make the worker allocate. Every draw is checked against these and
 * against its window before a byte of pixel memory exists: a hostile server that announces a
 * 10000×10000 window or a 60000-pixel-wide jpeg gets an error result, not an out-of-memory tab.
 */

/** Longest side of a window or picture (Xpra's own encoders stop at 8192 for video). */
export const MAX_SIDE = 8192;

/** Pixels in one window or one draw: 16 Mpx is 64 MiB of RGBA (5K is 14.7 Mpx). */
export const MAX_PIXELS = 16 * 1024 * 1024;

/** Draws waiting to be painted in one window; beyond this the oldest are answered with an error. */
export const MAX_QUEUED = 64;

/** A window size the worker accepts: positive integers within MAX_SIDE and MAX_PIXELS. */
export function sizeError(width: number, height: number): string {
  if (!Number.isSafeInteger(width) || !Number.isSafeInteger(height) || width < 1 || height < 1) {
    return `invalid size ${String(width)}x${String(height)}`;
  }
  if (width > MAX_SIDE || height > MAX_SIDE || width * height > MAX_PIXELS) {
    return `size ${width}x${height} above the limit (${MAX_SIDE} per side, ${MAX_PIXELS} pixels)`;
  }
  return "";
}

/**
 * A draw region the worker accepts in a window of winW×winH: within the limits and no larger than
 * the window. It may overhang the edge (the canvas clips): during a resize Xpra draws for the size
 * it has just set, which the app applies first, so only the size is held to the window.
 */
export function regionError(x: number, y: number, width: number, height: number, winW: number, winH: number): string {
  if (!Number.isSafeInteger(x) || !Number.isSafeInteger(y) || x < 0 || y < 0) return `invalid position ${String(x)},${String(y)}`;
  const e = sizeError(width, height);
  if (e) return e;
  if (width > winW || height > winH) return `draw ${width}x${height} larger than its window ${winW}x${winH}`;
  if (x >= winW || y >= winH) return `draw at ${x},${y} outside its window ${winW}x${winH}`;
  return "";
}
