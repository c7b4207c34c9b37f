// One streaming measurement in Debian's Chromium (bench/stream.py runs it once per path and size).
//
//   node bench/stream/probe.mjs '<json spec>'   → one JSON line of results on stdout
//
// spec: { url, width, height, serverPort, pages: "http://127.0.0.1:N", id, seconds, warmup,
//         presses, modes: ["anim", "scroll", "latency"], reader: "pixel" | "paint",
//         cpu: { roots: [{ pid, cls, tree }], envRoots: [{ needle, cls }] } }
//
// The page in Firefox (bench/stream/page.html) encodes its frame counter in the colour at its
// centre, or turns it black/white on a key press. Two readers watch the client in the tab:
//
// "pixel" (noVNC, the peer) paints a 2D canvas with drawImage/putImageData. An init script wraps
// those, and after each task that drew it reads the pixel at the centre of the largest canvas: so
// each sample is timed when the client painted it, not when a poll came by. (Debian's Xpra HTML5
// client was read this way too, until issue 21 retired it.)
//
// A paint is on screen in the first frame rendered after the client made it. So each sample also
// carries the time of the frame that shows it (the frame's own timestamp: the current one for a
// paint inside a frame callback, the next one otherwise), and key-to-photon is measured to that
// frame; the paint call's time is kept too ("drawn"), as it was measured before.
//
// "paint": our own Xpra client draws in a worker, into OffscreenCanvases the page cannot read
// back. It dispatches `firefox-launcher:paint` on #screen after each picture it drew
// (js-extension/client/docs/page-surface.md): a paint of the filling window whose rectangle covers
// the window's centre is a new frame there (the page repaints its whole canvas, or at least the
// centre block, every frame, and Xpra sends only damage). Frames shown = distinct animation frames
// of the page in which such a paint arrived; after a key press, the first such paint is the photon
// (timed to the next animation frame, as for a paint outside a frame above). What it cannot see
// (the colour) is checked from Chromium's own screenshots: after each press the centre must show
// the new colour, and after each streaming window pairs of screenshots bound how many paints may
// have happened between them (no more than the page's counter advanced).
//
// Key presses wait until the client has drawn nothing for QUIET_MS (any client): a late refresh of
// the previous picture (Xpra sends a lossless one after a lossy one) must not pass for the photon.
//
// Bytes are what Chromium's sockets to `serverPort` received (ss), so every path and the peer are
// counted the same way. CPU is utime+stime from /proc/PID/stat of each process tree named in
// spec.cpu (plus Chromium's own tree), read before and after each window, by class: server (Xpra
// and its Xvfb, or the peer's Xtigervnc), firefox (every Firefox process tree found under a root),
// browser (Chromium) and proxy (the sidecar, the Jupyter server, the peer's websockify).
import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { CHROMIUM_FLAGS } from '../../js-extension/ui-tests/common.mjs';
import { decodePng, pixelOf } from '../../js-extension/ui-tests/screen.mjs';
import { TONE_HZ, audioHook, soundTests } from './sound.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const require = createRequire(path.join(here, '../../js-extension/ui-tests/package.json'));
const { chromium } = require('playwright-core');

const spec = JSON.parse(process.argv[2]);
const sleep = ms => new Promise(r => setTimeout(r, ms));
const LEVEL = v => Math.max(0, Math.min(3, Math.round(v / 85)));
const decode = ([r, g, b]) => (LEVEL(r) << 4) | (LEVEL(g) << 2) | LEVEL(b);
const PAINT = spec.reader === 'paint';
const QUIET_MS = 400;

