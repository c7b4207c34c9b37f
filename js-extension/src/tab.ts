/**
 * A JupyterLab tab that is a Firefox session: the session's client page
 * fills it, its label is Firefox's page title (text, shortened; the full
 * title and address in its tooltip), keys go to Firefox as soon as it is
 * active, and when the session ends it says so and offers a new one.
 *
 * What the client page says arrives by `postMessage` and is believed only
 * from this tab's own iframe and JupyterLab's origin (`clientMessage` in
 * client.ts). Whether a session has ended is asked of the sidecar
 * (`GET api/sessions/PORT`) when the client loses its connection or leaves
 * its page, and told by the manager when the panel's list no longer has it.
 */
import { MainAreaWidget } from '@jupyterlab/apputils';
import { IFrame } from '@jupyterlab/ui-components';
import { Message } from '@lumino/messaging';
import { ISignal, Signal } from '@lumino/signaling';
import { PanelLayout, Widget } from '@lumino/widgets';

import { clientMessage, pageTitle, tabCaption, tabLabel } from './client';
import { ClipboardBar } from './clipboardbar';
import { firefoxIcon } from './icons';
import { SessionManager } from './manager';
import { ISession, sessionKey } from './sessions';

/**
 * - `starting`: a session is being started for this tab;
 * - `checking`: restored after a reload, asking whether its session runs;
 * - `client`: the session's client page is shown;
 * - `disconnected`: the session runs but its client page gave up;
 * - `ended`: the session is gone; a button starts a new one.
 */
export type TabState = 'starting' | 'checking' | 'client' | 'disconnected' | 'ended';

export interface IFirefoxTabOptions {
  manager: SessionManager;
  /** The client page's address for a session (with the client's options). */
  clientUrl: (session: ISession) => string;
  /** Start a new session and show it in `tab` (the ended state's button). */
  startNew: (tab: FirefoxTab) => void;
  /** Resolved once the first session is shown (a spinner until then). */
  reveal?: Promise<void>;
  /** The widget id (a restored tab keeps its own); else a new one. */
  id?: string;
}

/** Longest time a lost connection is looked into before giving up, in ms. */
const CHECK_FOR_MS = 120_000;

/**
 * The tab's content: the client's iframe, or a notice (what happened, and a
 * button) when there is no client to show.
 */
export class FirefoxView extends Widget {
  constructor() {
    super();
    this.addClass('jp-FirefoxView');
    const layout = (this.layout = new PanelLayout());
    this.frame = new IFrame({
      // The least the client works with (measured in Chromium; the e2e
      // suite checks the attribute and that the client draws). What
      // protects JupyterLab from the pages shown in Firefox is the sidecar's
      // patched client and its Content-Security-Policy: a same-origin frame
      // with both of these tokens could lift its own sandbox.
      // - allow-scripts: the client is a script.
      // - allow-same-origin: without it the frame's origin is opaque, so
      //   (1) its scripts and styles are cross-site requests that carry no
      //   Jupyter cookie and are redirected to the login page, (2) its
      //   websocket would send `Origin: null`, which Jupyter refuses (403),
      //   (3) the client's sessionStorage throws, and (4) its messages
      //   would come from origin `null`, which this tab ignores.
      // Nothing else: no forms are submitted (the sidecar's CSP has
      // form-action 'none'), no popups (the client's open-url and print are
      // disabled), no downloads, modals, pointer lock or top navigation.
      sandbox: ['allow-scripts', 'allow-same-origin'],
      referrerPolicy: 'no-referrer'
    });
    this.frame.addClass('jp-FirefoxClient');
    this.notice = new Widget();
    this.notice.addClass('jp-FirefoxNotice');
    this.notice.hide();
    this.clipboardBar = new ClipboardBar();
    layout.addWidget(this.frame);
    layout.addWidget(this.notice);
    layout.addWidget(this.clipboardBar);
  }

  readonly frame: IFrame;
  readonly notice: Widget;
  /** Over the client's bottom edge: asks for the clipboard permission. */
  readonly clipboardBar: ClipboardBar;

  get iframe(): HTMLIFrameElement {
    return this.frame.node.querySelector('iframe')!;
  }

