// firefox-launcher under a real JupyterHub with the LocalProcessSpawner (started by
// scripts/test-hub, which creates the local users alice and bob): each single-user server runs
// as its user's uid, with our package from a virtualenv both can read.
//
// 1. alice logs in in Chromium, opens /user/alice/lab, clicks the Firefox tile and sees Firefox
//    drawn; the panel lists the session and stops it; nothing of it is left.
// 2. Users stay apart: the hub refuses bob (token or browser) on alice's sidecar; from bob's shell
//    her sidecar's socket, her Xpra socket and her X cookie (the session's Xauthority) are out of
//    reach, alice herself reaches each (the control); her session's port refuses his connection
//    and his bind (her sidecar holds it, nothing listens on it), where a port the test listens on
//    takes his connection. Two sessions each: stopping one of alice's leaves her other one and
//    both of bob's running and answering.
// 3. The hub's admin API stopping alice's server (with a client connected) leaves no process and
//    no session directory of hers within the sidecar's grace + 2 s; bob's session runs on, and is
//    left running: scripts/test-hub then stops the hub and checks its shutdown leaves nothing.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { chmodSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';

import {
  ARTIFACTS,
  BREAK,
  GRACE_MS,
  HUB,
  asUser,
  connectUnixAs,
  describeProcs,
  firefoxDrawn,
  lasting,
  launchBrowser,
  log,
  login,
  nothingLeftOf,
  pageServer,
  passwd,
  serverOf,
  sessionDirs,
  setSettings,
  sidecarOf,
  startServer,
  startSession,
  stopServer,
  userProcs,
  userToken,
  waitFor
} from './hub-lib.mjs';
import { stillRunning } from './procs.mjs';

let browser;
let page0;
const tokens = {};
/** Users whose sessions the last test leaves running, for the hub's own shutdown to end. */
const keepForHubShutdown = new Set();

before(async () => {
  page0 = await pageServer();
  browser = await launchBrowser();
  tokens.alice = await userToken('alice');
  tokens.bob = await userToken('bob');
});

after(async () => {
  await browser?.close().catch(() => {});
  page0?.close();
  // Whatever a failed test left: stop the sessions, so the hub's own stop is not what ends them.
  for (const name of ['alice', 'bob']) {
    if (!keepForHubShutdown.has(name) && (await serverOf(name).catch(() => null))) {
      const list = await sidecarOf(name, tokens[name])('api/sessions', { timeoutMs: 20_000 }).catch(() => null);
      for (const s of list?.body?.sessions ?? []) {
        log(`cleanup: stopping ${name}'s session ${s.port}`);
        await sidecarOf(name, tokens[name])(`api/sessions/${s.port}`, { method: 'DELETE', timeoutMs: 30_000 }).catch(() => {});
      }
    }
  }
});

/**
 * The processes of a session: those of its owner whose environment has the session's marker, in
 * its group, or children of its xpra (Xpra 6 starts Xvfb with an environment of its own). With
 * HUB_EXPECT_XPRA set, the session must run that xpra (so a run meant for Xpra 6 cannot pass on
 * 3.1 because the setting was lost on the way to the single-user server).
 */
function sessionProcsOf(name, session) {
  const procs = userProcs(name).filter(p => p.pgid === session.pgid || p.pid === session.pid || p.ppid === session.pid || markerOf(p.pid) === markerOf(session.pid));
  const want = process.env.HUB_EXPECT_XPRA;
  if (want) {
    const argv = readFileSync(`/proc/${session.pid}/cmdline`, 'utf8').split('\0').slice(0, 3);
    assert.ok(argv.includes(want), `session ${session.port} runs ${argv.join(' ')}, not ${want}`);
  }
  assert.ok(procs.some(p => p.comm === 'Xvfb'), `Xvfb of session ${session.port} runs`);
  assert.ok(procs.some(p => /firefox/i.test(p.comm)), `Firefox of session ${session.port} runs`);
  return procs;
}

function markerOf(pid) {
  try {
    return readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0').find(e => e.startsWith('FL_SESSION_MARKER=')) ?? `none-${pid}`;
  } catch {
    return `gone-${pid}`;
  }
}

