// What the hub suites share (hub.test.mjs, hub-cull.test.mjs, hub-slurm.test.mjs): the hub's
// REST API as its admin service, tokens and servers of alice and bob, the sidecar through
// /user/<name>/firefox-launcher/, what a user has left (processes by real uid, session
// directories), commands run as a user (runuser), Chromium logged in as a user, and the page
// Firefox opens (one flat colour, so a drawn canvas can be told from a blank one).
//
// Env (set by scripts/test-hub): HUB_URL (http://127.0.0.1:P/), HUB_ADMIN_TOKEN, HUB_PASSWORD,
//      ARTIFACTS_DIR.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { join } from 'node:path';

import { chromium } from 'playwright-core';

import { CHROMIUM_FLAGS, QUIET_AUDIO_ARGS, quietAudioEnv, centrePixel, sleep, waitFor } from './common.mjs';

// The shared helpers, for the hub suites that import them from here.
export { centrePixel, sleep, waitFor };

export const HUB = process.env.HUB_URL;
/**
 * A deliberate breakage, to see a check fail (never set by scripts/test): `open-perms` opens
 * alice's sockets, directories and secret to everyone before bob's probes, `stop-all` stops all
 * of alice's sessions where one should stop, `skip-stop` skips the hub's stop or the scancel,
 * `no-client` closes alice's tab before the culler is watched, `crash-job` SIGKILLs the Slurm
 * job's single-user server early (the job ends by a crash, not by its time limit), `no-firefox`
 * kills Firefox in the Slurm job (its xpra held stopped, so the rest of the session stays)
 * before the check that Xpra, Xvfb and Firefox run there.
 */
export const BREAK = process.env.HUB_BREAK ?? '';
const ADMIN = process.env.HUB_ADMIN_TOKEN;
const PASSWORD = process.env.HUB_PASSWORD;
export const ARTIFACTS = process.env.ARTIFACTS_DIR ?? new URL('./artifacts/hub/', import.meta.url).pathname;
const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';
export const PAGE_RGB = [32, 160, 96];
/** The sidecar's default grace between SIGTERM and SIGKILL (--cleanup-timeout). */
export const GRACE_MS = 3000;

assert.ok(HUB && HUB.endsWith('/'), `HUB_URL must be set and end with / (got ${HUB})`);
assert.ok(ADMIN && PASSWORD, 'HUB_ADMIN_TOKEN and HUB_PASSWORD must be set');

export function log(...args) {
  console.log(`[hub ${new Date().toISOString().slice(11, 23)}]`, ...args);
}

