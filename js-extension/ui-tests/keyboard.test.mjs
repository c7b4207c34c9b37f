// Typing through the client arrives in Firefox as typed (issue 11, item 4).
//
// A real `firefox-launcher serve` (its own temp home, TCP, token) runs one
// real Xpra + Firefox session showing a page of ours: an autofocused text
// field that reports its value to this file's page server. Debian's Chromium
// opens the session's client with a given language (and keyboard map, and
// platform) and types through CDP key events shaped like a real keyboard's:
// `key`, `code`, `text` and key codes as Chromium reports them for that
// layout (AltGr, dead keys and Option included). Every case asserts the
// exact value the page in Firefox received.
//
// A held key is held past the auto-repeat delay of the session's X server
// (read from it with `xset q`), so a key the server kept pressed would repeat
// there and show. The browser's keyboard layout is read through
// navigator.keyboard.getLayoutMap: stubbed in one test (the user's keyboard
// stood in for), and answered for real in another, by a headed Chromium on an
// X server of this file's own whose XKB layout is German.
//
// The client page is observed through what it shows of itself
// (js-extension/client/docs/page-surface.md): `#screen[data-state]` (connected),
// `[data-focused]` (the window that has the keyboard), `[data-keyboard-layout]` (the X layout
// it gave Xpra).
//
// Env: FIREFOX_LAUNCHER_BIN (default: the newer of <repo>/target/release and
//      <repo>/target/debug firefox-launcher), CHROMIUM (/usr/bin/chromium),
//      FIREFOX_LAUNCHER_XPRA (passed on to `serve`).
// Run: cd js-extension/ui-tests && node --test --test-concurrency=1 keyboard.test.mjs
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { chromium } from 'playwright-core';

import { CHROMIUM_FLAGS, QUIET_AUDIO_ARGS, quietAudioEnv, deadline, screenState, sessionX, sessionXpra, sleep, waitConnected, waitFor } from './common.mjs';
import { procStat, sessionProcs, stillRunning } from './procs.mjs';
import { Sidecar } from './sidecar.mjs';

const REPO = fileURLToPath(new URL('../../', import.meta.url));
const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';
const FL_BIN = process.env.FIREFOX_LAUNCHER_BIN ?? newestBinary();

function newestBinary() {
  const built = ['release', 'debug']
    .map(profile => join(REPO, 'target', profile, 'firefox-launcher'))
    .filter(path => existsSync(path))
    .sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs);
  return built[0];
}

function log(...args) {
  console.log(`[keyboard ${new Date().toISOString().slice(11, 23)}]`, ...args);
}



// ---- the page in Firefox: a text field that reports its value ----

/** The latest value the field reported (highest sequence number), or undefined. */
let typed;
/** Whether the field had the keyboard focus (its window focused) at that report. */
let focused = false;
let typedSeq = -1;
// Clicks elsewhere in the page do not take the focus from the field, and the
// field reports its value and focus whenever either changes.
const PAGE = `<!doctype html><meta charset="utf-8"><title>keyboard test</title>
<body style="margin:40px"><input id="t" autofocus autocomplete="off" spellcheck="false" style="font-size:32px;width:80%">
<script>
const t = document.getElementById('t');
let seq = 0;
let sent = null;
document.addEventListener('mousedown', e => { if (e.target !== t) { e.preventDefault(); } });
function report() {
  if (document.activeElement !== t) { t.focus(); }
  const state = JSON.stringify({ value: t.value, focused: document.hasFocus() && document.activeElement === t });
  if (state === sent) { return; }
  fetch('/value?seq=' + (++seq), { method: 'POST', body: state }).then(() => { sent = state; }, () => {});
}
t.addEventListener('input', report);
t.addEventListener('focus', report);
t.addEventListener('blur', report);
setInterval(report, 100);
</script></body>`;

const pageServer = createServer((req, res) => {
  const url = new URL(req.url, 'http://page');
  if (req.method === 'POST' && url.pathname === '/value') {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', d => (body += d));
    req.on('end', () => {
      const seq = Number(url.searchParams.get('seq'));
      if (seq > typedSeq) {
        typedSeq = seq;
        ({ value: typed, focused } = JSON.parse(body));
      }
      res.end('ok');
    });
    return;
  }
  res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-store' });
  res.end(PAGE);
});

