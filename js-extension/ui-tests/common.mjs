// Helpers every browser suite uses: waiting on a condition, racing a deadline, reading what the
// session page shows (its DOM surface, js-extension/client/docs/page-surface.md, and its pixels
// from screenshots, screen.mjs), and asking a session's X server.
import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { promisify } from 'node:util';

import { pixelAtPoint } from './screen.mjs';

const execFileAsync = promisify(execFile);

/** Flags every headless Chromium of the suites (and of bench/) runs with. */
export const CHROMIUM_FLAGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run'
];

/**
 * Chromium's sound kept out of the runner's home (as the client suites' test/helpers/chromium.ts
 * keeps it): libpulse without XDG_RUNTIME_DIR makes ~/.config/pulse/<machine-id>-runtime and a
 * /tmp/pulse-* directory. Audio stays in the browser process (its audio service process would
 * get an emptied environment), with a runtime directory of this process's own, removed at its
 * exit, and a PulseAudio address where no server is: Chromium plays into nothing, the page's
 * audio graph runs all the same.
 */
export const QUIET_AUDIO_ARGS = ['--disable-features=AudioServiceOutOfProcess'];
let quietRuntime = null;
export function quietAudioEnv(base = process.env) {
  if (quietRuntime === null) {
    quietRuntime = mkdtempSync(join(tmpdir(), 'fl-chromium-run-'));
    process.on('exit', () => rmSync(quietRuntime, { recursive: true, force: true }));
  }
  return {
    ...base,
    XDG_RUNTIME_DIR: quietRuntime,
    PULSE_SERVER: `unix:${join(quietRuntime, 'no-sound-server')}`,
    PULSE_COOKIE: join(quietRuntime, 'pulse-cookie')
  };
}

export const sleep = ms => new Promise(r => setTimeout(r, ms));

/** Resolves to null after `ms`, without keeping node alive once everything else is done. */
export const deadline = ms => new Promise(r => setTimeout(r, ms).unref()).then(() => null);

/** Polls `fn` until it returns a truthy value, which it returns; throws after `timeoutMs`. */
export async function waitFor(what, fn, timeoutMs, stepMs = 100) {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const value = await fn();
    if (value) {
      return value;
    }
    if (Date.now() > end) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    }
    await sleep(stepMs);
    stepMs = Math.min(stepMs * 1.5, 1000);
  }
}

/**
 * The colour the user sees at the centre of the largest canvas of the session page in `frame`
 * (read from a screenshot: our client draws from a worker, and its canvases cannot be read back),
 * with that canvas's CSS size and how many canvases there are; null while there is none.
 */
export async function centrePixel(frame) {
  const largest = await frame.evaluate(() => {
    const boxes = [...document.querySelectorAll('#screen canvas')]
      .map(c => c.getBoundingClientRect())
      .filter(r => r.width >= 1 && r.height >= 1);
    if (!boxes.length) {
      return null;
    }
    const r = boxes.sort((a, b) => b.width * b.height - a.width * a.height)[0];
    return { x: r.x, y: r.y, width: r.width, height: r.height, windows: boxes.length };
  });
  if (!largest) {
    return null;
  }
  const px = await pixelAtPoint(frame, largest.x + largest.width / 2, largest.y + largest.height / 2);
  return px && { ...px, width: largest.width, height: largest.height, windows: largest.windows };
}

// ---- the session page's own surface (js-extension/client/docs/page-surface.md) ----

/**
 * The client's windows, as its page shows them: one per `#screen canvas.window`, the filling
 * window first, then bottom to top. {id (Xpra's window id, text), cls, fill, popup, type (the
 * first X window type), title, x, y, w, h (CSS pixels of the frame's viewport), z, width, height
 * (the canvas's pixels)}.
 */
export function clientWindows(frame) {
  return frame.evaluate(() =>
    [...document.querySelectorAll('#screen canvas.window')]
      .map(c => {
        const r = c.getBoundingClientRect();
        return {
          id: c.dataset.wid ?? null,
          cls: c.className,
          fill: c.classList.contains('fill'),
          popup: c.classList.contains('popup'),
          type: c.dataset.type ?? null,
          title: c.getAttribute('aria-label'),
          x: r.x, y: r.y, w: r.width, h: r.height,
          z: Number(getComputedStyle(c).zIndex) || 0,
          width: c.width, height: c.height
        };
      })
      .sort((a, b) => Number(b.fill) - Number(a.fill) || a.z - b.z));
}

/**
 * Where a click gives GTK's file dialog the focus and does nothing else: low in its file list
 * (empty there, or a file row, which the typed name overrides). Not its top edge: our client
 * draws no title bar, and the top of GTK's dialog is its path bar, whose buttons change the
 * folder it shows (measured: the dialog then showed the workspace's parent, and a typed name
 * was not found there).
 */
export const dialogFocusPoint = w => ({ x: w.x + w.w * 0.6, y: w.y + Math.max(8, w.h - 120) });

/** `#screen`'s state: {state, focused, layout} (null before the page has its screen). */
export function screenState(frame) {
  return frame.evaluate(() => {
    const s = document.getElementById('screen');
    return s && { state: s.dataset.state ?? null, focused: s.dataset.focused ?? null, layout: s.dataset.keyboardLayout ?? null };
  });
}

