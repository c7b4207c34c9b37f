import { test } from 'node:test';
import assert from 'node:assert/strict';

import { Signal } from '@lumino/signaling';
import { Widget } from '@lumino/widgets';

import { SidecarApi } from '../src/api';
import { SessionManager } from '../src/manager';
import { sessionKey } from '../src/sessions';
import { fakeServer, ICall, session } from './fakes';

/** Just enough of a Lumino widget for the manager's tab bookkeeping. */
class FakeTab {
  isDisposed = false;
  disposed = new Signal<this, void>(this);
  dispose(): void {
    if (!this.isDisposed) {
      this.isDisposed = true;
      this.disposed.emit();
    }
  }
}

function sidecar() {
  const live = new Map<number, ReturnType<typeof session>>();
  let next = 6000;
  const server = fakeServer((call: ICall) => {
    const m = new URL(call.url).pathname.match(/api\/sessions(?:\/(\d+))?$/);
    const port = m && m[1] ? Number(m[1]) : null;
    if (call.method === 'GET' && port === null) {
      return { status: 200, body: { sessions: [...live.values()] } };
    }
    if (call.method === 'GET' && port !== null) {
      const s = live.get(port);
      return s ? { status: 200, body: s } : { status: 404, body: { error: `no session on port ${port}`, code: 'not_found' } };
    }
    if (call.method === 'POST') {
      const s = session(++next, new Date(Date.now() - next).toISOString());
      live.set(s.port, s);
      return { status: 201, body: s };
    }
    if (call.method === 'DELETE' && port !== null) {
      if (!live.delete(port)) {
        return { status: 404, body: { error: `no session on port ${port}`, code: 'not_found' } };
      }
      return { status: 200, body: { port, signal: 'SIGTERM', elapsed_ms: 3 } };
    }
    return { status: 405, body: { error: 'no', code: 'method' } };
  });
  return { ...server, live };
}

test('start counts the start under way, then lists the new session', async () => {
  const { settings } = sidecar();
  const m = new SessionManager(new SidecarApi(settings));
  let sawStarting = false;
  m.changed.connect(() => {
    sawStarting ||= m.starting === 1;
  });
  const s = await m.start();
  assert.ok(sawStarting, 'a "starting" state was shown');
  await m.refresh();
  assert.equal(m.starting, 0);
  assert.deepEqual(m.sessions.map(x => x.port), [s.port]);
  assert.equal(m.find(s.port)?.port, s.port);
});

test('stop ends the session and tells its tab; closing a tab stops nothing', async () => {
  const { settings, calls, live } = sidecar();
  const m = new SessionManager(new SidecarApi(settings));
  const ended: string[] = [];
  m.ended.connect((_, key) => ended.push(key));
  const a = await m.start();
  const b = await m.start();
  const tabA = new FakeTab();
  const tabB = new FakeTab();
  m.trackTab(a, tabA as unknown as Widget);
  m.trackTab(b, tabB as unknown as Widget);
  assert.deepEqual([...m.openKeys].sort(), [sessionKey(a), sessionKey(b)].sort());

  // Closing B's tab: forgotten, but the session lives on.
  tabB.dispose();
  assert.deepEqual([...m.openKeys], [sessionKey(a)]);
  assert.ok(live.has(b.port));
  assert.ok(!calls.some(c => c.method === 'DELETE'));

  // Stopping A: DELETE, its tab told (it stays, saying so), gone from the list.
  await m.stop(a);
  assert.deepEqual(ended, [sessionKey(a)]);
  assert.ok(!tabA.isDisposed, 'the tab stays to say the session ended');
  assert.deepEqual([...m.openKeys], []);
  assert.ok(!live.has(a.port));
  assert.deepEqual(m.sessions.map(x => x.port), [b.port]);
  assert.equal(m.stopping.size, 0);
});

test('stopping a session that is already gone is not an error', async () => {
  const { settings } = sidecar();
  const m = new SessionManager(new SidecarApi(settings));
  const ended: string[] = [];
  m.ended.connect((_, key) => ended.push(key));
  const a = await m.start();
  const tab = new FakeTab();
  m.trackTab(a, tab as unknown as Widget);
  await m.stop(a);
  const again = await m.stop(a);
  assert.equal(again.port, a.port);
  assert.deepEqual(ended, [sessionKey(a)], 'told once');
});

test('a session the list no longer has ends its tab, unless the list was asked for before the tab', async () => {
  const { settings, live } = sidecar();
  const m = new SessionManager(new SidecarApi(settings));
  const ended: string[] = [];
  m.ended.connect((_, key) => ended.push(key));
  const a = await m.start();
  const b = await m.start();
  // A list asked for now, answered after the tab is tracked (as a poll racing
  // a start can be): it must not end a tab it knew nothing of.
  live.delete(b.port);
  const early = m.refresh();
  m.trackTab(b, new FakeTab() as unknown as Widget);
  await early;
  assert.deepEqual(ended, [], 'a list older than the tab says nothing of it');
  m.trackTab(a, new FakeTab() as unknown as Widget);
  live.delete(a.port);
  await m.refresh();
  assert.deepEqual(ended.sort(), [sessionKey(a), sessionKey(b)].sort());
  assert.deepEqual([...m.openKeys], []);
});

