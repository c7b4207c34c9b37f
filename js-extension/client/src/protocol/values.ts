/**
 * The data model shared by every packet codec.
 *
 * Decoders produce only these plain types, never class instances, functions or objects with a
 * prototype a server could reach: a hostile peer controls every byte, so what comes out of a
 * decoder is inert data and nothing else.
 *
 * - Integers are `number` while they are safe integers, `bigint` beyond (Xpra sends 64-bit
 *   counters and, in rare places, larger Python ints).
 * - Dictionaries are `Map`s, in wire order (Python dicts keep insertion order, so re-encoding a
 *   decoded dict gives the same bytes). A `Map` rather than an object: keys such as
 *   `__proto__` stay ordinary keys, and integer keys stay integers.
 * - Byte strings are `Uint8Array` copies (never views into the network buffer).
 */

/** A dictionary key. Byte-string keys are decoded as UTF-8 text (Xpra keys are names). */
export type Key = string | number | bigint | boolean | null;

/** A decoded value. */
export type Value =
  | null
  | boolean
  | number
  | bigint
  | string
  | Uint8Array
  | Value[]
  | Map<Key, Value>;

/**
 * Sends a number as a float even when it is integral: `new Float(1)` is Python's `1.0`, while a
 * plain `1` is sent as the integer 1. Decoders never produce it (a decoded float is a `number`).
 */
export class Float {
  constructor(readonly value: number) {}
}

/** A plain object (prototype `Object.prototype` or `null`) is encoded as a string-keyed dict. */
export interface EncodableObject {
  readonly [key: string]: Encodable;
}

/** What the encoders accept: decoded values, `Float`s, read-only containers and plain objects. */
export type Encodable =
  | Value
  | Float
  | readonly Encodable[]
  | ReadonlyMap<Key, Encodable>
  | EncodableObject;

/** Malformed input for a decoder, or a value an encoder cannot represent. */
export class CodecError extends Error {
  override readonly name = "CodecError";
  /** Byte offset in the decoder's input where the problem was found (-1 when encoding). */
  readonly offset: number;
  constructor(message: string, offset = -1) {
    super(message);
    this.offset = offset;
  }
}

/** Bounds a decoder enforces, so a small hostile payload cannot cost unbounded memory or stack. */
export interface DecodeLimits {
  /** Deepest container nesting (a top-level list is depth 1). */
  readonly maxDepth: number;
  /** Most values in one payload, keys included: one byte per empty list would otherwise become
   * tens of bytes of JS objects per input byte. */
  readonly maxValues: number;
}

export const DEFAULT_DECODE_LIMITS: DecodeLimits = Object.freeze({
  maxDepth: 64,
  maxValues: 200_000,
});

/** Bounds an encoder enforces (a cyclic structure would otherwise recurse forever). */
export interface EncodeOptions {
  readonly maxDepth?: number;
}

/** True for objects the encoders treat as string-keyed dictionaries. */
export function isPlainObject(value: object): value is EncodableObject {
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/** Describes a value's type for error messages (never its content: that may be hostile text). */
export function typeName(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "list";
  if (value instanceof Uint8Array) return "bytes";
  if (value instanceof Map) return "dict";
  if (typeof value === "object") {
    const ctor: unknown = (value as { constructor?: unknown }).constructor;
    return typeof ctor === "function" && ctor.name ? ctor.name : "object";
  }
  return typeof value;
}
