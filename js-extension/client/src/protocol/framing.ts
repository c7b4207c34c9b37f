/** Xpra's record layer: header, raw chunks, LZ4, limits, the never-throwing PacketReader. */
export * from "./framing/header.js";
export { ProtocolError } from "./framing/errors.js";
export type { ProtocolErrorCode } from "./framing/errors.js";
export { HELLO_LIMITS, SESSION_LIMITS } from "./framing/limits.js";
export type { FramingLimits } from "./framing/limits.js";
export { Lz4Error, lz4DecodeBlock, lz4DecompressSized } from "./framing/lz4.js";
export { PacketReader } from "./framing/reader.js";
export type { FeedResult, Packet, PacketReaderOptions } from "./framing/reader.js";
export { encodePacket, frameRecord } from "./framing/writer.js";
