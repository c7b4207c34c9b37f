/**
 * X keysym names for the keys that type no character, by the browser's `key` value (UI Events
 * key names), and the keypad by physical `code`. Characters are named through keysyms.ts; these
 * are the rest, so that Enter, arrows, F-keys and modifiers reach X as the keys they are.
 */

const LOCATION_RIGHT = 2;

// Keys whose X name does not depend on the side of the keyboard.
const BY_KEY: ReadonlyMap<string, string> = new Map([
  ["Enter", "Return"], ["Backspace", "BackSpace"], ["Tab", "Tab"], ["Escape", "Escape"],
  ["Delete", "Delete"], ["Insert", "Insert"], ["Home", "Home"], ["End", "End"],
  ["PageUp", "Prior"], ["PageDown", "Next"], ["ArrowLeft", "Left"], ["ArrowRight", "Right"],
  ["ArrowUp", "Up"], ["ArrowDown", "Down"], ["CapsLock", "Caps_Lock"], ["NumLock", "Num_Lock"],
  ["ScrollLock", "Scroll_Lock"], ["Pause", "Pause"], ["PrintScreen", "Print"], ["ContextMenu", "Menu"],
  ["AltGraph", "ISO_Level3_Shift"], ["Clear", "Clear"], ["Help", "Help"], ["Cancel", "Cancel"]
]);

// Keys that exist on both sides: `_L` or `_R` by the event's location.
const SIDED: ReadonlyMap<string, string> = new Map([
  ["Shift", "Shift"], ["Control", "Control"], ["Alt", "Alt"], ["Meta", "Super"], ["OS", "Super"], ["Super", "Super"]
]);

// The keypad, by physical key: the digit or operator whatever NumLock says for operators; digits
// and the decimal key follow the character the browser produced (NumLock off gives navigation keys).
const KEYPAD_OPERATORS: ReadonlyMap<string, string> = new Map([
  ["NumpadAdd", "KP_Add"], ["NumpadSubtract", "KP_Subtract"], ["NumpadMultiply", "KP_Multiply"],
  ["NumpadDivide", "KP_Divide"], ["NumpadEnter", "KP_Enter"], ["NumpadEqual", "KP_Equal"]
]);
const KEYPAD_NAVIGATION: ReadonlyMap<string, string> = new Map([
  ["Home", "KP_Home"], ["End", "KP_End"], ["PageUp", "KP_Prior"], ["PageDown", "KP_Next"],
  ["ArrowLeft", "KP_Left"], ["ArrowRight", "KP_Right"], ["ArrowUp", "KP_Up"], ["ArrowDown", "KP_Down"],
  ["Insert", "KP_Insert"], ["Delete", "KP_Delete"], ["Clear", "KP_Begin"]
]);

/** Names that are modifiers on the server: it keeps them pressed until their release. */
export const MODIFIER_KEYNAMES: ReadonlySet<string> = new Set([
  "Shift_L", "Shift_R", "Control_L", "Control_R", "Alt_L", "Alt_R", "Super_L", "Super_R", "Meta_L", "Meta_R",
  "ISO_Level3_Shift", "Mode_switch", "Caps_Lock", "Num_Lock"
]);

/** The X name of a key that is not a character, or undefined. */
export function namedKey(key: string, code: string, location: number | undefined): string | undefined {
  if (code.startsWith("Numpad")) {
    const operator = KEYPAD_OPERATORS.get(code);
    if (operator !== undefined) {
      return operator;
    }
    if (/^[0-9]$/.test(key)) {
      return `KP_${key}`;
    }
    if (code === "NumpadDecimal" && (key === "." || key === ",")) {
      return key === "." ? "KP_Decimal" : "KP_Separator";
    }
    const navigation = KEYPAD_NAVIGATION.get(key);
    if (navigation !== undefined) {
      return navigation;
    }
  }
  const plain = BY_KEY.get(key);
  if (plain !== undefined) {
    return plain;
  }
  const sided = SIDED.get(key);
  if (sided !== undefined) {
    const right = location === LOCATION_RIGHT || code.endsWith("Right");
    return `${sided}_${right ? "R" : "L"}`;
  }
  const fkey = /^F([1-9]|1[0-9]|2[0-4])$/.exec(key);
  if (fkey !== null) {
    return key;
  }
  return undefined;
}

/**
 * The name for a key by physical position when the browser gives no usable `key` (old browsers,
 * `Unidentified`): the US character of that position, which is what X calls it on a US layout.
 */
export function nameFromCode(code: string): string | undefined {
  const letter = /^Key([A-Z])$/.exec(code);
  if (letter !== null) {
    return letter[1]!.toLowerCase();
  }
  const digit = /^Digit([0-9])$/.exec(code);
  if (digit !== null) {
    return digit[1]!;
  }
  if (code === "Space") {
    return "space";
  }
  return undefined;
}
