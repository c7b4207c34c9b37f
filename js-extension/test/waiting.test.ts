import { afterEach, test } from 'node:test';
import assert from 'node:assert/strict';
import { resolveObjectURL } from 'node:buffer';

import {
  IWaitingWindow,
  scriptLiteral,
  waitingPageHtml,
  WaitingTab
} from '../src/waiting';

const ORIGIN = 'http://127.0.0.1:8888';
const PREFIX = '/user/alice/firefox-launcher/';
const CLIENT = `${ORIGIN}${PREFIX}sessions/41223/`;

/** A browser tab as the waiting page sees it. */
class FakeTab implements IWaitingWindow {
  replaced: string[] = [];
  closed = false;
  document = { title: '', body: { textContent: 'Starting Firefox…' as string | null } };
  location = {
    origin: ORIGIN,
    replace: (url: string) => {
      this.replaced.push(url);
    }
  };
  close(): void {
    this.closed = true;
  }
  pagehide: (() => void)[] = [];
  addEventListener(type: 'pagehide', listener: () => void): void {
    this.pagehide.push(listener);
  }
  /** The person closes the tab. */
  closeByHand(): void {
    this.closed = true;
    this.pagehide.forEach(f => f());
  }
}

// A browser closes a page's channel when it navigates away; here the test does.
const pageChannels: BroadcastChannel[] = [];
afterEach(() => {
  pageChannels.splice(0).forEach(c => c.close());
});

/** The `<script>` of the waiting page, run in `tab` as a browser would. */
function runPage(html: string, tab: FakeTab): void {
  const scripts = [...html.matchAll(/<script>([\s\S]*?)<\/script>/g)];
  assert.equal(scripts.length, 1, 'one inline script');
  const body = scripts[0][1].trim().replace(/;$/, '');
  pageChannels.push(new Function('window', `return ${body}`)(tab));
}

/** A WaitingTab whose window.open loads the page (from its blob) into a fake tab. */
async function openWaiting(options: { delayMs?: number; load?: boolean; timeoutMs?: number } = {}) {
  const tab = new FakeTab();
  const opened: { url: string; target: string; features: string }[] = [];
  let loaded: Promise<void> = Promise.resolve();
  const waiting = new WaitingTab({
    allowedPrefix: PREFIX,
    answerTimeoutMs: options.timeoutMs ?? 2000,
    open: (url, target, features) => {
      opened.push({ url, target, features });
      if (options.load === false) {
        return null;
      }
      loaded = (async () => {
        await new Promise(r => setTimeout(r, options.delayMs ?? 0));
        const blob = resolveObjectURL(url);
        assert.ok(blob, `${url} resolves while the tab loads it`);
        const html = await blob.text();
        runPage(html, tab);
      })();
      return null;
    }
  });
  return { waiting, tab, opened, loaded: () => loaded };
}

/** Let channel messages be delivered. */
const settle = (ms = 50) => new Promise(r => setTimeout(r, ms));

test('the tab is opened at once, on a blob: page, with noopener and noreferrer', async () => {
  const { waiting, opened, tab, loaded } = await openWaiting();
  assert.equal(opened.length, 1);
  assert.match(opened[0].url, /^blob:/);
  assert.equal(opened[0].target, '_blank');
  assert.deepEqual(opened[0].features.split(',').sort(), ['noopener', 'noreferrer']);
  await loaded();
  await settle();
  assert.ok(waiting.answered, 'the page said hello');
  assert.equal(tab.document.body.textContent, 'Starting Firefox…');
  waiting.dispose();
});

test('go: the page goes to the client and says so', async () => {
  const { waiting, tab, loaded } = await openWaiting();
  await loaded();
  assert.equal(await waiting.go(CLIENT), true);
  assert.deepEqual(tab.replaced, [CLIENT]);
});

test('go before the page has loaded: it is told again when it says hello', async () => {
  const { waiting, tab } = await openWaiting({ delayMs: 200 });
  assert.equal(await waiting.go(CLIENT), true);
  assert.deepEqual(tab.replaced, [CLIENT]);
});

test('the page goes nowhere but a sidecar address of its own origin', async () => {
  for (const url of [
    'http://evil.example/user/alice/firefox-launcher/sessions/1/',
    'http://127.0.0.1:9999/user/alice/firefox-launcher/sessions/1/',
    `${ORIGIN}/user/alice/lab`,
    `${ORIGIN}/user/bob/firefox-launcher/sessions/1/`,
    'javascript:alert(1)',
    `http://alice:pw@127.0.0.1:8888${PREFIX}sessions/1/`,
    'not a url'
  ]) {
    const { waiting, tab, loaded } = await openWaiting({ timeoutMs: 300 });
    await loaded();
    assert.equal(await waiting.go(url), false, url);
    assert.deepEqual(tab.replaced, [], url);
  }
});

test('no page answers (closed, or its script forbidden): go resolves false', async () => {
  const { waiting } = await openWaiting({ load: false, timeoutMs: 300 });
  const t0 = Date.now();
  assert.equal(await waiting.go(CLIENT), false);
  assert.ok(Date.now() - t0 >= 250);
  assert.equal(waiting.answered, false);
});

test('a tab closed by hand says bye: go resolves false at once, before or during the wait', async () => {
  {
    const { waiting, tab, loaded } = await openWaiting({ timeoutMs: 5000 });
    await loaded();
    tab.closeByHand();
    await settle();
    const t0 = Date.now();
    assert.equal(await waiting.go(CLIENT), false);
    assert.ok(Date.now() - t0 < 1000, 'no wait for an answer');
    assert.deepEqual(tab.replaced, []);
  }
  {
    const { waiting, tab, loaded } = await openWaiting({ delayMs: 100, timeoutMs: 5000 });
    const t0 = Date.now();
    const going = waiting.go(`${ORIGIN}/elsewhere/`);
    await loaded();
    tab.closeByHand();
    assert.equal(await going, false);
    assert.ok(Date.now() - t0 < 1000, 'no wait for an answer');
  }
});

test('leaving for the client is not a bye', async () => {
  const { waiting, tab, loaded } = await openWaiting();
  await loaded();
  assert.equal(await waiting.go(CLIENT), true);
  tab.closeByHand();
  assert.deepEqual(tab.replaced, [CLIENT]);
});

test('fail: the page shows the error as text and closes itself', async () => {
  const { waiting, tab, loaded } = await openWaiting({ timeoutMs: 100 });
  await loaded();
  waiting.fail('Could not start Firefox: <b>no</b>');
  await settle();
  assert.equal(tab.document.body.textContent, 'Could not start Firefox: <b>no</b>');
  assert.ok(tab.closed);
  assert.deepEqual(tab.replaced, []);
  await settle(150);
});

test('the page script survives any prefix: literals cannot close the script element', () => {
  const nasty = '/x/</script><script>alert(1)</script><!--\u2028';
  const html = waitingPageHtml('chan', nasty);
  assert.equal(html.split('</script>').length, 2, 'only the closing tag of our script');
  assert.ok(!html.includes('<!--'));
  assert.equal(JSON.parse(scriptLiteral(nasty)), nasty);
  // And it still runs.
  runPage(html, new FakeTab());
});
