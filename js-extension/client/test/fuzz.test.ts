/**
 * Fuzzing: random, mutated, truncated and oversized input into the codecs and the PacketReader.
 * A decoder returns plain data or throws a CodecError, nothing else; feed() never throws, reports
 * a classified error (never "internal"), stays failed after it, keeps within its limits (depth,
 * values, held bytes) and its time. Seeded: FUZZ_SEED=n FUZZ_ROUNDS=n replays or extends a run.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { CODECS } from "../src/protocol/codecs.js";
import type { EncoderName } from "../src/protocol/codecs.js";
import { frameRecord, PacketReader, writeHeader } from "../src/protocol/framing.js";
import type { FramingLimits } from "../src/protocol/framing.js";
import * as bencode from "../src/protocol/bencode.js";
import * as rencode from "../src/protocol/rencode.js";
import * as rencodeplus from "../src/protocol/rencodeplus.js";
import { AudioStream, MAX_OPUS_PACKET } from "../src/audio/stream.js";
import { Caps } from "../src/session/index.js";
import { CodecError } from "../src/protocol/values.js";
import { assertPlain, assertSame } from "./helpers/compare.js";
import { concat, mutate, randomStream, randomValue } from "./helpers/generate.js";
import { lz4CompressSized } from "./helpers/lz4-compress.js";
import { Rng } from "./helpers/random.js";

const SEED = Number(process.env["FUZZ_SEED"] ?? 2121);
const ROUNDS = Number(process.env["FUZZ_ROUNDS"] ?? 1000);
const CODEC_NAMES: EncoderName[] = ["rencodeplus", "rencode", "bencode"];

const LIMITS: FramingLimits = {
  maxRecordSize: 64 * 1024,
  maxInflatedSize: 256 * 1024,
  maxChunks: 3,
  maxChunkIndex: 15,
  maxDepth: 16,
  maxValues: 5000,
};

function decodeOrCodecError(codec: EncoderName, bytes: Uint8Array, where: string): void {
  let value;
  try {
    value = CODECS[codec].decode(bytes, LIMITS);
  } catch (e) {
    if (e instanceof CodecError) return;
    assert.fail(`${where}: ${codec} decoder threw ${String(e)} (not a CodecError)`);
  }
  const stats = assertPlain(value);
  assert.ok(stats.depth <= LIMITS.maxDepth, `${where}: depth ${stats.depth}`);
  assert.ok(stats.values <= LIMITS.maxValues, `${where}: ${stats.values} values`);
}

describe(`codecs under fuzz (seed ${SEED}, ${ROUNDS} rounds)`, () => {
  for (const codec of CODEC_NAMES) {
    test(`${codec}: random values round-trip`, () => {
      const rng = new Rng(SEED);
      for (let i = 0; i < ROUNDS / 3; i++) {
        const [sent, back] = randomValue(rng, codec);
        assertSame(CODECS[codec].decode(CODECS[codec].encode(sent)), back, `round ${i}`);
      }
    });

    test(`${codec}: mutated and random bytes give plain data or a CodecError`, () => {
      const rng = new Rng(SEED + 1);
      for (let i = 0; i < ROUNDS; i++) {
        const [sent] = randomValue(rng, codec);
        decodeOrCodecError(codec, mutate(rng, CODECS[codec].encode(sent)), `round ${i}`);
        decodeOrCodecError(codec, rng.bytes(rng.int(64)), `random ${i}`);
      }
    });
  }
});

interface Outcome {
  packets: number;
  error: string | null;
  message?: string;
}

/** Feeds a stream in random slices, checking every invariant after every feed. */
function feedChecked(rng: Rng, stream: Uint8Array, where: string): Outcome {
  const reader = new PacketReader({ encoders: CODEC_NAMES, limits: LIMITS });
  let packets = 0;
  let failure = null;
  const maxSlice = rng.pick([1, 7, 100, 5000, stream.length + 1]);
  const t0 = performance.now();
  for (let at = 0; at < stream.length; ) {
    const slice = stream.subarray(at, at + 1 + rng.int(maxSlice));
    at += slice.length;
    let r;
    try {
      r = reader.feed(slice);
    } catch (e) {
      assert.fail(`${where}: feed() threw ${String(e)}`);
    }
    if (failure) {
      assert.equal(r.error, failure, `${where}: the error did not stick`);
      assert.equal(r.packets.length, 0, `${where}: packets after an error`);
    }
    for (const p of r.packets) {
      const stats = assertPlain(p.items);
      assert.ok(stats.depth <= LIMITS.maxDepth && stats.values <= LIMITS.maxValues, `${where}: over the limits`);
      assert.equal(typeof p.type, "string");
    }
    packets += r.packets.length;
    if (r.error) {
      assert.notEqual(r.error.code, "internal", `${where}: internal error ${r.error.message}`);
      failure = r.error;
    }
    // At most one incomplete record plus the slice that completes it, doubled by growth.
    assert.ok(reader.heldBytes <= 2 * (8 + LIMITS.maxRecordSize + maxSlice), `${where}: holds ${reader.heldBytes} bytes`);
  }
  assert.ok(performance.now() - t0 < 2000, `${where}: took ${performance.now() - t0} ms`);
  return failure ? { packets, error: failure.code, message: failure.message } : { packets, error: null };
}

