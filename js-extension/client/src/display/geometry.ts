/**
 * Geometry of the page in device pixels: the numbers the display sends to Xpra and the ones it
 * lays canvases out with, as pure functions (no DOM) so they are tested under Node.
 *
 * The page is drawn 1:1 in device pixels: the X display is the page's size times
 * devicePixelRatio, the DPI reported is 96 times it (so Firefox renders at the scale a local
 * browser would), canvases are sized in device pixels and placed at device / ratio in CSS pixels,
 * and pointer positions are scaled back by the ratio.
 */

export interface Size {
  w: number;
  h: number;
}

export interface Rect extends Size {
  x: number;
  y: number;
}

/** Bounds that keep a hostile server from exhausting the tab. */
export const DISPLAY_LIMITS = {
  /** Windows kept at once; more are refused (not mapped, not drawn). */
  maxWindows: 64,
  /** New windows accepted per second; a burst beyond it is refused. */
  maxNewPerSecond: 50,
  /** Largest canvas side in device pixels, whatever the window or page claims. */
  maxCanvasSide: 8192,
  /** Largest X window side the display accepts from or asks of the server. */
  maxWindowSide: 32767,
  /** Largest cursor side drawn; a larger cursor falls back to the default. */
  maxCursorSide: 256,
} as const;

/** A devicePixelRatio we can compute with: finite, positive, within reason. */
export function saneRatio(dpr: number): number {
  return Number.isFinite(dpr) && dpr > 0 ? Math.min(8, Math.max(0.25, dpr)) : 1;
}

/** The page's size in device pixels, at least 1×1 and at most the limit. */
export function deviceSize(cssWidth: number, cssHeight: number, dpr: number): Size {
  const r = saneRatio(dpr);
  const side = (css: number) =>
    Math.min(DISPLAY_LIMITS.maxCanvasSide, Math.max(1, Math.round((Number.isFinite(css) ? css : 0) * r)));
  return { w: side(cssWidth), h: side(cssHeight) };
}

/** The DPI Xpra is told: 96 per device pixel ratio. */
export function dpiFor(dpr: number): number {
  return Math.round(96 * saneRatio(dpr));
}

/** Device pixels to CSS pixels. */
export function toCss(device: number, dpr: number): number {
  return device / saneRatio(dpr);
}

/** CSS pixels (a pointer position in the page) to device pixels (X coordinates). */
export function toDevice(css: number, dpr: number): number {
  return Math.round(css * saneRatio(dpr));
}

/**
 * Xpra's `screen_sizes` for one screen with one monitor covering the page (the form both 3.1 and
 * 6.5 read): [name, w, h, wmm, hmm, [monitor], work x, y, w, h].
 */
export function screenSizes(size: Size, dpi: number): (string | number | (string | number)[][])[][] {
  const mm = (px: number) => Math.round((px * 25.4) / dpi);
  const monitor = ["Canvas", 0, 0, size.w, size.h, mm(size.w), mm(size.h)];
  return [["HTML", size.w, size.h, mm(size.w), mm(size.h), [monitor], 0, 0, size.w, size.h]];
}

/**
 * Moves (and, while `mayShrink`, shrinks) a window so that it lies inside the desktop. A window
 * that insists on being larger than the page is shrunk only a few times by the caller, so the
 * client and the application never argue without end; it is then kept at the top left corner.
 */
export function keepInside(r: Rect, desktop: Size, mayShrink: boolean): Rect {
  let { w, h } = r;
  if (mayShrink) {
    w = Math.min(w, desktop.w);
    h = Math.min(h, desktop.h);
  }
  const x = Math.max(0, Math.min(r.x, desktop.w - w));
  const y = Math.max(0, Math.min(r.y, desktop.h - h));
  return { x, y, w, h };
}

/** Whether two rectangles are equal. */
export function sameRect(a: Rect, b: Rect): boolean {
  return a.x === b.x && a.y === b.y && a.w === b.w && a.h === b.h;
}

/**
 * The canvas a window gets: its own size, capped at twice the page per side (and the limit). A
 * window of 10000×10000 gets no more than that; the part beyond the page is never seen anyway.
 * Twice, not once: a dialog whose minimum size is larger than the page still gets its whole
 * first picture (the paint layer refuses draws larger than the canvas).
 */
export function canvasSize(win: Size, desktop: Size): Size {
  const cap = (n: number, page: number) =>
    Math.max(1, Math.min(n, Math.max(1, 2 * page), DISPLAY_LIMITS.maxCanvasSide));
  return { w: cap(win.w, desktop.w), h: cap(win.h, desktop.h) };
}
