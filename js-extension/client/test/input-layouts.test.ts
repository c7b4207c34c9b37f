/**
 * Layout choice: the setting, then the browser's keyboard map (unless it only repeats the
 * language or looks US), then the language; and keysym names for characters.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { chooseLayout, layoutFromLanguage, layoutFromSetting } from "../src/input/layouts.js";
import { keysymNameForChar } from "../src/input/keysyms.js";

const KEYS = ["Backquote", "Digit1", "Digit2", "Digit3", "Digit4", "Digit5", "Digit6", "Digit7", "Digit8", "Digit9", "Digit0",
  "Minus", "Equal", "KeyQ", "KeyW", "KeyE", "KeyR", "KeyT", "KeyY", "KeyU", "KeyI", "KeyO", "KeyP", "BracketLeft", "BracketRight",
  "KeyA", "KeyS", "KeyD", "KeyF", "KeyG", "KeyH", "KeyJ", "KeyK", "KeyL", "Semicolon", "Quote", "Backslash", "KeyZ", "KeyX",
  "KeyC", "KeyV", "KeyB", "KeyN", "KeyM", "Comma", "Period", "Slash"];
// What getLayoutMap() answers for a keyboard (dead keys left out, as browsers do).
const map = (chars: string) => new Map([...chars].map((c, i) => [KEYS[i]!, c] as [string, string]).filter(([, c]) => c !== " "));
const GERMAN = map(" 1234567890\u00df qwertzuiop\u00fc+asdfghjkl\u00f6\u00e4#yxcvbnm,.-");
const FRENCH = map("\u00b2&\u00e9\"'(-\u00e8_\u00e7\u00e0)=azertyuiop $qsdfghjklm\u00f9*wxcvbn,;:!");
const US = map("`1234567890-=qwertyuiop[]asdfghjkl;'\\zxcvbnm,./");

test("the setting: an X layout with a variant, or a language tag; nonsense ignored", () => {
  assert.deepEqual(layoutFromSetting("de(nodeadkeys)"), { layout: "de", variant: "nodeadkeys" });
  assert.deepEqual(layoutFromSetting("fr-FR"), { layout: "fr", variant: "" });
  assert.deepEqual(layoutFromSetting("de-CH"), { layout: "ch", variant: "" });
  assert.equal(layoutFromSetting("de; rm -rf"), null);
  assert.equal(layoutFromSetting(""), null);
});

test("the language: region first, then language, else the language itself; nothing is us", () => {
  assert.deepEqual(["en-GB", "en-US", "de-AT", "fr_CH", "sv", "pt-BR", "xx", null].map(l => layoutFromLanguage(l).layout),
    ["gb", "us", "at", "ch", "se", "br", "xx", "us"]);
});

test("order: setting, then a keyboard map that says more than the language, then the language", () => {
  assert.equal(chooseLayout({ setting: "fr", keyboardMap: GERMAN, language: "en-US" }).layout, "fr");
  assert.equal(chooseLayout({ keyboardMap: GERMAN, language: "en-US" }).layout, "de");
  assert.equal(chooseLayout({ keyboardMap: FRENCH, language: "en-US" }).layout, "fr");
  // A US-looking map never outvotes the language (headless Chromium reports it for any keyboard).
  assert.equal(chooseLayout({ keyboardMap: US, language: "de-DE" }).layout, "de");
  assert.equal(chooseLayout({ keyboardMap: new Map(), language: "fr" }).layout, "fr");
  assert.equal(chooseLayout({ setting: "???", language: "de" }).layout, "de");
});

test("keysym names as X spells them, none for what X has no name for", () => {
  assert.deepEqual(["a", "ä", "ß", "€", "@", "^", "´", " ", "ñ", "Ж"].map(keysymNameForChar),
    ["a", "adiaeresis", "ssharp", "EuroSign", "at", "asciicircum", "acute", "space", "ntilde", "Cyrillic_ZHE"]);
  assert.equal(keysymNameForChar("\u{1F600}"), undefined);
});
