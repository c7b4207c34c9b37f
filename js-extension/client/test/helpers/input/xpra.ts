/**
 * A real Xpra server for the input layer's tests, and a minimal client on its unix socket: hello,
 * map the windows it announces, send the packets under test, answer pings and draws. No session
 * layer (written in parallel): the protocol layer directly.
 *
 * The server runs as the product runs it (crates/fl-session/src/command.rs), in its own process
 * group, with a private temp dir for sockets, logs and the X authority; stop() ends the group,
 * then anything still carrying this run's marker in its environment (Xvfb leaves Xpra's group),
 * then removes the dir. X clients the test starts (xev) carry the marker too.
 */
import { spawn } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { PacketReader, encodePacket } from "../../../src/protocol/index.js";
import type { Encodable, EncoderName, Key, Value } from "../../../src/protocol/index.js";

export type Version = "3.1" | "6.5";
export const XPRA: Record<Version, string> = { "3.1": "/usr/bin/xpra", "6.5": "/opt/xpra6/bin/xpra" };

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

export const sleep = (ms: number): Promise<void> => new Promise(r => setTimeout(r, ms));

export interface Server {
  readonly version: Version;
  readonly socket: string;
  readonly display: string;
  readonly env: Record<string, string>;
  output(): string;
  /** Starts an X client on the server's display (its own process group, killed by stop()). */
  run(command: string, args: string[]): { child: ChildProcess; output: () => string };
  stop(): Promise<void>;
}

export async function startServer(version: Version, extraArgs: string[] = [], options: ServerOptions = {}): Promise<Server> {
  if (!fs.existsSync(XPRA[version])) {
    throw new Error(`no Xpra ${version} at ${XPRA[version]}: ${version === "3.1" ? "scripts/install-system-deps" : "scripts/install-xpra6"}`);
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "fl-input-xpra-"));
  const marker = `fl-input-${randomBytes(8).toString("hex")}`;
  for (const d of ["sockets", "conf", "runtime", "cache", "config", "data"]) {
    fs.mkdirSync(path.join(dir, d), { mode: 0o700 });
  }
  const socket = path.join(dir, "xpra.sock");
  const xauth = path.join(dir, "Xauthority");
  fs.writeFileSync(xauth, "", { mode: 0o600 });
  const args = [
    "start", `--bind=${socket}`, "--html=off", "--displayfd=3", "--daemon=no", "--systemd-run=no",
    "--mdns=no", "--pulseaudio=no", "--notifications=no", "--speaker=off", "--microphone=off", "--webcam=no",
    "--printing=no", "--file-transfer=no", "--start-new-commands=no", "--open-files=no", "--open-url=no",
    "--dbus-launch=", "--dbus-control=no", "--start-env=DBUS_SESSION_BUS_ADDRESS=disabled:",
    `--socket-dirs=${path.join(dir, "sockets")}`, `--log-dir=${dir}`,
    `--xvfb=Xvfb +extension Composite -screen 0 1024x768x24+32 -dpi 96 -nolisten tcp -noreset -auth ${xauth}`,
    ...(version === "3.1" ? ["--dbus-proxy=no"] : []),
    ...extraArgs
  ];
  const env: Record<string, string> = {
    PATH: process.env["PATH"] ?? "/usr/bin:/bin", HOME: dir, LANG: "C.UTF-8", FL_INPUT_MARKER: marker,
    XAUTHORITY: xauth, XPRA_SYSTEM_CONF_DIRS: path.join(dir, "conf"), XPRA_USER_CONF_DIRS: path.join(dir, "conf"),
    XDG_RUNTIME_DIR: path.join(dir, "runtime"), XDG_CACHE_HOME: path.join(dir, "cache"),
    XDG_CONFIG_HOME: path.join(dir, "config"), XDG_DATA_HOME: path.join(dir, "data"), DBUS_SESSION_BUS_ADDRESS: "disabled:",
    XPRA_XKB: "1", // as the product (crates/fl-session/src/command.rs): 3.1 reads AltGr levels through XKB
    ...(version === "6.5" && options.keyboardRoot !== false ? { XPRA_XKB_CONFIG_ROOT: XKB_CONFIG_ROOT } : {})
  };
  const child = spawn(XPRA[version], args, { env, cwd: dir, detached: true, stdio: ["ignore", "pipe", "pipe", "pipe"] });
  let out = "";
  let display = "";
  child.stdout?.on("data", (d: Buffer) => (out += d.toString()));
  child.stderr?.on("data", (d: Buffer) => (out += d.toString()));
  (child.stdio[3] as NodeJS.ReadableStream | null)?.on("data", (d: Buffer) => (display += d.toString()));
  let exited = false;
  const exit = new Promise<void>(resolve => child.on("exit", () => { exited = true; resolve(); }));
  const groups: number[] = [child.pid ?? -1];
  let stopped = false;
  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    for (const pid of groups.slice(1)) signalGroup(pid, "SIGKILL");
    signalGroup(groups[0]!, "SIGTERM");
    await Promise.race([exit, sleep(15_000)]);
    signalGroup(groups[0]!, "SIGKILL");
    killMarked(marker);
    fs.rmSync(dir, { recursive: true, force: true });
  };
  const xenv = { ...env };
  const server: Server = {
    version, socket, env: xenv,
    get display() { return `:${display.trim()}`; },
    output: () => out,
    run(command, argv) {
      const c = spawn(command, argv, { env: { ...xenv, DISPLAY: `:${display.trim()}` }, detached: true, stdio: ["ignore", "pipe", "pipe"] });
      groups.push(c.pid ?? -1);
      let text = "";
      c.stdout?.on("data", (d: Buffer) => (text += d.toString()));
      c.stderr?.on("data", (d: Buffer) => (text += d.toString()));
      return { child: c, output: () => text };
    },
    stop
  };
  try {
    const deadline = Date.now() + 60_000;
    while (!/xpra is ready/.test(out) || !(await connectable(socket))) {
      if (exited) throw new Error(`xpra ${version} exited:\n${out.slice(-3000)}`);
      if (Date.now() > deadline) throw new Error(`xpra ${version} not ready:\n${out.slice(-3000)}`);
      await sleep(200);
    }
  } catch (e) {
    await stop();
    throw e;
  }
  return server;
}

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  if (pid <= 0) return;
  try {
    process.kill(-pid, signal);
  } catch {
    // ESRCH: gone already
  }
}

function killMarked(marker: string): void {
  const needle = `FL_INPUT_MARKER=${marker}`;
  for (const entry of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      if (fs.readFileSync(`/proc/${entry}/environ`, "latin1").split("\0").includes(needle)) {
        process.kill(Number(entry), "SIGKILL");
      }
    } catch {
      // gone, or not ours to read
    }
  }
}

function connectable(socket: string): Promise<boolean> {
  return new Promise(resolve => {
    if (!fs.existsSync(socket)) return resolve(false);
    const s = net.connect(socket);
    s.on("connect", () => { s.destroy(); resolve(true); });
    s.on("error", () => resolve(false));
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
