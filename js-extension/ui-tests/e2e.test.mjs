// End-to-end: a real JupyterLab (started by scripts/test-jupyter under
// base_url /user/alice/ with a token) driven in Debian's Chromium.
//
// Launcher tile -> "starting" tab -> Xpra HTML5 client with Firefox drawn ->
// session in the side panel -> tab closed (session lives on) -> reopened from
// the panel -> stopped from the panel -> gone from the sidecar, its
// directory removed, and none of its processes left.
//
// Env: JUPYTER_URL (ends with the base URL, e.g. http://127.0.0.1:P/user/alice/),
//      JUPYTER_TOKEN, ARTIFACTS_DIR (screenshots).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync } from 'node:fs';
import { createServer } from 'node:http';
import { join } from 'node:path';

import { chromium } from 'playwright-core';

import { sessionProcs, stillRunning } from './procs.mjs';

const BASE = process.env.JUPYTER_URL;
const TOKEN = process.env.JUPYTER_TOKEN;
const ARTIFACTS = process.env.ARTIFACTS_DIR ?? new URL('./artifacts/', import.meta.url).pathname;
const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';
// The page Firefox opens: served here, one flat colour, so the pixel check
// can tell Firefox's page from an empty canvas.
const PAGE_RGB = [32, 160, 96];
const STARTED_MS = 90_000;

assert.ok(BASE && BASE.endsWith('/user/alice/'), `JUPYTER_URL must end with /user/alice/ (got ${BASE})`);
assert.ok(TOKEN, 'JUPYTER_TOKEN must be set');

let browser;
let pageServer;
let startUrl = '';

function log(...args) {
  console.log(`[e2e ${new Date().toISOString().slice(11, 23)}]`, ...args);
}

/** A sidecar call through Jupyter's proxy, with Jupyter's token. */
async function sidecar(path, init = {}) {
  const res = await fetch(new URL(`firefox-launcher/${path}`, BASE), {
    ...init,
    headers: { Authorization: `token ${TOKEN}`, ...(init.headers ?? {}) }
  });
  const text = await res.text();
  let body = text;
  try {
    body = JSON.parse(text);
  } catch {
    // not JSON
  }
  return { status: res.status, body };
}

async function waitFor(what, fn, timeoutMs, stepMs = 250) {
  const deadline = Date.now() + timeoutMs;
  let last;
  for (;;) {
    last = await fn();
    if (last) {
      return last;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    }
    await new Promise(r => setTimeout(r, stepMs));
    stepMs = Math.min(stepMs * 1.5, 2000);
  }
}

before(async () => {
  mkdirSync(ARTIFACTS, { recursive: true });
  pageServer = createServer((req, res) => {
    const [r, g, b] = PAGE_RGB;
    res.writeHead(200, { 'Content-Type': 'text/html' });
    res.end(`<!doctype html><title>e2e page</title><body style="margin:0;background:rgb(${r},${g},${b})"></body>`);
  });
  await new Promise(r => pageServer.listen(0, '127.0.0.1', r));
  startUrl = `http://127.0.0.1:${pageServer.address().port}/`;

  browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
      '--disable-quic'
    ]
  });
});

after(async () => {
  await browser?.close().catch(() => {});
  pageServer?.close();
  // Whatever happened above: stop every session this Jupyter's sidecar runs.
  const list = await sidecar('api/sessions').catch(() => null);
  for (const s of list?.body?.sessions ?? []) {
    log(`cleanup: stopping leftover session ${s.port}`);
    await sidecar(`api/sessions/${s.port}`, { method: 'DELETE' }).catch(() => {});
  }
});

/** Save the extension's settings, as the Settings Editor would. */
async function setSettings(values) {
  const res = await fetch(new URL('lab/api/settings/jupyterlab-firefox-launcher:plugin', BASE), {
    method: 'PUT',
    headers: { Authorization: `token ${TOKEN}`, 'Content-Type': 'application/json' },
    body: JSON.stringify({ raw: JSON.stringify(values) })
  });
  assert.equal(res.status, 204, `saving settings: HTTP ${res.status} ${await res.text()}`);
}

/** A fresh JupyterLab page (settings are read at load). */
async function openLab(context) {
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', e => {
    log('page error:', e.message, (e.stack ?? '').split('\n').slice(0, 4).join(' | '));
    // Xpra's own HTML5 client throws when its server goes away: not ours.
    if (!(e.stack ?? '').includes('/firefox-launcher/sessions/')) {
      errors.push(e.message);
    }
  });
  await page.goto(new URL(`lab?token=${TOKEN}`, BASE).href);
  const tile = page.locator('.jp-LauncherCard', { hasText: 'Firefox' });
  await tile.waitFor({ timeout: 60_000 });
  return { page, tile, errors };
}

