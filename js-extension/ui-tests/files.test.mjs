// The clipboard between the user's browser and Firefox, and uploads from the workspace (issue 12,
// items 1 and 3), through the session page (`/sessions/PORT/` of a real `serve` on TCP).
//
// One real `firefox-launcher serve` (its own temp home, `--workspace` a temp dir holding
// `upload-me.txt`, its working directory another temp dir holding a decoy of that name) runs
// real Xpra + Firefox ESR sessions, one at a time, each on a page of ours served by this file
// with a random text; Debian's Chromium opens the session's client with the clipboard
// permissions granted for the service's origin. Firefox's page reports what it did (copied,
// got focus, received a paste, read a file) to this file's page server. Each test asserts what
// arrived where: the browser's clipboard (read in the client page), the field in Firefox, the
// file's content. A direction that must not let text through is given a generous wait after
// Firefox showed it took the action (copied; got the keys after Ctrl+V); the positive control
// is the same action crossing on a "both" session in the same run. Where text may not go into
// Firefox, the client page must not even read the browser's clipboard (which may make a real
// browser ask the user for a permission): its reads are recorded, with where they came from.
//
// The client page is observed through what it shows of itself (js-extension/client/docs/
// page-surface.md: `#screen[data-state][data-focused]`, `canvas.window[data-wid]`) and what the
// user sees (Chromium's screenshots, screen.mjs).
//
// Env: FIREFOX_LAUNCHER_BIN (default: the newer of <repo>/target/release and <repo>/target/debug
//      firefox-launcher), CHROMIUM (/usr/bin/chromium), ARTIFACTS_DIR (screenshots of failures),
//      FIREFOX_LAUNCHER_XPRA (passed on to `serve`).
// Run: cd js-extension/ui-tests && node --test --test-concurrency=1 files.test.mjs
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { chromium } from 'playwright-core';

import { CHROMIUM_FLAGS, QUIET_AUDIO_ARGS, quietAudioEnv, dialogFocusPoint, clientWindows, screenState, sessionXpra, sleep, waitConnected, waitFor } from './common.mjs';
import { sessionProcs, stillRunning } from './procs.mjs';
import { shot } from './screen.mjs';
import { Sidecar } from './sidecar.mjs';

const REPO = fileURLToPath(new URL('../../', import.meta.url));
const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';
const FL_BIN = process.env.FIREFOX_LAUNCHER_BIN ?? newestBinary();
const ARTIFACTS = process.env.ARTIFACTS_DIR;

// How long a direction that is off is watched for text crossing anyway, counted from when
// Firefox showed it did its part. Text that may cross arrives within about a second here.
const NOTHING_CROSSES_MS = 8_000;

function newestBinary() {
  return ['release', 'debug']
    .map(profile => join(REPO, 'target', profile, 'firefox-launcher'))
    .filter(path => existsSync(path))
    .sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs)[0];
}

function log(...args) {
  console.log(`[files ${new Date().toISOString().slice(11, 23)}]`, ...args);
}

const secret = label => `${label}-${randomBytes(8).toString('hex')}`;


// ---- the pages in Firefox ----

const COPY_RGB = [30, 60, 200];
const PASTE_RGB = [220, 170, 20];
const PICK_RGB = [150, 40, 160];

// Sends {id, kind, value} to the page server; `id` and the text to copy come from the address.
const REPORT = `const q = new URLSearchParams(location.search);
function report(kind, value) {
  fetch('/report', { method: 'POST', body: JSON.stringify({ id: q.get('id'), kind, value }) });
}`;

// A field holding the text and a big button that copies it (a real click in Firefox is the user
// gesture execCommand needs); a big text area that reports what it holds and when it has focus.
const CLIP_PAGE = `<!doctype html><meta charset="utf-8"><title>clipboard test</title>
<style>html,body{margin:0;height:100%;background:#f0f0f0}
#src{position:absolute;left:20px;top:20px;width:360px;font-size:18px}
#copy{position:absolute;left:20px;top:80px;width:360px;height:200px;border:0;background:rgb(${COPY_RGB})}
#dst{position:absolute;left:440px;top:20px;width:400px;height:260px;border:0;background:rgb(${PASTE_RGB});
 font-size:18px;resize:none}</style>
<input id="src" autocomplete="off"><button id="copy"></button><textarea id="dst" spellcheck="false"></textarea>
<script>${REPORT}
const src = document.getElementById('src');
const dst = document.getElementById('dst');
src.value = q.get('text');
document.getElementById('copy').addEventListener('click', () => {
  src.focus();
  src.select();
  report('copied', String(document.execCommand('copy')));
});
dst.addEventListener('focus', () => report('focus', ''));
dst.addEventListener('input', () => report('pasted', dst.value));
</script>`;

