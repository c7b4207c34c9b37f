/**
 * Sound in the page (issue 22), end to end without the sidecar: a real Xpra (3.1.3, 6.5.5) with
 * the speaker set up as crates/fl-session/src/sound.rs sets it up (our own PulseAudio command,
 * one null sink, a unix socket, XPRA_PRIVATE_PULSEAUDIO=0), `paplay` looping a 440 Hz tone into
 * it as the session's app, session.json with `"audio": true`, and the page in Debian's Chromium
 * (autoplay allowed by a switch; the suspended case has its own block): the page's analyser hears
 * 440 Hz, the mute button stops the server's stream (no more sound packets) and unmuting brings
 * the tone back; without the autoplay switch the page says "Click to turn on sound" until a
 * click. The page is observed only through its surface (data-audio, the probe event).
 * Run heavy: `flock /tmp/fl-heavy.lock node --test build/test/app-sound.test.js` after
 * `npm run build && npm run bundle`.
 */
import { after, describe, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { xpraAvailable, type XpraVersion } from "./helpers/session/xpra-server.js";
import { appSession, SESSION_JSON, sleep, type AppSession } from "./helpers/app/session.js";

const TEST_TIMEOUT_MS = 90_000;

/** The runtime directories a PulseAudio client without XDG_RUNTIME_DIR makes (libpulse). */
const pulseDirs = (): string[] => readdirSync(tmpdir()).filter((n) => n.startsWith("pulse-"));
const pulseDirsBefore = new Set(pulseDirs());

/** 3 s of a 440 Hz stereo tone, 48 kHz s16le, as a WAV file. */
function toneWav(path: string): void {
  const rate = 48000;
  const frames = rate * 3;
  const b = Buffer.alloc(44 + frames * 4);
  b.write("RIFF", 0);
  b.writeUInt32LE(36 + frames * 4, 4);
  b.write("WAVEfmt ", 8);
  b.writeUInt32LE(16, 16);
  b.writeUInt16LE(1, 20);
  b.writeUInt16LE(2, 22);
  b.writeUInt32LE(rate, 24);
  b.writeUInt32LE(rate * 4, 28);
  b.writeUInt16LE(4, 32);
  b.writeUInt16LE(16, 34);
  b.write("data", 36);
  b.writeUInt32LE(frames * 4, 40);
  for (let i = 0; i < frames; i++) {
    const v = Math.round(12000 * Math.sin((2 * Math.PI * 440 * i) / rate));
    b.writeInt16LE(v, 44 + i * 4);
    b.writeInt16LE(v, 46 + i * 4);
  }
  writeFileSync(path, b);
}

interface Probe {
  state: string;
  context: string;
  peakHz: number;
  peakDb: number;
  queuedMs: number;
  sampleRate: number;
  muted: boolean;
  streams: number;
  packets: number;
  refused: number;
  stats: { decoded: number; played: number; dropped: number; decodeErrors: number };
}

function probe(s: AppSession): Promise<Probe> {
  return s.bounded(
    s.frame.evaluate(() => {
      const root = document.getElementById("screen")!;
      let detail: unknown = null;
      root.addEventListener("firefox-launcher:audio", (e) => (detail = (e as CustomEvent).detail), { once: true });
      root.dispatchEvent(new CustomEvent("firefox-launcher:audio-probe"));
      return detail as Probe;
    }),
    10_000,
    "the audio probe",
  );
}

/** An Xpra session whose app plays the tone into its own PulseAudio; the page told it has sound. */
function soundSession(version: XpraVersion, chromiumArgs: string[], untouched = false): AppSession {
  let dir = "";
  const ensure = (): string => {
    if (!dir) {
      dir = mkdtempSync(join(tmpdir(), "fl-snd-"));
      toneWav(join(dir, "tone.wav"));
    }
    return dir;
  };
  const socket = () => join(ensure(), "pulse", "native");
  const session = appSession(version, {
    child: () => `sh -c 'while true; do paplay ${join(ensure(), "tone.wav")} || sleep 0.5; done'`,
    chromiumArgs,
    untouched,
    // As crates/fl-session/src/sound.rs writes it: no configure commands. 3.1's defaults run
    // pactl without the session's address or runtime directory (a /tmp/pulse-XXXX each time).
    xpraConf: `pulseaudio-configure-commands = ${version === "3.1" ? "true" : "none"}\n`,
    xpraArgs: () => [
      "--pulseaudio=yes",
      "--speaker=on",
      "--microphone=no",
      `--pulseaudio-command=env XDG_RUNTIME_DIR=${ensure()} PULSE_STATE_PATH=${ensure()}/pulse PULSE_CONFIG_PATH=${ensure()}/pulse ` +
        "pulseaudio -n --daemonize=no --system=no --use-pid-file=no --exit-idle-time=-1 --disable-shm=yes --log-target=stderr --log-level=2 " +
        "'--load=module-null-sink sink_name=Xpra-Speaker sink_properties=device.description=Xpra-Speaker' " +
        `'--load=module-native-protocol-unix socket=${socket()} auth-cookie-enabled=0 auth-anonymous=1'`,
    ],
    xpraEnv: () => ({
      // Xpra 6.5 without its private pulse directory captures from $XDG_RUNTIME_DIR/pulse/native
      // (the sidecar's layout makes that the session's socket): the same here.
      XDG_RUNTIME_DIR: ensure(),
      // Xpra 3.1 runs its sound query and capture as `python3.11` from PATH: a pyenv shim first
      // on PATH (this machine's root) answers 127 and the server has no sound at all.
      PATH: "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
      XPRA_PRIVATE_PULSEAUDIO: "0",
      XPRA_NEW_STREAM_SOUND: "0",
      PULSE_SERVER: `unix:${socket()}`,
    }),
    sessionJson: { ...(SESSION_JSON[version] as Record<string, unknown>), audio: true },
  });
  // After the session's own stop (Xpra's group, PulseAudio with it).
  after(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });
  return session;
}