// ---- keys as a real keyboard makes Chromium report them ----

const CTRL = 2;
const META = 4;
const SHIFT = 8;
const ALT = 1;

/** A key that types `key` (its `code` and Windows key code as on the layout at hand). */
const k = (key, code, vk, extra = {}) => ({ key, code, vk, ...extra });
const ascii = text => [...text].map(c => {
  if (c === ' ') {
    return k(' ', 'Space', 32);
  }
  if (/[0-9]/.test(c)) {
    return k(c, `Digit${c}`, c.charCodeAt(0));
  }
  const upper = c.toUpperCase();
  return k(c, `Key${upper}`, upper.charCodeAt(0), c === upper ? { shift: true } : {});
});

// German (de) keyboard.
const GERMAN = [
  k('ä', 'Quote', 222), k('ö', 'Semicolon', 192), k('ü', 'BracketLeft', 186), k('ß', 'Minus', 219),
  k('€', 'KeyE', 69, { altgr: true }), k('@', 'KeyQ', 81, { altgr: true })
];
// French (fr, AZERTY) keyboard.
const FRENCH = [k('é', 'Digit2', 50), k('è', 'Digit7', 55), k('à', 'Digit0', 48), k('ç', 'Digit9', 57)];

/**
 * Presses and releases each key. AltGr as Linux reports it (`AltGraph`, no
 * modifier flags), as Windows does (Control + Alt), or Option on a Mac (Alt).
 */
async function typeKeys(cdp, keys, altgrStyle = 'linux') {
  const send = (type, o) => cdp.send('Input.dispatchKeyEvent', { type, ...o });
  for (const key of keys) {
    if (key.dead) {
      // A dead key: the browser reports `Dead` and composes with the next key.
      await send('rawKeyDown', { key: 'Dead', code: key.code, windowsVirtualKeyCode: key.vk });
      await send('keyUp', { key: 'Dead', code: key.code, windowsVirtualKeyCode: key.vk });
      await sleep(40);
      continue;
    }
    if (key.holdMs) {
      // Held down as a browser reports it: a key-down, the browser's own repeat delay, then
      // repeated key-downs (event.repeat) every BROWSER_REPEAT_MS, until the key-up once
      // `holdMs` have passed since the first. What was sent is left in `key.sent`.
      const event = { key: key.key, code: key.code, windowsVirtualKeyCode: key.vk };
      const start = Date.now();
      let presses = 0;
      await send('keyDown', { ...event, text: key.key, unmodifiedText: key.key });
      presses++;
      await sleep(BROWSER_REPEAT_DELAY_MS);
      while (Date.now() - start < key.holdMs) {
        await send('keyDown', { ...event, text: key.key, unmodifiedText: key.key, autoRepeat: true });
        presses++;
        await sleep(BROWSER_REPEAT_MS);
      }
      await send('keyUp', event);
      key.sent = { presses, heldMs: Date.now() - start };
      await sleep(40);
      continue;
    }
    let modifiers = key.shift ? SHIFT : 0;
    if (key.shift) {
      await send('rawKeyDown', { key: 'Shift', code: 'ShiftLeft', windowsVirtualKeyCode: 16, modifiers });
    }
    if (key.altgr && altgrStyle === 'linux') {
      await send('rawKeyDown', { key: 'AltGraph', code: 'AltRight', windowsVirtualKeyCode: 225, location: 2 });
    } else if (key.altgr && altgrStyle === 'windows') {
      await send('rawKeyDown', { key: 'Control', code: 'ControlLeft', windowsVirtualKeyCode: 17, modifiers: CTRL });
      await send('rawKeyDown', { key: 'AltGraph', code: 'AltRight', windowsVirtualKeyCode: 18, location: 2, modifiers: CTRL | ALT });
      modifiers |= CTRL | ALT;
    } else if (key.altgr && altgrStyle === 'mac') {
      await send('rawKeyDown', { key: 'Alt', code: 'AltLeft', windowsVirtualKeyCode: 18, location: 1, modifiers: ALT });
      modifiers |= ALT;
    }
    const event = { key: key.key, code: key.code, windowsVirtualKeyCode: key.vk, modifiers };
    await send('keyDown', { ...event, text: key.key, unmodifiedText: key.key });
    await sleep(30);
    await send('keyUp', event);
    if (key.altgr && altgrStyle === 'linux') {
      await send('keyUp', { key: 'AltGraph', code: 'AltRight', windowsVirtualKeyCode: 225, location: 2 });
    } else if (key.altgr && altgrStyle === 'windows') {
      await send('keyUp', { key: 'AltGraph', code: 'AltRight', windowsVirtualKeyCode: 18, location: 2, modifiers: CTRL });
      await send('keyUp', { key: 'Control', code: 'ControlLeft', windowsVirtualKeyCode: 17 });
    } else if (key.altgr && altgrStyle === 'mac') {
      await send('keyUp', { key: 'Alt', code: 'AltLeft', windowsVirtualKeyCode: 18, location: 1 });
    }
    if (key.shift) {
      await send('keyUp', { key: 'Shift', code: 'ShiftLeft', windowsVirtualKeyCode: 16 });
    }
    await sleep(40);
  }
}