function hook(reader) {
  const rec = { on: false, samples: [], keys: [], last: -1, target: null, draws: 0, lastDraw: 0, frameNo: 0, centreFrames: 0, paints: 0 };
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
  if (reader === 'paint') {
    // Numbers the page's animation frames: paints that arrive between two frames show together.
    raf(function tick() {
      rec.frameNo++;
      raf(tick);
    });
    let counted = -1;
    // Capture phase on window: the event does not bubble, but every event passes the capture phase.
    window.addEventListener('firefox-launcher:paint', e => {
      const d = e.detail || {};
      rec.paints++;
      rec.lastDraw = performance.now();
      const fill = document.querySelector('canvas.window.fill');
      // data-wid names the filling window (page-surface.md); without it (an older page) every
      // window's paints count: the bench page's Firefox has no other window while it measures.
      if (!fill || (fill.dataset.wid !== undefined && String(d.wid) !== fill.dataset.wid)) {
        return;
      }
      if (fill.dataset.wid === undefined) {
        rec.noWid = true;
      }
      const r = fill.getBoundingClientRect();
      const dpr = window.devicePixelRatio || 1;
      const cx = Math.floor((r.width * dpr) / 2);
      const cy = Math.floor((r.height * dpr) / 2);
      if (!(d.x <= cx && cx < d.x + d.width && d.y <= cy && cy < d.y + d.height)) {
        return;
      }
      if (rec.frameNo !== counted) {
        counted = rec.frameNo;
        rec.centreFrames++;
      }
      if (rec.on) {
        const sample = [performance.now(), rec.frameNo, String(d.coding), Number(d.decodeMicros), null];
        present(sample, frame);
        rec.samples.push(sample);
      }
    }, true);
  }
  rec.fillBox = () => {
    const fill = document.querySelector('canvas.window.fill');
    if (!fill) {
      return null;
    }
    const r = fill.getBoundingClientRect();
    return { x: r.left, y: r.top, width: r.width, height: r.height };
  };
  const proto = CanvasRenderingContext2D.prototype;
  for (const name of ['drawImage', 'putImageData']) {
    const original = proto[name];
    proto[name] = function (...args) {
      const result = original.apply(this, args);
      rec.draws++;
      rec.lastDraw = performance.now();
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
  // When the page's own websocket sends after a key (our client sends from the main thread; a
  // client whose socket lives in a worker is not seen): splits key-to-photon into the client's
  // share before the key leaves and the rest (server, network, decode, paint).
  rec.sends = [];
  const send = WebSocket.prototype.send;
  WebSocket.prototype.send = function (...args) {
    if (rec.on && rec.sends.length < 8) {
      rec.sends.push(performance.now());
    }
    return send.apply(this, args);
  };
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

const HZ = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
const FIREFOX = new Set(['firefox-esr', 'firefox', 'firefox-bin']);
const isXServer = comm => comm.startsWith('Xvfb') || comm === 'Xtigervnc' || comm === 'Xvnc';
/**
 * The sound phase (spec.cpu.sound): the session's PulseAudio and Xpra's sound process (3.1:
 * `xpra _sound_record`, 6.5: `xpra _audio_record`) are counted as "sound", not Xpra.
 */
function isSound(pid, comm) {
  if (comm === 'pulseaudio') {
    return true;
  }
  try {
    return /\0_(sound|audio)_record\0/.test(readFileSync(`/proc/${pid}/cmdline`, 'latin1'));
  } catch {
    return false;
  }
}

/** Every process now: pid → { ppid, comm, ticks (utime+stime), start }. */
function processTable() {
  const table = new Map();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) {
      continue;
    }
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'latin1');
      const close = stat.lastIndexOf(')');
      const comm = stat.slice(stat.indexOf('(') + 1, close);
      const f = stat.slice(close + 2).split(' ');
      table.set(Number(entry), { ppid: Number(f[1]), comm, ticks: Number(f[11]) + Number(f[12]), start: Number(f[19]) });
    } catch {
      // gone meanwhile
    }
  }
  return table;
}

function hasEnv(pid, needle) {
  try {
    return readFileSync(`/proc/${pid}/environ`, 'latin1').includes(`\0${needle}`);
  } catch {
    return false;
  }
}

/**
 * The processes of spec.cpu's roots (and Chromium's), each with its class: under a root, a
 * Firefox main process's whole tree is "firefox" and an X server is "server"; the rest is the
 * root's class. A root with tree: false is that process alone.
 */
