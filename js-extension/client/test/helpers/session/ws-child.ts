/**
 * Runs in a child node started with --experimental-websocket (node 20 has WebSocket only behind
 * that flag): a Session over webSocketTransport(url), as the browser runs it. Prints one JSON
 * line with what it saw, then exits.
 */
import { Session, webSocketTransport } from "../../../src/session/index.js";
import type { EncoderName } from "../../../src/protocol/index.js";

const [url, encoder] = process.argv.slice(2) as [string, EncoderName];
// What a display layer offers, enough for windows and pictures (3.1 disconnects a client with no
// encodings: "client failed to specify any supported encodings").
const display = () => ({ desktop_size: [1280, 800], dpi: 96, windows: true, encodings: ["rgb32", "rgb24", "png", "jpeg"] });
const session = new Session({ connect: webSocketTransport(url), encoder, providers: [display], reconnect: false, log: () => undefined });
const timer = setTimeout(() => finish("timeout"), 30_000);
let draws = 0;
session.on("new-window", (items) =>
  session.send(["map-window", items[1] ?? 0, items[2] ?? 0, items[3] ?? 0, items[4] ?? 1, items[5] ?? 1, {}]),
);
session.on("draw", () => void draws++);
session.onState((s) => {
  if (s.state === "open") setTimeout(() => finish("open"), 3000);
  if (s.state === "closed") finish(`closed: ${s.reason}`);
});
let finished = false;
function finish(how: string): void {
  if (finished) return;
  finished = true;
  clearTimeout(timer);
  const out = { how, version: session.server?.text("version") ?? "", encoder: session.encoder, draws, packets: session.stats.packetsIn };
  process.stdout.write(JSON.stringify(out) + "\n");
  session.close();
  setTimeout(() => process.exit(0), 200);
}
session.start();
