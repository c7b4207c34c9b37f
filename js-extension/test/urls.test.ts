import { test } from 'node:test';
import assert from 'node:assert/strict';

import {
  absoluteUrl,
  fileUrl,
  isSafeRelativePath,
  joinUrl,
  KEYBOARD_LAYOUT_PATTERN,
  keyboardLayout,
  sessionApiUrl,
  sessionClientUrl,
  sessionsApiUrl,
  sidecarRoot,
  typedUrl,
  withClientOptions
} from '../src/urls';

test('joinUrl keeps one slash between parts and the outer slashes', () => {
  assert.equal(joinUrl('/user/alice/', 'firefox-launcher', 'api'), '/user/alice/firefox-launcher/api');
  assert.equal(joinUrl('/', 'firefox-launcher', '/'), '/firefox-launcher/');
  assert.equal(joinUrl('/base//', '//x//', 'y/'), '/base/x/y/');
  assert.equal(joinUrl('', 'a', ''), 'a');
  assert.equal(joinUrl('/'), '/');
  assert.equal(joinUrl(), '');
});

test('API URLs hang off the base URL, never off /', () => {
  for (const base of ['/', '/user/alice/', '/user/alice', '/a/b/c/']) {
    const prefix = base.endsWith('/') ? base : base + '/';
    assert.equal(sessionsApiUrl(base), `${prefix}firefox-launcher/api/sessions`);
    assert.equal(sessionApiUrl(base, 41223), `${prefix}firefox-launcher/api/sessions/41223`);
    assert.equal(sidecarRoot(base), `${prefix}firefox-launcher/`);
  }
});

test('a full base URL with host stays whole', () => {
  assert.equal(
    sessionsApiUrl('http://127.0.0.1:8888/user/alice/'),
    'http://127.0.0.1:8888/user/alice/firefox-launcher/api/sessions'
  );
});

test('client URL uses the session path and ends with a slash', () => {
  assert.equal(
    sessionClientUrl('/user/alice/', 41223, 'sessions/41223/'),
    '/user/alice/firefox-launcher/sessions/41223/'
  );
  assert.equal(
    sessionClientUrl('/user/alice/', 41223, 'sessions/41223'),
    '/user/alice/firefox-launcher/sessions/41223/'
  );
});

test('client URL falls back when the path is missing or unsafe', () => {
  const want = '/user/alice/firefox-launcher/sessions/5000/';
  for (const path of [undefined, null, '', '/etc/', 'http://evil/', '../../x/', 'sessions/../../x', '\\\\x']) {
    assert.equal(sessionClientUrl('/user/alice/', 5000, path as string | null | undefined), want, String(path));
  }
});

test('isSafeRelativePath', () => {
  assert.ok(isSafeRelativePath('sessions/1/'));
  assert.ok(!isSafeRelativePath('javascript:alert(1)'));
  assert.ok(!isSafeRelativePath('//host/x'));
  assert.ok(!isSafeRelativePath('a/../b'));
});

test('invalid ports are refused', () => {
  for (const port of [0, -1, 65536, 1.5, NaN]) {
    assert.throws(() => sessionApiUrl('/', port), /invalid session port/);
    assert.throws(() => sessionClientUrl('/', port), /invalid session port/);
  }
});

test('absoluteUrl resolves against the page', () => {
  assert.equal(
    absoluteUrl('/user/alice/firefox-launcher/sessions/1/', 'http://127.0.0.1:8888/user/alice/lab?token=x'),
    'http://127.0.0.1:8888/user/alice/firefox-launcher/sessions/1/'
  );
});

test('the keyboard layout setting goes into the client address, encoded', () => {
  const client = '/user/alice/firefox-launcher/sessions/41223/';
  assert.equal(withClientOptions(client, {}), client);
  assert.equal(withClientOptions(client, { keyboardLayout: '' }), client);
  assert.equal(withClientOptions(client, { keyboardLayout: null }), client);
  assert.equal(withClientOptions(client, { keyboardLayout: 'de' }), `${client}?keyboard_layout=de`);
  assert.equal(withClientOptions(client, { keyboardLayout: ' fr ' }), `${client}?keyboard_layout=fr`);
  assert.equal(withClientOptions(client, { keyboardLayout: 'de(nodeadkeys)' }), `${client}?keyboard_layout=de%28nodeadkeys%29`);
  assert.equal(withClientOptions(client, { keyboardLayout: 'de-CH' }), `${client}?keyboard_layout=de-CH`);
  assert.equal(new URL(withClientOptions(client, { keyboardLayout: 'de(nodeadkeys)' }), 'http://h').searchParams.get('keyboard_layout'), 'de(nodeadkeys)');
  // What the schema refuses is not passed on (nor can it add parameters).
  for (const bad of ['de&server=evil', 'de?x', '../x', 'de fr', 'DE(x)', 'x', 'toolonglayoutname', 'de-', 'de(a b)']) {
    assert.equal(keyboardLayout(bad), null, bad);
    assert.equal(withClientOptions(client, { keyboardLayout: bad }), client, bad);
  }
  assert.equal(keyboardLayout(42), null);
});

test('the schema\'s pattern is the one the code applies', () => {
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  const schema = require('../../../schema/plugin.json');
  const p = schema.properties.keyboardLayout;
  assert.equal(p.type, 'string');
  assert.equal(p.default, '');
  assert.equal(p.pattern, `^$|${KEYBOARD_LAYOUT_PATTERN.source}`);
});

test('an HTML file of the file browser becomes a file:/// URL of its absolute path', () => {
  assert.equal(fileUrl('/home/alice', 'reports/a b#1.html'), 'file:///home/alice/reports/a%20b%231.html');
  assert.equal(fileUrl('/home/alice/', './x.html'), 'file:///home/alice/x.html');
  assert.equal(fileUrl('~', 'work/x.html'), 'file:///~/work/x.html');
  assert.equal(fileUrl('~/work', 'a b.html'), 'file:///~/work/a%20b.html');
  assert.throws(() => fileUrl('', 'x.html'), /absolute path/);
  assert.throws(() => fileUrl('/home/alice', '../bob/x.html'), /absolute path/);
});

test('a typed address gets https:// when it names no scheme', () => {
  assert.equal(typedUrl(' example.org/a '), 'https://example.org/a');
  assert.equal(typedUrl('http://localhost:8787/status'), 'http://localhost:8787/status');
  assert.equal(typedUrl('   '), null);
});
