/**
 * The keyboard translator: key events as browsers emit them (Chromium's key, code and keyCode for
 * each layout, as js-extension/ui-tests/keyboard.test.mjs types them) -> the exact packets, for
 * Xpra 3.1 (`key-action`) and 6.x (`keyboard-event`).
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { KeyboardTranslator, keyboardCapabilities, keyboardConfigPacket, platformFrom } from "../src/input/keyboard.js";
import type { KeyEventLike, Platform } from "../src/input/keyboard.js";
import { modifierMapFromHello } from "../src/input/modifiers.js";
import type { Encodable, Value } from "../src/protocol/values.js";

interface Ev extends KeyEventLike {
  readonly mods?: readonly string[];
}
function ev(key: string, code: string, keyCode: number, o: Partial<Ev> = {}): Ev {
  const mods = new Set(o.mods ?? []);
  return {
    key, code, keyCode,
    shiftKey: mods.has("Shift"), ctrlKey: mods.has("Control"), altKey: mods.has("Alt"), metaKey: mods.has("Meta"),
    getModifierState: (name: string) => mods.has(name),
    ...o
  };
}

const WID = 7;
/** The (keyname, pressed, modifiers, string) of each v3 packet, for compact expectations. */
function keys(packets: Encodable[][]): [string, boolean, string[], string][] {
  return packets.map(p => {
    assert.equal(p[0], "key-action");
    assert.equal(p[1], WID);
    return [p[2] as string, p[3] as boolean, p[4] as string[], p[6] as string];
  });
}

/** Presses and releases each event in turn (down, up) and collects every packet. */
function type(t: KeyboardTranslator, events: Ev[]): Encodable[][] {
  const out: Encodable[][] = [];
  for (const e of events) {
    out.push(...t.onKeyDown(e, WID).packets, ...t.onKeyUp(e, WID).packets);
  }
  return out;
}

const v3 = (platform: Platform = "linux", clipboardToServer = false) =>
  new KeyboardTranslator({ protocol: "v3", platform, clipboardToServer });

