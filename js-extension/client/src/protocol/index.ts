/**
 * The protocol layer of our Xpra client: packet codecs and the record layer. No DOM, no UI.
 */
export * as bencode from "./bencode.js";
export * as rencode from "./rencode.js";
export * as rencodeplus from "./rencodeplus.js";
export { CODECS } from "./codecs.js";
export type { EncoderName, PacketCodec } from "./codecs.js";
export * from "./framing.js";
export { CodecError, DEFAULT_DECODE_LIMITS, Float } from "./values.js";
export type { DecodeLimits, Encodable, EncodableObject, EncodeOptions, Key, Value } from "./values.js";
