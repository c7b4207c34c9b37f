/**
 * What the page shows of itself in its DOM (docs/page-surface.md): the connection's state, the
 * focused window, the keyboard layout given to Xpra, each window's id, type and title, and an
 * event per picture drawn. The JupyterLab tab, the browser suites and the bench observe the page
 * through this alone (the page puts no object on `window`). Every value is set as text through
 * `dataset` and `setAttribute`, never parsed as markup; titles come from web pages.
 */

/** The longest title kept in an attribute: a page can set a title of megabytes. */
const MAX_TITLE = 1000;

export type ScreenState = "connecting" | "open" | "lost" | "closed";

export function showState(screen: HTMLElement, state: ScreenState): void {
  screen.dataset["state"] = state;
}

export function showFocused(screen: HTMLElement, wid: number | null): void {
  screen.dataset["focused"] = wid === null ? "" : String(wid);
}

export function showKeyboardLayout(screen: HTMLElement, layout: string): void {
  screen.dataset["keyboardLayout"] = layout;
}

export interface WindowFacts {
  readonly wid: number;
  /** Xpra's first window-type, e.g. NORMAL, DIALOG, TOOLTIP ("" when none was given). */
  readonly type: string;
  readonly title: string;
}

export function describeWindow(canvas: HTMLCanvasElement, facts: WindowFacts): void {
  canvas.dataset["wid"] = String(facts.wid);
  canvas.dataset["type"] = facts.type.slice(0, 64);
  canvas.setAttribute("role", "img");
  canvas.setAttribute("aria-label", facts.title.slice(0, MAX_TITLE));
}

export interface PaintFacts {
  readonly wid: number;
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
  readonly coding: string;
  readonly decodeMicros: number;
}

/** Tells whoever listens that a picture is on screen; costs next to nothing when nobody does. */
export function announcePaint(screen: HTMLElement, facts: PaintFacts): void {
  screen.dispatchEvent(new CustomEvent("firefox-launcher:paint", { detail: { ...facts } }));
}
