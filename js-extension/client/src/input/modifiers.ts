/**
 * Browser modifier state to X modifier names. The server matches its keyboard's modifier mask to
 * the list each key and pointer packet carries, so the names must be the server's own (`mod1`...,
 * read from its hello), not the browser's. AltGr (and Option on a Mac, which types characters the
 * way AltGr does) becomes the Level3 modifier alone: browsers report Windows AltGr as Control+Alt,
 * and keeping those would make the server pick the Control or Alt level instead.
 */
import type { Key, Value } from "../protocol/index.js";
import { valueText } from "./text.js";

/** The X modifier that each browser modifier stands for on the server. */
export interface ModifierMap {
  readonly alt: string;
  readonly meta: string;
  readonly altgr: string;
  readonly numlock: string;
  readonly control: string;
}

/** Xvfb's default XKB keymap (pc105): what a server whose hello says nothing uses. */
export const DEFAULT_MODIFIERS: ModifierMap = Object.freeze({
  alt: "mod1",
  meta: "mod4",
  altgr: "mod5",
  numlock: "mod2",
  control: "control"
});

const MODIFIER_NAME = /^(shift|lock|control|mod[1-5])$/;

/**
 * The modifier map a server's hello announces: `modifier_keycodes` (both versions: modifier ->
 * list of [keycode, keyname, ...]) or `modifiers-keynames` (6.x: modifier -> keynames).
 * Anything unexpected is skipped; what is not found keeps its default.
 */
export function modifierMapFromHello(hello: ReadonlyMap<Key, Value>): ModifierMap {
  const found: Record<string, string> = {};
  const note = (mod: string, keyname: string): void => {
    const role =
      keyname === "Alt_L" ? "alt"
      : keyname === "Meta_L" || keyname === "Super_L" ? "meta"
      : keyname === "ISO_Level3_Shift" || keyname === "Mode_switch" ? "altgr"
      : keyname === "Num_Lock" ? "numlock"
      : keyname === "Control_L" ? "control"
      : undefined;
    // The first modifier naming a role wins; a later one does not move it.
    if (role !== undefined && found[role] === undefined) {
      found[role] = mod;
    }
  };
  for (const capability of ["modifier_keycodes", "modifiers-keynames"]) {
    const table = hello.get(capability);
    if (!(table instanceof Map)) {
      continue;
    }
    for (const [mod, keys] of table) {
      if (typeof mod !== "string" || !MODIFIER_NAME.test(mod) || !Array.isArray(keys)) {
        continue;
      }
      for (const key of keys) {
        for (const part of Array.isArray(key) ? key : [key]) {
          const name = valueText(part);
          if (name !== undefined) {
            note(mod, name);
          }
        }
      }
    }
  }
  return Object.freeze({ ...DEFAULT_MODIFIERS, ...found });
}

/** What a browser key or pointer event says about modifiers (KeyboardEvent and MouseEvent have it). */
export interface ModifierSource {
  readonly shiftKey?: boolean;
  readonly ctrlKey?: boolean;
  readonly altKey?: boolean;
  readonly metaKey?: boolean;
  getModifierState?(key: string): boolean;
}

/**
 * The X modifiers for an event. `altgr`: AltGr (or Mac Option) is down, so Alt and Control that
 * the browser reports with it are dropped and the Level3 modifier is sent instead. `swapCommand`
 * (a Mac): Command is Control for the session and Control is its Super, so Cmd+C copies in
 * Firefox as it does in every Mac application.
 */
export function xModifiers(event: ModifierSource, map: ModifierMap, altgr: boolean, swapCommand = false): string[] {
  const state = (name: string): boolean => event.getModifierState?.(name) === true;
  const mods: string[] = [];
  if (event.shiftKey === true || state("Shift")) {
    mods.push("shift");
  }
  if (state("CapsLock")) {
    mods.push("lock");
  }
  const control = event.ctrlKey === true || state("Control");
  const command = event.metaKey === true || state("Meta");
  if (!altgr && (swapCommand ? command : control)) {
    mods.push(map.control);
  }
  if (!altgr && (event.altKey === true || state("Alt"))) {
    mods.push(map.alt);
  }
  if (swapCommand ? control : command) {
    mods.push(map.meta);
  }
  if (state("NumLock")) {
    mods.push(map.numlock);
  }
  if (altgr) {
    mods.push(map.altgr);
  }
  return [...new Set(mods)];
}