function cpuSnapshot(roots) {
  const table = processTable();
  const children = new Map();
  for (const [pid, p] of table) {
    if (!children.has(p.ppid)) {
      children.set(p.ppid, []);
    }
    children.get(p.ppid).push(pid);
  }
  const all = [];
  for (const r of roots) {
    if (r.childrenOf !== undefined) {
      all.push(...(children.get(r.childrenOf) ?? []).map(pid => ({ pid, cls: r.cls, tree: true })));
    } else {
      all.push(r);
    }
  }
  for (const { needle, cls } of spec.cpu?.envRoots ?? []) {
    for (const pid of table.keys()) {
      if (hasEnv(pid, needle)) {
        all.push({ pid, cls, tree: true });
      }
    }
  }
  const out = new Map();
  const visit = (pid, cls, tree) => {
    const p = table.get(pid);
    if (!p || out.has(pid)) {
      return;
    }
    const mine = FIREFOX.has(p.comm) ? 'firefox' : isXServer(p.comm) ? 'server' : spec.cpu?.sound && isSound(pid, p.comm) ? 'sound' : cls;
    out.set(pid, { cls: mine, ticks: p.ticks, start: p.start, comm: p.comm });
    if (tree) {
      for (const child of children.get(pid) ?? []) {
        visit(child, mine, true);
      }
    }
  };
  for (const r of all) {
    visit(r.pid, r.cls, r.tree !== false);
  }
  return out;
}

/** CPU milliseconds per class between two snapshots (processes new in `after` from zero). */
function cpuSince(before, after) {
  const ms = {};
  for (const [pid, a] of after) {
    const b = before.get(pid);
    const ticks = b && b.start === a.start ? a.ticks - b.ticks : a.ticks;
    ms[a.cls] = (ms[a.cls] ?? 0) + (ticks * 1000) / HZ;
  }
  return ms;
}

let cpuRoots = [];

/** The colour at the centre of `box` (CSS pixels), read from a screenshot: what the user sees. */
async function shownAt(page, box) {
  const x = Math.floor(box.x + box.width / 2);
  const y = Math.floor(box.y + box.height / 2);
  const png = await page.screenshot({ clip: { x: x - 1, y: y - 1, width: 3, height: 3 }, animations: 'allow', caret: 'initial' });
  const p = pixelOf(decodePng(png), 1, 1);
  return [p.r, p.g, p.b];
}

/**
 * What the client shows at the centre of its main window: for "pixel" clients read from their
 * canvas, for our client (worker-drawn) from a screenshot of the filling window.
 */
async function centrePixel(page) {
  if (!PAINT) {
    return page.evaluate(() => window.__fl && window.__fl.pixel());
  }
  const box = await page.evaluate(() => window.__fl && window.__fl.fillBox());
  if (!box || box.width < 1 || box.height < 1) {
    return null;
  }
  return { rgb: await shownAt(page, box), width: box.width, height: box.height, box };
}

async function mainBox(page) {
  if (PAINT) {
    return page.evaluate(() => window.__fl.fillBox());
  }
  return page.evaluate(() => {
    const r = window.__fl.target.getBoundingClientRect();
    return { x: r.left, y: r.top, width: r.width, height: r.height };
  });
}

/**
 * Our client only: are the paints counted as frames real? Pairs of screenshots of the centre,
 * `n` of them 200-400 ms apart: the paint frames counted between two screenshots (at least: those
 * counted after the first was taken and before the second was asked for) cannot exceed how far
 * the page's counter advanced between them (mod 64) if each counted paint showed a new frame.
 */
