/**
 * The DOM side of the display: one canvas per window inside the page's root element, placed and
 * stacked as the model says, sized in device pixels and shown at device / devicePixelRatio CSS
 * pixels so each canvas pixel is one screen pixel. The canvases are handed to the paint layer
 * (which owns their pixels from then on, in its worker); this module only lays them out.
 *
 * Nothing from the server reaches the DOM here but numbers (positions, sizes) and the cursor
 * image, which becomes a blob: URL made by this page.
 */
import type { DisplayChange, DisplayModel } from "./model.js";
import { canvasSize, saneRatio, toCss, type Size } from "./geometry.js";
import { bgraToRgba, type CursorImage } from "./cursor.js";
import type { XWindow } from "./window.js";
import { describeWindow } from "./surface.js";

/** What the view needs of the paint layer (the Painter has this shape). */
export interface CanvasOwner {
  addWindow(wid: number, canvas: HTMLCanvasElement, width: number, height: number): string;
  resizeWindow(wid: number, width: number, height: number): string;
  removeWindow(wid: number): void;
}

interface Shown {
  canvas: HTMLCanvasElement;
  size: Size;
}

export class DisplayView {
  private readonly shown = new Map<number, Shown>();
  private ratio: number;
  private cursorUrl = "";
  private cursorSerial = 0;

  constructor(
    private readonly root: HTMLElement,
    private readonly model: DisplayModel,
    private readonly painter: CanvasOwner,
    dpr: number,
    private readonly log: (message: string) => void = () => undefined,
  ) {
    this.ratio = saneRatio(dpr);
  }

  /** Follows one model change. */
  apply(change: DisplayChange): void {
    switch (change.kind) {
      case "added":
        this.add(change.win);
        break;
      case "geometry":
        this.place(change.win);
        break;
      case "removed":
        this.remove(change.wid);
        break;
      case "stacking":
        this.restack();
        break;
      case "metadata":
        this.describe(change.win);
        break;
      default:
        break;
    }
  }

  /** The page's devicePixelRatio changed (browser zoom, another screen): CSS sizes follow. */
  setRatio(dpr: number): void {
    this.ratio = saneRatio(dpr);
    for (const win of this.model.list()) this.place(win);
  }

  /** Drops every canvas (the connection is gone; the server sends its windows again). */
  clear(): void {
    for (const wid of [...this.shown.keys()]) this.remove(wid);
  }

  /** Whether a window has a canvas (draws for others are refused by the app). */
  has(wid: number): boolean {
    return this.shown.has(wid);
  }

  private add(win: XWindow): void {
    if (this.shown.has(win.wid)) return;
    const canvas = document.createElement("canvas");
    canvas.className = win.overrideRedirect ? "window popup" : win.fills ? "window fill" : "window";
    let size = canvasSize(win, this.model.desktopSize);
    let refused = this.painter.addWindow(win.wid, canvas, size.w, size.h);
    if (refused) {
      // Larger than the paint layer takes: the page's size, which it always takes.
      size = canvasSize(win, { w: Math.ceil(this.model.desktopSize.w / 2), h: Math.ceil(this.model.desktopSize.h / 2) });
      refused = this.painter.addWindow(win.wid, canvas, size.w, size.h);
    }
    if (refused) {
      this.log(`window ${win.wid} not shown: ${refused}`);
      return;
    }
    this.shown.set(win.wid, { canvas, size });
    this.describe(win);
    this.root.appendChild(canvas);
    this.place(win);
    this.restack();
  }

  /** The window's id, type and title on its canvas (docs/page-surface.md). */
  private describe(win: XWindow): void {
    const s = this.shown.get(win.wid);
    if (s) describeWindow(s.canvas, { wid: win.wid, type: win.windowType, title: win.title });
  }

  private place(win: XWindow): void {
    const s = this.shown.get(win.wid);
    if (!s) return;
    const want = canvasSize(win, this.model.desktopSize);
    if (want.w !== s.size.w || want.h !== s.size.h) {
      if (this.painter.resizeWindow(win.wid, want.w, want.h) === "") s.size = want;
    }
    s.canvas.classList.toggle("fill", win.fills);
    const st = s.canvas.style;
    st.left = `${toCss(win.x, this.ratio)}px`;
    st.top = `${toCss(win.y, this.ratio)}px`;
    st.width = `${toCss(s.size.w, this.ratio)}px`;
    st.height = `${toCss(s.size.h, this.ratio)}px`;
  }

  private remove(wid: number): void {
    const s = this.shown.get(wid);
    if (!s) return;
    this.shown.delete(wid);
    this.painter.removeWindow(wid);
    s.canvas.remove();
  }

  private restack(): void {
    let z = 1;
    for (const win of this.model.list()) {
      const s = this.shown.get(win.wid);
      if (s) s.canvas.style.zIndex = String(z++);
    }
  }

  /** Shows the server's cursor over the page, or the default one (`null`). */
  setCursor(cursor: CursorImage | null): void {
    const serial = ++this.cursorSerial;
    if (!cursor) {
      this.showCursor("", serial, 0, 0);
      return;
    }
    if (cursor.encoding === "png") {
      const url = URL.createObjectURL(new Blob([cursor.pixels.slice()], { type: "image/png" }));
      this.showCursor(url, serial, cursor.xhot, cursor.yhot);
      return;
    }
    const canvas = document.createElement("canvas");
    canvas.width = cursor.w;
    canvas.height = cursor.h;
    const ctx = canvas.getContext("2d");
    if (!ctx) {
      this.showCursor("", serial, 0, 0);
      return;
    }
    ctx.putImageData(new ImageData(bgraToRgba(cursor.pixels), cursor.w, cursor.h), 0, 0);
    canvas.toBlob((blob) => {
      // A newer cursor may have arrived meanwhile: only the latest is shown.
      if (serial !== this.cursorSerial) return;
      this.showCursor(blob ? URL.createObjectURL(blob) : "", serial, cursor.xhot, cursor.yhot);
    }, "image/png");
  }

  private showCursor(url: string, serial: number, xhot: number, yhot: number): void {
    if (serial !== this.cursorSerial) {
      if (url) URL.revokeObjectURL(url);
      return;
    }
    if (this.cursorUrl) URL.revokeObjectURL(this.cursorUrl);
    this.cursorUrl = url;
    // The URL is ours (blob:), the hot spot two integers: nothing of the server's is CSS text.
    this.root.style.cursor = url ? `url("${url}") ${Math.trunc(xhot)} ${Math.trunc(yhot)}, default` : "default";
  }
}
