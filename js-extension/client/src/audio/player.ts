/**
 * The page's player: raw Opus packets decoded by WebCodecs' AudioDecoder (48 kHz stereo, no
 * description: Xpra sends no OpusHead for raw opus), each decoded piece copied into an
 * AudioBuffer and started back to back on an AudioContext's clock (schedule.ts decides when, or
 * to drop it). The graph: sources → gain → analyser → speakers; the analyser is what the page's
 * test hook reads (peak frequency and level of what is being played).
 *
 * Bounds: the decoder's queue (MAX_DECODE_QUEUE packets: more are dropped), each decoded piece
 * (channels and frames checked before its AudioBuffer is made), the scheduled sources
 * (MAX_SCHEDULED; the clock's own bound keeps far fewer).
 */
import { DEFAULT_SCHEDULE, IDLE, place, queued, type ScheduleParams, type ScheduleState } from "./schedule.js";
import type { AudioPlayer } from "./stream.js";

export const OPUS_CONFIG = { codec: "opus", sampleRate: 48000, numberOfChannels: 2 } as const;
/** One Opus packet is 2.5-120 ms: 5760 frames at 48 kHz at most. */
const MAX_FRAMES = 5760;
const MAX_DECODE_QUEUE = 16;
const MAX_SCHEDULED = 64;
/** Microseconds per packet for the chunks' timestamps (Xpra's packets are 20 ms). */
const PACKET_US = 20_000;

export type ContextState = "none" | "suspended" | "running" | "closed";

export interface PlayerStats {
  decoded: number;
  played: number;
  /** Dropped by the clock's bound (catching up) or the decoder's queue. */
  dropped: number;
  decodeErrors: number;
}

export interface AudioProbe {
  readonly context: ContextState;
  /** Frequency of the strongest bin, Hz (0 when silent). */
  readonly peakHz: number;
  /** Its level, dBFS (-Infinity when silent). */
  readonly peakDb: number;
  readonly queuedMs: number;
  readonly sampleRate: number;
  readonly stats: Readonly<PlayerStats>;
}

/** Whether this browser has what the player needs (a secure context with WebCodecs audio). */
export function audioSupported(): boolean {
  return typeof AudioDecoder === "function" && typeof EncodedAudioChunk === "function" && typeof AudioContext === "function";
}

export class WebAudioPlayer implements AudioPlayer {
  readonly stats: PlayerStats = { decoded: 0, played: 0, dropped: 0, decodeErrors: 0 };
  private readonly context: AudioContext;
  private readonly gain: GainNode;
  private readonly analyser: AnalyserNode;
  private readonly params: ScheduleParams;
  private readonly log: (message: string) => void;
  private decoder: AudioDecoder | null = null;
  private clock: ScheduleState = IDLE;
  private timestamp = 0;
  private readonly scheduled = new Set<AudioBufferSourceNode>();
  private bins: Float32Array<ArrayBuffer> | null = null;
  private errorLogged = false;

  constructor(log: (message: string) => void, params: ScheduleParams = DEFAULT_SCHEDULE) {
    this.log = log;
    this.params = params;
    this.context = new AudioContext({ latencyHint: "interactive" });
    this.gain = this.context.createGain();
    this.analyser = this.context.createAnalyser();
    this.analyser.fftSize = 8192;
    this.analyser.smoothingTimeConstant = 0;
    this.gain.connect(this.analyser);
    this.analyser.connect(this.context.destination);
  }

  get contextState(): ContextState {
    const s = this.context.state as string;
    return s === "running" || s === "suspended" || s === "closed" ? s : "suspended";
  }

  /** Called when the context starts or stops running (autoplay policy, resume). */
  onContextState(listener: (s: ContextState) => void): void {
    this.context.addEventListener("statechange", () => listener(this.contextState));
  }

  /** Resumes a context the autoplay policy left suspended (call from a user gesture). */
  resume(): void {
    if (this.context.state === "suspended") this.context.resume().catch((e: unknown) => this.log(`cannot resume the audio context: ${String(e)}`));
  }