// A browser's own auto-repeat of a held key (Chromium on Linux: 500 ms, then about 30 a second).
const BROWSER_REPEAT_DELAY_MS = 500;
const BROWSER_REPEAT_MS = 35;

/** Auto-repeat of an X server as `xset q` reports it: {on, delayMs, ratePerS}. */
function xAutoRepeat(env) {
  const out = execFileSync('xset', ['q'], { env, encoding: 'utf8' });
  const on = /auto repeat:\s+(on|off)/.exec(out);
  const timing = /auto repeat delay:\s+(\d+)\s+repeat rate:\s+(\d+)/.exec(out);
  assert.ok(on && timing, `xset q names the auto-repeat: ${out}`);
  return { on: on[1] === 'on', delayMs: Number(timing[1]), ratePerS: Number(timing[2]) };
}

/** Select all (Ctrl, or Cmd on a Mac) and delete: the field is empty again. */
async function clearField(cdp, mac) {
  const send = (type, o) => cdp.send('Input.dispatchKeyEvent', { type, ...o });
  const [mod, name, code, vk] = mac ? [META, 'Meta', 'MetaLeft', 91] : [CTRL, 'Control', 'ControlLeft', 17];
  await send('rawKeyDown', { key: name, code, windowsVirtualKeyCode: vk, modifiers: mod });
  await send('rawKeyDown', { key: 'a', code: 'KeyA', windowsVirtualKeyCode: 65, modifiers: mod });
  await send('keyUp', { key: 'a', code: 'KeyA', windowsVirtualKeyCode: 65, modifiers: mod });
  await send('keyUp', { key: name, code, windowsVirtualKeyCode: vk });
  await send('rawKeyDown', { key: 'Backspace', code: 'Backspace', windowsVirtualKeyCode: 8 });
  await send('keyUp', { key: 'Backspace', code: 'Backspace', windowsVirtualKeyCode: 8 });
}

// Unshifted characters of a keyboard as Chromium's navigator.keyboard.getLayoutMap() reports
// them (a space: a dead key, left out).
const MAP_KEYS = ['Backquote', 'Digit1', 'Digit2', 'Digit3', 'Digit4', 'Digit5', 'Digit6', 'Digit7', 'Digit8',
  'Digit9', 'Digit0', 'Minus', 'Equal', 'KeyQ', 'KeyW', 'KeyE', 'KeyR', 'KeyT', 'KeyY', 'KeyU', 'KeyI', 'KeyO',
  'KeyP', 'BracketLeft', 'BracketRight', 'KeyA', 'KeyS', 'KeyD', 'KeyF', 'KeyG', 'KeyH', 'KeyJ', 'KeyK', 'KeyL',
  'Semicolon', 'Quote', 'Backslash', 'KeyZ', 'KeyX', 'KeyC', 'KeyV', 'KeyB', 'KeyN', 'KeyM', 'Comma', 'Period',
  'Slash'];
