/**
 * The speaker stream's protocol (src/audio/stream.ts) with a fake player: the start after the
 * server's hello (3.1's flat and 6.5's nested encoders, as each sends them: 3.1 in byte strings),
 * start-of-stream / data / end-of-stream as each version shapes them (3.1: "" and a raw chunk,
 * 6.5: () and inline bytes), mute and unmute, restarts, and malformed packets refused without a
 * throw; then the same packets through a real Session's loop.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { AudioStream, MAX_OPUS_PACKET, type AudioPlayer } from "../src/audio/stream.js";
import { Caps } from "../src/session/index.js";
import type { Encodable, Value } from "../src/protocol/index.js";
import { Rng } from "./helpers/random.js";
import { randomValue } from "./helpers/generate.js";

const enc = (s: string) => new TextEncoder().encode(s);

class FakePlayer implements AudioPlayer {
  readonly calls: string[] = [];
  readonly packets: Uint8Array[] = [];
  throwOnData = false;
  start(): void {
    this.calls.push("start");
  }
  data(p: Uint8Array): void {
    if (this.throwOnData) throw new Error("player broke");
    this.calls.push(`data ${p.length}`);
    this.packets.push(p);
  }
  end(): void {
    this.calls.push("end");
  }
}

function setup(extra: { restartDelayMs?: number; maxRestarts?: number } = {}) {
  const sent: Encodable[][] = [];
  const logs: string[] = [];
  const player = new FakePlayer();
  const stream = new AudioStream({ send: (p) => void sent.push([...p]), player, log: (m) => void logs.push(m), ...extra });
  return { sent, logs, player, stream };
}

const hello31 = new Caps(new Map<string, Value>([["sound.encoders", [enc("vorbis+mka"), enc("opus+ogg"), enc("opus")]], ["sound.send", true]]));
const hello65 = new Caps(new Map<string, Value>([["audio", new Map<string, Value>([["encoders", ["opus", "flac", "wav"]], ["send", true]])]]));
const meta = (o: Record<string, Value>) => new Map<string, Value>(Object.entries(o));

// 3.1: bytes for text, "" for an empty data item; 6.5: text, an empty tuple (a list).
const sos31: Value[] = ["sound-data", enc("opus"), enc(""), meta({ "start-of-stream": true, codec: enc("opus"), sequence: 0 })];
const sos65: Value[] = ["sound-data", "opus", [], meta({ "start-of-stream": true, codec: "opus", sequence: 0 })];
const data = (n: number, seq = 0, codec: Value = "opus"): Value[] => ["sound-data", codec, new Uint8Array(n).fill(0xfc), meta({ timestamp: 1, duration: 20_000_000, sequence: seq }), []];
const eos = (seq = 0): Value[] => ["sound-data", "opus", [], meta({ "end-of-stream": true, sequence: seq })];

describe("audio stream", () => {
  it("starts raw opus after a 3.1 hello and plays its packets (start, data, end)", () => {
    const { sent, player, stream } = setup();
    assert.equal(stream.serverHello(hello31), true);
    assert.deepEqual(sent, [["sound-control", "start", "opus"]]);
    assert.equal(stream.state, "starting");
    stream.packet(data(100)); // before its start-of-stream: refused
    stream.packet(sos31);
    stream.packet(data(160));
    stream.packet(["sound-data", enc("opus"), new Uint8Array(3), meta({ sequence: 0 })]); // 3.1 without packet_metadata
    stream.packet(eos(0));
    assert.deepEqual(player.calls, ["start", "data 160", "data 3", "end"]);
    assert.deepEqual(stream.stats, { packets: 5, refused: 1, bytes: 163, streams: 1 });
  });

  it("starts after a 6.5 hello (nested audio.encoders) and plays its packets", () => {
    const { sent, player, stream } = setup();
    assert.equal(stream.serverHello(hello65), true);
    assert.deepEqual(sent, [["sound-control", "start", "opus"]]);
    stream.packet(sos65);
    stream.packet(data(120));
    assert.deepEqual(player.calls, ["start", "data 120"]);
    assert.equal(stream.state, "playing");
  });

  it("a server without raw opus (or without sound) gets no start", () => {
    for (const caps of [new Map<string, Value>([["sound.encoders", [enc("mp3"), enc("opus+ogg")]]]), new Map<string, Value>(), new Map<string, Value>([["audio", "opus"]])]) {
      const { sent, stream, logs } = setup();
      assert.equal(stream.serverHello(new Caps(caps)), false);
      assert.deepEqual(sent, []);
      assert.equal(stream.state, "off");
      assert.match(logs.join("\n"), /no sound/);
    }
  });

  it("mute stops the server's stream and silences at once; unmute starts it again", () => {
    const { sent, player, stream } = setup();
    stream.serverHello(hello65);
    stream.packet(sos65);
    stream.packet(data(50));
    stream.setMuted(true);
    assert.deepEqual(sent.at(-1), ["sound-control", "stop"]);
    assert.equal(stream.state, "muted");
    stream.packet(data(50)); // late data of the stopped stream
    stream.setMuted(false);
    assert.deepEqual(sent.at(-1), ["sound-control", "start", "opus"]);
    stream.packet(eos(0)); // the stopped stream's end arrives after the new start: not ours
    assert.equal(stream.state, "starting");
    stream.packet(["sound-data", "opus", [], meta({ "start-of-stream": true, sequence: 1 })]);
    stream.packet(data(70, 0)); // old sequence
    stream.packet(data(80, 1));
    assert.deepEqual(player.calls, ["start", "data 50", "end", "start", "data 80"]);
    assert.equal(sent.length, 3);
  });

  it("muted before the hello: no start until unmuted", () => {
    const { sent, stream } = setup();
    stream.setMuted(true);
    assert.equal(stream.serverHello(hello31), false);
    assert.deepEqual(sent, []);
    stream.setMuted(false);
    assert.deepEqual(sent, [["sound-control", "start", "opus"]]);
  });

  it("an end we did not ask for restarts after a back-off, a bounded number of times", async () => {
    const { sent, stream, logs } = setup({ restartDelayMs: 5, maxRestarts: 2 });
    stream.serverHello(hello31);
    for (let i = 0; i < 3; i++) {
      stream.packet(eos(-1)); // the server refused the start at once
      await new Promise((r) => setTimeout(r, 40));
    }
    assert.equal(sent.filter((p) => p[1] === "start").length, 3, "the first start and two restarts");
    assert.match(logs.join("\n"), /not restarted/);
  });

  it("the connection's loss ends the stream; the next hello starts a new one", () => {
    const { sent, player, stream } = setup();
    stream.serverHello(hello65);
    stream.packet(sos65);
    stream.connectionLost();
    assert.equal(stream.state, "off");
    stream.packet(data(10));
    stream.serverHello(hello65);
    stream.packet(sos65);
    stream.packet(data(10));
    assert.deepEqual(player.calls, ["start", "end", "start", "data 10"]);
    assert.equal(sent.length, 2);
  });

  it("malformed packets are refused and counted, never thrown, never handed on", () => {
    const { player, stream } = setup();
    stream.serverHello(hello65);
    stream.packet(sos65);
    const bad: Value[][] = [
      ["sound-data"],
      ["sound-data", "opus", new Uint8Array(4)],
      ["sound-data", "opus", new Uint8Array(4), null],
      ["sound-data", "opus", new Uint8Array(4), "meta"],
      ["sound-data", "opus", new Uint8Array(4), [1, 2]],
      ["sound-data", "opus", new Uint8Array(4), meta({}), [], "sixth"],
      ["sound-data", "mp3", new Uint8Array(4), meta({})],
      ["sound-data", "opus+ogg", new Uint8Array(4), meta({})],
      ["sound-data", new Uint8Array(1 << 20), new Uint8Array(4), meta({})],
      ["sound-data", 7, new Uint8Array(4), meta({})],
      ["sound-data", "opus", "text", meta({})],
      ["sound-data", "opus", new Uint8Array(0), meta({})],
      ["sound-data", "opus", new Uint8Array(MAX_OPUS_PACKET + 1), meta({})],
      ["sound-data", "opus", [1, 2, 3], meta({})],
      ["sound-data", "opus", new Uint8Array(4), meta({ sequence: 9 })],
      ["sound-data", "opus", [], meta({ "end-of-stream": true, sequence: 5 })],
      ["sound-data", "opus", new Uint8Array(4), meta({ __proto__: true, constructor: "x", sequence: 2n ** 70n })],
    ];
    for (const p of bad) assert.doesNotThrow(() => stream.packet(p));
    assert.deepEqual(player.calls, ["start", "data 4"], "only the last one (an out-of-range sequence reads as none)");
    assert.equal(stream.stats.refused, bad.length - 1);
    stream.packet(data(MAX_OPUS_PACKET));
    assert.equal(player.calls.at(-1), `data ${MAX_OPUS_PACKET}`);
  });

  it("the player gets a copy; a player that throws is caught and counted", () => {
    const { player, stream, logs } = setup();
    stream.serverHello(hello31);
    stream.packet(sos31);
    const bytes = new Uint8Array([1, 2, 3]);
    stream.packet(["sound-data", "opus", bytes, meta({ sequence: 0 })]);
    bytes[0] = 9;
    assert.equal(player.packets[0]?.[0], 1);
    player.throwOnData = true;
    assert.doesNotThrow(() => stream.packet(data(10)));
    assert.equal(stream.stats.refused, 1);
    assert.match(logs.join("\n"), /player broke/);
  });

  it("random packets (seeded): never a throw, data handed on only as bounded byte strings", () => {
    const rng = new Rng(22);
    const { player, stream } = setup();
    stream.serverHello(hello65);
    for (let i = 0; i < 3000; i++) {
      const items: Value[] = ["sound-data"];
      const n = rng.int(6);
      for (let j = 0; j < n; j++) items.push(randomValue(rng, rng.pick(["rencodeplus", "rencode"] as const))[1]);
      if (rng.int(2) === 0 && items.length > 3) {
        items[1] = "opus";
        items[3] = meta(rng.int(4) === 0 ? { "start-of-stream": true } : { sequence: rng.int(3) - 1 });
        if (rng.int(2) === 0) items[2] = rng.bytes(rng.int(300));
      }
      assert.doesNotThrow(() => stream.packet(items));
    }
    for (const p of player.packets) assert.ok(p instanceof Uint8Array && p.length > 0 && p.length <= MAX_OPUS_PACKET);
    assert.equal(stream.stats.packets, 3000);
  });
});