/** The sidecar of `name`'s server: its process, and the unix socket jupyter-server-proxy gave it. */
function sidecarProcess(name) {
  const p = userProcs(name).find(q => /firefox-launcher serve --unix-socket /.test(q.cmd));
  assert.ok(p, `${name}'s sidecar runs (processes: ${describeProcs(userProcs(name))})`);
  return { ...p, socket: p.cmd.match(/--unix-socket (\S+)/)[1] };
}

/** The Xpra unix sockets in a session directory (read as root). */
function xpraSockets(dir) {
  const found = [];
  const walk = d => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) {
        walk(p);
      } else if (e.isSocket()) {
        found.push(p);
      }
    }
  };
  walk(join(dir, 'sock'));
  return found;
}

/** Runs a few lines of Python as `name` (asUser); what they print, or the errno's name of the OSError they raise. */
function pythonAs(name, body, args) {
  const py = `import errno,socket,sys\ntry:\n${body.map(l => `  ${l}\n`).join('')}except OSError as e:\n  print(errno.errorcode.get(e.errno, e))`;
  return asUser(name, '/usr/bin/python3', ['-c', py, ...args.map(String)]).out;
}

/** Connects to 127.0.0.1:`port` over TCP as `name`: 'connected', or the errno's name. */
function connectTcpAs(name, port) {
  return pythonAs(name, ['s=socket.socket(); s.settimeout(10)', 's.connect(("127.0.0.1", int(sys.argv[1]))); print("connected")'], [port]);
}

/** Binds 127.0.0.1:`port` as `name`, with SO_REUSEADDR as servers do: 'bound', or the errno's name. */
function bindTcpAs(name, port) {
  return pythonAs(name, ['s=socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)', 's.bind(("127.0.0.1", int(sys.argv[1]))); print("bound")'], [port]);
}

/** `GET /` on the unix socket `path` as `name`: the answer's status line, or the errno's name. */
function httpGetUnixAs(name, path) {
  return pythonAs(name, ['s=socket.socket(socket.AF_UNIX); s.settimeout(20); s.connect(sys.argv[1])',
    's.sendall(b"GET / HTTP/1.1\\r\\nHost: localhost\\r\\nConnection: close\\r\\n\\r\\n")', 'print(s.recv(4096).split(b"\\r\\n")[0].decode())'], [path]);
}

/** A TCP listener of the test's own on 127.0.0.1 (the controls of the port probes); returns {port, close}. */
async function tcpListener() {
  const server = createServer(s => s.on('error', () => {}).destroy());
  await new Promise(r => server.listen(0, '127.0.0.1', r));
  return { port: server.address().port, close: () => new Promise(r => server.close(r)) };
}

