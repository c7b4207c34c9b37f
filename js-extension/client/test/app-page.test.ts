/**
 * The whole page in Debian's Chromium against real Xpra servers (3.1.3 and 6.5.5), served as the
 * sidecar serves it (dist/ under /sessions/1/, its CSP, session.json, the websocket relayed raw to
 * Xpra's unix socket) inside a parent page that records what it posts:
 * - the connection is reported established;
 * - the X app's window (xmessage) is Firefox's stand-in: it fills the viewport, and its pixels
 *   are on the screen (light text-box pixels, not the black page);
 * - its title, full of markup, reaches the page's title and the parent as text, and creates no
 *   element (hostile-content test).
 * The session, the page server and Chromium are started and stopped by test/helpers/app/session.ts
 * (shared with app-hostile.test.ts).
 * Run heavy: `flock /tmp/fl-heavy.lock node --test build/test/app-page.test.js` after
 * `npm run build && npm run bundle`.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import type { Page } from "playwright-core";
import { xpraAvailable } from "./helpers/session/xpra-server.js";
import { appSession, VIEWPORT } from "./helpers/app/session.js";

// Markup, an entity, a quote-free script attempt and non-ASCII text: all of it must stay text.
// Latin-1 only: xmessage sets a title beyond it as COMPOUND_TEXT, which Xpra reads as no title.
const TITLE = "<b id=flpwn>bold</b><img id=flimg src=x onerror=alert(1)> &amp; \u00dcn\u00efc\u00f6de ok";
/** Per test: far above a passing run's, so only a hang reaches it. */
const TEST_TIMEOUT_MS = 90_000;

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
    // Single quotes for the shell Xpra starts the child with; the title has none.
    const s = appSession(version, { child: () => `xmessage -title '${TITLE}' -geometry 300x100+40+40 'firefox-launcher page test'` });
    const messages = async (): Promise<Array<Record<string, unknown>>> =>
      s.bounded(s.page.evaluate(() => (window as unknown as { flMessages: Array<Record<string, unknown>> }).flMessages), 10_000, "the parent's messages");

    test("the connection is established and reported to the parent", { timeout: TEST_TIMEOUT_MS }, async () => {
      const m = await s.waitFor("the connection message", 30000, async () => {
        const m = await messages();
        return m.some((x) => x["type"] === "firefox-launcher:connection" && x["state"] === "established") && m;
      });
      assert.ok(m.length > 0);
      assert.ok(s.server.relayed >= 1, "the websocket went through the relay");
    });

    test("the window fills the viewport and its pixels are shown", { timeout: TEST_TIMEOUT_MS }, async () => {
      const rect = await s.waitFor("a filling canvas", 30000, () =>
        s.frame.evaluate(() => {
          const c = document.querySelector("canvas.window.fill");
          if (!c) return null;
          const r = c.getBoundingClientRect();
          return { x: r.x, y: r.y, w: r.width, h: r.height };
        }),
      );
      assert.deepEqual(rect, { x: 0, y: 0, w: VIEWPORT.width, h: VIEWPORT.height });
      // xmessage is a light box with dark text: once drawn, most of the viewport is light.
      const share = await s.waitFor("the window's pixels", 30000, async () => {
        const v = await lightShare(s.page);
        return v > 0.5 && v;
      });
      assert.ok(share > 0.5, `light share ${share}`);
      assert.equal(await s.frame.evaluate(() => getComputedStyle(document.body).backgroundColor), "rgb(0, 0, 0)", "the page's own background is black");
    });

    test("the title reaches the page and the parent as text and creates no element", { timeout: TEST_TIMEOUT_MS }, async () => {
      const posted = await s.waitFor("the title message", 30000, async () => {
        const m = await messages();
        s.logs.push(`posted: ${JSON.stringify(m)}`);
        return m.find((x) => x["type"] === "firefox-launcher:title" && x["title"] === TITLE);
      });
      assert.equal(posted["title"], TITLE);
      assert.equal(await s.frame.evaluate(() => document.title), TITLE);
      const dom = await s.frame.evaluate(() => ({
        injected: document.querySelectorAll("#flpwn, #flimg, img, b, script:not([src])").length,
        tags: [...new Set(Array.from(document.querySelectorAll("*")).map((e) => e.tagName.toLowerCase()))].sort(),
      }));
      assert.equal(dom.injected, 0);
      assert.deepEqual(dom.tags, ["body", "canvas", "div", "head", "html", "link", "meta", "script", "title"]);
    });
  });
}
