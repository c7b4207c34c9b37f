/**
 * Random values, streams and mutations for the fuzz tests (seeded: see Rng).
 */
import { CODECS } from "../../src/protocol/codecs.js";
import type { EncoderName } from "../../src/protocol/codecs.js";
import { frameRecord } from "../../src/protocol/framing.js";
import { normalizeInt } from "../../src/protocol/integers.js";
import { Float } from "../../src/protocol/values.js";
import type { Encodable, Key, Value } from "../../src/protocol/values.js";
import { lz4CompressSized } from "./lz4-compress.js";
import type { Rng } from "./random.js";

const CHARS = ["a", "Z", "0", " ", ":", "/", "<", "é", "日", "🎉", "\u0000", "\ufeff", "\u202e", "\x7f"];

export function randomText(rng: Rng, max: number): string {
  let s = "";
  const n = rng.int(max);
  for (let i = 0; i < n; i++) s += rng.pick(CHARS);
  return s;
}

function randomDouble(rng: Rng): number {
  const special = [0.5, -0.0, 1e300, -1e-300, 5e-324, Infinity, -Infinity, NaN, 0.1, Math.PI];
  if (rng.int(3) === 0) return rng.pick(special);
  const view = new DataView(new ArrayBuffer(8));
  for (let i = 0; i < 8; i++) view.setUint8(i, rng.int(256));
  return view.getFloat64(0);
}

function randomInteger(rng: Rng): number | bigint {
  switch (rng.int(6)) {
    case 0:
      return rng.int(90) - 40;
    case 1:
      return rng.int(70000) - 35000;
    case 2:
      return rng.int(2 ** 32) - 2 ** 31;
    case 3:
      return (rng.int(2) ? 1 : -1) * rng.int(Number.MAX_SAFE_INTEGER);
    case 4: {
      const v = BigInt.asIntN(64, BigInt(rng.int(2 ** 32)) << 32n | BigInt(rng.int(2 ** 32)));
      return normalizeInt(v);
    }
    default: {
      let digits = String(1 + rng.int(9));
      const n = 19 + rng.int(40);
      while (digits.length < n) digits += String(rng.int(10));
      return normalizeInt(BigInt((rng.int(2) ? "-" : "") + digits));
    }
  }
}

/**
 * A random value the codec can carry, and what its decoder must give back for it. `budget` caps
 * the values generated (containers stop growing when it runs out), so sizes stay small.
 */
export function randomValue(rng: Rng, codec: EncoderName, depth = 0, budget = { left: 300 }): [Encodable, Value] {
  const textIsBytes = codec !== "rencodeplus";
  const kinds = depth >= 6 || --budget.left <= 0 ? 7 : 9;
  const utf8 = (s: string) => new TextEncoder().encode(s);
  switch (rng.int(kinds)) {
    case 0: {
      const v = randomInteger(rng);
      return [v, v];
    }
    case 1: {
      if (codec === "bencode") return [true, 1];
      const v = randomDouble(rng);
      const back = codec === "rencode" ? Math.fround(v) : v;
      return [new Float(v), back];
    }
    case 2: {
      const v = rng.int(2) === 0;
      return [v, codec === "bencode" ? (v ? 1 : 0) : v];
    }
    case 3:
      return codec === "bencode" ? [0, 0] : [null, null];
    case 4:
    case 5: {
      const s = randomText(rng, rng.int(4) ? 20 : 100);
      return [s, textIsBytes ? utf8(s) : s];
    }
    case 6: {
      const b = rng.bytes(rng.int(8) ? rng.int(70) : rng.int(3000));
      return [b, b.slice()];
    }
    case 7: {
      const n = rng.int(4) ? rng.int(8) : rng.int(80);
      const pairs = Array.from({ length: n }, () => randomValue(rng, codec, depth + 1, budget));
      return [pairs.map((p) => p[0]), pairs.map((p) => p[1])];
    }
    default: {
      const n = rng.int(4) ? rng.int(6) : rng.int(40);
      const sent = new Map<Key, Encodable>();
      const back = new Map<Key, Value>();
      for (let i = 0; i < n; i++) {
        const key: Key = rng.int(3) ? randomText(rng, 12) : rng.int(1000) - 500;
        if (sent.has(key)) continue;
        const [v, b] = randomValue(rng, codec, depth + 1, budget);
        sent.set(key, v);
        back.set(key, b);
      }
      return [sent, back];
    }
  }
}

const INTERESTING = [0, 0xff, 0x7f, 0x80, 0xc0, 0x3b, 0x3c, 0x3d, 0x2f, 0x3a, 0x50, 0x10, 0x13, 0x30, 0x39, 0x65];

/** 1-3 random edits: bit flips, interesting bytes, deletions, insertions, duplications, cuts. */
export function mutate(rng: Rng, input: Uint8Array): Uint8Array {
  let b: Uint8Array = input.slice();
  const edits = 1 + rng.int(3);
  for (let e = 0; e < edits; e++) {
    const at = rng.int(b.length + 1);
    switch (rng.int(7)) {
      case 0:
        if (b.length) b[Math.min(at, b.length - 1)]! ^= 1 << rng.int(8);
        break;
      case 1:
        if (b.length) b[Math.min(at, b.length - 1)] = rng.pick(INTERESTING);
        break;
      case 2:
        b = concat(b.subarray(0, at), b.subarray(Math.min(b.length, at + 1 + rng.int(16))));
        break;
      case 3:
        b = concat(b.subarray(0, at), rng.bytes(1 + rng.int(16)), b.subarray(at));
        break;
      case 4: {
        const from = rng.int(b.length + 1);
        b = concat(b.subarray(0, at), b.subarray(from, from + rng.int(64)), b.subarray(at));
        break;
      }
      case 5:
        b = b.subarray(0, at);
        break;
      default:
        if (b.length > 7) b[4 + rng.int(4)] = rng.pick(INTERESTING); // a header's size field
    }
  }
  return b;
}

export function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** A valid stream of a few packets: random encodings, lz4 records, raw chunks. */
export function randomStream(rng: Rng): { stream: Uint8Array; packets: number } {
  const records: Uint8Array[] = [];
  const count = 1 + rng.int(5);
  for (let p = 0; p < count; p++) {
    const encoder = rng.pick(["rencodeplus", "rencode", "bencode"] as const);
    const items: Encodable[] = [rng.pick(["hello", "draw", "ping", "window-metadata", "cursor-data"])];
    const n = rng.int(8);
    const budget = { left: 150 };
    for (let i = 0; i < n; i++) items.push(randomValue(rng, encoder, 3, budget)[0]);
    if (items.length > 1 && rng.int(3) === 0) {
      const index = 1 + rng.int(items.length - 1);
      items[index] = "";
      const chunk = rng.bytes(rng.int(5000));
      const body = rng.int(2) && chunk.length ? lz4CompressSized(chunk) : chunk;
      if (body.length) records.push(frameRecord(body, 0, body === chunk ? 0 : 0x13, index));
    }
    const payload = CODECS[encoder].encode(items);
    const flags = CODECS[encoder].flag | (rng.int(2) ? 0x08 : 0);
    if (rng.int(3) === 0) records.push(frameRecord(lz4CompressSized(payload), flags, 0x10 | (1 + rng.int(15))));
    else records.push(frameRecord(payload, flags));
  }
  return { stream: concat(...records), packets: count };
}