test('alice opens Firefox from the launcher tile under the hub; the panel lists it and stops it', { timeout: 300_000 }, async () => {
  const server = await startServer('alice');
  log(`alice's server: ${JSON.stringify({ url: server.url, ready: server.ready })}`);
  await setSettings('alice', tokens.alice, { startUrl: page0.url, openIn: 'tab' });
  const { context, page } = await login(browser, 'alice');
  try {
    // A workspace of its own: the user's default one may restore tabs of an earlier phase.
    await page.goto(new URL(`user/alice/lab/workspaces/hub-${randomBytes(4).toString('hex')}`, HUB).href);
    const tile = page.locator('.jp-LauncherCard', { hasText: 'Firefox' });
    await tile.waitFor({ timeout: 120_000 });
    await page.screenshot({ path: join(ARTIFACTS, 'hub-01-launcher.png') });
    const t0 = Date.now();
    await tile.click();
    const widget = page.locator('.jp-FirefoxTab[data-state="client"]').first();
    await widget.waitFor({ state: 'attached', timeout: 90_000 });
    const port = Number(await widget.getAttribute('data-port'));
    const frame = await waitFor('the client frame', () => page.frames().find(f => f.url().includes(`/user/alice/firefox-launcher/sessions/${port}/`)), 30_000);
    const px = await firefoxDrawn(frame, 'alice under the hub');
    log(`Firefox drawn for alice on :${port} ${Date.now() - t0} ms after the click: ${JSON.stringify(px)}`);
    await page.screenshot({ path: join(ARTIFACTS, 'hub-02-firefox.png') });

    // The session is alice's: the sidecar and every process of the session run as her uid.
    const sidecar = sidecarOf('alice', tokens.alice);
    const { status, body: session } = await sidecar(`api/sessions/${port}`);
    assert.equal(status, 200);
    assert.equal(session.status, 'ready');
    assert.ok(session.dir.startsWith(`${passwd('alice').home}/.firefox-launcher/sessions/`), `session dir ${session.dir}`);
    assert.equal(statSync(session.dir).uid, passwd('alice').uid, 'the session directory is alice\'s');
    const procs = sessionProcsOf('alice', session);
    assert.equal(sidecarProcess('alice').uid, passwd('alice').uid);
    log(`session ${port}: ${describeProcs(procs)}, all alice's`);

    // The panel lists it, and stops it.
    const panel = page.locator('#jp-firefox-sessions');
    if (!(await panel.isVisible())) {
      await page.locator('.jp-SideBar .lm-TabBar-tab[data-id="jp-firefox-sessions"]').click();
    }
    const row = page.locator(`.jp-FirefoxSessions-item[data-port="${port}"]`);
    await row.waitFor({ timeout: 15_000 });
    log(`the panel lists it: ${JSON.stringify(await row.innerText())}`);
    await page.screenshot({ path: join(ARTIFACTS, 'hub-03-panel.png') });
    await row.locator('.jp-FirefoxSessions-stop').click();
    await row.waitFor({ state: 'detached', timeout: 60_000 });
    assert.equal((await sidecar(`api/sessions/${port}`)).status, 404, 'the stopped session is gone from the sidecar');
    await waitFor('every process of the session gone', () => stillRunning(procs).length === 0, 15_000).catch(() =>
      assert.fail(`processes of session ${port} left: ${describeProcs(stillRunning(procs))}`));
    assert.deepEqual(sessionDirs('alice'), [], 'no session directory of alice is left');
    log('stopped from the panel: no process and no directory of the session left');
  } finally {
    await context.close();
  }
});