async function paintCheck(page, n = 8) {
  const box = await mainBox(page);
  const counts = () => page.evaluate(() => window.__fl.centreFrames);
  const points = [];
  for (let i = 0; i < n; i++) {
    const before = await counts();
    const rgb = await shownAt(page, box);
    const after = await counts();
    points.push({ before, after, code: decode(rgb) });
    await sleep(200 + Math.random() * 200);
  }
  let paints = 0;
  let advance = 0;
  let over = 0;
  for (let i = 1; i < points.length; i++) {
    const p = points[i].before - points[i - 1].after;
    const c = (points[i].code - points[i - 1].code + 64) % 64;
    paints += Math.max(0, p);
    advance += c;
    // One paint of slack: a picture in the first screenshot may be reported to the page after it.
    if (p > c + 1) {
      over++;
    }
  }
  return { pairs: points.length - 1, paint_frames: paints, counter_advance: advance, over_counted_pairs: over };
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
    const p = await centrePixel(page);
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
  const cpuBefore = cpuSnapshot(cpuRoots);
  const wallStart = Date.now();
  const t0 = await page.evaluate(() => {
    window.__fl.samples = [];
    window.__fl.on = true;
    return performance.now();
  });
  await sleep(spec.seconds * 1000);
  const { t1, samples, draws } = await page.evaluate(() => {
    window.__fl.on = false;
    return { t1: performance.now(), samples: window.__fl.samples, draws: window.__fl.draws + window.__fl.paints };
  });
  const cpu = cpuSince(cpuBefore, cpuSnapshot(cpuRoots));
  const moved = bytesSince(before, socketBytes(spec.serverPort));
  const wallEnd = Date.now();
  const seconds = (t1 - t0) / 1000;
  let changes = 0;
  let lastT = t0;
  let stall = 0;
  const extra = {};
  if (PAINT) {
    // One frame shown per animation frame of the page that received a paint over the centre.
    let lastFrame = null;
    const codings = {};
    const decodes = [];
    for (const [t, frameNo, coding, micros] of samples) {
      codings[coding] = (codings[coding] ?? 0) + 1;
      if (micros >= 0) {
        decodes.push(micros);
      }
      if (frameNo !== lastFrame) {
        changes++;
        stall = Math.max(stall, t - lastT);
        lastT = t;
        lastFrame = frameNo;
      }
    }
    decodes.sort((a, b) => a - b);
    extra.codings = codings;
    extra.decode_p50_us = decodes.length ? decodes[Math.floor(decodes.length / 2)] : null;
    extra.centre_paints = samples.length;
  } else {
    let last = null;
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
  }
  stall = Math.max(stall, t1 - lastT);
  const result = {
    fps: changes / seconds,
    longest_stall_ms: stall,
    bytes_per_s: moved.received / seconds,
    up_bytes_per_s: moved.sent / seconds,
    page_fps: await pageFrames(wallStart, wallEnd),
    draws,
    cpu_ms: cpu,
    frames: changes,
    seconds,
    ...extra
  };
  if (PAINT) {
    result.check = await paintCheck(page);
  }
  return result;
}

const isBlack = rgb => rgb.every(c => c < 60);
const isWhite = rgb => rgb.every(c => c > 195);

/** Waits until the client has drawn nothing for QUIET_MS (at most 3 s). */
async function quiet(page) {
  const end = Date.now() + 3000;
  for (;;) {
    const idle = await page.evaluate(() => performance.now() - window.__fl.lastDraw);
    if (idle >= QUIET_MS || Date.now() > end) {
      return;
    }
    await sleep(Math.max(20, QUIET_MS - idle));
  }
}

