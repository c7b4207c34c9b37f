import { test } from 'node:test';
import assert from 'node:assert/strict';

import { SidecarApi, SidecarError } from '../src/api';
import { fakeServer, pathOf, session } from './fakes';

test('list: GET <base>firefox-launcher/api/sessions', async () => {
  const { settings, calls } = fakeServer(() => ({ status: 200, body: { sessions: [session(5001)] } }));
  const sessions = await new SidecarApi(settings).list();
  assert.equal(sessions.length, 1);
  assert.equal(sessions[0].port, 5001);
  assert.equal(calls[0].method, 'GET');
  assert.equal(pathOf(calls[0].url), '/user/alice/firefox-launcher/api/sessions');
});

test('start: POST JSON with what the request sets, or an empty object', async () => {
  const { settings, calls } = fakeServer(() => ({ status: 201, body: session(5002) }));
  const api = new SidecarApi(settings);
  const s = await api.start({ url: '  https://example.org/  ' });
  assert.equal(s.port, 5002);
  await api.start({ url: '' });
  await api.start();
  await api.start({ profile: 'persistent', clipboard: 'to-firefox', downloads: '/home/alice/work/dl' });
  assert.deepEqual(
    calls.map(c => [c.method, pathOf(c.url), c.contentType, c.body]),
    [
      ['POST', '/user/alice/firefox-launcher/api/sessions', 'application/json', '{"url":"https://example.org/"}'],
      ['POST', '/user/alice/firefox-launcher/api/sessions', 'application/json', '{}'],
      ['POST', '/user/alice/firefox-launcher/api/sessions', 'application/json', '{}'],
      ['POST', '/user/alice/firefox-launcher/api/sessions', 'application/json', '{"profile":"persistent","clipboard":"to-firefox","downloads":"/home/alice/work/dl"}']
    ]
  );
});

test('start: a request that cannot be sent fails in words, and sends nothing', async () => {
  const { settings, calls } = fakeServer(() => ({ status: 201, body: session(5002) }));
  await assert.rejects(new SidecarApi(settings).start({ downloads: 'relative/dir' }), (e: unknown) => {
    assert.ok(e instanceof SidecarError);
    assert.equal(e.message, 'Could not start Firefox: the downloads folder must be an absolute path: relative/dir');
    return true;
  });
  assert.equal(calls.length, 0);
});

test('start: the persistent profile taken is a 409 that keeps its code and the server\'s words', async () => {
  const answer = { error: 'the persistent profile is in use by session 41223', code: 'profile_in_use' };
  const { settings } = fakeServer(() => ({ status: 409, body: answer }));
  await assert.rejects(new SidecarApi(settings).start({ profile: 'persistent' }), (e: unknown) => {
    assert.ok(e instanceof SidecarError);
    assert.equal(e.status, 409);
    assert.deepEqual(e.body, answer);
    assert.match(e.message, /the persistent profile is in use by session 41223/);
    return true;
  });
});

test('stop: DELETE <base>firefox-launcher/api/sessions/<port>', async () => {
  const { settings, calls } = fakeServer(() => ({ status: 200, body: { port: 5003, signal: 'SIGTERM', elapsed_ms: 12 } }));
  const r = await new SidecarApi(settings).stop(5003);
  assert.equal(r.signal, 'SIGTERM');
  assert.equal(calls[0].method, 'DELETE');
  assert.equal(pathOf(calls[0].url), '/user/alice/firefox-launcher/api/sessions/5003');
});

test('sidecar errors become SidecarError with words and status', async () => {
  const { settings } = fakeServer(() => ({ status: 504, body: { error: 'firefox did not show a window within 60 s', code: 'timeout' } }));
  await assert.rejects(new SidecarApi(settings).start(), (e: unknown) => {
    assert.ok(e instanceof SidecarError);
    assert.equal(e.status, 504);
    assert.equal(e.message, 'Could not start Firefox: firefox did not show a window within 60 s (timeout)');
    return true;
  });
});

test('an HTML error page from the proxy is replaced by words', async () => {
  const { settings } = fakeServer(() => ({ status: 500, body: '<html><body>could not start firefox-launcher in time</body></html>' }));
  await assert.rejects(new SidecarApi(settings).list(), /Could not list the Firefox sessions: the firefox-launcher service failed \(HTTP 500\)/);
});

test('a network failure says the server could not be reached', async () => {
  const { settings } = fakeServer(() => new TypeError('fetch failed'));
  await assert.rejects(new SidecarApi(settings).stop(7), (e: unknown) => {
    assert.ok(e instanceof SidecarError);
    assert.equal(e.status, null);
    assert.equal(e.message, 'Could not stop Firefox :7: the server could not be reached');
    return true;
  });
});

test('a malformed list is an error, not an empty panel', async () => {
  const { settings } = fakeServer(() => ({ status: 200, body: { nope: [] } }));
  await assert.rejects(new SidecarApi(settings).list(), /session list/);
});
