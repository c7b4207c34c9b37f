/**
 * The codecs on their own: known byte vectors (from the type-code tables, independent of any
 * Python), round trips, and every refusal a decoder or encoder makes.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import * as bencode from "../src/protocol/bencode.js";
import * as rencode from "../src/protocol/rencode.js";
import * as rencodeplus from "../src/protocol/rencodeplus.js";
import { CodecError, Float } from "../src/protocol/values.js";
import type { DecodeLimits, Encodable, Value } from "../src/protocol/values.js";
import { assertBytes, assertSame } from "./helpers/compare.js";

const bytes = (...b: number[]) => Uint8Array.from(b);
const ascii = (s: string) => Uint8Array.from(s, (c) => c.charCodeAt(0));
const cat = (...parts: Uint8Array[]) => Uint8Array.from(parts.flatMap((p) => [...p]));
const refuses = (fn: () => unknown, pattern: RegExp) =>
  assert.throws(fn, (e: unknown) => e instanceof CodecError && pattern.test(e.message));

describe("rencodeplus", () => {
  test("known vector: text, bytes, float, dict with None", () => {
    const wire = rencodeplus.encode(["a", bytes(0x62), new Float(1.5), new Map([["k", null]])]);
    assertBytes(wire, cat(bytes(0xc4, 0x81, 0x61), ascii("1/b"), bytes(0x2c, 0x3f, 0xf8, 0, 0, 0, 0, 0, 0), bytes(0x67, 0x81, 0x6b, 0x45)));
  });

  test("integers take the narrowest form rencode defines", () => {
    const cases: [Encodable, number[]][] = [
      [0, [0]],
      [43, [43]],
      [44, [62, 44]],
      [-1, [70]],
      [-32, [101]],
      [-33, [62, 0xdf]],
      [128, [63, 0x00, 0x80]],
      [-32768, [63, 0x80, 0x00]],
      [32768, [64, 0, 0, 0x80, 0]],
      [2 ** 31, [65, 0, 0, 0, 0, 0x80, 0, 0, 0]],
      [2n ** 63n - 1n, [65, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]],
    ];
    for (const [value, expected] of cases) assertBytes(rencodeplus.encode(value), Uint8Array.from(expected), String(value));
    assertBytes(rencodeplus.encode(2n ** 63n), cat(bytes(61), ascii("9223372036854775808"), bytes(127)));
  });

  test("round trip of nested values keeps every type", () => {
    const value: Value = [
      "text",
      bytes(1, 2, 3),
      new Uint8Array(0),
      "",
      -0.5,
      2n ** 70n,
      -(2n ** 63n),
      Number.MAX_SAFE_INTEGER,
      true,
      false,
      null,
      new Map<string | number, Value>([["a", [1, [2, [3]]]], [7, new Map()]]),
      Array.from({ length: 100 }, (_, i) => i * 1000),
      "x".repeat(100),
    ];
    assertSame(rencodeplus.decode(rencodeplus.encode(value)), value);
  });

  test("integral numbers are integers unless marked Float; 2**53 and beyond become bigint", () => {
    assertSame(rencodeplus.decode(rencodeplus.encode(1)), 1);
    assertSame(rencodeplus.decode(rencodeplus.encode(new Float(1))), 1);
    assert.equal(rencodeplus.encode(new Float(1))[0], 44);
    assertSame(rencodeplus.decode(rencodeplus.encode(2 ** 53)), 2n ** 53n);
    assertSame(rencodeplus.decode(rencodeplus.encode(1e20)), 100000000000000000000n);
  });

  test("a plain object encodes as a string-keyed dict; __proto__ stays a key", () => {
    const decoded = rencodeplus.decode(rencodeplus.encode(JSON.parse('{"__proto__": {"polluted": 1}, "b": 2}'))) as Map<string, Value>;
    assert.ok(decoded instanceof Map);
    assert.deepEqual([...decoded.keys()], ["__proto__", "b"]);
    assert.equal(({} as Record<string, unknown>)["polluted"], undefined);
  });

  test("the decoder refuses what is not rencodeplus", () => {
    refuses(() => rencodeplus.decode(new Uint8Array(0)), /truncated/);
    refuses(() => rencodeplus.decode(bytes(45)), /unknown rencodeplus type code 45/);
    refuses(() => rencodeplus.decode(bytes(127)), /unknown/);
    refuses(() => rencodeplus.decode(bytes(1, 2)), /1 bytes after the value/);
    refuses(() => rencodeplus.decode(bytes(0xc2, 1)), /truncated/);
    refuses(() => rencodeplus.decode(bytes(59, 1, 2)), /truncated/);
    refuses(() => rencodeplus.decode(bytes(65, 0, 0)), /truncated/);
    refuses(() => rencodeplus.decode(cat(ascii("5:abc"))), /truncated/);
    refuses(() => rencodeplus.decode(cat(ascii("05:abcde"))), /leading zero/);
    refuses(() => rencodeplus.decode(cat(ascii("5x"))), /ends with byte/);
    refuses(() => rencodeplus.decode(cat(ascii("12345678901:"))), /too long/);
    refuses(() => rencodeplus.decode(bytes(0x82, 0xc3, 0x28)), /not valid UTF-8/);
    refuses(() => rencodeplus.decode(cat(bytes(61), ascii("12"), bytes(127))), /fits int64/);
    refuses(() => rencodeplus.decode(cat(bytes(61), ascii("-0"), bytes(127))), /leading zero|-0/);
    refuses(() => rencodeplus.decode(cat(bytes(61), ascii("1".repeat(64)), bytes(127))), /terminator|longer/);
    refuses(() => rencodeplus.decode(cat(bytes(61), ascii("99999999999999999999x"), bytes(127))), /non-digit/);
    refuses(() => rencodeplus.decode(bytes(103, 0xc0, 1)), /dictionary key of type list/);
  });

  test("decode limits: depth and value count", () => {
    const limits: DecodeLimits = { maxDepth: 3, maxValues: 10 };
    assertSame(rencodeplus.decode(bytes(0xc1, 0xc1, 0xc1, 0), limits), [[[0]]]);
    refuses(() => rencodeplus.decode(bytes(0xc1, 0xc1, 0xc1, 0xc1, 0), limits), /nesting deeper than 3/);
    refuses(() => rencodeplus.decode(rencodeplus.encode(Array.from({ length: 10 }, () => 0)), limits), /more than 10 values/);
    // a fixed-length list longer than what is left fails before it loops
    refuses(() => rencodeplus.decode(bytes(0xff, 0, 0)), /truncated/);
  });

  test("the encoder refuses what rencodeplus cannot carry", () => {
    refuses(() => rencodeplus.encode(10n ** 63n), /64 decimal characters/);
    refuses(() => rencodeplus.encode(undefined as unknown as Encodable), /undefined/);
    refuses(() => rencodeplus.encode((() => 1) as unknown as Encodable), /function/);
    refuses(() => rencodeplus.encode(new Date() as unknown as Encodable), /Date/);
    refuses(() => rencodeplus.encode("\ud800"), /lone UTF-16 surrogate/);
    refuses(() => rencodeplus.encode(new Map([[[1] as unknown as string, 1]])), /key of type list/);
    const cycle: Encodable[] = [];
    cycle.push(cycle);
    refuses(() => rencodeplus.encode(cycle), /nesting deeper/);
  });
});

describe("rencode (3.1)", () => {
  test("text and bytes share one form and both decode to bytes; keys decode to text", () => {
    assertBytes(rencode.encode(["ab", ascii("ab")]), bytes(0xc2, 0x82, 0x61, 0x62, 0x82, 0x61, 0x62));
    assertSame(rencode.decode(rencode.encode(new Map([["k", "v"]]))), new Map([["k", ascii("v")]]));
    assertSame(rencode.decode(rencode.encode("x".repeat(64))), ascii("x".repeat(64)));
    assertBytes(rencode.encode("x".repeat(64)).subarray(0, 3), ascii("64:"));
  });

  test("floats go out as float32 unless asked for 64 bits, and both are read", () => {
    assertBytes(rencode.encode(new Float(1.5)), bytes(66, 0x3f, 0xc0, 0, 0));
    assertSame(rencode.decode(rencode.encode(0.1)), Math.fround(0.1));
    assertSame(rencode.decode(rencode.encode(0.1, { floatBits: 64 })), 0.1);
  });

  test("refuses rencodeplus-only forms and type code 48", () => {
    refuses(() => rencode.decode(ascii("1/x")), /ends with byte 47/);
    refuses(() => rencode.decode(ascii("0:")), /starting with '0'/);
    refuses(() => rencode.decode(bytes(0x81, 0x61, 0x62)), /1 bytes after/);
  });

  test("a non-UTF-8 dict key is refused (Xpra's keys are names)", () => {
    refuses(() => rencode.decode(bytes(103, 0x81, 0xff, 0)), /not valid UTF-8/);
  });
});

describe("bencode (3.1)", () => {
  test("known vector: Xpra 3.1's form", () => {
    const wire = bencode.encode(["hello", new Map<string, Encodable>([["k", [1, -2, true]], ["b", ascii("x")]])]);
    assertBytes(wire, ascii("l5:hellod1:kli1ei-2ei1ee1:b1:xee"));
  });

  test("round trip; text marked u decodes to text, the rest to bytes", () => {
    assertSame(bencode.decode(bencode.encode([1, 2n ** 80n, "é", []])), [1, 2n ** 80n, ascii("\xc3\xa9"), []]);
    assertSame(bencode.decode(cat(ascii("u2:"), bytes(0xc3, 0xa9))), "é");
    refuses(() => bencode.decode(cat(ascii("u1:"), bytes(0xff))), /not valid UTF-8/);
  });

  test("refuses floats, None and malformed input", () => {
    refuses(() => bencode.encode(1.5), /float/);
    refuses(() => bencode.encode(new Float(1)), /float/);
    refuses(() => bencode.encode(null), /None/);
    refuses(() => bencode.decode(ascii("i01e")), /leading zero/);
    refuses(() => bencode.decode(ascii("i-0e")), /leading zero|-0/);
    refuses(() => bencode.decode(ascii("ie")), /empty integer/);
    refuses(() => bencode.decode(ascii(`i${"1".repeat(64)}e`)), /without 'e'|longer/);
    refuses(() => bencode.decode(ascii("i1")), /without 'e'/);
    refuses(() => bencode.decode(ascii("l")), /truncated/);
    refuses(() => bencode.decode(ascii("5:abc")), /truncated/);
    refuses(() => bencode.decode(ascii("x")), /unknown bencode type byte/);
    refuses(() => bencode.decode(ascii("dli1eei1ee")), /key of type list/);
    refuses(() => bencode.decode(ascii("i1ei2e")), /bytes after/);
  });
});
