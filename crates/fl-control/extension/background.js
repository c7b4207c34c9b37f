// firefox-launcher's control channel, inside the session's Firefox.
//
// The sidecar (its authenticated API) sends commands through the native messaging host, which
// relays a unix socket in the session's private directory: no page can reach this (no content
// scripts, no externally_connectable, nothing web-accessible), nor can another local user.
// Each message is {id, op, ...}; each answer {id, ok: true, result} or {id, ok: false, error}.
"use strict";

const HOST = "firefox_launcher_control";
/** How long a navigation may take before its listeners are dropped (the sidecar gives up sooner). */
const NAVIGATION_LIMIT_MS = 120000;
/** NS_BINDING_ABORTED: the load that ours replaced, not ours. */
const ABORTED = "Error code 2152398850";

async function activeTab() {
  const [focused] = await browser.tabs.query({ active: true, lastFocusedWindow: true });
  if (focused) return focused;
  const [any] = await browser.tabs.query({ active: true });
  if (!any) throw new Error("Firefox has no tab open");
  return any;
}

function pageOf(tab) {
  return { url: tab.url, title: tab.title, loading: tab.status === "loading" };
}

/** Resolves when the tab's top frame has loaded after `start()`, rejects when it failed. */
function navigation(tabId, start) {
  return new Promise((resolve, reject) => {
    const done = (f) => (details) => {
      if (details.tabId !== tabId || details.frameId !== 0) return;
      stop();
      f(details);
    };
    const completed = done(() => resolve());
    const failedAt = done((d) => reject(new Error(`loading ${d.url} failed: ${d.error}`)));
    const failed = (details) => {
      if (details.error !== ABORTED) failedAt(details);
    };
    const timer = setTimeout(() => {
      stop();
      reject(new Error("the page did not finish loading"));
    }, NAVIGATION_LIMIT_MS);
    function stop() {
      clearTimeout(timer);
      browser.webNavigation.onCompleted.removeListener(completed);
      browser.webNavigation.onErrorOccurred.removeListener(failed);
    }
    browser.webNavigation.onCompleted.addListener(completed);
    browser.webNavigation.onErrorOccurred.addListener(failed);
    start().catch((e) => {
      stop();
      reject(e);
    });
  });
}

/** Runs in the page's own world: page globals are visible; the value crosses as JSON text. */
async function pageEval(source) {
  const value = await (0, eval)(source);
  return value === undefined ? "null" : JSON.stringify(value);
}

function isCspRefusal(error) {
  const text = String((error && error.message) || error);
  return /EvalError|Content Security Policy|CSP/i.test(text);
}

async function evaluate(tabId, source) {
  const [injection] = await browser.scripting.executeScript({ target: { tabId }, world: "MAIN", func: pageEval, args: [source] });
  if (injection && injection.error === undefined) {
    return { value: JSON.parse(injection.result === undefined ? "null" : injection.result), world: "page" };
  }
  const error = injection ? injection.error : new Error("the page ran nothing");
  if (!isCspRefusal(error)) throw error;
  // The page's CSP forbids eval there: its DOM is still shared with the extension's own world.
  const [value] = await browser.tabs.executeScript(tabId, { code: source });
  return { value: JSON.parse(JSON.stringify(value === undefined ? null : value)), world: "isolated" };
}

const OPS = {
  async page() {
    return pageOf(await activeTab());
  },
  async goto(message) {
    if (typeof message.url !== "string") throw new Error("goto needs a url");
    const tab = await activeTab();
    await navigation(tab.id, () => browser.tabs.update(tab.id, { url: message.url }));
    return pageOf(await browser.tabs.get(tab.id));
  },
  async evaluate(message) {
    if (typeof message.source !== "string") throw new Error("evaluate needs a source");
    return evaluate((await activeTab()).id, message.source);
  },
  async screenshot() {
    const tab = await activeTab();
    const url = await browser.tabs.captureVisibleTab(tab.windowId, { format: "png" });
    return { png: url.slice(url.indexOf(",") + 1) };
  },
};

async function answer(message) {
  const id = message && message.id;
  try {
    const op = message && Object.prototype.hasOwnProperty.call(OPS, message.op) ? OPS[message.op] : null;
    if (!op) throw new Error(`unknown operation ${JSON.stringify(message && message.op)}`);
    return { id, ok: true, result: await op(message) };
  } catch (e) {
    return { id, ok: false, error: String((e && e.message) || e) };
  }
}

function connect() {
  const port = browser.runtime.connectNative(HOST);
  port.onMessage.addListener((message) => {
    answer(message).then((reply) => {
      try {
        port.postMessage(reply);
      } catch (e) {
        // the host is gone; onDisconnect reconnects
      }
    });
  });
  // The host ends with Firefox; if it ended alone, start it again.
  port.onDisconnect.addListener(() => setTimeout(connect, 1000));
}

connect();