/** Show the sessions panel (it may be restored open from the workspace). */
async function showPanel(page) {
  const panel = page.locator('#jp-firefox-sessions');
  if (!(await panel.isVisible())) {
    await page.locator('.jp-SideBar .lm-TabBar-tab[data-id="jp-firefox-sessions"]').click();
  }
  await panel.waitFor({ state: 'visible', timeout: 10_000 });
}

/** Centre pixel of the largest window canvas of the Xpra client, or null. */
async function centrePixel(frame) {
  return frame.evaluate(() => {
    const canvases = [...document.querySelectorAll('div.window canvas')].filter(c => c.width > 0 && c.height > 0);
    if (!canvases.length) {
      return null;
    }
    const c = canvases.sort((a, b) => b.width * b.height - a.width * a.height)[0];
    const copy = document.createElement('canvas');
    copy.width = c.width;
    copy.height = c.height;
    const ctx = copy.getContext('2d');
    ctx.drawImage(c, 0, 0);
    const [r, g, b, a] = ctx.getImageData(Math.floor(c.width / 2), Math.floor(c.height / 2), 1, 1).data;
    return { r, g, b, a, width: c.width, height: c.height, windows: canvases.length };
  });
}

function isBlank(px) {
  return !px || px.a === 0 || (px.r === 0 && px.g === 0 && px.b === 0);
}

function isPageColour(px) {
  return px && PAGE_RGB.every((v, i) => Math.abs([px.r, px.g, px.b][i] - v) <= 8);
}

test('a sidecar error is shown in words and leaves no tab', { timeout: 120_000 }, async () => {
  await setSettings({ startUrl: 'file:///etc/passwd', openIn: 'tab' });
  const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
  try {
    const { page, tile, errors } = await openLab(context);
    await tile.click();
    const dialog = page.locator('.jp-Dialog');
    await dialog.waitFor({ timeout: 30_000 });
    const text = await dialog.innerText();
    log('error dialog:', JSON.stringify(text));
    assert.match(text, /Could not start Firefox: invalid url/);
    await page.screenshot({ path: join(ARTIFACTS, '00-error.png') });
    await page.waitForTimeout(1000);
    assert.equal(await page.getByText('Starting Firefox…').count(), 0, 'no "starting" toast is left over');
    assert.equal(await page.locator('.lm-DockPanel .lm-TabBar-tab', { hasText: 'Firefox' }).count(), 0);
    const list = await sidecar('api/sessions');
    assert.deepEqual(list.body.sessions, []);
    assert.deepEqual(errors, [], 'uncaught errors in JupyterLab');
  } finally {
    await context.close();
  }
});

