/**
 * bencode encoder, byte-for-byte what Xpra 3.1's cython_bencode writes: text as its UTF-8 bytes
 * with no `u` mark, booleans as `i1e`/`i0e`, dict pairs in insertion order. bencode has no
 * float and no None: both are refused with a CodecError, as the reference refuses them.
 */
import { ByteWriter } from "../bytewriter.js";
import { decimalForWire } from "../integers.js";
import { utf8Encode } from "../utf8.js";
import { CodecError, DEFAULT_DECODE_LIMITS, Float, isPlainObject, typeName } from "../values.js";
import type { Encodable, EncodeOptions, Key } from "../values.js";

class Encoder {
  readonly out = new ByteWriter();
  private readonly maxDepth: number;

  constructor(options: EncodeOptions) {
    this.maxDepth = options.maxDepth ?? DEFAULT_DECODE_LIMITS.maxDepth;
  }

  value(value: Encodable, depth: number): void {
    switch (typeof value) {
      case "number":
        if (!Number.isInteger(value)) throw new CodecError("bencode cannot carry a float");
        this.integer(BigInt(value));
        return;
      case "bigint":
        this.integer(value);
        return;
      case "boolean":
        this.out.ascii(value ? "i1e" : "i0e");
        return;
      case "string":
        this.bytes(utf8Encode(value));
        return;
      case "object":
        break;
      default:
        throw new CodecError(`cannot encode a value of type ${typeof value}`);
    }
    if (value === null) throw new CodecError("bencode cannot carry None");
    if (value instanceof Uint8Array) this.bytes(value);
    else if (value instanceof Float) throw new CodecError("bencode cannot carry a float");
    else if (Array.isArray(value)) this.list(value as readonly Encodable[], depth);
    else if (value instanceof Map) this.dict(value as ReadonlyMap<Key, Encodable>, depth);
    else if (isPlainObject(value)) this.dict(new Map(Object.entries(value)), depth);
    else throw new CodecError(`cannot encode a value of type ${typeName(value)}`);
  }

  private integer(value: bigint): void {
    this.out.ascii(`i${decimalForWire(value)}e`);
  }

  private bytes(bytes: Uint8Array): void {
    this.out.ascii(`${bytes.length}:`);
    this.out.bytes(bytes);
  }

  private enter(depth: number): void {
    if (depth >= this.maxDepth) throw new CodecError(`nesting deeper than ${this.maxDepth} (a cycle?)`);
  }

  private list(items: readonly Encodable[], depth: number): void {
    this.enter(depth);
    this.out.byte(0x6c); // 'l'
    for (const item of items) this.value(item, depth + 1);
    this.out.byte(0x65); // 'e'
  }

  private dict(map: ReadonlyMap<Key, Encodable>, depth: number): void {
    this.enter(depth);
    this.out.byte(0x64); // 'd'
    for (const [key, item] of map) {
      if (typeof key === "object" && key !== null) {
        throw new CodecError(`dictionary key of type ${typeName(key)}`);
      }
      this.value(key, depth + 1);
      this.value(item, depth + 1);
    }
    this.out.byte(0x65); // 'e'
  }
}

export function encodeBencode(value: Encodable, options: EncodeOptions = {}): Uint8Array {
  const encoder = new Encoder(options);
  encoder.value(value, 0);
  return encoder.out.finish();
}
