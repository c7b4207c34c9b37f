/**
 * The paint worker: owns every window's OffscreenCanvas, decodes draws concurrently and paints
 * them per window in arrival order, then answers each with a DrawResult. Nothing a server sends
 * can throw out of the message loop: every draw ends as a result, painted or with an error.
 *
 * Started by Painter as a module worker. The project's tsconfig has the DOM lib only, so the
 * worker's global scope is typed here with the little it uses.
 */
import { decodeDraw, disposeOp, type PaintOp } from "./decode.js";
import { MAX_QUEUED, sizeError } from "./limits.js";
import { text } from "./options.js";
import type { DrawRequest, DrawResult, FromWorker, ToWorker } from "./types.js";
import { VideoStream } from "./video.js";

interface WorkerScope {
  onmessage: ((e: MessageEvent<ToWorker>) => void) | null;
  postMessage(m: FromWorker): void;
  close(): void;
}
const scope = self as unknown as WorkerScope;

interface Job {
  req: DrawRequest;
  start: number;
  state: "pending" | "ready" | "failed";
  op: PaintOp | null;
  error: string;
}

class PaintWindow {
  readonly queue: Job[] = [];
  private stream: VideoStream | null = null;
  removed = false;

  constructor(
    readonly wid: number,
    readonly canvas: OffscreenCanvas,
    readonly ctx: OffscreenCanvasRenderingContext2D,
    public width: number,
    public height: number,
  ) {}

  video(coding: string): VideoStream {
    if (this.stream === null || this.stream.coding !== coding) {
      this.stream?.close();
      this.stream = new VideoStream(coding);
    }
    return this.stream;
  }

  endVideo(): void {
    this.stream?.close();
    this.stream = null;
  }

  /** New size, keeping what is drawn, anchored top-left. */
  resize(width: number, height: number): void {
    if (width === this.width && height === this.height) return;
    const old = this.canvas.transferToImageBitmap();
    this.canvas.width = width;
    this.canvas.height = height;
    this.ctx.drawImage(old, 0, 0);
    old.close();
    this.width = width;
    this.height = height;
  }
}

const windows = new Map<number, PaintWindow>();

function post(m: FromWorker): void {
  scope.postMessage(m);
}

function result(req: DrawRequest, start: number, error: string): void {
  const r: DrawResult = {
    wid: req.wid,
    sequence: req.sequence,
    width: req.width,
    height: req.height,
    decodeMicros: error ? -1 : Math.max(0, Math.round((performance.now() - start) * 1000)),
    error,
  };
  post({ kind: "result", result: r });
}

function paint(win: PaintWindow, req: DrawRequest, op: PaintOp): void {
  const ctx = win.ctx;
  switch (op.kind) {
    case "bitmap":
      ctx.drawImage(op.bitmap, req.x, req.y, req.width, req.height);
      op.bitmap.close();
      break;
    case "pixels":
      ctx.putImageData(op.image, req.x, req.y);
      break;
    case "frame":
      // A frame holds decoder memory: drawn (or not) and closed at once. scaled_size: the frame
      // may be smaller than the region, drawImage scales it up.
      if (op.paint) ctx.drawImage(op.frame, req.x, req.y, req.width, req.height);
      op.frame.close();
      break;
    case "scroll":
      for (const [sx, sy, w, h, dx, dy] of op.moves) ctx.drawImage(win.canvas, sx, sy, w, h, sx + dx, sy + dy, w, h);
      break;
    case "none":
      break;
  }
}

/** Paints the head of the queue while it is decoded: decodes finish out of order, paints do not. */
function pump(win: PaintWindow): void {
  while (win.queue.length > 0 && win.queue[0]!.state !== "pending") {
    const job = win.queue.shift()!;
    let error = job.error;
    if (job.op !== null) {
      try {
        paint(win, job.req, job.op);
      } catch (e) {
        disposeOp(job.op);
        error = `paint: ${e instanceof Error ? e.message : String(e)}`;
      }
    }
    result(job.req, job.start, error);
  }
}

function draw(req: DrawRequest): void {
  const start = performance.now();
  const win = windows.get(req.wid);
  if (win === undefined) {
    result(req, start, `no window ${String(req.wid)}`);
    return;
  }
  const job: Job = { req, start, state: "pending", op: null, error: "" };
  win.queue.push(job);
  if (win.queue.length > MAX_QUEUED) {
    job.state = "failed";
    job.error = `more than ${MAX_QUEUED} draws waiting in window ${win.wid}`;
    pump(win);
    return;
  }
  const coding = text(req.coding);
  // decodeDraw may throw synchronously as well as reject: both end in `failed`.
  Promise.resolve()
    .then(() => decodeDraw(req, coding, win))
    .then(
      (op) => {
        if (win.removed) {
          disposeOp(op);
          return;
        }
        job.op = op;
        job.state = "ready";
      },
      (e: unknown) => {
        job.state = "failed";
        job.error = e instanceof Error ? e.message || e.name : String(e);
      },
    )
    .then(() => pump(win))
    .catch((e: unknown) => post({ kind: "log", message: `paint worker: ${String(e)}` }));
}

function removeWindow(wid: number): void {
  const win = windows.get(wid);
  if (win === undefined) return;
  windows.delete(wid);
  win.removed = true;
  win.endVideo();
  for (const job of win.queue.splice(0)) {
    if (job.op !== null) disposeOp(job.op);
    result(job.req, job.start, "window removed");
  }
}

function handle(m: ToWorker): void {
  switch (m.kind) {
    case "add": {
      removeWindow(m.wid);
      const bad = sizeError(m.width, m.height);
      const ctx = m.canvas.getContext("2d", { alpha: true });
      if (bad || ctx === null) {
        post({ kind: "log", message: `window ${m.wid}: ${bad || "no 2d context"}` });
        return;
      }
      m.canvas.width = m.width;
      m.canvas.height = m.height;
      windows.set(m.wid, new PaintWindow(m.wid, m.canvas, ctx, m.width, m.height));
      return;
    }
    case "resize": {
      const bad = sizeError(m.width, m.height);
      if (bad) post({ kind: "log", message: `window ${m.wid}: ${bad}` });
      else windows.get(m.wid)?.resize(m.width, m.height);
      return;
    }
    case "remove":
      removeWindow(m.wid);
      return;
    case "draw":
      draw(m.req);
      return;
    case "close":
      for (const wid of [...windows.keys()]) removeWindow(wid);
      scope.close();
      return;
  }
}

scope.onmessage = (e) => {
  try {
    handle(e.data);
  } catch (err) {
    post({ kind: "log", message: `paint worker: ${err instanceof Error ? err.message : String(err)}` });
  }
};