  /** Show the client page at `url`. */
  showFrame(url: string): void {
    this.notice.hide();
    this.frame.show();
    this.frame.url = url;
  }

  /**
   * Show a notice instead of the client (whose page is unloaded). Every
   * string is set as text.
   */
  showNotice(notice: {
    heading: string;
    detail?: string;
    error?: string;
    button?: { label: string; onClick: () => void; disabled?: boolean };
  }): void {
    if (this.frame.url !== 'about:blank') {
      this.frame.url = 'about:blank';
    }
    this.frame.hide();
    const node = this.notice.node;
    node.replaceChildren();
    const icon = document.createElement('div');
    icon.className = 'jp-FirefoxNotice-icon';
    firefoxIcon.element({ container: icon });
    const heading = document.createElement('p');
    heading.className = 'jp-FirefoxNotice-heading';
    heading.textContent = notice.heading;
    node.append(icon, heading);
    if (notice.detail) {
      const detail = document.createElement('p');
      detail.className = 'jp-FirefoxNotice-detail';
      detail.textContent = notice.detail;
      node.appendChild(detail);
    }
    if (notice.button) {
      const b = document.createElement('button');
      b.type = 'button';
      b.className = 'jp-Button jp-mod-styled jp-mod-accept jp-FirefoxNotice-button';
      b.textContent = notice.button.label;
      b.disabled = !!notice.button.disabled;
      b.addEventListener('click', notice.button.onClick);
      node.appendChild(b);
    }
    if (notice.error) {
      const error = document.createElement('p');
      error.className = 'jp-FirefoxNotice-error';
      error.textContent = notice.error;
      node.appendChild(error);
    }
    this.notice.show();
  }

  /** Give the keyboard to Firefox (or to the notice's button). */
  focusContent(): void {
    if (this.frame.isVisible) {
      this.iframe.contentWindow?.focus();
    } else {
      this.notice.node.querySelector('button')?.focus();
    }
  }

  protected onActivateRequest(msg: Message): void {
    super.onActivateRequest(msg);
    this.focusContent();
  }
}

/** A main-area tab showing one Firefox session at a time. */
export class FirefoxTab extends MainAreaWidget<FirefoxView> {
  constructor(options: IFirefoxTabOptions) {
    super({ content: new FirefoxView(), reveal: options.reveal });
    this._options = options;
    this.id = options.id ?? `jp-firefox-${Date.now()}-${Math.floor(Math.random() * 1e6)}`;
    this.addClass('jp-FirefoxTab');
    this.title.icon = firefoxIcon;
    this.title.closable = true;
    // The tab is the browser: no empty toolbar above it.
    this.toolbar.hide();
    window.addEventListener('message', this);
    this.content.iframe.addEventListener('load', this);
    options.manager.ended.connect(this._onEnded, this);
    this._setState('starting');
  }

  /** The session shown (or last shown, or being looked for), or null. */
  get session(): ISession | null {
    return this._session;
  }

  get state(): TabState {
    return this._state;
  }

  /** Emitted when the tab moves to another session. */
  get sessionChanged(): ISignal<this, void> {
    return this._sessionChanged;
  }

  /** A session is being started for this tab. */
  showStarting(): void {
    this._setState('starting');
    this.title.label = 'Firefox (starting…)';
    this.title.caption = 'Starting Firefox…';
    if (this._session) {
      // The ended state's button: the tab keeps its place meanwhile.
      this.content.showNotice({
        heading: 'Starting Firefox…',
        button: { label: 'Start a new Firefox session', onClick: () => {}, disabled: true }
      });
    }
  }

  /** Restored after a reload: find out whether `session` still runs. */
  async restore(session: ISession, ready: Promise<void>): Promise<void> {
    this._setSession(session);
    this._setState('checking');
    this._showTitle();
    this.content.showNotice({ heading: `Connecting to Firefox :${session.port}…` });
    await ready;
    const verdict = await this._options.manager.check(session);
    if (this.isDisposed || this._session !== session || this._state !== 'checking') {
      return;
    }
    if (verdict === 'ended') {
      this.showEnded();
      return;
    }
    // Alive, or the sidecar could not say: the client page will tell.
    const listed = this._options.manager.find(session.port);
    const same = listed && (!session.created_at || listed.created_at === session.created_at);
    this.showSession(same ? listed : session);
  }

