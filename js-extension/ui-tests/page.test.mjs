// The session page on its own (`/sessions/PORT/` of a `serve` on TCP, as in the "open in a
// browser tab" mode), in Debian's Chromium with a real Firefox behind it: Firefox's window fills
// the page exactly and follows its size, with no Xpra chrome around it; menus and popups still
// appear over it; the client's own reconnect brings it back (and a refused one does not);
// Firefox's HTTP login prompt and its file dialog work through the page.
//
// When the suite ends, every session it started is stopped, none of their processes and no
// session directory is left, and `serve` exits 0 on SIGTERM.
//
// The page is observed through what it shows of itself (js-extension/client/docs/page-surface.md:
// `#screen[data-state][data-focused]`, `canvas.window[data-wid][data-type][aria-label]`) and what
// the user sees (Chromium's screenshots, screen.mjs); what it does to Firefox through Firefox's
// page (titles, reported through the API) and the session's X server.
//
// Env: FIREFOX_LAUNCHER_BIN (default: the newer of the repository's release and debug builds);
//      FIREFOX_LAUNCHER_XPRA (which Xpra), passed on to `serve`.
// Run: cd js-extension/ui-tests && node --test --test-concurrency=1 page.test.mjs
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { connect, createServer as createTcpServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { chromium } from 'playwright-core';
import { CHROMIUM_FLAGS, QUIET_AUDIO_ARGS, quietAudioEnv, SOUND_CONTROLS, dialogFocusPoint, chromeShown, clientWindows, screenState, sessionXpra, waitFor, xScreenSize, xWindows } from './common.mjs';
import { sessionProcs, stillRunning } from './procs.mjs';
import { pixelAtPoint, shot } from './screen.mjs';
import { Sidecar } from './sidecar.mjs';

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
// file input at a known place, which takes the name of the file chosen as its title.
const AUTH = 'Basic ' + Buffer.from('ada:lovelace').toString('base64');
const FILE_PAGE = `<!DOCTYPE html><title>authed</title>
<style>html,body{margin:0;height:100%;background:rgb(${PAGE_RGB.join(',')})}</style>
<input type="file" id="f" style="position:absolute;left:20px;top:20px;font-size:20px">
<script>document.getElementById('f').addEventListener('change', (e) => {
  document.title = 'picked ' + [...e.target.files].map((f) => f.name).join(',');
});</script>`;
// The file picked in the file dialog, in the workspace (where the dialog opens).
const PICK_NAME = `page-test-pick-${randomBytes(4).toString('hex')}.txt`;

let home;
/** The sidecar (sidecar.mjs). */
let serve;
let site;
let browser;
let api;
let session;
/** Sessions started and not yet stopped, by port; every process any session had. */
const running = new Map();
const sessionProcList = [];

const serveRunning = () => serve?.running();

function log(...args) {
  console.log(`[page ${new Date().toISOString().slice(11, 23)}]`, ...args);
}

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

/** Starts a session on `url`; it is stopped by the test, or else by the `after` hook. */
async function startSession(url) {
  const created = await call('POST', '/api/sessions', { url });
  assert.equal(created.status, 201, JSON.stringify(created.json));
  running.set(created.json.port, created.json);
  sessionProcList.push(...sessionProcs(created.json.pid, created.json.pgid));
  log(`session ${created.json.port} on ${sessionXpra(created.json)}`);
  return created.json;
}

async function stopSession(s) {
  // Firefox's content processes started after the session was ready: counted too.
  sessionProcList.push(...sessionProcs(s.pid, s.pgid));
  const stopped = await call('DELETE', `/api/sessions/${s.port}`);
  running.delete(s.port);
  assert.equal(stopped.status, 200, `stopping session ${s.port}: ${JSON.stringify(stopped.json)}`);
}

before(async () => {
  assert.ok(BIN && existsSync(BIN), `build firefox-launcher first (cargo build), or set FIREFOX_LAUNCHER_BIN (got ${BIN})`);
  log(`binary ${BIN}`);
  home = mkdtempSync(join(tmpdir(), 'fl-page-test-'));
  writeFileSync(join(home, PICK_NAME), 'picked by the page test\n');
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
  serve = new Sidecar(BIN, home, ['--workspace', home]);
  api = await serve.runtime();
  session = await startSession(`http://127.0.0.1:${site.address().port}/`);
  browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: [...CHROMIUM_FLAGS, ...QUIET_AUDIO_ARGS],
    env: quietAudioEnv(),
  });
});

