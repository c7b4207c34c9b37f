/**
 * The window model against the packets Xpra 3.1 and 6.5 send (3.1's byte strings included): the
 * fill choice, dialogs kept inside the page, stacking and focus, and the bounds against a hostile
 * server. No DOM: the model is plain data in, packets and changes out.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { DisplayModel, type DisplayChange } from "../src/display/model.js";
import { DISPLAY_LIMITS } from "../src/display/geometry.js";
import type { Encodable, Value } from "../src/protocol/values.js";

const enc = new TextEncoder();
const DESK = { w: 1600, h: 1000 };

function setup(now = () => 0) {
  const sent: Encodable[][] = [];
  const changes: DisplayChange[] = [];
  const model = new DisplayModel(DESK, { send: (p) => sent.push(p), changed: (c) => changes.push(c) }, { now });
  return { model, sent, changes };
}

function meta(entries: Record<string, Value>): Map<string, Value> {
  return new Map(Object.entries(entries));
}

const normal = (wid: number, x: number, y: number, w: number, h: number, m: Record<string, Value> = {}): Value[] =>
  ["new-window", wid, x, y, w, h, meta({ "window-type": ["NORMAL"], ...m })];

test("the first normal window fills the page and is mapped at the page's size", () => {
  const { model, sent, changes } = setup();
  model.handle(normal(1, 10, 20, 800, 600, { title: "Mozilla Firefox" }));
  const win = model.get(1)!;
  assert.equal(win.fills, true);
  assert.deepEqual([win.x, win.y, win.w, win.h], [0, 0, 1600, 1000]);
  assert.deepEqual(sent[0], ["map-window", 1, 0, 0, 1600, 1000, {}]);
  assert.deepEqual(sent[1], ["focus", 1, []]);
  assert.deepEqual(changes.filter((c) => c.kind === "title"), [{ kind: "title", title: "Mozilla Firefox" }]);
});

test("3.1's byte strings: window type and title as bytes read as text", () => {
  const { model, changes } = setup();
  model.handle(["new-window", 7, 0, 0, 300, 200, new Map<string, Value>([
    ["window-type", [enc.encode("DIALOG")]],
    ["title", enc.encode("Datei hochladen \u2014 \u00e4")],
  ])]);
  const win = model.get(7)!;
  assert.equal(win.windowType, "DIALOG");
  assert.equal(win.title, "Datei hochladen \u2014 \u00e4");
  assert.equal(win.fills, false, "a dialog never fills");
  assert.equal(changes.some((c) => c.kind === "title"), false, "only the filling window titles the page");
});

test("a transient window or a dialog arriving first does not fill; the normal one after it does", () => {
  const { model } = setup();
  model.handle(["new-window", 1, 0, 0, 300, 200, meta({ "transient-for": 99 })]);
  model.handle(normal(2, 0, 0, 300, 200, { "window-type": ["DIALOG"] }));
  model.handle(normal(3, 0, 0, 300, 200));
  assert.deepEqual(model.list().filter((w) => w.fills).map((w) => w.wid), [3]);
});

test("a second normal window, a transient and an override-redirect window do not fill", () => {
  const { model } = setup();
  model.handle(normal(1, 0, 0, 800, 600));
  model.handle(normal(2, 100, 100, 400, 300));
  model.handle(normal(3, 100, 100, 400, 300, { "transient-for": 1 }));
  model.handle(["new-override-redirect", 4, 5, 6, 100, 50, meta({})]);
  assert.deepEqual(model.list().filter((w) => w.fills).map((w) => w.wid), [1]);
  assert.deepEqual([model.get(4)!.x, model.get(4)!.y, model.get(4)!.w], [5, 6, 100], "popups keep their geometry");
});

test("a dialog larger than the page or outside it is moved and shrunk into it, and the server told", () => {
  const { model, sent } = setup();
  model.handle(normal(1, 0, 0, 800, 600));
  sent.length = 0;
  model.handle(normal(2, 1500, 900, 2000, 400, { "transient-for": 1, "set-initial-position": true }));
  const w = model.get(2)!;
  assert.deepEqual([w.x, w.y, w.w, w.h], [0, 600, 1600, 400]);
  assert.deepEqual(sent[0], ["map-window", 2, 0, 600, 1600, 400, {}]);
  sent.length = 0;
  model.handle(["window-move-resize", 2, -50, 990, 300, 200]);
  assert.deepEqual([w.x, w.y, w.w, w.h], [0, 800, 300, 200]);
  assert.deepEqual(sent, [["configure-window", 2, 0, 800, 300, 200, {}]]);
  // Control: a move that stays inside is taken as it is and sends nothing back.
  sent.length = 0;
  model.handle(["window-move-resize", 2, 40, 50, 300, 200]);
  assert.deepEqual([w.x, w.y], [40, 50]);
  assert.deepEqual(sent, []);
});

test("a window that insists on being too large is corrected only a few times", () => {
  const { model, sent } = setup();
  model.handle(normal(1, 0, 0, 800, 600));
  model.handle(normal(2, 0, 0, 300, 300, { "transient-for": 1 }));
  sent.length = 0;
  for (let i = 0; i < 20; i++) model.handle(["window-resized", 2, 5000, 300]);
  const configures = sent.filter((p) => p[0] === "configure-window").length;
  assert.ok(configures >= 1 && configures <= 3, `configures: ${configures}`);
});

test("the filling window follows the page's size, the dialogs stay inside", () => {
  const { model, sent } = setup();
  model.handle(normal(1, 0, 0, 800, 600));
  model.handle(normal(2, 1000, 700, 500, 250, { "transient-for": 1, "set-initial-position": true }));
  sent.length = 0;
  model.setDesktop({ w: 900, h: 700 });
  assert.deepEqual(sent, [
    ["configure-window", 1, 0, 0, 900, 700, {}],
    ["configure-window", 2, 400, 450, 500, 250, {}],
  ]);
  // A server that un-maximizes the filling window is put back.
  sent.length = 0;
  model.handle(["window-move-resize", 1, 30, 30, 600, 400]);
  assert.deepEqual(sent, [["configure-window", 1, 0, 0, 900, 700, {}]]);
});

test("stacking: popups above managed windows, a click raises and focuses, raise-window too", () => {
  const { model, sent } = setup();
  model.handle(normal(1, 0, 0, 800, 600));
  model.handle(["new-override-redirect", 9, 10, 10, 100, 100, meta({})]);
  model.handle(normal(2, 100, 100, 300, 200, { "transient-for": 1 }));
  assert.deepEqual(model.list().map((w) => w.wid), [1, 2, 9]);
  sent.length = 0;
  model.focus(1);
  assert.deepEqual(model.list().map((w) => w.wid), [2, 1, 9]);
  assert.deepEqual(sent, [["focus", 1, []]]);
  model.handle(["raise-window", 2]);
  assert.deepEqual(model.list().map((w) => w.wid), [1, 2, 9]);
  assert.equal(model.focusedWindow, 2);
  assert.equal(model.windowAt(150, 150)!.wid, 2, "the top-most window under the point");
  assert.equal(model.windowAt(20, 20)!.wid, 9);
  assert.equal(model.windowAt(700, 500)!.wid, 1);
});

test("lost-window: the focus goes to the top-most managed window; a lost filler hands over", () => {
  const { model, sent, changes } = setup();
  model.handle(normal(1, 0, 0, 800, 600, { title: "one" }));
  model.handle(normal(2, 0, 0, 800, 600, { title: "two" }));
  assert.equal(model.get(2)!.fills, false);
  sent.length = 0;
  changes.length = 0;
  model.handle(["lost-window", 1]);
  assert.equal(model.get(1), undefined);
  assert.equal(model.get(2)!.fills, true);
  assert.deepEqual(sent[0], ["configure-window", 2, 0, 0, 1600, 1000, {}]);
  assert.ok(changes.some((c) => c.kind === "title" && c.title === "two"));
  assert.ok(changes.some((c) => c.kind === "removed" && c.wid === 1));
});

test("window-metadata: the filling window's title titles the page; every window's title labels it; as text, hostile markup included", () => {
  const { model, changes } = setup();
  model.handle(normal(1, 0, 0, 800, 600));
  model.handle(normal(2, 0, 0, 100, 100, { "transient-for": 1 }));
  changes.length = 0;
  const hostile = "<img src=x onerror=alert(1)>\u202e";
  model.handle(["window-metadata", 1, meta({ title: enc.encode(hostile) })]);
  model.handle(["window-metadata", 2, meta({ title: "dialog" })]);
  assert.deepEqual(changes.filter((c) => c.kind === "title"), [{ kind: "title", title: hostile }]);
  const labels = changes.flatMap((c) => (c.kind === "metadata" ? [[c.win.wid, c.win.title]] : []));
  assert.deepEqual(labels, [[1, hostile], [2, "dialog"]]);
});

test("hostile geometry and values: clamped, never thrown", () => {
  const { model } = setup();
  model.handle(["new-window", 1, 1e12, -1e12, 10000, 10000, meta({})]);
  const w = model.get(1)!;
  assert.deepEqual([w.x, w.y, w.w, w.h], [0, 0, 1600, 1000], "it fills, whatever it asked");
  model.handle(["new-override-redirect", 2, 2n ** 70n, "x", 1e9, -5, meta({})]);
  const p = model.get(2)!;
  assert.ok(p.x <= 32767 && p.y === 0 && p.w === DISPLAY_LIMITS.maxWindowSide && p.h === 1);
  for (const bad of [["new-window"], ["new-window", "1"], ["window-metadata", 1, 5], ["lost-window"], ["window-resized", 1, null, null]] as Value[][]) {
    assert.doesNotThrow(() => model.handle(bad));
  }
  assert.equal(model.handle(["draw", 1]), false, "not the display's packet");
});

test("300 popups in a second: only a bounded number is kept", () => {
  let t = 0;
  const { model, sent } = setup(() => t);
  model.handle(normal(1, 0, 0, 800, 600));
  for (let i = 0; i < 300; i++) {
    t += 3;
    model.handle(["new-override-redirect", 100 + i, i, i, 4000, 4000, meta({})]);
  }
  const kept = model.list().length;
  assert.ok(kept <= DISPLAY_LIMITS.maxNewPerSecond + 1, `kept ${kept}`);
  assert.ok(model.refused >= 300 - DISPLAY_LIMITS.maxNewPerSecond, `refused ${model.refused}`);
  assert.equal(sent.filter((p) => p[0] === "map-window").length, 1, "popups are never mapped");
  // Later, the rate bound lets new windows in again, up to the total bound.
  t += 5000;
  model.handle(["new-override-redirect", 999, 0, 0, 10, 10, meta({})]);
  assert.ok(model.get(999), "a popup after the burst is shown");
  for (let i = 0; i < 500; i++) {
    t += 100;
    model.handle(["new-override-redirect", 2000 + i, 0, 0, 10, 10, meta({})]);
  }
  assert.equal(model.list().length, DISPLAY_LIMITS.maxWindows);
});
