/**
 * The speaker stream's protocol, between the session and a player: after the server's hello,
 * `sound-control start opus` when the server encodes raw Opus; `sound-data` (and 6.5's name,
 * `audio-data`) checked and handed to the player; mute as `sound-control stop` / `start`.
 *
 * Everything in a sound packet is hostile input: the codec is compared as text, the metadata must
 * be a map, the data a byte string of at most MAX_OPUS_PACKET bytes (checked before anything is
 * copied), flags and the sequence are read with Caps' typed, never-throwing accessors. A packet
 * that fails a check is counted and dropped; `packet()` never throws (the player's own throws are
 * caught too), so the session's loop goes on.
 */
import { AUDIO_CODEC, Caps, valueText } from "../session/index.js";
import type { Encodable, Value } from "../protocol/index.js";

/**
 * Largest Opus packet accepted. Xpra sends one 20 ms packet per message (≤ 1275 bytes by the
 * Opus spec for one frame; ~160 bytes at its 64 kbit/s); 120 ms of frames in one packet still fit.
 */
export const MAX_OPUS_PACKET = 8192;
/** Longest codec name read (Xpra's are ≤ 10 characters). */
const MAX_CODEC_NAME = 32;

/** What the stream drives (src/audio/player.ts in the page; a fake in the tests). */
export interface AudioPlayer {
  /** A stream begins: a fresh decoder and clock. */
  start(): void;
  /** One raw Opus packet (a fresh copy the player may keep). */
  data(packet: Uint8Array): void;
  /** The stream ended (stop, mute, the server's end, the connection's loss): silence at once. */
  end(): void;
}

export type StreamState = "off" | "starting" | "playing" | "muted";

export interface AudioStreamOptions {
  readonly send: (packet: readonly Encodable[]) => void;
  readonly player: AudioPlayer;
  readonly log?: (message: string) => void;
  /** An end of stream we did not ask for restarts after this, doubled each time (default 1000). */
  readonly restartDelayMs?: number;
  /** Restarts in a row before giving up until the next hello or unmute (default 3). */
  readonly maxRestarts?: number;
}

export interface AudioStreamStats {
  packets: number;
  /** Malformed, wrong codec, wrong sequence, or data outside a stream. */
  refused: number;
  bytes: number;
  streams: number;
}

export class AudioStream {
  readonly stats: AudioStreamStats = { packets: 0, refused: 0, bytes: 0, streams: 0 };
  private readonly o: AudioStreamOptions;
  private current: StreamState = "off";
  private muted = false;
  /** The server encodes raw Opus (known from its hello). */
  private available = false;
  private sequence = -1;
  /** The sequence of the last stream that ended or that we stopped (the server counts up). */
  private endedSequence = -1;
  private restarts = 0;
  private restartTimer: ReturnType<typeof setTimeout> | null = null;

  constructor(options: AudioStreamOptions) {
    this.o = options;
  }

  get state(): StreamState {
    return this.current;
  }

  get isMuted(): boolean {
    return this.muted;
  }

  /** The server's hello: start the stream if it encodes raw Opus and we are not muted. */
  serverHello(server: Caps): boolean {
    this.clearRestart();
    this.restarts = 0;
    // 3.1: flat "sound.encoders"; 6.5: "audio" → "encoders" (Caps reads both forms of each).
    const encoders = [...server.textList("sound.encoders"), ...server.textList("audio.encoders")];
    this.available = encoders.includes(AUDIO_CODEC);
    if (!this.available) {
      this.current = "off";
      this.log(`the server encodes no raw ${AUDIO_CODEC} (${encoders.slice(0, 20).join(", ") || "no sound"}): no sound`);
      return false;
    }
    if (this.muted) {
      this.current = "muted";
      return false;
    }
    this.requestStart();
    return true;
  }

  /** The connection is gone: the stream with it (the next hello starts a new one). */
  connectionLost(): void {
    this.clearRestart();
    this.available = false;
    if (this.current === "playing") this.safe(() => this.o.player.end());
    this.current = this.muted ? "muted" : "off";
    this.sequence = -1;
    // A new connection is a new server source: its sequences start again.
    this.endedSequence = -1;
  }