const KEYBOARD_MAPS = {
  de: ' 1234567890ß qwertzuiopü+asdfghjklöä#yxcvbnm,.-',
  fr: '²&é"\'(-è_çà)=azertyuiop $qsdfghjklmù*wxcvbn,;:!'
};

// ---- the service, the session, the browser ----

let home;
let serve;
let runtime;
let session;
let sessionProcList = [];
/** Processes this file started besides `serve` (its own X servers): gone by the end. */
const ownProcs = [];
let browser;

const serveRunning = () => serve?.running();

async function api(path, init = {}) {
  const res = await fetch(`${runtime.address}/${path}`, {
    ...init,
    headers: { Authorization: `token ${runtime.token}`, 'Content-Type': 'application/json' }
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null };
}

before(async () => {
  assert.ok(FL_BIN && existsSync(FL_BIN), `FIREFOX_LAUNCHER_BIN must name the firefox-launcher binary (got ${FL_BIN})`);
  log(`binary ${FL_BIN}`);
  await new Promise(r => pageServer.listen(0, '127.0.0.1', r));
  const pageUrl = `http://127.0.0.1:${pageServer.address().port}/`;

  home = mkdtempSync(join(tmpdir(), 'fl-keyboard-'));
  serve = new Sidecar(FL_BIN, home);
  runtime = await serve.runtime();
  const started = Date.now();
  const created = await api('api/sessions', { method: 'POST', body: JSON.stringify({ url: pageUrl }) });
  assert.equal(created.status, 201, `starting a session: ${JSON.stringify(created.body)}`);
  session = created.body;
  sessionProcList = sessionProcs(session.pid, session.pgid);
  log(`session ${session.port} ready in ${Date.now() - started} ms, on ${sessionXpra(session)}`);
  await waitFor('the page in Firefox to report its field', () => typed !== undefined, 60_000);

  browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [...CHROMIUM_FLAGS, ...QUIET_AUDIO_ARGS],
    env: quietAudioEnv()
  });
});

after(async () => {
  await browser?.close().catch(() => {});
  let stopped = null;
  if (session && serveRunning()) {
    stopped = await api(`api/sessions/${session.port}`, { method: 'DELETE' }).catch(e => ({ status: String(e) }));
  }
  const exit = serve ? await serve.stop() : null;
  pageServer.close();
  const left = await waitFor('every session process gone', () => {
    const l = stillRunning([...sessionProcList, ...ownProcs]);
    return l.length === 0 ? [] : null;
  }, 15_000).catch(() => stillRunning([...sessionProcList, ...ownProcs]));
  const dirs = home && existsSync(join(home, 'sessions')) ? readdirSync(join(home, 'sessions')) : [];
  if (home) {
    rmSync(home, { recursive: true, force: true });
  }
  if (session) {
    assert.equal(stopped?.status, 200, 'stopping the session through the API');
  }
  assert.deepEqual(left.map(p => `${p.pid}:${p.comm}`), [], 'session processes left');
  assert.deepEqual(dirs, [], 'session directories left in the sidecar home');
  if (serve) {
    assert.deepEqual(exit, { code: 0, signal: null }, `serve's exit; its log:\n${serve.log().slice(-3000)}`);
  }
});

/**
 * An X server of this file's own for a headed browser: a free display (-displayfd), no TCP,
 * a cookie required (an MIT-MAGIC-COOKIE-1 for any display, in a file in the temp home), and
 * -noreset so a layout set by setxkbmap outlives setxkbmap's connection. {env, stop()}.
 */
