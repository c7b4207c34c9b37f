/**
 * Reading packet items as the display needs them.
 *
 * Everything here comes from the server and is untrusted. Xpra 3.1 (rencode) sends byte strings
 * where 6.5 (rencodeplus) sends text, and either may send a float, a bigint or nonsense where an
 * integer belongs: these readers turn one of each into the one form the display uses, or into a
 * fallback, and never throw.
 */
import type { Key, Value } from "../protocol/values.js";

// Non-fatal: a malformed title is shown with replacement characters, as a browser would.
const DECODER = new TextDecoder("utf-8", { fatal: false });

/** Text from a string or UTF-8 bytes; anything else is the fallback. */
export function text(v: Value | undefined, fallback = ""): string {
  if (typeof v === "string") return v;
  if (v instanceof Uint8Array) return DECODER.decode(v);
  return fallback;
}

/** An integer within [min, max]; a float is truncated, anything else is the fallback. */
export function int(v: Value | undefined, fallback: number, min = -0x7fffffff, max = 0x7fffffff): number {
  let n: number;
  if (typeof v === "number" && Number.isFinite(v)) n = Math.trunc(v);
  else if (typeof v === "bigint") n = v > BigInt(max) ? max : v < BigInt(min) ? min : Number(v);
  else if (typeof v === "boolean") n = v ? 1 : 0;
  else return fallback;
  return Math.min(max, Math.max(min, n));
}

/** A boolean: true, a non-zero number, or nothing else. */
export function bool(v: Value | undefined): boolean {
  if (typeof v === "boolean") return v;
  if (typeof v === "number") return v !== 0;
  if (typeof v === "bigint") return v !== 0n;
  return false;
}

/** A dictionary, or an empty one. */
export function dict(v: Value | undefined): Map<Key, Value> {
  return v instanceof Map ? v : new Map();
}

/** A list of texts (3.1 sends a list of byte strings), or an empty list. */
export function texts(v: Value | undefined): string[] {
  if (!Array.isArray(v)) return [];
  const out: string[] = [];
  for (const item of v) {
    if (typeof item === "string" || item instanceof Uint8Array) out.push(text(item));
  }
  return out;
}

/** Bytes, or null. */
export function bytes(v: Value | undefined): Uint8Array | null {
  return v instanceof Uint8Array ? v : null;
}