describe("keyboard packets", () => {
  test("a plain letter: v3 key-action and v6 keyboard-event, exact", () => {
    const a = ev("a", "KeyA", 65);
    assert.deepEqual(v3().onKeyDown(a, WID), {
      packets: [["key-action", WID, "a", true, [], 65, "a", 65, 0]], preventDefault: true, awaitPaste: false
    });
    const t6 = new KeyboardTranslator({ protocol: "v6" });
    assert.deepEqual(t6.onKeyDown(a, WID).packets,
      [["keyboard-event", WID, "a", true, { modifiers: [], keyval: 65, string: "a", keycode: 65, group: 0 }]]);
    assert.deepEqual(t6.onKeyUp(a, WID).packets,
      [["keyboard-event", WID, "a", false, { modifiers: [], keyval: 65, string: "", keycode: 65, group: 0 }]]);
    assert.deepEqual(t6.onKeyDown(ev("B", "KeyB", 66, { mods: ["Shift", "Control"] }), WID).packets,
      [["keyboard-event", WID, "B", true, { modifiers: ["shift", "control"], keyval: 66, string: "B", keycode: 66, group: 0 }]]);
  });

  test("US ASCII with Shift: keysym names as X spells them", () => {
    const t = v3();
    const shift = ev("Shift", "ShiftLeft", 16, { location: 1, mods: ["Shift"] });
    const out = [
      ...t.onKeyDown(shift, WID).packets,
      ...type(t, [ev("H", "KeyH", 72, { mods: ["Shift"] }), ev("!", "Digit1", 49, { mods: ["Shift"] })]),
      ...t.onKeyUp(ev("Shift", "ShiftLeft", 16, { location: 1 }), WID).packets,
      ...type(t, [ev(" ", "Space", 32), ev("4", "Digit4", 52), ev("Enter", "Enter", 13), ev("ArrowLeft", "ArrowLeft", 37)])
    ];
    assert.deepEqual(keys(out), [
      ["Shift_L", true, ["shift"], ""],
      ["H", true, ["shift"], "H"], ["H", false, ["shift"], ""],
      ["exclam", true, ["shift"], "!"], ["exclam", false, ["shift"], ""],
      ["Shift_L", false, [], ""],
      ["space", true, [], " "], ["space", false, [], ""],
      ["4", true, [], "4"], ["4", false, [], ""],
      ["Return", true, [], ""], ["Return", false, [], ""],
      ["Left", true, [], ""], ["Left", false, [], ""]
    ]);
  });

  test("German: umlauts and sharp s by name, AltGr (Linux) as Level3 alone", () => {
    const t = v3();
    const altgr = ev("AltGraph", "AltRight", 225, { location: 2 });
    const out = [
      ...type(t, [ev("ä", "Quote", 222), ev("ö", "Semicolon", 192), ev("ü", "BracketLeft", 186), ev("ß", "Minus", 219)]),
      ...t.onKeyDown(altgr, WID).packets,
      ...type(t, [ev("€", "KeyE", 69, { mods: ["AltGraph"] }), ev("@", "KeyQ", 81, { mods: ["AltGraph"] })]),
      ...t.onKeyUp(altgr, WID).packets
    ];
    assert.deepEqual(keys(out).filter(k => k[1]).map(k => [k[0], k[2]]), [
      ["adiaeresis", []], ["odiaeresis", []], ["udiaeresis", []], ["ssharp", []],
      ["ISO_Level3_Shift", ["mod5"]], ["EuroSign", ["mod5"]], ["at", ["mod5"]]
    ]);
    assert.deepEqual(keys(out).at(-1), ["ISO_Level3_Shift", false, [], ""]);
  });

  test("AltGr as Windows reports it (Control + Alt): Control and Alt dropped while it is down", () => {
    const t = v3("windows");
    const ctrl = ev("Control", "ControlLeft", 17, { location: 1, mods: ["Control"] });
    const altgr = ev("AltGraph", "AltRight", 18, { location: 2, mods: ["Control", "Alt"] });
    const out = [
      ...t.onKeyDown(ctrl, WID).packets,
      ...t.onKeyDown(altgr, WID).packets,
      ...t.onKeyDown(ev("{", "Digit7", 55, { mods: ["Control", "Alt"] }), WID).packets
    ];
    assert.deepEqual(keys(out), [
      ["Control_L", true, ["control"], ""],
      ["ISO_Level3_Shift", true, ["mod5"], ""],
      ["braceleft", true, ["mod5"], "{"]
    ]);
  });

  test("Option on a Mac is AltGr: a German Mac's Option+L types @ as Level3", () => {
    const mac = v3("mac");
    const option = ev("Alt", "AltLeft", 18, { location: 1, mods: ["Alt"] });
    const out = [
      ...mac.onKeyDown(option, WID).packets,
      ...type(mac, [ev("@", "KeyL", 76, { mods: ["Alt"] })]),
      ...mac.onKeyUp(ev("Alt", "AltLeft", 18, { location: 1 }), WID).packets
    ];
    assert.deepEqual(keys(out), [
      ["ISO_Level3_Shift", true, ["mod5"], ""],
      ["at", true, ["mod5"], "@"], ["at", false, ["mod5"], ""],
      ["ISO_Level3_Shift", false, [], ""]
    ]);
    // Option already down when the page got the focus (its key-down never seen): still Level3.
    assert.deepEqual(keys(v3("mac").onKeyDown(ev("@", "KeyL", 76, { mods: ["Alt"] }), WID).packets), [["at", true, ["mod5"], "@"]]);
    // Control: on Linux the same events are Alt, and @ carries Alt's modifier.
    const linux = v3("linux");
    const plain = [...linux.onKeyDown(option, WID).packets, ...linux.onKeyDown(ev("@", "KeyL", 76, { mods: ["Alt"] }), WID).packets];
    assert.deepEqual(keys(plain), [["Alt_L", true, ["mod1"], ""], ["at", true, ["mod1"], "@"]]);
  });

  test("French AZERTY: é è à ç by name", () => {
    assert.deepEqual(keys(type(v3(), [ev("é", "Digit2", 50), ev("è", "Digit7", 55), ev("à", "Digit0", 48), ev("ç", "Digit9", 57)]))
      .filter(k => k[1]).map(k => k[0]), ["eacute", "egrave", "agrave", "ccedilla"]);
  });

  test("Swiss German: § ¨-dead key and è, ä by name", () => {
    const t = v3();
    const out = type(t, [ev("§", "Backquote", 191), ev("Dead", "BracketRight", 192), ev("ä", "KeyA", 65), ev("è", "BracketLeft", 186)]);
    assert.deepEqual(keys(out).map(k => [k[0], k[1]]), [
      ["section", true], ["section", false],
      ["dead_diaeresis", true], ["dead_diaeresis", false], ["a", true], ["a", false],
      ["egrave", true], ["egrave", false]
    ]);
  });
});

