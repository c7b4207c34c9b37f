/**
 * The packet encoders this client speaks, by the names Xpra uses in its hello and the protocol
 * flag each sets in the record header (xpra/net/header.py in 3.1, protocol/header.py in 6.x).
 */
import * as bencode from "./bencode.js";
import * as rencode from "./rencode.js";
import * as rencodeplus from "./rencodeplus.js";
import type { DecodeLimits, Encodable, Value } from "./values.js";

export type EncoderName = "rencodeplus" | "rencode" | "bencode";

export interface PacketCodec {
  readonly name: EncoderName;
  /** Protocol flag of a main record in this encoding (bencode is the absence of a flag). */
  readonly flag: number;
  encode(value: Encodable): Uint8Array;
  decode(bytes: Uint8Array, limits?: DecodeLimits): Value;
}

export const CODECS: Readonly<Record<EncoderName, PacketCodec>> = Object.freeze({
  rencodeplus: { name: "rencodeplus", flag: 0x10, encode: rencodeplus.encode, decode: rencodeplus.decode },
  rencode: { name: "rencode", flag: 0x01, encode: (v: Encodable) => rencode.encode(v), decode: rencode.decode },
  bencode: { name: "bencode", flag: 0x00, encode: bencode.encode, decode: bencode.decode },
});
