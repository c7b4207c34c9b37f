/**
 * Strict comparison of decoded values (types all the way down: 1 is not 1n, bytes are not text,
 * -0 is not 0, NaN is NaN, dict pairs in order) and the plain-data check the fuzz tests apply to
 * everything a decoder returns.
 */
import assert from "node:assert/strict";
import type { Value } from "../../src/protocol/values.js";

/** Path of the first difference, or null when equal. */
export function difference(a: unknown, b: unknown, path = "$"): string | null {
  if (typeof a !== typeof b) return `${path}: ${describe(a)} vs ${describe(b)}`;
  if (typeof a === "number") return Object.is(a, b) ? null : `${path}: ${a} vs ${String(b)}`;
  if (typeof a !== "object" || a === null || b === null) return a === b ? null : `${path}: ${describe(a)} vs ${describe(b)}`;
  if (a instanceof Uint8Array) {
    if (!(b instanceof Uint8Array)) return `${path}: bytes vs ${describe(b)}`;
    if (a.length !== b.length) return `${path}: ${a.length} bytes vs ${b.length}`;
    const i = a.findIndex((x, j) => x !== b[j]);
    return i < 0 ? null : `${path}: bytes differ at ${i}`;
  }
  if (Array.isArray(a)) {
    if (!Array.isArray(b)) return `${path}: list vs ${describe(b)}`;
    if (a.length !== b.length) return `${path}: ${a.length} items vs ${b.length}`;
    for (let i = 0; i < a.length; i++) {
      const d = difference(a[i], b[i], `${path}[${i}]`);
      if (d) return d;
    }
    return null;
  }
  if (a instanceof Map) {
    if (!(b instanceof Map)) return `${path}: dict vs ${describe(b)}`;
    if (a.size !== b.size) return `${path}: ${a.size} pairs vs ${b.size}`;
    const ea = [...a.entries()];
    const eb = [...b.entries()];
    for (let i = 0; i < ea.length; i++) {
      const dk = difference(ea[i]![0], eb[i]![0], `${path}.key#${i}`);
      if (dk) return dk;
      const dv = difference(ea[i]![1], eb[i]![1], `${path}[${String(ea[i]![0])}]`);
      if (dv) return dv;
    }
    return null;
  }
  return `${path}: unexpected ${describe(a)}`;
}

function describe(v: unknown): string {
  if (v === null) return "null";
  if (v instanceof Uint8Array) return `bytes(${v.length})`;
  if (Array.isArray(v)) return `list(${v.length})`;
  if (v instanceof Map) return `dict(${v.size})`;
  if (typeof v === "string") return `str(${JSON.stringify(v.slice(0, 20))}…)`;
  return `${typeof v}(${String(v)})`;
}

export function assertSame(actual: unknown, expected: unknown, message = ""): void {
  const d = difference(actual, expected);
  assert.equal(d, null, `${message}${message ? ": " : ""}${d}`);
}

export function assertBytes(actual: Uint8Array, expected: Uint8Array, message = ""): void {
  if (actual.length === expected.length && actual.every((x, i) => x === expected[i])) return;
  let i = 0;
  while (i < actual.length && i < expected.length && actual[i] === expected[i]) i++;
  const hex = (b: Uint8Array) => Buffer.from(b.subarray(Math.max(0, i - 4), i + 12)).toString("hex");
  assert.fail(
    `${message}${message ? ": " : ""}bytes differ at ${i} (lengths ${actual.length}/${expected.length}): ` +
      `ours …${hex(actual)}… theirs …${hex(expected)}…`,
  );
}

export interface PlainStats {
  values: number;
  depth: number;
}

/**
 * Throws unless `value` is plain data: only the decoder's types, each with its own prototype
 * (no subclass, no object a getter or prototype could hide behaviour in), dict keys scalar.
 */
export function assertPlain(value: unknown, stats: PlainStats = { values: 0, depth: 0 }, depth = 0): PlainStats {
  stats.values++;
  stats.depth = Math.max(stats.depth, depth);
  switch (typeof value) {
    case "number":
    case "bigint":
    case "string":
    case "boolean":
      return stats;
    case "object":
      break;
    default:
      throw new Error(`not plain data: ${typeof value}`);
  }
  if (value === null) return stats;
  const proto: unknown = Object.getPrototypeOf(value);
  if (proto === Uint8Array.prototype) return stats;
  if (proto === Array.prototype) {
    if (Object.getOwnPropertyNames(value).length !== (value as unknown[]).length + 1) throw new Error("array with extra properties");
    for (const item of value as unknown[]) assertPlain(item, stats, depth + 1);
    return stats;
  }
  if (proto === Map.prototype) {
    if (Object.getOwnPropertyNames(value).length !== 0) throw new Error("map with own properties");
    for (const [k, v] of value as Map<unknown, unknown>) {
      if (typeof k === "object" && k !== null) throw new Error("container as a dict key");
      if (typeof k === "function" || typeof k === "symbol" || k === undefined) throw new Error("odd dict key");
      assertPlain(k, stats, depth + 1);
      assertPlain(v, stats, depth + 1);
    }
    return stats;
  }
  throw new Error(`not plain data: an object with prototype ${String((proto as { constructor?: { name?: string } })?.constructor?.name)}`);
}

export type { Value };
