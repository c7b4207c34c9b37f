/**
 * rencode / rencodeplus decoder.
 *
 * Stricter than the Python reference where the reference would misread or crash: unknown type
 * codes, a '0' length prefix in plain rencode (rencode 1.0.6 returns None without advancing),
 * a big-number form for a value that fits int64 (the reference only finds the terminator from the
 * 19th character on), leading zeros, trailing bytes, invalid UTF-8 and list-valued dict keys are
 * all refused with a CodecError. Depth and value counts are bounded (DecodeLimits).
 */
import { fitsInt64, normalizeInt, parseDecimal, MAX_INT_CHARS } from "../integers.js";
import { utf8Decode } from "../utf8.js";
import { CodecError, DEFAULT_DECODE_LIMITS, typeName } from "../values.js";
import type { DecodeLimits, Key, Value } from "../values.js";
import * as T from "./typecodes.js";

/** Most digits a length prefix may have (no payload is near 10^10 bytes). */
const MAX_LENGTH_DIGITS = 10;

class Reader {
  pos = 0;
  private count = 0;
  private readonly view: DataView;

  constructor(
    private readonly buf: Uint8Array,
    private readonly dialect: T.Dialect,
    private readonly limits: DecodeLimits,
  ) {
    this.view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  }

  private need(n: number): void {
    if (n > this.buf.length - this.pos) {
      throw new CodecError(`truncated: ${n} bytes needed, ${this.buf.length - this.pos} left`, this.pos);
    }
  }

  value(depth: number): Value {
    if (++this.count > this.limits.maxValues) {
      throw new CodecError(`more than ${this.limits.maxValues} values`, this.pos);
    }
    this.need(1);
    const code = this.buf[this.pos]!;
    if (code < T.INT_POS_FIXED_COUNT) {
      this.pos++;
      return code;
    }
    if (code >= T.LIST_FIXED_START) return this.list(code - T.LIST_FIXED_START, depth);
    if (code >= T.STR_FIXED_START) return this.fixedString(code - T.STR_FIXED_START);
    if (code >= T.INT_NEG_FIXED_START && code < T.INT_NEG_FIXED_START + T.INT_NEG_FIXED_COUNT) {
      this.pos++;
      return T.INT_NEG_FIXED_START - 1 - code;
    }
    if (code >= T.DICT_FIXED_START && code < T.DICT_FIXED_START + T.DICT_FIXED_COUNT) {
      return this.dict(code - T.DICT_FIXED_START, depth);
    }
    if (code >= T.DIGIT_0 && code <= T.DIGIT_9) return this.prefixedString();
    const at = this.pos;
    switch (code) {
      case T.LIST:
        return this.list(-1, depth);
      case T.DICT:
        return this.dict(-1, depth);
      case T.INT8:
        this.need(2);
        this.pos += 2;
        return this.view.getInt8(at + 1);
      case T.INT16:
        this.need(3);
        this.pos += 3;
        return this.view.getInt16(at + 1);
      case T.INT32:
        this.need(5);
        this.pos += 5;
        return this.view.getInt32(at + 1);
      case T.INT64:
        this.need(9);
        this.pos += 9;
        return normalizeInt(this.view.getBigInt64(at + 1));
      case T.BIG_INT:
        return this.bigInt();
      case T.FLOAT32:
        this.need(5);
        this.pos += 5;
        return this.view.getFloat32(at + 1);
      case T.FLOAT64:
        this.need(9);
        this.pos += 9;
        return this.view.getFloat64(at + 1);
      case T.TRUE:
        this.pos++;
        return true;
      case T.FALSE:
        this.pos++;
        return false;
      case T.NONE:
        this.pos++;
        return null;
      default:
        throw new CodecError(`unknown ${this.dialect.name} type code ${code}`, at);
    }
  }

  private bigInt(): number | bigint {
    const start = this.pos + 1;
    const limit = Math.min(this.buf.length, start + MAX_INT_CHARS + 1);
    let end = start;
    while (end < limit && this.buf[end] !== T.TERM) end++;
    if (end === limit) {
      throw new CodecError(`big integer without a terminator in ${MAX_INT_CHARS} characters`, this.pos);
    }
    const value = parseDecimal(this.buf, start, end);
    // The reference encoder writes this form only outside int64, and its decoder cannot read a
    // shorter one: anything else is not rencode.
    if (fitsInt64(value)) throw new CodecError("big-integer form for a value that fits int64", this.pos);
    this.pos = end + 1;
    return normalizeInt(value);
  }