describe(`PacketReader under fuzz (seed ${SEED})`, () => {
  test("valid random streams, random slices: every packet, no error", () => {
    const rng = new Rng(SEED + 2);
    for (let i = 0; i < ROUNDS / 5; i++) {
      const { stream, packets } = randomStream(rng);
      const outcome = feedChecked(rng, stream, `stream ${i}`);
      assert.deepEqual(outcome, { packets, error: null }, `stream ${i}: ${JSON.stringify(outcome)} (${packets} sent)`);
    }
  });

  test("mutated streams: never a throw, a classified error, limits kept", (t) => {
    const rng = new Rng(SEED + 3);
    const codes = new Map<string, number>();
    for (let i = 0; i < ROUNDS; i++) {
      const outcome = feedChecked(rng, mutate(rng, randomStream(rng).stream), `mutant ${i}`);
      const key = outcome.error ?? "none";
      codes.set(key, (codes.get(key) ?? 0) + 1);
    }
    t.diagnostic(`outcomes: ${JSON.stringify(Object.fromEntries(codes))}`);
    assert.ok((codes.get("none") ?? 0) < ROUNDS, "no mutant was refused");
  });

  test("random bytes and random headers", () => {
    const rng = new Rng(SEED + 4);
    for (let i = 0; i < ROUNDS; i++) {
      const header = writeHeader({ flags: rng.int(256), compression: rng.int(256), index: rng.int(256), size: rng.int(2) ? rng.int(200) : rng.int(2 ** 32) });
      const stream = rng.int(2) ? rng.bytes(rng.int(300)) : concat(header, rng.bytes(rng.int(300)));
      feedChecked(rng, stream, `random ${i}`);
    }
  });
});

describe("hostile inputs, each bounded in memory and time", () => {
  const reader = () => new PacketReader({ encoders: CODEC_NAMES });
  const timed = <T>(fn: () => T, ms: number, what: string): T => {
    const t0 = performance.now();
    const out = fn();
    const took = performance.now() - t0;
    assert.ok(took < ms, `${what} took ${took.toFixed(1)} ms`);
    return out;
  };

  test("4 MiB of empty lists: refused at the value limit", () => {
    const payload = new Uint8Array(4 * 1024 * 1024 - 8).fill(0xc0);
    payload.set([59, 0x84, 0x64, 0x72, 0x61, 0x77], 0); // a list: "draw", [], [], …
    const r = timed(() => reader().feed(frameRecord(payload, 0x10)), 1000, "list bomb");
    assert.equal(r.error?.code, "decode");
    assert.match(r.error!.message, /more than 200000 values/);
  });

  test("a million nested lists: refused at the depth limit, no stack overflow", () => {
    const payload = new Uint8Array(1_000_000).fill(0xc1);
    const r = timed(() => reader().feed(frameRecord(payload, 0x10)), 200, "depth bomb");
    assert.match(r.error!.message, /nesting deeper than 64/);
  });

  test("sizes: a 4 GiB record and a 4 GiB lz4 payload are refused before allocation", () => {
    const big = timed(() => reader().feed(writeHeader({ flags: 0x10, compression: 0, index: 0, size: 2 ** 32 - 1 })), 20, "size");
    assert.equal(big.error?.code, "size");
    const bomb = Uint8Array.of(0xff, 0xff, 0xff, 0xff, 0);
    const lz = timed(() => reader().feed(frameRecord(bomb, 0x10, 0x11)), 20, "lz4 bomb");
    assert.equal(lz.error?.code, "lz4");
  });

  test("a 16 MiB lz4 record of zeros is refused before the hello, inflated after it", () => {
    const zeros = lz4CompressSized(new Uint8Array(16 * 1024 * 1024 + 1));
    const before = reader().feed(frameRecord(zeros, 0x10, 0x11));
    assert.match(before.error!.message, /more than the limit of 16777216/);
    const after = new PacketReader({ encoders: CODEC_NAMES, limits: { maxInflatedSize: 64 << 20 } });
    const r = timed(() => after.feed(frameRecord(zeros, 0x10, 0x11)), 1000, "inflating 16 MiB");
    assert.equal(r.error?.code, "decode"); // zeros are the int 0 and 16 MiB of trailing bytes
  });

  test("an integer of 100000 digits is refused without parsing it", () => {
    const digits = "9".repeat(100_000);
    const wire = new TextEncoder().encode(`li${digits}ee`);
    assert.throws(() => timed(() => bencode.decode(wire), 50, "bencode int"), /without 'e' in 63/);
    const big = new TextEncoder().encode(`=${digits}\x7f`);
    assert.throws(() => timed(() => rencodeplus.decode(big), 50, "big int"), /without a terminator/);
  });

  test("100000 small packets in one feed: linear time", () => {
    const one = frameRecord(rencodeplus.encode(["ping", 1, 2]), 0x10);
    const many = new Uint8Array(one.length * 100_000);
    for (let i = 0; i < 100_000; i++) many.set(one, i * one.length);
    const r = timed(() => reader().feed(many), 1500, "100000 packets");
    assert.equal(r.packets.length, 100_000);
  });

  test("an HTTP answer instead of Xpra is refused at its first byte", () => {
    const r = reader().feed(new TextEncoder().encode("HTTP/1.1 400 Bad Request\r\n\r\n"));
    assert.equal(r.error?.code, "magic");
  });

  test("dict keys named like Object members stay keys; nothing is polluted", () => {
    const wire = rencodeplus.encode(JSON.parse('{"__proto__": {"isAdmin": true}, "constructor": {"prototype": {"x": 1}}, "toString": 1}'));
    const r = reader().feed(frameRecord(rencodeplus.encode(["hello", rencodeplus.decode(wire)]), 0x10));
    const caps = r.packets[0]!.items[1] as Map<string, unknown>;
    assert.deepEqual([...caps.keys()], ["__proto__", "constructor", "toString"]);
    assert.equal(({} as Record<string, unknown>)["isAdmin"], undefined);
    assert.equal(({} as Record<string, unknown>)["x"], undefined);
    assert.equal(Object.getPrototypeOf(caps), Map.prototype);
  });
});

