/**
 * rencodeplus (protocol flag 0x10): the only packet encoding of Xpra ≥ 6, also in 4.3–5.x.
 *
 * rencode plus binary-safe bytes: a byte string is written `N/` + bytes (whatever its length),
 * text as in rencode (fixed form under 64 bytes, else `N:`), decoded to `string` (strict UTF-8).
 * Floats are always float64 (float32 is still read).
 */
import { decodeRencode } from "./rencode/decode.js";
import { encodeRencode } from "./rencode/encode.js";
import { RENCODEPLUS } from "./rencode/typecodes.js";
import type { DecodeLimits, Encodable, EncodeOptions, Value } from "./values.js";

export function encode(value: Encodable, options?: EncodeOptions): Uint8Array {
  return encodeRencode(value, RENCODEPLUS, options);
}

export function decode(bytes: Uint8Array, limits?: DecodeLimits): Value {
  return decodeRencode(bytes, RENCODEPLUS, limits);
}
