/**
 * Hostile content (issue 21, "Tests"): the whole page in Debian's Chromium against real Xpra
 * servers (3.1.3 and 6.5.5), served as the sidecar serves it (test/helpers/app/page-server.ts),
 * with a hostile X application inside the session (test/helpers/hostile/hostile_app.py, plain X
 * through python-xlib) instead of Firefox:
 * - markup in window titles (the filling window, a dialog, an override-redirect popup) and in
 *   WM_CLASS: nothing runs (no dialog, no `window.__ran` canary, no request for the markup's
 *   image, no CSP violation, no page error), no element besides #screen and its canvases is ever
 *   added, and document.title, the parent's title message and every canvas's aria-label hold the
 *   markup as text. Positive control: the same checks see the title arrive (the waits need it).
 * - 300 override-redirect popups mapped in well under a second: the page answers
 *   page.evaluate round trips within a generous bound throughout, never shows more canvases
 *   than the display's window limit (DISPLAY_LIMITS.maxWindows), and after they are destroyed
 *   the page is back to the windows it had (no canvas leaked).
 * - a 10000×10000 filling window that fights the client's corrections: round trips stay within
 *   the bound, no canvas is larger than twice the page per side (docs/display.md) nor 8192
 *   (DISPLAY_LIMITS.maxCanvasSide, paint MAX_SIDE), and the session page's JS heap
 *   (performance.memory, --enable-precise-memory-info) and the renderers' RSS grow by less than
 *   a bound measured against the same page with the normal 400×300 window (the positive
 *   control: an uncapped 10000×10000 RGBA canvas alone is 400 MB, the capped one 11 MB).
 * Notifications never reach the page: the hello refuses them (src/session/hello.ts) and the
 * product starts Xpra with --notifications=no; the clipboard is not covered here.
 *
 * To see a test fail against a broken client, serve a modified copy of dist/ in place of the
 * real one: FL_HOSTILE_DIST=/tmp/broken-dist (the page's files are then fulfilled from there,
 * with the product's CSP).
 *
 * Run heavy: `flock /tmp/fl-heavy.lock node --test build/test/app-hostile.test.js` after
 * `npm run build && npm run bundle && npm run build:test`.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { extname, join, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";
import type { Frame, Page } from "playwright-core";
import { startXpra, xpraAvailable, type XpraServer, type XpraVersion } from "./helpers/session/xpra-server.js";
import { CSP, DIST, PAGE_PATH, PARENT_PATH, startPageServer, type PageServer } from "./helpers/app/page-server.js";
import { startChromium, type ChromiumSession } from "./helpers/chromium.js";
import { DISPLAY_LIMITS } from "../src/display/geometry.js";
import { MAX_SIDE } from "../src/paint/limits.js";

const APP = fileURLToPath(new URL("../../test/helpers/hostile/hostile_app.py", import.meta.url));

// Every way markup could run if parsed: an image error handler, a script, an svg onload, an
// iframe; plus an entity and Latin-1 text (WM_NAME and WM_CLASS are Latin-1 STRINGs).
const TITLE =
  "<img id=flimg src=x onerror=window.__ran=1><script>window.__ran=2</script>" +
  "<svg onload=window.__ran=3></svg><iframe src=javascript:window.parent.__ran=4></iframe> &amp; \u00dcn\u00efc\u00f6de";
const CLASS = "<img id=flcls src=x onerror=window.__ran=5>Cl\u00e4ss";
const VIEWPORT = { width: 1000, height: 700 };
const SESSION_JSON: Record<XpraVersion, unknown> = {
  "3.1": { xpra: { version: "3.1.3", major: 3, minor: 1 }, encoder: "rencode", clipboard: "off", video: false, encoding: "auto" },
  "6.5": { xpra: { version: "6.5.5", major: 6, minor: 5 }, encoder: "rencodeplus", clipboard: "off", video: false, encoding: "auto" },
};
/** A page.evaluate round trip slower than this means the tab hangs (generous: 2 shared cores). */
const RESPONSIVE_MS = 3000;
/** Growth allowed over the normal window's figures (see the header: uncapped would be ≥ 268 MB). */
const HEAP_GROWTH_MB = 64;
const RSS_GROWTH_MB = 200;
const MB = 1024 * 1024;