  private fixedString(length: number): string | Uint8Array {
    this.need(1 + length);
    const start = this.pos + 1;
    this.pos = start + length;
    const bytes = this.buf.slice(start, this.pos);
    return this.dialect.binarySafe ? utf8Decode(bytes, start) : bytes;
  }

  private prefixedString(): string | Uint8Array {
    const at = this.pos;
    if (this.buf[at] === T.DIGIT_0 && !this.dialect.binarySafe) {
      // rencode 1.0.6 has no type code 48: it never writes it, and reads it as nothing at all.
      throw new CodecError("rencode length prefix starting with '0'", at);
    }
    let end = at;
    let length = 0;
    while (end < this.buf.length) {
      const c = this.buf[end]!;
      if (c < T.DIGIT_0 || c > T.DIGIT_9) break;
      if (end - at >= MAX_LENGTH_DIGITS) throw new CodecError("string length prefix too long", at);
      length = length * 10 + (c - T.DIGIT_0);
      end++;
    }
    if (end >= this.buf.length) throw new CodecError("truncated string length prefix", at);
    if (this.buf[at] === T.DIGIT_0 && end - at > 1) {
      throw new CodecError("string length prefix has a leading zero", at);
    }
    const separator = this.buf[end];
    const binary = separator === T.SLASH && this.dialect.binarySafe;
    if (separator !== T.COLON && !binary) {
      throw new CodecError(`string length prefix ends with byte ${separator}`, end);
    }
    const start = end + 1;
    if (length > this.buf.length - start) {
      throw new CodecError(`truncated: string of ${length} bytes, ${this.buf.length - start} left`, at);
    }
    this.pos = start + length;
    const bytes = this.buf.slice(start, this.pos);
    return this.dialect.binarySafe && !binary ? utf8Decode(bytes, start) : bytes;
  }

  private enter(depth: number): void {
    if (depth >= this.limits.maxDepth) {
      throw new CodecError(`nesting deeper than ${this.limits.maxDepth}`, this.pos);
    }
  }

  /** count -1: a variable-length list closed by TERM. */
  private list(count: number, depth: number): Value[] {
    this.enter(depth);
    this.pos++;
    const items: Value[] = [];
    if (count >= 0) {
      this.need(count); // every value takes at least one byte: refuse a short input before looping
      for (let i = 0; i < count; i++) items.push(this.value(depth + 1));
      return items;
    }
    for (;;) {
      this.need(1);
      if (this.buf[this.pos] === T.TERM) break;
      items.push(this.value(depth + 1));
    }
    this.pos++;
    return items;
  }

  private dict(count: number, depth: number): Map<Key, Value> {
    this.enter(depth);
    this.pos++;
    const map = new Map<Key, Value>();
    if (count >= 0) {
      this.need(count * 2);
      for (let i = 0; i < count; i++) {
        const key = this.key(depth + 1);
        map.set(key, this.value(depth + 1));
      }
      return map;
    }
    for (;;) {
      this.need(1);
      if (this.buf[this.pos] === T.TERM) break;
      const key = this.key(depth + 1);
      map.set(key, this.value(depth + 1));
    }
    this.pos++;
    return map;
  }

  private key(depth: number): Key {
    const at = this.pos;
    const key = this.value(depth);
    if (key instanceof Uint8Array) return utf8Decode(key, at);
    if (typeof key === "object" && key !== null) {
      throw new CodecError(`dictionary key of type ${typeName(key)}`, at);
    }
    return key;
  }
}

/** Decodes one complete value; bytes after it are an error. */
export function decodeRencode(
  bytes: Uint8Array,
  dialect: T.Dialect,
  limits: DecodeLimits = DEFAULT_DECODE_LIMITS,
): Value {
  const reader = new Reader(bytes, dialect, limits);
  const value = reader.value(0);
  if (reader.pos !== bytes.length) {
    throw new CodecError(`${bytes.length - reader.pos} bytes after the value`, reader.pos);
  }
  return value;
}
