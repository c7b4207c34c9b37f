/**
 * The Session against a fake server's faults: garbage, truncated and oversized records, a hello
 * that is not a map, no hello, a challenge, a disconnect in 3.1's byte strings, throwing
 * handlers. Each case ends in a closed state with a reason and no exception out of the loop;
 * each refusal has a positive control (the same fake server with a valid hello opens).
 */
import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import { encodePacket, frameRecord } from "../src/protocol/index.js";
import type { Encodable, EncoderName } from "../src/protocol/index.js";
import { Session } from "../src/session/index.js";
import { AudioStream } from "../src/audio/stream.js";
import type { SessionOptions, SessionState } from "../src/session/index.js";
import { startFakeServer } from "./helpers/session/fake-server.js";
import type { FakeConnection, FakeServer } from "./helpers/session/fake-server.js";
import { unixTransport } from "./helpers/session/unix-transport.js";
import { waitFor } from "./helpers/session/wait.js";

const servers: FakeServer[] = [];
const sessions: Session[] = [];
after(async () => {
  for (const s of sessions) s.close();
  for (const f of servers) await f.close();
});

async function fake(script: (c: FakeConnection) => void | Promise<void>): Promise<FakeServer> {
  const f = await startFakeServer(script);
  servers.push(f);
  return f;
}

function session(path: string, extra: Partial<SessionOptions> = {}): { s: Session; states: SessionState[] } {
  const states: SessionState[] = [];
  const s = new Session({
    connect: unixTransport(path),
    encoder: "rencodeplus",
    reconnect: false,
    helloTimeoutMs: 2000,
    log: () => undefined,
    ...extra,
  });
  s.onState((st) => states.push(st));
  sessions.push(s);
  s.start();
  return { s, states };
}

const closedReason = (s: Session): string => (s.state.state === "closed" ? s.state.reason : "");

async function endsClosed(s: Session, pattern: RegExp): Promise<void> {
  await waitFor(() => s.state.state === "closed", 5000, "the session to close");
  const st = s.state;
  assert.equal(st.state, "closed");
  if (st.state === "closed") {
    assert.match(st.reason, pattern);
    assert.equal(st.reconnecting, false);
  }
}

const hello = (caps: Encodable = { version: "6.5" }, encoder: EncoderName = "rencodeplus"): Uint8Array =>
  encodePacket(["hello", caps], encoder);

/** A fake server that answers the client's hello with `reply`. */
const answering = (reply: (c: FakeConnection) => void) => async (c: FakeConnection) => {
  await c.next("hello");
  reply(c);
};

