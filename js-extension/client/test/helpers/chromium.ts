/**
 * Debian's Chromium, headless, for the tests that need a real browser (WebCodecs, OffscreenCanvas,
 * workers, pixels on a canvas). Playwright cannot download a browser here, so this drives
 * /usr/bin/chromium (or $CHROMIUM) through playwright-core.
 *
 * Pages are served by a tiny http server on 127.0.0.1: a localhost origin is a secure context,
 * which WebCodecs and module workers from the same origin need; file:// is neither. It serves a
 * directory (by default the client's build/, so build/src/... and build/test/... are importable)
 * plus in-memory routes the test adds (fixtures, pages).
 *
 * Everything started here is stopped by close(), and close() is safe to call twice and after a
 * failed start; a test runner that dies anyway still takes the browser down through an exit hook
 * that kills Chromium's process group (Playwright starts it as a group leader).
 *
 * Chromium's audio goes nowhere and touches nothing outside its own temp directory: without
 * XDG_RUNTIME_DIR its PulseAudio library made a /tmp/pulse-XXXX directory and a cookie in the
 * user's ~/.config/pulse (and may autospawn a sound server) at every AudioContext. It gets its
 * own runtime directory and a PulseAudio address that does not exist (no autospawn then), so it
 * plays into its fallback sink; the page's audio graph, which the sound tests read, runs the same.
 */
