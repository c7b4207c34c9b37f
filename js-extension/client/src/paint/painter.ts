/**
 * The page's side of the paint layer: hands each window's canvas to the paint worker
 * (transferControlToOffscreen, so decoding and drawing leave the main thread) and forwards draws,
 * transferring their pixel buffers rather than copying them.
 */
import { sizeError } from "./limits.js";
import type { DrawRequest, DrawResult, FromWorker, ToWorker } from "./types.js";

export class Painter {
  private readonly worker: Worker;

  /**
   * @param workerUrl the built worker module (e.g. new URL("./paint/worker.js", import.meta.url))
   * @param onPainted one call per draw, per window in arrival order: answer it with damage-sequence
   * @param onLog worker diagnostics (refused window sizes, internal errors)
   */
  constructor(workerUrl: URL, onPainted: (r: DrawResult) => void, onLog: (message: string) => void = () => undefined) {
    this.worker = new Worker(workerUrl, { type: "module", name: "xpra-paint" });
    this.worker.onmessage = (e: MessageEvent<FromWorker>) => {
      const m = e.data;
      if (m.kind === "result") onPainted(m.result);
      else onLog(m.message);
    };
    this.worker.onerror = (e) => onLog(`paint worker error: ${e.message}`);
  }

  /** Gives the canvas to the worker. Returns '' or why the size was refused (canvas untouched). */
  addWindow(wid: number, canvas: HTMLCanvasElement, width: number, height: number): string {
    const bad = sizeError(width, height);
    if (bad) return bad;
    canvas.width = width;
    canvas.height = height;
    const offscreen = canvas.transferControlToOffscreen();
    this.send({ kind: "add", wid, canvas: offscreen, width, height }, [offscreen]);
    return "";
  }

  /** Keeps what is drawn, anchored top-left. Returns '' or why the size was refused. */
  resizeWindow(wid: number, width: number, height: number): string {
    const bad = sizeError(width, height);
    if (bad) return bad;
    this.send({ kind: "resize", wid, width, height });
    return "";
  }

  removeWindow(wid: number): void {
    this.send({ kind: "remove", wid });
  }

  /** Queues a draw. A data buffer the Uint8Array owns whole is transferred (detached here). */
  draw(req: DrawRequest): void {
    const d = req.data;
    const transfer = d instanceof Uint8Array && d.byteOffset === 0 && d.byteLength === d.buffer.byteLength && d.buffer instanceof ArrayBuffer ? [d.buffer] : [];
    this.send({ kind: "draw", req }, transfer);
  }

  close(): void {
    this.send({ kind: "close" });
    // The worker closes itself after releasing its decoders; terminate is the backstop.
    setTimeout(() => this.worker.terminate(), 1000);
  }

  private send(m: ToWorker, transfer: Transferable[] = []): void {
    this.worker.postMessage(m, transfer);
  }
}
