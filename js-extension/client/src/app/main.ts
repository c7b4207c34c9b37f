/**
 * The page's entry module: reads session.json, connects to the session's Xpra through the
 * sidecar's websocket (this page's own directory), and wires the layers together: the session's
 * packets into the display model, draws into the painter and its results back as
 * `damage-sequence`, browser input out through the input layer.
 *
 * Server packets the product never shows (notifications, bells, icons, trays, open-url, files,
 * printing) get handlers that do nothing, so they are neither shown nor counted as unknown.
 */
import { Session, webSocketTransport, damageSequencePacket, DRAW_DECODED_SKIPPED, DRAW_FAILED } from "../session/index.js";
import type { Caps, SessionState } from "../session/index.js";
import { Painter, pictureCapabilities, type DrawRequest } from "../paint/index.js";
import {
  ClipboardText,
  KeyboardTranslator,
  PointerTranslator,
  chooseLayout,
  clipboardCapabilities,
  clipboardDirectionFromHello,
  inputProtocolFor,
  keyboardCapabilities,
  keyboardConfigPacket,
  modifierMapFromHello,
  platformFrom,
  type ClipboardDirection,
} from "../input/index.js";
import type { Key, Value } from "../protocol/values.js";
import { DisplayModel } from "../display/model.js";
import { DisplayView } from "../display/view.js";
import { readCursor } from "../display/cursor.js";
import { deviceSize, dpiFor } from "../display/geometry.js";
import { desktopSizePacket, displayCapabilities } from "../display/capabilities.js";
import { dict, int, text } from "../display/read.js";
import { announcePaint, showFocused, showKeyboardLayout, showState, type ScreenState } from "../display/surface.js";
import { readConfig, socketUrl, type ClipboardSetting } from "./config.js";
import { showTitle, tellConnection } from "./parent.js";
import { wireInput } from "./input.js";
import { pageSound } from "./sound.js";

const IGNORED = [
  "bell", "notify_show", "notify_close", "notification-show", "notification-close", "open-url", "send-file",
  "file-send", "print", "window-icon", "set-tray", "startup-complete", "desktop_size", "set_deflate",
  "sound-data", "webcam-stop", "initiate-moveresize", "restack-window", "encodings", "info-response",
];

/** Diagnostics go to the console only (as text; never into the page). */
function log(message: string): void {
  console.info(`xpra client: ${message}`);
}

function allowedDirection(setting: ClipboardSetting, server: ClipboardDirection): ClipboardDirection {
  const toServer = (setting === "both" || setting === "to-firefox") && (server === "both" || server === "to-server");
  const toClient = (setting === "both" || setting === "from-firefox") && (server === "both" || server === "to-client");
  return toServer && toClient ? "both" : toServer ? "to-server" : toClient ? "to-client" : "disabled";
}

/** The page's connection state as the surface says it: a drop being retried is `lost`. */
function screenState(s: SessionState): ScreenState {
  if (s.state === "open") return "open";
  if (s.state === "connecting") return s.attempt > 0 ? "lost" : "connecting";
  return s.reconnecting ? "lost" : "closed";
}

/** The browser's keyboard map (Chromium), or null where it has none or refuses (a frame). */
async function keyboardMap(): Promise<ReadonlyMap<string, string> | null> {
  const keyboard = (navigator as { keyboard?: { getLayoutMap?: () => Promise<ReadonlyMap<string, string>> } }).keyboard;
  if (!keyboard?.getLayoutMap) return null;
  const timeout = new Promise<null>((resolve) => setTimeout(() => resolve(null), 1000));
  return Promise.race([keyboard.getLayoutMap().catch(() => null), timeout]);
}

function helloMap(caps: Caps): Map<Key, Value> {
  return new Map(caps.keys().map((k) => [k, caps.get(k) ?? null] as [Key, Value]));
}

function drawRequest(items: readonly Value[]): DrawRequest {
  const coding = items[6];
  return {
    wid: int(items[1], 0),
    x: int(items[2], 0),
    y: int(items[3], 0),
    width: int(items[4], 0),
    height: int(items[5], 0),
    coding: coding instanceof Uint8Array ? coding : text(coding),
    data: items[7] ?? null,
    sequence: int(items[8], 0, 0, Number.MAX_SAFE_INTEGER),
    rowstride: int(items[9], 0),
    options: dict(items[10]),
  };
}

