/**
 * The draw acknowledgement, built in one place so every caller sends the fields both servers
 * read the same way.
 *
 * Xpra paces itself on these: it stops sending pictures for a window once too many draws are
 * unacknowledged. Fields (3.1 window_server._process_damage_sequence; 6.5 reads them under the
 * new name "window-draw-ack" and still accepts "damage-sequence" as an alias while
 * XPRA_BACKWARDS_COMPATIBLE is on, its default): the draw's packet sequence, the window id, the
 * drawn width and height (6.5 refuses anything outside 0..65535), the decode time in
 * microseconds (> 0 measured, 0 skipped, -1 failed: then the message says why, and the server
 * sends a fresh picture).
 */
import type { Encodable } from "../protocol/index.js";

export const DRAW_DECODED_SKIPPED = 0;
export const DRAW_FAILED = -1;

const u16 = (n: number): number => (Number.isFinite(n) ? Math.min(65535, Math.max(0, Math.trunc(n))) : 0);

/** ["damage-sequence", packetSequence, wid, width, height, decodeTimeUs, message]. */
export function damageSequencePacket(
  packetSequence: number | bigint,
  wid: number,
  width: number,
  height: number,
  decodeTimeUs: number,
  message = "",
): Encodable[] {
  const decode = Number.isFinite(decodeTimeUs) ? Math.max(-1, Math.min(2 ** 31 - 1, Math.trunc(decodeTimeUs))) : -1;
  return ["damage-sequence", packetSequence, wid, u16(width), u16(height), decode, message];
}