async function startXvfb() {
  const auth = join(home, `xvfb-auth-${randomBytes(4).toString('hex')}`);
  const name = Buffer.from('MIT-MAGIC-COOKIE-1').toString('hex');
  execFileSync('xauth', ['-q', '-f', auth, 'nmerge', '-'], {
    input: `ffff 0000 0000 ${(name.length / 2).toString(16).padStart(4, '0')} ${name} 0010 ${randomBytes(16).toString('hex')}\n`
  });
  const xvfb = spawn('Xvfb', ['-displayfd', '1', '-noreset', '-nolisten', 'tcp', '-auth', auth, '-screen', '0', '1280x800x24'], {
    stdio: ['ignore', 'pipe', 'pipe']
  });
  const exited = new Promise(r => xvfb.on('exit', r));
  const stat = procStat(xvfb.pid);
  if (stat) {
    ownProcs.push(stat);
  }
  let out = '';
  let err = '';
  xvfb.stdout.on('data', d => (out += d));
  xvfb.stderr.on('data', d => (err += d));
  const display = await waitFor('Xvfb to name its display', () => {
    if (xvfb.exitCode !== null) {
      throw new Error(`Xvfb exited: ${err}`);
    }
    return /^(\d+)\n/.exec(out)?.[1];
  }, 20_000);
  const env = { ...process.env, DISPLAY: `:${display}`, XAUTHORITY: auth };
  log(`Xvfb :${display} (pid ${xvfb.pid})`);
  return {
    env,
    stop: async () => {
      if (xvfb.exitCode === null && xvfb.signalCode === null) {
        xvfb.kill('SIGTERM');
      }
      await Promise.race([exited, deadline(10_000)]);
    }
  };
}

/**
 * Opens the session's client in a new browser context, types `keys` into the
 * page in Firefox, and asserts the page received exactly `expected`.
 */
async function typeInto({ what, locale, query = '', keyboardMap = null, realLayoutMap = null, mac = false, keys, altgrStyle, expected, layout, using = browser, beforeTyping }) {
  const context = await using.newContext({ locale, viewport: { width: 1200, height: 800 } });
  try {
    const page = await context.newPage();
    const cdp = await context.newCDPSession(page);
    if (mac) {
      await cdp.send('Emulation.setUserAgentOverride', {
        userAgent: 'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36',
        platform: 'MacIntel'
      });
    }
    if (keyboardMap) {
      // Chromium reports the OS keyboard's layout here; headless Chromium's is
      // always US, so the test stands in for the user's keyboard.
      await page.addInitScript(([keys, chars]) => {
        const map = new Map();
        keys.forEach((key, i) => chars[i] !== ' ' && map.set(key, chars[i]));
        navigator.keyboard.getLayoutMap = () => Promise.resolve(map);
      }, [MAP_KEYS, KEYBOARD_MAPS[keyboardMap]]);
    }
    await page.goto(`${runtime.address}/sessions/${session.port}/?token=${runtime.token}${query}`);
    if (realLayoutMap) {
      // The API answers for real (nothing stubbed it) with the keyboard this browser has.
      const got = await page.evaluate(async codes => {
        const map = await navigator.keyboard.getLayoutMap();
        return Object.fromEntries(codes.map(code => [code, map.get(code) ?? null]));
      }, Object.keys(realLayoutMap));
      log(`${what}: navigator.keyboard.getLayoutMap() answers ${JSON.stringify(got)}`);
      assert.deepEqual(got, realLayoutMap, `${what}: the browser's own navigator.keyboard.getLayoutMap()`);
    }
    await page.waitForSelector('#screen canvas', { timeout: 60_000 });
    await waitConnected(page.mainFrame(), what);
    // Clicking Firefox's window gives it the keyboard, as a user does.
    const main = page.locator('#screen canvas.window.fill').first();
    const wid = await main.getAttribute('data-wid');
    assert.ok(wid, `${what}: Firefox's window canvas names its window (data-wid)`);
    const box = await main.boundingBox();
    await page.mouse.click(box.x + box.width / 2, box.y + box.height / 2);
    await waitFor(`${what}: Firefox's window focused`, async () => (await screenState(page.mainFrame())).focused === wid, 10_000).catch(async e => {
      throw new Error(`${e.message} (window ${wid}; #screen ${JSON.stringify(await screenState(page.mainFrame()))})`);
    });
    await waitFor(`${what}: the field focused in Firefox`, () => focused, 10_000);
    await clearField(cdp, mac);
    await waitFor(`${what}: the field empty`, () => typed === '', 15_000).catch(e => {
      throw new Error(`${e.message} (it holds ${JSON.stringify(typed)})`);
    });

    await beforeTyping?.();
    await typeKeys(cdp, keys, altgrStyle);
    expected = typeof expected === 'function' ? expected() : expected;
    await waitFor(`${what}: ${JSON.stringify(expected)} in the page`, () => typed === expected, 15_000).catch(() => {});
    const sent = (await screenState(page.mainFrame())).layout;
    log(`${what}: the page received ${JSON.stringify(typed)} (client layout ${sent})`);
    assert.equal(typed, expected, `${what}: what the page in Firefox received (client layout ${sent})`);
    if (layout) {
      assert.equal(sent, layout, `${what}: the layout the client gave the server`);
    }
  } finally {
    await context.close();
  }
}

