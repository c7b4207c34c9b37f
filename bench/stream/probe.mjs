// One streaming measurement in Debian's Chromium (bench/stream.py runs it once per path and size).
//
//   node bench/stream/probe.mjs '<json spec>'   → one JSON line of results on stdout
//
// spec: { url, width, height, serverPort, pages: "http://127.0.0.1:N", id, seconds, warmup,
//         presses, modes: ["anim", "scroll", "latency"] }
//
// The remote-desktop client in the tab (Xpra's HTML5 client or noVNC) paints its canvas with
// drawImage/putImageData. An init script wraps those, and after each task that drew it reads the
// pixel at the centre of the largest canvas: so each sample is timed when the client painted it,
// not when a poll came by. The page in Firefox (bench/stream/page.html) encodes its frame counter
// in the colour there, or turns it black/white on a key press.
//
// Clients paint at different moments: noVNC draws as soon as an update is decoded, Xpra's client
// decodes off screen and draws in the next requestAnimationFrame. Either way the change is on
// screen in the same frame: the first one rendered after the client had it. So each sample also
// carries the time of the frame that shows it (the frame's own timestamp: the current one for a
// paint inside a frame callback, the next one otherwise), and key-to-photon is measured to that
// frame; the paint call's time is kept too ("drawn"), as it was measured before.
//
// Bytes are what Chromium's sockets to `serverPort` received (ss), so every path and the peer are
// counted the same way.
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { CHROMIUM_FLAGS } from '../../js-extension/ui-tests/common.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const require = createRequire(path.join(here, '../../js-extension/ui-tests/package.json'));
const { chromium } = require('playwright-core');

const spec = JSON.parse(process.argv[2]);
const sleep = ms => new Promise(r => setTimeout(r, ms));
const LEVEL = v => Math.max(0, Math.min(3, Math.round(v / 85)));
const decode = ([r, g, b]) => (LEVEL(r) << 4) | (LEVEL(g) << 2) | LEVEL(b);

function hook() {
  const rec = { on: false, samples: [], keys: [], last: -1, target: null, draws: 0 };
  window.__fl = rec;
  let pending = false;
  // The timestamp of the animation frame whose callbacks are running now, else null; and the
  // frame the pending check's paint happened in (a microtask runs after the callback returned).
  let frame = null;
  let drawnIn = null;
  const raf = window.requestAnimationFrame.bind(window);
  window.requestAnimationFrame = cb => raf(ts => {
    frame = ts;
    try {
      return cb(ts);
    } finally {
      frame = null;
    }
  });
  /** Sets `sample[4]` to the timestamp of the frame that shows a paint made in `paintFrame`. */
  function present(sample, paintFrame) {
    if (paintFrame !== null) {
      sample[4] = paintFrame;
    } else {
      raf(ts => {
        sample[4] = ts;
      });
    }
  }
  function largest() {
    let best = null;
    let area = 0;
    for (const c of document.getElementsByTagName('canvas')) {
      if (c.isConnected && c.width * c.height > area && c.offsetParent !== null) {
        area = c.width * c.height;
        best = c;
      }
    }
    return best;
  }
  /** The centre pixel of `c` (2D canvases only), or null. */
  function centre(c) {
    const ctx = c && c.getContext('2d');
    return ctx ? ctx.getImageData(c.width >> 1, c.height >> 1, 1, 1).data : null;
  }
  function check() {
    pending = false;
    const d = centre(rec.target && rec.target.isConnected ? rec.target : (rec.target = largest()));
    if (!d) {
      return;
    }
    const v = (d[0] << 16) | (d[1] << 8) | d[2];
    if (v !== rec.last) {
      rec.last = v;
      if (rec.on) {
        const sample = [performance.now(), d[0], d[1], d[2], null];
        present(sample, drawnIn);
        rec.samples.push(sample);
      }
    }
  }
  const proto = CanvasRenderingContext2D.prototype;
  for (const name of ['drawImage', 'putImageData']) {
    const original = proto[name];
    proto[name] = function (...args) {
      const result = original.apply(this, args);
      rec.draws++;
      if (!pending) {
        pending = true;
        drawnIn = frame;
        queueMicrotask(check);
      }
      return result;
    };
  }
  // Capture phase on window: before the client's own handler on document.
  window.addEventListener('keydown', e => rec.keys.push(e.timeStamp), true);
  rec.pixel = () => {
    const d = centre((rec.target = largest()));
    return d && { rgb: [d[0], d[1], d[2]], width: rec.target.width, height: rec.target.height };
  };
}

