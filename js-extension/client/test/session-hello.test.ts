/**
 * What our hello makes Xpra do, read by Xpra's own code where it decides.
 *
 * Issue 21: Xpra 3.1 wrote every chunk of a packet (a picture's data, then the draw packet) as its
 * own websocket frame for our client, because a client_type "HTML5" that does not announce
 * "websocket.multi-packet" is taken for an old client (xpra/net/websockets/protocol.py). Behind
 * jupyter-server-proxy each frame became its own TCP write, and Nagle + delayed ACK held the
 * second ~40 ms: our key-to-photon was 68 ms against Debian's client's 28 (bench, 1280×800).
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { describe, it } from "node:test";
import { sessionCapabilities } from "../src/session/hello.js";
import { PYTHON_31, PYTHON_65 } from "./helpers/python.js";

const hello = (clientType = "HTML5") =>
  sessionCapabilities({ encoder: "rencode", uuid: "u", version: "3.1", clientType });

// Xpra 3.1's WebSocketProtocol.parse_remote_caps on the caps given as JSON on stdin; prints
// whether it chose one websocket frame per chunk (the slow legacy mode).
const LEGACY_31 = `
import json, sys
from xpra.util import typedict
from xpra.net.protocol import Protocol
from xpra.net.websockets.protocol import WebSocketProtocol
Protocol.parse_remote_caps = lambda self, caps: None  # aliases only; needs a live protocol
p = WebSocketProtocol.__new__(WebSocketProtocol)
p.legacy_frame_per_chunk = True
WebSocketProtocol.parse_remote_caps(p, typedict(json.load(sys.stdin)))
print(json.dumps(p.legacy_frame_per_chunk))
`;

function legacyFramesOn31(caps: Record<string, unknown>): boolean {
  const out = execFileSync(PYTHON_31, ["-c", LEGACY_31], {
    input: JSON.stringify(caps),
    stdio: ["pipe", "pipe", "pipe"], // Xpra warns about legacy frames on stderr
  });
  return JSON.parse(out.toString("utf8")) as boolean;
}

describe("session hello", () => {
  it("announces websocket.multi-packet (one frame per packet; our transport reads a byte stream)", () => {
    assert.equal(hello()["websocket.multi-packet"], true);
  });

  it("Xpra 3.1 sends our client one websocket frame per packet, not one per chunk", () => {
    // positive control: Xpra's own rule still picks legacy frames for an HTML5 client without it
    const without = { ...hello() } as Record<string, unknown>;
    delete without["websocket.multi-packet"];
    assert.equal(legacyFramesOn31(without), true);
    assert.equal(legacyFramesOn31(hello()), false);
  });
});

// Issue 22: the sound keys, read by each version's own parser (3.1: AudioMixin.parse_client_caps
// on flat keys; 6.5: AudioConnection.is_needed, which decides whether the connection has audio at
// all, and its parse_client_caps on the nested map).
const AUDIO_31 = `
import json, sys
from xpra.util import typedict
from xpra.server.source.audio_mixin import AudioMixin
c = typedict(json.load(sys.stdin))
m = AudioMixin.__new__(AudioMixin)
AudioMixin.parse_client_caps(m, c)
print(json.dumps({"receive": m.sound_receive, "send": m.sound_send, "decoders": list(m.sound_decoders),
                  "bundle": m.sound_bundle_metadata, "wants_sound": m.wants_sound}))
`;
const AUDIO_65 = `
import json, sys
from xpra.util.objects import typedict
from xpra.server.source.audio import AudioConnection
c = typedict(json.load(sys.stdin))
m = AudioConnection.__new__(AudioConnection)
needed = AudioConnection.is_needed(c)
AudioConnection.parse_client_caps(m, c)
print(json.dumps({"needed": needed, "receive": m.audio_receive, "send": m.audio_send, "decoders": list(m.audio_decoders)}))
`;

function parsedBy(python: string, script: string, caps: Record<string, unknown>): Record<string, unknown> {
  const out = execFileSync(python, ["-c", script], { input: JSON.stringify(caps), stdio: ["pipe", "pipe", "pipe"] });
  return JSON.parse(out.toString("utf8")) as Record<string, unknown>;
}

const withAudio = (encoder: "rencode" | "rencodeplus", audio: boolean) =>
  sessionCapabilities({ encoder, uuid: "u", version: "5.0", clientType: "HTML5", audio });

const SOUND_KEYS = ["sound.receive", "sound.send", "sound.decoders", "sound.bundle-metadata", "speaker", "microphone", "audio", "wants"];
const soundKeys = (caps: Record<string, unknown>) => Object.fromEntries(SOUND_KEYS.filter((k) => k in caps).map((k) => [k, caps[k]]));

describe("session hello: sound (issue 22)", () => {
  for (const encoder of ["rencode", "rencodeplus"] as const) {
    it(`${encoder}: audio off says no in 3.1's keys and gives 6.5 nothing to enable audio with`, () => {
      assert.deepEqual(soundKeys(withAudio(encoder, false)), { "sound.receive": false, "sound.send": false, speaker: false, microphone: false });
      assert.deepEqual(soundKeys(hello()), soundKeys(withAudio(encoder, false)), "off is the default");
    });
    it(`${encoder}: audio on sends both versions' forms, receive only, raw opus`, () => {
      assert.deepEqual(soundKeys(withAudio(encoder, true)), {
        "sound.receive": true,
        "sound.send": false,
        "sound.decoders": ["opus"],
        "sound.bundle-metadata": true,
        speaker: true,
        microphone: false,
        audio: { receive: true, send: false, decoders: ["opus"] },
        // 6.5's default wants, plus audio (a list we send replaces its default)
        wants: ["encodings", "versions", "features", "display", "packet-types", "audio"],
      });
    });
  }

  it("Xpra 3.1 reads our flat keys: receive opus with bundled metadata, send nothing", () => {
    assert.deepEqual(parsedBy(PYTHON_31, AUDIO_31, withAudio("rencode", true)), { receive: true, send: false, decoders: ["opus"], bundle: true, wants_sound: true });
    assert.deepEqual(parsedBy(PYTHON_31, AUDIO_31, withAudio("rencode", false)), { receive: false, send: false, decoders: [], bundle: false, wants_sound: true });
  });

  it("Xpra 6.5 gives the connection audio only when on, and reads the nested map", () => {
    assert.deepEqual(parsedBy(PYTHON_65, AUDIO_65, withAudio("rencodeplus", true)), { needed: true, receive: true, send: false, decoders: ["opus"] });
    assert.deepEqual(parsedBy(PYTHON_65, AUDIO_65, withAudio("rencodeplus", false)), { needed: false, receive: false, send: false, decoders: [] });
    // each map alone is enough (wants, or a receiving audio map)
    const onlyMap = { ...withAudio("rencodeplus", true) } as Record<string, unknown>;
    delete onlyMap["wants"];
    assert.equal(parsedBy(PYTHON_65, AUDIO_65, onlyMap)["needed"], true);
  });
});
