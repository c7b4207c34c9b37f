/**
 * The whole session page against a real Xpra server, for a test file's describe block: an Xpra
 * session (test/helpers/session/xpra-server.ts) running the X app the test names, the page served
 * as the sidecar serves it (page-server.ts), and Debian's Chromium (../chromium.ts) with the
 * parent page open and the session page in its frame, connected. Started by a `before` hook and
 * stopped by an `after` hook that runs whatever failed (Chromium's group, the server, Xpra and its
 * Xvfb, the temp dirs), every step bounded in time.
 *
 * Incidents: a test reports what must never happen (markup that became an element, a CSP
 * violation, a dialog) with incident(); a moment after the first one (INCIDENT_GRACE_MS, so the
 * report holds what the same cause did at once: a CSP error comes before the element it was
 * parsed into), every wait and bounded step of the tests fails with all of them, so a broken
 * client fails the running test in seconds, naming what appeared where, instead of hanging until
 * a timeout. The start's own waits do not fail on incidents (the tests report them).
 */
import { after, before } from "node:test";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { BrowserContext, Frame, Page } from "playwright-core";
import { startXpra, type XpraServer, type XpraVersion } from "../session/xpra-server.js";
import { startChromium, withTimeout, type ChromiumSession } from "../chromium.js";
import { DIST, PAGE_PATH, PARENT_PATH, startPageServer, type PageServer } from "./page-server.js";

export const VIEWPORT = { width: 1000, height: 700 } as const;

/** What the sidecar writes next to the page for each version (src/app/config.ts reads it). */
export const SESSION_JSON: Record<XpraVersion, unknown> = {
  "3.1": { xpra: { version: "3.1.3", major: 3, minor: 1 }, encoder: "rencode", clipboard: "off", video: false, encoding: "auto" },
  "6.5": { xpra: { version: "6.5.5", major: 6, minor: 5 }, encoder: "rencodeplus", clipboard: "off", video: false, encoding: "auto" },
};

/** How long after the first incident the waits fail (what else the same cause did is in the report). */
export const INCIDENT_GRACE_MS = 300;

/** Bounds of the hooks themselves (node's default is none without --test-timeout). */
export const START_TIMEOUT_MS = 180_000;
export const STOP_TIMEOUT_MS = 90_000;

export interface AppSessionOptions {
  /** The X client Xpra starts (asked when the session starts, after earlier before hooks ran). */
  readonly child: () => string;
  /** Runs once Xpra is ready, before the page is served (e.g. wait for the app to be up). */
  readonly afterXpra?: (s: AppSession) => Promise<void>;
  /** Extra Chromium switches. */
  readonly chromiumArgs?: readonly string[];
  /**
   * The start waits for the page through its console alone ("xpra client: open") and never
   * evaluates in it. Playwright evaluates with `userGesture: true`: one call that lands before
   * the page's script has run leaves the frame with a user activation, and the autoplay policy
   * then lets the page's sound start without a click.
   */
  readonly untouched?: boolean;
  /** Runs on the page's fresh context before the page opens: init scripts, bindings, listeners. */
  readonly prepare?: (context: BrowserContext, s: AppSession) => Promise<void>;
  /** More Xpra switches and environment (after the helper's own: a repeated switch overrides). */
  readonly xpraArgs?: () => readonly string[];
  readonly xpraEnv?: () => Readonly<Record<string, string>>;
  /** The server's xpra.conf. */
  readonly xpraConf?: string;
  /** session.json (default: SESSION_JSON of the version). */
  readonly sessionJson?: unknown;
  /** The page's files (default: the real dist/): a deliberately broken copy, to see a test fail. */
  readonly dist?: string | undefined;
}

