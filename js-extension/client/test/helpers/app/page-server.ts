/**
 * Serves the page as the sidecar will: dist/ (or a copy given) under /sessions/1/ with the product's CSP, a
 * session.json next to it, and the websocket upgrade on that directory relayed raw to an Xpra
 * unix socket (Xpra answers the upgrade itself, so the relay only pipes bytes). Also a parent page
 * at /parent.html that frames the session page and records the messages it posts, as the
 * JupyterLab tab would receive them.
 *
 * close() ends every relayed connection and the server, and is safe to call twice.
 */
import { createServer, type IncomingMessage } from "node:http";
import { readFile } from "node:fs/promises";
import * as net from "node:net";
import type { Duplex } from "node:stream";
import { extname, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";

/** The client package's dist/ (this file runs as build/test/helpers/app/page-server.js). */
export const DIST = fileURLToPath(new URL("../../../../dist/", import.meta.url));

export const PAGE_PATH = "/sessions/1/";
export const PARENT_PATH = "/parent.html";

export const CSP =
  "default-src 'none'; script-src 'self'; worker-src 'self'; connect-src 'self'; img-src 'self' blob: data:; " +
  "style-src 'self'; base-uri 'none'; object-src 'none'; form-action 'none'; frame-ancestors 'self'";

const TYPES: Record<string, string> = {
  ".js": "text/javascript; charset=utf-8",
  ".html": "text/html; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".json": "application/json",
};

const PARENT_HTML =
  // Black behind the frame, as the session page is: no light pixel on screen comes from here.
  "<!doctype html><meta charset=utf-8><title>parent</title><body style=\"margin:0;background:#000\">" +
  "<script src=/parent.js></script>" +
  `<iframe id=session src=${PAGE_PATH} style="border:0;position:fixed;inset:0;width:100%;height:100%"></iframe>`;
// Records what the session page posts (only from our own origin, as client.ts does).
const PARENT_JS =
  "window.flMessages = [];" +
  "window.addEventListener('message', (e) => { if (e.origin === location.origin) window.flMessages.push(e.data); });";

export interface PageServer {
  readonly origin: string;
  /** Upgrades relayed so far. */
  readonly relayed: number;
  close(): Promise<void>;
}

export interface PageServerOptions {
  /** The page's files (default: DIST); a deliberately broken copy, to see a test fail. */
  readonly dist?: string | undefined;
}

export async function startPageServer(xpraSocket: string, sessionJson: unknown, opts: PageServerOptions = {}): Promise<PageServer> {
  const base = resolve(opts.dist ?? DIST);
  const sockets = new Set<Duplex>();
  let relayed = 0;
  const server = createServer((req, res) => {
    void (async () => {
      const path = new URL(req.url ?? "/", "http://x").pathname;
      const common = { "Cache-Control": "no-store", "X-Content-Type-Options": "nosniff" };
      if (path === PARENT_PATH) return void res.writeHead(200, { ...common, "Content-Type": TYPES[".html"] }).end(PARENT_HTML);
      if (path === "/parent.js") return void res.writeHead(200, { ...common, "Content-Type": TYPES[".js"] }).end(PARENT_JS);
      if (!path.startsWith(PAGE_PATH)) return void res.writeHead(404, common).end();
      const rel = path.slice(PAGE_PATH.length) || "index.html";
      if (rel === "session.json") {
        return void res.writeHead(200, { ...common, "Content-Type": TYPES[".json"] }).end(JSON.stringify(sessionJson));
      }
      const file = resolve(base, rel);
      if (!file.startsWith(base + sep)) return void res.writeHead(403, common).end();
      try {
        const body = await readFile(file);
        res.writeHead(200, { ...common, "Content-Type": TYPES[extname(file)] ?? "application/octet-stream", "Content-Security-Policy": CSP });
        res.end(body);
      } catch {
        res.writeHead(404, common).end();
      }
    })();
  });
  server.on("upgrade", (req: IncomingMessage, client: Duplex, head: Buffer) => {
    if (new URL(req.url ?? "/", "http://x").pathname !== PAGE_PATH) return void client.destroy();
    relayed++;
    const upstream = net.connect(xpraSocket);
    sockets.add(client).add(upstream);
    const end = () => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on("error", end).on("close", end);
    upstream.on("error", end).on("close", end);
    upstream.on("connect", () => {
      // The request as the browser sent it, then whatever followed it, then both ways raw.
      const lines = [`${req.method} ${req.url} HTTP/${req.httpVersion}`];
      for (let i = 0; i < req.rawHeaders.length; i += 2) lines.push(`${req.rawHeaders[i]}: ${req.rawHeaders[i + 1]}`);
      upstream.write(lines.join("\r\n") + "\r\n\r\n");
      if (head.length > 0) upstream.write(head);
      client.pipe(upstream);
      upstream.pipe(client);
    });
  });
  const port = await new Promise<number>((ok, fail) => {
    server.once("error", fail);
    server.listen(0, "127.0.0.1", () => {
      const a = server.address();
      if (a === null || typeof a === "string") fail(new Error("no port"));
      else ok(a.port);
    });
  });
  let closed = false;
  return {
    origin: `http://127.0.0.1:${port}`,
    get relayed() {
      return relayed;
    },
    async close() {
      if (closed) return;
      closed = true;
      for (const s of sockets) s.destroy();
      server.closeAllConnections();
      await new Promise<void>((ok) => server.close(() => ok()));
    },
  };
}
