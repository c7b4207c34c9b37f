/**
 * Session: one logical connection to an Xpra server, across reconnects.
 *
 * It owns the state machine between the byte transport and the app: our hello first (in the
 * encoder the app chose from the server's version), the server's hello (validated, then the
 * reader narrowed to that encoder and to SESSION_LIMITS), pings both ways, the server's
 * disconnect/challenge, a hello timeout, a dead-link timeout and bounded reconnects. Every other
 * packet goes to handlers registered by type. Nothing the server sends can throw out of here:
 * framing errors close the connection with a reason, a throwing handler is caught and counted.
 *
 * Each connection attempt has a generation number; callbacks from an older transport are
 * ignored, so a late byte or close from a dropped socket cannot disturb the next one.
 */
import { PacketReader, SESSION_LIMITS, encodePacket } from "../protocol/index.js";
import type { Encodable, EncoderName, Packet, Value } from "../protocol/index.js";
import { Caps, valueText } from "./caps.js";
import { buildHello } from "./hello.js";
import type { CapabilityProvider } from "./hello.js";
import { pingEchoPacket, pingPacket } from "./ping.js";
import { isFinalReason } from "./reasons.js";
import type { Transport, TransportFactory } from "./transport.js";

export type SessionState =
  | { readonly state: "connecting"; readonly attempt: number }
  | { readonly state: "open"; readonly server: Caps }
  | {
      readonly state: "closed";
      readonly reason: string;
      /** True when a reconnect is scheduled (after delayMs); false when the session is over. */
      readonly reconnecting: boolean;
      readonly delayMs: number;
    };

/** A packet handler gets the whole packet (items[0] is the type). */
export type PacketHandler = (items: readonly Value[], packet: Packet) => void;

export interface ReconnectOptions {
  /** Attempts after a loss before giving up (0: never reconnect). */
  readonly maxAttempts: number;
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
}

export interface SessionOptions {
  readonly connect: TransportFactory;
  /** "rencodeplus" for Xpra >= 4.3, "rencode" (or "bencode") for 3.1. */
  readonly encoder: EncoderName;
  /** Capability maps of the other layers (display, pictures, keyboard, clipboard). */
  readonly providers?: readonly CapabilityProvider[];
  readonly uuid?: string;
  /** The version we announce (Xpra refuses < 3.0 and warns on some). */
  readonly version?: string;
  readonly clientType?: string;
  /** Ask for the session's speaker sound (hello keys only; the app handles sound-data). */
  readonly audio?: boolean;
  /** From opening the transport to the server's hello. */
  readonly helloTimeoutMs?: number;
  readonly pingIntervalMs?: number;
  /** No byte from the server for this long while open: the link is dead. */
  readonly deadAfterMs?: number;
  readonly reconnect?: Partial<ReconnectOptions> | false;
  readonly log?: (message: string) => void;
}

export interface SessionStats {
  packetsIn: number;
  /** Packets with no handler (ignored). */
  unknownPackets: number;
  /** Handler calls that threw (caught). */
  handlerErrors: number;
  /** Successful hellos after the first. */
  reconnects: number;
  /** Round trip of our last answered ping, ms (-1 before one). */
  latencyMs: number;
  /** Server pings we answered. */
  echoesSent: number;
}

const DEFAULT_RECONNECT: ReconnectOptions = { maxAttempts: 8, baseDelayMs: 500, maxDelayMs: 10_000 };
const OFFERED_BEFORE_HELLO: readonly EncoderName[] = ["rencodeplus", "rencode", "bencode"];

type Timer = ReturnType<typeof setTimeout>;

function randomUuid(): string {
  const bytes = new Uint8Array(16);
  crypto.getRandomValues(bytes);
  return [...bytes].map((b) => b.toString(16).padStart(2, "0")).join("");
}

const now = (): number => Math.floor(performance.now());

export class Session {
  readonly uuid: string;
  readonly stats: SessionStats = {
    packetsIn: 0,
    unknownPackets: 0,
    handlerErrors: 0,
    reconnects: 0,
    latencyMs: -1,
    echoesSent: 0,
  };
  private readonly o: SessionOptions;
  private readonly reconnectOptions: ReconnectOptions;
  private readonly handlers = new Map<string, Set<PacketHandler>>();
  private readonly listeners = new Set<(s: SessionState) => void>();
  private current: SessionState = { state: "closed", reason: "not started", reconnecting: false, delayMs: 0 };
  private transport: Transport | null = null;
  private reader: PacketReader | null = null;
  private generation = 0;
  private serverCaps: Caps | null = null;
  private negotiated: EncoderName | null = null;
  private startupComplete = false;
  private attempt = 0;
  private opens = 0;
  private finished = false;
  private lastReceived = 0;
  private helloTimer: Timer | null = null;
  private pingTimer: Timer | null = null;
  private reconnectTimer: Timer | null = null;

  constructor(options: SessionOptions) {
    this.o = options;
    this.uuid = options.uuid ?? randomUuid();
    this.reconnectOptions =
      options.reconnect === false
        ? { ...DEFAULT_RECONNECT, maxAttempts: 0 }
        : { ...DEFAULT_RECONNECT, ...options.reconnect };
  }