import { createServer, type Server } from "node:http";
import { mkdtempSync, rmSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { extname, join, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium, type Browser, type BrowserContext, type BrowserServer, type Page } from "playwright-core";

export const CHROMIUM = process.env["CHROMIUM"] ?? "/usr/bin/chromium";

/** The client package's build/ directory (this file runs as build/test/helpers/chromium.js). */
export const BUILD_ROOT = fileURLToPath(new URL("../../", import.meta.url));

const TYPES: Record<string, string> = {
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".html": "text/html; charset=utf-8",
  ".json": "application/json",
  ".map": "application/json",
  ".css": "text/css",
  ".png": "image/png",
  ".jpg": "image/jpeg",
  ".webp": "image/webp",
  ".bin": "application/octet-stream",
};

/** The page tests open when they need nothing but an origin: no script, strict CSP. */
export const BLANK_PATH = "/__blank.html";
const BLANK_HTML =
  "<!doctype html><meta charset=utf-8>" +
  "<meta http-equiv=Content-Security-Policy content=\"default-src 'self'; script-src 'self'; worker-src 'self'; img-src 'self' blob: data:\">" +
  "<title>test</title><body></body>";

export interface ChromiumOptions {
  /** Directory served at "/" (default: the client's build/). */
  root?: string;
  /** Extra Chromium switches. */
  args?: string[];
  /** Milliseconds for launch and for each close step (default 30000 / 10000). */
  launchTimeout?: number;
  closeTimeout?: number;
}

export interface ChromiumSession {
  readonly browser: Browser;
  readonly context: BrowserContext;
  /** "http://127.0.0.1:PORT" without a trailing slash. */
  readonly origin: string;
  /** Chromium's pid (its process group id too). */
  readonly pid: number;
  /** Console messages of type error and uncaught page errors, from every page, in order. */
  readonly pageErrors: string[];
  /** Serve bytes or text at an absolute path ("/x/y.bin"), overriding the served directory. */
  route(path: string, body: Uint8Array | string, type?: string): void;
  /** A new page at origin + path (default: a blank page with a strict CSP). */
  newPage(path?: string): Promise<Page>;
  close(): Promise<void>;
}

function listen(server: Server): Promise<number> {
  return new Promise((ok, fail) => {
    server.once("error", fail);
    // Port 0 is bound and kept: no window where another process takes it.
    server.listen(0, "127.0.0.1", () => {
      const a = server.address();
      if (a === null || typeof a === "string") fail(new Error("http server has no port"));
      else ok(a.port);
    });
  });
}

function startServer(root: string, routes: Map<string, { body: Uint8Array | string; type: string }>): Server {
  const base = resolve(root);
  return createServer((req, res) => {
    void (async () => {
      const path = decodeURIComponent(new URL(req.url ?? "/", "http://x").pathname);
      const headers = { "Cache-Control": "no-store" };
      const mem = routes.get(path);
      if (mem !== undefined) {
        res.writeHead(200, { ...headers, "Content-Type": mem.type });
        res.end(mem.body);
        return;
      }
      const file = resolve(base, "." + path);
      if (file !== base && !file.startsWith(base + sep)) {
        res.writeHead(403).end();
        return;
      }
      try {
        const body = await readFile(file);
        res.writeHead(200, { ...headers, "Content-Type": TYPES[extname(file)] ?? "application/octet-stream" });
        res.end(body);
      } catch {
        res.writeHead(404, headers).end();
      }
    })();
  });
}

/** p, or a failure naming `what` after ms. */
export function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    p,
    new Promise<T>((_, fail) => {
      timer = setTimeout(() => fail(new Error(`${what}: no answer in ${ms} ms`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

function killGroup(pid: number): void {
  try {
    process.kill(-pid, "SIGKILL");
  } catch {
    // ESRCH: already gone.
  }
}

/** This process's environment with Chromium's sound kept inside `runtime` (see the top). */
function quietAudioEnv(runtime: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined) env[k] = v;
  env["XDG_RUNTIME_DIR"] = runtime;
  env["PULSE_SERVER"] = `unix:${join(runtime, "no-sound-server")}`;
  env["PULSE_COOKIE"] = join(runtime, "pulse-cookie");
  return env;
}

/** Launch Chromium and the file server. Stop both with close(), in an after/finally hook. */
export async function startChromium(opts: ChromiumOptions = {}): Promise<ChromiumSession> {
  const routes = new Map<string, { body: Uint8Array | string; type: string }>();
  routes.set(BLANK_PATH, { body: BLANK_HTML, type: TYPES[".html"]! });
  const http = startServer(opts.root ?? BUILD_ROOT, routes);
  const closeTimeout = opts.closeTimeout ?? 10000;
  let server: BrowserServer | undefined;
  let browser: Browser | undefined;
  let pid = 0;
  const runtime = mkdtempSync(join(tmpdir(), "fl-chromium-run-"));
  const onExit = (): void => {
    if (pid > 0) killGroup(pid);
    rmSync(runtime, { recursive: true, force: true });
  };
  let closed = false;
  const close = async (): Promise<void> => {
    if (closed) return;
    closed = true;
    try {
      if (browser) await withTimeout(browser.close(), closeTimeout, "browser.close").catch(() => undefined);
      if (server) await withTimeout(server.close(), closeTimeout, "browserServer.close").catch(() => server?.kill());
    } finally {
      // Whatever the steps above did, nothing of Chromium's group outlives the session.
      if (pid > 0) killGroup(pid);
      rmSync(runtime, { recursive: true, force: true });
      process.off("exit", onExit);
      http.closeAllConnections();
      await new Promise<void>((ok) => http.close(() => ok()));
    }
  };
  try {
    const port = await listen(http);
    server = await chromium.launchServer({
      executablePath: CHROMIUM,
      headless: true,
      timeout: opts.launchTimeout ?? 30000,
      // Audio in the browser process: Chromium's audio service process gets an emptied
      // environment, which would undo quietAudioEnv.
      args: ["--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu", "--disable-features=AudioServiceOutOfProcess", ...(opts.args ?? [])],
      env: quietAudioEnv(runtime),
    });
    pid = server.process().pid ?? 0;
    process.on("exit", onExit);
    browser = await chromium.connect(server.wsEndpoint());
    const context = await browser.newContext();
    const origin = `http://127.0.0.1:${port}`;
    const pageErrors: string[] = [];
    const session: ChromiumSession = {
      browser,
      context,
      origin,
      pid,
      pageErrors,
      route(path, body, type = "application/octet-stream") {
        routes.set(path, { body, type });
      },
      async newPage(path = BLANK_PATH) {
        const page = await context.newPage();
        page.on("console", (m) => {
          if (m.type() === "error") pageErrors.push(`console: ${m.text()}`);
        });
        page.on("pageerror", (e) => pageErrors.push(`pageerror: ${e.message}`));
        await page.goto(origin + path);
        return page;
      },
      close,
    };
    return session;
  } catch (e) {
    await close();
    throw e;
  }
}

/** startChromium, run fn, close whatever happened. */
export async function withChromium<T>(opts: ChromiumOptions, fn: (s: ChromiumSession) => Promise<T>): Promise<T> {
  const s = await startChromium(opts);
  try {
    return await fn(s);
  } finally {
    await s.close();
  }
}
