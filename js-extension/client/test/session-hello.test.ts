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
import { PYTHON_31 } from "./helpers/python.js";

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
