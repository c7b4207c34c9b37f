/**
 * Integer helpers shared by the codecs: the int64 range rencode switches on, strict decimal
 * parsing (for rencode's big numbers and bencode's `i…e`), and number/bigint normalisation.
 */
import { CodecError } from "./values.js";

export const INT64_MIN = -(2n ** 63n);
export const INT64_MAX = 2n ** 63n - 1n;
const SAFE_MIN = BigInt(Number.MIN_SAFE_INTEGER);
const SAFE_MAX = BigInt(Number.MAX_SAFE_INTEGER);

/**
 * Longest decimal form (sign included) of an integer we encode or decode. rencode's
 * MAX_INT_LENGTH is 64 and both its encoder and decoder refuse 64 characters or more; bencode has
 * no limit of its own, but parsing a decimal string costs time quadratic in its length, so a
 * hostile peer gets the same bound there.
 */
export const MAX_INT_CHARS = 63;

/** A safe integer as a `number`, anything else stays a `bigint`. */
export function normalizeInt(value: bigint): number | bigint {
  return value >= SAFE_MIN && value <= SAFE_MAX ? Number(value) : value;
}

export function fitsInt64(value: bigint): boolean {
  return value >= INT64_MIN && value <= INT64_MAX;
}

/** Decimal form of an integer for the wire, refused beyond MAX_INT_CHARS. */
export function decimalForWire(value: bigint): string {
  const text = value.toString();
  if (text.length > MAX_INT_CHARS) {
    throw new CodecError(
      `integer has ${text.length} decimal characters, more than the ${MAX_INT_CHARS} the format allows`,
    );
  }
  return text;
}

/**
 * Parses `-?(0|[1-9][0-9]*)` from bytes[start, end), refusing `-0`, leading zeros, signs other
 * than a leading `-`, and anything longer than MAX_INT_CHARS.
 */
export function parseDecimal(bytes: Uint8Array, start: number, end: number): bigint {
  const length = end - start;
  if (length <= 0) throw new CodecError("empty integer", start);
  if (length > MAX_INT_CHARS) {
    throw new CodecError(`integer longer than ${MAX_INT_CHARS} characters`, start);
  }
  let i = start;
  const negative = bytes[i] === 0x2d; // '-'
  if (negative) i++;
  if (i === end) throw new CodecError("integer has a sign and no digits", start);
  if (bytes[i] === 0x30 && (end - i > 1 || negative)) {
    throw new CodecError("integer has a leading zero or is -0", start);
  }
  let text = "";
  for (let j = i; j < end; j++) {
    const c = bytes[j]!;
    if (c < 0x30 || c > 0x39) throw new CodecError("integer holds a non-digit", j);
    text += String.fromCharCode(c);
  }
  const magnitude = BigInt(text);
  return negative ? -magnitude : magnitude;
}
