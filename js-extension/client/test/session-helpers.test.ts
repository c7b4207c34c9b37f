/**
 * The real-server helper cleans up even when Xpra cannot: after a SIGKILL of Xpra's group, its
 * Xvfb (outside the group, and started by 6.5 without our marker in its environment) must still
 * be gone after stop(), and the temp dir removed. Control: the Xvfb was alive before stop().
 */
import assert from "node:assert/strict";
import * as fs from "node:fs";
import { after, it } from "node:test";
import { startXpra } from "./helpers/session/xpra-server.js";
import type { XpraServer } from "./helpers/session/xpra-server.js";
import { waitFor } from "./helpers/session/wait.js";

/** Pids whose command line names the dir (Xvfb's -auth file lives there). */
function pidsNaming(dir: string): number[] {
  const out: number[] = [];
  for (const e of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(e)) continue;
    try {
      if (fs.readFileSync(`/proc/${e}/cmdline`, "latin1").includes(`${dir}/`)) out.push(Number(e));
    } catch {
      // exited meanwhile
    }
  }
  return out;
}

let server: XpraServer | undefined;
after(async () => {
  await server?.stop();
});

it("stop() removes an orphaned Xvfb of Xpra 6.5 and the temp dir", async () => {
  server = await startXpra("6.5");
  const dir = server.dir;
  process.kill(-server.pid, "SIGKILL");
  await server.exited;
  await waitFor(() => pidsNaming(dir).length > 0, 5000, "the orphaned Xvfb (control)");
  const orphans = pidsNaming(dir);
  await server.stop();
  await waitFor(() => orphans.every((p) => !fs.existsSync(`/proc/${p}`)), 5000, "the orphans to be gone");
  assert.equal(fs.existsSync(dir), false);
});
