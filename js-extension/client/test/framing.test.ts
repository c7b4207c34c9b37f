/**
 * The record layer on its own: header round trip, packets through encodePacket and PacketReader
 * for each encoding, raw chunks, lz4 records, and every refusal, each found as early as the bytes
 * allow and sticky afterwards.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import * as rencodeplus from "../src/protocol/rencodeplus.js";
import { encodePacket, frameRecord, PacketReader, readHeader, writeHeader } from "../src/protocol/framing.js";
import type { FeedResult, PacketReaderOptions, ProtocolErrorCode } from "../src/protocol/framing.js";
import type { Encodable } from "../src/protocol/values.js";
import { assertSame } from "./helpers/compare.js";
import { lz4CompressSized } from "./helpers/lz4-compress.js";

const ALL: PacketReaderOptions = { encoders: ["rencodeplus", "rencode", "bencode"] };
const cat = (...parts: Uint8Array[]) => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
};
const header = (flags: number, compression: number, index: number, size: number) =>
  writeHeader({ flags, compression, index, size });
const plus = (items: Encodable[]) => frameRecord(rencodeplus.encode(items), 0x10);

function expectError(result: FeedResult, code: ProtocolErrorCode, pattern?: RegExp): void {
  assert.ok(result.error, "expected an error");
  assert.equal(result.error.code, code, result.error.message);
  if (pattern) assert.match(result.error.message, pattern);
}

describe("header", () => {
  test("round trip, big-endian size", () => {
    const bytes = writeHeader({ flags: 0x18, compression: 0x13, index: 7, size: 0x01020304 });
    assert.deepEqual([...bytes], [0x50, 0x18, 0x13, 7, 1, 2, 3, 4]);
    assert.deepEqual(readHeader(bytes), { flags: 0x18, compression: 0x13, index: 7, size: 0x01020304 });
  });
});

describe("PacketReader", () => {
  test("each encoding, fed whole, byte by byte and two at once", () => {
    for (const encoder of ["rencodeplus", "rencode", "bencode"] as const) {
      const packet = encodePacket(["ping", 1234567, { echo: [1, 2] }], encoder);
      for (const split of [packet.length, 1, 3]) {
        const reader = new PacketReader(ALL);
        const got = [];
        for (let i = 0; i < packet.length; i += split) {
          const r = reader.feed(packet.subarray(i, i + split));
          assert.equal(r.error, null);
          got.push(...r.packets);
        }
        assert.equal(got.length, 1, `${encoder} split ${split}`);
        assert.equal(got[0]!.type, "ping");
        assert.equal(got[0]!.encoder, encoder);
        assert.equal(got[0]!.items[1], 1234567);
      }
      const two = new PacketReader(ALL).feed(cat(packet, packet));
      assert.equal(two.packets.length, 2);
    }
  });

  test("raw chunks replace their item; lz4 records and chunks are inflated", () => {
    const pixels = Uint8Array.from({ length: 5000 }, (_, i) => i % 7);
    const text = new TextEncoder().encode("clipboard ".repeat(100));
    const main = rencodeplus.encode(["draw", 1, "", 3, ""]);
    const lz4Text = lz4CompressSized(text);
    const lz4Main = lz4CompressSized(main);
    const stream = cat(
      header(0, 0, 2, pixels.length), pixels,
      header(0, 0x13, 4, lz4Text.length), lz4Text,
      header(0x18, 0x13, 0, lz4Main.length), lz4Main,
    );
    const r = new PacketReader(ALL).feed(stream);
    assert.equal(r.error, null);
    assertSame(r.packets[0]!.items, ["draw", 1, pixels, 3, text]);
    assert.notEqual(r.packets[0]!.items[2], pixels, "a chunk is a copy, not the caller's array");
  });

  test("packets before a malformed record are returned, then the error, which sticks", () => {
    const reader = new PacketReader(ALL);
    const r = reader.feed(cat(plus(["a"]), plus(["b"]), Uint8Array.from([0x51])));
    assert.deepEqual(r.packets.map((p) => p.type), ["a", "b"]);
    expectError(r, "magic");
    assert.equal(r.error!.streamOffset, 2 * (8 + 3));
    const again = reader.feed(plus(["c"]));
    assert.equal(again.packets.length, 0);
    assert.equal(again.error, r.error);
    assert.equal(reader.failed, r.error);
  });

  test("a wrong first byte fails at once, a bad header after 8 bytes, before any payload", () => {
    expectError(new PacketReader(ALL).feed(Uint8Array.of(0x47)), "magic"); // "GET …"
    const reader = new PacketReader(ALL);
    const h = header(0x10, 0, 0, 0xffffffff);
    assert.equal(reader.feed(h.subarray(0, 7)).error, null);
    expectError(reader.feed(h.subarray(7)), "size", /4294967295 bytes, more than the limit of 4194304/);
    assert.equal(reader.heldBytes, 0, "nothing is kept after an error");
  });

  test("header refusals", () => {
    const cases: [Uint8Array, ProtocolErrorCode, RegExp][] = [
      [header(0x20, 0, 0, 1), "flags", /unknown protocol flags 0x20/],
      [header(0x12, 0, 0, 1), "flags", /encrypted/],
      [header(0x04, 0, 0, 1), "flags", /yaml/],
      [header(0x11, 0, 0, 1), "flags", /two encoders/],
      [header(0x10, 0, 3, 1), "flags", /raw chunk with protocol flags/],
      [header(0x08, 0, 3, 1), "flags", /raw chunk with protocol flags/],
      [header(0, 0, 16, 1), "chunk", /index 16 over 15/],
      [header(0x10, 0, 0, 0), "size", /empty record/],
      [header(0x10, 0x03, 0, 1), "compression", /zlib/],
      [header(0x10, 0x23, 0, 1), "compression", /lzo/],
      [header(0x10, 0x43, 0, 1), "compression", /brotli/],
      [header(0x10, 0x83, 0, 1), "compression", /zstd/],
      [header(0x10, 0x10, 0, 1), "compression", /without a level/],
      [header(0x10, 0x30, 0, 1), "compression", /without a level/],
    ];
    for (const [h, code, pattern] of cases) expectError(new PacketReader(ALL).feed(h), code, pattern);
  });

  test("an encoding not accepted is refused; setEncoders narrows, setLimits widens", () => {
    const reader = new PacketReader({ encoders: ["rencodeplus"] });
    expectError(reader.feed(encodePacket(["x"], "rencode")), "flags", /rencode record \(not accepted here\)/);
    const narrowed = new PacketReader(ALL);
    narrowed.setEncoders(["bencode"]);
    expectError(narrowed.feed(encodePacket(["x"], "rencodeplus")), "flags");
    const big = plus(["draw", new Uint8Array(5 << 20)]);
    expectError(new PacketReader(ALL).feed(big), "size");
    const widened = new PacketReader(ALL);
    widened.setLimits({ maxRecordSize: 16 << 20 });
    assert.equal(widened.feed(big).packets.length, 1);
  });

  test("raw chunk refusals: duplicate, too many, outside the packet", () => {
    const chunk = (index: number) => cat(header(0, 0, index, 2), Uint8Array.of(1, 2));
    expectError(new PacketReader(ALL).feed(cat(chunk(1), chunk(1))), "chunk", /second raw chunk for index 1/);
    expectError(new PacketReader(ALL).feed(cat(chunk(1), chunk(2), chunk(3), chunk(4))), "chunk", /more than 3 raw chunks/);
    expectError(new PacketReader(ALL).feed(cat(chunk(5), plus(["x", 1]))), "chunk", /index 5 outside a packet of 2 items/);
    const ok = new PacketReader(ALL).feed(cat(chunk(1), chunk(2), chunk(3), plus(["x", "", "", ""])));
    assert.equal(ok.error, null);
  });

  test("lz4 refusals: corrupt block, bomb over the inflate limit", () => {
    const bad = Uint8Array.of(10, 0, 0, 0, 0x10, 0x61, 9, 0);
    expectError(new PacketReader(ALL).feed(cat(header(0x10, 0x11, 0, bad.length), bad)), "lz4", /offset 9/);
    const bomb = Uint8Array.of(0, 0, 0, 0x40, 0); // declares 1 GiB
    expectError(new PacketReader(ALL).feed(cat(header(0x10, 0x11, 0, bomb.length), bomb)), "lz4", /more than the limit/);
  });

  test("what is not a packet: not a list, empty, no name for a type", () => {
    const cases: [Encodable, RegExp][] = [
      [5, /not a non-empty list/],
      [[], /not a non-empty list/],
      [[7, 1], /type is not a name/],
      [["has space"], /type is not a name/],
      [["__proto__"], /type is not a name/],
      [["x".repeat(65)], /type is not a name/],
      [[new Uint8Array([0xff])], /not valid UTF-8/],
    ];
    for (const [value, pattern] of cases) {
      const r = new PacketReader(ALL).feed(frameRecord(rencodeplus.encode(value), 0x10));
      assert.ok(r.error && pattern.test(r.error.message), `${JSON.stringify(String(value))}: ${r.error?.message}`);
    }
    expectError(new PacketReader(ALL).feed(frameRecord(Uint8Array.of(45), 0x10)), "decode", /unknown rencodeplus type code/);
  });

  test("a 3.1 packet type sent as bytes becomes text", () => {
    const r = new PacketReader(ALL).feed(encodePacket(["hello", new Map([["version", "3.1.3"]])], "rencode"));
    assert.equal(r.packets[0]!.type, "hello");
    assert.equal(r.packets[0]!.items[0], "hello");
  });

  test("the held buffer stays within one record, whatever the feed sizes", () => {
    const reader = new PacketReader(ALL);
    const record = plus(["draw", new Uint8Array(1_500_000)]);
    for (let round = 0; round < 3; round++) {
      for (let i = 0; i < record.length; i += 10_000) {
        assert.equal(reader.feed(record.subarray(i, i + 10_000)).error, null);
        assert.ok(reader.heldBytes <= 2 * record.length, `held ${reader.heldBytes}`);
      }
    }
    assert.equal(reader.heldBytes, 0, "an emptied buffer over 1 MiB is dropped");
  });
});
