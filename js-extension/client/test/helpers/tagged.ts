/**
 * The tagged JSON form test/xpra_reference.py writes (every type kept, floats as their 8 bytes),
 * turned into what our encoders take and what our decoders must give.
 */
import { Float } from "../../src/protocol/values.js";
import type { Encodable, Key, Value } from "../../src/protocol/values.js";

export type Tagged =
  | { t: "none" }
  | { t: "bool"; v: boolean }
  | { t: "int"; v: string }
  | { t: "float"; v: string }
  | { t: "str"; v: string }
  | { t: "bytes"; v: string }
  | { t: "list"; v: Tagged[] }
  | { t: "dict"; v: [Tagged, Tagged][] };

export function bytesFromBase64(b64: string): Uint8Array {
  return new Uint8Array(Buffer.from(b64, "base64"));
}

function int(text: string): number | bigint {
  const big = BigInt(text);
  return Number.isSafeInteger(Number(big)) && BigInt(Number(big)) === big ? Number(big) : big;
}

function float(hex: string): number {
  return new DataView(Uint8Array.from(Buffer.from(hex, "hex")).buffer).getFloat64(0);
}

const textDecoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

/** A dict key as our decoders give it: byte strings become text. */
function key(t: Tagged): Key {
  const v = toExpected(t);
  if (v instanceof Uint8Array) return textDecoder.decode(v);
  if (typeof v === "object" && v !== null) throw new Error("container as a dict key");
  return v;
}

/** What our decoder must return for a value Xpra's decoder returned (tagged). */
export function toExpected(t: Tagged): Value {
  switch (t.t) {
    case "none":
      return null;
    case "bool":
      return t.v;
    case "int":
      return int(t.v);
    case "float":
      return float(t.v);
    case "str":
      return t.v;
    case "bytes":
      return bytesFromBase64(t.v);
    case "list":
      return t.v.map(toExpected);
    case "dict":
      return new Map(t.v.map(([k, v]) => [key(k), toExpected(v)] as [Key, Value]));
  }
}

/** The corpus value as our encoder takes it (floats marked, so 1.0 stays a float). */
export function toEncodable(t: Tagged): Encodable {
  switch (t.t) {
    case "float":
      return new Float(float(t.v));
    case "list":
      return t.v.map(toEncodable);
    case "dict":
      return new Map(t.v.map(([k, v]) => [key(k), toEncodable(v)] as [Key, Encodable]));
    default:
      return toExpected(t);
  }
}
