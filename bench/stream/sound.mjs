// The sound phase's measurements in the tab (issue 22; bench/sound.py runs probe.mjs with
// modes ["sound"], and probe.mjs hands over to soundTests here).
//
// The page in Firefox (page.html, modes tone / tone-steady / anim-tone) plays a 1000 Hz tone; our
// client in Chromium plays what Xpra forwards. Nothing is added to the product: an init script
// (audioHook) only wraps two Web APIs and dispatches the page's own probe event
// (js-extension/client/docs/page-surface.md, "Sound"):
//
//   - the probe: `firefox-launcher:audio-probe` on #screen, answered at once with the analyser's
//     peak frequency and level (AnalyserNode, fftSize 8192, no smoothing) and the stream's
//     packet counter. Polled every ~4 ms (setInterval 2 ms, clamped by Chromium) around each tone;
//     the onset is the first answer whose peak is at the tone (±40 Hz) above -60 dBFS.
//   - AudioBufferSourceNode.prototype.start: the client schedules each decoded 20 ms piece on its
//     AudioContext; the first piece holding a sample above 0.05 gives, to the sample, when the tab's
//     graph plays the tone's first sound (its context time mapped to the wall clock at the call).
//   - AudioDecoder.prototype.decode: the bytes of raw Opus the client hands to its decoder.
//
// Both browsers run on this machine, so Date.now() / performance.timeOrigin + now() share a clock
// with the page in Firefox, which schedules its tones on whole even seconds of Date.now().
import { setTimeout as sleep } from 'node:timers/promises';

export const TONE_HZ = 1000;

/** The init script (serialized by Playwright: self-contained). */
export function audioHook(freq) {
  const a = { bytes: 0, chunks: 0, last: null, graph: null, armed: false, threshold: 0.05, minDb: -60 };
  window.__flAudio = a;
  const now = () => performance.timeOrigin + performance.now();
  if (typeof AudioDecoder === 'function') {
    const decode = AudioDecoder.prototype.decode;
    AudioDecoder.prototype.decode = function (chunk) {
      a.bytes += chunk.byteLength;
      a.chunks++;
      return decode.call(this, chunk);
    };
  }
  if (typeof AudioBufferSourceNode === 'function') {
    const start = AudioBufferSourceNode.prototype.start;
    AudioBufferSourceNode.prototype.start = function (when = 0, ...rest) {
      if (a.armed && a.graph === null && this.buffer) {
        const ctx = this.context;
        const b = this.buffer;
        const ch = b.getChannelData(0);
        let loud = false;
        for (let i = 0; i < ch.length; i++) {
          if (Math.abs(ch[i]) > a.threshold) {
            loud = true;
            // Only after a silent piece since arming: a late previous tone is not this one's onset.
            if (a.graphQuiet) {
              const at = Math.max(when, ctx.currentTime) + i / b.sampleRate;
              a.graph = now() + (at - ctx.currentTime) * 1000;
              a.graphLatency = { output: ctx.outputLatency, base: ctx.baseLatency };
            }
            break;
          }
        }
        if (!loud) {
          a.graphQuiet = true;
        }
      }
      return start.call(this, when, ...rest);
    };
  }
  // Capture phase on window: every event passes it, bubbling or not.
  window.addEventListener('firefox-launcher:audio', e => {
    a.last = e.detail;
  }, true);
  /** The page's probe, answered synchronously (null before the page is up). */
  a.ask = () => {
    const screen = document.getElementById('screen');
    if (!screen) {
      return null;
    }
    a.last = null;
    screen.dispatchEvent(new CustomEvent('firefox-launcher:audio-probe'));
    const d = a.last;
    return d && { ...d, peakDb: Number.isFinite(d.peakDb) ? d.peakDb : -999, stats: { ...d.stats } };
  };
  a.hears = (d, db = a.minDb) => Boolean(d) && d.peakDb > db && Math.abs(d.peakHz - freq) < 40;
  /** One tone that starts at wall-clock `at` (ms): when the probe first heard it, and when the graph played it. */
  a.trial = (at, untilMs) => new Promise(resolve => {
    const go = () => {
      a.graph = null;
      a.graphQuiet = false;
      a.armed = true;
      let hit = null;
      // The probe must first hear no tone since arming: when the delay grows past ~1 s the
      // previous tone is still in the analyser's window at arming time.
      let quiet = false;
      let polls = 0;
      const timer = setInterval(() => {
        const d = a.ask();
        polls++;
        const hears = a.hears(d);
        if (!hears) {
          quiet = true;
        } else if (hit === null && quiet) {
          hit = { t: now(), db: d.peakDb, hz: d.peakHz, queuedMs: d.queuedMs };
        }
        if ((hit !== null && a.graph !== null) || now() > at + untilMs) {
          clearInterval(timer);
          a.armed = false;
          resolve({ at, probe: hit && hit.t - at, graph: a.graph === null ? null : a.graph - at, db: hit && hit.db, hz: hit && hit.hz,
            queuedMs: hit && hit.queuedMs, polls, graphLatency: a.graphLatency ?? null });
        }
      }, 2);
    };
    setTimeout(go, Math.max(0, at - 500 - now()));
  });
}

