#!/usr/bin/env node
// Standalone proof that the peer (jupyter-remote-desktop-proxy + TigerVNC + Firefox ESR) shows
// Firefox's page in headless Chromium through a running Jupyter server's /desktop/ route.
//
//   node bench/peer/check.mjs [SERVER_URL [TOKEN]]      (or FL_PEER_SERVER, FL_PEER_TOKEN)
//   env: FL_PEER_TIMEOUT_MS=60000, FL_PEER_SCREENSHOT=FILE.png (saves the page at the end)
//
// The server must have been started with FL_PEER_URL=file://…/bench/peer/testpage.html, which
// paints the window rgb(200,30,90) and toggles to rgb(30,200,90) and back on each key. Exits 0 when
// the canvas's centre pixel shows one of the two colours, the canvas is about the viewport's size
// (1280 wide, 800 minus the page's 36 px top bar high) and drawn 1:1, and a key typed into noVNC
// turns the pixel to the other colour. Prints one JSON line either way.
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CHROMIUM_FLAGS } from '../../js-extension/ui-tests/common.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const repo = join(here, '..', '..');
const nodeModules = ['js-extension/ui-tests/node_modules', 'js-extension/node_modules']
  .map(d => join(repo, d))
  .find(d => existsSync(join(d, 'playwright-core')));
if (!nodeModules) {
  console.error('playwright-core not found under js-extension/{ui-tests/,}node_modules');
  process.exit(2);
}
const { chromium } = createRequire(join(nodeModules, 'x.js'))('playwright-core');

const server = (process.argv[2] || process.env.FL_PEER_SERVER || '').replace(/\/+$/, '');
const token = process.argv[3] || process.env.FL_PEER_TOKEN || '';
if (!server) {
  console.error('usage: check.mjs SERVER_URL [TOKEN]   (e.g. http://127.0.0.1:8888 secret)');
  process.exit(2);
}
const colours = [
  [200, 30, 90],
  [30, 200, 90],
];
const timeoutMs = Number(process.env.FL_PEER_TIMEOUT_MS || 60000);
const viewport = { width: 1280, height: 800 };
const url = `${server}/desktop/${token ? `?token=${encodeURIComponent(token)}` : ''}`;

const near = (a, b) => a.every((v, i) => Math.abs(v - b[i]) <= 6);
const sleep = ms => new Promise(r => setTimeout(r, ms));

/** Centre pixel and sizes of noVNC's visible canvas (`#screen canvas`), or null. */
const probe = page =>
  page.evaluate(() => {
    const c = document.querySelector('#screen canvas');
    if (!c || !c.width || !c.height) {
      return null;
    }
    const [r, g, b] = c
      .getContext('2d')
      .getImageData(Math.floor(c.width / 2), Math.floor(c.height / 2), 1, 1).data;
    const box = c.getBoundingClientRect();
    return {
      rgb: [r, g, b],
      width: c.width,
      height: c.height,
      cssWidth: Math.round(box.width),
      cssHeight: Math.round(box.height),
      status: document.getElementById('status')?.textContent,
      paints: window.__flPaints,
    };
  });

const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  args: CHROMIUM_FLAGS,
});
let result = { url: url.replace(/token=[^&]*/, 'token=…'), ok: false };
try {
  const page = await browser.newPage({ viewport });
  // Count 2D paints by target canvas, the way the benchmark hooks them.
  await page.addInitScript(() => {
    const paints = (window.__flPaints = { visible: {}, other: {} });
    const proto = CanvasRenderingContext2D.prototype;
    for (const name of ['drawImage', 'putImageData', 'fillRect']) {
      const orig = proto[name];
      proto[name] = function (...args) {
        const where = this.canvas.isConnected ? paints.visible : paints.other;
        where[name] = (where[name] || 0) + 1;
        return orig.apply(this, args);
      };
    }
  });
  let wsBytes = 0;
  page.on('websocket', ws => ws.on('framereceived', f => (wsBytes += f.payload.length)));
  const t0 = Date.now();
  await page.goto(url, { waitUntil: 'domcontentloaded' });
  const tPage = Date.now() - t0;
  let tCanvas = null;
  let firstSize = null;
  let last = null;
  while (Date.now() - t0 < timeoutMs) {
    last = await probe(page).catch(() => null);
    if (last && tCanvas === null) {
      tCanvas = Date.now() - t0;
      firstSize = `${last.width}x${last.height}`;
    }
    if (last && colours.some(c => near(last.rgb, c))) {
      break;
    }
    await sleep(100);
  }
  const tColour = Date.now() - t0;
  // The desktop follows the viewport through noVNC's resizeSession (a SetDesktopSize request
  // after connect); give the last resize a moment, then read the final size.
  await sleep(1500);
  last = (await probe(page).catch(() => null)) || last;
  const colourOk = !!last && colours.some(c => near(last.rgb, c));
  const sizeOk =
    !!last && Math.abs(last.width - viewport.width) <= 16 && Math.abs(last.height - viewport.height) <= 64;
  const oneToOne = !!last && last.width === last.cssWidth && last.height === last.cssHeight;
  // Keys: focus noVNC's canvas (it takes keyboard input when focused) and type one key.
  let keyOk = false;
  let tKey = null;
  if (colourOk) {
    const expectAfterKey = colours.find(c => !near(last.rgb, c));
    await page.focus('#screen canvas');
    const k0 = Date.now();
    await page.keyboard.press('a');
    while (Date.now() - k0 < 10000) {
      const p = await probe(page).catch(() => null);
      if (p && near(p.rgb, expectAfterKey)) {
        keyOk = true;
        tKey = Date.now() - k0;
        break;
      }
      await sleep(20);
    }
  }
  if (process.env.FL_PEER_SCREENSHOT) {
    await page.screenshot({ path: process.env.FL_PEER_SCREENSHOT });
  }
  result = {
    ...result,
    ok: colourOk && sizeOk && oneToOne && keyOk,
    colourOk,
    keyOk,
    sizeOk,
    oneToOne,
    canvases: await page.evaluate(() =>
      [...document.querySelectorAll('canvas')].map(c => `${c.parentElement?.id || c.parentElement?.tagName}:${c.width}x${c.height}`),
    ),
    ms: { pageLoaded: tPage, canvas: tCanvas, colour: colourOk ? tColour : null, keyToPixel: tKey },
    firstCanvasSize: firstSize,
    wsBytesReceived: wsBytes,
    ...last,
  };
} catch (e) {
  result.error = String(e?.stack || e);
} finally {
  await browser.close();
}
console.log(JSON.stringify(result));
process.exit(result.ok ? 0 : 1);
