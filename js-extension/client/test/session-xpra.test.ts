/**
 * The Session against real Xpra servers, Debian's 3.1.3 and the 6.5 build, where the behaviour
 * is the server's: the hello exchange (in the encoder we offered, lz4 records inflated), a
 * window's new-window and draws acknowledged with damage-sequence, pings both ways under a
 * 3-second server ping timeout, reconnecting through a relay whose connections drop, being
 * replaced by a second client (final), and the server's own disconnect on shutdown.
 * A server that cannot run is a failed test, not a skipped one.
 */
import assert from "node:assert/strict";
import * as path from "node:path";
import { after, before, describe, it } from "node:test";
import type { EncoderName, Value } from "../src/protocol/index.js";
import { Session, damageSequencePacket } from "../src/session/index.js";
import type { SessionState, TransportFactory } from "../src/session/index.js";
import { startRelay } from "./helpers/session/relay.js";
import type { Relay } from "./helpers/session/relay.js";
import { unixTransport } from "./helpers/session/unix-transport.js";
import { waitFor } from "./helpers/session/wait.js";
import { startXpra } from "./helpers/session/xpra-server.js";
import type { XpraServer, XpraVersion } from "./helpers/session/xpra-server.js";

/** What a display layer would offer, just enough for the server to send windows and pictures. */
const display = () => ({
  desktop_size: [1280, 800],
  dpi: 96,
  windows: true,
  encodings: ["rgb32", "rgb24", "png", "jpeg"],
});

/** Records each incoming record's header (compression byte) while passing the bytes on. */
function tapped(inner: TransportFactory, compressions: number[]): TransportFactory {
  return (events) => {
    let buf = new Uint8Array(0);
    return inner({
      ...events,
      onBytes(d) {
        const n = new Uint8Array(buf.length + d.length);
        n.set(buf);
        n.set(d, buf.length);
        buf = n;
        while (buf.length >= 8) {
          const size = new DataView(buf.buffer, buf.byteOffset).getUint32(4);
          if (buf.length < 8 + size) break;
          compressions.push(buf[2] ?? 0);
          buf = buf.slice(8 + size);
        }
        events.onBytes(d);
      },
    });
  };
}

/** Reads the state afresh (TypeScript would keep an earlier narrowing of `.state`). */
const stateOf = (s: Session): SessionState => s.state;

const text = (v: Value | undefined): string =>
  typeof v === "string" ? v : v instanceof Uint8Array ? new TextDecoder().decode(v) : "";