  /** Mute stops the server's stream (no bytes while muted); unmute starts it again. */
  setMuted(muted: boolean): void {
    if (muted === this.muted) return;
    this.muted = muted;
    this.clearRestart();
    if (muted) {
      const wasStreaming = this.current === "playing" || this.current === "starting";
      if (this.current === "playing") this.safe(() => this.o.player.end());
      this.current = "muted";
      this.ended();
      if (wasStreaming && this.available) this.o.send(["sound-control", "stop"]);
      return;
    }
    this.restarts = 0;
    if (this.available) this.requestStart();
    else this.current = "off";
  }

  /** A `sound-data` / `audio-data` packet: `[type, codec, data, metadata, packet_metadata?]`. */
  packet(items: readonly Value[]): void {
    this.stats.packets++;
    try {
      if (!this.accept(items)) this.stats.refused++;
    } catch (e) {
      this.stats.refused++;
      this.log(`a sound packet failed: ${e instanceof Error ? e.message : String(e)}`);
    }
  }

  private accept(items: readonly Value[]): boolean {
    if (items.length < 4 || items.length > 5) return false;
    const rawCodec = items[1];
    if (rawCodec instanceof Uint8Array && rawCodec.length > MAX_CODEC_NAME) return false;
    const codec = valueText(rawCodec);
    if (codec === null || codec !== AUDIO_CODEC) return false;
    const metaValue = items[3];
    if (!(metaValue instanceof Map)) return false;
    const meta = new Caps(metaValue);
    const sequence = meta.int("sequence", -1);
    if (meta.bool("start-of-stream")) {
      if (this.current !== "starting" && this.current !== "playing") return false;
      if (this.current === "playing") this.safe(() => this.o.player.end());
      this.sequence = sequence;
      this.current = "playing";
      this.stats.streams++;
      this.safe(() => this.o.player.start());
      return true;
    }
    if (meta.bool("end-of-stream")) {
      // A stream we stopped ends late, after an unmute asked for the next one: already done.
      if (sequence !== -1 && sequence <= this.endedSequence) return true;
      if (this.current === "playing") {
        if (sequence !== -1 && sequence !== this.sequence) return false;
        this.safe(() => this.o.player.end());
      } else if (this.current !== "starting") {
        return false;
      }
      // Ours ended without a stop (a failed pipeline), or the server refused the start.
      this.current = "off";
      this.ended();
      this.scheduleRestart();
      return true;
    }
    if (this.current !== "playing") return false;
    if (sequence !== -1 && this.sequence !== -1 && sequence !== this.sequence) return false;
    const data = items[2];
    if (!(data instanceof Uint8Array) || data.length === 0 || data.length > MAX_OPUS_PACKET) return false;
    this.stats.bytes += data.length;
    this.o.player.data(data.slice());
    this.restarts = 0;
    return true;
  }

  private ended(): void {
    if (this.sequence > this.endedSequence) this.endedSequence = this.sequence;
    this.sequence = -1;
  }

  private requestStart(): void {
    this.current = "starting";
    this.sequence = -1;
    this.o.send(["sound-control", "start", AUDIO_CODEC]);
  }

  /** The server ended the stream by itself (its pipeline failed, or it refused the start). */
  private scheduleRestart(): void {
    const max = this.o.maxRestarts ?? 3;
    if (this.muted || !this.available || this.restarts >= max) {
      if (this.restarts >= max) this.log("the server's sound stream keeps ending: not restarted");
      return;
    }
    const delay = (this.o.restartDelayMs ?? 1000) * 2 ** this.restarts;
    this.restarts++;
    this.restartTimer = setTimeout(() => {
      this.restartTimer = null;
      if (!this.muted && this.available && this.current === "off") this.requestStart();
    }, delay);
  }

  private clearRestart(): void {
    if (this.restartTimer !== null) clearTimeout(this.restartTimer);
    this.restartTimer = null;
  }

  private safe(f: () => void): void {
    try {
      f();
    } catch (e) {
      this.log(`the player failed: ${e instanceof Error ? e.message : String(e)}`);
    }
  }

  private log(message: string): void {
    try {
      (this.o.log ?? ((m: string) => console.info(`xpra audio: ${m}`)))(message);
    } catch {
      // a logger may not break the packet loop
    }
  }
}
