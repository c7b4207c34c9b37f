/**
 * A real Xpra server for the input layer's tests, and a minimal client on its unix socket: hello,
 * map the windows it announces, send the packets under test, answer pings and draws. No session
 * layer: the protocol layer directly.
 *
 * The server is the session tests' (test/helpers/session/xpra-server.ts: the product's flags, its
 * own process group, a private temp dir, stop() ends it, its Xvfb and the X clients run() started)
 * with no X client of its own and the keyboard environment the product gives it.
 */
import { randomBytes } from "node:crypto";
import * as net from "node:net";
import { PacketReader, encodePacket } from "../../../src/protocol/index.js";
import type { Encodable, EncoderName, Key, Value } from "../../../src/protocol/index.js";
import { sleep, startXpra, xpraAvailable, XPRA_BINARIES, type XpraServer, type XpraVersion } from "../session/xpra-server.js";

export { sleep };
export type Version = XpraVersion;
export type Server = XpraServer;

/**
 * Environment the server needs besides the product's own. Xpra 6.5 looks for XKB's rules under
 * `sys.prefix/share/X11/xkb` unless XPRA_XKB_CONFIG_ROOT says otherwise; built into a venv
 * (/opt/xpra6) that is /opt/xpra6/share/X11/xkb, which does not exist, so every layout change
 * fails (the error path itself raises `TypeError: expected bytes, str found`, logged only as
 * "Warning: failed to set exact keymap") and the server stays on US. Debian's 3.1 runs from
 * /usr and has no such variable. `keyboardRoot: false` leaves it out (to see that failure).
 */
export const XKB_CONFIG_ROOT = "/usr/share/X11/xkb";

export interface ServerOptions {
  /** Set XPRA_XKB_CONFIG_ROOT for 6.5 (default true). */
  readonly keyboardRoot?: boolean;
}

export async function startServer(version: Version, extraArgs: string[] = [], options: ServerOptions = {}): Promise<Server> {
  if (!xpraAvailable(version)) {
    throw new Error(`no Xpra ${version} at ${XPRA_BINARIES[version]}: ${version === "3.1" ? "scripts/install-system-deps" : "scripts/install-xpra6"}`);
  }
  return startXpra(version, {
    child: null, // the test runs its X client (xev) itself
    screen: "1024x768",
    extraArgs,
    env: {
      XPRA_XKB: "1", // as the product (crates/fl-session/src/command.rs): 3.1 reads AltGr levels through XKB
      ...(version === "6.5" && options.keyboardRoot !== false ? { XPRA_XKB_CONFIG_ROOT: XKB_CONFIG_ROOT } : {}),
    },
  });
}

/** A received packet: its type and items. */
export interface Received {
  readonly type: string;
  readonly items: Value[];
}

/** The minimal client: hello with the caps given, windows mapped as announced, pings answered. */
export class Client {
  readonly received: Received[] = [];
  hello: Map<Key, Value> | null = null;
  readonly windows: number[] = [];
  private readonly socket: net.Socket;
  private readonly reader: PacketReader;
  private readonly encoder: EncoderName;
  private error: string | null = null;
  onPacket: ((p: Received) => void) | null = null;

  private constructor(socket: net.Socket, encoder: EncoderName) {
    this.socket = socket;
    this.encoder = encoder;
    this.reader = new PacketReader({ encoders: ["rencodeplus", "rencode", "bencode"] });
    socket.on("data", (d: Buffer) => {
      const { packets, error } = this.reader.feed(new Uint8Array(d.buffer, d.byteOffset, d.length));
      for (const p of packets) this.handle({ type: p.type, items: p.items });
      if (error) this.error = error.message;
    });
    socket.on("error", e => (this.error = e.message));
  }

  static async connect(server: Server, caps: Record<string, Encodable>): Promise<Client> {
    const encoder: EncoderName = server.version === "3.1" ? "rencode" : "rencodeplus";
    const socket = net.connect(server.socket);
    await new Promise<void>((resolve, reject) => { socket.once("connect", resolve); socket.once("error", reject); });
    const client = new Client(socket, encoder);
    const hello: Record<string, Encodable> = {
      version: server.version === "3.1" ? "3.1.3" : "6.5.5", client_type: "firefox-launcher-test",
      uuid: randomBytes(16).toString("hex"), encoders: [encoder], [encoder]: true, compressors: ["lz4"], lz4: true,
      share: false, steal: true, windows: true, encodings: ["rgb", "png"], encoding: "rgb",
      "encodings.core": ["rgb32", "rgb24", "png"], "encoding.rgb_lz4": true, "encoding.transparency": false,
      desktop_size: [1024, 768], screen_sizes: [], dpi: 96, "notifications": false, "sound.receive": false,
      "sound.send": false, ...caps
    };
    socket.write(encodePacket(["hello", hello], encoder));
    await client.waitFor(() => client.hello !== null, 20_000, "the server's hello");
    return client;
  }

  send(packet: Encodable[]): void {
    this.socket.write(encodePacket(packet, this.encoder));
  }

  async waitFor(ok: () => boolean, ms: number, what: string): Promise<void> {
    const deadline = Date.now() + ms;
    while (!ok()) {
      if (this.error !== null) throw new Error(`connection failed while waiting for ${what}: ${this.error}`);
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; got ${this.received.map(r => r.type).join(",")}`);
      await sleep(50);
    }
  }

  close(): void {
    this.socket.destroy();
  }

  private handle(p: Received): void {
    this.received.push(p);
    const it = p.items;
    switch (p.type) {
      case "hello":
        this.hello = it[1] instanceof Map ? it[1] : new Map();
        break;
      case "new-window":
        if (typeof it[1] === "number") {
          this.windows.push(it[1]);
          this.send(["map-window", it[1], it[2] as number, it[3] as number, it[4] as number, it[5] as number, {}]);
        }
        break;
      case "draw":
        // Acknowledge so the server keeps sending (damage-sequence: seq, wid, w, h, decode time).
        this.send(["damage-sequence", it[8] as number, it[1] as number, it[4] as number, it[5] as number, 0, ""]);
        break;
      case "ping":
        this.send(["ping_echo", it[1] as number, 0, 0, 0, 0]);
        break;
      default:
        break;
    }
    this.onPacket?.(p);
  }
}
