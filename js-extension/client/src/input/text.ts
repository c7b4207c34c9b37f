/**
 * Server strings as text. Xpra 3.1 sends byte strings (rencode has one string type) where 6.x
 * sends text; everything the input layer reads from the server goes through here so a name or a
 * clipboard buffer is always a plain string, never markup, whichever version sent it.
 */
import type { Value } from "../protocol/index.js";

// Not fatal: a clipboard buffer from a web page may hold anything; U+FFFD is what a browser shows.
const lenient = new TextDecoder("utf-8", { fatal: false, ignoreBOM: true });

/** The value as text when it is a string or bytes, else undefined. */
export function valueText(value: Value | undefined): string | undefined {
  if (typeof value === "string") {
    return value;
  }
  if (value instanceof Uint8Array) {
    return lenient.decode(value);
  }
  return undefined;
}

