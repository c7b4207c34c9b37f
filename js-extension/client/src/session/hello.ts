/**
 * Our hello: the session's own capabilities merged with what the other layers provide.
 *
 * The session decides the transport-level facts (encoder, compression, no aliases, sharing,
 * pings) and turns off every feature the product refuses (notifications, printing, file
 * transfer, open-url, webcam, the microphone). Speaker sound is asked for only when the session
 * has it (`audio: true`, from session.json): both versions' forms, see docs/audio.md. Providers (display, pictures, keyboard, clipboard) add their own
 * maps; they may not override a key the session owns, so no layer can ask for integer packet
 * aliases or another compressor by accident.
 */
import type { Encodable, EncoderName } from "../protocol/index.js";

/** A layer's contribution to the hello, read each time a hello is sent (so it can change). */
export type CapabilityProvider = () => Readonly<Record<string, Encodable>>;

export interface HelloOptions {
  readonly encoder: EncoderName;
  readonly uuid: string;
  readonly version: string;
  readonly clientType: string;
  /** Ask for the session's speaker sound (raw Opus). Off: every sound key says no. */
  readonly audio?: boolean;
}

/** The one sound codec we decode (WebCodecs AudioDecoder, no container). */
export const AUDIO_CODEC = "opus";

/**
 * What 6.5 sends a client that names no `wants` (ClientConnection's default); a list we send
 * replaces it, so ours is that list plus "audio" (without "audio" there, or a receiving `audio`
 * map, 6.5 gives the connection no audio and ignores sound-control).
 */
const WANTS_WITH_AUDIO: readonly string[] = ["encodings", "versions", "features", "display", "packet-types", "audio"];

/**
 * The sound keys. Xpra 3.1 reads flat `sound.*` keys, 6.5 a nested `audio` map plus "audio" in
 * `wants`; each ignores the other's. Off: 3.1's booleans say no and 6.5 gets nothing to enable
 * its audio with.
 */
export function audioCapabilities(on: boolean): Record<string, Encodable> {
  if (!on) return { "sound.receive": false, "sound.send": false, speaker: false, microphone: false };
  return {
    "sound.receive": true,
    "sound.send": false,
    "sound.decoders": [AUDIO_CODEC],
    "sound.bundle-metadata": true,
    speaker: true,
    microphone: false,
    audio: { receive: true, send: false, decoders: [AUDIO_CODEC] },
    wants: WANTS_WITH_AUDIO,
  };
}

const ENCODERS: readonly EncoderName[] = ["rencodeplus", "rencode", "bencode"];

/** The keys only the session may set (providers' values for them are dropped). */
export function sessionCapabilities(o: HelloOptions): Record<string, Encodable> {
  const caps: Record<string, Encodable> = {
    version: o.version,
    client_type: o.clientType,
    uuid: o.uuid,
    // 6.x reads "encoders", 3.1 only the per-name booleans (and treats a missing "bencode" as
    // true), so both forms, every other encoder explicitly off.
    encoders: [o.encoder],
    // Xpra reads the list ("compressors") and, in 3.1, also the bare name.
    compressors: ["lz4"],
    lz4: true,
    zlib: false,
    lzo: false,
    brotli: false,
    zstd: false,
    yaml: false,
    compression_level: 1,
    chunks: true,
    // Xpra 3.1 writes each chunk of a packet as its own websocket frame for a client_type
    // "HTML5" that does not say this (websockets/protocol.py, "legacy websocket frames"): a
    // picture then leaves as several small writes, and TCP's Nagle + delayed ACK on the way to
    // the browser held every other key's photon ~45 ms (measured with bench/own_ab.py). Our
    // transport reads a byte stream, so one frame per packet is fine; 4.x and later always do so.
    "websocket.multi-packet": true,
    share: false,
    steal: true,
    // 6.x only answers pings (and pings us) when the client says it pings.
    ping: true,
    "ping-echo-sourceid": true,
    notifications: false,
    notification: false,
    ...audioCapabilities(o.audio === true),
    printing: false,
    "file-transfer": false,
    "open-url": false,
    webcam: false,
  };
  for (const e of ENCODERS) caps[e] = e === o.encoder;
  return caps;
}

/**
 * The whole hello map: providers first (in order), then the session's keys over them. A provider
 * that throws is skipped (its layer is off), not fatal to the connection.
 */
export function buildHello(
  o: HelloOptions,
  providers: readonly CapabilityProvider[],
  onProviderError: (e: unknown) => void,
): Record<string, Encodable> {
  const own = sessionCapabilities(o);
  const out: Record<string, Encodable> = Object.create(null) as Record<string, Encodable>;
  for (const p of providers) {
    let part: Readonly<Record<string, Encodable>>;
    try {
      part = p();
    } catch (e) {
      onProviderError(e);
      continue;
    }
    for (const k of Object.keys(part)) {
      if (k in own || k === "aliases") continue;
      const v = part[k];
      if (v !== undefined) out[k] = v;
    }
  }
  for (const k of Object.keys(own)) out[k] = own[k] as Encodable;
  return out;
}
