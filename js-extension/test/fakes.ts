import { ServerConnection } from '@jupyterlab/services';

export const BASE = 'http://127.0.0.1:8888/user/alice/';

export interface ICall {
  method: string;
  url: string;
  contentType: string | null;
  body: string;
}

type Reply = { status: number; body?: unknown } | Error;

/**
 * Server settings whose fetch records each call and answers from `replies`
 * (a function of the call), like the sidecar behind jupyter-server-proxy.
 */
export function fakeServer(replies: (call: ICall) => Reply): {
  settings: ServerConnection.ISettings;
  calls: ICall[];
} {
  const calls: ICall[] = [];
  const fetch = async (input: RequestInfo | URL, init?: RequestInit) => {
    const req = new Request(input as RequestInfo, init);
    const call: ICall = {
      method: req.method,
      url: req.url,
      contentType: req.headers.get('Content-Type'),
      body: await req.text()
    };
    calls.push(call);
    const reply = replies(call);
    if (reply instanceof Error) {
      throw reply;
    }
    const text =
      reply.body === undefined
        ? ''
        : typeof reply.body === 'string'
          ? reply.body
          : JSON.stringify(reply.body);
    return new Response(text, { status: reply.status });
  };
  const settings = ServerConnection.makeSettings({
    baseUrl: BASE,
    wsUrl: BASE.replace('http', 'ws'),
    fetch: fetch as typeof globalThis.fetch
  });
  return { settings, calls };
}

/** The path of a recorded URL, without JupyterLab's `?<timestamp>` cache-buster. */
export function pathOf(url: string): string {
  return new URL(url).pathname;
}

export function session(port: number, created = '2026-11-22T09:00:00Z') {
  return {
    port,
    status: 'ready',
    pid: 1000 + port,
    pgid: 1000 + port,
    display: ':1',
    dir: `/home/alice/.firefox-launcher/sessions/${port}`,
    url: null,
    created_at: created,
    path: `sessions/${port}/`
  };
}
