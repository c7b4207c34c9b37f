/**
 * bencode decoder, as Xpra 3.1's cython_bencode writes it (the fallback when rencode is off):
 * `i<int>e`, `<len>:<bytes>`, `u<len>:<utf-8>` (read, never written by 3.1), `l…e`, `d…e`.
 * Strings without the `u` mark decode to `Uint8Array` (the wire cannot tell text from bytes);
 * dict keys are decoded as UTF-8 text. Integers are bounded to MAX_INT_CHARS characters.
 */
import { normalizeInt, parseDecimal, MAX_INT_CHARS } from "../integers.js";
import { utf8Decode } from "../utf8.js";
import { CodecError, DEFAULT_DECODE_LIMITS, typeName } from "../values.js";
import type { DecodeLimits, Key, Value } from "../values.js";

const I = 0x69;
const E = 0x65;
const L = 0x6c;
const D = 0x64;
const U = 0x75;
const COLON = 0x3a;
const DIGIT_0 = 0x30;
const DIGIT_9 = 0x39;
const MAX_LENGTH_DIGITS = 10;

class Reader {
  pos = 0;
  private count = 0;

  constructor(
    private readonly buf: Uint8Array,
    private readonly limits: DecodeLimits,
  ) {}

  private peek(): number {
    if (this.pos >= this.buf.length) throw new CodecError("truncated bencode", this.pos);
    return this.buf[this.pos]!;
  }

  value(depth: number): Value {
    if (++this.count > this.limits.maxValues) {
      throw new CodecError(`more than ${this.limits.maxValues} values`, this.pos);
    }
    const code = this.peek();
    if (code >= DIGIT_0 && code <= DIGIT_9) return this.bytes();
    switch (code) {
      case I:
        return this.integer();
      case U: {
        this.pos++;
        const at = this.pos;
        if (this.peek() < DIGIT_0 || this.peek() > DIGIT_9) throw new CodecError("'u' without a length", at);
        return utf8Decode(this.bytes(), at);
      }
      case L:
        return this.list(depth);
      case D:
        return this.dict(depth);
      default:
        throw new CodecError(`unknown bencode type byte ${code}`, this.pos);
    }
  }

  private integer(): number | bigint {
    const start = this.pos + 1;
    const limit = Math.min(this.buf.length, start + MAX_INT_CHARS + 1);
    let end = start;
    while (end < limit && this.buf[end] !== E) end++;
    if (end === limit) throw new CodecError(`integer without 'e' in ${MAX_INT_CHARS} characters`, this.pos);
    const value = parseDecimal(this.buf, start, end);
    this.pos = end + 1;
    return normalizeInt(value);
  }

  private bytes(): Uint8Array {
    const at = this.pos;
    let end = at;
    let length = 0;
    while (end < this.buf.length) {
      const c = this.buf[end]!;
      if (c < DIGIT_0 || c > DIGIT_9) break;
      if (end - at >= MAX_LENGTH_DIGITS) throw new CodecError("string length prefix too long", at);
      length = length * 10 + (c - DIGIT_0);
      end++;
    }
    if (end >= this.buf.length) throw new CodecError("truncated string length prefix", at);
    if (this.buf[end] !== COLON) throw new CodecError(`string length ends with byte ${this.buf[end]}`, end);
    if (this.buf[at] === DIGIT_0 && end - at > 1) throw new CodecError("string length has a leading zero", at);
    const start = end + 1;
    if (length > this.buf.length - start) {
      throw new CodecError(`truncated: string of ${length} bytes, ${this.buf.length - start} left`, at);
    }
    this.pos = start + length;
    return this.buf.slice(start, this.pos);
  }

  private enter(depth: number): void {
    if (depth >= this.limits.maxDepth) {
      throw new CodecError(`nesting deeper than ${this.limits.maxDepth}`, this.pos);
    }
    this.pos++;
  }

  private list(depth: number): Value[] {
    this.enter(depth);
    const items: Value[] = [];
    while (this.peek() !== E) items.push(this.value(depth + 1));
    this.pos++;
    return items;
  }

  private dict(depth: number): Map<Key, Value> {
    this.enter(depth);
    const map = new Map<Key, Value>();
    while (this.peek() !== E) {
      const at = this.pos;
      const raw = this.value(depth + 1);
      let key: Key;
      if (raw instanceof Uint8Array) key = utf8Decode(raw, at);
      else if (typeof raw === "object" && raw !== null) throw new CodecError(`dictionary key of type ${typeName(raw)}`, at);
      else key = raw;
      map.set(key, this.value(depth + 1));
    }
    this.pos++;
    return map;
  }
}

export function decodeBencode(bytes: Uint8Array, limits: DecodeLimits = DEFAULT_DECODE_LIMITS): Value {
  const reader = new Reader(bytes, limits);
  const value = reader.value(0);
  if (reader.pos !== bytes.length) {
    throw new CodecError(`${bytes.length - reader.pos} bytes after the value`, reader.pos);
  }
  return value;
}
