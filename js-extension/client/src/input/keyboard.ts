/**
 * Browser key events to Xpra key packets, DOM-free (the app passes the KeyboardEvent itself or
 * anything shaped like it), so every layout case is tested in Node.
 *
 * Each key travels as the X keysym name of the character the browser produced; the server finds a
 * key of its own layout that types it and adds or drops Shift/Level3 as that key needs. Rules kept
 * from the product's patched 3.1 client (js-extension/ui-tests/keyboard.test.mjs measures them):
 * - the hello turns keyboard sync off, so the server presses and releases each key at once
 *   (modifiers stay down until released): a late key-up cannot make X auto-repeat a key, and a
 *   key the browser repeats is sent again on each repeat;
 * - dead keys: the browser composes an accent with the next key (`Dead`, then `é`); the dead key
 *   is held back and the composed character goes as the dead keysym plus its base letter, which X
 *   composes as a local keyboard would (the server's layout often lacks `é` itself);
 * - AltGr chooses Level3 and drops the Control+Alt that Windows reports with it; Option on a Mac
 *   does the same (it types characters there);
 * - on a Mac, Command is Control in the session and Control is Super (Cmd+C, Cmd+A, Cmd+V do
 *   there what they do in every Mac application);
 * - with the clipboard on, the browser keeps Ctrl/Cmd, Shift and the copy/paste combinations, so
 *   its paste event fires; the app sends the pasted text before the key (`awaitPaste`).
 */
import type { Encodable } from "../protocol/index.js";
import { MODIFIER_KEYNAMES, nameFromCode, namedKey } from "./keynames.js";
import { keysymNameForChar } from "./keysyms.js";
import type { Layout } from "./layouts.js";
import { DEFAULT_MODIFIERS, xModifiers } from "./modifiers.js";
import type { ModifierMap, ModifierSource } from "./modifiers.js";
import type { InputProtocol } from "./protocol.js";

/** What the translator reads from a KeyboardEvent. */
export interface KeyEventLike extends ModifierSource {
  readonly key: string;
  readonly code: string;
  readonly keyCode?: number;
  readonly which?: number;
  readonly location?: number;
  readonly repeat?: boolean;
  readonly isComposing?: boolean;
}

export type Platform = "mac" | "windows" | "linux" | "other";

/**
 * The browser's platform from `navigator.platform` ("MacIntel", "Win32", "Linux x86_64") or, where
 * a browser empties it, its user agent.
 */
export function platformFrom(platform: string, userAgent: string): Platform {
  const text = platform || userAgent;
  return /^Mac|Macintosh|iPhone|iPad/.test(text) ? "mac"
    : /^Win|Windows/.test(text) ? "windows"
    : /Linux|X11|CrOS/.test(text) ? "linux"
    : "other";
}

export interface KeyboardOptions {
  readonly protocol: InputProtocol;
  readonly platform?: Platform;
  /** The clipboard may go into the session: the browser keeps the paste combinations. */
  readonly clipboardToServer?: boolean;
  readonly modifiers?: ModifierMap;
}

/** The packets for one browser event, and what the app does with the event. */
export interface KeyResult {
  readonly packets: Encodable[][];
  /** Call event.preventDefault(): the browser must not act on the key itself. */
  readonly preventDefault: boolean;
  /**
   * A paste combination with the clipboard on: send the browser's paste (the clipboard token) first
   * and these packets after it (or after a short wait if no paste event comes), so the session
   * pastes the new text.
   */
  readonly awaitPaste: boolean;
}

const IME_KEYCODE = 229;

// An accent typed on its own (dead key then space) and the dead keysym that makes it.
const DEAD_FOR_ACCENT: ReadonlyMap<string, string> = new Map([
  ["`", "dead_grave"], ["\u00b4", "dead_acute"], ["^", "dead_circumflex"], ["~", "dead_tilde"],
  ["\u00a8", "dead_diaeresis"], ["'", "dead_acute"], ["\"", "dead_diaeresis"]
]);
// Combining marks (NFD) and the dead keysyms that add them.
const DEAD_FOR_MARK: ReadonlyMap<string, string> = new Map([
  ["\u0300", "dead_grave"], ["\u0301", "dead_acute"], ["\u0302", "dead_circumflex"], ["\u0303", "dead_tilde"],
  ["\u0304", "dead_macron"], ["\u0306", "dead_breve"], ["\u0307", "dead_abovedot"], ["\u0308", "dead_diaeresis"],
  ["\u030a", "dead_abovering"], ["\u030b", "dead_doubleacute"], ["\u030c", "dead_caron"], ["\u0327", "dead_cedilla"],
  ["\u0328", "dead_ogonek"]
]);

const PASTE_LETTERS = new Set(["c", "x", "v"]);

