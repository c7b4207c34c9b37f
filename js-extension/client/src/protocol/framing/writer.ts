/**
 * Packets out: one record per packet, header + payload in one array (a WebSocket message).
 * Client packets are small (input, acks, hello): no compression, no raw chunks.
 */
import { CODECS } from "../codecs.js";
import type { EncoderName } from "../codecs.js";
import type { Encodable } from "../values.js";
import * as H from "./header.js";

/** Frames an already-encoded payload. */
export function frameRecord(payload: Uint8Array, flags: number, compression = 0, index = 0): Uint8Array {
  if (payload.length > 0xffffffff) throw new RangeError("payload larger than a record can declare");
  const out = new Uint8Array(H.HEADER_SIZE + payload.length);
  out.set(H.writeHeader({ flags, compression, index, size: payload.length }), 0);
  out.set(payload, H.HEADER_SIZE);
  return out;
}

/** Encodes a packet (a list, its type first) in the given encoding and frames it. */
export function encodePacket(items: readonly Encodable[], encoder: EncoderName): Uint8Array {
  const codec = CODECS[encoder];
  return frameRecord(codec.encode(items), codec.flag);
}
