/**
 * The input layer: keyboard, pointer and wheel, clipboard text. DOM-free translators that the app
 * feeds with browser events (or anything shaped like them) and whose packets it sends; see
 * docs/input.md.
 */
export { inputProtocolFor } from "./protocol.js";
export type { InputProtocol } from "./protocol.js";
export { KeyboardTranslator, keyboardCapabilities, keyboardConfigPacket, platformFrom } from "./keyboard.js";
export type { KeyEventLike, KeyResult, KeyboardOptions, Platform } from "./keyboard.js";
export { chooseLayout, layoutFromKeyboardMap, layoutFromLanguage, layoutFromSetting } from "./layouts.js";
export type { Layout } from "./layouts.js";
export { DEFAULT_MODIFIERS, modifierMapFromHello, xModifiers } from "./modifiers.js";
export type { ModifierMap, ModifierSource } from "./modifiers.js";
export { MAX_CLICKS_PER_EVENT, PIXELS_PER_CLICK, PIXELS_PER_LINE, PIXELS_PER_PAGE, PointerTranslator } from "./pointer.js";
export type { PointerEventLike, Position, WheelEventLike } from "./pointer.js";
export { ClipboardText, DEFAULT_MAX_CLIPBOARD_BYTES, clipboardCapabilities, clipboardDirectionFromHello } from "./clipboard.js";
export type { BrowserClipboard, ClipboardDirection, ClipboardOptions } from "./clipboard.js";
export { keysymNameForChar } from "./keysyms.js";