  get state(): SessionState {
    return this.current;
  }

  /** The server's hello capabilities while open (null otherwise). */
  get server(): Caps | null {
    return this.serverCaps;
  }

  /** The encoder the server answered in (null before its hello). */
  get encoder(): EncoderName | null {
    return this.negotiated;
  }

  get isStartupComplete(): boolean {
    return this.startupComplete;
  }

  /** Opens the first connection. Calling it again after close() starts a new round. */
  start(): void {
    if (this.current.state !== "closed" || this.reconnectTimer !== null) return;
    this.finished = false;
    this.attempt = 0;
    this.connect();
  }

  /** Registers a handler for a packet type; returns its removal. */
  on(type: string, handler: PacketHandler): () => void {
    let set = this.handlers.get(type);
    if (!set) this.handlers.set(type, (set = new Set()));
    set.add(handler);
    return () => void set.delete(handler);
  }

  onState(listener: (s: SessionState) => void): () => void {
    this.listeners.add(listener);
    return () => void this.listeners.delete(listener);
  }

  /** Sends a packet in the negotiated encoder; false when not open or not encodable. */
  send(items: readonly Encodable[]): boolean {
    if (this.current.state !== "open" || !this.transport || !this.negotiated) return false;
    let bytes: Uint8Array;
    try {
      bytes = encodePacket(items, this.negotiated);
    } catch (e) {
      this.log(`cannot encode a ${String(items[0])} packet: ${errorText(e)}`);
      return false;
    }
    this.transport.send(bytes);
    return true;
  }

  /** Ends the session: tells the server (when open), closes, never reconnects. */
  close(reason = "client request"): void {
    this.finished = true;
    this.clearReconnect();
    if (this.current.state === "open") this.send(["disconnect", reason]);
    if (this.current.state === "closed") {
      if (this.current.reconnecting) this.setState({ state: "closed", reason, reconnecting: false, delayMs: 0 });
      return;
    }
    this.lost(reason, true);
  }

  /** Keeps the current connection but makes the next loss final (the app gave up on it). */
  stopReconnecting(): void {
    this.finished = true;
    if (this.reconnectTimer !== null) {
      this.clearReconnect();
      const reason = this.current.state === "closed" ? this.current.reason : "reconnect stopped";
      this.setState({ state: "closed", reason, reconnecting: false, delayMs: 0 });
    }
  }

  // ---- connection lifecycle ----

  private connect(): void {
    const gen = ++this.generation;
    this.reader = new PacketReader({ encoders: OFFERED_BEFORE_HELLO });
    this.negotiated = null;
    this.serverCaps = null;
    this.startupComplete = false;
    this.setState({ state: "connecting", attempt: this.attempt });
    const helloMs = this.o.helloTimeoutMs ?? 15_000;
    this.helloTimer = setTimeout(() => {
      if (gen === this.generation) this.lost(`no hello from the server within ${helloMs} ms`, false);
    }, helloMs);
    try {
      this.transport = this.o.connect({
        onOpen: () => {
          if (gen === this.generation) this.sendHello();
        },
        onBytes: (data) => {
          if (gen === this.generation) this.receive(data, gen);
        },
        onClose: (reason) => {
          if (gen === this.generation) this.lost(reason || "connection closed", false);
        },
      });
    } catch (e) {
      if (gen === this.generation) this.lost(`cannot connect: ${errorText(e)}`, false);
    }
  }

  private sendHello(): void {
    const caps = buildHello(
      {
        encoder: this.o.encoder,
        uuid: this.uuid,
        version: this.o.version ?? "5.0",
        clientType: this.o.clientType ?? "HTML5",
        audio: this.o.audio === true,
      },
      this.o.providers ?? [],
      (e) => this.log(`a capability provider failed: ${errorText(e)}`),
    );
    let bytes: Uint8Array;
    try {
      bytes = encodePacket(["hello", caps], this.o.encoder);
    } catch (e) {
      this.lost(`cannot encode our hello: ${errorText(e)}`, true);
      return;
    }
    this.transport?.send(bytes);
  }

  private receive(data: Uint8Array, gen: number): void {
    const reader = this.reader;
    if (!reader) return;
    this.lastReceived = now();
    const { packets, error } = reader.feed(data);
    for (const p of packets) {
      if (gen !== this.generation) return; // a packet closed the connection
      this.stats.packetsIn++;
      this.packet(p);
    }
    if (error && gen === this.generation) this.lost(`protocol error (${error.code}): ${error.message}`, true);
  }

  private packet(p: Packet): void {
    if (!this.negotiated) {
      this.beforeHello(p);
      return;
    }
    switch (p.type) {
      case "ping":
        this.answerPing(p.items);
        break;
      case "ping_echo":
        this.pingEchoed(p.items);
        break;
      case "disconnect":
        this.disconnected(p.items);
        return;
      case "startup-complete":
        this.startupComplete = true;
        break;
      case "challenge":
        this.challenged();
        return;
    }
    this.dispatch(p);
  }

