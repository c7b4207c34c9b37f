/**
 * The window model: what windows the session has, where each one is, which one fills the page,
 * their stacking and focus. Xpra's window packets go in (`handle`), the packets the client owes
 * the server come out (`send`), and every change is reported (`changed`) for the view to follow.
 *
 * No DOM here, so every rule is a Node unit test: the fill choice, keeping dialogs inside the
 * page, stacking, the bounds against a hostile server. Packet names are the legacy ones both
 * Xpra 3.1 and 6.5 (whose BACKWARDS_COMPATIBLE default keeps them) understand; 6.x's new names
 * are accepted on the way in.
 */
import type { Encodable, Value } from "../protocol/values.js";
import { DISPLAY_LIMITS, keepInside, sameRect, type Rect, type Size } from "./geometry.js";
import { dict, int } from "./read.js";
import { applyMetadata, mayFill, type XWindow } from "./window.js";

export type DisplayChange =
  | { kind: "added"; win: XWindow }
  | { kind: "geometry"; win: XWindow }
  | { kind: "removed"; wid: number }
  | { kind: "stacking" }
  | { kind: "focus"; wid: number }
  /** A window's title changed (any window; shown as its canvas's label). */
  | { kind: "metadata"; win: XWindow }
  /** The filling window's title (the page's title), as text. */
  | { kind: "title"; title: string };

export interface DisplayOutput {
  send(packet: Encodable[]): void;
  changed(change: DisplayChange): void;
}

export interface DisplayModelOptions {
  /** Client properties sent with map-window (the paint layer's rgb formats, for example). */
  clientProperties?: () => { readonly [key: string]: Encodable };
  /** Milliseconds, for the new-window rate bound (tests pass their own clock). */
  now?: () => number;
}

/** How often a window is shrunk to fit, or a filling window re-filled, before we let it be. */
const MAX_CORRECTIONS = 3;

const X_MIN = -32768;
const X_MAX = 32767;

export class DisplayModel {
  private readonly windows = new Map<number, XWindow>();
  private desktop: Size;
  private nextRank = 1;
  private focused = 0;
  private recentNew: number[] = [];
  private readonly out: DisplayOutput;
  private readonly props: () => { readonly [key: string]: Encodable };
  private readonly now: () => number;
  /** Windows refused by the limits: counted so a test or a log can tell. */
  refused = 0;

  constructor(desktop: Size, out: DisplayOutput, options: DisplayModelOptions = {}) {
    this.desktop = { ...desktop };
    this.out = out;
    this.props = options.clientProperties ?? (() => ({}));
    this.now = options.now ?? (() => Date.now());
  }

  /** Windows bottom to top. */
  list(): XWindow[] {
    return [...this.windows.values()].sort((a, b) => layer(a) - layer(b) || a.rank - b.rank);
  }

  get(wid: number): XWindow | undefined {
    return this.windows.get(wid);
  }

  get focusedWindow(): number {
    return this.focused;
  }

  get desktopSize(): Size {
    return { ...this.desktop };
  }

  /** The filling window, if any. */
  filler(): XWindow | undefined {
    for (const w of this.windows.values()) if (w.fills) return w;
    return undefined;
  }

  /** The top-most window containing the device-pixel point (pointer routing). */
  windowAt(x: number, y: number): XWindow | undefined {
    const all = this.list();
    for (let i = all.length - 1; i >= 0; i--) {
      const w = all[i]!;
      if (x >= w.x && y >= w.y && x < w.x + w.w && y < w.y + w.h) return w;
    }
    return undefined;
  }

  /**
   * Handles one of Xpra's window packets (`items[0]` is its type). Returns false for a type that
   * is not the display's, so the caller can pass it on.
   */
  handle(items: readonly Value[]): boolean {
    const type = items[0];
    switch (type) {
      case "new-window":
      case "window-create":
        this.created(items, false);
        return true;
      case "new-override-redirect":
        this.created(items, true);
        return true;
      case "lost-window":
      case "window-destroy":
        this.lost(int(items[1], 0));
        return true;
      case "window-metadata":
        this.metadata(int(items[1], 0), items[2]);
        return true;
      case "configure-override-redirect":
      case "window-move-resize":
        this.moved(int(items[1], 0), items[2], items[3], items[4], items[5]);
        return true;
      case "window-resized": {
        const win = this.windows.get(int(items[1], 0));
        if (win) this.moved(win.wid, win.x, win.y, items[2], items[3]);
        return true;
      }
      case "raise-window":
      case "window-raise":
        this.focus(int(items[1], 0));
        return true;
      default:
        return false;
    }
  }

  /** Forgets every window (the connection is gone; a new one sends its windows again). */
  clear(): void {
    for (const wid of [...this.windows.keys()]) {
      this.windows.delete(wid);
      this.out.changed({ kind: "removed", wid });
    }
    this.focused = 0;
    this.recentNew = [];
  }

  /** The page changed size (device pixels): the filling window follows, the others stay inside. */
  setDesktop(size: Size): void {
    if (size.w === this.desktop.w && size.h === this.desktop.h) return;
    this.desktop = { ...size };
    for (const win of this.windows.values()) {
      win.corrections = 0;
      if (win.fills) this.place(win, { x: 0, y: 0, ...size });
      else if (!win.overrideRedirect) this.place(win, keepInside(win, size, true));
    }
  }

