/**
 * Starts a real Xpra server (Debian's 3.1.3 or the 6.5 build) for node tests, with the flags
 * the product uses (crates/fl-session/src/command.rs) minus Firefox: a small X app instead, a
 * private temp dir for sockets, logs, XDG dirs and conf, --displayfd so Xvfb picks a free
 * display. stop() ends the whole process group and the groups of the X clients run() started,
 * then anything still carrying this server's marker in its environment (Xvfb leaves Xpra's
 * group), then removes the temp dir.
 *
 * Reusable by every layer's tests: `const s = await startXpra("6.5"); ... await s.stop();`
 */
import { spawn } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";

export type XpraVersion = "3.1" | "6.5";

export const XPRA_BINARIES: Record<XpraVersion, string> = {
  "3.1": "/usr/bin/xpra",
  "6.5": "/opt/xpra6/bin/xpra",
};

export interface XpraServer {
  readonly version: XpraVersion;
  /** The unix socket to connect to. */
  readonly socket: string;
  readonly dir: string;
  readonly pid: number;
  /** The X display, ":N". */
  readonly display: string;
  /** The server's environment (its marker included): what an X client in the session gets. */
  readonly env: Readonly<Record<string, string>>;
  /** Starts an X client on the display, in its own process group (ended by stop()). */
  run(command: string, args: readonly string[]): { child: ChildProcess; output: () => string };
  /** Everything the server printed so far. */
  output(): string;
  /** Resolves when the server process has exited (with its code or signal). */
  readonly exited: Promise<string>;
  stop(): Promise<void>;
}

export interface StartOptions {
  /** The X client Xpra starts and exits with (default: xmessage; null: none, the test runs its own). */
  readonly child?: string | null;
  /** Xvfb's screen, WIDTHxHEIGHT (default 1280x800). */
  readonly screen?: string;
  readonly extraArgs?: readonly string[];
  readonly env?: Readonly<Record<string, string>>;
  /** The server's xpra.conf (in its private conf directory), as the sidecar writes one. */
  readonly conf?: string;
  readonly readyTimeoutMs?: number;
}

export function xpraAvailable(version: XpraVersion): boolean {
  return fs.existsSync(XPRA_BINARIES[version]);
}