const near440 = (p: Probe) => Math.abs(p.peakHz - 440) <= 2 * (p.sampleRate / 8192) + 1 && p.peakDb > -50;

for (const version of ["3.1", "6.5"] as const) {
  describe(`sound in the page on Xpra ${version}`, { skip: !xpraAvailable(version) && `no Xpra ${version}` }, () => {
    const s = soundSession(version, ["--autoplay-policy=no-user-gesture-required"]);

    test("the page plays the session's 440 Hz tone", { timeout: TEST_TIMEOUT_MS }, async () => {
      const p = await s.waitFor("440 Hz in the page's analyser", 40_000, async () => {
        const p = await probe(s);
        s.logs.push(`probe: ${JSON.stringify(p)}`);
        return p.state === "playing" && near440(p) && p;
      });
      s.logs.push(`heard: ${JSON.stringify(p)}`);
      console.log(`Xpra ${version}: ${JSON.stringify(p)}`);
      assert.equal(p.refused, 0, "every sound packet was well formed");
      assert.equal(p.stats.decodeErrors, 0);
      assert.ok(p.queuedMs <= 320, `queued ${p.queuedMs} ms`);
    });

    test("mute stops the server's stream; unmute brings the tone back", { timeout: TEST_TIMEOUT_MS }, async () => {
      await s.waitFor("playing", 40_000, async () => (await probe(s)).state === "playing");
      assert.equal(await s.frame.evaluate(() => document.getElementById("sound")?.getAttribute("aria-pressed")), "false");
      await s.frame.click("#sound");
      const muted = await probe(s);
      assert.equal(muted.state, "muted");
      assert.equal(await s.frame.evaluate(() => document.activeElement?.id), "screen", "the keyboard stays with the session");
      await sleep(1000); // what was in flight when the server stopped
      const a = (await probe(s)).packets;
      await sleep(1500);
      const b = await probe(s);
      assert.equal(b.packets, a, "no sound packets while muted");
      assert.ok(b.peakHz === 0 || b.peakDb < -90, `silent while muted: ${JSON.stringify(b)}`);
      await s.frame.click("#sound");
      const back = await s.waitFor("440 Hz again", 40_000, async () => {
        const p = await probe(s);
        return p.state === "playing" && near440(p) && p.streams >= 2 && p;
      });
      assert.ok(back.packets > b.packets);
    });
  });
}

describe("sound in the page before a click (autoplay policy), Xpra 6.5", { skip: !xpraAvailable("6.5") && "no Xpra 6.5" }, () => {
  // Chromium's desktop default, said explicitly (a headless default could differ).
  // Untouched until the page is open: Playwright's evaluate is a user gesture (see AppSessionOptions).
  const s = soundSession("6.5", ["--autoplay-policy=document-user-activation-required"], true);

  test("the page says 'Click to turn on sound' until a click, then plays", { timeout: TEST_TIMEOUT_MS }, async () => {
    const note = () => s.frame.evaluate(() => {
      const n = document.getElementById("sound-note");
      return n && !n.hidden ? n.textContent : null;
    });
    await s.waitFor("the suspended state", 30_000, async () => {
      const p = await probe(s);
      s.logs.push(`probe: ${JSON.stringify(p)}`);
      return p.state === "suspended";
    });
    assert.equal(await note(), "Click to turn on sound");
    await s.frame.click("#screen", { position: { x: 300, y: 300 } });
    const p = await s.waitFor("440 Hz after the click", 40_000, async () => {
      const p = await probe(s);
      return p.state === "playing" && near440(p) && p;
    });
    assert.equal(p.context, "running");
    assert.equal(await note(), null, "the note is gone");
  });
});

// Last, after every block's own stop: Xpra, its PulseAudio and pactl, paplay and Chromium each
// kept to their session's directories.
test("no PulseAudio client of these sessions left a directory in /tmp", () => {
  assert.deepEqual(pulseDirs().filter((n) => !pulseDirsBefore.has(n)), []);
});
