/**
 * A scripted fake Xpra server on a unix socket, for faults a real server never produces:
 * garbage, truncated or oversized records, a hello that is not a map, silence. Each accepted
 * connection runs `script` with the socket and the client's packets as they arrive.
 */
import * as fs from "node:fs";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { PacketReader } from "../../../src/protocol/index.js";
import type { Packet } from "../../../src/protocol/index.js";

export interface FakeConnection {
  readonly socket: net.Socket;
  /** Packets the client sent so far (decoded with every encoder allowed). */
  readonly received: Packet[];
  /** Resolves with the first packet of this type from the client. */
  next(type: string, timeoutMs?: number): Promise<Packet>;
}

export interface FakeServer {
  readonly path: string;
  readonly connections: FakeConnection[];
  close(): Promise<void>;
}

export function startFakeServer(script: (c: FakeConnection) => void | Promise<void>): Promise<FakeServer> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "fl-fake-xpra-"));
  const sockPath = path.join(dir, "fake.sock");
  const connections: FakeConnection[] = [];
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
    socket.on("error", () => undefined);
    const reader = new PacketReader({ encoders: ["rencodeplus", "rencode", "bencode"] });
    const received: Packet[] = [];
    const waiters: Array<() => void> = [];
    socket.on("data", (d: Buffer) => {
      const { packets } = reader.feed(new Uint8Array(d));
      received.push(...packets);
      for (const w of waiters.splice(0)) w();
    });
    const conn: FakeConnection = {
      socket,
      received,
      next(type, timeoutMs = 5000) {
        return new Promise((resolve, reject) => {
          const timer = setTimeout(() => reject(new Error(`fake server: no ${type} from the client`)), timeoutMs);
          const check = (): void => {
            const p = received.find((x) => x.type === type);
            if (p) {
              clearTimeout(timer);
              resolve(p);
            } else waiters.push(check);
          };
          check();
        });
      },
    };
    connections.push(conn);
    void Promise.resolve()
      .then(() => script(conn))
      .catch(() => socket.destroy());
  });
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(sockPath, () =>
      resolve({
        path: sockPath,
        connections,
        close() {
          for (const s of sockets) s.destroy();
          return new Promise<void>((res) =>
            server.close(() => {
              fs.rmSync(dir, { recursive: true, force: true });
              res();
            }),
          );
        },
      }),
    );
  });
}