export interface AppSession {
  readonly version: XpraVersion;
  readonly xpra: XpraServer;
  readonly server: PageServer;
  readonly chromium: ChromiumSession;
  readonly context: BrowserContext;
  /** The parent page (records what the session page posts in window.flMessages). */
  readonly page: Page;
  /** The session page. */
  readonly frame: Frame;
  /** The pages' console and errors, shown when a wait fails. */
  readonly logs: string[];
  /** What must never have happened, in order; the first one fails every wait from then on. */
  readonly incidents: readonly string[];
  /** Reports one; a lead (what the test names as the cause) heads the report. */
  incident(what: string, lead?: boolean): void;
  /** Throws the incidents, if any. */
  check(): void;
  /** Polls probe until it returns something truthy; fails at once on an incident. */
  waitFor<T>(what: string, ms: number, probe: () => Promise<T | undefined | null | false>): Promise<T>;
  /** p, or a failure after ms or at the first incident (a page that hangs must not hang the test). */
  bounded<T>(p: Promise<T>, ms: number, what: string): Promise<T>;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** What the start sets up, one by one (the tests run only once it all is). */
type Started = { -readonly [K in "xpra" | "server" | "chromium" | "context" | "page" | "frame"]: AppSession[K] };

export function appSession(version: XpraVersion, opts: AppSessionOptions): AppSession {
  const held: Partial<Started> = {};
  let www = "";
  const logs: string[] = [];
  const incidents: string[] = [];
  // Rejected at the first incident: raced against every bounded step.
  let trip: (e: Error) => void = () => undefined;
  const tripped = new Promise<never>((_, fail) => (trip = fail));
  tripped.catch(() => undefined);

  let failing = false;
  const leads = new Set<string>();
  const incidentError = (): Error => {
    // The leads first (what the test names as the cause), then the rest in order, repeats counted.
    const counts = new Map<string, number>();
    for (const i of [...incidents.filter((i) => leads.has(i)), ...incidents]) counts.set(i, (counts.get(i) ?? 0) + 1);
    const lines = [...counts].map(([i, n]) => `  - ${i.length > 300 ? `${i.slice(0, 300)}…` : i}${n > 1 && !leads.has(i) ? ` (×${n})` : ""}`);
    const list = lines.slice(0, 8);
    if (lines.length > 8) list.push(`  (${lines.length - 8} more)`);
    return new Error(`on Xpra ${version}, what must never happen did (${incidents.length}):\n${list.join("\n")}`);
  };
  /** Polls probe; a strict wait (the tests') fails on incidents, the start's does not. */
  const poll = async <T>(what: string, ms: number, probe: () => Promise<T | undefined | null | false>, strict: boolean): Promise<T> => {
    const deadline = Date.now() + ms;
    let last: unknown;
    for (;;) {
      if (strict) s.check();
      try {
        const p = probe();
        const v = await (strict ? s.bounded(p, Math.max(1000, deadline - Date.now()), what) : p);
        if (v) return v;
      } catch (e) {
        if (strict) s.check();
        last = e;
      }
      if (Date.now() > deadline) {
        throw new Error(`${what} on Xpra ${version}: not seen in ${ms} ms${last ? ` (${String(last)})` : ""}\n${logs.slice(-30).join("\n")}`);
      }
      await sleep(200);
    }
  };
  // held's fields, once the start has set them (node runs no test of a block whose start failed).
  const s = Object.assign(held, {
    version,
    logs,
    incidents,
    incident(what: string, lead = false): void {
      incidents.push(what);
      if (lead) leads.add(what);
      logs.push(`INCIDENT: ${what}`);
      if (incidents.length === 1) {
        setTimeout(() => {
          failing = true;
          trip(incidentError());
        }, INCIDENT_GRACE_MS).unref();
      }
    },
    check(): void {
      if (failing) throw incidentError();
    },
    waitFor<T>(what: string, ms: number, probe: () => Promise<T | undefined | null | false>): Promise<T> {
      return poll(what, ms, probe, true);
    },
    bounded<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
      return Promise.race([withTimeout(p, ms, `${what} on Xpra ${version}`), tripped]);
    },
  }) as AppSession;

  before(
    async () => {
      const dist = opts.dist ?? DIST;
      if (!existsSync(join(dist, "index.html"))) throw new Error(`${dist}index.html is missing: npm run build && npm run bundle`);
      // Xpra 3.1 answers websocket upgrades on its socket only with its web server on (a web root
      // given, as the sidecar gives it): an empty one here, so it serves nothing else.
      www = mkdtempSync(join(tmpdir(), "fl-app-www-"));
      const extraArgs = [...(version === "3.1" ? [`--html=${www}`] : []), ...(opts.xpraArgs?.() ?? [])];
      const xpra = (held.xpra = await startXpra(version, { child: opts.child(), extraArgs, ...(opts.xpraEnv ? { env: opts.xpraEnv() } : {}), ...(opts.xpraConf !== undefined ? { conf: opts.xpraConf } : {}) }));
      await opts.afterXpra?.(s);
      const server = (held.server = await startPageServer(xpra.socket, opts.sessionJson ?? SESSION_JSON[version], { dist }));
      const chromium = (held.chromium = await startChromium({ args: [...(opts.chromiumArgs ?? [])] }));
      const context = (held.context = await chromium.browser.newContext({ viewport: VIEWPORT, deviceScaleFactor: 1 }));
      context.on("console", (m) => logs.push(`console.${m.type()}: ${m.text()}`));
      context.on("weberror", (e) => logs.push(`page error: ${e.error().message}`));
      await opts.prepare?.(context, s);
      let said = false;
      if (opts.untouched) context.on("console", (m) => void (said ||= m.text() === "xpra client: open"));
      const page = (held.page = await context.newPage());
      await withTimeout(page.goto(server.origin + PARENT_PATH), 30_000, "the parent page");
      const frame = (held.frame = await poll("the session frame", 10_000, async () => page.frames().find((f) => f.url().endsWith(PAGE_PATH)), false));
      const open = opts.untouched
        ? async () => said
        : () => frame.evaluate(() => document.querySelector("#screen")?.getAttribute("data-state") === "open");
      await poll("the page open", 30_000, () => withTimeout(open(), 10_000, "the page's state"), false);
    },
    { timeout: START_TIMEOUT_MS },
  );

  after(
    async () => {
      // Each step bounded inside (Chromium: 10 s a step then its group killed; Xpra: TERM, 15 s,
      // KILL, then its Xvfb), and each runs whatever the one before did.
      try {
        await held.chromium?.close();
      } finally {
        try {
          await held.server?.close();
        } finally {
          await held.xpra?.stop();
          if (www) rmSync(www, { recursive: true, force: true });
        }
      }
    },
    { timeout: STOP_TIMEOUT_MS },
  );

  return s;
}
