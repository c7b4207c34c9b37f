/**
 * rencode's type codes, as rencode 1.0.6 (Xpra 3.1, Debian's python3-rencode) and Xpra's
 * rencodeplus (Xpra ≥ 4.3, `xpra/net/rencodeplus/rencodeplus.pyx`) define them. Both dialects
 * share every code; rencodeplus adds the `N/` binary form of length-prefixed strings.
 */
export const FLOAT64 = 44;
export const LIST = 59;
export const DICT = 60;
/** Base-10 digits then TERM: integers outside int64. */
export const BIG_INT = 61;
export const INT8 = 62;
export const INT16 = 63;
export const INT32 = 64;
export const INT64 = 65;
export const FLOAT32 = 66;
export const TRUE = 67;
export const FALSE = 68;
export const NONE = 69;
export const TERM = 127;

/** Codes 0..43 are the integers 0..43. */
export const INT_POS_FIXED_COUNT = 44;
/** Codes 70..101 are the integers -1..-32. */
export const INT_NEG_FIXED_START = 70;
export const INT_NEG_FIXED_COUNT = 32;
/** Codes 102..126 are dicts of 0..24 pairs. */
export const DICT_FIXED_START = 102;
export const DICT_FIXED_COUNT = 25;
/** Codes 128..191 are strings of 0..63 bytes. */
export const STR_FIXED_START = 128;
export const STR_FIXED_COUNT = 64;
/** Codes 192..255 are lists of 0..63 values. */
export const LIST_FIXED_START = 192;
export const LIST_FIXED_COUNT = 64;

/** Length-prefixed strings: ASCII digits, then ':' (text) or, rencodeplus only, '/' (bytes). */
export const DIGIT_0 = 0x30;
export const DIGIT_9 = 0x39;
export const COLON = 0x3a;
export const SLASH = 0x2f;

/** The two dialects. */
export interface Dialect {
  readonly name: "rencode" | "rencodeplus";
  /**
   * rencodeplus: byte strings carry their own `N/` form and every other string is UTF-8 text
   * (decoded to `string`). Plain rencode cannot tell text from bytes: everything is bytes.
   */
  readonly binarySafe: boolean;
}

export const RENCODE: Dialect = Object.freeze({ name: "rencode", binarySafe: false });
export const RENCODEPLUS: Dialect = Object.freeze({ name: "rencodeplus", binarySafe: true });