test('browser-tab mode opens the client in a new browser tab; the panel polls', { timeout: 180_000 }, async () => {
  await setSettings({ startUrl, openIn: 'browser-tab' });
  const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
  try {
    const { page, tile, errors } = await openLab(context);
    await showPanel(page);
    await page.locator('.jp-FirefoxSessions-empty').waitFor({ timeout: 15_000 });
    const [client] = await Promise.all([context.waitForEvent('page', { timeout: 10_000 }), tile.click()]);
    await client.waitForURL(/\/user\/alice\/firefox-launcher\/sessions\/\d+\/$/, { timeout: STARTED_MS });
    const port = Number(client.url().match(/sessions\/(\d+)\//)[1]);
    log(`browser tab opened ${client.url()}`);
    await client.locator('div.window canvas').first().waitFor({ state: 'attached', timeout: 60_000 });
    await waitFor('Firefox page drawn in the browser tab', async () => isPageColour(await centrePixel(client.mainFrame())), 60_000);
    await client.screenshot({ path: join(ARTIFACTS, '05-browser-tab.png') });
    assert.equal(await page.locator('.lm-DockPanel .lm-TabBar-tab', { hasText: 'Firefox :' }).count(), 0, 'no JupyterLab tab');

    await page.bringToFront();
    const row = page.locator(`.jp-FirefoxSessions-item[data-port="${port}"]`);
    await row.waitFor({ timeout: 15_000 });
    // Stopped behind the panel's back: its poll notices within ~5 s.
    const stopped = await sidecar(`api/sessions/${port}`, { method: 'DELETE' });
    assert.equal(stopped.status, 200);
    log(`stopped through the API: ${JSON.stringify(stopped.body)}`);
    await row.waitFor({ state: 'detached', timeout: 12_000 });
    log('panel dropped the session on its own');
    assert.deepEqual(errors, [], 'uncaught errors in JupyterLab');
  } finally {
    await context.close();
  }
});

test('Firefox tile starts a session shown in a tab; the panel lists and stops it', { timeout: 300_000 }, async () => {
  await setSettings({ startUrl, openIn: 'tab' });
  const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
  const { page, tile, errors } = await openLab(context);
  log('launcher shows the Firefox tile');
  await page.screenshot({ path: join(ARTIFACTS, '01-launcher.png') });

  const t0 = Date.now();
  await tile.click();
  // Visible "starting" state: a tab that says so.
  await page.locator('.lm-TabBar-tab', { hasText: 'Firefox (starting' }).waitFor({ timeout: 10_000 });
  log('tab shows "starting"');

  const readyTab = page.locator('.lm-DockPanel .lm-TabBar-tab', { hasText: /Firefox :\d+/ });
  await readyTab.waitFor({ timeout: STARTED_MS });
  const port = Number((await readyTab.innerText()).match(/Firefox :(\d+)/)[1]);
  log(`session ready on port ${port} after ${Date.now() - t0} ms`);

  const iframe = page.locator(`.jp-FirefoxTab iframe`);
  const src = await iframe.getAttribute('src');
  assert.equal(new URL(src, page.url()).pathname, `/user/alice/firefox-launcher/sessions/${port}/`);

  const frame = await waitFor('the client frame', () => page.frames().find(f => f.url().includes(`/firefox-launcher/sessions/${port}/`)), 30_000);
  await frame.locator('div.window canvas').first().waitFor({ state: 'attached', timeout: 60_000 });
  const px = await waitFor('Firefox page drawn at the canvas centre', async () => {
    const p = await centrePixel(frame);
    return isPageColour(p) ? p : null;
  }, 60_000).catch(async e => {
    const p = await centrePixel(frame).catch(() => null);
    await page.screenshot({ path: join(ARTIFACTS, '02-firefox-failed.png') });
    throw new Error(`${e.message}; last centre pixel ${JSON.stringify(p)}`);
  });
  assert.ok(!isBlank(px));
  log(`Firefox window drawn: centre pixel ${JSON.stringify(px)}, ${Date.now() - t0} ms after the click`);
  await page.screenshot({ path: join(ARTIFACTS, '02-firefox.png') });

  // The sidecar's view of the session, and every process that belongs to it.
  const { status, body: session } = await sidecar(`api/sessions/${port}`);
  assert.equal(status, 200);
  assert.equal(session.port, port);
  assert.equal(session.status, 'ready');
  assert.equal(session.path, `sessions/${port}/`);
  assert.ok(existsSync(session.dir), `session dir ${session.dir} exists`);
  const procs = sessionProcs(session.pid, session.pgid);
  log(`session processes: ${procs.map(p => `${p.pid}:${p.comm}`).join(' ')}`);
  assert.ok(procs.some(p => /xpra/i.test(p.comm) || p.pid === session.pid), 'xpra runs');
  assert.ok(procs.some(p => p.comm === 'Xvfb'), 'Xvfb runs under the session');
  assert.ok(procs.some(p => /firefox/i.test(p.comm)), 'firefox runs under the session');

  // The side panel lists it, with port, age and status.
  await showPanel(page);
  const row = page.locator(`.jp-FirefoxSessions-item[data-port="${port}"]`);
  await row.waitFor({ timeout: 15_000 });
  assert.match(await row.innerText(), new RegExp(`:${port}[\\s\\S]*ready[\\s\\S]*\\d+ (s|min)`));
  await page.screenshot({ path: join(ARTIFACTS, '03-panel.png') });
  log('panel lists the session:', JSON.stringify(await row.innerText()));

  // Closing the tab does not stop the session ...
  await readyTab.locator('.lm-TabBar-tabCloseIcon').click();
  await readyTab.waitFor({ state: 'detached', timeout: 10_000 });
  assert.equal((await sidecar(`api/sessions/${port}`)).status, 200, 'session survives its tab');
  // ... and the panel opens it again.
  await row.locator('.jp-FirefoxSessions-open').click();
  await readyTab.waitFor({ timeout: 10_000 });
  await page.frameLocator('.jp-FirefoxTab iframe').locator('div.window canvas').first().waitFor({ state: 'attached', timeout: 30_000 });
  log('reopened from the panel');

  // Stopping from the panel closes the tab and ends the session.
  const tStop = Date.now();
  await row.locator('.jp-FirefoxSessions-stop').click();
  await row.waitFor({ state: 'detached', timeout: 60_000 });
  await readyTab.waitFor({ state: 'detached', timeout: 10_000 });
  log(`stopped from the panel in ${Date.now() - tStop} ms`);
  await page.screenshot({ path: join(ARTIFACTS, '04-stopped.png') });

  const gone = await sidecar(`api/sessions/${port}`);
  assert.equal(gone.status, 404, `session ${port} still listed: ${JSON.stringify(gone.body)}`);
  const list = await sidecar('api/sessions');
  assert.ok(!list.body.sessions.some(s => s.port === port));
  await waitFor(`session dir ${session.dir} removed`, () => !existsSync(session.dir), 15_000);
  const left = await waitFor('every session process gone', () => {
    const l = stillRunning(procs);
    return l.length === 0 ? [] : null;
  }, 15_000).catch(() => stillRunning(procs));
  assert.deepEqual(left.map(p => `${p.pid}:${p.comm}`), [], 'processes left behind');
  log('session, directory and processes are gone');
  assert.deepEqual(errors, [], 'uncaught errors in JupyterLab');
  await context.close();
});
