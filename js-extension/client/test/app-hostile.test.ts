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
 * Everything that must never happen is an incident the moment it is seen (the element watcher
 * reports each foreign element as it is added, with where; a CSP violation, the canary, a dialog,
 * a frame inside the session page, a request for the markup's image, a console error likewise):
 * every wait fails at once with the first one (test/helpers/app/session.ts), and every step that
 * asks the page is bounded, so a client that parses titles as markup fails within seconds, naming
 * what appeared where, and the session is still stopped.
 *
 * To see a test fail against a broken client, serve a modified copy of dist/ in place of the
 * real one: FL_HOSTILE_DIST=/tmp/broken-dist (the page server serves it with the product's CSP).
 *
 * Run heavy: `flock /tmp/fl-heavy.lock node --test build/test/app-hostile.test.js` after
 * `npm run build && npm run bundle && npm run build:test`.
 */
import { after, describe, test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { xpraAvailable } from "./helpers/session/xpra-server.js";
import { appSession, sleep, VIEWPORT } from "./helpers/app/session.js";
import { DISPLAY_LIMITS } from "../src/display/geometry.js";
import { MAX_SIDE } from "../src/paint/limits.js";

const APP = fileURLToPath(new URL("../../test/helpers/hostile/hostile_app.py", import.meta.url));

// Every way markup could run if parsed: an image error handler, a script, an svg onload, an
// iframe; plus an entity and Latin-1 text (WM_NAME and WM_CLASS are Latin-1 STRINGs).
const TITLE =
  "<img id=flimg src=x onerror=window.__ran=1><script>window.__ran=2</script>" +
  "<svg onload=window.__ran=3></svg><iframe src=javascript:window.parent.__ran=4></iframe> &amp; \u00dcn\u00efc\u00f6de";
const CLASS = "<img id=flcls src=x onerror=window.__ran=5>Cl\u00e4ss";
/** A page.evaluate round trip slower than this means the tab hangs (generous: 2 shared cores). */
const RESPONSIVE_MS = 3000;
/** Any one question to the page: longer than this and the page is hung, not slow. */
const ASK_MS = 20_000;
/** Growth allowed over the normal window's figures (see the header: uncapped would be ≥ 268 MB). */
const HEAP_GROWTH_MB = 64;
const RSS_GROWTH_MB = 200;
const MB = 1024 * 1024;
/** Per test: far above a passing run's (under 15 s each), so only a hang reaches it. */
const TEST_TIMEOUT_MS = 120_000;

// Installed in every frame before its scripts (Playwright injects it, the page's CSP does not
// apply): records what must never happen and reports each at once through __flIncident (a
// binding to the test, see prepare()).
function watch(): void {
  const w = window as unknown as Record<string, unknown>;
  const report = (what: string, lead = false): void => {
    const f = w["__flIncident"];
    if (typeof f === "function") void (f as (s: string, lead: boolean) => Promise<void>)(`${what}, in ${location.href}`, lead);
  };
  const added: string[] = [];
  const violations: string[] = [];
  w["__flAdded"] = added;
  w["__flViolations"] = violations;
  // The canary every piece of the markup sets if it runs (the iframe's sets its parent's).
  let ran: unknown = null;
  Object.defineProperty(window, "__ran", {
    get: () => ran,
    set: (v: unknown) => {
      ran = v;
      report(`the markup ran (window.__ran = ${String(v)})`, true);
    },
  });
  document.addEventListener("securitypolicyviolation", (e) => {
    const v = `${e.violatedDirective} ${e.blockedURI}`;
    violations.push(v);
    report(`CSP violation: ${v} (markup was parsed)`);
  });
  const where = (el: Element | null): string =>
    el === null ? "(detached)" : `<${el.tagName.toLowerCase()}${el.id ? ` id=${el.id}` : ""}${el.className ? ` class=${String(el.className)}` : ""}>`;
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
        const html = el.outerHTML.slice(0, 200);
        added.push(html);
        report(`foreign element ${html} added under ${where(r.target as Element)}`, true);
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
    let work = "";
    let cmdNo = 0;
    const b64 = (text: string) => Buffer.from(text, "utf8").toString("base64");
    const s = appSession(version, {
      child: () => {
        // The app's command directory, made as the session starts and removed after it stopped.
        work = mkdtempSync(join(tmpdir(), "fl-hostile-app-"));
        return `/usr/bin/python3 ${APP} ${work} ${b64(TITLE)} ${b64(CLASS)}`;
      },
      afterXpra: async (s) => {
        await s.waitFor("the hostile app", 30_000, async () => {
          if (s.xpra.output().includes("Traceback")) throw new Error(s.xpra.output().slice(-2000));
          return existsSync(join(work, "ready"));
        });
      },
      chromiumArgs: ["--enable-precise-memory-info", "--js-flags=--expose-gc"],
      dist: process.env["FL_HOSTILE_DIST"],
      prepare: async (context, s) => {
        await context.exposeBinding("__flIncident", (_source, what: string, lead: boolean) => s.incident(what, lead));
        await context.addInitScript(watch);
        context.on("console", (m) => {
          // Chromium asks the test's parent page for /favicon.ico (a 404 that is not the product's).
          if (m.type() === "error" && !m.location().url.endsWith("/favicon.ico")) s.incident(`console error: ${m.text().slice(0, 160)} (${m.location().url})`);
        });
        context.on("weberror", (e) => s.incident(`page error: ${e.error().message}`));
        context.on("request", (r) => {
          const u = new URL(r.url());
          if (u.pathname.endsWith("/x") || u.protocol === "javascript:") s.incident(`a request made by the markup: ${r.url()}`);
        });
        context.on("dialog", (d) => {
          s.incident(`a dialog opened: ${d.type()}: ${d.message()}`);
          void d.dismiss().catch(() => undefined);
        });
        let pages = 0;
        context.on("page", (p) => {
          if (++pages > 1) s.incident(`a new page opened: ${p.url()}`);
          // The parent page's one frame is the session page; nothing may be framed inside it.
          p.on("frameattached", (f) => {
            const parent = f.parentFrame();
            if (parent !== p.mainFrame() || p.frames().length > 2) s.incident(`a frame attached inside ${parent?.url() ?? "?"} (${f.url() || f.name() || "no url yet"})`);
          });
        });
      },
    });

    after(() => {
      if (work) rmSync(work, { recursive: true, force: true });
    });

    /** A question to the session page, bounded. */
    const ask = <T>(what: string, fn: () => T | Promise<T>): Promise<T> => s.bounded(s.frame.evaluate(fn), ASK_MS, what);

    async function command(line: string, ms = 60000): Promise<string> {
      const n = ++cmdNo;
      writeFileSync(join(work, `cmd-${n}`), line + "\n");
      return s.waitFor(`the app's answer to '${line}'`, ms, async () => {
        const p = join(work, `ack-${n}`);
        return existsSync(p) && readFileSync(p, "utf8").trim();
      });
    }

    const canvases = (): Promise<Canvases> =>
      ask("the canvases", () => {
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
      await ask("a round trip", () => 1);
      return performance.now() - t;
    }

    const heap = (): Promise<number> =>
      ask("the JS heap", () => {
        (window as unknown as { gc?: () => void }).gc?.();
        return (performance as unknown as { memory: { usedJSHeapSize: number } }).memory.usedJSHeapSize;
      });

    /** Samples round trips and canvases until `done` settles; the worst of each. */
    async function sampleWhile(done: Promise<unknown>): Promise<{ worstMs: number; maxCount: number; maxSide: number; samples: number }> {
      let finished = false;
      void done.finally(() => (finished = true)).catch(() => undefined);
      const out = { worstMs: 0, maxCount: 0, maxSide: 0, samples: 0 };
      while (!finished) {
        s.check();
        out.worstMs = Math.max(out.worstMs, await roundTrip());
        const c = await canvases();
        out.maxCount = Math.max(out.maxCount, c.count);
        out.maxSide = Math.max(out.maxSide, c.maxCss, c.maxW, c.maxH);
        out.samples++;
        await sleep(50);
      }
      return out;
    }

    /** Nothing of the markup ran or became an element, anywhere, so far. */
    async function assertNothingRan(): Promise<void> {
      s.check();
      const frames = s.page.frames();
      assert.equal(frames.length, 2, `frames besides the parent and the session page: ${frames.map((f) => f.url()).join(", ")}`);
      for (const f of frames) {
        const seen = await s.bounded(
          f.evaluate(() => {
            const w = window as unknown as Record<string, unknown>;
            return { url: location.href, ran: w["__ran"] ?? null, added: w["__flAdded"], violations: w["__flViolations"] };
          }),
          ASK_MS,
          `the watcher's records in ${f.url()}`,
        );
        assert.equal(seen.ran, null, `the markup ran in ${seen.url}`);
        assert.deepEqual(seen.added, [], `elements added in ${seen.url}`);
        assert.deepEqual(seen.violations, [], `CSP violations in ${seen.url}`);
      }
      const body = await ask("the body's elements", () =>
        Array.from(document.body.querySelectorAll("*")).filter((e) => !(e.id === "screen" || (e.tagName === "CANVAS" && e.parentElement?.id === "screen"))).map((e) => e.outerHTML.slice(0, 200)),
      );
      assert.deepEqual(body, [], "elements in the body besides #screen and its canvases");
      assert.deepEqual(s.incidents, [], "incidents");
    }

    test("markup in titles and WM_CLASS stays text and nothing runs", { timeout: TEST_TIMEOUT_MS }, async () => {
      const c = await s.waitFor("the three windows, titled", 30000, async () => {
        const c = await canvases();
        return c.count === 3 && c.fills === 1 && c.labels.every((l) => l === TITLE) && c;
      });
      s.logs.push(`${version} canvases: ${JSON.stringify(c)}`);
      assert.equal(await ask("document.title", () => document.title), TITLE);
      const posted = (await s.bounded(s.page.evaluate(() => (window as unknown as { flMessages: Array<Record<string, unknown>> }).flMessages), ASK_MS, "the parent's messages")).filter(
        (m) => m["type"] === "firefox-launcher:title",
      );
      assert.ok(posted.length > 0 && posted.every((m) => m["title"] === TITLE), `title messages ${JSON.stringify(posted)}`);
      // Let any paint, error handler or late metadata happen before looking (an incident ends it).
      await s.bounded(sleep(1500), 2000, "the settling pause");
      await assertNothingRan();
      console.log(`# ${version} titles: document.title and ${c.count} aria-labels hold the markup as text; nothing ran`);
    });

    test("300 popups in a second: responsive, bounded canvases, none left after", { timeout: TEST_TIMEOUT_MS }, async () => {
      s.check();
      const before = await canvases();
      const rss0 = renderersRss(s.chromium.pid);
      const ack = command("popups 300 2000");
      ack.catch(() => undefined); // awaited below; a failure while sampling must not go unhandled
      const sampled = await sampleWhile(ack);
      const facts = await ack;
      const after = await s.waitFor("the canvases back to what they were", 30000, async () => {
        const c = await canvases();
        return c.count === before.count && c;
      });
      const rss1 = renderersRss(s.chromium.pid);
      console.log(
        `# ${version} popups: app ${facts}; ${sampled.samples} samples, worst round trip ${sampled.worstMs.toFixed(0)} ms, ` +
          `most canvases ${sampled.maxCount} (limit ${DISPLAY_LIMITS.maxWindows}), back to ${after.count}; renderer RSS ${(rss0 / MB).toFixed(0)} -> ${(rss1 / MB).toFixed(0)} MB`,
      );
      assert.match(facts, /^mapped=300 /);
      assert.ok(sampled.samples >= 3, `sampled ${sampled.samples} times`);
      assert.ok(sampled.maxCount > before.count, `the popups were shown at all (positive control): at most ${sampled.maxCount} canvases`);
      assert.ok(sampled.maxCount <= DISPLAY_LIMITS.maxWindows, `${sampled.maxCount} canvases at once, limit ${DISPLAY_LIMITS.maxWindows}`);
      assert.ok(sampled.worstMs < RESPONSIVE_MS, `worst round trip ${sampled.worstMs.toFixed(0)} ms`);
      await assertNothingRan();
    });

    test("a 10000×10000 window: responsive, canvas capped, memory bounded", { timeout: TEST_TIMEOUT_MS }, async () => {
      // The control: the same page with its normal windows, once settled.
      await s.bounded(sleep(1000), 1500, "the settling pause");
      const heap0 = await heap();
      const rss0 = renderersRss(s.chromium.pid);
      const base = await canvases();
      const ack = command("big 10000 8");
      ack.catch(() => undefined);
      const sampled = await sampleWhile(ack);
      const facts = await ack;
      // Let the server's pictures of the big window arrive and be drawn.
      await s.bounded(sleep(3000), 3500, "the drawing pause");
      const c = await canvases();
      const heap1 = await heap();
      const rss1 = renderersRss(s.chromium.pid);
      const rt = await roundTrip();
      console.log(
        `# ${version} big: app ${facts}; ${sampled.samples} samples, worst round trip ${sampled.worstMs.toFixed(0)} ms, after ${rt.toFixed(0)} ms; ` +
          `largest canvas css ${c.maxCssW}x${c.maxCssH} backing ${c.maxW}x${c.maxH} (worst seen ${sampled.maxSide}); ` +
          `heap ${(heap0 / MB).toFixed(1)} -> ${(heap1 / MB).toFixed(1)} MB; renderer RSS ${(rss0 / MB).toFixed(0)} -> ${(rss1 / MB).toFixed(0)} MB; ` +
          `control canvases ${JSON.stringify(base)}`,
      );
      assert.match(facts, /now=10000x10000/, "the window is 10000×10000 in X at the end");
      const cap = Math.min(DISPLAY_LIMITS.maxCanvasSide, MAX_SIDE);
      assert.ok(c.maxCssW <= 2 * VIEWPORT.width && c.maxCssH <= 2 * VIEWPORT.height, `canvas box ${c.maxCssW}x${c.maxCssH}`);
      assert.ok(c.maxW <= 2 * VIEWPORT.width && c.maxH <= 2 * VIEWPORT.height, `canvas backing ${c.maxW}x${c.maxH}`);
      assert.ok(sampled.maxSide <= Math.min(cap, 2 * VIEWPORT.width), `a canvas side of ${sampled.maxSide} was seen`);
      assert.ok(sampled.worstMs < RESPONSIVE_MS && rt < RESPONSIVE_MS, `round trips ${sampled.worstMs.toFixed(0)} / ${rt.toFixed(0)} ms`);
      assert.ok(heap1 - heap0 < HEAP_GROWTH_MB * MB, `heap grew ${((heap1 - heap0) / MB).toFixed(1)} MB`);
      assert.ok(rss1 - rss0 < RSS_GROWTH_MB * MB, `renderer RSS grew ${((rss1 - rss0) / MB).toFixed(0)} MB`);
      await assertNothingRan();
      assert.equal(await command("small"), "ok");
    });
  });
}
