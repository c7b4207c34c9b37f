/**
 * Guards against accidental quadratic work (generous bounds, far above what is measured; see
 * tools/bench.mjs for the figures): a 1 MiB byte string decodes, a 1 MiB lz4 run inflates, and a
 * 4 MiB record arriving in 1 KiB feeds is read, each in a time linear in its size.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { CODECS } from "../src/protocol/codecs.js";
import { frameRecord, lz4DecompressSized, PacketReader, SESSION_LIMITS } from "../src/protocol/framing.js";
import { lz4CompressSized } from "./helpers/lz4-compress.js";

function best(fn: () => void): number {
  let min = Infinity;
  for (let i = 0; i < 5; i++) {
    const t0 = performance.now();
    fn();
    min = Math.min(min, performance.now() - t0);
  }
  return min;
}

test("1 MiB of bytes decodes in under 25 ms, in every codec", (t) => {
  for (const name of ["rencodeplus", "rencode", "bencode"] as const) {
    const wire = CODECS[name].encode(["draw", new Uint8Array(1 << 20)]);
    const ms = best(() => CODECS[name].decode(wire));
    t.diagnostic(`${name}: ${ms.toFixed(2)} ms`);
    assert.ok(ms < 25, `${name}: ${ms} ms`);
  }
});

test("1 MiB of repeated bytes inflates in under 25 ms", (t) => {
  const lz = lz4CompressSized(new Uint8Array(1 << 20).fill(7));
  const ms = best(() => lz4DecompressSized(lz, 1 << 20));
  t.diagnostic(`${ms.toFixed(2)} ms`);
  assert.ok(ms < 25, `${ms} ms`);
});

test("a 4 MiB record in 1 KiB feeds is read in under 250 ms", (t) => {
  const record = frameRecord(CODECS.rencodeplus.encode(["draw", new Uint8Array(4 << 20)]), 0x10);
  const ms = best(() => {
    const reader = new PacketReader({ encoders: ["rencodeplus"], limits: SESSION_LIMITS });
    let packets = 0;
    for (let at = 0; at < record.length; at += 1024) packets += reader.feed(record.subarray(at, at + 1024)).packets.length;
    assert.equal(packets, 1);
  });
  t.diagnostic(`${ms.toFixed(2)} ms`);
  assert.ok(ms < 250, `${ms} ms`);
});