  start(): void {
    this.stopScheduled();
    this.clock = IDLE;
    this.timestamp = 0;
    this.errorLogged = false;
    this.closeDecoder();
    try {
      const decoder = new AudioDecoder({
        output: (d) => this.output(decoder, d),
        error: (e) => {
          this.stats.decodeErrors++;
          if (!this.errorLogged) this.log(`opus decoder error: ${e.message}`);
          this.errorLogged = true;
          if (this.decoder === decoder) this.decoder = null;
        },
      });
      decoder.configure(OPUS_CONFIG);
      this.decoder = decoder;
    } catch (e) {
      this.stats.decodeErrors++;
      this.log(`cannot configure an opus decoder: ${e instanceof Error ? e.message : String(e)}`);
    }
  }

  data(packet: Uint8Array): void {
    const decoder = this.decoder;
    if (!decoder || decoder.state !== "configured") return;
    if (decoder.decodeQueueSize >= MAX_DECODE_QUEUE) {
      this.stats.dropped++;
      return;
    }
    decoder.decode(new EncodedAudioChunk({ type: "key", timestamp: this.timestamp, data: packet }));
    this.timestamp += PACKET_US;
  }

  end(): void {
    this.closeDecoder();
    this.stopScheduled();
    this.clock = IDLE;
  }

  probe(): AudioProbe {
    const a = this.analyser;
    if (!this.bins || this.bins.length !== a.frequencyBinCount) this.bins = new Float32Array(a.frequencyBinCount);
    a.getFloatFrequencyData(this.bins);
    let best = -1;
    let bestDb = -Infinity;
    for (let i = 1; i < this.bins.length; i++) {
      const v = this.bins[i] as number;
      if (v > bestDb) {
        bestDb = v;
        best = i;
      }
    }
    const silent = best < 0 || bestDb < -100;
    return {
      context: this.contextState,
      peakHz: silent ? 0 : (best * this.context.sampleRate) / a.fftSize,
      peakDb: silent ? -Infinity : bestDb,
      queuedMs: Math.round(queued(this.clock, this.context.currentTime) * 1000),
      sampleRate: this.context.sampleRate,
      stats: { ...this.stats },
    };
  }

  private output(from: AudioDecoder, d: AudioData): void {
    try {
      if (from !== this.decoder) return;
      this.stats.decoded++;
      const channels = d.numberOfChannels;
      const frames = d.numberOfFrames;
      const rate = d.sampleRate;
      if (channels < 1 || channels > 2 || frames < 1 || frames > MAX_FRAMES || rate !== OPUS_CONFIG.sampleRate) return;
      if (this.scheduled.size >= MAX_SCHEDULED) {
        this.stats.dropped++;
        return;
      }
      const placed = place(this.clock, this.context.currentTime, frames / rate, this.params);
      this.clock = placed.state;
      if (placed.at === null) {
        this.stats.dropped++;
        return;
      }
      const buffer = this.context.createBuffer(channels, frames, rate);
      for (let c = 0; c < channels; c++) {
        const plane = new Float32Array(frames);
        d.copyTo(plane, { planeIndex: c, format: "f32-planar" });
        buffer.copyToChannel(plane, c);
      }
      const source = this.context.createBufferSource();
      source.buffer = buffer;
      source.connect(this.gain);
      source.onended = () => {
        this.scheduled.delete(source);
        source.disconnect();
      };
      this.scheduled.add(source);
      source.start(placed.at);
      this.stats.played++;
    } finally {
      d.close();
    }
  }

  private stopScheduled(): void {
    for (const s of this.scheduled) {
      try {
        s.stop();
        s.disconnect();
      } catch {
        // already stopped
      }
    }
    this.scheduled.clear();
  }

  private closeDecoder(): void {
    const d = this.decoder;
    this.decoder = null;
    if (d && d.state !== "closed") {
      try {
        d.close();
      } catch {
        // closed by an error meanwhile
      }
    }
  }
}