  /** Show `session`'s client page. */
  showSession(session: ISession): void {
    this._setSession(session);
    this._windowTitle = session.title ?? '';
    this._resetChecks();
    this._setState('client');
    this._showTitle();
    this.content.showFrame(this._options.clientUrl(session));
    this._options.manager.trackTab(session, this);
    void this.content.clipboardBar.watch(session.clipboard);
  }

  /** The session is gone: say so, and offer a new one (`error`: why the last start failed). */
  showEnded(error?: string): void {
    const s = this._session;
    this._resetChecks();
    this._setState('ended');
    if (s) {
      this._options.manager.untrackTab(s, this);
    }
    this._showTitle();
    const last = pageTitle(this._windowTitle);
    this.content.showNotice({
      heading: s
        ? `This Firefox session (:${s.port}) has ended.`
        : 'This Firefox session has ended.',
      detail: last ? `Its last page: ${last}` : undefined,
      error,
      button: {
        label: 'Start a new Firefox session',
        onClick: () => this._options.startNew(this)
      }
    });
    if (this.isVisible && this.node.contains(document.activeElement)) {
      this.content.focusContent();
    }
  }

  /** Give the keyboard to Firefox, as a browser tab does when shown. */
  focusClient(): void {
    if (this.isVisible) {
      this.content.focusContent();
    }
  }

  handleEvent(event: Event): void {
    if (event.type === 'message') {
      this._onMessage(event as MessageEvent);
    } else if (event.type === 'load') {
      this._onFrameLoad();
    }
  }

  dispose(): void {
    if (this.isDisposed) {
      return;
    }
    window.removeEventListener('message', this);
    this.content.iframe.removeEventListener('load', this);
    this._options.manager.ended.disconnect(this._onEnded, this);
    this._resetChecks();
    super.dispose();
  }

  private _onMessage(event: MessageEvent): void {
    const m = clientMessage(event, this.content.iframe.contentWindow, window.location.origin);
    if (!m || this._state !== 'client' || !this._session) {
      return;
    }
    if (m.kind === 'title') {
      this._windowTitle = m.title;
      this._showTitle();
      this._options.manager.noteTitle(this._session, m.title);
    } else if (m.state === 'lost') {
      this._lostSince ??= Date.now();
      this._scheduleCheck(0);
    } else if (m.state === 'closed') {
      // The client gave up (shown elsewhere, or refused): as if it had left its page.
      this._clientGone = true;
      this._lostSince ??= Date.now();
      this._scheduleCheck(0);
    } else {
      this._lostSince = null;
      this._clientGone = false;
      this._attempts = 0;
    }
  }

  /**
   * The frame loaded a page. Not the client (its connection failed for good
   * and it went to its connect page, which the sidecar does not serve, or the
   * sidecar answered with an error page): find out why.
   */
  private _onFrameLoad(): void {
    if (this._state !== 'client' || !this._session) {
      return;
    }
    let href: string | null = null;
    let isClient = false;
    try {
      const w = this.content.iframe.contentWindow;
      href = w?.location.href ?? null;
      // Same origin (the sandbox allows it): the client's page has its screen.
      isClient = !!w?.document.getElementById('screen');
    } catch {
      href = null; // not our origin any more
    }
    if (href === 'about:blank') {
      return;
    }
    const expected = new URL(this.content.frame.url, window.location.href).pathname;
    if (href === null || new URL(href).pathname !== expected || !isClient) {
      this._clientGone = true;
      this._lostSince ??= Date.now();
      this._scheduleCheck(0);
    } else if (this.isVisible && (this.node.contains(document.activeElement) || document.activeElement === document.body)) {
      // A new page in the frame takes the keyboard if the tab had it.
      this.content.focusContent();
    }
  }

  private _onEnded(_: SessionManager, key: string): void {
    if (this._session && sessionKey(this._session) === key && this._state !== 'ended') {
      this.showEnded();
    }
  }

