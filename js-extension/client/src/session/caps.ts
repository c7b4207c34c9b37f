/**
 * Typed, never-throwing read access to a capability map from the server's hello.
 *
 * Everything in the map is hostile input. Xpra 3.1 (rencode) sends every string as bytes and
 * 6.5 (rencodeplus) sends text; nested maps arrive either as dotted keys ("encoding.x") or as
 * sub-maps, depending on the version and the key. This accessor hides both differences: callers
 * ask for a type and a default, and get the default back for a missing or ill-typed value.
 */
import type { Key, Value } from "../protocol/index.js";

const decoder = new TextDecoder("utf-8", { fatal: false });

/** Text from a text or byte-string value (invalid UTF-8 becomes U+FFFD); null otherwise. */
export function valueText(v: Value | undefined): string | null {
  if (typeof v === "string") return v;
  if (v instanceof Uint8Array) return decoder.decode(v);
  return null;
}

export class Caps {
  private readonly map: ReadonlyMap<Key, Value>;

  constructor(map: ReadonlyMap<Key, Value> | null | undefined) {
    this.map = map instanceof Map ? map : new Map();
  }

  /** The raw value: a direct key first, then a path through nested maps ("a.b" as a → b). */
  get(key: string): Value | undefined {
    const direct = this.map.get(key);
    if (direct !== undefined) return direct;
    const dot = key.indexOf(".");
    if (dot <= 0) return undefined;
    const head = this.map.get(key.slice(0, dot));
    if (!(head instanceof Map)) return undefined;
    return new Caps(head).get(key.slice(dot + 1));
  }

  has(key: string): boolean {
    return this.get(key) !== undefined;
  }

  text(key: string, fallback = ""): string {
    const t = valueText(this.get(key));
    return t === null ? fallback : t;
  }

  /** A safe integer (booleans are not integers here; a bigint out of range is ill-typed). */
  int(key: string, fallback = 0): number {
    const v = this.get(key);
    if (typeof v === "number" && Number.isSafeInteger(v)) return v;
    if (typeof v === "bigint" && v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER)) {
      return Number(v);
    }
    return fallback;
  }

  /** Python truthiness for what a bool capability may be sent as (True, 1, b"1" never). */
  bool(key: string, fallback = false): boolean {
    const v = this.get(key);
    if (typeof v === "boolean") return v;
    if (typeof v === "number") return v !== 0;
    if (typeof v === "bigint") return v !== 0n;
    return fallback;
  }

  /** A list of texts; non-text items are dropped; a non-list gives the fallback. */
  textList(key: string, fallback: readonly string[] = []): string[] {
    const v = this.get(key);
    if (!Array.isArray(v)) return [...fallback];
    const out: string[] = [];
    for (const item of v) {
      const t = valueText(item);
      if (t !== null) out.push(t);
    }
    return out;
  }

  /** A list of safe integers (others dropped), e.g. a size pair. */
  intList(key: string, fallback: readonly number[] = []): number[] {
    const v = this.get(key);
    if (!Array.isArray(v)) return [...fallback];
    return v.filter((x): x is number => typeof x === "number" && Number.isSafeInteger(x));
  }

  /** A nested map as Caps: a sub-map if there is one, else the dotted keys under `prefix.`. */
  sub(prefix: string): Caps {
    const v = this.get(prefix);
    if (v instanceof Map) return new Caps(v);
    const out = new Map<Key, Value>();
    const lead = prefix + ".";
    for (const [k, val] of this.map) {
      if (typeof k === "string" && k.startsWith(lead)) out.set(k.slice(lead.length), val);
    }
    return new Caps(out);
  }

  keys(): string[] {
    return [...this.map.keys()].filter((k): k is string => typeof k === "string");
  }
}

/** The server's version as numbers ("6.5.5" → [6, 5, 5]; "v3.1.3-r0" → [3, 1, 3]). */
export function parseVersion(text: string): number[] {
  const m = /^v?(\d{1,4})(?:\.(\d{1,4}))?(?:\.(\d{1,4}))?/.exec(text.trim());
  if (!m) return [];
  return m.slice(1).filter((x): x is string => x !== undefined).map((x) => Number(x));
}
