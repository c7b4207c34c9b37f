/**
 * webSocketTransport against Xpra's own websocket upgrade on its unix socket, reached through a
 * TCP relay as the sidecar relays the browser's websocket: the hello completes and draws arrive
 * on both versions. The WebSocket is node's (undici, in a child started with
 * --experimental-websocket on node 20), the same API the browser gives.
 */
import assert from "node:assert/strict";
import { execFile, spawnSync } from "node:child_process";
import * as net from "node:net";
import * as path from "node:path";
import { fileURLToPath } from "node:url";
import { after, describe, it } from "node:test";
import { startXpra } from "./helpers/session/xpra-server.js";
import type { XpraServer, XpraVersion } from "./helpers/session/xpra-server.js";

const child = path.join(path.dirname(fileURLToPath(import.meta.url)), "helpers", "session", "ws-child.js");

// Node 18 (Debian 12's) has no WebSocket at all; node >= 20.10 has it behind a flag. Skipped, visibly, there.
const noWebSocket = spawnSync(process.execPath, ["--experimental-websocket", "-e", "if (typeof WebSocket !== \"function\") process.exit(1)"]).status !== 0;

function tcpRelay(target: string): Promise<net.Server> {
  const server = net.createServer((c) => {
    const u = net.connect(target);
    c.pipe(u);
    u.pipe(c);
    c.on("error", () => u.destroy()).on("close", () => u.destroy());
    u.on("error", () => c.destroy()).on("close", () => c.destroy());
  });
  return new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve(server)));
}

function runChild(url: string, encoder: string): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, ["--experimental-websocket", child, url, encoder], { timeout: 60_000 }, (err, stdout, stderr) => {
      if (err) return reject(new Error(`${err.message}\n${stderr}`));
      try {
        resolve(JSON.parse(stdout.trim().split("\n").pop() ?? "") as Record<string, unknown>);
      } catch {
        reject(new Error(`child printed: ${stdout}\n${stderr}`));
      }
    });
  });
}

for (const version of ["3.1", "6.5"] as XpraVersion[]) {
  describe(`webSocketTransport on Xpra ${version}`, () => {
    let server: XpraServer | undefined;
    let relay: net.Server | undefined;
    after(async () => {
      relay?.close();
      await server?.stop();
    });

    it("opens through Xpra's websocket upgrade, in subprotocol binary, and gets draws", { skip: noWebSocket ? "this node has no WebSocket (needs >= 20.10)" : false }, async () => {
      // --html=on: Xpra upgrades websockets on its socket only with its web server enabled.
      server = await startXpra(version, { extraArgs: ["--html=on"] });
      relay = await tcpRelay(server.socket);
      const port = (relay.address() as net.AddressInfo).port;
      const encoder = version === "3.1" ? "rencode" : "rencodeplus";
      const out = await runChild(`ws://127.0.0.1:${port}/`, encoder);
      assert.equal(out["how"], "open", JSON.stringify(out));
      assert.ok(String(out["version"]).startsWith(version), JSON.stringify(out));
      assert.equal(out["encoder"], encoder);
      assert.ok(Number(out["draws"]) >= 1, JSON.stringify(out));
    });
  });
}