after(async () => {
  await browser?.close().catch(() => {});
  // The main session is stopped here; one a failed test left running is stopped, and named.
  let mainStopped = null;
  const stops = [];
  for (const s of [...running.values()]) {
    if (!serveRunning()) {
      break;
    }
    sessionProcList.push(...sessionProcs(s.pid, s.pgid));
    const status = (await call('DELETE', `/api/sessions/${s.port}`).catch((e) => ({ status: String(e) }))).status;
    running.delete(s.port);
    if (s === session) {
      mainStopped = status;
    } else {
      stops.push(`${s.port}: ${status}`);
    }
  }
  const exit = serve ? await serve.stop() : null;
  site?.close();
  const left = await waitFor('every session process gone', () => {
    const l = stillRunning(sessionProcList);
    return l.length === 0 ? [] : null;
  }, 15_000).catch(() => stillRunning(sessionProcList));
  const dirs = home && existsSync(join(home, 'sessions')) ? readdirSync(join(home, 'sessions')) : [];
  if (home) {
    rmSync(home, { recursive: true, force: true });
  }
  if (session) {
    assert.equal(mainStopped, 200, 'stopping the main session through the API');
  }
  assert.deepEqual(stops, [], 'sessions the tests left running (stopped here)');
  assert.deepEqual(left.map((p) => `${p.pid}:${p.comm}`), [], 'session processes left');
  assert.deepEqual(dirs, [], 'session directories left in the sidecar home');
  if (serve) {
    assert.deepEqual(exit, { code: 0, signal: null }, `serve's exit; its log:\n${serve.log().slice(-3000)}`);
  }
});

/**
 * The client's windows (common.mjs clientWindows: the filling one first), each with its
 * rectangle, classes, and the X window's type and title as the page shows them (e.g. DIALOG,
 * "File Upload - …").
 */
const windows = (page) => clientWindows(page.mainFrame());

/** The colour the user sees at a point of the page, [r, g, b] (from a screenshot). */
async function pixelAt(page, x, y) {
  const px = await pixelAtPoint(page.mainFrame(), x, y);
  return px && [px.r, px.g, px.b];
}

const isPage = (rgb) => !!rgb && rgb.every((c, i) => Math.abs(c - PAGE_RGB[i]) <= 8);

/**
 * A TCP relay to the service (`address`, http://host:port) for a browser page, which refuses
 * every new connection (closes it as it is accepted) while `refusing` is set, counting them in
 * `refused`; connections made before go on until `drop()` cuts them all (as a network that
 * fails does; it returns how many). {address, refusing, refused, drop(), close()}.
 */
