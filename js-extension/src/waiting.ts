/**
 * The browser tab a session opens in when `openIn` is `browser-tab`.
 *
 * Two constraints pull apart. Popup blockers let `window.open` through only
 * while a click is being handled (Chrome: within 5 s of it), but a session's
 * address is known only once Firefox is up, often later than that. And the
 * tab is opened with `noopener,noreferrer`, so the client page holds no
 * handle on the JupyterLab window — which also means `window.open` returns
 * null and JupyterLab cannot navigate the tab afterwards.
 *
 * So the tab is opened at click time on a waiting page: a `blob:` document
 * of this origin, built here, that listens on a `BroadcastChannel` whose name
 * is random. When the session is ready JupyterLab posts the client's address
 * there; the page goes to it only if it is a sidecar address of this server
 * (same origin, under `<baseUrl>firefox-launcher/`), and says so. If the page
 * was closed (it says bye) or never answers (a Content-Security-Policy forbids
 * its inline script), `go()` resolves false and the caller offers a link.
 *
 * No JupyterLab imports: `node --test` runs both halves (Node has Blob,
 * URL.createObjectURL and BroadcastChannel).
 */

/** Messages on the channel. */
export type WaitingMessage =
  | { type: 'hello' }
  | { type: 'bye' }
  | { type: 'go'; url: string }
  | { type: 'going' }
  | { type: 'fail'; message: string };

/** The part of `window` the waiting page uses (a fake one in tests). */
export interface IWaitingWindow {
  location: { origin: string; replace(url: string): void };
  document: { title: string; body: { textContent: string | null } | null };
  close(): void;
  addEventListener(type: 'pagehide', listener: () => void): void;
}

/**
 * The waiting page's script. It is serialized into the page with
 * `Function.prototype.toString`, so it must stay self-contained: no imports,
 * no closures, no syntax that TypeScript would compile into helpers.
 */
export function waitingPageMain(
  channelName: string,
  allowedPrefix: string,
  win: IWaitingWindow
): BroadcastChannel {
  const channel = new BroadcastChannel(channelName);
  let going = false;
  const say = (text: string) => {
    win.document.title = text;
    if (win.document.body) {
      win.document.body.textContent = text;
    }
  };
  channel.onmessage = (event: MessageEvent) => {
    const m = event.data;
    if (!m || typeof m !== 'object') {
      return;
    }
    if (m.type === 'go' && typeof m.url === 'string') {
      let url: URL;
      try {
        url = new URL(m.url);
      } catch (e) {
        return;
      }
      if (
        url.origin !== win.location.origin ||
        url.pathname.indexOf(allowedPrefix) !== 0 ||
        url.username !== '' ||
        url.password !== ''
      ) {
        return;
      }
      going = true;
      channel.postMessage({ type: 'going' });
      channel.close();
      win.location.replace(url.href);
    } else if (m.type === 'fail') {
      channel.close();
      say(String(m.message));
      // Closable: the tab was opened by script. If the browser refuses, the
      // message stays on screen.
      win.close();
    }
  };
  // Closed by the person before Firefox was up: JupyterLab offers a link.
  win.addEventListener('pagehide', () => {
    if (!going) {
      going = true;
      channel.postMessage({ type: 'bye' });
      channel.close();
    }
  });
  channel.postMessage({ type: 'hello' });
  return channel;
}

/** `JSON.stringify` made safe inside a `<script>` element. */
export function scriptLiteral(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, '\\u003c')
    .replace(/>/g, '\\u003e')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}

/** The waiting page's HTML. */
export function waitingPageHtml(channelName: string, allowedPrefix: string): string {
  const text = 'Starting Firefox…';
  return (
    '<!doctype html><html><head><meta charset="utf-8">' +
    '<meta name="referrer" content="no-referrer">' +
    `<title>${text}</title></head>` +
    '<body style="font: 16px sans-serif; margin: 2em">' +
    `${text}<script>(${waitingPageMain.toString()})(` +
    `${scriptLiteral(channelName)}, ${scriptLiteral(allowedPrefix)}, window);` +
    '</script></body></html>'
  );
}

/** A random channel name nobody else can guess. */
export function randomChannelName(): string {
  const bytes = new Uint8Array(16);
  globalThis.crypto.getRandomValues(bytes);
  return (
    'firefox-launcher-' +
    Array.from(bytes, b => b.toString(16).padStart(2, '0')).join('')
  );
}

export interface IWaitingTabOptions {
  /** Path prefix the page may go to: `<baseUrl>firefox-launcher/`. */
  allowedPrefix: string;
  /** `window.open` (injected in tests). */
  open?: (url: string, target: string, features: string) => unknown;
  /** How long `go()` waits for the page to answer, in ms. */
  answerTimeoutMs?: number;
}

/** JupyterLab's end of a waiting tab. */
export class WaitingTab {
  /**
   * Opens the tab now (call it while the click is being handled).
   */
  constructor(options: IWaitingTabOptions) {
    this._timeoutMs = options.answerTimeoutMs ?? 5000;
    this._channel = new BroadcastChannel(randomChannelName());
    this._channel.onmessage = event => this._onMessage(event.data);
    const html = waitingPageHtml(this._channel.name, options.allowedPrefix);
    this._blobUrl = URL.createObjectURL(new Blob([html], { type: 'text/html' }));
    const open =
      options.open ??
      ((url: string, target: string, features: string) =>
        window.open(url, target, features));
    open(this._blobUrl, '_blank', 'noopener,noreferrer');
  }

  /** True once the page said hello (it loaded and its script runs). */
  get answered(): boolean {
    return this._hello;
  }

  /**
   * Send the page to `url` (absolute). Resolves true once the page says it
   * is going there, false if it does not answer in time.
   */
  go(url: string): Promise<boolean> {
    this._pending = { type: 'go', url };
    if (this._gone) {
      this.dispose();
      return Promise.resolve(false);
    }
    return this._await();
  }

  /** Tell the page the start failed (it shows `message`, then closes). */
  fail(message: string): void {
    this._pending = { type: 'fail', message };
    this._channel.postMessage(this._pending);
    // No answer is expected: forget the page after a moment.
    setTimeout(() => this.dispose(), this._timeoutMs);
  }

  dispose(): void {
    if (this._disposed) {
      return;
    }
    this._disposed = true;
    this._channel.close();
    URL.revokeObjectURL(this._blobUrl);
    this._settle?.(false);
  }

  private _await(): Promise<boolean> {
    return new Promise<boolean>(resolve => {
      const timer = setTimeout(() => finish(false), this._timeoutMs);
      const finish = (ok: boolean) => {
        clearTimeout(timer);
        this._settle = null;
        resolve(ok);
        this.dispose();
      };
      this._settle = finish;
      if (this._disposed) {
        finish(false);
        return;
      }
      // Sent now, and again when a page that was still loading says hello.
      this._channel.postMessage(this._pending);
    });
  }

  private _onMessage(m: WaitingMessage | null): void {
    if (!m || typeof m !== 'object') {
      return;
    }
    if (m.type === 'hello') {
      this._hello = true;
      if (this._pending) {
        this._channel.postMessage(this._pending);
      }
    } else if (m.type === 'going') {
      this._settle?.(true);
    } else if (m.type === 'bye') {
      this._gone = true;
      this._settle?.(false);
    }
  }

  private _channel: BroadcastChannel;
  private _blobUrl: string;
  private _timeoutMs: number;
  private _pending: WaitingMessage | null = null;
  private _hello = false;
  private _gone = false;
  private _disposed = false;
  private _settle: ((ok: boolean) => void) | null = null;
}