/** A request with `token`; gives up after `init.timeoutMs` (default 120 s: a session's start fits). */
async function call(url, token, init = {}) {
  const { timeoutMs = 120_000, ...rest } = init;
  const res = await fetch(url, {
    redirect: 'manual',
    signal: AbortSignal.timeout(timeoutMs),
    ...rest,
    headers: { Authorization: `token ${token}`, ...(rest.body ? { 'Content-Type': 'application/json' } : {}), ...(rest.headers ?? {}) }
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

/** The hub's REST API as the test's admin service. */
export function hubApi(path, init) {
  return call(new URL(`hub/api/${path}`, HUB), ADMIN, init);
}

/** A fresh API token of `name`'s (made by the admin service, with the user's own permissions). */
export async function userToken(name) {
  const r = await hubApi(`users/${name}/tokens`, { method: 'POST', body: JSON.stringify({ note: 'test-hub', expires_in: 3600 }) });
  assert.equal(r.status, 201, `token for ${name}: ${JSON.stringify(r.body)}`);
  return r.body.token;
}

/** The hub's model of `name`'s default server, or null. */
export async function serverOf(name) {
  const r = await hubApi(`users/${name}`);
  assert.equal(r.status, 200, `GET users/${name}: ${JSON.stringify(r.body)}`);
  return r.body.servers?.[''] ?? null;
}

/** Start `name`'s server through the hub and wait until it is ready. */
export async function startServer(name, timeoutMs = 180_000) {
  const r = await hubApi(`users/${name}/server`, { method: 'POST', body: '{}' });
  assert.ok([201, 202, 400].includes(r.status), `starting ${name}'s server: HTTP ${r.status} ${JSON.stringify(r.body)}`);
  return waitFor(`${name}'s server ready`, async () => {
    const s = await serverOf(name);
    return s?.ready ? s : null;
  }, timeoutMs);
}

/** Until the hub no longer lists a server of `name`'s; returns when it saw that (Date.now()). */
export async function serverGone(name, timeoutMs) {
  await waitFor(`the hub to list no server of ${name}'s`, async () => (await serverOf(name)) === null, timeoutMs, 100);
  return Date.now();
}

/** Stop `name`'s server through the hub's admin API; returns when the hub said it stopped. */
export async function stopServer(name, timeoutMs = 60_000) {
  const r = await hubApi(`users/${name}/server`, { method: 'DELETE' });
  assert.ok([202, 204].includes(r.status), `stopping ${name}'s server: HTTP ${r.status} ${JSON.stringify(r.body)}`);
  return serverGone(name, timeoutMs);
}

/** The sidecar of `name`'s server, through the hub, with `token` (someone's API token). */
export function sidecarOf(name, token) {
  return (path, init) => call(new URL(`user/${name}/firefox-launcher/${path}`, HUB), token, init);
}

/** A Firefox session of `name`'s, started through the hub with `token`. */
export async function startSession(name, token, url) {
  const r = await sidecarOf(name, token)('api/sessions', { method: 'POST', body: JSON.stringify(url ? { url } : {}) });
  assert.equal(r.status, 201, `starting a session of ${name}'s: HTTP ${r.status} ${JSON.stringify(r.body)}`);
  return r.body;
}

export function passwd(name) {
  const line = readFileSync('/etc/passwd', 'utf8').split('\n').find(l => l.startsWith(`${name}:`));
  assert.ok(line, `user ${name} exists`);
  const f = line.split(':');
  return { uid: Number(f[2]), gid: Number(f[3]), home: f[5] };
}

function stat(pid) {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const close = text.lastIndexOf(')');
    const f = text.slice(close + 2).split(' ');
    const uid = Number(readFileSync(`/proc/${pid}/status`, 'utf8').match(/^Uid:\s+(\d+)/m)[1]);
    let cmd = '';
    try {
      cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ').trim();
    } catch {
      // gone
    }
    return { pid, comm: text.slice(text.indexOf('(') + 1, close), state: f[0], ppid: Number(f[1]), pgid: Number(f[2]), starttime: f[19], uid, cmd };
  } catch {
    return null;
  }
}

/** Every live (not zombie) process whose real uid is `name`'s. */
export function userProcs(name) {
  const { uid } = passwd(name);
  return readdirSync('/proc')
    .filter(n => /^\d+$/.test(n))
    .map(n => stat(Number(n)))
    .filter(p => p && p.uid === uid && p.state !== 'Z');
}

export function describeProcs(procs) {
  return procs.map(p => `${p.pid}:${p.comm}`).join(' ');
}

/**
 * The processes that live as long as their session: xpra, Xvfb and Firefox's main process, by
 * process name (the sidecar's, `firefox-launche`, is none of them). Firefox starts and ends its
 * content and utility processes on its own, so those coming and going says nothing about whether
 * someone touched the session. Fails unless each of the three is among `procs`.
 */
export function lasting(procs) {
  const names = ['xpra', 'Xvfb', 'firefox-esr'];
  const kept = procs.filter(p => names.includes(p.comm));
  assert.ok(names.every(n => kept.some(p => p.comm === n)), `xpra, Xvfb and Firefox among ${describeProcs(procs)}`);
  return kept;
}

/** The session directories `name` has (~/.firefox-launcher/sessions/*). */
export function sessionDirs(name) {
  try {
    return readdirSync(join(passwd(name).home, '.firefox-launcher', 'sessions'));
  } catch (e) {
    if (e.code === 'ENOENT') {
      return [];
    }
    throw e;
  }
}

/**
 * Waits up to `ms` for `name` to have no process and no session directory; returns how long
 * that took, or fails naming what is left.
 */
export async function nothingLeftOf(name, ms, since = Date.now()) {
  // A look that starts late could see a clean state that took too long to come.
  assert.ok(Date.now() - since < 1000, `the check for ${name}'s leftovers started ${Date.now() - since} ms late`);
  for (;;) {
    const procs = userProcs(name);
    const dirs = sessionDirs(name);
    if (!procs.length && !dirs.length) {
      return Date.now() - since;
    }
    if (Date.now() - since > ms) {
      assert.fail(`${Date.now() - since} ms on, ${name} still has processes [${procs.map(p => `${p.pid}:${p.comm} (${p.cmd.slice(0, 80)})`).join(', ')}] and session dirs [${dirs.join(' ')}]`);
    }
    await sleep(50);
  }
}

/** Runs `cmd args...` as `name` (runuser, as root), from /, with a clean HOME. */
export function asUser(name, cmd, args = [], timeout = 60_000) {
  const r = spawnSync('/usr/sbin/runuser', ['-u', name, '--', cmd, ...args], {
    cwd: '/',
    encoding: 'utf8',
    timeout,
    env: { PATH: '/usr/local/bin:/usr/bin:/bin', HOME: passwd(name).home, LANG: 'C.UTF-8' }
  });
  return { code: r.status, out: `${r.stdout ?? ''}${r.stderr ?? ''}`.trim() };
}

/** Connects to the unix socket `path` as `name`: 'connected', or the errno's name. */
export function connectUnixAs(name, path) {
  const py = 'import socket,sys\ns=socket.socket(socket.AF_UNIX)\ntry:\n  s.connect(sys.argv[1]); print("connected")\nexcept OSError as e:\n  import errno; print(errno.errorcode.get(e.errno, e))';
  return asUser(name, '/usr/bin/python3', ['-c', py, path]).out;
}

export async function launchBrowser() {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [...CHROMIUM_FLAGS, ...QUIET_AUDIO_ARGS, '--disable-quic'],
    env: quietAudioEnv()
  });
}