  private _scheduleCheck(delayMs: number): void {
    if (this._checkTimer !== null || this._checking) {
      return;
    }
    this._checkTimer = window.setTimeout(() => {
      this._checkTimer = null;
      void this._check();
    }, delayMs);
  }

  /**
   * Ask the sidecar about the session while its connection is lost, until it
   * is back (`established`), found ended, or, while the client still tries
   * to reconnect, for CHECK_FOR_MS. A client page that gave up on a session
   * that still runs (shown elsewhere) is `disconnected` only once the
   * session has outlived a few checks (a Firefox that was just closed takes
   * a moment to be unlisted), and is still watched then, as the session may
   * end later.
   */
  private async _check(): Promise<void> {
    const s = this._session;
    if (!s || !this._watching() || this._lostSince === null) {
      return;
    }
    this._checking = true;
    let verdict;
    try {
      verdict = await this._options.manager.check(s);
    } finally {
      this._checking = false;
    }
    if (this.isDisposed || this._session !== s || !this._watching()) {
      return;
    }
    if (verdict === 'ended') {
      this.showEnded();
      return;
    }
    if (this._lostSince === null) {
      return; // the client is back
    }
    this._attempts++;
    if (verdict === 'alive' && this._clientGone && this._state === 'client' && this._attempts >= 3) {
      this._showDisconnected();
    }
    if (this._state === 'client' && !this._clientGone && Date.now() - this._lostSince > CHECK_FOR_MS) {
      return; // the client keeps trying on its own; nothing more to learn
    }
    // Being stopped, the sidecar unreachable, alive while the client
    // reconnects, or shown elsewhere: look again.
    const cap = this._state === 'disconnected' ? 30_000 : 15_000;
    this._scheduleCheck(
      verdict === 'ending' ? 500 : Math.min(1000 * 2 ** Math.min(this._attempts - 1, 5), cap)
    );
  }

  /** Whether the session is watched for its end: shown, or its client gave up. */
  private _watching(): boolean {
    return this._state === 'client' || this._state === 'disconnected';
  }

  /** The session runs but its client page gave up (e.g. shown elsewhere). */
  private _showDisconnected(): void {
    const s = this._session!;
    this._setState('disconnected');
    this._showTitle();
    this.content.showNotice({
      heading: `Firefox :${s.port} is no longer connected here.`,
      detail: 'It may be shown in another tab or window.',
      button: { label: 'Reconnect', onClick: () => this.showSession(s) }
    });
  }

  private _resetChecks(): void {
    if (this._checkTimer !== null) {
      window.clearTimeout(this._checkTimer);
      this._checkTimer = null;
    }
    this._lostSince = null;
    this._clientGone = false;
    this._attempts = 0;
  }

  private _setSession(session: ISession): void {
    const old = this._session;
    if (old && sessionKey(old) !== sessionKey(session)) {
      this._options.manager.untrackTab(old, this);
      this._windowTitle = '';
    }
    this._session = session;
    this.node.dataset.port = String(session.port);
    if (!old || sessionKey(old) !== sessionKey(session)) {
      this._sessionChanged.emit();
    }
  }

  private _setState(state: TabState): void {
    if (state !== 'client') {
      this.content.clipboardBar.clear();
    }
    this._state = state;
    this.node.dataset.state = state;
    this.toggleClass('jp-mod-ended', state === 'ended');
  }

  private _showTitle(): void {
    const s = this._session;
    if (!s) {
      return;
    }
    if (this._state === 'ended') {
      this.title.label = 'Firefox (ended)';
      this.title.caption = `This session has ended.\n${tabCaption(this._windowTitle, s.url, s.port)}`;
      return;
    }
    this.title.label = tabLabel(this._windowTitle, s.port);
    this.title.caption = tabCaption(this._windowTitle, s.url, s.port);
  }

  private _options: IFirefoxTabOptions;
  private _session: ISession | null = null;
  private _state: TabState = 'starting';
  private _windowTitle = '';
  private _lostSince: number | null = null;
  private _clientGone = false;
  private _attempts = 0;
  private _checking = false;
  private _checkTimer: number | null = null;
  private _sessionChanged = new Signal<this, void>(this);
}
