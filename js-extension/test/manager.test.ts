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

test('stop ends the session and closes its tab; closing a tab stops nothing', async () => {
  const { settings, calls, live } = sidecar();
  const m = new SessionManager(new SidecarApi(settings));
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

  // Stopping A: DELETE, its tab closed, gone from the list.
  await m.stop(a);
  assert.ok(tabA.isDisposed);
  assert.ok(!live.has(a.port));
  assert.deepEqual(m.sessions.map(x => x.port), [b.port]);
  assert.equal(m.stopping.size, 0);
});

test('stopping a session that is already gone is not an error', async () => {
  const { settings } = sidecar();
  const m = new SessionManager(new SidecarApi(settings));
  const a = await m.start();
  const tab = new FakeTab();
  m.trackTab(a, tab as unknown as Widget);
  await m.stop(a);
  const again = await m.stop(a);
  assert.equal(again.port, a.port);
  assert.ok(tab.isDisposed);
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