// A big label for a file input: a click on it opens Firefox's file dialog; the chosen file's
// name and content are reported.
const UPLOAD_PAGE = `<!doctype html><meta charset="utf-8"><title>upload test</title>
<style>html,body{margin:0;height:100%;background:#f0f0f0}
#pick{position:absolute;left:20px;top:20px;width:400px;height:200px;display:block;background:rgb(${PICK_RGB})}
#f{position:absolute;left:20px;top:260px}</style>
<label id="pick" for="f"></label><input type="file" id="f">
<script>${REPORT}
const f = document.getElementById('f');
f.addEventListener('change', async () => {
  const file = f.files[0];
  report('file', JSON.stringify({ name: file.name, content: await file.text() }));
});
</script>`;

/** What each page (by its `id`) reported: {copied: [..], focus: n, pasted, file}. */
const reports = new Map();
const reported = id => reports.get(id) ?? {};

const pageServer = createServer((req, res) => {
  const url = new URL(req.url, 'http://page');
  if (req.method === 'POST' && url.pathname === '/report') {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', d => (body += d));
    req.on('end', () => {
      const { id, kind, value } = JSON.parse(body);
      const r = reports.get(id) ?? { copied: [], focus: 0 };
      if (kind === 'copied') {
        r.copied.push(value);
      } else if (kind === 'focus') {
        r.focus++;
      } else {
        r[kind] = value;
      }
      reports.set(id, r);
      res.end('ok');
    });
    return;
  }
  const page = { '/clip': CLIP_PAGE, '/upload': UPLOAD_PAGE }[url.pathname];
  res.writeHead(page ? 200 : 404, { 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-store' });
  res.end(page ?? 'not found');
});

// ---- the service, its sessions, the browser ----

let home;
let workspace;
let elsewhere;
let serve;
let runtime;
let browser;
/** The "both" session the first two tests share; stopped at the end. */
let both;
/** Sessions started and not yet stopped, and every process any session had. */
const running = new Map();
const sessionProcList = [];
const uploadText = secret('uploaded');

const serveRunning = () => serve?.running();

async function api(path, init = {}) {
  const res = await fetch(`${runtime.address}/${path}`, {
    ...init,
    headers: { Authorization: `token ${runtime.token}`, 'Content-Type': 'application/json' }
  });
  const text = await res.text();
  let body = text;
  try {
    body = text ? JSON.parse(text) : null;
  } catch {}
  return { status: res.status, body };
}

before(async () => {
  assert.ok(FL_BIN && existsSync(FL_BIN), `FIREFOX_LAUNCHER_BIN must name the firefox-launcher binary (got ${FL_BIN})`);
  log(`binary ${FL_BIN}`);
  await new Promise(r => pageServer.listen(0, '127.0.0.1', r));

  home = mkdtempSync(join(tmpdir(), 'fl-files-'));
  // The workspace holds the file to upload; serve's working directory (its default workspace)
  // holds a decoy of the same name, so a dialog opened there uploads the wrong content.
  workspace = join(home, 'workspace');
  elsewhere = join(home, 'elsewhere');
  mkdirSync(workspace);
  mkdirSync(elsewhere);
  writeFileSync(join(workspace, 'upload-me.txt'), uploadText);
  writeFileSync(join(elsewhere, 'upload-me.txt'), 'decoy in serve\'s working directory');
  serve = new Sidecar(FL_BIN, join(home, 'fl'), ['--workspace', workspace], { cwd: elsewhere });
  runtime = await serve.runtime();

  browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [...CHROMIUM_FLAGS, ...QUIET_AUDIO_ARGS],
    env: quietAudioEnv()
  });
});