test('users stay apart: the hub refuses bob on alice\'s sidecar, her sockets and secret are out of his reach, and stopping one session touches no other', { timeout: 300_000 }, async t => {
  await startServer('alice');
  await startServer('bob');
  const alice = sidecarOf('alice', tokens.alice);
  const bob = sidecarOf('bob', tokens.bob);
  t.after(async () => {
    for (const sc of [alice, bob]) {
      for (const s of (await sc('api/sessions', { timeoutMs: 20_000 }).catch(() => null))?.body?.sessions ?? []) {
        await sc(`api/sessions/${s.port}`, { method: 'DELETE', timeoutMs: 30_000 }).catch(() => {});
      }
    }
  });
  // Two sessions each, one of each user's starting at a time.
  const [a1, b1] = await Promise.all([startSession('alice', tokens.alice, page0.url), startSession('bob', tokens.bob, page0.url)]);
  const [a2, b2] = await Promise.all([startSession('alice', tokens.alice, page0.url), startSession('bob', tokens.bob, page0.url)]);
  log(`alice: :${a1.port} :${a2.port}; bob: :${b1.port} :${b2.port}`);

  // The hub: bob's token gets nothing of alice's sidecar; alice's does (the control).
  for (const path of ['api/sessions', `api/sessions/${a1.port}`, `sessions/${a1.port}/`]) {
    const refused = await sidecarOf('alice', tokens.bob)(path);
    assert.equal(refused.status, 403, `bob's token on /user/alice/firefox-launcher/${path}: HTTP ${refused.status}`);
    assert.ok(!JSON.stringify(refused.body).includes(String(a1.port)), 'the refusal says nothing of her sessions');
    const own = await alice(path);
    assert.equal(own.status, 200, `control: alice's token on ${path}: HTTP ${own.status}`);
  }
  assert.deepEqual((await alice('api/sessions')).body.sessions.map(s => s.port).sort(), [a1.port, a2.port].sort());
  // bob logged in, in a browser: the hub refuses him too.
  const { context } = await login(browser, 'bob');
  try {
    const page = await context.newPage();
    for (const path of ['api/sessions', `sessions/${a1.port}/`]) {
      const res = await page.goto(new URL(`user/alice/firefox-launcher/${path}`, HUB).href);
      const text = await page.content();
      log(`bob's browser on alice's ${path}: HTTP ${res.status()} at ${page.url()}`);
      assert.equal(res.status(), 403, `bob's browser on /user/alice/firefox-launcher/${path}`);
      assert.ok(!text.includes(`"port":${a1.port}`) && !text.includes('id="screen"'), 'nothing of alice\'s session in the answer');
    }
    await page.screenshot({ path: join(ARTIFACTS, 'hub-04-bob-refused.png') });
  } finally {
    await context.close();
  }

  // bob's shell. Each probe that fails as bob succeeds as alice, so the path is right and only
  // the permissions decide.
  const sc = sidecarProcess('alice');
  if (BREAK === 'open-perms') {
    const home = passwd('alice').home;
    for (const [path, mode] of [[join(sc.socket, '..'), 0o777], [sc.socket, 0o777], [join(home, '.firefox-launcher'), 0o755], [join(home, '.firefox-launcher', 'sessions'), 0o755],
      [a1.dir, 0o755], [join(a1.dir, 'sock'), 0o755], ...xpraSockets(a1.dir).map(x => [x, 0o777]), [join(a1.dir, 'Xauthority'), 0o644]]) {
      chmodSync(path, mode);
    }
    log('HUB_BREAK=open-perms: alice\'s sockets, directories and X cookie opened to everyone');
  }
  assert.equal(connectUnixAs('bob', sc.socket), 'EACCES', `bob connecting to alice's sidecar socket ${sc.socket}`);
  assert.equal(connectUnixAs('alice', sc.socket), 'connected', `control: alice connecting to her sidecar socket ${sc.socket}`);
  const socks = xpraSockets(a1.dir);
  assert.ok(socks.length > 0, `Xpra's unix socket in ${a1.dir}/sock`);
  for (const s of socks) {
    assert.equal(connectUnixAs('bob', s), 'EACCES', `bob connecting to alice's Xpra socket ${s}`);
    assert.equal(connectUnixAs('alice', s), 'connected', `control: alice connecting to her Xpra socket ${s}`);
  }
  // Her X cookie: whoever reads it can connect to her X server (read the screen, type into Firefox).
  const xauthority = join(a1.dir, 'Xauthority');
  const cookie = readFileSync(xauthority);
  assert.ok(cookie.includes('MIT-MAGIC-COOKIE-1'), `the session's ${xauthority} holds a cookie`);
  const digest = createHash('sha256').update(cookie).digest('hex');
  const bobRead = asUser('bob', '/usr/bin/sha256sum', [xauthority]);
  assert.ok(bobRead.code !== 0 && /Permission denied/.test(bobRead.out) && !bobRead.out.includes(digest), `bob reading alice's Xauthority: ${bobRead.out}`);
  const aliceRead = asUser('alice', '/usr/bin/sha256sum', [xauthority]);
  assert.ok(aliceRead.code === 0 && aliceRead.out.startsWith(digest), `control: alice reads her Xauthority: ${aliceRead.out}`);
  // Her session's port (its identity: session-PORT, /sessions/PORT/) is held by her sidecar, bound
  // and not listening: every local user can reach 127.0.0.1, so nothing of hers may answer there,
  // and nobody else may take the port while the session lives. The controls: the same probes as
  // bob succeed on a port the test listens on, and, once it is closed, on that free port.
  const own = await tcpListener();
  try {
    assert.equal(connectTcpAs('bob', a1.port), 'ECONNREFUSED', `bob connecting to alice's session port 127.0.0.1:${a1.port}`);
    assert.equal(connectTcpAs('bob', own.port), 'connected', `control: bob connecting to the test's listener on 127.0.0.1:${own.port}`);
  } finally {
    await own.close();
  }
  assert.equal(bindTcpAs('bob', a1.port), 'EADDRINUSE', `bob binding alice's session port 127.0.0.1:${a1.port}`);
  assert.equal(bindTcpAs('bob', own.port), 'bound', `control: bob binding 127.0.0.1:${own.port}, free again`);
  log('bob: sidecar socket EACCES, Xpra socket EACCES, Xauthority unreadable (alice: each works); her session port: connect ECONNREFUSED, bind EADDRINUSE (the test\'s port: connected, bound)');

  // Stopping one of alice's sessions touches no other.
  const others = [['alice', a2], ['bob', b1], ['bob', b2]].map(([name, s]) => ({ name, s, procs: lasting(sessionProcsOf(name, s)) }));
  const stopped = sessionProcsOf('alice', a1);
  const del = await alice(`api/sessions/${a1.port}`, { method: 'DELETE' });
  assert.equal(del.status, 200, `stopping alice's :${a1.port}: ${JSON.stringify(del.body)}`);
  if (BREAK === 'stop-all') {
    await alice(`api/sessions/${a2.port}`, { method: 'DELETE' });
  }
  assert.deepEqual(stillRunning(stopped).map(p => p.comm), [], 'nothing of the stopped session runs');
  assert.ok(!sessionDirs('alice').includes(`session-${a1.port}`), 'its directory is gone');
  for (const { name, s, procs } of others) {
    const sc2 = sidecarOf(name, tokens[name]);
    const r = await sc2(`api/sessions/${s.port}`);
    assert.equal(r.status, 200, `${name}'s :${s.port} is still listed`);
    assert.equal(r.body.status, 'ready', `${name}'s :${s.port} is still ready`);
    assert.deepEqual(stillRunning(procs).map(p => p.pid).sort(), procs.map(p => p.pid).sort(),
      `xpra, Xvfb and Firefox of ${name}'s :${s.port} still run`);
    assert.equal((await sc2(`sessions/${s.port}/`)).status, 200, `${name}'s :${s.port} still serves its page through the hub`);
    const xpraSocket = join(s.dir, 'sock', 'xpra.sock');
    // Any HTTP answer: Xpra 6 runs without its web server (404 to a GET), 3.1 serves its placeholder.
    assert.match(httpGetUnixAs(name, xpraSocket), /^HTTP\/1\.[01] (200|404) /, `${name}'s :${s.port}: Xpra still answers its owner on ${xpraSocket}`);
  }
  log(`stopped alice's :${a1.port}; alice's :${a2.port} and bob's :${b1.port} :${b2.port} run on and answer`);
});

