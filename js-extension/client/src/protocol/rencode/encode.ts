/**
 * rencode / rencodeplus encoder, byte-for-byte what the Python references write for the same
 * data (same integer widths, same fixed/variable container forms, dict pairs in insertion order).
 * Floats: rencode 1.0.6's dumps() writes float32 unless asked for 64 bits, and Xpra 3.1 calls it
 * with the default; rencodeplus always writes float64.
 */
import { ByteWriter } from "../bytewriter.js";
import { decimalForWire, fitsInt64 } from "../integers.js";
import { utf8Encode } from "../utf8.js";
import { CodecError, DEFAULT_DECODE_LIMITS, Float, isPlainObject, typeName } from "../values.js";
import type { Encodable, EncodeOptions, Key } from "../values.js";
import * as T from "./typecodes.js";

export interface RencodeOptions extends EncodeOptions {
  /** Plain rencode only: float width (Python's default, and Xpra 3.1's choice, is 32). */
  readonly floatBits?: 32 | 64;
}

class Encoder {
  readonly out = new ByteWriter();
  private readonly floatBits: 32 | 64;
  private readonly maxDepth: number;

  constructor(
    private readonly dialect: T.Dialect,
    options: RencodeOptions,
  ) {
    this.floatBits = dialect.binarySafe ? 64 : (options.floatBits ?? 32);
    this.maxDepth = options.maxDepth ?? DEFAULT_DECODE_LIMITS.maxDepth;
  }

  value(value: Encodable, depth: number): void {
    switch (typeof value) {
      case "number":
        if (Number.isInteger(value)) this.integer(value);
        else this.float(value);
        return;
      case "bigint":
        this.bigint(value);
        return;
      case "string":
        this.text(utf8Encode(value));
        return;
      case "boolean":
        this.out.byte(value ? T.TRUE : T.FALSE);
        return;
      case "object":
        break;
      default:
        throw new CodecError(`cannot encode a value of type ${typeof value}`);
    }
    if (value === null) {
      this.out.byte(T.NONE);
    } else if (value instanceof Uint8Array) {
      if (this.dialect.binarySafe) {
        this.out.ascii(`${value.length}/`);
        this.out.bytes(value);
      } else {
        this.text(value);
      }
    } else if (value instanceof Float) {
      this.float(value.value);
    } else if (Array.isArray(value)) {
      this.list(value as readonly Encodable[], depth);
    } else if (value instanceof Map) {
      this.dict(value as ReadonlyMap<Key, Encodable>, depth);
    } else if (isPlainObject(value)) {
      this.dict(new Map(Object.entries(value)), depth);
    } else {
      throw new CodecError(`cannot encode a value of type ${typeName(value)}`);
    }
  }

  private integer(value: number): void {
    if (!Number.isSafeInteger(value)) {
      this.bigint(BigInt(value));
    } else if (value >= 0 && value < T.INT_POS_FIXED_COUNT) {
      this.out.byte(value);
    } else if (value < 0 && value >= -T.INT_NEG_FIXED_COUNT) {
      this.out.byte(T.INT_NEG_FIXED_START - 1 - value);
    } else if (value >= -128 && value < 128) {
      this.out.byte(T.INT8);
      this.out.int8(value);
    } else if (value >= -32768 && value < 32768) {
      this.out.byte(T.INT16);
      this.out.int16(value);
    } else if (value >= -2147483648 && value < 2147483648) {
      this.out.byte(T.INT32);
      this.out.int32(value);
    } else {
      this.out.byte(T.INT64);
      this.out.int64(BigInt(value));
    }
  }

  private bigint(value: bigint): void {
    if (value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER)) {
      this.integer(Number(value));
    } else if (fitsInt64(value)) {
      this.out.byte(T.INT64);
      this.out.int64(value);
    } else {
      this.out.byte(T.BIG_INT);
      this.out.ascii(decimalForWire(value));
      this.out.byte(T.TERM);
    }
  }

  private float(value: number): void {
    if (this.floatBits === 32) {
      this.out.byte(T.FLOAT32);
      this.out.float32(value);
    } else {
      this.out.byte(T.FLOAT64);
      this.out.float64(value);
    }
  }

  /** A string's UTF-8 bytes (or, in plain rencode, any bytes). */
  private text(bytes: Uint8Array): void {
    if (bytes.length < T.STR_FIXED_COUNT) {
      this.out.byte(T.STR_FIXED_START + bytes.length);
    } else {
      this.out.ascii(`${bytes.length}:`);
    }
    this.out.bytes(bytes);
  }

  private enter(depth: number): void {
    if (depth >= this.maxDepth) throw new CodecError(`nesting deeper than ${this.maxDepth} (a cycle?)`);
  }

  private list(items: readonly Encodable[], depth: number): void {
    this.enter(depth);
    const fixed = items.length < T.LIST_FIXED_COUNT;
    this.out.byte(fixed ? T.LIST_FIXED_START + items.length : T.LIST);
    for (const item of items) this.value(item, depth + 1);
    if (!fixed) this.out.byte(T.TERM);
  }

  private dict(map: ReadonlyMap<Key, Encodable>, depth: number): void {
    this.enter(depth);
    const fixed = map.size < T.DICT_FIXED_COUNT;
    this.out.byte(fixed ? T.DICT_FIXED_START + map.size : T.DICT);
    for (const [key, item] of map) {
      if (typeof key === "object" && key !== null) {
        throw new CodecError(`dictionary key of type ${typeName(key)}`);
      }
      this.value(key, depth + 1);
      this.value(item, depth + 1);
    }
    if (!fixed) this.out.byte(T.TERM);
  }
}

export function encodeRencode(value: Encodable, dialect: T.Dialect, options: RencodeOptions = {}): Uint8Array {
  const encoder = new Encoder(dialect, options);
  encoder.value(value, 0);
  return encoder.out.finish();
}
