/**
 * Which input packets a server reads, chosen by its major version. Xpra changed them after 3.1:
 * keys became `keyboard-event` with an attribute dict (6.x reads `key-action` only while its
 * BACKWARDS_COMPATIBLE switch is on), pointer packets gained a device id and a sequence number
 * (`pointer-motion`, `pointer-button`), and the hello's keyboard settings moved from `xkbmap_*`
 * keys into a `keymap` dict. Measured against 3.1.3 and 6.5.5 only (see docs/input.md).
 */

/** `v3`: Xpra 3.x and 4.x packet shapes; `v6`: Xpra 6.x (and 5.x, untested). */
export type InputProtocol = "v3" | "v6";

/** The packet set for a server's major version (the `version` of its hello, first number). */
export function inputProtocolFor(major: number): InputProtocol {
  if (!Number.isInteger(major) || major < 3) {
    throw new RangeError(`unsupported Xpra major version ${String(major)}`);
  }
  return major >= 5 ? "v6" : "v3";
}
