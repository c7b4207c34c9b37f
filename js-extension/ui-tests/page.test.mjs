// The session page on its own (`/sessions/PORT/` of a `serve` on TCP, as in the "open in a
// browser tab" mode), in Debian's Chromium with a real Firefox behind it: Firefox's window fills
// the page exactly and follows its size, with no Xpra chrome around it; menus and popups still
// appear over it.
//
// Env: FIREFOX_LAUNCHER_BIN (default: the newer of the repository's release and debug builds).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { chromium } from 'playwright-core';
import { CHROMIUM_FLAGS } from './common.mjs';

const ROOT = new URL('../../', import.meta.url).pathname;
const BIN =
  process.env.FIREFOX_LAUNCHER_BIN ??
  ['release', 'debug']
    .map((profile) => join(ROOT, 'target', profile, 'firefox-launcher'))
    .filter(existsSync)
    .sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs)[0];
const PAGE_RGB = [32, 160, 96];
const PAGE = `<!DOCTYPE html><title>page-test</title>
<style>html,body{margin:0;height:100%;background:rgb(${PAGE_RGB.join(',')})}</style>
<select id="s" style="position:absolute;left:20px;top:20px;font-size:20px">
<option>one</option><option>two</option><option>three</option></select>
<button id="b" style="position:absolute;left:20px;top:80px;font-size:20px"
 onclick="window.open('about:blank','popup','width=300,height=200')">popup</button>`;

// A target at a known place of Firefox's page: a press on it reports Firefox's devicePixelRatio
// in the title, a press elsewhere reports where it landed.
const TARGET = { left: 300, top: 150, width: 200, height: 100 };
const DPR_PAGE = `<!DOCTYPE html><title>dpr-none</title>
<style>html,body{margin:0;height:100%;background:rgb(${PAGE_RGB.join(',')})}</style>
<div id="t" style="position:absolute;left:${TARGET.left}px;top:${TARGET.top}px;width:${TARGET.width}px;height:${TARGET.height}px;background:#c00"></div>
<script>document.addEventListener('mousedown', (e) => {
  document.title = (e.target.id === 't' ? 'hit ' : 'miss ' + e.clientX + ',' + e.clientY + ' ') + devicePixelRatio;
});</script>`;

// Behind HTTP basic auth: Firefox asks for the login in its own prompt; once given, a page with a
// file input at a known place.
const AUTH = 'Basic ' + Buffer.from('ada:lovelace').toString('base64');
const FILE_PAGE = `<!DOCTYPE html><title>authed</title>
<style>html,body{margin:0;height:100%;background:rgb(${PAGE_RGB.join(',')})}</style>
<input type="file" id="f" style="position:absolute;left:20px;top:20px;font-size:20px">`;

let home;
let serve;
let site;
let browser;
let api;
let session;

/** Polls `probe` until it returns a truthy value or `ms` pass; returns the last value. */
async function within(ms, probe) {
  const deadline = Date.now() + ms;
  let value = await probe();
  while (!value && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 50));
    value = await probe();
  }
  return value;
}

async function call(method, path, body) {
  const response = await fetch(api.address + path, {
    method,
    headers: { Authorization: `token ${api.token}`, 'Content-Type': 'application/json' },
    body: body && JSON.stringify(body),
  });
  return { status: response.status, json: await response.json().catch(() => null) };
}

before(async () => {
  assert.ok(BIN, 'build firefox-launcher first (cargo build)');
  home = mkdtempSync(join(tmpdir(), 'fl-page-test-'));
  site = createServer((req, res) => {
    if (req.url === '/auth' && req.headers.authorization !== AUTH) {
      return res.writeHead(401, { 'WWW-Authenticate': 'Basic realm="page-test"' }).end('login needed');
    }
    const page = { '/dpr': DPR_PAGE, '/auth': FILE_PAGE }[req.url] ?? PAGE;
    res.writeHead(200, { 'Content-Type': 'text/html' }).end(page);
  });
  await new Promise((r) => site.listen(0, '127.0.0.1', r));
  // The file dialog opens in the workspace: a small one, not whatever directory the suite runs in
  // (a big tree keeps GTK busy listing it while the test types Escape).
  serve = spawn(BIN, ['serve', '--port', '0', '--no-follow-parent', '--workspace', home], {
    env: { ...process.env, FIREFOX_LAUNCHER_HOME: home },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  const runtime = join(home, 'runtime.json');
  assert.ok(await within(20_000, () => existsSync(runtime)), 'serve wrote no runtime file');
  api = JSON.parse(readFileSync(runtime, 'utf8'));
  const created = await call('POST', '/api/sessions', { url: `http://127.0.0.1:${site.address().port}/` });
  assert.equal(created.status, 201, JSON.stringify(created.json));
  session = created.json;
  browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: CHROMIUM_FLAGS,
  });
});

