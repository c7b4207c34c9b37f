import { test } from 'node:test';
import assert from 'node:assert/strict';

import {
  cleanTitle,
  clientMessage,
  CONNECTION_MESSAGE,
  LABEL_CHARS,
  MAX_TITLE_CHARS,
  pageTitle,
  sessionName,
  shortenTitle,
  tabCaption,
  tabLabel,
  TITLE_MESSAGE
} from '../src/client';

const ORIGIN = 'http://127.0.0.1:8888';
/** Stand-ins for windows: only their identity matters. */
const frame = { name: 'the tab iframe' };
const other = { name: 'another frame' };

const from = (source: unknown, data: unknown, origin = ORIGIN) => ({ source, origin, data });

test('messages from the tab\'s own client are read', () => {
  assert.deepEqual(
    clientMessage(from(frame, { type: TITLE_MESSAGE, title: 'Example Domain' }), frame, ORIGIN),
    { kind: 'title', title: 'Example Domain' }
  );
  assert.deepEqual(
    clientMessage(from(frame, { type: CONNECTION_MESSAGE, state: 'lost' }), frame, ORIGIN),
    { kind: 'connection', state: 'lost' }
  );
  assert.deepEqual(
    clientMessage(from(frame, { type: CONNECTION_MESSAGE, state: 'established' }), frame, ORIGIN),
    { kind: 'connection', state: 'established' }
  );
  assert.deepEqual(
    clientMessage(from(frame, { type: CONNECTION_MESSAGE, state: 'closed' }), frame, ORIGIN),
    { kind: 'connection', state: 'closed' }
  );
  // Markup stays a string: showing it as text is the caller's job.
  assert.deepEqual(
    clientMessage(from(frame, { type: TITLE_MESSAGE, title: '<img src=x onerror=alert(1)>' }), frame, ORIGIN),
    { kind: 'title', title: '<img src=x onerror=alert(1)>' }
  );
});

test('a message from another window is ignored', () => {
  const data = { type: TITLE_MESSAGE, title: 'spoofed' };
  assert.equal(clientMessage(from(other, data), frame, ORIGIN), null, 'another frame');
  assert.equal(clientMessage(from(null, data), frame, ORIGIN), null, 'no source');
  assert.equal(clientMessage(from(undefined, data), frame, ORIGIN), null, 'no source');
  // A tab whose iframe has no window (detached) believes nothing, not even a null source.
  assert.equal(clientMessage(from(null, data), null, ORIGIN), null, 'no frame window');
  assert.equal(clientMessage(from(undefined, data), undefined, ORIGIN), null, 'no frame window');
});

test('a message from another origin is ignored', () => {
  const data = { type: CONNECTION_MESSAGE, state: 'lost' };
  assert.equal(clientMessage(from(frame, data, 'http://127.0.0.1:9999'), frame, ORIGIN), null, 'another port');
  assert.equal(clientMessage(from(frame, data, 'https://127.0.0.1:8888'), frame, ORIGIN), null, 'another scheme');
  assert.equal(clientMessage(from(frame, data, 'http://evil.example'), frame, ORIGIN), null, 'another host');
  assert.equal(clientMessage(from(frame, data, 'null'), frame, ORIGIN), null, 'an opaque origin');
  assert.equal(clientMessage(from(frame, data, 'null'), frame, 'null'), null, 'opaque on both sides');
  assert.equal(clientMessage(from(frame, data, ''), frame, ORIGIN), null, 'no origin');
});

test('a message of the wrong shape is ignored', () => {
  const bad: unknown[] = [
    null,
    undefined,
    'firefox-launcher:title',
    42,
    [TITLE_MESSAGE, 'x'],
    {},
    { type: TITLE_MESSAGE },
    { type: TITLE_MESSAGE, title: 42 },
    { type: TITLE_MESSAGE, title: null },
    { type: TITLE_MESSAGE, title: { toString: () => 'x' } },
    { type: 'firefox-launcher:titles', title: 'x' },
    { type: 'title', title: 'x' },
    { type: CONNECTION_MESSAGE },
    { type: CONNECTION_MESSAGE, state: 'gone' },
    { type: CONNECTION_MESSAGE, state: 'LOST' },
    { type: CONNECTION_MESSAGE, state: true },
    { type: 'webpackOk' }
  ];
  for (const data of bad) {
    assert.equal(clientMessage(from(frame, data), frame, ORIGIN), null, JSON.stringify(data) ?? String(data));
  }
});