/** Key press (CDP) to the centre turning black/white on the client's canvas, in ms. */
async function latency(page) {
  await setMode('latency');
  let shown = await waitPixel(page, 'the latency block', p => isBlack(p.rgb) || isWhite(p.rgb), 30_000);
  const box = await mainBox(page);
  // Focus Firefox's page: a click on the block (the page ignores clicks).
  await page.mouse.click(box.x + box.width / 2, box.y + box.height / 2);
  await sleep(500);
  const out = [];
  let lost = 0;
  let verified = 0;
  let mismatched = 0;
  let now = shown.rgb;
  for (let i = 0; i < spec.presses; i++) {
    if (!PAINT) {
      now = await page.evaluate(() => window.__fl.pixel().rgb);
    }
    const wantWhite = isBlack(now);
    await quiet(page);
    await page.evaluate(() => {
      window.__fl.samples = [];
      window.__fl.keys = [];
      window.__fl.sends = [];
      window.__fl.on = true;
    });
    await page.keyboard.press('KeyA');
    // Waited for in the page (each animation frame), not polled over CDP: the time itself comes
    // from the hook's sample, so the wait only has to notice it. Our client: the first paint over
    // the centre after the key (its colour is checked from a screenshot below).
    const hit = await page
      .waitForFunction(([want, paint]) => {
        const key = window.__fl.keys[0];
        if (key === undefined) {
          return null;
        }
        const s = window.__fl.samples.find(x => paint
          ? x[0] >= key
          : (want ? [x[1], x[2], x[3]].every(c => c > 195) : [x[1], x[2], x[3]].every(c => c < 60)));
        const sent = window.__fl.sends.find(t => t >= key);
        return s && s[4] !== null
          ? { shown: s[4] - key, drawn: s[0] - key, sent: sent === undefined ? null : sent - key, decode: paint ? s[3] / 1000 : null }
          : null;
      }, [wantWhite, PAINT], { timeout: 3000, polling: 'raf' })
      .then(h => h.jsonValue(), () => null);
    await page.evaluate(() => {
      window.__fl.on = false;
    });
    if (PAINT) {
      // What the user sees now must be the new colour, else that paint was not the photon.
      await sleep(hit === null ? 1000 : 100);
      now = await shownAt(page, box);
      if (hit !== null) {
        if (wantWhite ? isWhite(now) : isBlack(now)) {
          verified++;
        } else {
          mismatched++;
        }
      }
    }
    if (hit === null) {
      lost++;
      if (!PAINT) {
        await sleep(1000);
      }
    } else {
      out.push(hit);
    }
    // Irregular spacing, so presses do not lock onto a timer of the server's.
    await sleep(150 + Math.random() * 250);
  }
  const q = (key, p) => {
    const v = out.map(h => h[key]).filter(x => typeof x === 'number').sort((a, b) => a - b);
    return v.length ? v[Math.min(v.length - 1, Math.floor(p * v.length))] : null;
  };
  const r = { p50_ms: q('shown', 0.5), p95_ms: q('shown', 0.95), drawn_p50_ms: q('drawn', 0.5), drawn_p95_ms: q('drawn', 0.95), n: out.length, lost,
    sent_p50_ms: q('sent', 0.5), decode_p50_ms: q('decode', 0.5) };
  if (PAINT) {
    Object.assign(r, { verified, mismatched });
  }
  return r;
}

const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_FLAGS });
let errors = [];
const result = { id: spec.id, url: spec.url.replace(/(token|password)=[^&]+/g, '$1=…'), width: spec.width, height: spec.height };
try {
  const context = await browser.newContext({ viewport: { width: spec.width, height: spec.height } });
  await context.addInitScript(hook, PAINT ? 'paint' : 'pixel');
  if (spec.modes.includes('sound')) {
    // The sound phase (bench/sound.py, sound.mjs): the probe of the page's audio and two wrapped Web APIs.
    await context.addInitScript(audioHook, TONE_HZ);
  }
  // Chromium: every process this probe started (Playwright's launch gives no pid).
  cpuRoots = [...(spec.cpu?.roots ?? []), { childrenOf: process.pid, cls: 'browser' }];
  const page = await context.newPage();
  page.on('console', m => m.type() === 'error' && errors.length < 20 && errors.push(m.text()));
  page.on('pageerror', e => errors.length < 20 && errors.push(String(e)));
  const t0 = Date.now();
  await page.goto(spec.url);
  await setMode('idle');
  const shown = await waitPixel(page, 'a canvas showing the idle page', p => p.width >= spec.width / 2 && p.rgb.every(c => Math.abs(c - 32) < 12), 60_000);
  result.connect_ms = Date.now() - t0;
  result.canvas = [shown.width, shown.height];
  if (PAINT && (await page.evaluate(() => window.__fl.paints)) === 0) {
    throw new Error('the page showed the session but dispatched no firefox-launcher:paint event (docs/page-surface.md)');
  }
  for (const mode of spec.modes) {
    if (mode === 'sound') {
      const reports = async () => (await fetch(`${spec.pages}/reports?id=${encodeURIComponent(spec.id)}`)).json();
      result.sound = await soundTests(page, spec, { setMode, streaming, mainBox, socketBytes, bytesSince, reports });
      continue;
    }
    result[mode] = mode === 'latency' ? await latency(page) : await streaming(page, mode);
  }
  if (PAINT) {
    result.fill_without_wid = await page.evaluate(() => Boolean(window.__fl.noWid));
  }
} catch (e) {
  result.error = String(e.message || e);
  result.console = errors;
} finally {
  await setMode('idle').catch(() => {});
  await browser.close();
}
process.stdout.write(JSON.stringify(result) + '\n');
