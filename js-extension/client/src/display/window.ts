/**
 * One X window as the display knows it: its geometry in device pixels and the few metadata
 * fields that decide where it goes. Built only from untrusted packet items, through read.ts.
 */
import type { Key, Value } from "../protocol/values.js";
import { int, text, texts } from "./read.js";

export interface XWindow {
  readonly wid: number;
  x: number;
  y: number;
  w: number;
  h: number;
  readonly overrideRedirect: boolean;
  /** The window it is transient for, 0 when none. */
  transientFor: number;
  /** The first of its _NET_WM_WINDOW_TYPE names ("NORMAL", "DIALOG", …), "" when unset. */
  windowType: string;
  /** The title as text (never markup). */
  title: string;
  /** Whether the server asked for its position (else one at 0,0 is placed by us). */
  setInitialPosition: boolean;
  /** Firefox's main window: fills the page. */
  fills: boolean;
  /** Stacking rank: higher is above. */
  rank: number;
  /** Times we shrank it (or, filling, re-filled it) since the page last changed size. */
  corrections: number;
}

/** Applies a `window-metadata` dictionary (or the one in `new-window`); returns whether the title changed. */
export function applyMetadata(win: XWindow, meta: Map<Key, Value>): boolean {
  const before = win.title;
  if (meta.has("title")) win.title = text(meta.get("title")).slice(0, 1024);
  if (meta.has("window-type")) win.windowType = texts(meta.get("window-type"))[0] ?? "";
  if (meta.has("transient-for")) win.transientFor = int(meta.get("transient-for"), 0, 0);
  if (meta.has("set-initial-position")) win.setInitialPosition = meta.get("set-initial-position") === true || int(meta.get("set-initial-position"), 0) !== 0;
  return win.title !== before;
}

/** Whether a window may be Firefox's main window: top-level, normal, not a popup. */
export function mayFill(win: XWindow): boolean {
  return !win.overrideRedirect && win.transientFor === 0 && (win.windowType === "" || win.windowType === "NORMAL");
}