// A Mac's Command and Control keys, each sent as the other.
const MAC_SWAP: ReadonlyMap<string, string> = new Map([
  ["Super_L", "Control_L"], ["Super_R", "Control_R"], ["Meta_L", "Control_L"], ["Meta_R", "Control_R"],
  ["Control_L", "Super_L"], ["Control_R", "Super_R"]
]);

interface Down {
  readonly keyname: string;
  readonly keycode: number;
}

export class KeyboardTranslator {
  private readonly protocol: InputProtocol;
  private readonly platform: Platform;
  private readonly clipboardToServer: boolean;
  private modifierMap: ModifierMap;
  /** Keys down on the server side, by physical key: released with the name they were pressed with. */
  private readonly down = new Map<string, Down>();
  private deadPending = false;
  private altgr = false;

  constructor(options: KeyboardOptions) {
    this.protocol = options.protocol;
    this.platform = options.platform ?? "other";
    this.clipboardToServer = options.clipboardToServer ?? false;
    this.modifierMap = options.modifiers ?? DEFAULT_MODIFIERS;
  }

  /** The server's modifier names (modifierMapFromHello), once its hello is in. */
  setModifierMap(map: ModifierMap): void {
    this.modifierMap = map;
  }

  onKeyDown(event: KeyEventLike, wid: number): KeyResult {
    return this.process(event, wid, true);
  }

  onKeyUp(event: KeyEventLike, wid: number): KeyResult {
    return this.process(event, wid, false);
  }

  /**
   * Releases every key still down on the server (the page lost the focus: its key-ups will never
   * come) and forgets AltGr and a pending dead key.
   */
  releaseAll(wid: number): Encodable[][] {
    const packets: Encodable[][] = [];
    for (const { keyname, keycode } of this.down.values()) {
      packets.push(this.packet(wid, keyname, false, [], keycode, ""));
    }
    this.down.clear();
    this.deadPending = false;
    this.altgr = false;
    return packets;
  }

  private process(event: KeyEventLike, wid: number, pressed: boolean): KeyResult {
    const keycode = event.keyCode || event.which || 0;
    const key = typeof event.key === "string" ? event.key : "";
    const code = typeof event.code === "string" ? event.code : "";
    if (keycode === IME_KEYCODE || event.isComposing === true) {
      // An input method is composing: its text arrives through it, not as keys.
      return { packets: [], preventDefault: false, awaitPaste: false };
    }
    if (key === "Dead") {
      if (pressed) {
        this.deadPending = true;
      }
      return { packets: [], preventDefault: true, awaitPaste: false };
    }
    const held = this.down.get(code);
    if (!pressed) {
      if (held === undefined) {
        return { packets: [], preventDefault: true, awaitPaste: false };
      }
      this.down.delete(code);
      if (held.keyname === "ISO_Level3_Shift") {
        this.altgr = false;
      }
      const mods = this.modifiers(event);
      return {
        packets: [this.packet(wid, held.keyname, false, mods, held.keycode, "")],
        preventDefault: !this.browserKeeps(event, held.keyname),
        awaitPaste: false
      };
    }
    if (this.deadPending) {
      const composed = this.composed(key);
      if (composed !== undefined) {
        this.deadPending = false;
        const mods = this.modifiers(event);
        this.down.set(code, { keyname: composed.base, keycode });
        return {
          packets: [
            this.packet(wid, composed.dead, true, mods, keycode, ""),
            this.packet(wid, composed.dead, false, mods, keycode, ""),
            this.packet(wid, composed.base, true, mods, keycode, composed.baseChar)
          ],
          preventDefault: true,
          awaitPaste: false
        };
      }
    }
    const keyname = this.keyname(key, code, event.location);
    if (keyname === undefined) {
      return { packets: [], preventDefault: false, awaitPaste: false };
    }
    if (keyname === "ISO_Level3_Shift") {
      this.altgr = true;
    }
    if (!MODIFIER_KEYNAMES.has(keyname) && [...key].length === 1) {
      // A character typed: a dead key before it that composed nothing is spent.
      this.deadPending = false;
    }
    if (event.repeat === true && MODIFIER_KEYNAMES.has(keyname)) {
      // A held modifier stays down on the server; its repeats change nothing.
      return { packets: [], preventDefault: true, awaitPaste: false };
    }
    this.down.set(code, { keyname, keycode });
    const mods = this.modifiers(event);
    const string = [...key].length === 1 ? key : "";
    const keeps = this.browserKeeps(event, keyname);
    return {
      packets: [this.packet(wid, keyname, true, mods, keycode, string)],
      preventDefault: !keeps,
      awaitPaste: keeps && this.isPasteCombination(event, keyname)
    };
  }

  private modifiers(event: KeyEventLike): string[] {
    return xModifiers(event, this.modifierMap, this.altgr || this.macOption(event), this.platform === "mac");
  }

