import { test } from 'node:test';
import assert from 'node:assert/strict';

import {
  DownloadTracker,
  downloadMessage,
  IDownload,
  parseDownloads,
  revealPath,
  shortenMiddle
} from '../src/downloads';
import { ISession } from '../src/sessions';

const HOSTILE = '<img src=x onerror=alert(1)>.csv';

function dl(path: string, finished = '2026-11-22T10:00:00Z'): IDownload {
  return { name: path.slice(path.lastIndexOf('/') + 1), path, size: 3, finished_at: finished };
}

function session(port: number, downloads: unknown[], created = '2026-11-22T09:00:00Z'): ISession {
  return { port, status: 'ready', created_at: created, path: `sessions/${port}/`, downloads };
}

test('parseDownloads keeps well-formed entries; the name falls back to the file\'s', () => {
  assert.deepEqual(parseDownloads(undefined), []);
  assert.deepEqual(parseDownloads({ name: 'x' }), []);
  assert.deepEqual(
    parseDownloads([
      { name: 'data.csv', path: '/dl/data.csv', size: 123, finished_at: '2026-11-22T10:00:00Z' },
      { path: '/dl/other.bin' },
      { name: 'rel.csv', path: 'rel.csv' },
      null,
      'x',
      { name: 'no path' }
    ]),
    [
      { name: 'data.csv', path: '/dl/data.csv', size: 123, finished_at: '2026-11-22T10:00:00Z' },
      { name: 'other.bin', path: '/dl/other.bin', size: null, finished_at: '' }
    ]
  );
});

test('the first list is not announced (a reload floods nothing); each later download once', () => {
  const t = new DownloadTracker();
  const old = dl('/dl/old.csv', '2026-11-22T09:00:00Z');
  assert.equal(t.primed, false);
  assert.deepEqual(t.update([session(5001, [old])]), [], 'already there when the page loaded');
  assert.equal(t.primed, true);
  assert.deepEqual(t.update([session(5001, [old])]), [], 'nothing new');

  const a = dl('/dl/a.csv', '2026-11-22T10:01:00Z');
  const b = dl('/dl/b.csv', '2026-11-22T10:02:00Z');
  const fresh = t.update([session(5001, [old, a, b])]);
  assert.deepEqual(fresh.map(f => [f.session.port, f.download.path]), [[5001, '/dl/a.csv'], [5001, '/dl/b.csv']]);
  assert.deepEqual(t.update([session(5001, [old, a, b])]), [], 'told once');

  // A session first seen later: its downloads are new.
  const c = dl('/dl/c.csv', '2026-11-22T10:03:00Z');
  assert.deepEqual(t.update([session(5001, [old, a, b]), session(5002, [c])]).map(f => f.download.path), ['/dl/c.csv']);
  // The same file downloaded again later is another download.
  const again = dl('/dl/a.csv', '2026-11-22T10:09:00Z');
  assert.deepEqual(t.update([session(5001, [old, a, b, again])]).map(f => f.download.finished_at), ['2026-11-22T10:09:00Z']);
  // A session gone from the list and its downloads with it: nothing to say.
  assert.deepEqual(t.update([]), []);
});

test('an empty first list primes too', () => {
  const t = new DownloadTracker();
  assert.deepEqual(t.update([]), []);
  assert.deepEqual(t.update([session(5001, [dl('/dl/a.csv')])]).length, 1);
});

test('revealPath: the file relative to Jupyter\'s root, with a leading slash', () => {
  const roots = ['/home/alice/work', '/data/alice/work'];
  assert.equal(revealPath('/home/alice/work/downloads/data.csv', roots), '/downloads/data.csv');
  assert.equal(revealPath('/data/alice/work/data.csv', roots), '/data.csv', 'under the second root');
  assert.equal(revealPath('/home/alice/work/a:b.csv', roots), '/a:b.csv', 'no first segment is taken for a drive');
  assert.equal(revealPath(`/home/alice/work/dl/${HOSTILE}`, roots), `/dl/${HOSTILE}`);
  assert.equal(revealPath('/anything/x.csv', ['/']), '/anything/x.csv');
});

test('revealPath: outside the root, or not a plain path, gives null', () => {
  const roots = ['/home/alice/work'];
  assert.equal(revealPath('/home/alice/Downloads/data.csv', roots), null);
  assert.equal(revealPath('/home/alice/workshop/data.csv', roots), null, 'a sibling sharing the prefix');
  assert.equal(revealPath('/home/alice/work', roots), null, 'the root itself');
  assert.equal(revealPath('/home/alice/work/../Downloads/x.csv', roots), null, 'climbs out');
  assert.equal(revealPath('/home/alice/work/./x.csv', roots), null, 'not plain');
  assert.equal(revealPath('work/x.csv', roots), null, 'relative');
  assert.equal(revealPath('/home/alice/work/x.csv', []), null, 'no root known');
});

test('downloadMessage names the file as cleaned text; outside the root it says where', () => {
  assert.equal(downloadMessage(dl('/home/alice/work/dl/data.csv'), '/dl/data.csv'), 'Firefox downloaded data.csv');
  assert.equal(downloadMessage(dl('/home/alice/Downloads/data.csv'), null), 'Firefox downloaded data.csv to /home/alice/Downloads/data.csv');
  // Markup stays characters (the notification shows text); controls and
  // reordering characters go, so a name cannot fake another line or direction.
  assert.equal(downloadMessage(dl(`/w/${HOSTILE}`), `/${HOSTILE}`), `Firefox downloaded ${HOSTILE}`);
  assert.equal(downloadMessage({ ...dl('/w/x'), name: 'a\nb\u202Efdp.exe' }, '/x'), 'Firefox downloaded a bfdp.exe');
  assert.equal(downloadMessage({ ...dl('/w/x'), name: '' }, '/x'), 'Firefox downloaded a file');
  // Short enough for JupyterLab, which cuts messages at 140 characters.
  const long = dl(`/home/alice/${'d'.repeat(120)}/${'n'.repeat(200)}.csv`);
  const m = downloadMessage(long, null);
  assert.ok(Array.from(m).length <= 140, `${Array.from(m).length}: ${m}`);
  assert.ok(m.endsWith('.csv'), 'the end of the path (the file) is kept');
});

test('shortenMiddle keeps both ends', () => {
  assert.equal(shortenMiddle('/short/path', 70), '/short/path');
  const s = shortenMiddle('/' + 'a'.repeat(50) + '/' + 'b'.repeat(50), 20);
  assert.equal(Array.from(s).length, 20);
  assert.ok(s.startsWith('/aaaaa') && s.endsWith('bbbbb') && s.includes('\u2026'));
});