test('check asks the sidecar: gone (404) or replaced on its port is ended, and its tab is told', async () => {
  const { settings, live, calls } = sidecar();
  const m = new SessionManager(new SidecarApi(settings));
  const ended: string[] = [];
  m.ended.connect((_, key) => ended.push(key));
  const a = await m.start();
  m.trackTab(a, new FakeTab() as unknown as Widget);
  assert.equal(await m.check(a), 'alive');
  assert.ok(calls.some(c => c.method === 'GET' && new URL(c.url).pathname.endsWith(`/api/sessions/${a.port}`)));
  live.set(a.port, { ...live.get(a.port)!, status: 'stopping' });
  assert.equal(await m.check(a), 'ending');
  live.set(a.port, { ...live.get(a.port)!, status: 'ready', created_at: '2030-01-01T00:00:00Z' });
  assert.equal(await m.check(a), 'ended', 'another session on the same port');
  assert.deepEqual(ended, [sessionKey(a)]);
  live.delete(a.port);
  assert.equal(await m.check(a), 'ended');
  assert.deepEqual(ended, [sessionKey(a)], 'told once');
});

test('check says unknown when the sidecar cannot answer, and ends nothing', async () => {
  const { settings } = fakeServer(() => ({ status: 502, body: 'Bad Gateway' }));
  const m = new SessionManager(new SidecarApi(settings));
  const ended: string[] = [];
  m.ended.connect((_, key) => ended.push(key));
  const s = { ...session(7001), title: null };
  m.trackTab(s, new FakeTab() as unknown as Widget);
  assert.equal(await m.check(s), 'unknown');
  const down = fakeServer(() => new TypeError('fetch failed'));
  assert.equal(await new SessionManager(new SidecarApi(down.settings)).check(s), 'unknown');
  assert.deepEqual(ended, []);
});

test('a title from a tab shows in the list at once', async () => {
  const { settings } = sidecar();
  const m = new SessionManager(new SidecarApi(settings));
  const a = await m.start();
  await m.refresh();
  let changes = 0;
  m.changed.connect(() => changes++);
  m.noteTitle(a, 'New title');
  assert.equal(m.find(a.port)?.title, 'New title');
  assert.equal(changes, 1);
  m.noteTitle(a, 'New title');
  assert.equal(changes, 1, 'no change, no signal');
  m.noteTitle({ ...a, created_at: 'another' }, 'Other');
  assert.equal(m.find(a.port)?.title, 'New title', 'another session on the port is not this one');
});

test('a failed refresh keeps the last list and reports the error', async () => {
  let down = false;
  const { settings } = fakeServer(() =>
    down ? { status: 502, body: { error: 'sidecar is restarting', code: 'unavailable' } } : { status: 200, body: { sessions: [session(7001)] } }
  );
  const m = new SessionManager(new SidecarApi(settings));
  await m.refresh();
  assert.equal(m.error, null);
  down = true;
  await m.refresh();
  assert.equal(m.error, 'Could not list the Firefox sessions: sidecar is restarting (unavailable)');
  assert.deepEqual(m.sessions.map(s => s.port), [7001]);
  down = false;
  await m.refresh();
  assert.equal(m.error, null);
});

test('listed is told each list the sidecar answered, not single look-ups nor failures', async () => {
  let down = false;
  const { settings } = fakeServer(call => {
    if (down) {
      return { status: 502, body: 'Bad Gateway' };
    }
    return new URL(call.url).pathname.endsWith('/api/sessions')
      ? { status: 200, body: { sessions: [session(7001)] } }
      : { status: 200, body: session(7001) };
  });
  const m = new SessionManager(new SidecarApi(settings));
  const lists: number[][] = [];
  m.listed.connect((_, sessions) => lists.push(sessions.map(s => s.port)));
  assert.equal(m.listedAt, 0);
  await m.refresh();
  assert.deepEqual(lists, [[7001]]);
  assert.ok(m.listedAt > 0 && m.listedAt <= Date.now());
  await m.check(m.sessions[0]);
  assert.deepEqual(lists, [[7001]], 'a check is not a list (it would prime the downloads with one session)');
  down = true;
  const at = m.listedAt;
  await m.refresh();
  assert.deepEqual(lists, [[7001]]);
  assert.equal(m.listedAt, at, 'a failed list is not a list');
});

test('start sends the request it is given', async () => {
  const { settings, calls } = sidecar();
  const m = new SessionManager(new SidecarApi(settings));
  await m.start({ profile: 'persistent', downloads: '/srv/dl' });
  const post = calls.find(c => c.method === 'POST');
  assert.equal(post?.body, '{"profile":"persistent","downloads":"/srv/dl"}');
});
