import { test } from 'node:test';
import assert from 'node:assert/strict';

import { followEvents, IEventList, parseEventList } from '../src/events';
import { eventsApiUrl } from '../src/urls';

test('the events URL follows from an id, or asks where to start', () => {
  assert.equal(eventsApiUrl('/user/a/', null), '/user/a/firefox-launcher/api/events');
  assert.equal(eventsApiUrl('/', 7), '/firefox-launcher/api/events?after=7');
});

test('an answer is read field by field; malformed events are dropped', () => {
  const list = parseEventList({
    last: 4,
    events: [
      { id: 3, type: 'show', port: 41000 },
      { id: 4, type: 'show', port: 70000 },
      { id: '5', type: 'show', port: 1 },
      null
    ]
  });
  assert.deepEqual(list, { last: 4, events: [{ id: 3, type: 'show', port: 41000 }] });
  assert.throws(() => parseEventList({ events: 'x', last: 1 }), /unknown shape/);
  assert.throws(() => parseEventList(null), /unknown shape/);
});

test('the loop shows what came after it started, not before, and survives failures', async () => {
  const answers: (IEventList | Error)[] = [
    { last: 2, events: [{ id: 2, type: 'show', port: 1 }] },
    new Error('sidecar restarting'),
    { last: 4, events: [{ id: 3, type: 'show', port: 2 }, { id: 4, type: 'other', port: 3 }] },
    { last: 5, events: [{ id: 5, type: 'show', port: 4 }] }
  ];
  const asked: (number | null)[] = [];
  const shown: number[] = [];
  const stop = new AbortController();
  await followEvents({
    fetch: async after => {
      asked.push(after);
      const next = answers.shift();
      if (!next) {
        stop.abort();
        return { last: 5, events: [] };
      }
      if (next instanceof Error) {
        throw next;
      }
      return next;
    },
    onShow: port => {
      shown.push(port);
      if (port === 2) {
        throw new Error('that session is gone');
      }
    },
    signal: stop.signal,
    retryMs: 1
  });
  assert.deepEqual(shown, [2, 4], 'the event from before the start (port 1) is not replayed');
  assert.deepEqual(asked, [null, 2, 2, 4, 5]);
});
