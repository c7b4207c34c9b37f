import { test } from 'node:test';
import assert from 'node:assert/strict';

import {
  describeError,
  formatAge,
  goneKeys,
  isProfileInUse,
  ISession,
  parseSession,
  parseSessionList,
  profileHolder,
  sessionKey,
  sessionRows,
  sessionVerdict
} from '../src/sessions';

const T0 = Date.parse('2026-11-22T10:00:00Z');

function session(port: number, created: string, status = 'ready'): ISession {
  return { port, status, created_at: created, path: `sessions/${port}/`, pid: 100 + port, pgid: 100 + port };
}

test('formatAge', () => {
  assert.equal(formatAge('2026-11-22T10:00:00Z', T0), '0 s');
  assert.equal(formatAge('2026-11-22T09:59:15Z', T0), '45 s');
  assert.equal(formatAge('2026-11-22T09:57:00Z', T0), '3 min');
  assert.equal(formatAge('2026-11-22T08:00:00Z', T0), '2 h');
  assert.equal(formatAge('2026-11-22T07:55:00Z', T0), '2 h 5 min');
  assert.equal(formatAge('2026-11-20T06:00:00Z', T0), '2 d 4 h');
  assert.equal(formatAge('2026-11-22T10:00:05Z', T0), '0 s', 'clock skew gives 0, not negative');
  assert.equal(formatAge('not a date', T0), '?');
});

test('rows: newest first, with age, label and stopping state', () => {
  const a = session(5001, '2026-11-22T09:00:00Z');
  const b = session(5002, '2026-11-22T09:59:00Z', 'starting');
  const c = session(5003, '2026-11-22T09:30:00Z', 'stopping');
  const rows = sessionRows([a, b, c], T0, new Set([sessionKey(a)]), new Set([sessionKey(b)]));
  assert.deepEqual(rows.map(r => r.port), [5002, 5003, 5001]);
  assert.deepEqual(rows.map(r => r.status), ['starting', 'stopping', 'stopping']);
  assert.deepEqual(rows.map(r => r.stopping), [false, true, true]);
  assert.deepEqual(rows.map(r => r.open), [true, false, false]);
  assert.equal(rows[0].age, '1 min');
  assert.equal(rows[0].label, 'Firefox :5002');
});

test('rows of an empty list', () => {
  assert.deepEqual(sessionRows([], T0), []);
});

test('a reused port is a different session', () => {
  const old = session(5001, '2026-11-22T09:00:00Z');
  const reborn = session(5001, '2026-11-22T09:50:00Z');
  assert.notEqual(sessionKey(old), sessionKey(reborn));
  assert.deepEqual(goneKeys([sessionKey(old)], [reborn]), [sessionKey(old)]);
  assert.deepEqual(goneKeys([sessionKey(reborn)], [reborn]), []);
});

test('parseSessionList accepts the sidecar shape and rejects others', () => {
  const list = parseSessionList({ sessions: [session(5001, '2026-11-22T09:00:00Z')] });
  assert.equal(list.length, 1);
  assert.equal(list[0].port, 5001);
  assert.throws(() => parseSessionList({}), /session list/);
  assert.throws(() => parseSessionList(null), /session list/);
  assert.throws(() => parseSessionList({ sessions: [{ status: 'ready' }] }), /port/);
});

test('parseSession fills a missing path', () => {
  const s = parseSession({ port: 7, status: 'ready', created_at: 'x' });
  assert.equal(s.path, 'sessions/7/');
});

test('describeError prefers the sidecar words', () => {
  assert.equal(
    describeError('start Firefox', 500, { error: 'xpra exited with status 1', code: 'spawn_failed' }),
    'Could not start Firefox: xpra exited with status 1 (spawn_failed)'
  );
  assert.equal(
    describeError('start Firefox', 504, null),
    'Could not start Firefox: Firefox did not become ready in time (504)'
  );
  assert.equal(
    describeError('start Firefox', 500, '<html><body>500: could not start</body></html>'),
    'Could not start Firefox: the firefox-launcher service failed (HTTP 500)'
  );
  assert.equal(describeError('list the Firefox sessions', null, null), 'Could not list the Firefox sessions: the server could not be reached');
  assert.equal(describeError('stop Firefox :1', 401, ''), 'Could not stop Firefox :1: the firefox-launcher service refused the request (401)');
  assert.equal(describeError('x', 400, { message: 'bad url' }), 'Could not x: bad url');
  assert.equal(describeError('x', 418, 'short and stout'), 'Could not x: short and stout');
});