/** The pages' console and errors, shown when a wait fails. */
const logs: string[] = [];

async function waitFor<T>(what: string, ms: number, probe: () => Promise<T | undefined | null | false>): Promise<T> {
  const deadline = Date.now() + ms;
  let last: unknown;
  for (;;) {
    try {
      const v = await probe();
      if (v) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) {
      throw new Error(`${what}: not seen in ${ms} ms${last ? ` (${String(last)})` : ""}\n${logs.slice(-30).join("\n")}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
}

// Installed in every frame before its scripts (Playwright injects it, the page's CSP does not
// apply): records what must never happen.
function watch(): void {
  const w = window as unknown as Record<string, unknown>;
  const added: string[] = [];
  const violations: string[] = [];
  w["__flAdded"] = added;
  w["__flViolations"] = violations;
  document.addEventListener("securitypolicyviolation", (e) => violations.push(`${e.violatedDirective} ${e.blockedURI}`));
  // The parser's own elements are the documents' (checked in the body afterwards); from the end
  // of parsing on, only the client's scripts add elements. The observer starts then: its records
  // arrive after the insertions they report, so a flag set at DOMContentLoaded would let the
  // parser's last insertions through as added.
  const observer = new MutationObserver((records) => {
    for (const r of records) {
      for (const n of Array.from(r.addedNodes)) {
        if (n.nodeType !== 1) continue;
        const el = n as Element;
        if (el.tagName === "CANVAS" && el.parentElement?.id === "screen") continue;
        if (el.id === "screen" && el.parentElement === document.body) continue;
        added.push(el.outerHTML.slice(0, 200));
      }
    }
  });
  document.addEventListener("DOMContentLoaded", () => observer.observe(document, { childList: true, subtree: true }));
}

interface Canvases {
  count: number;
  fills: number;
  labels: string[];
  /** Largest CSS box side and largest backing-store side. */
  maxCss: number;
  maxW: number;
  maxH: number;
  maxCssW: number;
  maxCssH: number;
}

/** Renderers of Chromium's process group: their summed RSS in bytes. */
function renderersRss(chromiumPid: number): number {
  let sum = 0;
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "latin1");
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      if (Number(fields[2]) !== chromiumPid) continue; // pgrp
      if (!readFileSync(`/proc/${entry}/cmdline`, "latin1").includes("--type=renderer")) continue;
      const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${entry}/status`, "latin1"));
      if (m) sum += Number(m[1]) * 1024;
    } catch {
      // gone meanwhile
    }
  }
  return sum;
}

