import { test } from 'node:test';
import assert from 'node:assert/strict';

import {
  asClipboardMode,
  asProfile,
  clipboardIntoFirefox,
  jupyterRoots,
  normalizeAbsolute,
  resolveDownloadsDir,
  startRequestBody
} from '../src/options';

test('request body: only the fields that are set, the address trimmed', () => {
  assert.deepEqual(startRequestBody(), {});
  assert.deepEqual(startRequestBody({ url: '  ', profile: null, clipboard: null, downloads: '' }), {});
  assert.deepEqual(startRequestBody({ url: ' https://example.org/ ' }), { url: 'https://example.org/' });
  assert.deepEqual(
    startRequestBody({
      url: 'https://example.org/',
      profile: 'persistent',
      clipboard: 'from-firefox',
      downloads: '/home/alice/work/downloads'
    }),
    {
      url: 'https://example.org/',
      profile: 'persistent',
      clipboard: 'from-firefox',
      downloads: '/home/alice/work/downloads'
    }
  );
  assert.deepEqual(startRequestBody({ profile: 'temporary', clipboard: 'off' }), { profile: 'temporary', clipboard: 'off' });
  // The exact JSON (key order too) the sidecar gets.
  assert.equal(JSON.stringify(startRequestBody({ clipboard: 'both', profile: 'persistent' })), '{"profile":"persistent","clipboard":"both"}');
});

test('request body: sound is sent only to turn it off', () => {
  assert.deepEqual(startRequestBody({ audio: false }), { audio: false });
  assert.deepEqual(startRequestBody({ audio: true }), {});
  assert.deepEqual(startRequestBody({ audio: null }), {});
  assert.equal(JSON.stringify(startRequestBody({ clipboard: 'off', audio: false })), '{"clipboard":"off","audio":false}');
});

test('request body: values the sidecar does not know are not sent; a relative folder is refused', () => {
  const body = startRequestBody({ profile: 'forever' as never, clipboard: 'sideways' as never });
  assert.deepEqual(body, {});
  assert.throws(() => startRequestBody({ downloads: 'downloads' }), /must be an absolute path: downloads/);
});

test('setting values: profiles and clipboard directions', () => {
  assert.equal(asProfile('persistent'), 'persistent');
  assert.equal(asProfile('temporary'), 'temporary');
  assert.equal(asProfile('Persistent'), null);
  assert.equal(asProfile(undefined), null);
  assert.deepEqual(['both', 'to-firefox', 'from-firefox', 'off', 'on', 1].map(asClipboardMode), ['both', 'to-firefox', 'from-firefox', 'off', null, null]);
  assert.deepEqual(['both', 'to-firefox', 'from-firefox', 'off', undefined].map(clipboardIntoFirefox), [true, true, false, false, false]);
});

test('normalizeAbsolute resolves dots and slashes, refuses relative paths', () => {
  assert.equal(normalizeAbsolute('/home/alice/./work//dl/'), '/home/alice/work/dl');
  assert.equal(normalizeAbsolute('/home/alice/work/../dl'), '/home/alice/dl');
  assert.equal(normalizeAbsolute('/../..'), '/');
  assert.equal(normalizeAbsolute('/'), '/');
  assert.equal(normalizeAbsolute('home/alice'), null);
  assert.equal(normalizeAbsolute(''), null);
  assert.equal(normalizeAbsolute('/a\0b'), null);
});

test('jupyterRoots: serverRoot when absolute, then rootUri; ~ is not a root', () => {
  assert.deepEqual(jupyterRoots('/srv/notebooks', 'file:///srv/notebooks'), ['/srv/notebooks']);
  assert.deepEqual(jupyterRoots('/home/alice', 'file:///data/home/alice'), ['/home/alice', '/data/home/alice']);
  // Jupyter writes a root under $HOME as ~/...: jupyter-lsp's rootUri says where it is.
  assert.deepEqual(jupyterRoots('~/work', 'file:///home/alice/work%20dir'), ['/home/alice/work dir']);
  assert.deepEqual(jupyterRoots('~/work', ''), []);
  assert.deepEqual(jupyterRoots(undefined, 'http://example.org/x'), []);
  assert.deepEqual(jupyterRoots('', 'file://otherhost/x'), []);
  assert.deepEqual(jupyterRoots('', 'not a url'), []);
});

test('downloadsDir: empty is the service default; relative from Jupyter\'s root; absolute kept', () => {
  const roots = ['/home/alice/work'];
  assert.equal(resolveDownloadsDir('', roots), null);
  assert.equal(resolveDownloadsDir('   ', roots), null);
  assert.equal(resolveDownloadsDir(undefined, roots), null);
  assert.equal(resolveDownloadsDir('downloads', roots), '/home/alice/work/downloads');
  assert.equal(resolveDownloadsDir(' data/raw/ ', roots), '/home/alice/work/data/raw');
  assert.equal(resolveDownloadsDir('./dl', roots), '/home/alice/work/dl');
  assert.equal(resolveDownloadsDir('../shared', roots), '/home/alice/shared');
  assert.equal(resolveDownloadsDir('/tmp/dl/', roots), '/tmp/dl');
  assert.equal(resolveDownloadsDir('/tmp/dl', []), '/tmp/dl', 'absolute needs no root');
});

test('downloadsDir that cannot be made absolute fails in words', () => {
  assert.throws(() => resolveDownloadsDir('downloads', []), /"downloads" is relative, and Jupyter's root directory is not known here/);
  assert.throws(() => resolveDownloadsDir('~/Downloads', ['/home/alice']), /starts with ~/);
  assert.throws(() => resolveDownloadsDir('~', ['/home/alice']), /starts with ~/);
});
