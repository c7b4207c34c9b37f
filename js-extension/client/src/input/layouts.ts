/**
 * Which X keyboard layout the session should use. The client sends each key as the character the
 * browser produced, and the server looks for a key that types it in its one XKB layout: a
 * character the layout lacks is dropped, so the layout must be the user's. In order:
 * 1. the `keyboard_layout` value the app was given (JupyterLab setting / query string): an X
 *    layout with an optional variant (`de`, `de(nodeadkeys)`) or a language tag (`de-CH`);
 * 2. the layout the browser's keyboard map shows (`navigator.keyboard.getLayoutMap()`, Chromium),
 *    when it shows one the language does not already give (a US-like map never outvotes the
 *    language: headless Chromium reports it whatever the keyboard);
 * 3. the browser's language.
 * Pure functions: the app reads the browser and passes the values in.
 */

/** An X layout and its variant (empty when none). */
export interface Layout {
  readonly layout: string;
  readonly variant: string;
}

// Language (ISO 639, optionally with region) -> XKB layout, where the two differ.
const LANGUAGE_TO_LAYOUT: ReadonlyMap<string, string> = new Map([
  ["en", "us"], ["en-GB", "gb"], ["en-IE", "ie"], ["en-CA", "ca"], ["en-ZA", "za"], ["af", "za"],
  ["zh", "cn"], ["zh-TW", "tw"], ["sq", "al"], ["cs", "cz"], ["da", "dk"], ["nl-BE", "be"], ["et", "ee"],
  ["fa", "ir"], ["fr-BE", "be"], ["fr-CA", "ca"], ["fr-CH", "ch"], ["de-CH", "ch"], ["de-AT", "at"],
  ["it-CH", "ch"], ["he", "il"], ["hi", "in"], ["ja", "jp"], ["ko", "kr"], ["nb", "no"], ["nn", "no"],
  ["pt-BR", "br"], ["sr", "rs"], ["sl", "si"], ["sv", "se"], ["sv-FI", "fi"], ["uk", "ua"], ["ur", "pk"],
  ["vi", "vn"], ["el", "gr"], ["ga", "ie"], ["ka", "ge"], ["kk", "kz"], ["hy", "am"], ["ms", "my"]
]);

const X_LAYOUT = /^([a-z]{2,8})(?:\(([a-z0-9_]{1,32})\))?$/;
const LANGUAGE_TAG = /^([A-Za-z]{2,3})(?:[-_]([A-Za-z]{2}))?$/;

/** The X layout for a language tag such as `de-CH`, `fr`, `en_GB`. */
export function layoutFromLanguage(language: string | undefined | null): Layout {
  const tag = LANGUAGE_TAG.exec(String(language ?? "").trim().split(",")[0] ?? "");
  if (tag === null) {
    return { layout: "us", variant: "" };
  }
  const lang = tag[1]!.toLowerCase();
  const full = tag[2] === undefined ? lang : `${lang}-${tag[2].toUpperCase()}`;
  return { layout: LANGUAGE_TO_LAYOUT.get(full) ?? LANGUAGE_TO_LAYOUT.get(lang) ?? lang, variant: "" };
}

/** The layout a `keyboard_layout` value names, or null when it names none (then ignored). */
export function layoutFromSetting(value: string | undefined | null): Layout | null {
  const v = String(value ?? "").trim();
  if (v === "") {
    return null;
  }
  const x = X_LAYOUT.exec(v);
  if (x !== null) {
    return { layout: x[1]!, variant: x[2] ?? "" };
  }
  if (LANGUAGE_TAG.test(v)) {
    return layoutFromLanguage(v);
  }
  return null;
}

// Unshifted characters of these keys per XKB layout, as xkeyboard-config 2.35 (Debian 12)
// defines them; a space marks a dead key there (browsers report those differently): not compared.
const MAP_KEYS = ["Backquote", "Digit1", "Digit2", "Digit3", "Digit4", "Digit5", "Digit6", "Digit7", "Digit8",
  "Digit9", "Digit0", "Minus", "Equal", "KeyQ", "KeyW", "KeyE", "KeyR", "KeyT", "KeyY", "KeyU", "KeyI",
  "KeyO", "KeyP", "BracketLeft", "BracketRight", "KeyA", "KeyS", "KeyD", "KeyF", "KeyG", "KeyH", "KeyJ",
  "KeyK", "KeyL", "Semicolon", "Quote", "Backslash", "KeyZ", "KeyX", "KeyC", "KeyV", "KeyB", "KeyN", "KeyM",
  "Comma", "Period", "Slash"];
