/**
 * The clipboard state machine with a fake browser clipboard: text both ways, only in the
 * directions the server's hello allows (each refusal next to its positive control), server
 * strings kept as strings, non-text targets and oversized buffers refused, 3.1 bytes and 6.x text.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { ClipboardText, clipboardCapabilities, clipboardDirectionFromHello } from "../src/input/clipboard.js";
import type { ClipboardDirection } from "../src/input/clipboard.js";
import type { Encodable, Key, Value } from "../src/protocol/values.js";

const utf8 = (s: string) => new TextEncoder().encode(s);
const flush = () => new Promise(r => setImmediate(r));

function setup(direction: ClipboardDirection, browserText = "from the browser", maxBytes?: number) {
  const sent: Encodable[][] = [];
  const written: string[] = [];
  const browser = { text: browserText, reads: 0, readText: async () => { browser.reads++; return browser.text; }, writeText: async (t: string) => { written.push(t); } };
  const clip = new ClipboardText({ protocol: "v3", direction, browser, send: p => sent.push(p), ...(maxBytes ? { maxBytes } : {}) });
  return { clip, sent, written, browser };
}

// A 3.1 server's token with its text (bytes), as it sends it to a greedy client.
const token = (text: Value, dtype = "UTF8_STRING") =>
  ["clipboard-token", utf8("CLIPBOARD"), [utf8("UTF8_STRING"), utf8("TEXT")], utf8(dtype), utf8(dtype), 8, utf8("bytes"), text, true, true, true];

describe("direction from the hello", () => {
  test("3.1 flat keys and 6.x dict; unknown or absent is disabled", () => {
    const hello = (entries: [Key, Value][]) => new Map<Key, Value>(entries);
    assert.equal(clipboardDirectionFromHello(hello([["clipboard", true], ["clipboard-direction", utf8("to-server")]])), "to-server");
    assert.equal(clipboardDirectionFromHello(hello([["clipboard", true]])), "both");
    assert.equal(clipboardDirectionFromHello(hello([["clipboard", new Map<Key, Value>([["direction", "to-client"]])]])), "to-client");
    assert.equal(clipboardDirectionFromHello(hello([["clipboard", false], ["clipboard-direction", "both"]])), "disabled");
    assert.equal(clipboardDirectionFromHello(hello([["clipboard", true], ["clipboard-direction", "<b>sideways</b>"]])), "disabled");
    assert.equal(clipboardDirectionFromHello(hello([])), "disabled");
  });

  test("capabilities: CLIPBOARD only, text targets, 3.1 flat and 6.x nested", () => {
    assert.equal(clipboardCapabilities("v3")["clipboard"], true);
    assert.deepEqual(clipboardCapabilities("v3")["clipboard.selections"], ["CLIPBOARD"]);
    const v6 = clipboardCapabilities("v6")["clipboard"] as Record<string, Encodable>;
    assert.deepEqual([v6["enabled"], v6["greedy"], v6["selections"]], [true, true, ["CLIPBOARD"]]);
  });
});

describe("into the session", () => {
  test("a paste announces the text once, as UTF-8 bytes; refused when the direction is to-client", () => {
    const { clip, sent } = setup("to-server");
    clip.onBrowserPaste("grüße <b>");
    clip.onBrowserPaste("grüße <b>");
    assert.deepEqual(sent, [["clipboard-token", "CLIPBOARD", ["UTF8_STRING", "text/plain"], "UTF8_STRING", "UTF8_STRING", 8, "bytes",
      utf8("grüße <b>"), true, true, true]]);
    const out = setup("to-client");
    out.clip.onBrowserPaste("secret");
    assert.deepEqual(out.sent, []);
  });

  test("the server's request is answered with the browser's text; none when it may not go in", async () => {
    const both = setup("both", "hello");
    both.clip.onPacket("clipboard-request", ["clipboard-request", 4, utf8("CLIPBOARD"), utf8("UTF8_STRING")]);
    await flush();
    assert.deepEqual(both.sent, [["clipboard-contents", 4, "CLIPBOARD", "UTF8_STRING", 8, "bytes", utf8("hello")]]);
    const out = setup("to-client", "hello");
    out.clip.onPacket("clipboard-request", ["clipboard-request", 5, "CLIPBOARD", "UTF8_STRING"]);
    await flush();
    assert.deepEqual(out.sent, [["clipboard-contents-none", 5, "CLIPBOARD"]]);
    assert.equal(out.browser.reads, 0, "the browser's clipboard is not even read");
    assert.equal(both.browser.reads, 1);
  });

  test("requests for other selections or image targets are answered empty; oversized text is not sent", async () => {
    const { clip, sent, browser } = setup("both", "hi", 8);
    clip.onPacket("clipboard-request", ["clipboard-request", 1, "PRIMARY", "UTF8_STRING"]);
    clip.onPacket("clipboard-request", ["clipboard-request", 2, "CLIPBOARD", "image/png"]);
    browser.text = "much longer than eight bytes";
    clip.onPacket("clipboard-request", ["clipboard-request", 3, "CLIPBOARD", "TEXT"]);
    await flush();
    assert.deepEqual(sent, [["clipboard-contents-none", 1, "PRIMARY"], ["clipboard-contents-none", 2, "CLIPBOARD"],
      ["clipboard-contents-none", 3, "CLIPBOARD"]]);
    clip.onBrowserPaste("ok");
    assert.equal(sent.length, 4);
  });

  test("pollBrowser reads the browser only when text may go in, and survives a refusal", async () => {
    let reads = 0;
    const sent: Encodable[][] = [];
    const mk = (direction: ClipboardDirection, fail = false) => new ClipboardText({
      protocol: "v3", direction, send: p => sent.push(p),
      browser: { readText: async () => { reads++; if (fail) throw new Error("denied"); return "x"; }, writeText: async () => {} }
    });
    await mk("to-client").pollBrowser();
    assert.equal(reads, 0);
    await mk("to-server", true).pollBrowser();
    assert.deepEqual([reads, sent.length], [1, 0]);
    await mk("to-server").pollBrowser();
    assert.deepEqual([reads, sent.length], [2, 1]);
  });
});

describe("out of the session", () => {
  test("a token's text (3.1 bytes, 6.x text) is written to the browser as a string; refused when to-server only", async () => {
    const { clip, written } = setup("to-client");
    assert.equal(clip.onPacket("clipboard-token", token(utf8("<img src=x onerror=alert(1)>"))), true);
    clip.onPacket("clipboard-token", ["clipboard-token", "CLIPBOARD", ["UTF8_STRING"], "UTF8_STRING", "UTF8_STRING", 8, "bytes", "zwei"]);
    await flush();
    assert.deepEqual(written, ["<img src=x onerror=alert(1)>", "zwei"]);
    const inOnly = setup("to-server");
    inOnly.clip.onPacket("clipboard-token", token(utf8("secret")));
    await flush();
    assert.deepEqual(inOnly.written, []);
  });

  test("a token with targets only is followed by a request, and its contents are written; unrequested contents are not", async () => {
    const { clip, sent, written } = setup("both");
    clip.onPacket("clipboard-token", ["clipboard-token", "CLIPBOARD", ["TARGETS", "UTF8_STRING"]]);
    assert.deepEqual(sent, [["clipboard-request", 1, "CLIPBOARD", "UTF8_STRING"]]);
    clip.onPacket("clipboard-contents", ["clipboard-contents", 99, "CLIPBOARD", "UTF8_STRING", 8, "bytes", utf8("not asked")]);
    clip.onPacket("clipboard-contents", ["clipboard-contents", 1, "CLIPBOARD", "UTF8_STRING", 8, "bytes", utf8("asked"), 0]);
    await flush();
    assert.deepEqual(written, ["asked"]);
  });

  test("images, other selections, odd formats and oversized text are ignored", async () => {
    const { clip, written } = setup("both", "", 16);
    clip.onPacket("clipboard-token", token(new Uint8Array([0x89, 0x50]), "image/png"));
    clip.onPacket("clipboard-token", ["clipboard-token", "PRIMARY", [], "UTF8_STRING", "UTF8_STRING", 8, "bytes", utf8("primary")]);
    clip.onPacket("clipboard-token", ["clipboard-token", "CLIPBOARD", [], "UTF8_STRING", "UTF8_STRING", 32, "bytes", utf8("wide")]);
    clip.onPacket("clipboard-token", token(utf8("x".repeat(17))));
    clip.onPacket("clipboard-token", token(utf8("fits")));
    await flush();
    assert.deepEqual(written, ["fits"]);
  });

  test("set-clipboard-enabled false stops both ways", async () => {
    const { clip, sent, written } = setup("both");
    clip.onPacket("set-clipboard-enabled", ["set-clipboard-enabled", false, "by the server"]);
    clip.onBrowserPaste("x");
    clip.onPacket("clipboard-token", token(utf8("y")));
    await flush();
    assert.deepEqual([sent, written], [[], []]);
  });
});
