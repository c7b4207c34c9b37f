/**
 * The pointer translator: motion, buttons and wheel deltas -> the exact packets for Xpra 3.1
 * (`pointer-position`, `button-action`) and 6.x (`pointer-motion`, `pointer-button` with a device
 * id and one rising sequence number), wheel deltas in pixels, lines and pages summed into X
 * buttons 4-7.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { MAX_CLICKS_PER_EVENT, PointerTranslator } from "../src/input/pointer.js";
import type { Encodable } from "../src/protocol/values.js";

const WID = 3;
const noMods = { shiftKey: false, ctrlKey: false, altKey: false, metaKey: false };

/** The wheel clicks in a list of v3 packets: the button of each press, in order. */
function clicks(packets: Encodable[][]): number[] {
  const presses = packets.filter(p => p[0] === "button-action" && p[3] === true).map(p => p[2] as number);
  const releases = packets.filter(p => p[0] === "button-action" && p[3] === false).map(p => p[2] as number);
  assert.deepEqual(releases, presses, "each wheel click is pressed and released");
  return presses;
}

describe("pointer", () => {
  test("3.1: pointer-position and button-action, positions rounded, pressed buttons listed", () => {
    const p = new PointerTranslator({ protocol: "v3" });
    assert.deepEqual(p.onPointerMove({ ...noMods }, WID, [10.4, 20.6]), [["pointer-position", WID, [10, 21], [], []]]);
    assert.deepEqual(p.onPointerDown({ ...noMods, button: 0, shiftKey: true }, WID, [10, 21]),
      [["button-action", WID, 1, true, [10, 21], ["shift"], [1]]]);
    assert.deepEqual(p.onPointerMove({ ...noMods }, WID, [11, 22]), [["pointer-position", WID, [11, 22], [], [1]]]);
    assert.deepEqual(p.onPointerUp({ ...noMods, button: 0 }, WID, [11, 22]), [["button-action", WID, 1, false, [11, 22], [], []]]);
  });

  test("6.x: pointer-motion and pointer-button share one rising sequence; device 0", () => {
    const p = new PointerTranslator({ protocol: "v6" });
    assert.deepEqual(p.onPointerMove({ ...noMods }, WID, [1, 2]), [["pointer-motion", 0, 1, WID, [1, 2], { modifiers: [], buttons: [] }]]);
    assert.deepEqual(p.onPointerDown({ ...noMods, button: 2, ctrlKey: true }, WID, [1, 2]),
      [["pointer-button", 0, 2, WID, 3, true, [1, 2], { modifiers: ["control"], buttons: [3] }]]);
    assert.deepEqual(p.onPointerMove({ ...noMods }, WID, [5, 6]), [["pointer-motion", 0, 3, WID, [5, 6], { modifiers: [], buttons: [3] }]]);
    assert.deepEqual(p.onPointerUp({ ...noMods, button: 2 }, WID, [5, 6]),
      [["pointer-button", 0, 4, WID, 3, false, [5, 6], { modifiers: [], buttons: [] }]]);
  });

  test("middle, back and forward are X buttons 2, 8, 9; a release without its press is not sent", () => {
    const p = new PointerTranslator({ protocol: "v3" });
    assert.deepEqual([1, 3, 4].map(b => p.onPointerDown({ button: b }, WID, [0, 0])[0]![2]), [2, 8, 9]);
    assert.deepEqual(p.onPointerUp({ button: 0 }, WID, [0, 0]), []);
    assert.deepEqual(p.onPointerDown({ button: 7 }, WID, [0, 0]), []);
  });

  test("on a Mac Cmd+click is a Control click for the session, Control+click a Super one", () => {
    const mac = new PointerTranslator({ protocol: "v3", mac: true });
    assert.deepEqual(mac.onPointerDown({ ...noMods, button: 0, metaKey: true }, WID, [0, 0])[0]![5], ["control"]);
    assert.deepEqual(mac.onPointerDown({ ...noMods, button: 2, ctrlKey: true }, WID, [0, 0])[0]![5], ["mod4"]);
    // Control: elsewhere the same events keep their modifiers.
    const linux = new PointerTranslator({ protocol: "v3" });
    assert.deepEqual(linux.onPointerDown({ ...noMods, button: 0, metaKey: true }, WID, [0, 0])[0]![5], ["mod4"]);
  });

  test("releaseAll (the page lost the pointer) releases the buttons still down, once", () => {
    const p = new PointerTranslator({ protocol: "v3" });
    p.onPointerDown({ button: 0 }, WID, [0, 0]);
    p.onPointerDown({ button: 2 }, WID, [0, 0]);
    assert.deepEqual(p.releaseAll(WID, [4, 4]).map(x => [x[2], x[3]]), [[1, false], [3, false]]);
    assert.deepEqual(p.releaseAll(WID, [4, 4]), []);
  });
});