test('rows name sessions by page title, else start address, else port', () => {
  const a = { ...session(5001, '2026-11-22T09:00:00Z'), title: 'Example Domain — Mozilla Firefox', url: 'https://example.org/' };
  const b = { ...session(5002, '2026-11-22T09:01:00Z'), title: 'Mozilla Firefox', url: 'https://example.org/b' };
  const c = { ...session(5003, '2026-11-22T09:02:00Z'), title: null, url: null };
  const d = { ...session(5004, '2026-11-22T09:03:00Z'), title: '<b>' + 'long '.repeat(20) + '</b>' };
  const rows = sessionRows([a, b, c, d], T0);
  assert.deepEqual(rows.map(r => r.name), [d.title, 'Firefox :5003', 'https://example.org/b', 'Example Domain']);
  assert.deepEqual(rows.map(r => r.shortName).slice(1), ['Firefox :5003', 'https://example.org/b', 'Example Domain']);
  assert.equal([...rows[0].shortName].length, 40);
  assert.ok(rows[0].shortName.startsWith('<b>long long'));
});

test('parseSession keeps a string title only', () => {
  assert.equal(parseSession({ port: 7, status: 'ready', title: 'x' }).title, 'x');
  assert.equal(parseSession({ port: 7, status: 'ready', title: { html: 'x' } }).title, null);
  assert.equal(parseSession({ port: 7, status: 'ready' }).title, null);
});

test('sessionVerdict: gone, replaced, stopping, alive, or unknown', () => {
  const s = session(5001, '2026-11-22T09:00:00Z');
  assert.equal(sessionVerdict(s, 404, null), 'ended');
  assert.equal(sessionVerdict(s, 200, s), 'alive');
  assert.equal(sessionVerdict(s, 200, { ...s, status: 'starting' }), 'alive');
  assert.equal(sessionVerdict(s, 200, { ...s, status: 'stopping' }), 'ending');
  assert.equal(sessionVerdict(s, 200, session(5001, '2026-11-22T09:30:00Z')), 'ended', 'the port now belongs to another session');
  assert.equal(sessionVerdict({ port: 5001, created_at: '' }, 200, s), 'alive', 'restored without a creation time: the port decides');
  assert.equal(sessionVerdict(s, null, null), 'unknown');
  assert.equal(sessionVerdict(s, 502, null), 'unknown');
  assert.equal(sessionVerdict(s, 401, null), 'unknown');
  assert.equal(sessionVerdict(s, 200, session(5002, '2026-11-22T09:00:00Z')), 'unknown');
});

test('rows say which session remembers the person (the persistent profile)', () => {
  const a = { ...session(5001, '2026-11-22T09:00:00Z'), profile: 'persistent' };
  const b = { ...session(5002, '2026-11-22T09:10:00Z'), profile: 'temporary' };
  const c = session(5003, '2026-11-22T09:20:00Z');
  assert.deepEqual(sessionRows([a, b, c], T0).map(r => [r.port, r.persistent]), [[5003, false], [5002, false], [5001, true]]);
});

test('a refused start is "profile in use" only for 409 with that code', () => {
  assert.equal(isProfileInUse(409, { error: 'in use by session 41223', code: 'profile_in_use' }), true);
  assert.equal(isProfileInUse(409, { error: 'x', code: 'conflict' }), false);
  assert.equal(isProfileInUse(400, { code: 'profile_in_use' }), false);
  assert.equal(isProfileInUse(409, 'profile_in_use'), false);
  assert.equal(isProfileInUse(409, null), false);
  assert.equal(isProfileInUse(null, null), false);
});

test('the profile holder is the listed persistent session that is not stopping', () => {
  const a = { ...session(5001, '2026-11-22T09:00:00Z'), profile: 'temporary' };
  const b = { ...session(5002, '2026-11-22T09:10:00Z'), profile: 'persistent' };
  assert.equal(profileHolder([a, b])?.port, 5002);
  assert.equal(profileHolder([a]), undefined);
  assert.equal(profileHolder([a, { ...b, status: 'stopping' }]), undefined, 'one on its way out is not offered');
  assert.equal(profileHolder([]), undefined);
});