export async function startXpra(version: XpraVersion, o: StartOptions = {}): Promise<XpraServer> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `fl-xpra${version.replace(".", "")}-`));
  const marker = `fl-test-${randomBytes(8).toString("hex")}`;
  for (const d of ["sockets", "conf", "cache", "config", "data", "runtime"]) {
    fs.mkdirSync(path.join(dir, d), { mode: 0o700 });
  }
  if (o.conf !== undefined) fs.writeFileSync(path.join(dir, "conf", "xpra.conf"), o.conf, { mode: 0o600 });
  const socket = path.join(dir, "xpra.sock");
  const xauth = path.join(dir, "Xauthority");
  fs.writeFileSync(xauth, "", { mode: 0o600 });
  const args = [
    "start",
    `--bind=${socket}`,
    "--html=off",
    "--displayfd=3",
    "--terminate-children=yes",
    "--start-env=DBUS_SESSION_BUS_ADDRESS=disabled:",
    "--dbus-launch=",
    "--dbus-control=no",
    "--daemon=no",
    "--systemd-run=no",
    "--mdns=no",
    "--pulseaudio=no",
    "--notifications=no",
    "--speaker=off",
    "--microphone=off",
    "--webcam=no",
    "--printing=no",
    "--file-transfer=no",
    "--start-new-commands=no",
    "--open-files=no",
    "--open-url=no",
    "--clipboard=no",
    `--socket-dirs=${path.join(dir, "sockets")}`,
    `--log-dir=${dir}`,
    `--xvfb=Xvfb +extension Composite -screen 0 ${o.screen ?? "1280x800"}x24+32 -dpi 96 -nolisten tcp -noreset -auth ${xauth}`,
  ];
  const startChild = o.child === undefined ? "xmessage -geometry 320x120+10+10 session-test" : o.child;
  if (startChild !== null) args.push(`--start-child=${startChild}`, "--exit-with-children=yes");
  if (version === "3.1") args.push("--dbus-proxy=no");
  args.push(...(o.extraArgs ?? []));
  const env: Record<string, string> = {
    PATH: process.env["PATH"] ?? "/usr/bin:/bin",
    HOME: dir,
    LANG: "C.UTF-8",
    FL_SESSION_MARKER: marker,
    XAUTHORITY: xauth,
    XPRA_SYSTEM_CONF_DIRS: path.join(dir, "conf"),
    XPRA_USER_CONF_DIRS: path.join(dir, "conf"),
    XDG_CACHE_HOME: path.join(dir, "cache"),
    XDG_CONFIG_HOME: path.join(dir, "config"),
    XDG_DATA_HOME: path.join(dir, "data"),
    XDG_RUNTIME_DIR: path.join(dir, "runtime"),
    DBUS_SESSION_BUS_ADDRESS: "disabled:",
    ...o.env,
  };
  const child: ChildProcess = spawn(XPRA_BINARIES[version], args, {
    env,
    cwd: dir,
    detached: true, // its own process group, which stop() signals
    stdio: ["ignore", "pipe", "pipe", "pipe"],
  });
  let out = "";
  let display = "";
  child.stdout?.on("data", (d: Buffer) => (out += d.toString()));
  child.stderr?.on("data", (d: Buffer) => (out += d.toString()));
  (child.stdio[3] as NodeJS.ReadableStream | null)?.on("data", (d: Buffer) => (display += d.toString()));
  const exited = new Promise<string>((resolve) =>
    child.on("exit", (code, signal) => resolve(signal ? `signal ${signal}` : `code ${code}`)),
  );
  let exitedFlag = false;
  void exited.then(() => (exitedFlag = true));
  const pid = child.pid ?? -1;
  const clients: number[] = [];
  let stopped = false;
  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    for (const c of clients) signalGroup(c, "SIGKILL");
    await killGroup(pid, exited, () => exitedFlag);
    killMarked(marker, dir);
    // A grandchild that escaped anyway must not hold the test process open through our pipes.
    for (const stream of child.stdio) stream?.destroy();
    fs.rmSync(dir, { recursive: true, force: true });
  };
  const server: XpraServer = {
    version,
    socket,
    dir,
    pid,
    get display() {
      return `:${display.trim()}`;
    },
    env,
    run(command, argv) {
      const c = spawn(command, argv, { env: { ...env, DISPLAY: server.display }, detached: true, stdio: ["ignore", "pipe", "pipe"] });
      clients.push(c.pid ?? -1);
      let text = "";
      c.stdout?.on("data", (d: Buffer) => (text += d.toString()));
      c.stderr?.on("data", (d: Buffer) => (text += d.toString()));
      return { child: c, output: () => text };
    },
    output: () => out,
    exited,
    stop,
  };
  try {
    const deadline = Date.now() + (o.readyTimeoutMs ?? 60_000);
    while (!/xpra is ready/.test(out) || !(await connectable(socket))) {
      if (exitedFlag) throw new Error(`xpra ${version} exited before ready:\n${out.slice(-3000)}`);
      if (Date.now() > deadline) throw new Error(`xpra ${version} not ready in time:\n${out.slice(-3000)}`);
      await sleep(200);
    }
  } catch (e) {
    await stop();
    throw e;
  }
  return server;
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function connectable(socket: string): Promise<boolean> {
  return new Promise((resolve) => {
    if (!fs.existsSync(socket)) return resolve(false);
    const s = net.connect(socket);
    s.on("connect", () => {
      s.destroy();
      resolve(true);
    });
    s.on("error", () => resolve(false));
  });
}

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  if (pid <= 0) return;
  try {
    process.kill(-pid, signal);
  } catch {
    // ESRCH: already gone
  }
}

/** TERM to the group, up to 15 s for the leader to exit, then KILL to the group. */
async function killGroup(pid: number, exited: Promise<string>, gone: () => boolean): Promise<void> {
  if (pid <= 0) return;
  if (!gone()) {
    signalGroup(pid, "SIGTERM");
    await Promise.race([exited, sleep(15_000)]);
  }
  signalGroup(pid, "SIGKILL");
}

/**
 * Kills what this server left: Xvfb runs outside Xpra's group, and 6.5 starts it with a clean
 * environment (no marker), so a process also counts as ours when its command line or
 * environment names the server's private temp dir (Xvfb's -auth file is in it).
 */
function killMarked(marker: string, dir: string): void {
  const needle = `FL_SESSION_MARKER=${marker}`;
  for (const entry of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    let environ: string;
    let cmdline: string;
    try {
      environ = fs.readFileSync(`/proc/${entry}/environ`, "latin1");
      cmdline = fs.readFileSync(`/proc/${entry}/cmdline`, "latin1");
    } catch {
      continue;
    }
    if (environ.split("\0").includes(needle) || cmdline.includes(`${dir}/`) || environ.includes(`${dir}/`)) {
      try {
        process.kill(Number(entry), "SIGKILL");
      } catch {
        // gone meanwhile
      }
    }
  }
}