/** Bytes each of Chromium's connections to `port` has received and sent so far, by local port. */
function socketBytes(port) {
  const out = execFileSync('ss', ['-tinH', 'state', 'established', `( dport = :${port} )`], { encoding: 'utf8' });
  const sockets = new Map();
  let local = null;
  for (const line of out.split('\n')) {
    const addr = line.match(/^\S*\s*\d+\s+\d+\s+\S+:(\d+)\s+\S+:\d+/);
    if (addr) {
      local = addr[1];
      continue;
    }
    const received = line.match(/bytes_received:(\d+)/);
    const sent = line.match(/bytes_acked:(\d+)/);
    if (local && (received || sent)) {
      sockets.set(local, { received: Number(received?.[1] ?? 0), sent: Number(sent?.[1] ?? 0) });
      local = null;
    }
  }
  return sockets;
}

/** What the connections that were open at the end moved since `before` (new ones from zero). */
function bytesSince(before, after) {
  let received = 0;
  let sent = 0;
  for (const [local, b] of after) {
    const a = before.get(local) ?? { received: 0, sent: 0 };
    received += b.received - a.received;
    sent += b.sent - a.sent;
  }
  return { received, sent };
}

async function setMode(mode) {
  await fetch(`${spec.pages}/mode?id=${encodeURIComponent(spec.id)}`, { method: 'POST', body: mode });
}

async function pageFrames(since, until) {
  const reports = await (await fetch(`${spec.pages}/reports?id=${encodeURIComponent(spec.id)}`)).json();
  const inside = reports.filter(r => r.at >= since && r.at <= until);
  if (inside.length < 2) {
    return null;
  }
  const a = inside[0];
  const b = inside[inside.length - 1];
  return ((b.frames - a.frames) * 1000) / (b.at - a.at);
}