test('a huge title is cut before it is kept', () => {
  const m = clientMessage(from(frame, { type: TITLE_MESSAGE, title: 'x'.repeat(1_000_000) }), frame, ORIGIN);
  assert.equal(m?.kind === 'title' && m.title.length, MAX_TITLE_CHARS);
});

test('shortenTitle keeps short titles and cuts long ones to 40 characters with an ellipsis', () => {
  assert.equal(LABEL_CHARS, 40);
  assert.equal(shortenTitle('Example Domain'), 'Example Domain');
  const exact = 'a'.repeat(40);
  assert.equal(shortenTitle(exact), exact, '40 characters fit');
  const long = 'The quick brown fox jumps over the lazy dog, again and again';
  const short = shortenTitle(long);
  assert.equal([...short].length, 40);
  assert.ok(short.endsWith('…'));
  assert.equal(short, 'The quick brown fox jumps over the lazy…');
  assert.ok(long.startsWith(short.slice(0, -1)));
  assert.equal(shortenTitle('a'.repeat(41)), 'a'.repeat(39) + '…');
  // No space before the ellipsis.
  assert.equal(shortenTitle('word '.repeat(20), 10), 'word word…');
  assert.equal(shortenTitle('abcdef', 4), 'abc…');
});

test('shortenTitle never splits a character', () => {
  const emoji = '🦊'.repeat(50);
  const short = shortenTitle(emoji);
  assert.equal(short, '🦊'.repeat(39) + '…');
  const family = '👩‍👩‍👧'.repeat(45);
  assert.equal(shortenTitle(family), '👩‍👩‍👧'.repeat(39) + '…', 'a joined emoji counts as one');
  const accents = 'e\u0301'.repeat(45);
  assert.equal(shortenTitle(accents), 'e\u0301'.repeat(39) + '…', 'a combining accent stays with its letter');
});

test('titles lose control and reordering characters', () => {
  assert.equal(cleanTitle('  a\tb\nc\r\n  d  '), 'a b c d');
  assert.equal(cleanTitle('a\u0000b\u001bc\u007fd\u0085e'), 'a b c d e');
  assert.equal(cleanTitle('a\u2028b\u2029c'), 'a b c');
  // RIGHT-TO-LEFT OVERRIDE would show "gpj.exe" as "exe.jpg".
  assert.equal(cleanTitle('invoice\u202Egpj.exe'), 'invoicegpj.exe');
  assert.equal(cleanTitle('\u2066a\u2069\u200e\u200f\u061cb'), 'ab');
  // Joiners are part of emoji and scripts: kept.
  assert.equal(cleanTitle('👩‍👩‍👧'), '👩‍👩‍👧');
  assert.equal(shortenTitle('\u202E' + 'x'.repeat(60)).startsWith('x'), true);
});

test('the page title comes out of Firefox\'s window title', () => {
  assert.equal(pageTitle('Example Domain — Mozilla Firefox'), 'Example Domain');
  assert.equal(pageTitle('Example Domain - Mozilla Firefox'), 'Example Domain');
  assert.equal(pageTitle('Example Domain — Mozilla Firefox ESR'), 'Example Domain');
  assert.equal(pageTitle('Mozilla Firefox'), '');
  assert.equal(pageTitle(''), '');
  assert.equal(pageTitle(null), '');
  assert.equal(pageTitle(undefined), '');
  assert.equal(pageTitle('Mozilla Firefox fan club'), 'Mozilla Firefox fan club');
});

test('tab label, caption and session name', () => {
  assert.equal(tabLabel('Example Domain — Mozilla Firefox', 41223), 'Example Domain');
  assert.equal(tabLabel('', 41223), 'Firefox :41223');
  assert.equal(tabLabel('Mozilla Firefox', 41223), 'Firefox :41223');
  assert.equal([...tabLabel('x'.repeat(100), 1)].length, 40);
  assert.equal(
    tabCaption('A title that is much longer than forty characters, in full — Mozilla Firefox', 'https://example.org/', 41223),
    'A title that is much longer than forty characters, in full — Mozilla Firefox\nhttps://example.org/\nFirefox session :41223'
  );
  assert.equal(tabCaption('', null, 7), 'Firefox session :7');
  assert.equal(sessionName({ port: 7, title: 'Page — Mozilla Firefox', url: 'https://a/' }), 'Page');
  assert.equal(sessionName({ port: 7, title: 'Mozilla Firefox', url: 'https://a/' }), 'https://a/');
  assert.equal(sessionName({ port: 7, title: null, url: null }), 'Firefox :7');
});
