/**
 * One WebCodecs VideoDecoder per window and codec. Frames come back through a callback, so each
 * decode() is answered by a promise matched on its timestamp; a chunk the decoder swallows is
 * answered when a later frame comes out, or by a timeout, so a window's paint queue never hangs.
 *
 * On a decoder error the decoder is dropped and every pending decode fails: the app's ack then
 * carries the error and Xpra restarts the stream with a key frame. Until that key frame arrives,
 * delta frames are refused (a fresh decoder cannot use them).
 */
import { frameInfo } from "./bitstream.js";

/** Longest wait for a decoded frame before the decode is failed and the decoder reset. */
const FRAME_TIMEOUT_MS = 3000;

interface Waiter {
  ts: number;
  resolve: (f: VideoFrame) => void;
  reject: (e: Error) => void;
  timer: ReturnType<typeof setTimeout>;
}

export const VIDEO_CODINGS = ["h264", "vp8", "vp9"] as const;

export class VideoStream {
  private decoder: VideoDecoder | null = null;
  private codec = "";
  private waiters: Waiter[] = [];
  private ts = 0;

  constructor(readonly coding: string) {}

  decode(data: Uint8Array): Promise<VideoFrame> {
    const info = frameInfo(this.coding, data);
    if (info.key && (this.decoder === null || this.decoder.state === "closed" || info.codec !== this.codec)) {
      this.reset("");
      this.open(info.codec);
    }
    const decoder = this.decoder;
    if (decoder === null) return Promise.reject(new Error(`${this.coding}: waiting for a key frame`));
    const ts = ++this.ts;
    return new Promise<VideoFrame>((resolve, reject) => {
      const timer = setTimeout(() => this.reset(`${this.coding}: no frame decoded in ${FRAME_TIMEOUT_MS} ms`), FRAME_TIMEOUT_MS);
      this.waiters.push({ ts, resolve, reject, timer });
      try {
        decoder.decode(new EncodedVideoChunk({ type: info.key ? "key" : "delta", timestamp: ts, data }));
      } catch (e) {
        this.reset(`${this.coding}: ${e instanceof Error ? e.message : String(e)}`);
      }
    });
  }

  /** Drops the decoder; pending decodes fail with `why` (or 'stream closed'). */
  reset(why: string): void {
    const d = this.decoder;
    this.decoder = null;
    this.codec = "";
    if (d !== null && d.state !== "closed") {
      try {
        d.close();
      } catch {
        // Already closed by its own error.
      }
    }
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) {
      clearTimeout(w.timer);
      w.reject(new Error(why || `${this.coding}: stream closed`));
    }
  }

  close(): void {
    this.reset("");
  }

  private open(codec: string): void {
    const decoder = new VideoDecoder({
      output: (frame) => this.output(decoder, frame),
      error: (e) => {
        if (this.decoder === decoder) this.reset(`${this.coding} decoder: ${e.message}`);
      },
    });
    // Low latency: Chromium's software decoders otherwise hold frames back for reordering.
    decoder.configure({ codec, optimizeForLatency: true });
    this.decoder = decoder;
    this.codec = codec;
  }

  private output(decoder: VideoDecoder, frame: VideoFrame): void {
    if (decoder !== this.decoder) {
      frame.close();
      return;
    }
    // Decodes the decoder dropped come before this frame: fail them, answer this one.
    while (this.waiters.length > 0 && this.waiters[0]!.ts < frame.timestamp) {
      const w = this.waiters.shift()!;
      clearTimeout(w.timer);
      w.reject(new Error(`${this.coding}: frame dropped by the decoder`));
    }
    const w = this.waiters[0];
    if (w === undefined || w.ts !== frame.timestamp) {
      frame.close();
      return;
    }
    this.waiters.shift();
    clearTimeout(w.timer);
    w.resolve(frame);
  }
}