after(async () => {
  await browser?.close();
  if (session) {
    const stopped = await call('DELETE', `/api/sessions/${session.port}`);
    assert.equal(stopped.status, 200, 'the session stops');
  }
  if (serve && serve.exitCode === null) {
    serve.kill('SIGTERM');
    await new Promise((r) => serve.once('exit', r));
  }
  site?.close();
  if (home) rmSync(home, { recursive: true, force: true });
});

/** The client's windows: each div in #screen with its rectangle, classes and visible title bar. */
function windows(page) {
  return page.evaluate(() =>
    [...document.querySelectorAll('#screen > div')]
      .filter((d) => d.querySelector('canvas'))
      .map((d) => {
        const r = d.getBoundingClientRect();
        const head = d.querySelector('.windowhead');
        return {
          id: d.id, cls: d.className, x: r.x, y: r.y, w: r.width, h: r.height,
          titleBar: !!head && head.offsetParent !== null,
        };
      }),
  );
}

/** Firefox's page colour at a point of the viewport, read from the canvas drawn there. */
function pixelAt(page, x, y) {
  return page.evaluate(([x, y]) => {
    const canvas = document.elementsFromPoint(x, y).find((e) => e.tagName === 'CANVAS');
    if (!canvas) return null;
    const r = canvas.getBoundingClientRect();
    const scale = canvas.width / r.width;
    return [...canvas.getContext('2d').getImageData(Math.floor((x - r.x) * scale), Math.floor((y - r.y) * scale), 1, 1).data].slice(0, 3);
  }, [x, y]);
}

const isPage = (rgb) => !!rgb && rgb.every((c, i) => Math.abs(c - PAGE_RGB[i]) <= 8);

test('Firefox fills the page, follows its size within a second, and has no Xpra chrome', async () => {
  const page = await browser.newPage({ viewport: { width: 1070, height: 716 } });
  await page.goto(`${api.address}/${session.path}?token=${api.token}`);
  await page.waitForSelector('#screen canvas', { timeout: 60_000 });
  for (const [width, height] of [[1070, 716], [1400, 900], [800, 600]]) {
    await page.setViewportSize({ width, height });
    const fits = await within(1_000, async () => {
      const main = (await windows(page))[0];
      return main && Math.abs(main.x) <= 2 && Math.abs(main.y) <= 2 && Math.abs(main.w - width) <= 2 && Math.abs(main.h - height) <= 2;
    });
    assert.ok(fits, `at ${width}x${height}: ${JSON.stringify(await windows(page))}`);
    // Firefox itself was resized, not only the client's frame: its page reaches the far corner.
    const corner = await within(5_000, async () => isPage(await pixelAt(page, width - 5, height - 5)));
    assert.ok(corner, `Firefox's page does not reach ${width - 5},${height - 5}: ${await pixelAt(page, width - 5, height - 5)}`);
  }
  const [main] = await windows(page);
  assert.equal(main.titleBar, false, 'no Xpra title bar around Firefox');
  assert.equal(await page.locator('#float_menu').isVisible(), false, 'no floating menu');
  assert.match(await page.title(), /page-test/, 'the page is titled after Firefox');
  await page.screenshot({ path: join(home, 'filled.png') });

  // The client's own reconnect (what it runs when its connection drops) brings Firefox back.
  await page.evaluate(() => client.do_reconnect());
  const back = await within(20_000, async () => {
    const w = (await windows(page))[0];
    return w && Math.abs(w.w - 800) <= 2 && isPage(await pixelAt(page, 795, 595));
  });
  assert.ok(back, `Firefox is back after a reconnect: ${JSON.stringify(await windows(page))}`);
  await page.close();
});