for (const version of ["3.1", "6.5"] as XpraVersion[]) {
  const encoder: EncoderName = version === "3.1" ? "rencode" : "rencodeplus";

  describe(`session on Xpra ${version}`, () => {
    let server: XpraServer;
    let relay: Relay;
    let session: Session;
    const sessions: Session[] = [];
    const states: SessionState[] = [];
    const compressions: number[] = [];
    const windows: number[] = [];
    const draws: Array<{ wid: number; seq: number; coding: string }> = [];

    before(async () => {
      // Pings every second, and a 3 s ping timeout: a wrong echo is a disconnect within the test.
      server = await startXpra(version, { env: { XPRA_PING_TIMEOUT: "3" }, extraArgs: ["--pings=1"] });
      relay = await startRelay(path.join(server.dir, "relay.sock"), server.socket);
      session = new Session({
        connect: tapped(unixTransport(relay.path), compressions),
        encoder,
        providers: [display],
        pingIntervalMs: 1000,
        reconnect: { maxAttempts: 6, baseDelayMs: 200, maxDelayMs: 1000 },
        log: () => undefined,
      });
      sessions.push(session);
      session.onState((s) => states.push(s));
      session.on("new-window", (items) => {
        const wid = items[1];
        if (typeof wid !== "number") return;
        windows.push(wid);
        // 3.1's name; 6.5 maps it to window-map (legacy alias, on by default).
        session.send(["map-window", wid, items[2] ?? 0, items[3] ?? 0, items[4] ?? 1, items[5] ?? 1, {}]);
      });
      session.on("draw", (items) => {
        const [, wid, , , w, h, coding, , seq] = items;
        if (typeof wid !== "number" || typeof seq !== "number") return;
        draws.push({ wid, seq, coding: text(coding) });
        session.send(damageSequencePacket(seq, wid, typeof w === "number" ? w : 0, typeof h === "number" ? h : 0, 1000));
      });
      session.start();
    });

    after(async () => {
      for (const s of sessions) s.close();
      await relay?.close();
      await server?.stop();
    });

    it("completes the hello in the encoder we offered, with lz4 records", async () => {
      await waitFor(() => session.state.state === "open", 20_000, "the server's hello");
      assert.equal(session.encoder, encoder);
      assert.ok(session.server?.text("version").startsWith(version), session.server?.text("version"));
      assert.ok(session.server?.textList("compressors").includes("lz4"));
      await waitFor(() => session.isStartupComplete, 10_000, "startup-complete");
      // The server compresses its own hello with lz4 (0x10 in the high nibble): we asked for it
      // and read it.
      assert.ok(compressions.some((c) => (c & 0xf0) === 0x10), `compression bytes: ${compressions.join(",")}`);
    });

    it("gets the app's window and its draws, acknowledged", async () => {
      await waitFor(() => windows.length > 0, 15_000, "new-window");
      await waitFor(() => draws.length > 0, 15_000, "a draw");
      const d = draws[0];
      assert.ok(d && windows.includes(d.wid));
      assert.ok(["rgb24", "rgb32", "png", "jpeg"].includes(d.coding), d.coding);
      assert.equal(session.state.state, "open");
      assert.equal(session.stats.handlerErrors, 0);
    });

    it("answers the server's pings as it expects and measures its own", async () => {
      await waitFor(() => session.state.state === "open", 20_000, "open");
      // 6.5 starts pinging 5 s after its hello, then every second (--pings=1); with a 3 s ping
      // timeout, four echoes in means the first was accepted (a wrong one is a disconnect by then).
      const before = session.stats.echoesSent;
      await waitFor(() => session.stats.echoesSent - before >= 4 || session.state.state !== "open", 20_000, "four server pings");
      assert.equal(session.state.state, "open", JSON.stringify(session.state));
      assert.ok(session.stats.echoesSent - before >= 3, `echoes: ${session.stats.echoesSent - before} ${JSON.stringify(session.stats)}`);
      assert.ok(session.stats.latencyMs >= 0 && session.stats.latencyMs < 2000, `latency ${session.stats.latencyMs}`);
    });

    it("reconnects after the link drops, and gets the window again", async () => {
      const opensBefore = states.filter((s) => s.state === "open").length;
      const windowsBefore = windows.length;
      relay.setRefusing(true);
      relay.dropAll();
      await waitFor(() => session.state.state === "closed" && session.state.reconnecting, 5000, "the loss");
      await new Promise((r) => setTimeout(r, 700));
      relay.setRefusing(false);
      await waitFor(() => session.state.state === "open", 20_000, "the reconnect");
      assert.equal(session.stats.reconnects, 1);
      assert.ok(states.filter((s) => s.state === "open").length === opensBefore + 1);
      await waitFor(() => windows.length > windowsBefore, 15_000, "new-window after reconnect");
    });

    it("a second client steals the session: the first is told 'new client' and stays closed", async () => {
      const second = new Session({ connect: unixTransport(server.socket), encoder, providers: [display], log: () => undefined });
      sessions.push(second);
      second.start();
      await waitFor(() => second.state.state === "open", 20_000, "the second client");
      await waitFor(() => session.state.state === "closed", 10_000, "the first to be replaced");
      const st = stateOf(session);
      assert.ok(st.state === "closed" && /new client/.test(st.reason) && !st.reconnecting, JSON.stringify(st));
      await new Promise((r) => setTimeout(r, 600));
      assert.equal(session.state.state, "closed");
      assert.equal(relay.accepted, 2);
    });

    it("the server's shutdown arrives as a disconnect with a reason, final", async () => {
      const second = sessions[1];
      assert.ok(second && second.state.state === "open");
      process.kill(-server.pid, "SIGTERM");
      await waitFor(() => second.state.state === "closed", 20_000, "the shutdown");
      const st = stateOf(second);
      assert.ok(st.state === "closed" && st.reason.startsWith("server: ") && !st.reconnecting, JSON.stringify(st));
      assert.match(st.state === "closed" ? st.reason : "", /shutdown|exit/);
    });
  });
}