test('the hub\'s admin API stopping alice\'s server leaves nothing of hers within grace + 2 s; bob\'s session runs on', { timeout: 300_000 }, async () => {
  await startServer('alice');
  await startServer('bob');
  const a = await startSession('alice', tokens.alice, page0.url);
  const b = await startSession('bob', tokens.bob, page0.url);
  const bobProcs = lasting(sessionProcsOf('bob', b));
  // alice is looking at hers: a client connected through the hub's proxy.
  const { context, page } = await login(browser, 'alice');
  try {
    await page.goto(new URL(`user/alice/firefox-launcher/sessions/${a.port}/`, HUB).href);
    await firefoxDrawn(page.mainFrame(), 'alice\'s session in a browser tab');
    assert.equal((await sidecarOf('alice', tokens.alice)(`api/sessions/${a.port}`)).body.clients, 1, 'one client connected');
    log(`alice's :${a.port} is drawn in her browser; processes of alice: ${describeProcs(userProcs('alice'))}`);

    const stoppedAt = BREAK === 'skip-stop' ? Date.now() : await stopServer('alice');
    const took = await nothingLeftOf('alice', GRACE_MS + 2000, stoppedAt);
    log(`the hub stopped alice's server; nothing of hers left ${took} ms after the hub said so`);
  } finally {
    await context.close();
  }
  assert.deepEqual(stillRunning(bobProcs).map(p => p.pid).sort(), bobProcs.map(p => p.pid).sort(), 'bob\'s xpra, Xvfb and Firefox still run');
  assert.equal((await sidecarOf('bob', tokens.bob)(`api/sessions/${b.port}`)).body.status, 'ready', 'bob\'s session is still ready');
  // bob's server and session stay up: scripts/test-hub stops the hub next and checks that its
  // shutdown leaves nothing of his.
  keepForHubShutdown.add('bob');
  log(`bob's :${b.port} is left running for the hub's shutdown`);
});
