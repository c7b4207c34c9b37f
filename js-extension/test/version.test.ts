import { test } from 'node:test';
import assert from 'node:assert/strict';

import { EXTENSION_VERSION, versionMismatch } from '../src/version';

test('the same version, or none named, is no mismatch', () => {
  assert.equal(versionMismatch({ version: EXTENSION_VERSION }), null);
  assert.equal(versionMismatch({}), null);
  assert.equal(versionMismatch(null), null);
  assert.equal(versionMismatch({ version: 7 }), null);
});

test('another sidecar version is named, cleaned, with what to do', () => {
  const text = versionMismatch({ version: '0.2.0<script>' }, '0.1.0');
  assert.ok(text);
  assert.match(text, /^The Firefox sidecar is version 0\.2\.0script, but this JupyterLab extension is 0\.1\.0/);
  assert.match(text, /Reinstall jupyterlab-firefox-launcher/);
});
