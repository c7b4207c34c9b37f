/**
 * bencode (no protocol flag: 0x00), Xpra 3.1's fallback packet encoding. No floats, no None;
 * strings decode to `Uint8Array` (text marked `u` decodes to `string`); dict keys to text.
 */
import { decodeBencode } from "./bencode/decode.js";
import { encodeBencode } from "./bencode/encode.js";
import type { DecodeLimits, Encodable, EncodeOptions, Value } from "./values.js";

export function encode(value: Encodable, options?: EncodeOptions): Uint8Array {
  return encodeBencode(value, options);
}

export function decode(bytes: Uint8Array, limits?: DecodeLimits): Value {
  return decodeBencode(bytes, limits);
}
