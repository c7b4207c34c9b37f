/**
 * A unix-socket relay in front of a server socket, as the sidecar relays the browser's websocket
 * to Xpra's socket: tests drop every relayed connection (the link dies without a disconnect
 * packet) and refuse new ones for a while, to see the Session reconnect to the same server.
 */
import * as net from "node:net";

export interface Relay {
  readonly path: string;
  /** Connections accepted so far. */
  readonly accepted: number;
  /** Destroys every relayed connection, both sides. */
  dropAll(): void;
  /** While refusing, new connections are closed at once. */
  setRefusing(refusing: boolean): void;
  close(): Promise<void>;
}

export function startRelay(listenPath: string, targetPath: string): Promise<Relay> {
  const pairs = new Set<[net.Socket, net.Socket]>();
  let refusing = false;
  let accepted = 0;
  const server = net.createServer((client) => {
    if (refusing) {
      client.destroy();
      return;
    }
    accepted++;
    const upstream = net.connect(targetPath);
    const pair: [net.Socket, net.Socket] = [client, upstream];
    pairs.add(pair);
    const end = (): void => {
      pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    client.pipe(upstream);
    upstream.pipe(client);
    client.on("error", end).on("close", end);
    upstream.on("error", end).on("close", end);
  });
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(listenPath, () =>
      resolve({
        path: listenPath,
        get accepted() {
          return accepted;
        },
        dropAll() {
          for (const [a, b] of [...pairs]) {
            a.destroy();
            b.destroy();
          }
          pairs.clear();
        },
        setRefusing(r) {
          refusing = r;
        },
        close() {
          for (const [a, b] of [...pairs]) {
            a.destroy();
            b.destroy();
          }
          return new Promise<void>((res) => server.close(() => res()));
        },
      }),
    );
  });
}
