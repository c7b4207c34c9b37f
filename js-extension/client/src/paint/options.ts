/**
 * Typed reads of a draw's client_options. Everything here is server data: 3.1 sends names as
 * byte strings where 6.5 sends text, numbers may be bigints or floats, anything may be missing
 * or of the wrong type. Each reader returns the fallback rather than trusting a shape.
 */
import type { Key, Value } from "../protocol/values.js";

const utf8 = new TextDecoder("utf-8", { fatal: false });

/** Text from a string or a byte string (3.1), else ''. */
export function text(v: Value | undefined): string {
  if (typeof v === "string") return v;
  if (v instanceof Uint8Array) return utf8.decode(v);
  return "";
}

/** A safe integer from a number or bigint, else the fallback. */
export function int(v: Value | undefined, fallback: number): number {
  if (typeof v === "number" && Number.isSafeInteger(v)) return v;
  if (typeof v === "bigint" && v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER)) return Number(v);
  if (typeof v === "boolean") return v ? 1 : 0;
  return fallback;
}

/** Python truthiness for the flags Xpra sends as bools or ints. */
export function flag(v: Value | undefined, fallback: boolean): boolean {
  if (v === undefined) return fallback;
  if (typeof v === "boolean") return v;
  if (typeof v === "number") return v !== 0;
  if (typeof v === "bigint") return v !== 0n;
  return fallback;
}

/** A pair of safe integers ([w, h]), else null. */
export function pair(v: Value | undefined): [number, number] | null {
  if (!Array.isArray(v) || v.length !== 2) return null;
  const a = int(v[0], NaN);
  const b = int(v[1], NaN);
  return Number.isNaN(a) || Number.isNaN(b) ? null : [a, b];
}

export function get(options: Map<Key, Value>, key: string): Value | undefined {
  return options.get(key);
}