  /** The user clicked a window (or the page gave it the keyboard): focus and raise it. */
  focus(wid: number): void {
    const win = this.windows.get(wid);
    if (!win) return;
    this.raise(win);
    if (win.overrideRedirect || this.focused === wid) return;
    this.focused = wid;
    this.out.send(["focus", wid, []]);
    this.out.changed({ kind: "focus", wid });
  }

  private created(items: readonly Value[], overrideRedirect: boolean): void {
    const wid = int(items[1], 0, 0);
    if (wid === 0 || this.windows.has(wid)) return;
    const t = this.now();
    this.recentNew = this.recentNew.filter((s) => t - s < 1000);
    if (this.windows.size >= DISPLAY_LIMITS.maxWindows || this.recentNew.length >= DISPLAY_LIMITS.maxNewPerSecond) {
      this.refused++;
      return;
    }
    this.recentNew.push(t);
    const win: XWindow = {
      wid,
      x: int(items[2], 0, X_MIN, X_MAX),
      y: int(items[3], 0, X_MIN, X_MAX),
      w: int(items[4], 1, 1, DISPLAY_LIMITS.maxWindowSide),
      h: int(items[5], 1, 1, DISPLAY_LIMITS.maxWindowSide),
      overrideRedirect,
      transientFor: 0,
      windowType: "",
      title: "",
      setInitialPosition: false,
      fills: false,
      rank: this.nextRank++,
      corrections: 0,
    };
    applyMetadata(win, dict(items[6]));
    if (mayFill(win) && !this.filler()) win.fills = true;
    if (win.fills) Object.assign(win, { x: 0, y: 0, w: this.desktop.w, h: this.desktop.h });
    else if (!overrideRedirect) {
      if (win.x === 0 && win.y === 0 && !win.setInitialPosition) {
        win.x = Math.max(0, Math.round((this.desktop.w - win.w) / 2));
        win.y = Math.max(0, Math.round((this.desktop.h - win.h) / 2));
      }
      this.correct(win, keepInside(win, this.desktop, true));
    }
    this.windows.set(wid, win);
    this.out.changed({ kind: "added", win });
    if (!overrideRedirect) {
      this.out.send(["map-window", wid, win.x, win.y, win.w, win.h, this.props()]);
      this.focus(wid);
    }
    if (win.fills) this.out.changed({ kind: "title", title: win.title });
  }

  private lost(wid: number): void {
    const win = this.windows.get(wid);
    if (!win) return;
    this.windows.delete(wid);
    this.out.changed({ kind: "removed", wid });
    if (win.fills) {
      // Another Firefox window, if one is left, takes over the page.
      const next = this.list().reverse().find(mayFill);
      if (next) {
        next.fills = true;
        next.corrections = 0;
        this.place(next, { x: 0, y: 0, ...this.desktop });
        this.out.changed({ kind: "title", title: next.title });
      }
    }
    if (this.focused === wid) {
      this.focused = 0;
      const top = this.list().reverse().find((w) => !w.overrideRedirect);
      if (top) this.focus(top.wid);
    }
  }

  private metadata(wid: number, meta: Value | undefined): void {
    const win = this.windows.get(wid);
    if (!win) return;
    if (!applyMetadata(win, dict(meta))) return;
    this.out.changed({ kind: "metadata", win });
    if (win.fills) this.out.changed({ kind: "title", title: win.title });
  }

  /** The server moved or resized a window. */
  private moved(wid: number, x: Value | undefined, y: Value | undefined, w: Value | undefined, h: Value | undefined): void {
    const win = this.windows.get(wid);
    if (!win) return;
    const r: Rect = {
      x: int(x, win.x, X_MIN, X_MAX),
      y: int(y, win.y, X_MIN, X_MAX),
      w: int(w, win.w, 1, DISPLAY_LIMITS.maxWindowSide),
      h: int(h, win.h, 1, DISPLAY_LIMITS.maxWindowSide),
    };
    const before: Rect = { x: win.x, y: win.y, w: win.w, h: win.h };
    Object.assign(win, r);
    if (win.overrideRedirect) {
      if (!sameRect(before, r)) this.out.changed({ kind: "geometry", win });
      return;
    }
    const want = win.fills ? { x: 0, y: 0, ...this.desktop } : keepInside(r, this.desktop, true);
    // Only a geometry that truly fits ends an argument; one we gave up on does not restart it.
    if (sameRect(want, r)) win.corrections = 0;
    else if (win.corrections < MAX_CORRECTIONS) {
      win.corrections++;
      this.place(win, want);
      return;
    }
    if (!sameRect(before, r)) {
      this.out.changed({ kind: "geometry", win });
    }
  }

  /** Sets a managed window's geometry and tells the server. */
  private place(win: XWindow, r: Rect): void {
    Object.assign(win, r);
    this.out.send(["configure-window", win.wid, r.x, r.y, r.w, r.h, this.props()]);
    this.out.changed({ kind: "geometry", win });
  }

  /** Shrinking counts against the window's corrections; moving does not. */
  private correct(win: XWindow, r: Rect): void {
    if (r.w !== win.w || r.h !== win.h) win.corrections++;
    Object.assign(win, r);
  }

  private raise(win: XWindow): void {
    const top = Math.max(0, ...[...this.windows.values()].map((w) => w.rank));
    if (win.rank === top && top !== 0) return;
    win.rank = this.nextRank++;
    this.out.changed({ kind: "stacking" });
  }
}

/** Override-redirect windows (menus, tooltips) are drawn above every managed window. */
function layer(w: XWindow): number {
  return w.overrideRedirect ? 1 : 0;
}
