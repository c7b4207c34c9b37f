/**
 * The player (src/audio/player.ts) in Debian's Chromium: Opus packets of a 440 Hz tone, made by
 * the browser's own WebCodecs AudioEncoder (20 ms, 48 kHz stereo, raw packets as Xpra sends
 * them), fed to WebAudioPlayer at the packets' pace: the analyser hears 440 Hz and the queue
 * stays near the target; a 1 s burst at once is cut to the bound (dropped, not queued); end()
 * silences at once. Autoplay is allowed by a switch (no user gesture in a headless test).
 * Run heavy: `flock /tmp/fl-heavy.lock node --test build/test/audio-chromium.test.js`.
 */
import { strict as assert } from "node:assert";
import { test } from "node:test";
import { BLANK_PATH, startChromium } from "./helpers/chromium.js";

interface Outcome {
  supported: boolean;
  packets: number;
  steady: { context: string; peakHz: number; peakDb: number; queuedMs: number; sampleRate: number; stats: Record<string, number> };
  burst: { queuedMs: number; stats: Record<string, number> };
  ended: { peakHz: number; queuedMs: number };
}

test("player: a 440 Hz Opus stream is heard at 440 Hz, with a bounded queue", { timeout: 60_000 }, async () => {
  const s = await startChromium({ args: ["--autoplay-policy=no-user-gesture-required"] });
  try {
    const page = await s.newPage();
    await page.goto(`${s.origin}${BLANK_PATH}`);
    const r = (await page.evaluate(async () => {
      const mod = (await import("/src/audio/player.js" as string)) as typeof import("../src/audio/player.js");
      if (!mod.audioSupported() || typeof AudioEncoder !== "function") return { supported: false };
      // 3 s of a 440 Hz stereo tone, encoded as raw 20 ms Opus packets.
      const packets: Uint8Array[] = [];
      const encoder = new AudioEncoder({
        output: (chunk) => {
          const b = new Uint8Array(chunk.byteLength);
          chunk.copyTo(b);
          packets.push(b);
        },
        error: (e) => { throw e; },
      });
      encoder.configure({ codec: "opus", sampleRate: 48000, numberOfChannels: 2, bitrate: 64000, opus: { frameDuration: 20000 } } as AudioEncoderConfig);
      const frames = 48000 * 3;
      const pcm = new Float32Array(frames * 2);
      for (let i = 0; i < frames; i++) pcm[i] = pcm[frames + i] = 0.4 * Math.sin((2 * Math.PI * 440 * i) / 48000);
      encoder.encode(new AudioData({ format: "f32-planar", sampleRate: 48000, numberOfChannels: 2, numberOfFrames: frames, timestamp: 0, data: pcm }));
      await encoder.flush();
      const sleep = (ms: number) => new Promise((ok) => setTimeout(ok, ms));
      const player = new mod.WebAudioPlayer(() => undefined);
      player.resume();
      player.start();
      // at the packets' pace for 1.5 s
      let maxQueued = 0;
      const t0 = performance.now();
      for (let i = 0; i < 75; i++) {
        player.data(packets[i]!);
        const due = t0 + (i + 1) * 20;
        await sleep(Math.max(0, due - performance.now()));
        if (i > 20) maxQueued = Math.max(maxQueued, player.probe().queuedMs);
      }
      const steady = { ...player.probe(), maxQueued };
      // a burst: the next second at once
      for (let i = 75; i < 125; i++) player.data(packets[i]!);
      await sleep(100);
      const burst = player.probe();
      player.end();
      await sleep(150);
      const ended = player.probe();
      return { supported: true, packets: packets.length, steady, burst, ended };
    })) as Outcome & { steady: { maxQueued: number } };
    assert.ok(r.supported, "WebCodecs audio in Debian's Chromium");
    assert.ok(r.packets >= 145, `${r.packets} packets of 20 ms`);
    assert.equal(r.steady.context, "running");
    assert.ok(Math.abs(r.steady.peakHz - 440) < 2 * (r.steady.sampleRate / 8192) + 1, `peak ${r.steady.peakHz} Hz (${JSON.stringify(r.steady)})`);
    assert.ok(r.steady.peakDb > -40, `level ${r.steady.peakDb} dB`);
    assert.ok(r.steady.maxQueued <= 160, `queued up to ${r.steady.maxQueued} ms at the packets' pace`);
    assert.equal(r.steady.stats["decodeErrors"], 0);
    assert.ok(r.burst.queuedMs <= 330, `after a 1 s burst: ${r.burst.queuedMs} ms queued`);
    assert.ok((r.burst.stats["dropped"] ?? 0) > 20, `dropped ${r.burst.stats["dropped"]}`);
    assert.equal(r.ended.queuedMs, 0);
  } finally {
    await s.close();
  }
});