describe("session faults (fake server)", () => {
  it("positive control: a valid hello opens the session, our hello is a map with our capabilities", async () => {
    const f = await fake(answering((c) => c.socket.write(hello())));
    const { s } = session(f.path);
    await waitFor(() => s.state.state === "open", 5000, "open");
    const ours = f.connections[0]?.received.find((p) => p.type === "hello");
    assert.ok(ours && ours.items[1] instanceof Map);
    const caps = ours.items[1] as Map<unknown, unknown>;
    assert.deepEqual(caps.get("compressors"), ["lz4"]);
    assert.deepEqual(caps.get("encoders"), ["rencodeplus"]);
    assert.equal(caps.get("steal"), true);
    assert.equal(caps.get("share"), false);
    assert.equal(caps.has("aliases"), false);
    assert.equal(s.server?.text("version"), "6.5");
  });

  it("garbage bytes instead of a hello: closed with a protocol error, no throw", async () => {
    const f = await fake(answering((c) => c.socket.write("GET / HTTP/1.1\r\nHost: x\r\n\r\n")));
    const { s } = session(f.path);
    await endsClosed(s, /protocol error \(magic\)/);
  });

  it("garbage after the hello: closed with a protocol error", async () => {
    const f = await fake(
      answering((c) => {
        c.socket.write(hello());
        setTimeout(() => c.socket.write(Uint8Array.of(0x50, 0xff, 0, 0, 0, 0, 0, 9, 1, 2, 3)), 100);
      }),
    );
    const { s, states } = session(f.path);
    await endsClosed(s, /protocol error/);
    assert.ok(states.some((x) => x.state === "open"), "it was open before");
  });

  it("a truncated record then the socket closes: closed, the reason says so", async () => {
    const f = await fake(
      answering((c) => {
        const full = hello();
        c.socket.end(full.subarray(0, full.length - 5));
      }),
    );
    const { s } = session(f.path);
    await endsClosed(s, /socket closed/);
  });

  it("a truncated hello and silence: the hello timeout closes it", async () => {
    const f = await fake(answering((c) => c.socket.write(hello().subarray(0, 12))));
    const { s } = session(f.path, { helloTimeoutMs: 300 });
    await endsClosed(s, /no hello from the server within 300 ms/);
  });

  it("no hello at all: the hello timeout closes it", async () => {
    const f = await fake(() => undefined);
    const { s } = session(f.path, { helloTimeoutMs: 300 });
    await endsClosed(s, /no hello/);
  });

  it("a hello that is not a map: closed with that reason", async () => {
    const f = await fake(answering((c) => c.socket.write(encodePacket(["hello", [1, 2, 3]], "rencodeplus"))));
    const { s } = session(f.path);
    await endsClosed(s, /hello is not a capability map/);
  });

  it("an oversized record header before the hello: refused at once", async () => {
    // 5 MiB declared, over HELLO_LIMITS' 4 MiB; only the header is ever sent.
    const header = frameRecord(new Uint8Array(0), 0x10).subarray(0, 8);
    new DataView(header.buffer, header.byteOffset).setUint32(4, 5 * 1024 * 1024);
    const f = await fake(answering((c) => c.socket.write(header)));
    const { s } = session(f.path);
    await endsClosed(s, /protocol error \(size\)/);
  });

  it("a hello in another encoder than the one we offered: closed", async () => {
    const f = await fake(answering((c) => c.socket.write(hello({ version: "3.1.3" }, "bencode"))));
    const { s } = session(f.path);
    await endsClosed(s, /answered in bencode/);
  });

  it("a challenge: closed, we send no password", async () => {
    const f = await fake(answering((c) => c.socket.write(encodePacket(["challenge", "salt", "", "hmac", "xor"], "rencodeplus"))));
    const { s } = session(f.path);
    await endsClosed(s, /password/);
  });

  it("a disconnect in 3.1's byte strings gives its reason as text, and 'new client' is final", async () => {
    const enc = new TextEncoder();
    const f = await fake(async (c) => {
      await c.next("hello");
      c.socket.write(hello({ version: enc.encode("3.1.3") }, "rencode"));
      setTimeout(() => c.socket.write(encodePacket(["disconnect", enc.encode("new client")], "rencode")), 50);
    });
    const { s } = session(f.path, { encoder: "rencode", reconnect: { maxAttempts: 3, baseDelayMs: 50 } });
    await endsClosed(s, /^server: new client$/);
    assert.equal(s.server, null);
  });

  it("a non-final disconnect reconnects (control for the one above)", async () => {
    const f = await fake(async (c) => {
      await c.next("hello");
      c.socket.write(hello());
      if (f.connections.length === 1) {
        setTimeout(() => c.socket.write(encodePacket(["disconnect", "protocol error", "something"], "rencodeplus")), 50);
      }
    });
    const { s, states } = session(f.path, { reconnect: { maxAttempts: 3, baseDelayMs: 50 } });
    await waitFor(() => s.stats.reconnects === 1 && s.state.state === "open", 5000, "a reconnect");
    const closed = states.find((x) => x.state === "closed");
    assert.ok(closed && closed.state === "closed" && closed.reconnecting);
    assert.equal(closed.reason, "server: protocol error: something");
  });

  it("reconnects are bounded and back off", async () => {
    const f = await fake((c) => void c.socket.destroy());
    const { s, states } = session(f.path, { reconnect: { maxAttempts: 3, baseDelayMs: 40, maxDelayMs: 100 } });
    await waitFor(() => s.state.state === "closed" && !s.state.reconnecting, 5000, "giving up");
    const delays = states.flatMap((x) => (x.state === "closed" && x.reconnecting ? [x.delayMs] : []));
    assert.deepEqual(delays, [40, 80, 100]);
    assert.equal(f.connections.length, 4);
  });

  it("stopReconnecting() ends a scheduled reconnect", async () => {
    const f = await fake((c) => void c.socket.destroy());
    const { s } = session(f.path, { reconnect: { maxAttempts: 5, baseDelayMs: 300 } });
    await waitFor(() => s.state.state === "closed" && s.state.reconnecting, 5000, "a scheduled reconnect");
    s.stopReconnecting();
    assert.equal(s.state.state === "closed" && s.state.reconnecting, false);
    await new Promise((r) => setTimeout(r, 500));
    assert.equal(f.connections.length, 1);
  });

  it("a throwing handler is caught and counted; later handlers and packets still run", async () => {
    const f = await fake(async (c) => {
      await c.next("hello");
      c.socket.write(hello());
      for (const t of ["boom", "boom", "mystery", "fine"]) c.socket.write(encodePacket([t, 1], "rencodeplus"));
    });
    const { s } = session(f.path);
    let fine = 0;
    let secondBoom = 0;
    s.on("boom", () => {
      throw new Error("handler bug");
    });
    s.on("boom", () => void secondBoom++);
    s.on("fine", () => void fine++);
    await waitFor(() => fine === 1, 5000, "the packet after the throws");
    assert.equal(s.stats.handlerErrors, 2);
    assert.equal(secondBoom, 2);
    assert.equal(s.stats.unknownPackets, 1);
    assert.equal(s.state.state, "open");
  });

  it("sound (issue 22): our hello asks for it, the start follows the server's hello, malformed sound-data stays in the stream", async () => {
    const meta = (o: Record<string, Encodable>) => o;
    const f = await fake(async (c) => {
      await c.next("hello");
      c.socket.write(hello({ version: "6.5", audio: { encoders: ["opus"] } }));
      await c.next("sound-control");
      c.socket.write(encodePacket(["sound-data", "opus", [], meta({ "start-of-stream": true, sequence: 0 })], "rencodeplus"));
      const bad: Encodable[][] = [
        ["sound-data"],
        ["sound-data", "opus", new Uint8Array(9000), meta({ sequence: 0 })],
        ["sound-data", "opus", "x", "not a map"],
        ["sound-data", ["opus"], new Uint8Array(3), meta({})],
        ["audio-data", "opus", new Uint8Array(3), meta({ sequence: 7 })],
      ];
      for (const p of bad) c.socket.write(encodePacket(p, "rencodeplus"));
      c.socket.write(encodePacket(["sound-data", "opus", new Uint8Array(160), meta({ sequence: 0 }), []], "rencodeplus"));
      c.socket.write(encodePacket(["fine", 1], "rencodeplus"));
    });
    const { s } = session(f.path, { audio: true });
    const played: number[] = [];
    const stream = new AudioStream({
      send: (p) => void s.send(p),
      player: { start: () => undefined, end: () => undefined, data: (d) => void played.push(d.length) },
      log: () => undefined,
    });
    s.onState((st) => {
      if (st.state === "open") stream.serverHello(st.server);
    });
    for (const t of ["sound-data", "audio-data"]) s.on(t, (items) => stream.packet(items));
    let fine = 0;
    s.on("fine", () => void fine++);
    await waitFor(() => fine === 1, 5000, "the packet after the sound packets");
    const c = f.connections[0]!;
    const ours = c.received.find((p) => p.type === "hello")!.items[1] as Map<string, unknown>;
    assert.equal(ours.get("sound.receive"), true);
    assert.ok(ours.get("audio") instanceof Map);
    assert.deepEqual(c.received.find((p) => p.type === "sound-control")?.items, ["sound-control", "start", "opus"]);
    assert.deepEqual(played, [160]);
    assert.equal(stream.stats.refused, 5);
    assert.equal(s.stats.handlerErrors, 0);
    assert.equal(s.state.state, "open");
  });

  it("close() sends a disconnect and ends without reconnecting", async () => {
    const f = await fake(answering((c) => c.socket.write(hello())));
    const { s } = session(f.path, { reconnect: { maxAttempts: 3, baseDelayMs: 20 } });
    await waitFor(() => s.state.state === "open", 5000, "open");
    s.close();
    assert.equal(closedReason(s), "client request");
    const c = f.connections[0];
    assert.ok(c);
    const d = await c.next("disconnect");
    assert.equal(d.items[1], "client request");
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(f.connections.length, 1);
  });

  it("a silent link after the hello is declared dead", async () => {
    const f = await fake(answering((c) => c.socket.write(hello())));
    const { s } = session(f.path, { pingIntervalMs: 50, deadAfterMs: 200 });
    await waitFor(() => s.state.state === "closed", 5000, "the dead link");
    assert.match(closedReason(s), /no data from the server for \d+ ms/);
  });
});
