// firefox-launcher under JupyterHub with batchspawner.SlurmSpawner, on the one-node Slurm cluster
// scripts/test-hub starts (phase "slurm"; SLURM_CONF names its private slurm.conf).
//
// - bob's server is a Slurm job with a 1-minute time limit (HUB_SLURM_SHORT): he starts a
//   session; when Slurm ends the job at its limit, nothing of his is left within the sidecar's
//   grace + 2 s of the job leaving the RUNNING state.
// - alice's server is a Slurm job (its processes descend from slurmstepd): in Chromium she logs
//   in, clicks the Firefox tile, and sees Firefox drawn through the hub; `scancel` of her job
//   leaves nothing of hers within grace + 2 s.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import {
  ARTIFACTS,
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
  setSettings,
  sleep,
  startServer,
  startSession,
  userProcs,
  userToken,
  waitFor
} from './hub-lib.mjs';

const SHORT = process.env.HUB_SLURM_SHORT ?? 'bob';
assert.ok(process.env.SLURM_CONF, 'SLURM_CONF must name the test cluster\'s slurm.conf');
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

function slurm(cmd, args) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', env: { PATH: '/usr/bin:/bin', SLURM_CONF: process.env.SLURM_CONF } });
  assert.equal(r.status, 0, `${cmd} ${args.join(' ')}: ${r.stderr}`);
  return r.stdout.trim();
}

/** {id, state, time limit} of `name`'s job, or null. */
function jobOf(name) {
  const line = slurm('squeue', ['-h', '-u', name, '-o', '%i %T %l']);
  if (!line) {
    return null;
  }
  const [id, state, limit] = line.split('\n')[0].split(' ');
  return { id, state, limit };
}

/** Whether `pid` descends from a slurmstepd (runs inside a Slurm job). */
function inSlurmJob(pid) {
  for (let p = pid; p > 1;) {
    let text;
    try {
      text = readFileSync(`/proc/${p}/stat`, 'utf8');
    } catch {
      return false;
    }
    if (text.slice(text.indexOf('(') + 1, text.lastIndexOf(')')) === 'slurmstepd') {
      return true;
    }
    p = Number(text.slice(text.lastIndexOf(')') + 2).split(' ')[1]);
  }
  return false;
}

/** Polls `name`'s job every 100 ms until it is no longer RUNNING; returns when that was seen. */
async function jobEnded(name, id, timeoutMs) {
  return waitFor(`${name}'s job ${id} to leave RUNNING`, () => {
    const j = jobOf(name);
    return !j || j.id !== id || j.state !== 'RUNNING' ? Date.now() : null;
  }, timeoutMs, 100).then(t => t, e => assert.fail(e.message));
}

test(`Firefox through the hub from a Slurm job; scancel and the time limit each leave nothing (${SHORT}'s job: 1 minute)`, { timeout: 600_000 }, async () => {
  const short = SHORT;
  const long = short === 'bob' ? 'alice' : 'bob';
  const tokens = { [short]: await userToken(short), [long]: await userToken(long) };

  // The short job first, so its minute runs while the other user works.
  await startServer(short);
  const sj = jobOf(short);
  assert.ok(sj && sj.state === 'RUNNING', `${short}'s server is a running Slurm job: ${JSON.stringify(sj)}`);
  const s = await startSession(short, tokens[short], page0.url);
  const sidecarS = userProcs(short).find(p => /firefox-launcher serve/.test(p.cmd));
  assert.ok(sidecarS && inSlurmJob(sidecarS.pid), `${short}'s sidecar runs inside the job`);
  log(`${short}'s server: job ${sj.id} (limit ${sj.limit}); session :${s.port}; processes ${describeProcs(userProcs(short))}`);
  const shortDone = jobEnded(short, sj.id, 180_000).then(async ended => {
    log(`${short}'s job ${sj.id} reached its time limit: now ${jobOf(short)?.state ?? 'gone'}`);
    const took = await nothingLeftOf(short, GRACE_MS + 2000, ended);
    log(`time limit: nothing of ${short}'s left ${took} ms after the job left RUNNING`);
  });
  shortDone.catch(() => {}); // awaited below

  // The other user, in the browser, from the tile.
  await startServer(long);
  const lj = jobOf(long);
  assert.ok(lj && lj.state === 'RUNNING', `${long}'s server is a running Slurm job: ${JSON.stringify(lj)}`);
  await setSettings(long, tokens[long], { startUrl: page0.url, openIn: 'tab' });
  const { context, page } = await login(browser, long);
  try {
    // A workspace of its own: the user's default one may restore tabs of an earlier phase.
    await page.goto(new URL(`user/${long}/lab/workspaces/hub-${randomBytes(4).toString('hex')}`, HUB).href);
    const tile = page.locator('.jp-LauncherCard', { hasText: 'Firefox' });
    await tile.waitFor({ timeout: 120_000 }).catch(async e => {
      await page.screenshot({ path: join(ARTIFACTS, 'hub-slurm-no-tile.png') });
      throw new Error(`${e.message} (page ${page.url()}: ${(await page.innerText('body').catch(() => '')).slice(0, 300)})`);
    });
    await tile.click();
    const widget = page.locator('.jp-FirefoxTab[data-state="client"]').first();
    await widget.waitFor({ state: 'attached', timeout: 90_000 });
    const port = Number(await widget.getAttribute('data-port'));
    const frame = await waitFor('the client frame', () => page.frames().find(f => f.url().includes(`/user/${long}/firefox-launcher/sessions/${port}/`)), 30_000);
    const px = await firefoxDrawn(frame, `${long} in a Slurm job`);
    await page.screenshot({ path: join(ARTIFACTS, 'hub-slurm-firefox.png') });
    const procs = userProcs(long);
    const xpra = procs.filter(p => p.comm === 'xpra' || p.comm === 'Xvfb' || /firefox/.test(p.comm));
    assert.ok(xpra.length >= 3 && xpra.every(p => inSlurmJob(p.pid)), `${long}'s Xpra, Xvfb and Firefox run inside the job: ${describeProcs(xpra)}`);
    log(`${long}: job ${lj.id}, Firefox drawn on :${port} (${JSON.stringify(px)}); processes ${describeProcs(procs)}`);

    // scancel, with the client still connected.
    if (BREAK !== 'skip-stop') {
      slurm('scancel', [lj.id]);
    }
    const cancelled = Date.now();
    const took = await nothingLeftOf(long, GRACE_MS + 2000, cancelled);
    log(`scancel ${lj.id}: nothing of ${long}'s left ${took} ms later`);
  } finally {
    await context.close();
  }

  await shortDone;
});