/** p-quantile (nearest rank) of the numbers in xs, or null. */
function q(xs, p) {
  const v = xs.filter(x => typeof x === 'number').sort((x, y) => x - y);
  return v.length ? v[Math.min(v.length - 1, Math.floor(p * v.length))] : null;
}

/**
 * The sound tests on an open client page: the gesture, the tone onsets, the bandwidth with sound
 * on and muted, the animation's frames/s with sound on and off.
 * h: { setMode, streaming, mainBox, socketBytes, bytesSince, reports } from probe.mjs.
 */
export async function soundTests(page, spec, h) {
  const out = { tone_hz: TONE_HZ, incidents: [] };
  const ask = () => page.evaluate(() => window.__flAudio.ask());
  const latest = async () => (await h.reports()).at(-1) ?? {};
  const waitFor = async (what, fn, ms) => {
    const end = Date.now() + ms;
    for (;;) {
      const v = await fn();
      if (v) {
        return v;
      }
      if (Date.now() > end) {
        // What the tab and Firefox's page said last, to tell a silent stream from a silent page.
        const tab = await page.evaluate(() => window.__flAudio.ask()).catch(e => String(e));
        const firefox = await latest().catch(e => String(e));
        const { tones, ...rest } = typeof firefox === 'object' ? firefox : { tones: null };
        throw new Error(`timed out after ${ms} ms waiting for ${what}: tab ${JSON.stringify(tab)}; Firefox's page ${JSON.stringify(rest)}`);
      }
      await sleep(100);
    }
  };
  const hearing = async (db = -40) => {
    const d = await ask();
    return d && d.peakDb > db && Math.abs(d.peakHz - TONE_HZ) < 40 ? d : null;
  };
  const setMuted = async muted => {
    const d = await ask();
    if (d && d.muted !== muted) {
      await page.click('#sound');
      await waitFor(muted ? 'mute' : 'unmute', async () => (await ask())?.muted === muted, 5000);
    }
  };
  /**
   * Waits until the tab hears the tone. When it does not within `ms`, that is recorded (an
   * incident, reported with the figures) and the stream is restarted once as a user would, with
   * the mute button (mute, unmute: a new `sound-control start`).
   */
  const heard = async (what, ms, db = -40) => {
    try {
      return await waitFor(what, () => hearing(db), ms);
    } catch (e) {
      out.incidents.push(String(e.message || e));
      await setMuted(true);
      await sleep(1000);
      await setMuted(false);
      return waitFor(`${what}, after mute and unmute`, () => hearing(db), ms);
    }
  };

  // 1. The gesture: one click on Firefox's page through the client. It is a pointerdown in the
  // tab (Chromium's autoplay policy: the client resumes its AudioContext) and, through Xpra, a
  // real click in Firefox (Firefox's policy: page.html makes its AudioContext on it).
  await h.setMode('tone');
  const box = await h.mainBox(page);
  const t0 = Date.now();
  let clicks = 0;
  for (;;) {
    await page.mouse.click(box.x + box.width / 2, box.y + box.height / 2);
    clicks++;
    const ok = await waitFor('sound on both sides', async () => {
      const d = await ask();
      const r = await latest();
      return d && d.context === 'running' && r.audio === 'running' ? { tab: d, firefox: r } : null;
    }, 8000).catch(() => null);
    if (ok) {
      out.gesture = { clicks, ms: Date.now() - t0, tab_state: ok.tab.state, firefox_output_latency: ok.firefox.outputLatency ?? null,
        firefox_base_latency: ok.firefox.baseLatency ?? null };
      break;
    }
    if (clicks >= 3) {
      const d = await ask();
      throw new Error(`no sound after ${clicks} clicks: tab ${JSON.stringify(d)}, Firefox's context ${(await latest()).audio}`);
    }
  }
  // The first tone heard (Xpra starts its capture at the client's start: 1-2 s).
  await heard('the first tone in the tab', 30_000, -60);
  out.first_tone_ms = Date.now() - t0;
  await sleep(500);

  // 2. Tone onsets: the next even second at least 600 ms ahead, trial by trial.
  const trials = [];
  while (trials.length < spec.trials) {
    const at = Math.ceil((Date.now() + 600) / 2000) * 2000;
    const r = await page.evaluate(([a, u]) => window.__flAudio.trial(a, u), [at, 1900]);
    const scheduled = ((await latest()).tones ?? []).includes(at);
    trials.push({ ...r, scheduled });
    if (trials.length > spec.trials * 2) {
      break;
    }
  }
  const valid = trials.filter(t => t.scheduled);
  const probeMs = valid.map(t => t.probe);
  const graphMs = valid.map(t => t.graph);
  out.onset = {
    n: valid.length, unscheduled: trials.length - valid.length, missed: valid.filter(t => t.probe === null).length,
    p50_ms: q(probeMs, 0.5), p95_ms: q(probeMs, 0.95), min_ms: q(probeMs, 0), max_ms: q(probeMs, 1),
    graph_p50_ms: q(graphMs, 0.5), graph_p95_ms: q(graphMs, 0.95),
    queued_p50_ms: q(valid.map(t => t.queuedMs), 0.5), polls_p50: q(valid.map(t => t.polls), 0.5),
    db_p50: q(valid.map(t => t.db), 0.5), hz_p50: q(valid.map(t => t.hz), 0.5),
    graph_output_latency: valid.find(t => t.graphLatency)?.graphLatency ?? null,
    trials: trials.map(t => [t.at, t.probe === null ? null : Math.round(t.probe * 10) / 10, t.graph === null ? null : Math.round(t.graph * 10) / 10, t.scheduled])
  };

  // 3. Bandwidth: a steady tone on the still page, sound on, then muted (Xpra stops sending).
  const window_ = async seconds => {
    const d0 = await ask();
    const b0 = await page.evaluate(() => ({ bytes: window.__flAudio.bytes, chunks: window.__flAudio.chunks }));
    const s0 = h.socketBytes(spec.serverPort);
    const w0 = Date.now();
    await sleep(seconds * 1000);
    const s1 = h.socketBytes(spec.serverPort);
    const w1 = Date.now();
    const b1 = await page.evaluate(() => ({ bytes: window.__flAudio.bytes, chunks: window.__flAudio.chunks }));
    const d1 = await ask();
    const secs = (w1 - w0) / 1000;
    const moved = h.bytesSince(s0, s1);
    return {
      seconds: secs, wire_bytes_per_s: moved.received / secs, up_bytes_per_s: moved.sent / secs,
      opus_bytes_per_s: (b1.bytes - b0.bytes) / secs, opus_packets_per_s: (b1.chunks - b0.chunks) / secs,
      packets_per_s: (d1.packets - d0.packets) / secs, dropped: d1.stats.dropped - d0.stats.dropped,
      decode_errors: d1.stats.decodeErrors - d0.stats.decodeErrors, refused: d1.refused - d0.refused, peak_db: d1.peakDb, peak_hz: d1.peakHz
    };
  };
  await h.setMode('tone-steady');
  await heard('the steady tone in the tab', 15_000);
  await sleep(1000);
  const on = await window_(spec.seconds);
  await setMuted(true);
  await sleep(1500);
  const off = await window_(spec.seconds);
  await setMuted(false);
  out.bandwidth = { on, muted: off, sound_wire_bytes_per_s: on.wire_bytes_per_s - off.wire_bytes_per_s };

  // 4. The animation's frames/s: sound on (a steady tone, forwarded), off (no tone, muted), and
  // tone-muted (the tone in Firefox, not forwarded: what Firefox's own sound costs), the order
  // turning from round to round; streaming() is the stream phase's own measure.
  const fps = [];
  const KINDS = ['on', 'off', 'tone-muted'];
  for (let r = 0; r < spec.rounds; r++) {
    for (const which of [...KINDS.slice(r % 3), ...KINDS.slice(0, r % 3)]) {
      if (which === 'on') {
        await setMuted(false);
        await h.setMode('anim-tone');
        await heard('the tone with the animation', 20_000);
      } else {
        await h.setMode(which === 'off' ? 'anim' : 'anim-tone');
        await setMuted(true);
        await sleep(1000);
      }
      const d0 = await ask();
      const m = await h.streaming(page, which === 'off' ? 'anim' : 'anim-tone');
      const d1 = await ask();
      fps.push({ which, round: r, ...m, sound_packets: d1.packets - d0.packets, sound_dropped: d1.stats.dropped - d0.stats.dropped, peak_hz_after: d1.peakHz, peak_db_after: d1.peakDb });
    }
  }
  out.fps = fps;
  await h.setMode('idle');
  await setMuted(false).catch(() => {});
  return out;
}
