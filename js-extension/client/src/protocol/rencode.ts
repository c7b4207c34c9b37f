/**
 * rencode as Xpra 3.1 speaks it (protocol flag 0x01): rencode 1.0.6, Debian's python3-rencode.
 *
 * The wire cannot tell text from bytes: every string decodes to a `Uint8Array` (Xpra 3.1 itself
 * loads them as Python bytes); a JS string is sent as its UTF-8 bytes. Dict keys are decoded as
 * UTF-8 text. Floats go out as float32 unless `floatBits: 64` is asked for.
 */
import { decodeRencode } from "./rencode/decode.js";
import { encodeRencode } from "./rencode/encode.js";
import type { RencodeOptions } from "./rencode/encode.js";
import { RENCODE } from "./rencode/typecodes.js";
import type { DecodeLimits, Encodable, Value } from "./values.js";

export type { RencodeOptions };

export function encode(value: Encodable, options?: RencodeOptions): Uint8Array {
  return encodeRencode(value, RENCODE, options);
}

export function decode(bytes: Uint8Array, limits?: DecodeLimits): Value {
  return decodeRencode(bytes, RENCODE, limits);
}
