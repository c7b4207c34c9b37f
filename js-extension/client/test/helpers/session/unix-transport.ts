/**
 * A Transport over a raw unix socket, for node tests: Xpra's unix socket speaks the raw
 * protocol, the same bytes the browser's websocket carries through the sidecar's relay.
 */
import * as net from "node:net";
import type { TransportFactory } from "../../../src/session/index.js";

export function unixTransport(path: string): TransportFactory {
  return (events) => {
    let done = false;
    const sock = net.connect(path);
    const finish = (reason: string): void => {
      if (done) return;
      done = true;
      sock.destroy();
      events.onClose(reason);
    };
    sock.on("connect", () => {
      if (!done) events.onOpen();
    });
    sock.on("data", (d: Buffer) => {
      if (!done) events.onBytes(new Uint8Array(d.buffer, d.byteOffset, d.length));
    });
    sock.on("error", (e: Error) => finish(`socket error: ${e.message}`));
    sock.on("close", () => finish("socket closed"));
    return {
      send(data) {
        if (!done) sock.write(data);
      },
      close() {
        done = true;
        sock.end();
        // end() flushes what was written (the disconnect packet); never leave the fd behind.
        setTimeout(() => sock.destroy(), 1000).unref();
      },
    };
  };
}
