#!/usr/bin/env node
// Throughput of the protocol layer, from the built sources (npm run build:test first):
//   node tools/bench.mjs
// Each figure is the best of several runs after warm-up (what a long-lived client sees).
import { CODECS } from "../build/src/protocol/codecs.js";
import { frameRecord, lz4DecompressSized, PacketReader, SESSION_LIMITS } from "../build/src/protocol/framing.js";
import { lz4CompressSized } from "../build/test/helpers/lz4-compress.js";
import { Rng } from "../build/test/helpers/random.js";

const MiB = 1 << 20;
const rng = new Rng(1);

function best(fn, runs = 15) {
  for (let i = 0; i < 3; i++) fn();
  let min = Infinity;
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    fn();
    min = Math.min(min, performance.now() - t0);
  }
  return min;
}

const rows = [];
const row = (what, ms, bytes) =>
  rows.push([what, `${ms.toFixed(3)} ms`, bytes ? `${(bytes / MiB / (ms / 1000)).toFixed(0)} MiB/s` : ""]);

const pixels = rng.bytes(MiB);
for (const name of ["rencodeplus", "rencode", "bencode"]) {
  const codec = CODECS[name];
  const packet = ["draw", 1, 0, 0, 512, 512, "rgb32", pixels, 7, 2048, { lz4: 0 }];
  const wire = codec.encode(packet);
  row(`${name}: decode a draw packet with 1 MiB of bytes`, best(() => codec.decode(wire)), wire.length);
  row(`${name}: encode it`, best(() => codec.encode(packet)), wire.length);
}

const caps = new Map();
for (let i = 0; i < 300; i++) caps.set(`capability.${i}`, i % 3 ? [i, `value-${i}`, true] : new Map([["x", i]]));
const hello = CODECS.rencodeplus.encode(["hello", caps]);
row(`rencodeplus: decode a hello of ${hello.length} bytes (1500 values)`, best(() => CODECS.rencodeplus.decode(hello)), hello.length);

const smooth = Uint8Array.from({ length: MiB }, (_, i) => (i >> 6) & 0xff);
for (const [what, data] of [["pixel-like", smooth], ["random", pixels]]) {
  const lz = lz4CompressSized(data);
  row(`lz4: inflate 1 MiB ${what} (from ${lz.length} bytes)`, best(() => lz4DecompressSized(lz, 2 * MiB)), MiB);
}

const record = frameRecord(CODECS.rencodeplus.encode(["draw", 1, 0, 0, 512, 512, "rgb32", pixels, 7, 2048, {}]), 0x10);
const read = (slice) => () => {
  const reader = new PacketReader({ encoders: ["rencodeplus"], limits: SESSION_LIMITS });
  for (let at = 0; at < record.length; at += slice) reader.feed(record.subarray(at, at + slice));
};
row("PacketReader: a 1 MiB draw record in one feed", best(read(record.length)), record.length);
row("PacketReader: the same in 64 KiB feeds", best(read(64 * 1024)), record.length);
row("PacketReader: the same in 1 KiB feeds", best(read(1024), 5), record.length);

const ping = frameRecord(CODECS.rencodeplus.encode(["ping", 123456789, 1700000000000]), 0x10);
const pings = new Uint8Array(ping.length * 10000);
for (let i = 0; i < 10000; i++) pings.set(ping, i * ping.length);
const t = best(() => new PacketReader({ encoders: ["rencodeplus"] }).feed(pings), 5);
rows.push(["PacketReader: 10000 ping packets in one feed", `${t.toFixed(3)} ms`, `${((10000 / t) * 1000).toFixed(0)} packets/s`]);

const width = Math.max(...rows.map((r) => r[0].length));
console.log(`node ${process.version}`);
for (const [what, time, rate] of rows) console.log(`${what.padEnd(width)}  ${time.padStart(11)}  ${rate}`);
