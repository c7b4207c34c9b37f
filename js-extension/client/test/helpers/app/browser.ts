/**
 * Debian's Chromium for the page tests, through playwright-core (no browser download works here).
 * Started as its own process group; close() closes it and then kills the group whatever happened,
 * and an exit hook does the same if the test runner dies first.
 */
import { chromium, type Browser, type BrowserServer } from "playwright-core";

export const CHROMIUM = process.env["CHROMIUM"] ?? "/usr/bin/chromium";

export interface RunningBrowser {
  readonly browser: Browser;
  readonly pid: number;
  close(): Promise<void>;
}

function killGroup(pid: number): void {
  try {
    process.kill(-pid, "SIGKILL");
  } catch {
    // ESRCH: already gone.
  }
}

export async function startBrowser(): Promise<RunningBrowser> {
  let server: BrowserServer | undefined;
  let browser: Browser | undefined;
  let pid = 0;
  const onExit = () => pid > 0 && killGroup(pid);
  let closed = false;
  const close = async () => {
    if (closed) return;
    closed = true;
    try {
      await browser?.close().catch(() => undefined);
      await server?.close().catch(() => undefined);
    } finally {
      if (pid > 0) killGroup(pid);
      process.off("exit", onExit);
    }
  };
  try {
    server = await chromium.launchServer({
      executablePath: CHROMIUM,
      headless: true,
      timeout: 30000,
      args: ["--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu"],
    });
    pid = server.process().pid ?? 0;
    process.on("exit", onExit);
    browser = await chromium.connect(server.wsEndpoint());
    return { browser, pid, close };
  } catch (e) {
    await close();
    throw e;
  }
}