async function start(): Promise<void> {
  const root = document.getElementById("screen");
  if (!root) return;
  showState(root, "connecting");
  showFocused(root, null);
  const response = await fetch("./session.json", { cache: "no-store", credentials: "same-origin" });
  const config = readConfig(response.ok ? await response.json() : null, new URLSearchParams(window.location.search));
  const protocol = inputProtocolFor(Math.max(3, config.xpraMajor));
  const ratio = () => window.devicePixelRatio || 1;
  const pageSize = () => deviceSize(root.clientWidth || window.innerWidth, root.clientHeight || window.innerHeight, ratio());

  let session: Session | null = null;
  const send = (packet: Parameters<Session["send"]>[0]) => void session?.send(packet);

  let view: DisplayView | null = null;
  const model = new DisplayModel(pageSize(), {
    send,
    changed: (c) => {
      if (c.kind === "title") showTitle(c.title);
      if (c.kind === "focus") showFocused(root, c.wid || null);
      view?.apply(c);
    },
  });
  // Where each draw in flight was, for the paint event (the worker answers by sequence).
  const drawing = new Map<number, { x: number; y: number; coding: string }>();
  const painter = new Painter(
    new URL("../paint/worker.js", import.meta.url),
    (r) => {
      send(damageSequencePacket(r.sequence, r.wid, r.width, r.height, r.error ? DRAW_FAILED : r.decodeMicros, r.error));
      const where = drawing.get(r.sequence);
      drawing.delete(r.sequence);
      if (where && !r.error) announcePaint(root, { wid: r.wid, x: where.x, y: where.y, width: r.width, height: r.height, coding: where.coding, decodeMicros: r.decodeMicros });
    },
    log,
  );
  view = new DisplayView(root, model, painter, ratio(), log);

  const pictures = await pictureCapabilities({ xpraMajor: config.xpraMajor, video: config.video, encoding: config.encoding });
  const layout = chooseLayout({
    setting: config.keyboardLayout || null,
    keyboardMap: config.keyboardLayout ? null : await keyboardMap(),
    language: navigator.language,
  });
  showKeyboardLayout(root, layout.variant ? `${layout.layout}(${layout.variant})` : layout.layout);
  const platform = platformFrom(navigator.platform, navigator.userAgent);
  const keyboard = new KeyboardTranslator({ protocol, platform, clipboardToServer: config.clipboard === "both" || config.clipboard === "to-firefox" });
  const pointer = new PointerTranslator({ protocol, mac: platform === "mac" });
  let clipboard: ClipboardText | null = null;
  const sound = pageSound({ root, wanted: config.audio, send, log });

  session = new Session({
    connect: webSocketTransport(socketUrl(window.location)),
    encoder: config.encoder,
    providers: [
      () => {
        const size = pageSize();
        return displayCapabilities(size, dpiFor(ratio()));
      },
      () => pictures,
      () => keyboardCapabilities(protocol, layout),
      () => (config.clipboard === "off" ? {} : clipboardCapabilities(protocol)),
    ],
    audio: sound.enabled,
    log,
  });

  for (const type of ["new-window", "window-create", "new-override-redirect", "lost-window", "window-destroy",
    "window-metadata", "configure-override-redirect", "window-move-resize", "window-resized", "raise-window", "window-raise"]) {
    session.on(type, (items) => void model.handle(items));
  }
  for (const type of ["cursor", "cursor-data", "cursor-default"]) {
    session.on(type, (items) => {
      const c = readCursor(items);
      if (c !== undefined) view?.setCursor(c);
    });
  }
  for (const type of ["draw", "window-draw"]) {
    session.on(type, (items) => {
      const req = drawRequest(items);
      if (view?.has(req.wid)) {
        if (drawing.size < 4096) drawing.set(req.sequence, { x: req.x, y: req.y, coding: typeof req.coding === "string" ? req.coding : text(req.coding) });
        painter.draw(req);
      }
      else send(damageSequencePacket(req.sequence, req.wid, req.width, req.height, DRAW_DECODED_SKIPPED, "window not shown"));
    });
  }
  for (const type of ["clipboard-token", "clipboard-request", "clipboard-contents", "clipboard-contents-none", "set-clipboard-enabled"]) {
    session.on(type, (items) => void clipboard?.onPacket(type, items));
  }
  if (sound.enabled) {
    // 6.x's own name for it (the backwards-compatible server still says sound-data).
    for (const type of ["sound-data", "audio-data"]) session.on(type, (items) => sound.packet(items));
  }
  for (const type of IGNORED) {
    if (!(sound.enabled && type === "sound-data")) session.on(type, () => undefined);
  }

  session.onState((s) => {
    log(s.state === "closed" ? `closed: ${s.reason}` : s.state);
    showState(root, screenState(s));
    if (s.state === "open") {
      const hello = helloMap(s.server);
      const mods = modifierMapFromHello(hello);
      keyboard.setModifierMap(mods);
      pointer.setModifierMap(mods);
      // Xpra 6 sets up the session's keyboard only when told its layout after the hello.
      send(keyboardConfigPacket(protocol, layout));
      const direction = config.clipboard === "off" ? "disabled" : allowedDirection(config.clipboard, clipboardDirectionFromHello(hello));
      clipboard = direction === "disabled" ? null : new ClipboardText({ protocol, direction, browser: navigator.clipboard, send });
      // The page may have changed size between the hello and the server's answer.
      // The X screen grows first, then the filling window with it.
      const size = pageSize();
      send(desktopSizePacket(size, dpiFor(ratio())));
      model.setDesktop(size);
      sound.serverHello(s.server);
      tellConnection("established");
    } else if (s.state === "closed") {
      model.clear();
      drawing.clear();
      sound.connectionLost();
      tellConnection(s.reconnecting ? "lost" : "closed");
    }
  });

  wireInput({ root, model, keyboard, pointer, clipboard: () => clipboard, send, ratio });
  root.focus({ preventScroll: true });

  let pending = false;
  window.addEventListener("resize", () => {
    if (pending) return;
    pending = true;
    requestAnimationFrame(() => {
      pending = false;
      const size = pageSize();
      view?.setRatio(ratio());
      const before = model.desktopSize;
      if (before.w === size.w && before.h === size.h) return;
      send(desktopSizePacket(size, dpiFor(ratio())));
      model.setDesktop(size);
    });
  });
  session.start();
}

void start();