test('plain ASCII arrives as typed (control)', { timeout: 120_000 }, async () => {
  await typeInto({ what: 'en-US', locale: 'en-US', keys: ascii('Hello world 42'), expected: 'Hello world 42', layout: 'us' });
});

test('a key held past X\'s auto-repeat delay repeats as often as the browser repeats it, and no more', { timeout: 120_000 }, async () => {
  // The session's X server repeats a key held down in it after its delay: Xpra must press and
  // release each key the browser sends, never hold one down across the browser's key-down
  // and key-up. So the key is held well past that delay, and every extra character shows.
  const held = k('x', 'KeyX', 88);
  let repeat;
  await typeInto({
    what: 'en-US held x', locale: 'en-US', keys: [held, k('y', 'KeyY', 89)],
    beforeTyping: () => {
      repeat = xAutoRepeat(sessionX(session));
      log(`the session's X server: auto-repeat ${repeat.on ? 'on' : 'off'}, after ${repeat.delayMs} ms, ${repeat.ratePerS}/s`);
      assert.ok(repeat.on, 'auto-repeat is on in the session\'s X server (else a held key could not repeat there)');
      // Past the delay by ten of X's repeats.
      held.holdMs = repeat.delayMs + Math.ceil(10_000 / repeat.ratePerS);
    },
    expected: () => 'x'.repeat(held.sent.presses) + 'y'
  });
  log(`held x for ${held.sent.heldMs} ms: ${held.sent.presses} key-downs sent`);
  assert.ok(held.sent.heldMs > repeat.delayMs + 2 * (1000 / repeat.ratePerS),
    `the key was held ${held.sent.heldMs} ms, past X's ${repeat.delayMs} ms delay by more than two of its repeats`);
});

test('a German keyboard, the layout from the browser\'s language: äöüß€@', { timeout: 120_000 }, async () => {
  await typeInto({ what: 'de-DE', locale: 'de-DE', keys: GERMAN, expected: 'äöüß€@', layout: 'de' });
});

test('a French keyboard, the layout from the browser\'s language: éèàç', { timeout: 120_000 }, async () => {
  await typeInto({ what: 'fr-FR', locale: 'fr-FR', keys: FRENCH, expected: 'éèàç', layout: 'fr' });
});

test('keyboard_layout overrides the browser: German and French typed in an English browser', { timeout: 180_000 }, async () => {
  await typeInto({ what: 'en-US ?keyboard_layout=de', locale: 'en-US', query: '&keyboard_layout=de', keys: GERMAN, expected: 'äöüß€@', layout: 'de' });
  await typeInto({ what: 'en-US ?keyboard_layout=fr-FR', locale: 'en-US', query: '&keyboard_layout=fr-FR', keys: FRENCH, expected: 'éèàç', layout: 'fr' });
});

test('the browser\'s keyboard layout wins over its language: German and French keyboards in an English browser', { timeout: 180_000 }, async () => {
  await typeInto({ what: 'en-US, German keyboard', locale: 'en-US', keyboardMap: 'de', keys: GERMAN, expected: 'äöüß€@', layout: 'de' });
  await typeInto({ what: 'en-US, French keyboard', locale: 'en-US', keyboardMap: 'fr', keys: FRENCH, expected: 'éèàç', layout: 'fr' });
});

