/**
 * Drives the built paint layer in a Chromium page: a Painter on the page, canvases placed at known
 * screen positions, draws sent from Node, results collected, and the screen read back as pixels
 * (a screenshot, so a test sees what reached the display, not what a context claims to hold).
 */
import { after, before } from "node:test";
import type { Page } from "playwright-core";
import { startChromium, type ChromiumSession } from "../chromium.js";
import { decodePng, type Pixels } from "./png.js";
import type { DrawRequest, DrawResult } from "../../../src/paint/types.js";

/**
 * A draw request as the test writes it in Node (the page rebuilds the real one): the fields of
 * DrawRequest, with the picture's bytes as base64 and the options as a plain object.
 */
export type DrawSpec = Omit<DrawRequest, "coding" | "data" | "options"> & {
  coding: string;
  /** base64 bytes, or a plain value (scroll's list of moves). */
  data: { b64: string } | unknown;
  options: Record<string, unknown>;
  /** Send coding and text options as byte strings, as Xpra 3.1 does. */
  asBytes?: boolean;
};

/** What the painter answers for each draw. */
export type Result = DrawResult;

type G = Record<string, unknown> & { __painter: { [k: string]: (...a: unknown[]) => unknown }; __results: Result[]; __logs: string[] };

export async function installPainter(page: Page): Promise<void> {
  await page.evaluate(async () => {
    const mod = (await import("/src/paint/index.js" as string)) as { Painter: new (...a: unknown[]) => unknown };
    const g = globalThis as unknown as G;
    g.__results = [];
    g.__logs = [];
    document.body.style.margin = "0";
    g.__painter = new mod.Painter(
      new URL("/src/paint/worker.js", location.href),
      (r: Result) => g.__results.push(r),
      (m: string) => g.__logs.push(m),
    ) as G["__painter"];
  });
}

export async function addWindow(page: Page, wid: number, width: number, height: number, left: number, top: number): Promise<string> {
  return page.evaluate(
    ([wid, width, height, left, top]) => {
      const g = globalThis as unknown as G;
      const c = document.createElement("canvas");
      c.style.position = "absolute";
      c.style.left = `${left}px`;
      c.style.top = `${top}px`;
      c.style.width = `${width}px`;
      c.style.height = `${height}px`;
      c.id = `w${wid}`;
      document.body.appendChild(c);
      return g.__painter["addWindow"]!(wid, c, width, height) as string;
    },
    [wid, width, height, left, top] as const,
  );
}

/** Resizes the window's canvas on the page (as the app would) and in the painter. */
export async function resizeWindow(page: Page, wid: number, width: number, height: number): Promise<string> {
  return page.evaluate(
    ([wid, width, height]) => {
      const c = document.getElementById(`w${wid}`);
      if (c) {
        c.style.width = `${width}px`;
        c.style.height = `${height}px`;
      }
      return (globalThis as unknown as G).__painter["resizeWindow"]!(wid, width, height) as string;
    },
    [wid, width, height] as const,
  );
}

export async function call(page: Page, method: string, ...args: unknown[]): Promise<unknown> {
  return page.evaluate(([method, args]) => (globalThis as unknown as G).__painter[method as string]!(...(args as unknown[])), [method, args] as const);
}

export async function draw(page: Page, ...specs: DrawSpec[]): Promise<void> {
  await page.evaluate((specs) => {
    const g = globalThis as unknown as G;
    const enc = new TextEncoder();
    for (const s of specs) {
      const text = (v: unknown): unknown => (s.asBytes && typeof v === "string" ? enc.encode(v) : v);
      const d = s.data as { b64?: string };
      const data = d !== null && typeof d === "object" && typeof d.b64 === "string" ? Uint8Array.from(atob(d.b64), (ch) => ch.charCodeAt(0)) : s.data;
      const options = new Map(Object.entries(s.options).map(([k, v]) => [k, text(v)]));
      g.__painter["draw"]!({ wid: s.wid, x: s.x, y: s.y, width: s.width, height: s.height, coding: text(s.coding), data, sequence: s.sequence, rowstride: s.rowstride, options });
    }
  }, specs);
}

/** Waits for at least n results (all windows together), then returns them all. */
export async function results(page: Page, n: number, timeoutMs = 15000): Promise<Result[]> {
  await page.waitForFunction((n) => (globalThis as unknown as G).__results.length >= n, n, { timeout: timeoutMs });
  return page.evaluate(() => (globalThis as unknown as G).__results.slice());
}

export async function logs(page: Page): Promise<string[]> {
  return page.evaluate(() => (globalThis as unknown as G).__logs.slice());
}

/** The screen at (left, top, width, height), after the page has rendered a few frames. */
export async function shot(page: Page, left: number, top: number, width: number, height: number): Promise<Pixels> {
  // The worker's canvas reaches the page's compositor asynchronously: let frames pass.
  await page.evaluate(() => new Promise<void>((ok) => requestAnimationFrame(() => requestAnimationFrame(() => requestAnimationFrame(() => ok())))));
  const png = await page.screenshot({ clip: { x: left, y: top, width, height }, animations: "disabled" });
  return decodePng(png);
}

/** Largest channel difference between two colours. */
export function distance(a: readonly number[], b: readonly number[]): number {
  return Math.max(Math.abs(a[0]! - b[0]!), Math.abs(a[1]! - b[1]!), Math.abs(a[2]! - b[2]!));
}

/** A test file's Chromium with the painter's page, started before its tests and closed after. */
export function painterPage(): { readonly session: ChromiumSession; readonly page: Page } {
  const held: { session?: ChromiumSession; page?: Page } = {};
  before(async () => {
    held.session = await startChromium();
    held.page = await held.session.newPage();
    await installPainter(held.page);
  });
  after(async () => {
    await held.session?.close();
  });
  return {
    get session() {
      return held.session!;
    },
    get page() {
      return held.page!;
    },
  };
}