describe("wheel", () => {
  test("a mouse notch (100 px) is one click: down 5, up 4, right 7, left 6", () => {
    const p = new PointerTranslator({ protocol: "v3" });
    const wheel = (dx: number, dy: number) => clicks(p.onWheel({ deltaX: dx, deltaY: dy, deltaMode: 0 }, WID, [9, 9]));
    assert.deepEqual(wheel(0, 100), [5]);
    assert.deepEqual(wheel(0, -100), [4]);
    assert.deepEqual(wheel(100, 0), [7]);
    assert.deepEqual(wheel(-100, 0), [6]);
    assert.deepEqual(p.onWheel({ deltaX: 0, deltaY: 100, deltaMode: 0 }, WID, [9, 9])[0],
      ["button-action", WID, 5, true, [9, 9], [], []]);
  });

  test("smooth deltas add up; a reversal drops what was left the other way", () => {
    const p = new PointerTranslator({ protocol: "v3" });
    const wheel = (dy: number) => clicks(p.onWheel({ deltaX: 0, deltaY: dy, deltaMode: 0 }, WID, [0, 0]));
    assert.deepEqual([wheel(30), wheel(30), wheel(30)], [[], [], []]);
    assert.deepEqual(wheel(30), [5]); // 120 px: one click, 20 left
    assert.deepEqual(wheel(-90), []); // reversal: the 20 are dropped, -90 kept
    assert.deepEqual(wheel(-10), [4]);
    assert.deepEqual(wheel(250), [5, 5]);
  });

  test("lines (3 per click) and pages (3 clicks each); a flood is capped", () => {
    const p = new PointerTranslator({ protocol: "v3" });
    assert.deepEqual(clicks(p.onWheel({ deltaX: 0, deltaY: 3, deltaMode: 1 }, WID, [0, 0])), [5]);
    assert.deepEqual(clicks(p.onWheel({ deltaX: 0, deltaY: -1, deltaMode: 2 }, WID, [0, 0])), [4, 4, 4]);
    assert.equal(clicks(p.onWheel({ deltaX: 0, deltaY: 1e9, deltaMode: 0 }, WID, [0, 0])).length, MAX_CLICKS_PER_EVENT);
    assert.deepEqual(clicks(p.onWheel({ deltaX: 0, deltaY: Number.NaN, deltaMode: 0 }, WID, [0, 0])), []);
  });

  test("6.x wheel clicks are pointer-button packets in the same sequence", () => {
    const p = new PointerTranslator({ protocol: "v6" });
    p.onPointerMove({}, WID, [0, 0]);
    assert.deepEqual(p.onWheel({ deltaX: 0, deltaY: 100, deltaMode: 0 }, WID, [2, 2]), [
      ["pointer-button", 0, 2, WID, 5, true, [2, 2], { modifiers: [], buttons: [] }],
      ["pointer-button", 0, 3, WID, 5, false, [2, 2], { modifiers: [], buttons: [] }]
    ]);
  });
});