// The same without a stub. Headless Chromium cannot serve here: its navigator.keyboard
// .getLayoutMap() answers the US map whatever the machine's keyboard (measured with Debian's
// Chromium 156: KeyY 'y', Semicolon ';', 49 keys, also with an X server set to French in
// DISPLAY). A headed Chromium on X11 answers with the X server's layout: on an Xvfb of the
// test's own set to German with setxkbmap it answers KeyY 'z', Semicolon 'ö' (and with French,
// KeyZ 'w', Digit2 'é'), as a person's Chromium on Linux does.
test('the browser\'s real keyboard layout (navigator.keyboard.getLayoutMap, not stubbed): a German keyboard in an English browser', { timeout: 180_000 }, async () => {
  const x = await startXvfb();
  let headed;
  try {
    execFileSync('setxkbmap', ['-layout', 'de'], { env: x.env });
    headed = await chromium.launch({
      executablePath: CHROMIUM,
      headless: false,
      args: [...CHROMIUM_FLAGS, ...QUIET_AUDIO_ARGS, '--ozone-platform=x11'],
      env: quietAudioEnv(x.env)
    });
    await typeInto({
      what: 'en-US, German keyboard (real getLayoutMap)', locale: 'en-US', using: headed, keys: GERMAN, expected: 'äöüß€@', layout: 'de',
      realLayoutMap: { KeyY: 'z', KeyZ: 'y', Semicolon: 'ö', Quote: 'ä', BracketLeft: 'ü', Minus: 'ß' }
    });
  } finally {
    await headed?.close().catch(() => {});
    await x.stop();
  }
});

test('dead keys compose once, as in the browser: ´ e and ^ space on German, ^ e and ^ E on French', { timeout: 180_000 }, async () => {
  await typeInto({
    what: 'de-DE dead keys', locale: 'de-DE', layout: 'de', expected: 'éxé^',
    keys: [k(null, 'Equal', 221, { dead: true }), k('é', 'KeyE', 69), k('x', 'KeyX', 88), k(null, 'Equal', 221, { dead: true }), k('é', 'KeyE', 69),
      k(null, 'Backquote', 220, { dead: true }), k('^', 'Space', 32)]
  });
  await typeInto({
    what: 'fr-FR dead circumflex', locale: 'fr-FR', layout: 'fr', expected: 'êxÊ',
    keys: [k(null, 'BracketLeft', 221, { dead: true }), k('ê', 'KeyE', 69), k('x', 'KeyX', 88), k(null, 'BracketLeft', 221, { dead: true }), k('Ê', 'KeyE', 69, { shift: true })]
  });
});

test('AltGr as Windows reports it, and Option on a Mac German keyboard', { timeout: 180_000 }, async () => {
  await typeInto({
    what: 'de-DE AltGr (Windows)', locale: 'de-DE', altgrStyle: 'windows', layout: 'de', expected: '@€{x',
    keys: [k('@', 'KeyQ', 81, { altgr: true }), k('€', 'KeyE', 69, { altgr: true }), k('{', 'Digit7', 55, { altgr: true }), k('x', 'KeyX', 88)]
  });
  await typeInto({
    what: 'de-DE Option (Mac)', locale: 'de-DE', mac: true, altgrStyle: 'mac', layout: 'de', expected: '@€x',
    keys: [k('@', 'KeyL', 76, { altgr: true }), k('€', 'KeyE', 69, { altgr: true }), k('x', 'KeyX', 88)]
  });
});

test('a US keyboard in a German-language browser: characters on AltGr of the German layout', { timeout: 120_000 }, async () => {
  await typeInto({
    what: 'de-DE, US keyboard', locale: 'de-DE', layout: 'de', expected: '[]{}\\|~@',
    keys: [k('[', 'BracketLeft', 219), k(']', 'BracketRight', 221), k('{', 'BracketLeft', 219, { shift: true }),
      k('}', 'BracketRight', 221, { shift: true }), k('\\', 'Backslash', 220), k('|', 'Backslash', 220, { shift: true }),
      k('~', 'Backquote', 192, { shift: true }), k('@', 'Digit2', 50, { shift: true })]
  });
});