test('menus and popups appear over Firefox', async () => {
  const page = await browser.newPage({ viewport: { width: 1000, height: 700 } });
  await page.goto(`${api.address}/${session.path}?token=${api.token}`);
  await page.waitForSelector('#screen canvas', { timeout: 60_000 });
  // Wait until Firefox has drawn the page (the select sits at 20,20 of the content area).
  assert.ok(await within(10_000, async () => isPage(await pixelAt(page, 500, 500))), 'Firefox drew its page');
  const shown = await windows(page);
  const [main] = shown;
  // Windows opened since (by id: a count would be fooled by one closing as another opens).
  const known = new Set(shown.map((w) => w.id));
  const opened = async () => (await windows(page)).filter((w) => !known.has(w.id));
  // Firefox's content area starts below its toolbar: find the select by scanning for its box.
  const toolbar = await within(5_000, async () => {
    for (let y = 0; y < 200; y += 4) if (isPage(await pixelAt(page, 5, y))) return y;
    return null;
  });
  assert.ok(toolbar !== null, 'found where the page starts');
  await page.mouse.click(main.x + 60, toolbar + 32);
  const menu = await within(5_000, async () => {
    const added = await opened();
    return added.length > 0 && added;
  });
  assert.ok(menu, 'the dropdown opened as a window of its own');
  for (const w of menu) {
    assert.ok(w.x >= 0 && w.y >= 0 && w.x + w.w <= 1000 + 2 && w.y + w.h <= 700 + 2, `inside the page: ${JSON.stringify(w)}`);
  }
  await page.keyboard.press('Escape');
  const closed = await within(5_000, async () => (await opened()).length === 0);
  assert.ok(closed, `Escape closes the dropdown: ${JSON.stringify(await windows(page))}`);

  await page.mouse.click(main.x + 50, toolbar + 92);
  const popup = await within(10_000, async () => (await windows(page)).find((w) => w.id !== main.id && w.w > 200));
  assert.ok(popup, `window.open made a window: ${JSON.stringify(await windows(page))}`);
  assert.ok(popup.x >= 0 && popup.y >= 0 && popup.x + popup.w <= 1000 + 2, `the popup is inside the page: ${JSON.stringify(popup)}`);
  const [stillMain] = await windows(page);
  assert.ok(Math.abs(stillMain.w - 1000) <= 2, 'Firefox still fills the page behind its popup');
  await page.close();
});

test('on a devicePixelRatio 2 screen Firefox is drawn in device pixels, at its size, and clicks land', async () => {
  const created = await call('POST', '/api/sessions', { url: `http://127.0.0.1:${site.address().port}/dpr` });
  assert.equal(created.status, 201, JSON.stringify(created.json));
  const dpr = created.json;
  const context = await browser.newContext({ viewport: { width: 900, height: 650 }, deviceScaleFactor: 2 });
  try {
    const page = await context.newPage();
    await page.goto(`${api.address}/${dpr.path}?token=${api.token}`);
    await page.waitForSelector('#screen canvas', { timeout: 60_000 });
    // The canvas holds a pixel per device pixel: drawn 1:1, not scaled up.
    const ratio = await within(5_000, async () => {
      const r = await page.evaluate(() => {
        const c = document.querySelector('#screen canvas');
        return c.width / c.getBoundingClientRect().width;
      });
      return Math.abs(r - 2) < 0.02 && r;
    });
    assert.ok(ratio, 'the canvas is in device pixels');
    const [main] = await windows(page);
    assert.ok(Math.abs(main.w - 900) <= 2 && Math.abs(main.h - 650) <= 2, `fills the page: ${JSON.stringify(main)}`);
    // Where Firefox's page starts, in viewport pixels; once Firefox took the session's DPI its
    // toolbar is as tall as a local one (about 70-90 px), not half of it.
    const top = await within(10_000, async () => {
      for (let y = 40; y < 200; y += 2) if (isPage(await pixelAt(page, 5, y))) return y;
      return null;
    });
    assert.ok(top !== null && top > 60, `Firefox's toolbar at its local size: page starts at ${top}`);
    const title = async () => (await call('GET', `/api/sessions/${dpr.port}`)).json.title;
    // Aim at the target's centre where it is drawn now (Firefox CSS pixels are viewport pixels
    // here, but its toolbar may still change height while it settles): found by its colour.
    const x = main.x + TARGET.left + TARGET.width / 2;
    const isTarget = (rgb) => !!rgb && Math.abs(rgb[0] - 204) <= 8 && rgb[1] <= 8 && rgb[2] <= 8;
    const targetTop = await within(10_000, async () => {
      for (let y = top; y < top + TARGET.top + 100; y += 2) if (isTarget(await pixelAt(page, x, y))) return y;
      return null;
    });
    assert.ok(targetTop !== null, 'the target is drawn');
    // A first press may only give the window the focus: press again while nothing is reported.
    let reported = false;
    for (let attempt = 0; attempt < 3 && !reported; attempt++) {
      await page.mouse.click(x, targetTop + TARGET.height / 2);
      reported = await within(3_000, async () => { const t = await title(); return /^(hit|miss)/.test(t) && t; });
    }
    assert.match(reported || (await title()), /^hit 2 /, 'the press landed on the target, in a Firefox at scale 2');
  } finally {
    await context.close();
    assert.equal((await call('DELETE', `/api/sessions/${dpr.port}`)).status, 200);
  }
});

