/**
 * Following what code asks JupyterLab to show (issue 23): `s.show()` in a
 * notebook and links opened by kernels and terminals (`BROWSER`) become a
 * "show the session on port N" event at the sidecar; this loop long-polls
 * `GET /api/events` and hands each to `onShow`. Events from before this
 * JupyterLab started following are not replayed. The sidecar's answers are
 * checked field by field: nothing from it is trusted as a shape.
 */

export interface IEvent {
  readonly id: number;
  readonly type: string;
  readonly port: number;
}

export interface IEventList {
  readonly events: readonly IEvent[];
  readonly last: number;
}

function isPort(v: unknown): v is number {
  return typeof v === 'number' && Number.isInteger(v) && v > 0 && v < 65536;
}

function isId(v: unknown): v is number {
  return typeof v === 'number' && Number.isInteger(v) && v >= 0;
}

/** The sidecar's answer, or an error naming what is wrong with it. */
export function parseEventList(body: unknown): IEventList {
  const o = body as { events?: unknown; last?: unknown } | null;
  if (!o || typeof o !== 'object' || !Array.isArray(o.events) || !isId(o.last)) {
    throw new Error('the sidecar answered events in an unknown shape');
  }
  const events: IEvent[] = [];
  for (const e of o.events as unknown[]) {
    const x = e as { id?: unknown; type?: unknown; port?: unknown } | null;
    if (x && isId(x.id) && typeof x.type === 'string' && isPort(x.port)) {
      events.push({ id: x.id, type: x.type, port: x.port });
    }
  }
  return { events, last: o.last };
}

export interface IFollowOptions {
  readonly fetch: (after: number | null) => Promise<IEventList>;
  readonly onShow: (port: number) => Promise<unknown> | void;
  /** Ends the loop (JupyterLab closing). */
  readonly signal: AbortSignal;
  /** Pause after a failed request (default 5000 ms). */
  readonly retryMs?: number;
}

const pause = (ms: number, signal: AbortSignal) =>
  new Promise<void>(resolve => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => {
      clearTimeout(timer);
      resolve();
    });
  });

/** Runs until `signal` aborts; a failing sidecar is asked again after a pause. */
export async function followEvents(o: IFollowOptions): Promise<void> {
  let last: number | null = null;
  while (!o.signal.aborted) {
    let list: IEventList;
    try {
      list = await o.fetch(last);
    } catch {
      await pause(o.retryMs ?? 5000, o.signal);
      continue;
    }
    if (last !== null) {
      for (const e of list.events) {
        if (e.type === 'show' && !o.signal.aborted) {
          try {
            await o.onShow(e.port);
          } catch {
            // a session gone meanwhile: nothing to show
          }
        }
      }
    }
    last = list.last;
  }
}
