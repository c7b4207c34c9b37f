/**
 * The shapes the paint layer shares between the page and its worker: a draw request is Xpra's
 * `draw` packet field by field, a draw result is what the app turns into `damage-sequence`.
 */
import type { Key, Value } from "../protocol/values.js";

/** Xpra's ["draw", wid, x, y, width, height, coding, data, packet_sequence, rowstride, client_options]. */
export interface DrawRequest {
  wid: number;
  x: number;
  y: number;
  width: number;
  height: number;
  /** 3.1 sends the name as bytes; the worker accepts either. */
  coding: string | Uint8Array;
  /** Picture bytes, or for `scroll` a list of [sx, sy, w, h, dx, dy]. */
  data: Value;
  sequence: number;
  rowstride: number;
  options: Map<Key, Value>;
}

/** One answer per draw, in the window's arrival order. */
export interface DrawResult {
  wid: number;
  sequence: number;
  width: number;
  height: number;
  /** Time from arrival in the worker to the paint, in microseconds (-1 on error). */
  decodeMicros: number;
  /** '' when painted (or deliberately not painted: `void`, `eos`, `paint=false`). */
  error: string;
}

/** Messages from the page to the worker. */
export type ToWorker =
  | { kind: "add"; wid: number; canvas: OffscreenCanvas; width: number; height: number }
  | { kind: "resize"; wid: number; width: number; height: number }
  | { kind: "remove"; wid: number }
  | { kind: "draw"; req: DrawRequest }
  | { kind: "close" };

/** Messages from the worker to the page. */
export type FromWorker = { kind: "result"; result: DrawResult } | { kind: "log"; message: string };
