/**
 * Ping packets both ways, in the shapes both servers read.
 *
 * The server's ping is ["ping", monotonic ms, wall-clock ms(, sid)]. Our echo is
 * ["ping_echo", time as sent, load1, load2, load3, our latency in ms, sid]: 3.1 unpacks
 * packet[1:6] (so six items at least) and 6.5 type-checks each (u64 time and loads, i64 latency,
 * kept only when 0..60000, text sid). Our own ping carries our uuid as its sid; the server echoes
 * our time back as item 1.
 */
import type { Encodable, Value } from "../protocol/index.js";
import { valueText } from "./caps.js";

export function pingPacket(nowMs: number, wallMs: number, sid: string): Encodable[] {
  return ["ping", nowMs, wallMs, sid];
}

/** The echo for a server ping, or null when its time is not a non-negative integer. */
export function pingEchoPacket(items: readonly Value[], latencyMs: number): Encodable[] | null {
  const time = items[1];
  const valid =
    (typeof time === "number" && Number.isSafeInteger(time) && time >= 0) || (typeof time === "bigint" && time >= 0n);
  if (!valid) return null;
  const sid = valueText(items[3]) ?? "";
  const latency = Number.isSafeInteger(latencyMs) && latencyMs >= 0 && latencyMs < 60_000 ? latencyMs : -1;
  return ["ping_echo", time, 0, 0, 0, latency, sid];
}
