/**
 * Clipboard text between the browser and the session, both ways, and only the ways the server's
 * hello allows (`--clipboard-direction`: `to-server` = into Firefox only, `to-client` = out of it
 * only, `disabled`). Xpra enforces the direction on its side too; the client obeys it so that it
 * never reads the browser's clipboard (a permission prompt, the user's data) for nothing, and
 * never writes session text into it when it may not come out.
 *
 * Text only: other targets are answered empty and images are ignored. Text from the session is
 * hostile (web pages put it there): it stays a string, handed to the injected writeText, bounded
 * in size. The browser functions are injected so the state machine runs under Node.
 */
import type { Encodable, Key, Value } from "../protocol/index.js";
import type { InputProtocol } from "./protocol.js";
import { valueText } from "./text.js";

export type ClipboardDirection = "both" | "to-server" | "to-client" | "disabled";

/** The browser's clipboard (navigator.clipboard's text half, or the app's fallback). */
export interface BrowserClipboard {
  readText(): Promise<string>;
  writeText(text: string): Promise<void>;
}

export interface ClipboardOptions {
  readonly protocol: InputProtocol;
  readonly direction: ClipboardDirection;
  readonly browser: BrowserClipboard;
  readonly send: (packet: Encodable[]) => void;
  /** Largest text taken either way, in UTF-8 bytes (default 1 MiB); larger is dropped. */
  readonly maxBytes?: number;
}

export const DEFAULT_MAX_CLIPBOARD_BYTES = 1 << 20;

const SELECTION = "CLIPBOARD";
const TEXT_TARGETS: readonly string[] = ["UTF8_STRING", "text/plain;charset=utf-8", "text/plain", "STRING", "TEXT"];
const DIRECTIONS: readonly ClipboardDirection[] = ["both", "to-server", "to-client", "disabled"];
// Outstanding requests to the server kept at most: a server that never answers costs nothing.
const MAX_PENDING = 8;

const encoder = new TextEncoder();

/**
 * The direction a server's hello announces: 3.1 `clipboard` (bool) + `clipboard-direction`;
 * 6.x `clipboard` as a dict with `direction`. No clipboard, or a word we do not know: disabled.
 */
export function clipboardDirectionFromHello(hello: ReadonlyMap<Key, Value>): ClipboardDirection {
  const clipboard = hello.get("clipboard");
  let direction: string | undefined;
  if (clipboard instanceof Map) {
    if (clipboard.get("enabled") === false) {
      return "disabled";
    }
    direction = valueText(clipboard.get("direction")) ?? "both";
  } else if (clipboard === true) {
    direction = valueText(hello.get("clipboard-direction")) ?? "both";
  }
  return DIRECTIONS.find(d => d === direction) ?? "disabled";
}

/** Hello capabilities: CLIPBOARD only, text targets, greedy (the browser cannot be asked later). */
export function clipboardCapabilities(protocol: InputProtocol): Record<string, Encodable> {
  if (protocol === "v3") {
    return {
      clipboard: true,
      "clipboard.want_targets": true,
      "clipboard.greedy": true,
      "clipboard.selections": [SELECTION],
      "clipboard.preferred-targets": [...TEXT_TARGETS]
    };
  }
  return {
    clipboard: { enabled: true, want_targets: true, greedy: true, selections: [SELECTION], "preferred-targets": [...TEXT_TARGETS] }
  };
}

export class ClipboardText {
  private readonly options: ClipboardOptions;
  private direction: ClipboardDirection;
  private readonly maxBytes: number;
  /** The last text either side announced: the same text is not sent back and forth. */
  private lastText: string | null = null;
  private nextRequest = 1;
  private readonly pending = new Set<number>();

  constructor(options: ClipboardOptions) {
    this.options = options;
    this.direction = options.direction;
    this.maxBytes = options.maxBytes ?? DEFAULT_MAX_CLIPBOARD_BYTES;
  }

  /** Whether text may go into the session (the app reads the browser clipboard only then). */
  get toServer(): boolean {
    return this.direction === "both" || this.direction === "to-server";
  }

  /** Whether session text may reach the browser. */
  get toClient(): boolean {
    return this.direction === "both" || this.direction === "to-client";
  }

  /** Text the browser pasted (a paste event's clipboardData): the session gets it before the key. */
  onBrowserPaste(text: string): void {
    if (this.toServer) {
      this.announce(text);
    }
  }

  /** Reads the browser clipboard (after a click or a focus, where browsers allow it) and announces new text. */
  async pollBrowser(): Promise<void> {
    if (!this.toServer) {
      return;
    }
    let text: string;
    try {
      text = await this.options.browser.readText();
    } catch {
      // Refused (no permission, no focus): nothing to announce.
      return;
    }
    if (this.toServer) {
      this.announce(text);
    }
  }