const MAP_LAYOUTS: ReadonlyMap<string, string> = new Map([
  ["us", "`1234567890-=qwertyuiop[]asdfghjkl;'\\zxcvbnm,./"],
  ["gb", "`1234567890-=qwertyuiop[]asdfghjkl;'#zxcvbnm,./"],
  ["de", " 1234567890\u00df qwertzuiop\u00fc+asdfghjkl\u00f6\u00e4#yxcvbnm,.-"],
  ["at", " 1234567890\u00df qwertzuiop\u00fc+asdfghjkl\u00f6\u00e4#yxcvbnm,.-"],
  ["ch", "\u00a71234567890' qwertzuiop\u00fc asdfghjkl\u00f6\u00e4$yxcvbnm,.-"],
  ["fr", "\u00b2&\u00e9\"'(-\u00e8_\u00e7\u00e0)=azertyuiop $qsdfghjklm\u00f9*wxcvbn,;:!"],
  ["be", "\u00b2&\u00e9\"'(\u00a7\u00e8!\u00e7\u00e0)-azertyuiop $qsdfghjklm\u00f9\u00b5wxcvbn,;:="],
  ["es", "\u00ba1234567890'\u00a1qwertyuiop +asdfghjkl\u00f1 \u00e7zxcvbnm,.-"],
  ["latam", "|1234567890'\u00bfqwertyuiop +asdfghjkl\u00f1{}zxcvbnm,.-"],
  ["it", "\\1234567890'\u00ecqwertyuiop\u00e8+asdfghjkl\u00f2\u00e0\u00f9zxcvbnm,.-"],
  ["pt", "\\1234567890'\u00abqwertyuiop+ asdfghjkl\u00e7\u00ba zxcvbnm,.-"],
  ["br", "'1234567890-=qwertyuiop [asdfghjkl\u00e7 ]zxcvbnm,.;"],
  ["se", "\u00a71234567890+ qwertyuiop\u00e5 asdfghjkl\u00f6\u00e4'zxcvbnm,.-"],
  ["fi", "\u00a71234567890+ qwertyuiop\u00e5 asdfghjkl\u00f6\u00e4'zxcvbnm,.-"],
  ["no", "|1234567890+\\qwertyuiop\u00e5 asdfghjkl\u00f8\u00e6'zxcvbnm,.-"],
  ["dk", "\u00bd1234567890+ qwertyuiop\u00e5 asdfghjkl\u00e6\u00f8'zxcvbnm,.-"],
  ["nl", "@1234567890/\u00b0qwertyuiop *asdfghjkl+ <zxcvbnm,.-"],
  ["cz", ";+\u011b\u0161\u010d\u0159\u017e\u00fd\u00e1\u00ed\u00e9= qwertzuiop\u00fa)asdfghjkl\u016f\u00a7 yxcvbnm,.-"],
  ["sk", ";+\u013e\u0161\u010d\u0165\u017e\u00fd\u00e1\u00ed\u00e9= qwertzuiop\u00fa\u00e4asdfghjkl\u00f4\u00a7\u0148yxcvbnm,.-"],
  ["hu", "0123456789\u00f6\u00fc\u00f3qwertzuiop\u0151\u00faasdfghjkl\u00e9\u00e1\u0171yxcvbnm,.-"],
  ["tr", "\"1234567890*-qwertyu\u0131op\u011f\u00fcasdfghjkl\u015fi,zxcvbnm\u00f6\u00e7."]
]);

/**
 * The layout a browser keyboard map shows (`code` -> unshifted character), or null when it shows
 * nothing the language does not already say (`languageLayout`, e.g. from layoutFromLanguage).
 */
export function layoutFromKeyboardMap(map: ReadonlyMap<string, string>, languageLayout: string): Layout | null {
  const matches: string[] = [];
  for (const [layout, chars] of MAP_LAYOUTS) {
    let compared = 0;
    let same = true;
    for (let i = 0; i < MAP_KEYS.length && same; i++) {
      const value = map.get(MAP_KEYS[i]!);
      const expected = [...chars][i];
      if (expected === " " || value === undefined) {
        continue;
      }
      same = value === expected;
      compared++;
    }
    if (same && compared >= 30) {
      matches.push(layout);
    }
  }
  if (matches.length === 0 || matches.includes("us") || matches.includes(languageLayout)) {
    return null;
  }
  return { layout: matches[0]!, variant: "" };
}

/** The three sources in order; each may be absent. */
export function chooseLayout(sources: {
  readonly setting?: string | null;
  readonly keyboardMap?: ReadonlyMap<string, string> | null;
  readonly language?: string | null;
}): Layout {
  const fromLanguage = layoutFromLanguage(sources.language);
  return layoutFromSetting(sources.setting)
    ?? (sources.keyboardMap ? layoutFromKeyboardMap(sources.keyboardMap, fromLanguage.layout) : null)
    ?? fromLanguage;
}
