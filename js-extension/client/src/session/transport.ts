/**
 * The byte pipe under a Session, and its browser implementation.
 *
 * A Session never touches a socket: it is given a factory that opens one connection and reports
 * to three callbacks. The browser uses a WebSocket to the sidecar's relay (which forwards to
 * Xpra's unix socket); node tests plug in a raw unix-socket transport. A factory rather than a
 * transport so that reconnecting opens a fresh one.
 */

export interface TransportEvents {
  /** The pipe is ready: the Session sends its hello now. */
  onOpen(): void;
  /** Bytes in (any slicing: records may be split or merged). */
  onBytes(data: Uint8Array): void;
  /** The pipe is gone (called at most once; never after close() was called by the Session). */
  onClose(reason: string): void;
}

export interface Transport {
  send(data: Uint8Array): void;
  /** Closes the pipe; no callback fires after it. */
  close(): void;
}

export type TransportFactory = (events: TransportEvents) => Transport;

/**
 * A WebSocket transport: binary frames, subprotocol "binary" (what Xpra's websocket upgrade
 * expects). Errors surface as onClose with the close code, never as a throw.
 */
export function webSocketTransport(url: string): TransportFactory {
  return (events) => {
    let done = false;
    const finish = (reason: string): void => {
      if (done) return;
      done = true;
      events.onClose(reason);
    };
    let ws: WebSocket;
    try {
      ws = new WebSocket(url, ["binary"]);
    } catch (e) {
      // A bad URL throws synchronously: report it as a close, after the caller has the handle.
      const reason = `cannot open websocket: ${e instanceof Error ? e.message : "error"}`;
      queueMicrotask(() => finish(reason));
      return { send: () => undefined, close: () => void (done = true) };
    }
    ws.binaryType = "arraybuffer";
    ws.onopen = () => {
      if (!done) events.onOpen();
    };
    ws.onmessage = (e: MessageEvent) => {
      if (done) return;
      if (e.data instanceof ArrayBuffer) events.onBytes(new Uint8Array(e.data));
    };
    ws.onerror = () => undefined; // onclose follows with the code
    ws.onclose = (e: CloseEvent) => finish(`websocket closed (code ${e.code})`);
    return {
      send(data) {
        if (!done && ws.readyState === WebSocket.OPEN) ws.send(data);
      },
      close() {
        done = true;
        try {
          ws.close();
        } catch {
          // already closing
        }
      },
    };
  };
}
