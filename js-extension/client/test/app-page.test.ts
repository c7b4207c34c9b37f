/**
 * The whole page in Debian's Chromium against real Xpra servers (3.1.3 and 6.5.5), served as the
 * sidecar serves it (dist/ under /sessions/1/, its CSP, session.json, the websocket relayed raw to
 * Xpra's unix socket) inside a parent page that records what it posts:
 * - the connection is reported established;
 * - the X app's window (xmessage) is Firefox's stand-in: it fills the viewport, and its pixels
 *   are on the screen (light text-box pixels, not the black page);
 * - its title, full of markup, reaches the page's title and the parent as text, and creates no
 *   element (hostile-content test).
 * Run heavy: `flock /tmp/fl-heavy.lock node --test build/test/app-page.test.js` after
 * `npm run build && npm run bundle`.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Frame, Page } from "playwright-core";
import { startXpra, xpraAvailable, type XpraServer, type XpraVersion } from "./helpers/session/xpra-server.js";
import { DIST, PAGE_PATH, PARENT_PATH, startPageServer, type PageServer } from "./helpers/app/page-server.js";
import { startBrowser, type RunningBrowser } from "./helpers/app/browser.js";

// Markup, an entity, a quote-free script attempt and non-ASCII text: all of it must stay text.
// Latin-1 only: xmessage sets a title beyond it as COMPOUND_TEXT, which Xpra reads as no title.
const TITLE = "<b id=flpwn>bold</b><img id=flimg src=x onerror=alert(1)> &amp; \u00dcn\u00efc\u00f6de ok";
const VIEWPORT = { width: 1000, height: 700 };
const SESSION_JSON: Record<XpraVersion, unknown> = {
  "3.1": { xpra: { version: "3.1.3", major: 3, minor: 1 }, encoder: "rencode", clipboard: "off", video: false, encoding: "auto" },
  "6.5": { xpra: { version: "6.5.5", major: 6, minor: 5 }, encoder: "rencodeplus", clipboard: "off", video: false, encoding: "auto" },
};

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
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** Share of light pixels (all channels >= 200) in the viewport, from a real screenshot. */
async function lightShare(page: Page): Promise<number> {
  const png = await page.screenshot({ type: "png" });
  // Decoded by the browser itself (a blank page of ours, so no CSP of the session page applies).
  const probe = await page.context().newPage();
  try {
    await probe.goto("about:blank");
    return await probe.evaluate(async (b64: string) => {
      const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
      const bmp = await createImageBitmap(new Blob([bytes], { type: "image/png" }));
      const c = new OffscreenCanvas(bmp.width, bmp.height);
      const ctx = c.getContext("2d")!;
      ctx.drawImage(bmp, 0, 0);
      const d = ctx.getImageData(0, 0, bmp.width, bmp.height).data;
      let light = 0;
      for (let i = 0; i < d.length; i += 4) if (d[i]! >= 200 && d[i + 1]! >= 200 && d[i + 2]! >= 200) light++;
      return light / (d.length / 4);
    }, png.toString("base64"));
  } finally {
    await probe.close();
  }
}

for (const version of ["3.1", "6.5"] as const) {
  describe(`the page on Xpra ${version}`, { skip: !xpraAvailable(version) && `no Xpra ${version}` }, () => {
    let xpra: XpraServer | undefined;
    let server: PageServer | undefined;
    let browser: RunningBrowser | undefined;
    let page: Page;
    let frame: Frame;
    let www = "";

    before(async () => {
      assert.ok(existsSync(`${DIST}index.html`), "dist/ is missing: npm run build && npm run bundle");
      // Single quotes for the shell Xpra starts the child with; the title has none.
      // Xpra 3.1 answers websocket upgrades on its socket only with its web server on (a web root
      // given, as the sidecar gives it): an empty one here, so it serves nothing else.
      www = mkdtempSync(join(tmpdir(), "fl-app-www-"));
      xpra = await startXpra(version, {
        child: `xmessage -title '${TITLE}' -geometry 300x100+40+40 'firefox-launcher page test'`,
        extraArgs: version === "3.1" ? [`--html=${www}`] : [],
      });
      server = await startPageServer(xpra.socket, SESSION_JSON[version]);
      browser = await startBrowser();
      const context = await browser.browser.newContext({ viewport: VIEWPORT, deviceScaleFactor: 1 });
      context.on("console", (m) => logs.push(`console.${m.type()}: ${m.text()}`));
      context.on("weberror", (e) => logs.push(`page error: ${e.error().message}`));
      page = await context.newPage();
      await page.goto(server.origin + PARENT_PATH);
      frame = await waitFor("the session frame", 10000, async () => page.frames().find((f) => f.url().endsWith(PAGE_PATH)));
    });

    after(async () => {
      await browser?.close();
      await server?.close();
      await xpra?.stop();
      if (www) rmSync(www, { recursive: true, force: true });
    });

    test("the connection is established and reported to the parent", async () => {
      const messages = await waitFor("the connection message", 30000, async () => {
        const m = (await page.evaluate(() => (window as unknown as { flMessages: unknown[] }).flMessages)) as Array<Record<string, unknown>>;
        return m.some((x) => x["type"] === "firefox-launcher:connection" && x["state"] === "established") && m;
      });
      assert.ok(messages.length > 0);
      assert.ok((server?.relayed ?? 0) >= 1, "the websocket went through the relay");
    });

    test("the window fills the viewport and its pixels are shown", async () => {
      const rect = await waitFor("a filling canvas", 30000, () =>
        frame.evaluate(() => {
          const c = document.querySelector("canvas.window.fill");
          if (!c) return null;
          const r = c.getBoundingClientRect();
          return { x: r.x, y: r.y, w: r.width, h: r.height };
        }),
      );
      assert.deepEqual(rect, { x: 0, y: 0, w: VIEWPORT.width, h: VIEWPORT.height });
      // xmessage is a light box with dark text: once drawn, most of the viewport is light.
      const share = await waitFor("the window's pixels", 30000, async () => {
        const s = await lightShare(page);
        return s > 0.5 && s;
      });
      assert.ok(share > 0.5, `light share ${share}`);
      assert.equal(await frame.evaluate(() => getComputedStyle(document.body).backgroundColor), "rgb(0, 0, 0)", "the page's own background is black");
    });

    test("the title reaches the page and the parent as text and creates no element", async () => {
      const posted = await waitFor("the title message", 30000, async () => {
        const m = (await page.evaluate(() => (window as unknown as { flMessages: unknown[] }).flMessages)) as Array<Record<string, unknown>>;
        logs.push(`posted: ${JSON.stringify(m)}`);
        return m.find((x) => x["type"] === "firefox-launcher:title" && x["title"] === TITLE);
      });
      assert.equal(posted["title"], TITLE);
      assert.equal(await frame.evaluate(() => document.title), TITLE);
      const dom = await frame.evaluate(() => ({
        injected: document.querySelectorAll("#flpwn, #flimg, img, b, script:not([src])").length,
        tags: [...new Set(Array.from(document.querySelectorAll("*")).map((e) => e.tagName.toLowerCase()))].sort(),
      }));
      assert.equal(dom.injected, 0);
      assert.deepEqual(dom.tags, ["body", "canvas", "div", "head", "html", "link", "meta", "script", "title"]);
    });
  });
}