describe("dead keys", () => {
  test("German ´ then e: the dead key is held back, é goes as dead_acute + e; then a plain x", () => {
    const t = v3();
    const dead = ev("Dead", "Equal", 221);
    assert.deepEqual(t.onKeyDown(dead, WID), { packets: [], preventDefault: true, awaitPaste: false });
    assert.deepEqual(t.onKeyUp(dead, WID).packets, []);
    const out = type(t, [ev("é", "KeyE", 69), ev("x", "KeyX", 88)]);
    assert.deepEqual(keys(out), [
      ["dead_acute", true, [], ""], ["dead_acute", false, [], ""], ["e", true, [], "e"], ["e", false, [], ""],
      ["x", true, [], "x"], ["x", false, [], ""]
    ]);
  });

  test("German ^ then space: the accent alone is dead_circumflex + space", () => {
    const t = v3();
    const out = type(t, [ev("Dead", "Backquote", 220), ev("^", "Space", 32)]);
    assert.deepEqual(keys(out).map(k => k[0]), ["dead_circumflex", "dead_circumflex", "space", "space"]);
  });

  test("French ^ then Shift+E: Ê is dead_circumflex + E (Shift in between does not spend the dead key)", () => {
    const t = v3();
    const out = [
      ...type(t, [ev("Dead", "BracketLeft", 221)]),
      ...t.onKeyDown(ev("Shift", "ShiftLeft", 16, { location: 1, mods: ["Shift"] }), WID).packets,
      ...type(t, [ev("Ê", "KeyE", 69, { mods: ["Shift"] })])
    ];
    assert.deepEqual(keys(out).map(k => [k[0], k[1]]), [
      ["Shift_L", true], ["dead_circumflex", true], ["dead_circumflex", false], ["E", true], ["E", false]
    ]);
  });

  test("a dead key followed by a letter it does not compose with: the letter alone, the dead key spent", () => {
    const t = v3();
    const out = type(t, [ev("Dead", "Equal", 221), ev("q", "KeyQ", 81), ev("e", "KeyE", 69)]);
    assert.deepEqual(keys(out).map(k => k[0]), ["q", "q", "e", "e"]);
  });
});