test("Firefox's HTTP login prompt and file dialog appear over it and work", async () => {
  const created = await call('POST', '/api/sessions', { url: `http://127.0.0.1:${site.address().port}/auth` });
  assert.equal(created.status, 201, JSON.stringify(created.json));
  const auth = created.json;
  const page = await browser.newPage({ viewport: { width: 1000, height: 700 } });
  try {
    await page.goto(`${api.address}/${auth.path}?token=${api.token}`);
    await page.waitForSelector('#screen canvas', { timeout: 60_000 });
    const title = async () => (await call('GET', `/api/sessions/${auth.port}`)).json.title;
    // The prompt is Firefox's own (tab-modal, in its window) with the user name field focused.
    await page.waitForTimeout(3_000);
    const [main] = await windows(page);
    await page.mouse.click(main.x + main.w / 2, main.y + main.h - 20);
    await within(10_000, async () => (await windows(page)).length > 0);
    await page.keyboard.type('ada');
    await page.keyboard.press('Tab');
    await page.keyboard.type('lovelace');
    await page.keyboard.press('Enter');
    assert.ok(await within(15_000, async () => (await title()).startsWith('authed')), `logged in: ${await title()}`);

    // Firefox offers to save the login in a panel under its address bar (a popup window of its
    // own), shown a moment after the page: waited for, then dismissed. Escape sent before it shows
    // is lost, and the panel then swallows the next click (the one meant for the file input).
    const offer = await within(10_000, async () => (await windows(page)).find((w) => w.id !== main.id));
    if (offer) {
      await page.keyboard.press('Escape');
      const dismissed = await within(10_000, async () => !(await windows(page)).some((w) => w.id === offer.id));
      assert.ok(dismissed, `Escape dismisses the save-login panel: ${JSON.stringify(await windows(page))}`);
    }
    const top = await within(10_000, async () => {
      for (let y = 40; y < 200; y += 2) if (isPage(await pixelAt(page, 950, y))) return y;
      return null;
    });
    assert.ok(top !== null, 'found where the page starts');
    await page.mouse.click(main.x + 60, top + 32);
    const dialog = await within(20_000, async () => (await windows(page)).find((w) => w.id !== main.id && w.w > 300));
    assert.ok(dialog, `the file dialog opened as a window: ${JSON.stringify(await windows(page))}`);
    // Still inside once the application has had its say about its size.
    await page.waitForTimeout(2_000);
    Object.assign(dialog, (await windows(page)).find((w) => w.id === dialog.id));
    const hints = await page.evaluate((id) => JSON.stringify(client.id_to_window[id].metadata['size-constraints'] ?? null), dialog.id);
    assert.ok(dialog.x >= 0 && dialog.y >= 0 && dialog.x + dialog.w <= 1000 + 2 && dialog.y + dialog.h <= 700 + 2,
      `the file dialog is inside the page: ${JSON.stringify(dialog)}, size constraints ${hints}`);
    // Focused through its title bar, the dialog takes the keys: Escape cancels it.
    await page.mouse.click(dialog.x + dialog.w / 2, dialog.y + 8);
    await page.keyboard.press('Escape');
    // The dialog itself is gone (not a count of windows: the save-login panel may still be
    // closing when the dialog opens, and counting it made this flaky).
    const gone = await within(10_000, async () => !(await windows(page)).some((w) => w.id === dialog.id));
    assert.ok(gone, `Escape closes the file dialog: ${JSON.stringify(await windows(page))}`);
  } finally {
    await page.close();
    assert.equal((await call('DELETE', `/api/sessions/${auth.port}`)).status, 200);
  }
});
