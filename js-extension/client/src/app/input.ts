/**
 * Browser events to the input layer's translators, and their packets to the session. Pointer and
 * wheel go to the window under the pointer (device pixels, the model's hit test), keys to the
 * focused window; a click on a managed window focuses and raises it first.
 */
import type { Encodable } from "../protocol/values.js";
import type { DisplayModel } from "../display/model.js";
import { toDevice } from "../display/geometry.js";
import type { ClipboardText, KeyboardTranslator, PointerTranslator } from "../input/index.js";

export interface InputWiring {
  root: HTMLElement;
  model: DisplayModel;
  keyboard: KeyboardTranslator;
  pointer: PointerTranslator;
  clipboard: () => ClipboardText | null;
  send: (packet: Encodable[]) => void;
  ratio: () => number;
}

/** How long a paste combination waits for the browser's paste event before its keys go anyway. */
const PASTE_WAIT_MS = 150;

export function wireInput(w: InputWiring): void {
  const sendAll = (packets: Encodable[][]) => {
    for (const p of packets) w.send(p);
  };
  const at = (e: MouseEvent): [number, number] => [toDevice(e.clientX, w.ratio()), toDevice(e.clientY, w.ratio())];
  const target = (pos: [number, number]): number => w.model.windowAt(pos[0], pos[1])?.wid ?? w.model.focusedWindow;

  w.root.addEventListener("pointermove", (e) => {
    const pos = at(e);
    const wid = target(pos);
    if (wid) sendAll(w.pointer.onPointerMove(e, wid, pos));
  });
  w.root.addEventListener("pointerdown", (e) => {
    w.root.focus({ preventScroll: true });
    const pos = at(e);
    const win = w.model.windowAt(pos[0], pos[1]);
    if (win && !win.overrideRedirect) w.model.focus(win.wid);
    const wid = win?.wid ?? w.model.focusedWindow;
    if (wid) sendAll(w.pointer.onPointerDown(e, wid, pos));
    // Keep the pointer's events while a button is down (drags that leave the page).
    if (e.target instanceof Element) e.target.setPointerCapture?.(e.pointerId);
    e.preventDefault();
    void w.clipboard()?.pollBrowser();
  });
  w.root.addEventListener("pointerup", (e) => {
    const pos = at(e);
    const wid = target(pos);
    if (wid) sendAll(w.pointer.onPointerUp(e, wid, pos));
    e.preventDefault();
  });
  w.root.addEventListener("contextmenu", (e) => e.preventDefault());
  w.root.addEventListener(
    "wheel",
    (e) => {
      e.preventDefault();
      const pos = at(e);
      const wid = target(pos);
      if (wid) sendAll(w.pointer.onWheel(e, wid, pos));
    },
    { passive: false },
  );
  window.addEventListener("blur", () => {
    const wid = w.model.focusedWindow;
    if (!wid) return;
    sendAll(w.keyboard.releaseAll(wid));
    sendAll(w.pointer.releaseAll(wid, [0, 0]));
  });

  let pasteWaiting: { packets: Encodable[][]; timer: ReturnType<typeof setTimeout> } | null = null;
  const flushPaste = () => {
    if (!pasteWaiting) return;
    clearTimeout(pasteWaiting.timer);
    const { packets } = pasteWaiting;
    pasteWaiting = null;
    sendAll(packets);
  };
  document.addEventListener("paste", (e) => {
    const text = e.clipboardData?.getData("text/plain");
    if (typeof text === "string") w.clipboard()?.onBrowserPaste(text);
    e.preventDefault();
    flushPaste();
  });
  document.addEventListener("keydown", (e) => {
    const wid = w.model.focusedWindow;
    if (!wid) return;
    const r = w.keyboard.onKeyDown(e, wid);
    if (r.preventDefault) e.preventDefault();
    if (r.awaitPaste) {
      flushPaste();
      pasteWaiting = { packets: r.packets, timer: setTimeout(flushPaste, PASTE_WAIT_MS) };
    } else {
      flushPaste();
      sendAll(r.packets);
    }
  });
  document.addEventListener("keyup", (e) => {
    const wid = w.model.focusedWindow;
    if (!wid) return;
    const r = w.keyboard.onKeyUp(e, wid);
    if (r.preventDefault) e.preventDefault();
    flushPaste();
    sendAll(r.packets);
  });
}