// Issue 22: sound-data as each version frames it (3.1: rencode, the Opus packet as a raw chunk
// for item 2; 6.5: rencodeplus, inline), valid and mutated, through the reader and into the
// audio stream: never a throw out of the loop, only bounded byte strings reach the player.
describe(`sound-data under fuzz (seed ${SEED})`, () => {
  const utf8 = (s: string) => new TextEncoder().encode(s);
  function soundStream(rng: Rng, version: "3.1" | "6.5"): Uint8Array {
    const parts: Uint8Array[] = [];
    const codec = version === "3.1" ? rencode : rencodeplus;
    const flag = version === "3.1" ? 0x01 : 0x10;
    const txt = (s: string) => (version === "3.1" ? utf8(s) : s);
    const empty = version === "3.1" ? utf8("") : [];
    parts.push(frameRecord(codec.encode(["sound-data", txt("opus"), empty, { "start-of-stream": true, codec: txt("opus"), sequence: 0 }]), flag));
    for (let i = 0; i < 1 + rng.int(20); i++) {
      const opus = rng.bytes(rng.int(3) === 0 ? 3 : 1 + rng.int(400));
      const meta = { timestamp: i * 20_000_000, duration: 20_000_000, time: 1000 + i * 20, sequence: 0 };
      if (version === "3.1") {
        parts.push(concat(writeHeader({ flags: 0, compression: 0, index: 2, size: opus.length }), opus));
        parts.push(frameRecord(codec.encode(["sound-data", txt("opus"), utf8(""), meta, []]), flag));
      } else {
        parts.push(frameRecord(codec.encode(["sound-data", "opus", opus, meta, []]), flag));
      }
    }
    parts.push(frameRecord(codec.encode(["sound-data", txt("opus"), empty, { "end-of-stream": true, sequence: 0 }]), flag));
    return concat(...parts);
  }

  for (const version of ["3.1", "6.5"] as const) {
    test(`${version}: valid and mutated sound streams through the reader and the audio stream`, () => {
      const rng = new Rng(SEED + 22);
      let handed = 0;
      let refused = 0;
      for (let i = 0; i < ROUNDS / 2; i++) {
        const packets: Uint8Array[] = [];
        const player = { start: () => undefined, end: () => undefined, data: (p: Uint8Array) => void packets.push(p) };
        const stream = new AudioStream({ send: () => undefined, player, log: () => undefined });
        stream.serverHello(new Caps(new Map([["sound.encoders", ["opus"]]])));
        const valid = soundStream(rng, version);
        const bytes = i % 4 === 0 ? valid : mutate(rng, valid);
        const reader = new PacketReader({ encoders: CODEC_NAMES, limits: LIMITS });
        const { packets: decoded, error } = reader.feed(bytes);
        if (i % 4 === 0) assert.equal(error, null, `valid stream ${i}`);
        for (const p of decoded) {
          if (p.type !== "sound-data") continue;
          assert.doesNotThrow(() => stream.packet(p.items));
        }
        for (const p of packets) assert.ok(p instanceof Uint8Array && p.length >= 1 && p.length <= MAX_OPUS_PACKET);
        if (i % 4 === 0) assert.equal(stream.stats.refused, 0, `valid stream ${i}: ${JSON.stringify(stream.stats)}`);
        handed += packets.length;
        refused += stream.stats.refused;
      }
      assert.ok(handed > 0 && refused > 0, `handed ${handed}, refused ${refused}`);
    });
  }
});