after(async () => {
  await browser?.close().catch(() => {});
  let bothStopped = null;
  if (both && running.has(both.session.port) && serveRunning()) {
    bothStopped = (await api(`api/sessions/${both.session.port}`, { method: 'DELETE' }).catch(e => ({ status: String(e) }))).status;
    running.delete(both.session.port);
  }
  const stops = [];
  for (const port of running.keys()) {
    if (serveRunning()) {
      stops.push(`${port}: ${(await api(`api/sessions/${port}`, { method: 'DELETE' }).catch(e => ({ status: String(e) }))).status}`);
    }
  }
  const exit = serve ? await serve.stop() : null;
  pageServer.close();
  const left = await waitFor('every session process gone', () => {
    const l = stillRunning(sessionProcList);
    return l.length === 0 ? [] : null;
  }, 15_000).catch(() => stillRunning(sessionProcList));
  const sessionsDir = home && join(home, 'fl', 'sessions');
  const dirs = sessionsDir && existsSync(sessionsDir) ? readdirSync(sessionsDir) : [];
  if (home) {
    rmSync(home, { recursive: true, force: true });
  }
  if (both) {
    assert.equal(bothStopped, 200, 'stopping the shared session through the API');
  }
  assert.deepEqual(stops, [], 'sessions the tests left running (stopped here)');
  assert.deepEqual(left.map(p => `${p.pid}:${p.comm}`), [], 'session processes left');
  assert.deepEqual(dirs, [], 'session directories left in the sidecar home');
  if (serve) {
    assert.deepEqual(exit, { code: 0, signal: null }, `serve's exit; its log:\n${serve.log().slice(-3000)}`);
  }
});

/** Starts a session on one of our pages (`clipboard` omitted: the service's default). */
async function startSession(path, clipboard) {
  const id = secret('page');
  const text = secret('from-firefox');
  const body = { url: `http://127.0.0.1:${pageServer.address().port}/${path}?id=${id}&text=${text}` };
  if (clipboard) {
    body.clipboard = clipboard;
  }
  const started = Date.now();
  const created = await api('api/sessions', { method: 'POST', body: JSON.stringify(body) });
  assert.equal(created.status, 201, `starting a session with ${JSON.stringify(body)}: ${JSON.stringify(created.body)}`);
  const session = created.body;
  running.set(session.port, session);
  sessionProcList.push(...sessionProcs(session.pid, session.pgid));
  log(`session ${session.port} (clipboard ${clipboard ?? 'default'}) ready in ${Date.now() - started} ms, on ${sessionXpra(session)}`);
  return { session, id, text };
}

async function stopSession(session) {
  const stopped = await api(`api/sessions/${session.port}`, { method: 'DELETE' });
  running.delete(session.port);
  assert.equal(stopped.status, 200, `stopping session ${session.port}: ${JSON.stringify(stopped.body)}`);
}

/**
 * The session's client in a new browser context whose clipboard the service's origin may read
 * and write. The client's own reads of the browser clipboard are recorded (`__flReads`); the
 * test reads and writes it through the untouched functions (`__flReadText`, `__flWriteText`).
 */
async function openClient(session) {
  const context = await browser.newContext({ viewport: { width: 1100, height: 700 } });
  await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: runtime.address });
  await context.addInitScript(() => {
    const clipboard = navigator.clipboard;
    const readText = clipboard.readText.bind(clipboard);
    const read = clipboard.read.bind(clipboard);
    // Where the client read it from, first lines of each stack.
    window.__flReads = [];
    window.__flReadText = readText;
    window.__flWriteText = clipboard.writeText.bind(clipboard);
    const count = () => window.__flReads.push(new Error().stack.split('\n').slice(2, 5).map(l => l.trim()).join(' < '));
    clipboard.readText = () => {
      count();
      return readText();
    };
    clipboard.read = () => {
      count();
      return read();
    };
  });
  const page = await context.newPage();
  await page.goto(`${runtime.address}/${session.path}?token=${runtime.token}`);
  await page.waitForSelector('#screen canvas', { timeout: 60_000 });
  await waitConnected(page.mainFrame(), 'the session page');
  return { context, page };
}

/** The client's windows (common.mjs clientWindows: the filling one first), with their rectangles. */
const windows = page => clientWindows(page.mainFrame());

/**
 * The centre, in viewport pixels, of the area of Firefox's page drawn in `rgb` (within a few
 * units), found in what the user sees (a screenshot of the page); null while it is not drawn.
 */
async function findColour(page, rgb) {
  const { width, height } = page.viewportSize();
  const image = await shot(page.mainFrame(), { x: 0, y: 0, w: width, h: height });
  const { data } = image;
  let [minX, minY, maxX, maxY, n] = [Infinity, Infinity, -1, -1, 0];
  for (let y = 0; y < image.height; y += 2) {
    for (let x = 0; x < image.width; x += 2) {
      const i = (y * image.width + x) * 4;
      if (Math.abs(data[i] - rgb[0]) <= 6 && Math.abs(data[i + 1] - rgb[1]) <= 6 && Math.abs(data[i + 2] - rgb[2]) <= 6) {
        minX = Math.min(minX, x);
        maxX = Math.max(maxX, x);
        minY = Math.min(minY, y);
        maxY = Math.max(maxY, y);
        n++;
      }
    }
  }
  if (n <= 500) {
    return null;
  }
  const scale = image.width / width;
  return { x: (minX + maxX) / 2 / scale, y: (minY + maxY) / 2 / scale };
}