/** Waits until the client is connected (`data-state="open"`) and shows a window filling the page. */
export async function waitConnected(frame, what, timeoutMs = 60_000) {
  await waitFor(`${what}: the client connected with Firefox's window`, () => frame.evaluate(() =>
    document.getElementById('screen')?.dataset.state === 'open' && !!document.querySelector('#screen canvas.window.fill')), timeoutMs)
    .catch(async e => {
      const st = await screenState(frame).catch(() => null);
      const wins = await clientWindows(frame).catch(() => null);
      throw new Error(`${e.message}; #screen ${JSON.stringify(st)}, windows ${JSON.stringify(wins)}`);
    });
}

/** The page's own sound controls (issue 22): the mute button in the corner, the autoplay note. */
export const SOUND_CONTROLS = ['button#sound.sound-control', 'div#sound-note.sound-note'];

/**
 * Elements the session page shows besides its screen, the windows on it and the `allowed` ones
 * (Xpra's title bars, menus, dialogs of a client's own): each as `tag#id.class`, visible ones only.
 */
export async function chromeShown(frame, allowed = []) {
  return (await frame.evaluate(() => [...document.body.querySelectorAll('*')]
    .filter(e => e.id !== 'screen' && !(e.tagName === 'CANVAS' && e.classList.contains('window') && e.parentElement?.id === 'screen'))
    .filter(e => {
      const r = e.getBoundingClientRect();
      return r.width > 0 && r.height > 0 && getComputedStyle(e).visibility !== 'hidden';
    })
    .map(e => `${e.tagName.toLowerCase()}${e.id ? `#${e.id}` : ''}${e.className ? `.${String(e.className).split(/\s+/).join('.')}` : ''}`)))
    .filter(e => !allowed.includes(e));
}

// ---- the X side of a session ----

/** The command line of a session's leader (its Xpra), or null once it is gone. */
function leaderArgv(session) {
  try {
    return readFileSync(`/proc/${session.pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
  } catch {
    return null;
  }
}

/**
 * The Xpra a session runs (its leader's command line, as a string), checked against the one
 * the suite was told to use (FIREFOX_LAUNCHER_XPRA, which the sidecar reads too): a suite meant
 * for Xpra 6 must not pass on 3.1 because the setting went missing on the way.
 */
export function sessionXpra(session) {
  const argv = leaderArgv(session);
  if (argv === null) {
    // gone already: nothing to check
    return null;
  }
  const want = process.env.FIREFOX_LAUNCHER_XPRA;
  if (want && !argv.slice(0, 3).includes(want)) {
    throw new Error(`session ${session.port} runs ${argv.slice(0, 3).join(' ')}, not FIREFOX_LAUNCHER_XPRA=${want}`);
  }
  return argv.slice(0, 3).join(' ');
}

/**
 * Xpra's own account of a session (`xpra info` on its socket, run by the session's own Xpra), as
 * a Map of key → value text; keys as Xpra names them (`client.window.1.av-sync.current`).
 */
export async function xpraInfo(session) {
  const argv = leaderArgv(session) ?? [];
  const script = argv.findIndex(a => basename(a) === 'xpra');
  if (script < 0) {
    throw new Error(`session ${session.port}: no xpra in its leader's command line (${argv.slice(0, 3).join(' ') || 'gone'})`);
  }
  const socket = join(session.dir, 'sock', 'xpra.sock');
  const { stdout } = await execFileAsync(argv[0], [...argv.slice(1, script + 1), 'info', `socket://${socket}`], { encoding: 'utf8', timeout: 30_000 });
  return new Map(stdout.split('\n').map(l => l.split(/=(.*)/s)).filter(kv => kv.length > 1).map(([k, v]) => [k.trim(), v]));
}

/** The environment that reaches the X server of `session` (its display and cookie). */
export const sessionX = session => ({ ...process.env, DISPLAY: session.display, XAUTHORITY: join(session.dir, 'Xauthority') });

/** The size of the session's X screen (its root window), {w, h}, as `xdpyinfo` reports it. */
export function xScreenSize(session) {
  const out = execFileSync('xdpyinfo', [], { env: sessionX(session), encoding: 'utf8' });
  const m = /dimensions:\s+(\d+)x(\d+) pixels/.exec(out);
  if (!m) {
    throw new Error(`xdpyinfo names no dimensions: ${out.slice(0, 500)}`);
  }
  return { w: Number(m[1]), h: Number(m[2]) };
}

/**
 * The named windows of the session's X screen that are viewable (Xpra keeps each client window
 * inside a frame of its own: nested ones are listed too), with their size and where they are on
 * the screen, as `xwininfo -root -tree` and `xwininfo -id` report them: [{id, name, x, y, w, h}].
 */
export function xWindows(session) {
  const env = sessionX(session);
  const tree = execFileSync('xwininfo', ['-root', '-tree'], { env, encoding: 'utf8' });
  const out = [];
  for (const m of tree.matchAll(/^\s+(0x[0-9a-f]+) "((?:[^"\\]|\\.)*)":.*?\s(\d+)x(\d+)[+-]-?\d+[+-]-?\d+\s+\+?(-?\d+)\+?(-?\d+)\s*$/gm)) {
    const info = execFileSync('xwininfo', ['-id', m[1]], { env, encoding: 'utf8' });
    if (/Map State: IsViewable/.test(info)) {
      out.push({ id: m[1], name: m[2], w: Number(m[3]), h: Number(m[4]), x: Number(m[5]), y: Number(m[6]) });
    }
  }
  return out;
}