async function startRelay(address) {
  const { hostname, port } = new URL(address);
  const open = new Set();
  const relay = { refusing: false, refused: 0 };
  const server = createTcpServer((client) => {
    client.on('error', () => {});
    if (relay.refusing) {
      relay.refused++;
      client.destroy();
      return;
    }
    const upstream = connect(Number(port), hostname);
    upstream.on('error', () => client.destroy());
    for (const s of [client, upstream]) {
      open.add(s);
      s.on('close', () => open.delete(s));
    }
    client.pipe(upstream).pipe(client);
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  relay.address = `http://127.0.0.1:${server.address().port}`;
  relay.drop = () => {
    const n = open.size;
    for (const s of open) s.destroy();
    return n;
  };
  relay.close = () => {
    for (const s of open) s.destroy();
    return new Promise((r) => server.close(r));
  };
  return relay;
}

/**
 * Cuts the page's connections at the relay (its websocket among them) and watches the client's
 * own reconnect: first the drop is seen (the page says its connection was lost, `#screen
 * [data-state="lost"]`, and every canvas it drew before is gone from the page), then, within
 * `ms`, Firefox's page drawn again to the far corner of a `width`×`height` page, by a window
 * filling it whose canvas is not one of those before, on a connection the page says is open.
 * Returns {dropMs, backMs}, backMs null when the page did not come back within `ms`.
 */
async function reconnectAndWatch(page, relay, width, height, ms) {
  await page.evaluate(() => {
    window.__flOld = [...document.querySelectorAll('#screen canvas')];
    window.__flStates = [];
    if (!window.__flWatching) {
      // Every state the page goes through, however briefly.
      window.__flWatching = true;
      const screen = document.getElementById('screen');
      new MutationObserver(() => window.__flStates.push(screen.dataset.state))
        .observe(screen, { attributes: true, attributeFilter: ['data-state'] });
    }
  });
  const started = Date.now();
  const cut = relay.drop();
  const dropped = await within(10_000, () => page.evaluate(() =>
    window.__flStates.includes('lost') && window.__flOld.length > 0 && window.__flOld.every((c) => !c.isConnected)));
  assert.ok(dropped, `the client said its connection was lost and dropped its windows (${cut} connections cut): ` +
    `states ${JSON.stringify(await page.evaluate(() => window.__flStates))}, windows ${JSON.stringify(await windows(page))}`);
  const dropMs = Date.now() - started;
  const drawnAgain = async () => {
    const fresh = await page.evaluate(([x, y]) => {
      const canvas = document.elementsFromPoint(x, y).find((e) => e.tagName === 'CANVAS');
      return !!canvas && Array.isArray(window.__flOld) && !window.__flOld.includes(canvas)
        && document.getElementById('screen').dataset.state === 'open';
    }, [width - 5, height - 5]).catch(() => false);
    if (!fresh) return false;
    const w = (await windows(page))[0];
    return !!w && w.fill && Math.abs(w.w - width) <= 2 && Math.abs(w.h - height) <= 2 && isPage(await pixelAt(page, width - 5, height - 5));
  };
  const back = await within(ms, drawnAgain);
  return { dropMs, backMs: back ? Date.now() - started : null };
}

/**
 * Pixels of Firefox's accent blue (#0061e0, as Xpra's encoding brings it, about (0, 97, 250)) the
 * user sees on the page (a screenshot of its viewport, `width`×`height`): Firefox's login prompt
 * shows it in its "Sign in" button (about 80×30 px) and the ring of its focused user name field;
 * nothing else on the screen has it.
 */
async function accentPixels(page, width, height) {
  const image = await shot(page.mainFrame(), { x: 0, y: 0, w: width, h: height });
  let n = 0;
  for (let i = 0; i < image.data.length; i += 4) {
    const [r, g, b] = [image.data[i], image.data[i + 1], image.data[i + 2]];
    if (b >= 180 && b - r >= 150 && g >= 60 && g <= 140) n++;
  }
  return n;
}

/** The window the page gives the keyboard to (`#screen[data-focused]`): its id, or "". */
const focusedWindow = async (page) => (await screenState(page.mainFrame()))?.focused ?? '';

test('Firefox fills the page, follows its size within a second, and has no Xpra chrome; a reconnect brings it back, a refused one does not', async (t) => {
  // Through a relay that can cut the page's connections (as a failing network does) and refuse
  // new ones.
  const relay = await startRelay(api.address);
  t.after(() => relay.close());
  const page = await browser.newPage({ viewport: { width: 1070, height: 716 } });
  await page.goto(`${relay.address}/${session.path}?token=${api.token}`);
  await page.waitForSelector('#screen canvas', { timeout: 60_000 });
  for (const [width, height] of [[1070, 716], [1400, 900], [800, 600]]) {
    await page.setViewportSize({ width, height });
    const fits = await within(1_000, async () => {
      const main = (await windows(page))[0];
      return main && main.fill && Math.abs(main.x) <= 2 && Math.abs(main.y) <= 2 && Math.abs(main.w - width) <= 2 && Math.abs(main.h - height) <= 2;
    });
    assert.ok(fits, `at ${width}x${height}: ${JSON.stringify(await windows(page))}`);
    // Firefox itself was resized, not only the client's frame: its page reaches the far corner.
    const corner = await within(5_000, async () => isPage(await pixelAt(page, width - 5, height - 5)));
    assert.ok(corner, `Firefox's page does not reach ${width - 5},${height - 5}: ${await pixelAt(page, width - 5, height - 5)}`);
  }
  // Nothing but Firefox's windows on the page: no title bar, menu or other chrome of a client's.
  // The page's sound controls may show (here no click has let the sound start yet, so the note does).
  assert.deepEqual(await chromeShown(page.mainFrame(), SOUND_CONTROLS), [], 'elements shown besides #screen, its window canvases and the sound controls');
  assert.match(await page.title(), /page-test/, 'the page is titled after Firefox');
  await page.screenshot({ path: join(home, 'filled.png') });

  // The client's own reconnect (what it runs when its connection drops) brings Firefox back: the
  // drop is seen first (the old windows gone, a new websocket opened), then Firefox's page again.
  let sockets = 0;
  page.on('websocket', () => sockets++);
  const reconnect = await reconnectAndWatch(page, relay, 800, 600, 20_000);
  assert.ok(reconnect.backMs !== null, `Firefox is back after a reconnect: ${JSON.stringify(await windows(page))}`);
  assert.ok(sockets >= 1, 'the client opened a new websocket');
  log(`reconnect: dropped after ${reconnect.dropMs} ms, Firefox back after ${reconnect.backMs} ms`);

  // Control: the same with the reconnect refused (the relay closes every new connection as it
  // accepts it): the client tries again, and Firefox's page does not come back. Watched for three
  // times what the reconnect took, and at least 10 s (the client's first attempts come 0.5, 1
  // and 2 s apart).
  relay.refusing = true;
  const watchMs = Math.max(10_000, 3 * reconnect.backMs);
  const control = await reconnectAndWatch(page, relay, 800, 600, watchMs);
  log(`refused reconnect: dropped after ${control.dropMs} ms, ${relay.refused} connections refused, back after ${control.backMs} ms (null: not within the ${watchMs} ms watched)`);
  assert.ok(relay.refused >= 1, 'the client tried to connect again, and was refused');
  assert.equal(control.backMs, null, `with the reconnect refused, Firefox's page is not drawn again: ${JSON.stringify(await windows(page))}`);
  assert.notEqual((await screenState(page.mainFrame())).state, 'open', 'with the reconnect refused, the page does not say it is connected');
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
  const dpr = await startSession(`http://127.0.0.1:${site.address().port}/dpr`);
  const context = await browser.newContext({ viewport: { width: 900, height: 650 }, deviceScaleFactor: 2 });
  try {
    const page = await context.newPage();
    await page.goto(`${api.address}/${dpr.path}?token=${api.token}`);
    await page.waitForSelector('#screen canvas', { timeout: 60_000 });
    // The canvas holds a pixel per device pixel: drawn 1:1, not scaled up (its width is the
    // size its worker drew at).
    const ratio = await within(5_000, async () => {
      const r = await page.evaluate(() => {
        const c = document.querySelector('#screen canvas.window.fill');
        return c ? c.width / c.getBoundingClientRect().width : 0;
      });
      return Math.abs(r - 2) < 0.02 && r;
    });
    assert.ok(ratio, `the canvas is in device pixels: ${JSON.stringify(await windows(page))}`);
    const [main] = await windows(page);
    assert.ok(main.fill && Math.abs(main.w - 900) <= 2 && Math.abs(main.h - 650) <= 2, `fills the page: ${JSON.stringify(main)}`);
    // And the session's X screen is the page in device pixels: what Firefox draws is what is shown.
    const screen = await within(5_000, () => {
      const size = xScreenSize(dpr);
      return Math.abs(size.w - 1800) <= 4 && Math.abs(size.h - 1300) <= 4 && size;
    });
    assert.ok(screen, `the X screen is 1800x1300 device pixels: ${JSON.stringify(xScreenSize(dpr))}`);
    // Where Firefox's page starts, in viewport pixels; once Firefox took the session's DPI its
    // toolbar is as tall as a local one (about 70-90 px), not half of it. Polled: Xpra 6.5 sizes
    // the screen while it reads the hello and sets the DPI after, so a frame at scale 1 may come
    // first.
    let seen = null;
    const top = await within(10_000, async () => {
      seen = null;
      for (let y = 40; y < 200 && seen === null; y += 2) if (isPage(await pixelAt(page, 5, y))) seen = y;
      return seen !== null && seen > 60 && seen;
    });
    assert.ok(top, `Firefox's toolbar at its local size within 10 s: page starts at ${seen}`);
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
    await stopSession(dpr);
  }
});

test("Firefox's HTTP login prompt and file dialog appear over it and work", async () => {
  const auth = await startSession(`http://127.0.0.1:${site.address().port}/auth`);
  const page = await browser.newPage({ viewport: { width: 1000, height: 700 } });
  try {
    await page.goto(`${api.address}/${auth.path}?token=${api.token}`);
    await page.waitForSelector('#screen canvas', { timeout: 60_000 });
    const title = async () => (await call('GET', `/api/sessions/${auth.port}`)).json.title;
    const [main] = await windows(page);
    // The prompt is Firefox's own (tab-modal, in its window) with the user name field focused:
    // waited for until it is drawn (its "Sign in" button and focus ring, in Firefox's accent blue).
    const before = await accentPixels(page, 1000, 700);
    const prompt = await within(30_000, async () => { const n = await accentPixels(page, 1000, 700); return n >= 1_000 && n; });
    assert.ok(prompt, `Firefox's login prompt is drawn (accent-blue pixels: ${await accentPixels(page, 1000, 700)}; title ${await title()})`);
    log(`login prompt drawn: ${prompt} accent-blue pixels (${before} when the page had just connected)`);
    // A click below the prompt gives Firefox's window the keyboard; the prompt keeps its focus.
    await page.mouse.click(main.x + main.w / 2, main.y + main.h - 20);
    await waitFor("Firefox's window focused", async () => (await focusedWindow(page)) === main.id, 10_000);
    await page.keyboard.type('ada');
    await page.keyboard.press('Tab');
    await page.keyboard.type('lovelace');
    await page.keyboard.press('Enter');
    assert.ok(await within(15_000, async () => (await title()).startsWith('authed')), `logged in: ${await title()}`);

    // Firefox offers to save the login in a panel under its address bar (a popup window of its
    // own, not a tooltip), shown a moment after the page: waited for, then dismissed. Escape sent
    // before it shows is lost, and the panel then swallows the next click (the one meant for the
    // file input).
    const offer = await within(10_000, async () => (await windows(page)).find((w) => w.id !== main.id && w.type !== 'TOOLTIP'));
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

    // The file dialog is the window of type DIALOG titled "File Upload" (GTK's, for Firefox),
    // not just any other window: the save-login panel, Firefox's menu (UTILITY windows) and
    // tooltips are wider than 300 px too. A press on the file input may only give Firefox's
    // window the focus back (after the first dialog closed): pressed again, up to three times,
    // while no dialog shows.
    const known = new Set();
    const openDialog = async (which) => {
      let dialog = null;
      for (let attempt = 1; attempt <= 3 && !dialog; attempt++) {
        await page.mouse.click(main.x + 60, top + 32);
        dialog = await within(8_000, async () =>
          (await windows(page)).find((w) => !known.has(w.id) && w.type === 'DIALOG' && /^File Upload\b/.test(w.title)));
        if (!dialog) log(`${which}: no file dialog after press ${attempt}: ${JSON.stringify(await windows(page))}`);
      }
      assert.ok(dialog, `${which}: the file dialog opened as a window: ${JSON.stringify(await windows(page))}`);
      known.add(dialog.id);
      // On a failure, the X side of it: the dialog's top-level window as the X server has it.
      const xSide = () => { try { return JSON.stringify(xWindows(auth).filter((w) => /File Upload/.test(w.name ?? ''))); } catch (e) { return String(e); } };
      assert.ok(dialog.x >= 0 && dialog.y >= 0 && dialog.x + dialog.w <= 1000 + 2 && dialog.y + dialog.h <= 700 + 2,
        `the file dialog is inside the page: ${JSON.stringify(dialog)}; in X: ${xSide()}`);
      // Focused by a click in it (dialogFocusPoint), the dialog takes the keys.
      const focus = dialogFocusPoint(dialog);
      await page.mouse.click(focus.x, focus.y);
      await waitFor('the file dialog focused', async () => (await focusedWindow(page)) === dialog.id, 10_000)
        .catch((e) => log(e.message));
      return dialog;
    };
    const gone = (dialog) => within(10_000, async () => !(await windows(page)).some((w) => w.id === dialog.id));

    // Escape cancels it: the dialog itself is gone (by its id: the save-login panel may still be
    // closing when the dialog opens), and nothing was chosen.
    const cancelled = await openDialog('the dialog to cancel');
    await page.keyboard.press('Escape');
    assert.ok(await gone(cancelled), `Escape closes the file dialog: ${JSON.stringify(await windows(page))}`);
    assert.ok((await title()).startsWith('authed'), `nothing chosen after Escape: ${await title()}`);

    // A file chosen in it (by name in GTK's location field, Ctrl+L, relative to the folder it
    // shows: the workspace) reaches the page in Firefox, whose file input reports its name.
    const picker = await openDialog('the dialog to pick from');
    await page.keyboard.press('Control+l');
    await page.keyboard.type(PICK_NAME, { delay: 30 });
    const still = (await windows(page)).find((w) => w.id === picker.id);
    assert.ok(still && still.x >= 0 && still.y >= 0 && still.x + still.w <= 1000 + 2 && still.y + still.h <= 700 + 2,
      `the file dialog is still inside the page: ${JSON.stringify(still)}`);
    await page.keyboard.press('Enter');
    const picked = await within(30_000, async () => { const t = await title(); return t.startsWith(`picked ${PICK_NAME}`) && t; });
    assert.ok(picked, `the page in Firefox received the chosen file: its title is ${JSON.stringify(await title())}`);
    assert.ok(await gone(picker), `the file dialog closed once the file was chosen: ${JSON.stringify(await windows(page))}`);
  } finally {
    await page.close();
    await stopSession(auth);
  }
});