/**
 * Clicks the area of Firefox's page drawn in `rgb` until the page reports `done()` (a first
 * click may only give Firefox's window the focus).
 */
async function clickUntil(page, what, rgb, done) {
  const at = await waitFor(`${what}: drawn`, () => findColour(page, rgb), 30_000);
  for (let attempt = 0; attempt < 3; attempt++) {
    await page.mouse.click(at.x, at.y);
    if (await waitFor(what, done, 5_000).catch(() => false)) {
      return;
    }
  }
  throw new Error(`${what}: three clicks at ${at.x},${at.y} and nothing reported`);
}

const browserClipboard = page => page.evaluate(() => window.__flReadText());

async function screenshot(page, name) {
  if (ARTIFACTS) {
    mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: join(ARTIFACTS, `files-${name}.png`) }).catch(() => {});
  }
}

/** Firefox copies its field (a click on its button); returns when the page says it copied. */
async function copyInFirefox(page, id) {
  const before = reported(id).copied?.length ?? 0;
  await clickUntil(page, 'Firefox copies its field', COPY_RGB, () => (reported(id).copied?.length ?? 0) > before);
  assert.equal(reported(id).copied.at(-1), 'true', 'execCommand(\'copy\') in Firefox succeeded');
}

/**
 * Puts `text` in the browser's clipboard, clicks Firefox's text area (the client reads the
 * browser clipboard on a click) and presses Ctrl+V. Where the text may cross, returns once the
 * field holds it; where it may not, types a marker `q` after Ctrl+V and returns once the field
 * has it, so Firefox surely got Ctrl+V.
 */
async function pasteInFirefox(page, id, text, { crosses }) {
  await page.evaluate(t => window.__flWriteText(t), text);
  assert.equal(await browserClipboard(page), text, 'the test wrote the browser clipboard');
  const focused = reported(id).focus ?? 0;
  const readsBefore = await page.evaluate(() => window.__flReads.length);
  await clickUntil(page, 'Firefox\'s text area focused', PASTE_RGB, () => (reported(id).focus ?? 0) > focused);
  if (crosses) {
    // The client reads the browser clipboard on that click and sends it to the session; let
    // that happen before Ctrl+V rather than race it (Ctrl+V alone also makes it read).
    await waitFor('the client to read the browser clipboard', () =>
      page.evaluate(n => window.__flReads.length > n, readsBefore), 10_000).catch(e => log(e.message));
    await sleep(300);
  }
  await page.keyboard.press('Control+v');
  if (crosses) {
    await waitFor(`${text} pasted in Firefox`, () => reported(id).pasted === text, 20_000).catch(e => {
      throw new Error(`${e.message}; the field holds ${JSON.stringify(reported(id).pasted)}`);
    });
  } else {
    await page.keyboard.type('q');
    await waitFor('the marker typed after Ctrl+V in Firefox\'s text area', () => reported(id).pasted?.endsWith('q'), 15_000);
  }
}

// ---- clipboard both ways (the service's default) ----

async function bothSession() {
  both ??= await startSession('clip');
  return both;
}

test('text copied in Firefox arrives in the browser\'s clipboard', { timeout: 120_000 }, async () => {
  const { session, id, text } = await bothSession();
  const { context, page } = await openClient(session);
  try {
    await page.evaluate(() => window.__flWriteText('before the copy'));
    const copied = Date.now();
    await copyInFirefox(page, id);
    const got = await waitFor(`${text} in the browser's clipboard`, async () => {
      const now = await browserClipboard(page);
      return now === text && now;
    }, 20_000).catch(async e => {
      await screenshot(page, 'copy');
      throw new Error(`${e.message}; it holds ${JSON.stringify(await browserClipboard(page))}`);
    });
    log(`Firefox -> browser in ${Date.now() - copied} ms`);
    assert.equal(got, text);
  } finally {
    await context.close();
  }
});

test('text in the browser\'s clipboard is pasted into a field in Firefox', { timeout: 120_000 }, async () => {
  const { session, id } = await bothSession();
  const text = secret('to-firefox');
  const { context, page } = await openClient(session);
  try {
    const started = Date.now();
    await pasteInFirefox(page, id, text, { crosses: true }).catch(async e => {
      await screenshot(page, 'paste');
      throw e;
    });
    assert.equal(reported(id).pasted, text, 'what the field in Firefox received');
    log(`browser -> Firefox (write, click, Ctrl+V, pasted) in ${Date.now() - started} ms`);
  } finally {
    await context.close();
  }
});

