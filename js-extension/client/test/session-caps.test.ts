/**
 * The capability accessor: 3.1's byte strings and 6.5's text read the same; dotted keys and
 * nested maps read the same; missing or ill-typed values give the default, never a throw.
 * Also the hello we build: the session's keys win over a provider's.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { Key, Value } from "../src/protocol/index.js";
import { Caps, buildHello, damageSequencePacket, isFinalReason, parseVersion, pingEchoPacket } from "../src/session/index.js";

const b = (s: string): Uint8Array => new TextEncoder().encode(s);
const m = (o: Array<[Key, Value]>): Map<Key, Value> => new Map(o);

describe("session caps", () => {
  it("bytes (3.1) and text (6.5) read as the same text and lists", () => {
    const v31 = new Caps(m([["version", b("3.1.3")], ["encodings", [b("png"), b("jpeg")]]]));
    const v65 = new Caps(m([["version", "6.5"], ["encodings", ["png", "jpeg"]]]));
    assert.equal(v31.text("version"), "3.1.3");
    assert.equal(v65.text("version"), "6.5");
    assert.deepEqual(v31.textList("encodings"), ["png", "jpeg"]);
    assert.deepEqual(v65.textList("encodings"), ["png", "jpeg"]);
  });

  it("dotted keys and nested maps are the same path; sub() works on both", () => {
    const flat = new Caps(m([["encoding.generic", true], ["encoding.x", 3]]));
    const nested = new Caps(m([["encoding", m([["generic", true], ["x", 3]])]]));
    for (const c of [flat, nested]) {
      assert.equal(c.bool("encoding.generic"), true);
      assert.equal(c.int("encoding.x"), 3);
      assert.equal(c.sub("encoding").int("x"), 3);
    }
  });

  it("missing or ill-typed values give the default", () => {
    const c = new Caps(m([["n", "12"], ["t", 5], ["l", 7], ["big", 2n ** 70n], ["ok", 2n]]));
    assert.equal(c.int("n", -1), -1);
    assert.equal(c.int("big", -1), -1);
    assert.equal(c.int("ok", -1), 2);
    assert.equal(c.text("t", "d"), "d");
    assert.deepEqual(c.textList("l", ["x"]), ["x"]);
    assert.equal(c.bool("missing", true), true);
    assert.equal(c.text("missing.deeper.still"), "");
    // positive control for the defaults: the same accessors read well-typed values
    assert.equal(new Caps(m([["n", 12]])).int("n", -1), 12);
    assert.equal(new Caps(null).text("x", "d"), "d");
  });

  it("a __proto__ key is just a key", () => {
    const c = new Caps(m([["__proto__", "x"]]));
    assert.equal(c.text("__proto__"), "x");
    assert.equal(c.text("constructor", "none"), "none");
  });

  it("versions parse", () => {
    assert.deepEqual(parseVersion("3.1.3"), [3, 1, 3]);
    assert.deepEqual(parseVersion("v6.5.5-r0"), [6, 5, 5]);
    assert.deepEqual(parseVersion("6.5"), [6, 5]);
    assert.deepEqual(parseVersion("junk"), []);
  });

  it("buildHello: providers add keys, cannot override the session's, aliases dropped, a throwing provider skipped", () => {
    const errors: unknown[] = [];
    const caps = buildHello(
      { encoder: "rencode", uuid: "u", version: "5.0", clientType: "HTML5" },
      [
        () => ({ windows: true, compressors: ["zlib"], steal: false, aliases: { draw: 1 } }),
        () => {
          throw new Error("provider bug");
        },
      ],
      (e) => errors.push(e),
    );
    assert.equal(caps["windows"], true);
    assert.deepEqual(caps["compressors"], ["lz4"]);
    assert.equal(caps["steal"], true);
    assert.equal("aliases" in caps, false);
    assert.equal(caps["rencode"], true);
    assert.equal(caps["bencode"], false);
    assert.equal(caps["rencodeplus"], false);
    assert.equal(errors.length, 1);
  });

  it("final disconnect reasons", () => {
    assert.equal(isFinalReason("new client"), true);
    assert.equal(isFinalReason("server shutdown"), true);
    assert.equal(isFinalReason("protocol error"), false);
    assert.equal(isFinalReason("client ping timeout"), false);
  });

  it("damage-sequence packets clamp what 6.5 range-checks", () => {
    assert.deepEqual(damageSequencePacket(7, 1, 320, 120, 1500), ["damage-sequence", 7, 1, 320, 120, 1500, ""]);
    assert.deepEqual(damageSequencePacket(7, 1, 70000, -3, Number.NaN, "bad"), ["damage-sequence", 7, 1, 65535, 0, -1, "bad"]);
  });

  it("ping echoes carry the six fields both servers read; a bad time gets no echo", () => {
    assert.deepEqual(pingEchoPacket(["ping", 1234, 99], 12), ["ping_echo", 1234, 0, 0, 0, 12, ""]);
    assert.deepEqual(pingEchoPacket(["ping", 5n, 99, b("sid")], -1), ["ping_echo", 5n, 0, 0, 0, -1, "sid"]);
    assert.deepEqual(pingEchoPacket(["ping", 1, 2], 70_000), ["ping_echo", 1, 0, 0, 0, -1, ""]);
    assert.equal(pingEchoPacket(["ping", -1, 2], 1), null);
    assert.equal(pingEchoPacket(["ping", b("1"), 2], 1), null);
    assert.equal(pingEchoPacket(["ping"], 1), null);
  });
});