  /** Option on a Mac types characters as AltGr does; its Alt modifier is Level3 there. */
  private macOption(event: KeyEventLike): boolean {
    return this.platform === "mac" && (event.altKey === true || event.getModifierState?.("Alt") === true);
  }

  private keyname(key: string, code: string, location: number | undefined): string | undefined {
    if (this.platform === "mac" && key === "Alt") {
      return "ISO_Level3_Shift";
    }
    const named = namedKey(key, code, location);
    if (named !== undefined) {
      return this.platform === "mac" ? MAC_SWAP.get(named) ?? named : named;
    }
    if ([...key].length === 1) {
      return keysymNameForChar(key) ?? nameFromCode(code);
    }
    return nameFromCode(code);
  }

  private composed(key: string): { dead: string; base: string; baseChar: string } | undefined {
    if ([...key].length !== 1) {
      return undefined;
    }
    const accent = DEAD_FOR_ACCENT.get(key);
    if (accent !== undefined) {
      return { dead: accent, base: "space", baseChar: " " };
    }
    const parts = [...key.normalize("NFD")];
    if (parts.length !== 2) {
      return undefined;
    }
    const dead = DEAD_FOR_MARK.get(parts[1]!);
    const base = keysymNameForChar(parts[0]!);
    return dead !== undefined && base !== undefined ? { dead, base, baseChar: parts[0]! } : undefined;
  }

  /** Whether the browser keeps the key's default action (clipboard combinations, F11). */
  private browserKeeps(event: KeyEventLike, keyname: string): boolean {
    if (keyname === "F11") {
      return true;
    }
    if (!this.clipboardToServer) {
      return false;
    }
    // Control's keynames: on a Mac the Command key's, swapped (MAC_SWAP).
    if (["Control_L", "Control_R", "Shift_L", "Shift_R"].includes(keyname)) {
      return true;
    }
    if (keyname === "Insert" && event.shiftKey === true) {
      return true;
    }
    return this.clipboardModifierDown(event) && PASTE_LETTERS.has(event.key.toLowerCase());
  }

  private clipboardModifierDown(event: KeyEventLike): boolean {
    return this.platform === "mac" ? event.metaKey === true : event.ctrlKey === true && !this.altgr;
  }

  private isPasteCombination(event: KeyEventLike, keyname: string): boolean {
    return (keyname === "Insert" && event.shiftKey === true)
      || (this.clipboardModifierDown(event) && event.key.toLowerCase() === "v");
  }

  private packet(wid: number, keyname: string, pressed: boolean, modifiers: string[], keycode: number, string: string): Encodable[] {
    if (this.protocol === "v3") {
      // key-action: wid, keyname, pressed, modifiers, keyval, string, keycode, group
      return ["key-action", wid, keyname, pressed, modifiers, keycode, string, keycode, 0];
    }
    return ["keyboard-event", wid, keyname, pressed, { modifiers, keyval: keycode, string, keycode, group: 0 }];
  }
}

// Keys named for the server (keyval, name, keycode, group, level). 3.1 refuses a keyboard without
// any ("client failed to provide any keycodes!") and 6.x without any never loads the layout (it
// only translates into its default map); without a native keymap both only translate these to
// the keys of the layout they load, so a few plain keys do.
const KEYCODES: Encodable[] = [..."abcdefghijklmnopqrstuvwxyz0123456789"].map(c => {
  const code = c.toUpperCase().charCodeAt(0);
  return [code, c, code, 0, 0];
});

/** Hello capabilities for the keyboard: the layout, and keyboard sync off (see above). */
export function keyboardCapabilities(protocol: InputProtocol, layout: Layout): Record<string, Encodable> {
  if (protocol === "v3") {
    return {
      keyboard: true,
      keyboard_sync: false,
      xkbmap_layout: layout.layout,
      xkbmap_variant: layout.variant,
      xkbmap_keycodes: KEYCODES
    };
  }
  return {
    keyboard: true,
    keymap: { layout: layout.layout, variant: layout.variant, sync: false, keycodes: KEYCODES }
  };
}

/**
 * The keyboard configuration, to send right after the server's hello and whenever the layout
 * changes. 6.x waits for it before it sets up the keyboard at all (XPRA_DELAY_KEYBOARD_DATA), and
 * reads `sync` from every one (absent means on), so it always says sync off, and applies it only
 * when something changed or `force` is set. 3.1 takes the layout
 * from the hello and a change as `layout-changed` (the same layout again changes nothing).
 */
export function keyboardConfigPacket(protocol: InputProtocol, layout: Layout): Encodable[] {
  if (protocol === "v3") {
    return ["layout-changed", layout.layout, layout.variant];
  }
  // force: the hello already told 6.x this layout, so without it "nothing changed" and the keymap
  // is never applied (measured: the server stays on its default US map).
  return ["keyboard-config", { layout: layout.layout, variant: layout.variant, sync: false, force: true, keycodes: KEYCODES }];
}