  /**
   * A clipboard packet from the server (`clipboard-token`, `clipboard-request`,
   * `clipboard-contents`, `clipboard-contents-none`, `set-clipboard-enabled`); returns whether it
   * was one. Never throws on odd items: they are ignored.
   */
  onPacket(type: string, items: readonly Value[]): boolean {
    switch (type) {
      case "clipboard-token":
        this.onToken(items);
        return true;
      case "clipboard-request":
        void this.onRequest(items);
        return true;
      case "clipboard-contents":
        this.onContents(items);
        return true;
      case "clipboard-contents-none":
        if (typeof items[1] === "number") {
          this.pending.delete(items[1]);
        }
        return true;
      case "set-clipboard-enabled":
        if (items[1] === false) {
          this.direction = "disabled";
        }
        return true;
      default:
        return false;
    }
  }

  private announce(text: string): void {
    if (typeof text !== "string" || text === this.lastText) {
      return;
    }
    const bytes = encoder.encode(text);
    if (bytes.length > this.maxBytes) {
      return;
    }
    this.lastText = text;
    const claim = true;
    const greedy = true;
    const synchronous = true;
    this.options.send(["clipboard-token", SELECTION, ["UTF8_STRING", "text/plain"], "UTF8_STRING", "UTF8_STRING",
      8, "bytes", bytes, claim, greedy, synchronous]);
  }

  // ["clipboard-token", selection, targets, target, dtype, dformat, wire_encoding, wire_data, ...]
  private onToken(items: readonly Value[]): void {
    if (!this.toClient || valueText(items[1]) !== SELECTION) {
      return;
    }
    const target = valueText(items[3]);
    if (target !== undefined && items.length >= 8) {
      const text = this.textOf(target, items[5], valueText(items[6]), items[7]);
      if (text !== undefined) {
        this.deliver(text);
      }
      return;
    }
    // Targets only: ask for the text if there is any.
    const targets = Array.isArray(items[2]) ? items[2].map(valueText) : [];
    const wanted = TEXT_TARGETS.find(t => targets.includes(t));
    if (wanted !== undefined && this.pending.size < MAX_PENDING) {
      const id = this.nextRequest++;
      this.pending.add(id);
      this.options.send(["clipboard-request", id, SELECTION, wanted]);
    }
  }

  // ["clipboard-contents", request_id, selection, dtype, dformat, wire_encoding, wire_data(, truncated)]
  private onContents(items: readonly Value[]): void {
    const id = items[1];
    if (typeof id !== "number" || !this.pending.delete(id) || !this.toClient) {
      return;
    }
    const text = this.textOf(valueText(items[3]) ?? "", items[4], valueText(items[5]), items[6]);
    if (text !== undefined) {
      this.deliver(text);
    }
  }

  private textOf(dtype: string, format: Value | undefined, encoding: string | undefined, data: Value | undefined): string | undefined {
    if (!TEXT_TARGETS.includes(dtype) || format !== 8 || encoding !== "bytes") {
      return undefined;
    }
    const size = data instanceof Uint8Array ? data.length : typeof data === "string" ? encoder.encode(data).length : Infinity;
    if (size > this.maxBytes) {
      return undefined;
    }
    return valueText(data);
  }

  private deliver(text: string): void {
    if (text === this.lastText) {
      return;
    }
    this.lastText = text;
    this.options.browser.writeText(text).catch(() => {
      // The browser refused (no focus, no permission): the text is kept and sent on the next ask.
    });
  }

  // ["clipboard-request", request_id, selection, target]
  private async onRequest(items: readonly Value[]): Promise<void> {
    const id = items[1];
    const selection = valueText(items[2]);
    const target = valueText(items[3]);
    if (typeof id !== "number") {
      return;
    }
    const none = (): void => this.options.send(["clipboard-contents-none", id, selection ?? SELECTION]);
    if (!this.toServer || selection !== SELECTION || target === undefined || !TEXT_TARGETS.includes(target)) {
      none();
      return;
    }
    let text: string | null = this.lastText;
    try {
      text = await this.options.browser.readText();
    } catch {
      // Not readable now: answer with what the browser last gave.
    }
    if (!this.toServer || typeof text !== "string" || text === "") {
      none();
      return;
    }
    const bytes = encoder.encode(text);
    if (bytes.length > this.maxBytes) {
      none();
      return;
    }
    this.lastText = text;
    this.options.send(["clipboard-contents", id, SELECTION, "UTF8_STRING", 8, "bytes", bytes]);
  }
}