describe("key state", () => {
  test("a held key: each browser repeat is sent again; a held modifier is not", () => {
    const t = v3();
    const x = ev("x", "KeyX", 88);
    const shift = ev("Shift", "ShiftLeft", 16, { location: 1, mods: ["Shift"] });
    assert.equal(t.onKeyDown(x, WID).packets.length, 1);
    assert.equal(t.onKeyDown({ ...x, repeat: true }, WID).packets.length, 1);
    assert.equal(t.onKeyDown(shift, WID).packets.length, 1);
    assert.deepEqual(t.onKeyDown({ ...shift, repeat: true }, WID).packets, []);
  });

  test("a key released after its character changed is released under the name it was pressed with", () => {
    const t = v3();
    t.onKeyDown(ev("A", "KeyA", 65, { mods: ["Shift"] }), WID);
    assert.deepEqual(keys(t.onKeyUp(ev("a", "KeyA", 65), WID).packets), [["A", false, [], ""]]);
  });

  test("releaseAll (blur) releases exactly the keys still down, once", () => {
    const t = v3();
    t.onKeyDown(ev("Control", "ControlLeft", 17, { location: 1, mods: ["Control"] }), WID);
    t.onKeyDown(ev("AltGraph", "AltRight", 225, { location: 2 }), WID);
    t.onKeyDown(ev("b", "KeyB", 66), WID);
    t.onKeyUp(ev("b", "KeyB", 66), WID);
    assert.deepEqual(keys(t.releaseAll(WID)).map(k => [k[0], k[1]]), [["Control_L", false], ["ISO_Level3_Shift", false]]);
    assert.deepEqual(t.releaseAll(WID), []);
    // AltGr is forgotten too: the next letter has no Level3.
    assert.deepEqual(keys(t.onKeyDown(ev("q", "KeyQ", 81), WID).packets), [["q", true, [], "q"]]);
  });

  test("keys an input method is composing are left to it", () => {
    assert.deepEqual(v3().onKeyDown(ev("Process", "KeyA", 229), WID), { packets: [], preventDefault: false, awaitPaste: false });
  });

  test("numpad and function keys by name; the server's modifier names from its hello", () => {
    const hello = new Map<string, Value>([["modifier_keycodes", new Map<string, Value>([
      ["mod3", [[64, new TextEncoder().encode("Alt_L")]]], ["mod2", [[77, "Num_Lock"]]]
    ])]]);
    const t = new KeyboardTranslator({ protocol: "v3", modifiers: modifierMapFromHello(hello) });
    const out = type(t, [
      ev("5", "Numpad5", 101, { mods: ["NumLock"] }), ev("Home", "Numpad7", 36), ev("+", "NumpadAdd", 107),
      ev("F5", "F5", 116), ev("x", "KeyX", 88, { mods: ["Alt"] })
    ]);
    assert.deepEqual(keys(out).filter(k => k[1]).map(k => [k[0], k[2]]), [
      ["KP_5", ["mod2"]], ["KP_Home", []], ["KP_Add", []], ["F5", []], ["x", ["mod3"]]
    ]);
  });
});

