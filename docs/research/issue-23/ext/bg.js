// Research 23: the control side of a WebExtension that a native messaging host relays to the sidecar.
let port = null;
function waitLoaded(tabId) {
  return new Promise(resolve => {
    const l = d => { if (d.tabId === tabId && d.frameId === 0) { browser.webNavigation.onCompleted.removeListener(l); resolve(); } };
    browser.webNavigation.onCompleted.addListener(l);
  });
}
async function activeTab() { return (await browser.tabs.query({active: true, lastFocusedWindow: true}))[0]; }
const ops = {
  async tabs() { return (await browser.tabs.query({})).map(t => ({id: t.id, url: t.url, title: t.title, active: t.active, status: t.status, w: t.width, h: t.height})); },
  async goto(m) { const t = m.tabId ?? (await activeTab()).id; const loaded = waitLoaded(t); await browser.tabs.update(t, {url: m.url}); await loaded; const x = await browser.tabs.get(t); return {url: x.url, title: x.title}; },
  async newtab(m) { const t = await browser.tabs.create({url: m.url, active: true}); return t.id; },
  async info(m) { const x = await browser.tabs.get(m.tabId ?? (await activeTab()).id); return {url: x.url, title: x.title, status: x.status}; },
  async eval_isolated(m) { return (await browser.tabs.executeScript(m.tabId ?? (await activeTab()).id, {code: m.code}))[0]; },
  async eval_wrapped(m) { // the page's own realm via the content script's Xray waiver
    const code = `(function(){ const r = window.wrappedJSObject.eval(${JSON.stringify(m.code)}); return JSON.parse(JSON.stringify(r)); })()`;
    return (await browser.tabs.executeScript(m.tabId ?? (await activeTab()).id, {code}))[0]; },
  async eval_main(m) { // scripting.executeScript world MAIN: a func, whose body evals the string in the page
    const r = await browser.scripting.executeScript({target: {tabId: m.tabId ?? (await activeTab()).id}, world: "MAIN", func: src => (0, eval)(src), args: [m.code]});
    return r[0].error ? {error: String(r[0].error)} : r[0].result; },
  async shot(m) { return await browser.tabs.captureVisibleTab(null, {format: m.format || "png", quality: 80}); },
  async shot_tab(m) { return await browser.tabs.captureTab(m.tabId ?? (await activeTab()).id, {format: m.format || "png"}); },
  async resize(m) { const w = await browser.windows.getLastFocused(); await browser.windows.update(w.id, {width: m.width, height: m.height, left: 0, top: 0}); return await browser.windows.get(w.id); },
  async ping() { return "pong"; },
};
function connect() {
  port = browser.runtime.connectNative("fl_r23");
  port.onMessage.addListener(async m => {
    let r;
    try { r = {id: m.id, ok: await ops[m.op](m)}; } catch (e) { r = {id: m.id, error: String(e)}; }
    port.postMessage(r);
  });
  port.onDisconnect.addListener(p => { console.error("native port closed", p.error && p.error.message); setTimeout(connect, 1000); });
  port.postMessage({hello: navigator.userAgent});
}
connect();
