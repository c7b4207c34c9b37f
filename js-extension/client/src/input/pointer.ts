/**
 * Pointer motion, buttons and the wheel to Xpra packets, DOM-free. Positions are the app's:
 * desktop coordinates in device pixels (the X display is sized in device pixels and drawn 1:1),
 * rounded here. Xpra 6.x numbers pointer events per device and drops a motion whose sequence number
 * is not above the last one it saw, so one counter serves motion and buttons.
 *
 * The wheel: X scrolls by button clicks (4 up, 5 down, 6 left, 7 right); browsers report smooth
 * deltas in pixels, lines or pages. Deltas are summed per axis and each whole click's worth sent
 * as a press and a release; what is left waits for the next event (a touchpad's small deltas add
 * up instead of being lost). A reversal of direction drops what was left over the other way.
 */
import type { Encodable } from "../protocol/index.js";
import { DEFAULT_MODIFIERS, xModifiers } from "./modifiers.js";
import type { ModifierMap, ModifierSource } from "./modifiers.js";
import type { InputProtocol } from "./protocol.js";

/** A point on the desktop, device pixels. */
export type Position = readonly [number, number];

export interface PointerEventLike extends ModifierSource {
  /** MouseEvent.button: 0 main, 1 middle, 2 secondary, 3 back, 4 forward. */
  readonly button?: number;
}

export interface WheelEventLike extends ModifierSource {
  readonly deltaX: number;
  readonly deltaY: number;
  /** 0 pixels, 1 lines, 2 pages (WheelEvent.DOM_DELTA_*). */
  readonly deltaMode: number;
}

/** Pixels that make one wheel click: one notch of a mouse wheel in Chromium and Firefox. */
export const PIXELS_PER_CLICK = 100;
/** A line is a third of a click (browsers scroll 3 lines per notch), a page three clicks. */
export const PIXELS_PER_LINE = PIXELS_PER_CLICK / 3;
export const PIXELS_PER_PAGE = 3 * PIXELS_PER_CLICK;
/** At most this many clicks per axis from one event, against floods of huge deltas. */
export const MAX_CLICKS_PER_EVENT = 10;

// MouseEvent.button -> X button.
const X_BUTTON: readonly number[] = [1, 2, 3, 8, 9];

/** The Xpra 6.x device id of the browser's one pointer. */
const DEVICE_ID = 0;

export class PointerTranslator {
  private readonly protocol: InputProtocol;
  private modifierMap: ModifierMap;
  private sequence = 0;
  private readonly pressed = new Set<number>();
  private wheelX = 0;
  private wheelY = 0;

  /** A Mac: Command is Control for the session (as for keys: Cmd+click opens a link in a new tab). */
  private readonly swapCommand: boolean;

  constructor(options: { readonly protocol: InputProtocol; readonly modifiers?: ModifierMap; readonly mac?: boolean }) {
    this.protocol = options.protocol;
    this.modifierMap = options.modifiers ?? DEFAULT_MODIFIERS;
    this.swapCommand = options.mac ?? false;
  }

  private modifiers(event: ModifierSource): string[] {
    return xModifiers(event, this.modifierMap, false, this.swapCommand);
  }

  setModifierMap(map: ModifierMap): void {
    this.modifierMap = map;
  }

  onPointerMove(event: PointerEventLike, wid: number, position: Position): Encodable[][] {
    const point = round(position);
    const modifiers = this.modifiers(event);
    if (this.protocol === "v3") {
      return [["pointer-position", wid, point, modifiers, this.buttons()]];
    }
    return [["pointer-motion", DEVICE_ID, this.next(), wid, point, { modifiers, buttons: this.buttons() }]];
  }

  onPointerDown(event: PointerEventLike, wid: number, position: Position): Encodable[][] {
    return this.button(event, wid, position, true);
  }

  onPointerUp(event: PointerEventLike, wid: number, position: Position): Encodable[][] {
    return this.button(event, wid, position, false);
  }

  /** Releases the buttons still down (the page lost the pointer: their releases will not come). */
  releaseAll(wid: number, position: Position): Encodable[][] {
    const packets: Encodable[][] = [];
    for (const button of [...this.pressed]) {
      packets.push(...this.buttonPacket(wid, button, false, round(position), []));
    }
    return packets;
  }

  onWheel(event: WheelEventLike, wid: number, position: Position): Encodable[][] {
    const scale = event.deltaMode === 1 ? PIXELS_PER_LINE : event.deltaMode === 2 ? PIXELS_PER_PAGE : 1;
    const dx = finite(event.deltaX) * scale;
    const dy = finite(event.deltaY) * scale;
    this.wheelX = accumulate(this.wheelX, dx);
    this.wheelY = accumulate(this.wheelY, dy);
    const point = round(position);
    const modifiers = this.modifiers(event);
    const packets: Encodable[][] = [];
    const take = (total: number, negative: number, positive: number): number => {
      const clicks = Math.min(MAX_CLICKS_PER_EVENT, Math.floor(Math.abs(total) / PIXELS_PER_CLICK));
      const button = total < 0 ? negative : positive;
      for (let i = 0; i < clicks; i++) {
        packets.push(...this.buttonPacket(wid, button, true, point, modifiers));
        packets.push(...this.buttonPacket(wid, button, false, point, modifiers));
      }
      // What is beyond the cap is dropped, not queued: a flood stays a bounded scroll.
      const left = Math.abs(total) - Math.floor(Math.abs(total) / PIXELS_PER_CLICK) * PIXELS_PER_CLICK;
      return Math.sign(total) * left;
    };
    this.wheelY = take(this.wheelY, 4, 5);
    this.wheelX = take(this.wheelX, 6, 7);
    return packets;
  }

  private button(event: PointerEventLike, wid: number, position: Position, pressed: boolean): Encodable[][] {
    const button = X_BUTTON[event.button ?? 0];
    if (button === undefined) {
      return [];
    }
    if (!pressed && !this.pressed.has(button)) {
      return [];
    }
    return this.buttonPacket(wid, button, pressed, round(position), this.modifiers(event));
  }

  private buttonPacket(wid: number, button: number, pressed: boolean, point: Encodable[], modifiers: string[]): Encodable[][] {
    // Wheel clicks are not held buttons: only 1-3, 8, 9 are tracked.
    if (button < 4 || button > 7) {
      if (pressed) {
        this.pressed.add(button);
      } else {
        this.pressed.delete(button);
      }
    }
    if (this.protocol === "v3") {
      return [["button-action", wid, button, pressed, point, modifiers, this.buttons()]];
    }
    return [["pointer-button", DEVICE_ID, this.next(), wid, button, pressed, point, { modifiers, buttons: this.buttons() }]];
  }

  private buttons(): number[] {
    return [...this.pressed].sort((a, b) => a - b);
  }

  private next(): number {
    this.sequence += 1;
    return this.sequence;
  }
}

function finite(n: number): number {
  return Number.isFinite(n) ? n : 0;
}

function round(position: Position): number[] {
  return [Math.round(finite(position[0])), Math.round(finite(position[1]))];
}

function accumulate(total: number, delta: number): number {
  if (delta === 0) {
    return total;
  }
  return Math.sign(delta) !== Math.sign(total) ? delta : total + delta;
}