describe("the browser's default", () => {
  test("with the clipboard into the session, Ctrl and Ctrl+V stay the browser's, and the key waits for the paste", () => {
    const t = v3("linux", true);
    const ctrl = t.onKeyDown(ev("Control", "ControlLeft", 17, { location: 1, mods: ["Control"] }), WID);
    assert.equal(ctrl.preventDefault, false);
    const v = t.onKeyDown(ev("v", "KeyV", 86, { mods: ["Control"] }), WID);
    assert.deepEqual({ preventDefault: v.preventDefault, awaitPaste: v.awaitPaste }, { preventDefault: false, awaitPaste: true });
    assert.deepEqual(keys(v.packets), [["v", true, ["control"], "v"]]);
    const c = t.onKeyDown(ev("c", "KeyC", 67, { mods: ["Control"] }), WID);
    assert.deepEqual({ preventDefault: c.preventDefault, awaitPaste: c.awaitPaste }, { preventDefault: false, awaitPaste: false });
    // Control: a plain letter, and Ctrl+V without the clipboard, are the session's alone.
    assert.equal(t.onKeyDown(ev("w", "KeyW", 87, { mods: ["Control"] }), WID).preventDefault, true);
    const off = v3("linux", false).onKeyDown(ev("v", "KeyV", 86, { mods: ["Control"] }), WID);
    assert.deepEqual({ preventDefault: off.preventDefault, awaitPaste: off.awaitPaste }, { preventDefault: true, awaitPaste: false });
  });

  test("on a Mac Command is the session's Control and Control its Super: Cmd+A selects all", () => {
    const mac = v3("mac");
    const cmd = ev("Meta", "MetaLeft", 91, { location: 1, mods: ["Meta"] });
    const out = [
      ...mac.onKeyDown(cmd, WID).packets,
      ...type(mac, [ev("a", "KeyA", 65, { mods: ["Meta"] })]),
      ...mac.onKeyUp(ev("Meta", "MetaLeft", 91, { location: 1 }), WID).packets
    ];
    assert.deepEqual(keys(out), [
      ["Control_L", true, ["control"], ""],
      ["a", true, ["control"], "a"], ["a", false, ["control"], ""],
      ["Control_L", false, [], ""]
    ]);
    const ctrl = mac.onKeyDown(ev("Control", "ControlRight", 17, { location: 2, mods: ["Control"] }), WID).packets;
    assert.deepEqual(keys(ctrl), [["Super_R", true, ["mod4"], ""]]);
    // Control: elsewhere Meta stays Super and Control stays Control.
    const linux = v3("linux");
    assert.deepEqual(keys([...linux.onKeyDown(cmd, WID).packets, ...linux.onKeyDown(ev("a", "KeyA", 65, { mods: ["Meta"] }), WID).packets]),
      [["Super_L", true, ["mod4"], ""], ["a", true, ["mod4"], "a"]]);
  });

  test("on a Mac the paste combination is Cmd+V, not Ctrl+V", () => {
    const t = v3("mac", true);
    assert.equal(t.onKeyDown(ev("v", "KeyV", 86, { mods: ["Meta"] }), WID).awaitPaste, true);
    assert.equal(t.onKeyDown(ev("v", "KeyV", 86, { mods: ["Control"] }), WID).preventDefault, true);
  });
});

describe("platform", () => {
  test("from navigator.platform, else the user agent", () => {
    assert.deepEqual(["MacIntel", "Win32", "Linux x86_64", "iPad", "FreeBSD amd64"].map(p => platformFrom(p, "")),
      ["mac", "windows", "linux", "mac", "other"]);
    assert.equal(platformFrom("", "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36"), "mac");
    assert.equal(platformFrom("", "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36"), "linux");
  });
});

describe("capabilities", () => {
  test("3.1: xkbmap_* and keyboard_sync off; 6.x: a keymap dict with sync off", () => {
    const caps3 = keyboardCapabilities("v3", { layout: "de", variant: "nodeadkeys" });
    assert.deepEqual({ ...caps3, xkbmap_keycodes: undefined },
      { keyboard: true, keyboard_sync: false, xkbmap_layout: "de", xkbmap_variant: "nodeadkeys", xkbmap_keycodes: undefined });
    // 3.1 needs some keycodes (it refuses a keyboard without): plain keys, name and code.
    assert.deepEqual((caps3["xkbmap_keycodes"] as Encodable[]).slice(0, 2), [[65, "a", 65, 0, 0], [66, "b", 66, 0, 0]]);
    const caps6 = keyboardCapabilities("v6", { layout: "fr", variant: "" });
    assert.deepEqual(caps6, { keyboard: true, keymap: { layout: "fr", variant: "", sync: false, keycodes: caps3["xkbmap_keycodes"] } });
    assert.deepEqual(keyboardConfigPacket("v3", { layout: "ch", variant: "" }), ["layout-changed", "ch", ""]);
    // 6.x: force (the hello said the same layout) and keycodes (without them it never loads a layout).
    assert.deepEqual(keyboardConfigPacket("v6", { layout: "ch", variant: "" }),
      ["keyboard-config", { layout: "ch", variant: "", sync: false, force: true, keycodes: caps3["xkbmap_keycodes"] }]);
  });
});