/** A browser context logged in to the hub as `name` (the hub's login form, the shared password). */
export async function login(browser, name) {
  const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
  const page = await context.newPage();
  await page.goto(new URL('hub/login', HUB).href);
  await page.fill('#username_input', name);
  await page.fill('#password_input', PASSWORD);
  await Promise.all([page.waitForURL(u => !u.pathname.endsWith('/hub/login'), { timeout: 30_000 }), page.click('#login_submit')]);
  log(`${name} logged in: ${page.url()}`);
  return { context, page };
}

/** Serves the page Firefox opens; returns {url, close}. */
export async function pageServer() {
  const server = createServer((req, res) => {
    const [r, g, b] = PAGE_RGB;
    res.writeHead(200, { 'Content-Type': 'text/html', 'Cache-Control': 'no-store' });
    res.end(`<!doctype html><title>hub page</title><body style="margin:0;background:rgb(${r},${g},${b})"></body>`);
  });
  await new Promise(r => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${server.address().port}/`, close: () => server.close() };
}

export function isPageColour(px) {
  return Boolean(px) && px.a > 0 && PAGE_RGB.every((v, i) => Math.abs([px.r, px.g, px.b][i] - v) <= 8);
}

/** Waits until the Xpra client in `frame` draws Firefox's page (the page colour at the centre). */
export async function firefoxDrawn(frame, what, timeoutMs = 90_000) {
  await frame.locator('#screen canvas').first().waitFor({ state: 'attached', timeout: timeoutMs });
  return waitFor(`${what}: Firefox's page drawn at the canvas centre`, async () => {
    const px = await centrePixel(frame).catch(() => null);
    return isPageColour(px) ? px : null;
  }, timeoutMs);
}

/** Saves the extension's settings for `name` (as the Settings Editor would), with `token`. */
export async function setSettings(name, token, values) {
  const r = await call(new URL(`user/${name}/lab/api/settings/jupyterlab-firefox-launcher:plugin`, HUB), token, {
    method: 'PUT',
    body: JSON.stringify({ raw: JSON.stringify(values) })
  });
  assert.equal(r.status, 204, `saving ${name}'s settings: HTTP ${r.status} ${JSON.stringify(r.body)}`);
}
