/**
 * Byte streams written by Xpra's own record layer (Protocol.encode and its chunk-header code, run
 * by test/xpra_reference.py): Xpra 3.1 in rencode and bencode, Xpra 6.5 in rencodeplus, with
 * lz4-compressed main records, raw chunks (pixels as-is, clipboard text lz4-inflated by the record
 * layer, two chunks before one packet) and the flush flag. Our PacketReader must give back exactly
 * the packets Xpra sent, however the stream is cut into feeds, and nothing from a cut-off tail.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { PacketReader, SESSION_LIMITS } from "../src/protocol/framing.js";
import type { Packet } from "../src/protocol/framing.js";
import { CodecError } from "../src/protocol/values.js";
import type { Value } from "../src/protocol/values.js";
import { assertSame } from "./helpers/compare.js";
import { referenceOrFailure, versionOf } from "./helpers/python.js";
import type { CodecName } from "./helpers/python.js";
import { Rng } from "./helpers/random.js";
import { bytesFromBase64, toExpected } from "./helpers/tagged.js";
import type { Tagged } from "./helpers/tagged.js";

interface Frames {
  xpra: string;
  stream: string;
  packets: Tagged[];
}

function readAll(stream: Uint8Array, cuts: number[]): Packet[] {
  const reader = new PacketReader({ encoders: ["rencodeplus", "rencode", "bencode"], limits: SESSION_LIMITS });
  const packets: Packet[] = [];
  let at = 0;
  for (const cut of [...cuts, stream.length]) {
    const r = reader.feed(stream.subarray(at, cut));
    if (r.error) throw new CodecError(`${r.error.code}: ${r.error.message}`);
    packets.push(...r.packets);
    at = cut;
  }
  return packets;
}

for (const codec of ["rencode", "bencode", "rencodeplus"] as CodecName[]) {
  const version = versionOf(codec);
  describe(`${codec} record streams from Xpra ${version}`, () => {
    const frames = referenceOrFailure<Frames>(version, ["frames", codec]);
    if (!frames) return;
    const stream = bytesFromBase64(frames.stream);
    // The reader hands the packet type over as text (3.1's codecs carry it as bytes).
    const expected = frames.packets.map((t) => {
      const items = toExpected(t) as Value[];
      if (items[0] instanceof Uint8Array) items[0] = new TextDecoder().decode(items[0]);
      return items;
    });

    test(`the reference is Xpra ${version}`, () => assert.ok(frames.xpra.startsWith(version), frames.xpra));

    test("fed whole: every packet, chunks in place", () => {
      const packets = readAll(stream, []);
      assert.equal(packets.length, expected.length);
      packets.forEach((p, i) => assertSame(p.items, expected[i], `packet ${i} (${p.type})`));
      assert.ok(packets.every((p) => p.encoder === codec));
    });

    test("fed in random slices (50 cuttings)", () => {
      const rng = new Rng(21);
      for (let round = 0; round < 50; round++) {
        const cuts: number[] = [];
        for (let at = rng.int(4096); at < stream.length; at += 1 + rng.int(round < 25 ? 64 : 65536)) cuts.push(at);
        const packets = readAll(stream, cuts);
        assert.equal(packets.length, expected.length, `round ${round}`);
        packets.forEach((p, i) => assertSame(p.items, expected[i], `round ${round} packet ${i}`));
      }
    });

    test("fed one byte at a time", () => {
      const cuts = Array.from({ length: stream.length - 1 }, (_, i) => i + 1);
      const packets = readAll(stream, cuts);
      packets.forEach((p, i) => assertSame(p.items, expected[i], `packet ${i}`));
    });

    test("cut short anywhere: a prefix of the packets, no error, nothing partial", () => {
      const rng = new Rng(5);
      for (let round = 0; round < 40; round++) {
        const end = rng.int(stream.length);
        const packets = readAll(stream.subarray(0, end), []);
        assert.ok(packets.length < expected.length);
        packets.forEach((p, i) => assertSame(p.items, expected[i], `cut at ${end}, packet ${i}`));
      }
    });
  });
}
