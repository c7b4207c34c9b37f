import { test } from 'node:test';
import assert from 'node:assert/strict';

import { clipboardAdvice, clipboardReadPermission, dismissKey } from '../src/clipboard';

const none = () => false;

test('asks only when text may go into Firefox and the browser would prompt', () => {
  assert.equal(clipboardAdvice('both', 'prompt', none), 'ask');
  assert.equal(clipboardAdvice('to-firefox', 'prompt', none), 'ask');
  assert.equal(clipboardAdvice('from-firefox', 'prompt', none), null, 'nothing is pasted into Firefox');
  assert.equal(clipboardAdvice('off', 'prompt', none), null);
  assert.equal(clipboardAdvice(undefined, 'prompt', none), null, 'a sidecar that does not say');
  assert.equal(clipboardAdvice('both', 'granted', none), null);
  assert.equal(clipboardAdvice('both', null, none), null, 'Firefox/Safari: the browser asks on paste');
});

test('a refused permission is explained; each bar dismissed stays dismissed', () => {
  assert.equal(clipboardAdvice('both', 'denied', none), 'denied');
  assert.equal(clipboardAdvice('from-firefox', 'denied', none), null);
  const dismissed = new Set(['ask']);
  const was = (a: string) => dismissed.has(a);
  assert.equal(clipboardAdvice('both', 'prompt', was), null);
  assert.equal(clipboardAdvice('both', 'denied', was), 'denied', 'dismissing the question does not hide the refusal');
  assert.notEqual(dismissKey('ask'), dismissKey('denied'));
});

test('the permission query: its state, or null when the browser does not know it', async () => {
  const nav = (state: string) => ({ permissions: { query: async () => ({ state }) } });
  assert.equal(await clipboardReadPermission(nav('prompt')), 'prompt');
  assert.equal(await clipboardReadPermission(nav('denied')), 'denied');
  assert.equal(await clipboardReadPermission(nav('granted')), 'granted');
  assert.equal(await clipboardReadPermission(nav('weird')), null);
  const throws = {
    permissions: {
      query: async () => {
        throw new TypeError("'clipboard-read' (value of 'name' member of PermissionDescriptor) is not a valid value");
      }
    }
  };
  assert.equal(await clipboardReadPermission(throws), null);
  assert.equal(await clipboardReadPermission({}), null);
  assert.equal(await clipboardReadPermission(undefined), null);
});