for (const version of ["3.1", "6.5"] as const) {
  describe(`hostile content on Xpra ${version}`, { skip: !xpraAvailable(version) && `no Xpra ${version}` }, () => {
    let xpra: XpraServer | undefined;
    let server: PageServer | undefined;
    let chromium: ChromiumSession | undefined;
    let page: Page;
    let frame: Frame;
    let www = "";
    let work = "";
    let cmdNo = 0;
    const dialogs: string[] = [];
    const markupRequests: string[] = [];
    const pageErrors: string[] = [];

    async function command(line: string, ms = 60000): Promise<string> {
      const n = ++cmdNo;
      writeFileSync(join(work, `cmd-${n}`), line + "\n");
      return waitFor(`the app's answer to '${line}'`, ms, async () => {
        const p = join(work, `ack-${n}`);
        return existsSync(p) && readFileSync(p, "utf8").trim();
      });
    }

    const canvases = (): Promise<Canvases> =>
      frame.evaluate(() => {
        const list = Array.from(document.querySelectorAll("#screen > canvas"));
        const out = { count: list.length, fills: 0, labels: [] as string[], maxCss: 0, maxW: 0, maxH: 0, maxCssW: 0, maxCssH: 0 };
        for (const c of list as HTMLCanvasElement[]) {
          const r = c.getBoundingClientRect();
          if (c.classList.contains("fill")) out.fills++;
          out.labels.push(c.getAttribute("aria-label") ?? "");
          out.maxCssW = Math.max(out.maxCssW, r.width);
          out.maxCssH = Math.max(out.maxCssH, r.height);
          out.maxCss = Math.max(out.maxCss, r.width, r.height);
          out.maxW = Math.max(out.maxW, c.width);
          out.maxH = Math.max(out.maxH, c.height);
        }
        return out;
      });

    /** One page.evaluate round trip in ms. */
    async function roundTrip(): Promise<number> {
      const t = performance.now();
      await frame.evaluate(() => 1);
      return performance.now() - t;
    }

    async function heap(): Promise<number> {
      return frame.evaluate(() => {
        (window as unknown as { gc?: () => void }).gc?.();
        return (performance as unknown as { memory: { usedJSHeapSize: number } }).memory.usedJSHeapSize;
      });
    }

    /** Samples round trips and canvases until `done` settles; the worst of each. */
    async function sampleWhile(done: Promise<unknown>): Promise<{ worstMs: number; maxCount: number; maxSide: number; samples: number }> {
      let finished = false;
      void done.finally(() => (finished = true)).catch(() => undefined);
      const s = { worstMs: 0, maxCount: 0, maxSide: 0, samples: 0 };
      while (!finished) {
        s.worstMs = Math.max(s.worstMs, await roundTrip());
        const c = await canvases();
        s.maxCount = Math.max(s.maxCount, c.count);
        s.maxSide = Math.max(s.maxSide, c.maxCss, c.maxW, c.maxH);
        s.samples++;
        await new Promise((r) => setTimeout(r, 50));
      }
      return s;
    }

    before(async () => {
      assert.ok(existsSync(`${DIST}index.html`), "dist/ is missing: npm run build && npm run bundle");
      www = mkdtempSync(join(tmpdir(), "fl-hostile-www-"));
      work = mkdtempSync(join(tmpdir(), "fl-hostile-app-"));
      const b64 = (s: string) => Buffer.from(s, "utf8").toString("base64");
      xpra = await startXpra(version, {
        child: `/usr/bin/python3 ${APP} ${work} ${b64(TITLE)} ${b64(CLASS)}`,
        extraArgs: version === "3.1" ? [`--html=${www}`] : [],
      });
      await waitFor("the hostile app", 30000, async () => existsSync(join(work, "ready")) || (xpra?.output().includes("Traceback") && Promise.reject(new Error(xpra.output().slice(-2000)))));
      server = await startPageServer(xpra.socket, SESSION_JSON[version]);
      chromium = await startChromium({ args: ["--enable-precise-memory-info", "--js-flags=--expose-gc"] });
      const context = await chromium.browser.newContext({ viewport: VIEWPORT, deviceScaleFactor: 1 });
      await context.addInitScript(watch);
      const broken = process.env["FL_HOSTILE_DIST"];
      if (broken) {
        // A deliberately broken client, served in place of dist/ with the same CSP.
        const base = resolve(broken);
        await context.route(`${server.origin}${PAGE_PATH}**`, async (route) => {
          const rel = new URL(route.request().url()).pathname.slice(PAGE_PATH.length) || "index.html";
          const file = resolve(base, rel);
          if (rel === "session.json" || !file.startsWith(base + sep) || !existsSync(file)) return route.continue();
          const type = { ".js": "text/javascript", ".html": "text/html", ".css": "text/css" }[extname(file)] ?? "application/octet-stream";
          await route.fulfill({ status: 200, body: await readFile(file), headers: { "Content-Type": type, "Content-Security-Policy": CSP } });
        });
      }
      context.on("console", (m) => {
        logs.push(`console.${m.type()}: ${m.text()}`);
        // Chromium asks the test's parent page for /favicon.ico (a 404 that is not the product's).
        if (m.type() === "error" && !m.location().url.endsWith("/favicon.ico")) pageErrors.push(`${m.text()} (${m.location().url})`);
      });
      context.on("weberror", (e) => {
        logs.push(`page error: ${e.error().message}`);
        pageErrors.push(e.error().message);
      });
      context.on("request", (r) => {
        const u = new URL(r.url());
        if (u.pathname.endsWith("/x") || u.protocol === "javascript:") markupRequests.push(r.url());
      });
      page = await context.newPage();
      page.on("dialog", (d) => {
        dialogs.push(`${d.type()}: ${d.message()}`);
        void d.dismiss();
      });
      await page.goto(server.origin + PARENT_PATH);
      frame = await waitFor("the session frame", 10000, async () => page.frames().find((f) => f.url().endsWith(PAGE_PATH)));
      await waitFor("the page open", 30000, () => frame.evaluate(() => document.querySelector("#screen")?.getAttribute("data-state") === "open"));
    });

    after(async () => {
      await chromium?.close();
      await server?.close();
      await xpra?.stop();
      for (const d of [www, work]) if (d) rmSync(d, { recursive: true, force: true });
    });

    /** Nothing of the markup ran or became an element, anywhere, so far. */
    async function assertNothingRan(): Promise<void> {
      const seen = await Promise.all(
        page.frames().map((f) =>
          f.evaluate(() => {
            const w = window as unknown as Record<string, unknown>;
            return { url: location.href, ran: w["__ran"] ?? null, added: w["__flAdded"], violations: w["__flViolations"] };
          }),
        ),
      );
      for (const s of seen) {
        assert.equal(s.ran, null, `the markup ran in ${s.url}`);
        assert.deepEqual(s.added, [], `elements added in ${s.url}`);
        assert.deepEqual(s.violations, [], `CSP violations in ${s.url}`);
      }
      assert.deepEqual(dialogs, [], "dialogs opened");
      assert.deepEqual(markupRequests, [], "requests made by the markup");
      assert.deepEqual(pageErrors, [], "console errors or page errors");
      assert.equal(page.frames().length, 2, "no frame besides the parent and the session page");
      const body = await frame.evaluate(() =>
        Array.from(document.body.querySelectorAll("*")).filter((e) => !(e.id === "screen" || (e.tagName === "CANVAS" && e.parentElement?.id === "screen"))).map((e) => e.outerHTML.slice(0, 200)),
      );
      assert.deepEqual(body, [], "elements in the body besides #screen and its canvases");
    }

    test("markup in titles and WM_CLASS stays text and nothing runs", async () => {
      const c = await waitFor("the three windows, titled", 30000, async () => {
        const c = await canvases();
        return c.count === 3 && c.fills === 1 && c.labels.every((l) => l === TITLE) && c;
      });
      logs.push(`${version} canvases: ${JSON.stringify(c)}`);
      assert.equal(await frame.evaluate(() => document.title), TITLE);
      const posted = (await page.evaluate(() => (window as unknown as { flMessages: Array<Record<string, unknown>> }).flMessages)).filter(
        (m) => m["type"] === "firefox-launcher:title",
      );
      assert.ok(posted.length > 0 && posted.every((m) => m["title"] === TITLE), `title messages ${JSON.stringify(posted)}`);
      // Let any paint, error handler or late metadata happen before looking.
      await new Promise((r) => setTimeout(r, 1500));
      await assertNothingRan();
      console.log(`# ${version} titles: document.title and ${c.count} aria-labels hold the markup as text; nothing ran`);
    });

    test("300 popups in a second: responsive, bounded canvases, none left after", async () => {
      const before = await canvases();
      const rss0 = renderersRss(chromium!.pid);
      const ack = command("popups 300 2000");
      const s = await sampleWhile(ack);
      const facts = await ack;
      const after = await waitFor("the canvases back to what they were", 30000, async () => {
        const c = await canvases();
        return c.count === before.count && c;
      });
      const rss1 = renderersRss(chromium!.pid);
      console.log(
        `# ${version} popups: app ${facts}; ${s.samples} samples, worst round trip ${s.worstMs.toFixed(0)} ms, ` +
          `most canvases ${s.maxCount} (limit ${DISPLAY_LIMITS.maxWindows}), back to ${after.count}; renderer RSS ${(rss0 / MB).toFixed(0)} -> ${(rss1 / MB).toFixed(0)} MB`,
      );
      assert.match(facts, /^mapped=300 /);
      assert.ok(s.samples >= 3, `sampled ${s.samples} times`);
      assert.ok(s.maxCount > before.count, `the popups were shown at all (positive control): at most ${s.maxCount} canvases`);
      assert.ok(s.maxCount <= DISPLAY_LIMITS.maxWindows, `${s.maxCount} canvases at once, limit ${DISPLAY_LIMITS.maxWindows}`);
      assert.ok(s.worstMs < RESPONSIVE_MS, `worst round trip ${s.worstMs.toFixed(0)} ms`);
      await assertNothingRan();
    });

    test("a 10000×10000 window: responsive, canvas capped, memory bounded", async () => {
      // The control: the same page with its normal windows, once settled.
      await new Promise((r) => setTimeout(r, 1000));
      const heap0 = await heap();
      const rss0 = renderersRss(chromium!.pid);
      const base = await canvases();
      const ack = command("big 10000 8");
      const s = await sampleWhile(ack);
      const facts = await ack;
      // Let the server's pictures of the big window arrive and be drawn.
      await new Promise((r) => setTimeout(r, 3000));
      const c = await canvases();
      const heap1 = await heap();
      const rss1 = renderersRss(chromium!.pid);
      const rt = await roundTrip();
      console.log(
        `# ${version} big: app ${facts}; ${s.samples} samples, worst round trip ${s.worstMs.toFixed(0)} ms, after ${rt.toFixed(0)} ms; ` +
          `largest canvas css ${c.maxCssW}x${c.maxCssH} backing ${c.maxW}x${c.maxH} (worst seen ${s.maxSide}); ` +
          `heap ${(heap0 / MB).toFixed(1)} -> ${(heap1 / MB).toFixed(1)} MB; renderer RSS ${(rss0 / MB).toFixed(0)} -> ${(rss1 / MB).toFixed(0)} MB; ` +
          `control canvases ${JSON.stringify(base)}`,
      );
      assert.match(facts, /now=10000x10000/, "the window is 10000×10000 in X at the end");
      const cap = Math.min(DISPLAY_LIMITS.maxCanvasSide, MAX_SIDE);
      assert.ok(c.maxCssW <= 2 * VIEWPORT.width && c.maxCssH <= 2 * VIEWPORT.height, `canvas box ${c.maxCssW}x${c.maxCssH}`);
      assert.ok(c.maxW <= 2 * VIEWPORT.width && c.maxH <= 2 * VIEWPORT.height, `canvas backing ${c.maxW}x${c.maxH}`);
      assert.ok(s.maxSide <= Math.min(cap, 2 * VIEWPORT.width), `a canvas side of ${s.maxSide} was seen`);
      assert.ok(s.worstMs < RESPONSIVE_MS && rt < RESPONSIVE_MS, `round trips ${s.worstMs.toFixed(0)} / ${rt.toFixed(0)} ms`);
      assert.ok(heap1 - heap0 < HEAP_GROWTH_MB * MB, `heap grew ${((heap1 - heap0) / MB).toFixed(1)} MB`);
      assert.ok(rss1 - rss0 < RSS_GROWTH_MB * MB, `renderer RSS grew ${((rss1 - rss0) / MB).toFixed(0)} MB`);
      await assertNothingRan();
      assert.equal(await command("small"), "ok");
    });
  });
}
