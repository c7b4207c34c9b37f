// The hub's idle culler ends our sessions (scripts/test-hub, phase "cull"): jupyterhub-idle-culler
// runs as a hub-managed service with a short --timeout (HUB_CULL_TIMEOUT), the proxy's and the
// servers' activity reported every 2 s.
//
// Measured at once, on two users, in one window of three timeouts:
// - alice has a session with its client page connected through the hub (a browser tab on
//   /user/alice/firefox-launcher/sessions/PORT/, nothing else of JupyterLab open): her server is
//   not culled while it stays connected (watched for the window, the hub's last_activity
//   sampled); once the tab closes, it is culled, and nothing of hers is left within grace + 2 s.
// - bob has a session and no browser connected to it, started once alice's client draws, so his
//   last request comes after her last page request and the window opens with it: his server must
//   be culled within the window (how long after his last request is logged), and nothing of his
//   be left within the sidecar's grace + 2 s of the hub saying so. A culler that culls him only
//   after the window (a slow one) would have spared an idle alice too: her surviving the window
//   shows her client kept her server active only if bob, idle for less time than she would have
//   been, was culled inside it.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';

import {
  BREAK,
  GRACE_MS,
  HUB,
  describeProcs,
  firefoxDrawn,
  launchBrowser,
  log,
  login,
  nothingLeftOf,
  pageServer,
  serverOf,
  sleep,
  startServer,
  startSession,
  userProcs,
  userToken
} from './hub-lib.mjs';

const TIMEOUT_S = Number(process.env.HUB_CULL_TIMEOUT ?? 15);
let browser;
let page0;

before(async () => {
  page0 = await pageServer();
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close().catch(() => {});
  page0?.close();
});

/** Polls the hub every 250 ms until `name`'s server is gone or `ms` pass; returns when it went (or null). */
async function culledWithin(name, ms, samples) {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    const s = await serverOf(name);
    if (!s) {
      return Date.now();
    }
    samples?.push({ at: Date.now(), last_activity: s.last_activity });
    await sleep(250);
  }
  return null;
}

test(`the idle culler (timeout ${TIMEOUT_S} s) culls a server whose session has no client, spares one with a client connected until it disconnects, and each cull leaves nothing`, { timeout: 600_000 }, async () => {
  const tokens = { alice: await userToken('alice'), bob: await userToken('bob') };
  await Promise.all([startServer('alice'), startServer('bob')]);
  const a = await startSession('alice', tokens.alice, page0.url);

  // alice looks at hers in a browser tab of its own (the login's JupyterLab page navigates away).
  const { context, page } = await login(browser, 'alice');
  await page.goto(new URL(`user/alice/firefox-launcher/sessions/${a.port}/`, HUB).href);
  await firefoxDrawn(page.mainFrame(), 'alice\'s session in a browser tab');
  log('alice\'s client is connected and drawing: her page and its files were her last requests');
  if (BREAK === 'no-client') {
    await page.close();
  }

  // bob's session, after alice's last page request: the window opens with his last request.
  const b = await startSession('bob', tokens.bob, page0.url);
  const bobLastRequest = Date.now();
  log(`bob's :${b.port} started; bob's server gets no request from now on`);
  const watchMs = 3 * TIMEOUT_S * 1000;
  const aliceSamples = [];
  const bobSamples = [];
  // bob, unconnected: culled (the hub's list is watched a minute longer than the window, so a
  // late cull is measured and named, not only missed).
  const bobDone = culledWithin('bob', watchMs + 60_000, bobSamples).then(async bobGone => {
    assert.ok(bobGone, `bob's server (a session, no client) was not culled within ${(watchMs + 60_000) / 1000} s of his last request (timeout ${TIMEOUT_S} s)`);
    const lastActivity = Date.parse(bobSamples.at(-1)?.last_activity);
    log(`MEASURED: bob's server, with an unconnected session, culled ${((bobGone - bobLastRequest) / 1000).toFixed(1)} s after his last request was answered, ${((bobGone - lastActivity) / 1000).toFixed(1)} s after its last activity as the hub saw it (timeout ${TIMEOUT_S} s)`);
    log(`nothing of bob's left ${await nothingLeftOf('bob', GRACE_MS + 2000, bobGone)} ms after the hub said his server was gone`);
    return bobGone;
  });
  bobDone.catch(() => {}); // awaited below; not an unhandled rejection meanwhile
  const aliceGoneEarly = await culledWithin('alice', watchMs, aliceSamples);
  const watchEnd = Date.now();
  const bobGone = await bobDone;

  // alice, connected: spared, through a window in which the culler culled the idle bob.
  const activities = [...new Set(aliceSamples.map(s => s.last_activity))];
  log(`alice's last_activity as the hub saw it over ${watchMs / 1000} s: ${activities.length} distinct values, last ${activities.at(-1)}`);
  assert.equal(aliceGoneEarly, null, `alice's server was culled ${((aliceGoneEarly - bobLastRequest) / 1000).toFixed(1)} s into the window while her client was connected`);
  assert.ok(bobGone <= watchEnd, `bob's server was culled ${((bobGone - bobLastRequest) / 1000).toFixed(1)} s after his last request, after the ${((watchEnd - bobLastRequest) / 1000).toFixed(1)} s window in which alice was watched: a culler this slow would have spared her without a client, so her surviving the window shows nothing`);
  log(`MEASURED: alice's server, with a client connected, was not culled in ${watchMs / 1000} s (${watchMs / 1000 / TIMEOUT_S} timeouts), and bob's idle one was, ${((bobGone - bobLastRequest) / 1000).toFixed(1)} s into that window; processes of alice: ${describeProcs(userProcs('alice'))}`);

  // alice closes the tab: culled.
  await context.close();
  const closedAt = Date.now();
  const aliceGone = await culledWithin('alice', TIMEOUT_S * 1000 + 60_000);
  assert.ok(aliceGone, `alice's server was not culled within ${TIMEOUT_S + 60} s of her tab closing`);
  log(`MEASURED: alice's server culled ${((aliceGone - closedAt) / 1000).toFixed(1)} s after her tab closed (timeout ${TIMEOUT_S} s)`);
  log(`nothing of alice's left ${await nothingLeftOf('alice', GRACE_MS + 2000, aliceGone)} ms after the hub said her server was gone`);
});