// ---- the clipboard's direction ----

/**
 * On a session with the given direction, tries both ways at once: Ctrl+V in Firefox of a text
 * the browser holds, and a copy in Firefox. What may cross must arrive; what may not must not
 * have arrived after NOTHING_CROSSES_MS.
 */
async function tryBothWays(direction, { toFirefox, fromFirefox }) {
  const { session, id, text } = await startSession('clip', direction);
  const { context, page } = await openClient(session);
  try {
    assert.equal(session.clipboard, direction, 'the session JSON names its clipboard direction');
    const browserText = secret('to-firefox');
    await pasteInFirefox(page, id, browserText, { crosses: toFirefox });
    await copyInFirefox(page, id);
    const actionsDone = Date.now();
    if (fromFirefox) {
      await waitFor(`${text} in the browser's clipboard`, async () => (await browserClipboard(page)) === text, 20_000);
    }
    const rest = actionsDone + NOTHING_CROSSES_MS - Date.now();
    if (rest > 0) {
      await sleep(rest);
    }
    const pasted = reported(id).pasted;
    const clipboard = await browserClipboard(page);
    const reads = await page.evaluate(() => window.__flReads);
    log(`${direction}: Firefox's field ${JSON.stringify(pasted)}, the browser clipboard ${JSON.stringify(clipboard)}, ` +
      `the client read the browser clipboard ${reads.length} times`);
    if (toFirefox) {
      assert.equal(pasted, browserText, 'browser -> Firefox: pasted in Firefox');
    } else {
      assert.equal(pasted, 'q', 'browser -> Firefox: nothing pasted in Firefox');
      assert.deepEqual(reads, [], 'the client never read the browser clipboard (where it did)');
    }
    if (fromFirefox) {
      assert.equal(clipboard, text, 'Firefox -> browser: the browser clipboard holds the copy');
    } else {
      assert.equal(clipboard, browserText, 'Firefox -> browser: the browser clipboard kept what it held');
    }
  } catch (e) {
    await screenshot(page, direction);
    throw e;
  } finally {
    await context.close();
    await stopSession(session);
  }
}

test('clipboard off: nothing crosses either way', { timeout: 150_000 }, async () => {
  await tryBothWays('off', { toFirefox: false, fromFirefox: false });
});

test('clipboard to-firefox: the browser\'s text is pasted in Firefox, Firefox\'s copy stays in Firefox', { timeout: 150_000 }, async () => {
  await tryBothWays('to-firefox', { toFirefox: true, fromFirefox: false });
});

test('clipboard from-firefox: Firefox\'s copy reaches the browser, the browser\'s text stays out', { timeout: 150_000 }, async () => {
  await tryBothWays('from-firefox', { toFirefox: false, fromFirefox: true });
});

// ---- uploads from the workspace ----

test('a file input\'s dialog opens in the workspace: a typed name uploads the file from there', { timeout: 150_000 }, async () => {
  const { session, id } = await startSession('upload');
  const { context, page } = await openClient(session);
  try {
    const [main] = await windows(page);
    let dialog = null;
    await clickUntil(page, 'the file dialog opened', PICK_RGB, async () => {
      dialog = (await windows(page)).find(w => w.id !== main.id && w.w > 300);
      return dialog;
    });
    // Focused by a click in it (dialogFocusPoint), the dialog takes the keys. In GTK's file
    // chooser a typed name starts a search; Ctrl+L opens its location field, which takes a name
    // relative to the folder the dialog shows.
    const focus = dialogFocusPoint(dialog);
    await page.mouse.click(focus.x, focus.y);
    await waitFor('the dialog focused', async () => (await screenState(page.mainFrame())).focused === dialog.id, 10_000)
      .catch(e => log(e.message));
    await page.keyboard.press('Control+l');
    await page.keyboard.type('upload-me.txt', { delay: 30 });
    await page.keyboard.press('Enter');
    const file = await waitFor('the page in Firefox to read the chosen file', () => reported(id).file, 30_000).catch(async e => {
      await screenshot(page, 'upload');
      throw new Error(`${e.message} (the dialog takes the name relative to the folder it shows: not the workspace?); ` +
        `windows now ${JSON.stringify(await windows(page))}`);
    });
    const { name, content } = JSON.parse(file);
    assert.equal(name, 'upload-me.txt');
    assert.notEqual(content, 'decoy in serve\'s working directory', 'the dialog opened in serve\'s working directory, not the workspace');
    assert.equal(content, uploadText, 'the uploaded content is the workspace file\'s');
  } finally {
    await context.close();
    await stopSession(session);
  }
});
