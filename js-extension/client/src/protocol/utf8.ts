/**
 * UTF-8 both ways, strict: Xpra's Python encoders refuse lone surrogates and its decoders refuse
 * invalid UTF-8, so ours do too rather than substituting U+FFFD.
 */
import { CodecError } from "./values.js";

const encoder = new TextEncoder();
// ignoreBOM: a leading U+FEFF is content, not a byte-order mark to strip (the default would drop it
// and a string would not survive a round trip).
const decoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

// In a /u regex a well-formed surrogate pair is one code point, so only lone halves match.
const LONE_SURROGATE = /\p{Cs}/u;

export function utf8Encode(text: string): Uint8Array {
  if (LONE_SURROGATE.test(text)) {
    throw new CodecError("string holds a lone UTF-16 surrogate (not encodable as UTF-8)");
  }
  return encoder.encode(text);
}

export function utf8Decode(bytes: Uint8Array, offset: number): string {
  try {
    return decoder.decode(bytes);
  } catch {
    throw new CodecError("string is not valid UTF-8", offset);
  }
}
