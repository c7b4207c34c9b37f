/**
 * The Chromium helper itself: the page is a secure context (WebCodecs needs one), built modules
 * and in-memory routes are served, nothing outside the root is, and close() leaves no process.
 */
import { strict as assert } from "node:assert";
import { get } from "node:http";
import { test } from "node:test";
import { startChromium } from "./helpers/chromium.js";

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

test("chromium helper: secure context, routes, root confinement, clean close", async () => {
  const s = await startChromium();
  const pid = s.pid;
  try {
    assert.ok(pid > 0 && alive(pid));
    s.route("/probe.bin", new Uint8Array([1, 2, 3]));
    const page = await s.newPage();
    const r = await page.evaluate(async () => {
      const bin = new Uint8Array(await (await fetch("/probe.bin")).arrayBuffer());
      const built = await fetch("/src/protocol/index.js");
      const mod = (await import("/src/protocol/index.js" as string)) as Record<string, unknown>;
      return {
        secure: self.isSecureContext,
        bin: Array.from(bin),
        built: built.status,
        hasEncode: typeof mod["encodePacket"],
        webcodecs: typeof (self as unknown as { VideoDecoder?: unknown }).VideoDecoder,
      };
    });
    // The browser normalises "..", so the traversal is sent raw from here.
    const outside = await new Promise<number>((ok, fail) =>
      get(`${s.origin}/..%2fpackage.json`, (res) => {
        res.resume();
        ok(res.statusCode ?? 0);
      }).on("error", fail),
    );
    assert.equal(outside, 403);
    assert.deepEqual(r, { secure: true, bin: [1, 2, 3], built: 200, hasEncode: "function", webcodecs: "function" });
  } finally {
    await s.close();
  }
  // Chromium's group leader is reaped by Playwright; give it a moment and check nothing is left.
  for (let i = 0; i < 50 && alive(pid); i++) await new Promise((ok) => setTimeout(ok, 100));
  assert.equal(alive(pid), false, `chromium ${pid} still alive after close()`);
});