async function waitPixel(page, what, ok, timeoutMs) {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const p = await page.evaluate(() => window.__fl && window.__fl.pixel());
    if (p && ok(p)) {
      return p;
    }
    if (Date.now() > end) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what} (last pixel ${JSON.stringify(p)})`);
    }
    await sleep(100);
  }
}

/** Frames per second at the client's canvas and the longest stall, over `seconds`. */
async function streaming(page, mode) {
  await setMode(mode);
  // Running: the counter changes at the centre.
  const first = await waitPixel(page, `${mode} on the canvas`, () => true, 30_000);
  await waitPixel(page, `the ${mode} counter moving`, p => decode(p.rgb) !== decode(first.rgb), 30_000);
  await sleep(spec.warmup * 1000);
  const before = socketBytes(spec.serverPort);
  const wallStart = Date.now();
  const t0 = await page.evaluate(() => {
    window.__fl.samples = [];
    window.__fl.on = true;
    return performance.now();
  });
  await sleep(spec.seconds * 1000);
  const { t1, samples, draws } = await page.evaluate(() => {
    window.__fl.on = false;
    return { t1: performance.now(), samples: window.__fl.samples, draws: window.__fl.draws };
  });
  const moved = bytesSince(before, socketBytes(spec.serverPort));
  const wallEnd = Date.now();
  const seconds = (t1 - t0) / 1000;
  let changes = 0;
  let last = null;
  let lastT = t0;
  let stall = 0;
  for (const [t, r, g, b] of samples) {
    const v = decode([r, g, b]);
    if (v !== last) {
      if (last !== null) {
        changes++;
      }
      stall = Math.max(stall, t - lastT);
      lastT = t;
      last = v;
    }
  }
  stall = Math.max(stall, t1 - lastT);
  return {
    fps: changes / seconds,
    longest_stall_ms: stall,
    bytes_per_s: moved.received / seconds,
    up_bytes_per_s: moved.sent / seconds,
    page_fps: await pageFrames(wallStart, wallEnd),
    draws
  };
}

const isBlack = rgb => rgb.every(c => c < 60);
const isWhite = rgb => rgb.every(c => c > 195);

/** Key press (CDP) to the centre turning black/white on the client's canvas, in ms. */
async function latency(page) {
  await setMode('latency');
  await waitPixel(page, 'the latency block', p => isBlack(p.rgb) || isWhite(p.rgb), 30_000);
  const box = await page.evaluate(() => {
    const r = window.__fl.target.getBoundingClientRect();
    return { x: r.left + r.width / 2, y: r.top + r.height / 2 };
  });
  // Focus Firefox's page: a click on the block (the page ignores clicks).
  await page.mouse.click(box.x, box.y);
  await sleep(500);
  const out = [];
  let lost = 0;
  for (let i = 0; i < spec.presses; i++) {
    const now = await page.evaluate(() => window.__fl.pixel().rgb);
    const wantWhite = isBlack(now);
    await page.evaluate(() => {
      window.__fl.samples = [];
      window.__fl.keys = [];
      window.__fl.on = true;
    });
    await page.keyboard.press('KeyA');
    // Waited for in the page (each animation frame), not polled over CDP: the time itself comes
    // from the hook's sample, so the wait only has to notice it.
    const hit = await page
      .waitForFunction(want => {
        const s = window.__fl.samples.find(([, r, g, b]) => (want ? [r, g, b].every(c => c > 195) : [r, g, b].every(c => c < 60)));
        const key = window.__fl.keys[0];
        return s && key !== undefined && s[4] !== null ? { shown: s[4] - key, drawn: s[0] - key } : null;
      }, wantWhite, { timeout: 3000, polling: 'raf' })
      .then(h => h.jsonValue(), () => null);
    await page.evaluate(() => {
      window.__fl.on = false;
    });
    if (hit === null) {
      lost++;
      await sleep(1000);
    } else {
      out.push(hit);
    }
    // Irregular spacing, so presses do not lock onto a timer of the server's.
    await sleep(150 + Math.random() * 250);
  }
  const q = (key, p) => {
    const v = out.map(h => h[key]).sort((a, b) => a - b);
    return v.length ? v[Math.min(v.length - 1, Math.floor(p * v.length))] : null;
  };
  return { p50_ms: q('shown', 0.5), p95_ms: q('shown', 0.95), drawn_p50_ms: q('drawn', 0.5), drawn_p95_ms: q('drawn', 0.95), n: out.length, lost };
}

/**
 * The direct path: the page's origin is the bench's byte forwarder to the session's Xpra socket
 * (sessions have no TCP listener), so the client's websocket reaches Xpra with no sidecar in
 * between, but the page itself is the sidecar's client (fetched from the sidecar, so all paths
 * run the same client code).
 */
async function routeDirect(context, { origin, upstream, token }) {
  await context.route(`${origin}/**`, async route => {
    const url = new URL(route.request().url());
    const r = await fetch(`${upstream}${url.pathname}${url.search}`, { headers: { Authorization: `token ${token}` } });
    let body = Buffer.from(await r.arrayBuffer());
    if (url.pathname.endsWith('/firefox-launcher.js')) {
      body = Buffer.from(body.toString().replace('var ALLOWED = [', "var ALLOWED = ['mediasource_video', "));
    }
    const headers = Object.fromEntries(r.headers);
    delete headers['content-length'];
    delete headers['content-encoding'];
    await route.fulfill({ status: r.status, headers, body });
  });
}

const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  args: [...CHROMIUM_FLAGS,
    // A page fulfilled by a route (the direct path) has no address space, so Chromium's local
    // network access checks would refuse its websocket to 127.0.0.1.
    '--disable-features=LocalNetworkAccessChecks']
});
let errors = [];
const result = { id: spec.id, url: spec.url.replace(/(token|password)=[^&]+/g, '$1=…'), width: spec.width, height: spec.height };
try {
  const context = await browser.newContext({ viewport: { width: spec.width, height: spec.height } });
  await context.addInitScript(hook);
  if (spec.direct) {
    await routeDirect(context, spec.direct);
  }
  const page = await context.newPage();
  page.on('console', m => m.type() === 'error' && errors.length < 20 && errors.push(m.text()));
  page.on('pageerror', e => errors.length < 20 && errors.push(String(e)));
  const t0 = Date.now();
  await page.goto(spec.url);
  await setMode('idle');
  const shown = await waitPixel(page, 'a canvas showing the idle page', p => p.width >= spec.width / 2 && p.rgb.every(c => Math.abs(c - 32) < 12), 60_000);
  result.connect_ms = Date.now() - t0;
  result.canvas = [shown.width, shown.height];
  for (const mode of spec.modes) {
    result[mode] = mode === 'latency' ? await latency(page) : await streaming(page, mode);
  }
} catch (e) {
  result.error = String(e.message || e);
  result.console = errors;
} finally {
  await setMode('idle').catch(() => {});
  await browser.close();
}
process.stdout.write(JSON.stringify(result) + '\n');
