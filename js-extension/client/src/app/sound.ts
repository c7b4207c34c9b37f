/**
 * Firefox's sound in the page (issue 22): the speaker stream (src/audio/stream.ts) into the
 * player (src/audio/player.ts), a small mute button, the "Click to turn on sound" note while the
 * browser's autoplay policy keeps the audio context suspended, and the page's surface for it
 * (docs/page-surface.md): `data-audio` on #screen and an answer to a probe event.
 *
 * Built with DOM calls and textContent only. Without WebCodecs' AudioDecoder (an old browser, a
 * page that is not a secure context) there is no sound and no control, and the hello does not ask
 * for it; that is logged once.
 */
import { AudioStream } from "../audio/stream.js";
import { WebAudioPlayer, audioSupported, type AudioProbe } from "../audio/player.js";
import type { Caps } from "../session/index.js";
import type { Encodable, Value } from "../protocol/index.js";

/** The probe a test dispatches on #screen; the page answers with AUDIO_EVENT, synchronously. */
export const AUDIO_PROBE_EVENT = "firefox-launcher:audio-probe";
export const AUDIO_EVENT = "firefox-launcher:audio";

/**
 * `data-audio` on #screen: off (the session has no sound), unsupported (this browser cannot
 * play it), unavailable (the server encodes no raw Opus), starting, suspended (waiting for a
 * click or key), playing, muted.
 */
export type AudioSurfaceState = "off" | "unsupported" | "unavailable" | "starting" | "suspended" | "playing" | "muted";

export interface PageSound {
  /** Whether the hello asks for sound. */
  readonly enabled: boolean;
  serverHello(server: Caps): void;
  connectionLost(): void;
  packet(items: readonly Value[]): void;
}

const OFF: PageSound = { enabled: false, serverHello: () => undefined, connectionLost: () => undefined, packet: () => undefined };

export function pageSound(o: {
  readonly root: HTMLElement;
  readonly wanted: boolean;
  readonly send: (packet: readonly Encodable[]) => void;
  readonly log: (message: string) => void;
}): PageSound {
  const { root, log } = o;
  const show = (s: AudioSurfaceState) => void (root.dataset["audio"] = s);
  if (!o.wanted) {
    show("off");
    return OFF;
  }
  if (!audioSupported()) {
    show("unsupported");
    log("no WebCodecs AudioDecoder/AudioContext in this browser: no sound");
    return OFF;
  }
  let player: WebAudioPlayer;
  try {
    player = new WebAudioPlayer(log);
  } catch (e) {
    show("unsupported");
    log(`cannot create an audio context: ${e instanceof Error ? e.message : String(e)}`);
    return OFF;
  }
  const stream = new AudioStream({ send: o.send, player, log });
  /** The server's hello seen on this connection, and whether it offers raw Opus. */
  let known = false;
  let available = false;

  const button = document.createElement("button");
  button.type = "button";
  button.id = "sound";
  button.className = "sound-control";
  button.hidden = true;
  const note = document.createElement("div");
  note.id = "sound-note";
  note.className = "sound-note";
  note.textContent = "Click to turn on sound";
  note.hidden = true;
  document.body.append(button, note);

  const update = (): void => {
    const muted = stream.isMuted;
    button.hidden = !available;
    button.textContent = muted ? "\u{1F507}" : "\u{1F50A}";
    button.title = muted ? "Turn sound on" : "Mute";
    button.setAttribute("aria-label", muted ? "Turn sound on" : "Mute");
    button.setAttribute("aria-pressed", String(muted));
    const suspended = player.contextState !== "running";
    note.hidden = !available || muted || !suspended;
    if (!known) show("starting");
    else if (!available) show("unavailable");
    else if (muted) show("muted");
    else if (suspended) show("suspended");
    else show(stream.state === "playing" ? "playing" : "starting");
  };

  // The autoplay policy: the context runs after a gesture in this page (a click or key meant for
  // Firefox counts; it still reaches Firefox).
  const gesture = (): void => {
    if (player.contextState === "suspended") player.resume();
  };
  document.addEventListener("pointerdown", gesture, { capture: true });
  document.addEventListener("keydown", gesture, { capture: true });
  player.onContextState(update);

  // The button never takes the keyboard from the session's screen.
  button.addEventListener("mousedown", (e) => e.preventDefault());
  button.addEventListener("click", (e) => {
    e.preventDefault();
    stream.setMuted(!stream.isMuted);
    update();
    root.focus({ preventScroll: true });
  });

  root.addEventListener(AUDIO_PROBE_EVENT, () => {
    const p: AudioProbe = player.probe();
    const detail = { ...p, stats: { ...p.stats }, state: root.dataset["audio"] ?? "", muted: stream.isMuted, streams: stream.stats.streams, packets: stream.stats.packets, refused: stream.stats.refused };
    root.dispatchEvent(new CustomEvent(AUDIO_EVENT, { detail }));
  });

  update();
  return {
    enabled: true,
    serverHello(server) {
      stream.serverHello(server);
      known = true;
      available = stream.state !== "off";
      update();
    },
    connectionLost() {
      stream.connectionLost();
      known = false;
      available = false;
      update();
    },
    packet(items) {
      const before = stream.state;
      stream.packet(items);
      if (stream.state !== before) update();
    },
  };
}