  private beforeHello(p: Packet): void {
    if (p.type === "disconnect") return this.disconnected(p.items);
    if (p.type === "challenge") return this.challenged();
    if (p.type !== "hello") {
      this.stats.unknownPackets++;
      return;
    }
    const map = p.items[1];
    if (!(map instanceof Map)) {
      this.lost("the server's hello is not a capability map", true);
      return;
    }
    if (p.encoder !== this.o.encoder) {
      this.lost(`the server answered in ${p.encoder}, we offered only ${this.o.encoder}`, true);
      return;
    }
    this.negotiated = p.encoder;
    this.reader?.setEncoders([p.encoder]);
    this.reader?.setLimits(SESSION_LIMITS);
    this.serverCaps = new Caps(map);
    this.clearHelloTimer();
    if (this.opens++ > 0) this.stats.reconnects++;
    this.attempt = 0;
    this.startPings();
    this.setState({ state: "open", server: this.serverCaps });
    if (this.current.state === "open") this.dispatch(p);
  }

  private challenged(): void {
    this.lost("the server asks for a password (challenge); this client sends none", true);
  }

  private disconnected(items: readonly Value[]): void {
    const parts = items
      .slice(1, 4)
      .map((v) => valueText(v))
      .filter((t): t is string => t !== null && t !== "");
    const reason = parts.length ? parts.join(": ").slice(0, 500) : "disconnected by the server";
    const first = parts[0] ?? "";
    this.lost(`server: ${reason}`, isFinalReason(first));
  }

  /** Closes this connection; schedules the next unless final, stopped or out of attempts. */
  private lost(reason: string, final: boolean): void {
    this.generation++;
    this.clearHelloTimer();
    this.clearPings();
    const t = this.transport;
    this.transport = null;
    this.reader = null;
    this.negotiated = null;
    this.serverCaps = null;
    if (t) {
      try {
        t.close();
      } catch (e) {
        this.log(`transport close failed: ${errorText(e)}`);
      }
    }
    const r = this.reconnectOptions;
    if (final || this.finished || this.attempt >= r.maxAttempts) {
      this.setState({ state: "closed", reason, reconnecting: false, delayMs: 0 });
      return;
    }
    const delayMs = Math.min(r.maxDelayMs, r.baseDelayMs * 2 ** this.attempt);
    this.attempt++;
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = null;
      if (!this.finished) this.connect();
    }, delayMs);
    this.setState({ state: "closed", reason, reconnecting: true, delayMs });
  }

  // ---- pings ----

  private startPings(): void {
    const interval = this.o.pingIntervalMs ?? 5_000;
    const deadAfter = this.o.deadAfterMs ?? 20_000;
    const gen = this.generation;
    const tick = (): void => {
      if (gen !== this.generation) return;
      const silent = now() - this.lastReceived;
      if (silent > deadAfter) {
        this.lost(`no data from the server for ${silent} ms`, false);
        return;
      }
      this.send(pingPacket(now(), Date.now(), this.uuid));
      this.pingTimer = setTimeout(tick, interval);
    };
    this.pingTimer = setTimeout(tick, interval);
  }

  /** Answers the server's ping (see ping.ts for the fields each version reads). */
  private answerPing(items: readonly Value[]): void {
    const echo = pingEchoPacket(items, this.stats.latencyMs);
    if (echo && this.send(echo)) this.stats.echoesSent++;
  }

  private pingEchoed(items: readonly Value[]): void {
    const t = items[1];
    if (typeof t === "number" && Number.isSafeInteger(t)) {
      const rtt = now() - t;
      if (rtt >= 0 && rtt < 600_000) this.stats.latencyMs = rtt;
    }
  }

  private clearPings(): void {
    if (this.pingTimer !== null) clearTimeout(this.pingTimer);
    this.pingTimer = null;
  }

  private clearHelloTimer(): void {
    if (this.helloTimer !== null) clearTimeout(this.helloTimer);
    this.helloTimer = null;
  }

  private clearReconnect(): void {
    if (this.reconnectTimer !== null) clearTimeout(this.reconnectTimer);
    this.reconnectTimer = null;
  }

  // ---- dispatch ----

  private dispatch(p: Packet): void {
    const set = this.handlers.get(p.type);
    if (!set || set.size === 0) {
      if (!INTERNAL.has(p.type)) this.stats.unknownPackets++;
      return;
    }
    for (const h of [...set]) {
      try {
        h(p.items, p);
      } catch (e) {
        this.stats.handlerErrors++;
        this.log(`handler for ${p.type} threw: ${errorText(e)}`);
      }
    }
  }

  private setState(s: SessionState): void {
    this.current = s;
    for (const l of [...this.listeners]) {
      try {
        l(s);
      } catch (e) {
        this.log(`state listener threw: ${errorText(e)}`);
      }
    }
  }

  private log(message: string): void {
    try {
      (this.o.log ?? ((m: string) => console.warn(`xpra session: ${m}`)))(message);
    } catch {
      // a logger is not allowed to break the loop either
    }
  }
}

/** Types the session answers itself: no handler needed, not counted as unknown. */
const INTERNAL = new Set(["hello", "ping", "ping_echo", "startup-complete"]);

function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
