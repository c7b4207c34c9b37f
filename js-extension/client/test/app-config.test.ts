/**
 * session.json and the query string: every field checked, defaults for anything malformed, and
 * only the whitelisted query parameters read; the websocket is always the page's own directory.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { readConfig, socketUrl } from "../src/app/config.js";

const q = (s: string) => new URLSearchParams(s);

test("session.json for 6.5 and 3.1 as the sidecar writes it", () => {
  const six = readConfig({ xpra: { version: "6.5.5", major: 6, minor: 5 }, encoder: "rencodeplus", clipboard: "to-firefox", video: true, encoding: "webp", audio: true }, q(""));
  assert.deepEqual(six, { xpraMajor: 6, xpraMinor: 5, xpraVersion: "6.5.5", encoder: "rencodeplus", clipboard: "to-firefox", video: true, encoding: "webp", audio: true, keyboardLayout: "" });
  const three = readConfig({ xpra: { version: "3.1.3", major: 3, minor: 1 }, encoder: "rencode", clipboard: "both", video: false, encoding: "auto" }, q(""));
  assert.equal(three.encoder, "rencode");
  assert.equal(three.clipboard, "both");
  assert.equal(three.audio, false, "no audio field: no sound");
  assert.equal(readConfig({ xpra: { major: 3 }, audio: false }, q("")).audio, false);
});

test("malformed or hostile session.json reads as the defaults", () => {
  for (const bad of [null, 5, "x", [], { xpra: "6" }, { xpra: { major: -1, version: "<b>" }, encoder: "yaml", clipboard: "all", video: "yes", encoding: "h264", audio: "true" }, { audio: 1 }]) {
    const c = readConfig(bad, q(""));
    assert.equal(c.encoder, "rencode", JSON.stringify(bad));
    assert.equal(c.clipboard, "off");
    assert.equal(c.video, false);
    assert.equal(c.encoding, "auto");
    assert.equal(c.audio, false);
    assert.ok(/^[0-9.]+$/.test(c.xpraVersion));
  }
  // A version that is no version is not taken as text; the major still picks the encoder.
  const c = readConfig({ xpra: { major: 6, version: "6<script>" } }, q(""));
  assert.equal(c.xpraVersion, "6");
  assert.equal(c.encoder, "rencodeplus");
  const proto = readConfig(Object.create({ clipboard: "both", video: true, audio: true }), q(""));
  assert.equal(proto.clipboard, "off", "an inherited field is not a field");
  assert.equal(proto.audio, false, "an inherited field is not a field");
});

test("the query string: only keyboard_layout, video and encoding, checked", () => {
  const base = { xpra: { major: 6, minor: 5, version: "6.5.5" }, video: false, encoding: "auto", clipboard: "off" };
  const c = readConfig(base, q("keyboard_layout=de(nodeadkeys)&video=1&encoding=png&server=evil.example&clipboard=both&password=x&encoder=yaml&audio=true"));
  assert.equal(c.keyboardLayout, "de(nodeadkeys)");
  assert.equal(c.video, true);
  assert.equal(c.encoding, "png");
  assert.equal(c.clipboard, "off", "the clipboard setting is the sidecar's, not the query's");
  assert.equal(c.audio, false, "sound is the session's (its Xpra has a speaker or not), not the query's");
  assert.equal(c.encoder, "rencodeplus");
  const bad = readConfig(base, q("keyboard_layout=%3Cb%3E&encoding=h264&video=maybe"));
  assert.deepEqual([bad.keyboardLayout, bad.encoding, bad.video], ["", "auto", false]);
});

test("the websocket is the page's own directory, ws: or wss:", () => {
  assert.equal(socketUrl({ protocol: "http:", host: "127.0.0.1:8888", pathname: "/user/me/firefox-launcher/sessions/41223/" }), "ws://127.0.0.1:8888/user/me/firefox-launcher/sessions/41223/");
  assert.equal(socketUrl({ protocol: "https:", host: "hub.example", pathname: "/sessions/5/index.html" }), "wss://hub.example/sessions/5/");
});
