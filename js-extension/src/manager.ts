/**
 * What this page knows about the sidecar's Firefox sessions: the last list,
 * the starts and stops under way, and which main-area tab shows which
 * session. The panel renders it; the commands change it.
 */
import { ISignal, Signal } from '@lumino/signaling';
import { Widget } from '@lumino/widgets';

import { SidecarApi, SidecarError } from './api';
import { goneKeys, ISession, IStopResult, sessionKey } from './sessions';

export class SessionManager {
  constructor(readonly api: SidecarApi) {}

  /** Emitted whenever sessions, errors, starts or stops change. */
  get changed(): ISignal<this, void> {
    return this._changed;
  }

  get sessions(): readonly ISession[] {
    return this._sessions;
  }

  /** The last list error, in words, or null. */
  get error(): string | null {
    return this._error;
  }

  /** Starts under way from this page. */
  get starting(): number {
    return this._starting;
  }

  get stopping(): ReadonlySet<string> {
    return this._stopping;
  }

  /** Keys of the sessions shown in a tab of this page. */
  get openKeys(): ReadonlySet<string> {
    return new Set(this._tabs.keys());
  }

  find(port: number): ISession | undefined {
    return this._sessions.find(s => s.port === port);
  }

  /** Fetch the list again. Never throws: a failure lands in `error`. */
  async refresh(): Promise<void> {
    try {
      const sessions = await this.api.list();
      this._error = null;
      // Tabs of sessions the sidecar no longer lists stay open (the client
      // shows it is disconnected); only their bookkeeping is dropped.
      for (const key of goneKeys(this._tabs.keys(), sessions)) {
        this._tabs.delete(key);
      }
      this._sessions = sessions;
    } catch (e) {
      this._error = e instanceof Error ? e.message : String(e);
    }
    this._changed.emit();
  }

  /** Start a session; resolves once Firefox is ready. */
  async start(url?: string): Promise<ISession> {
    this._starting++;
    this._changed.emit();
    try {
      return await this.api.start(url);
    } finally {
      this._starting--;
      void this.refresh();
    }
  }

  /** Stop a session, and close the tab that shows it. */
  async stop(session: ISession): Promise<IStopResult> {
    const key = sessionKey(session);
    this._stopping.add(key);
    this._changed.emit();
    try {
      const result = await this.api.stop(session.port);
      this.closeTab(session);
      return result;
    } catch (e) {
      if (e instanceof SidecarError && e.status === 404) {
        // Already gone: the wish is fulfilled.
        this.closeTab(session);
        return { port: session.port };
      }
      throw e;
    } finally {
      this._stopping.delete(key);
      await this.refresh();
    }
  }

  tabFor(session: ISession): Widget | undefined {
    return this._tabs.get(sessionKey(session));
  }

  /** Remember that `widget` shows `session`; forgotten when it closes. */
  trackTab(session: ISession, widget: Widget): void {
    const key = sessionKey(session);
    this._tabs.set(key, widget);
    widget.disposed.connect(() => {
      if (this._tabs.get(key) === widget) {
        this._tabs.delete(key);
        this._changed.emit();
      }
    });
    this._changed.emit();
  }

  closeTab(session: ISession): void {
    const widget = this._tabs.get(sessionKey(session));
    if (widget && !widget.isDisposed) {
      widget.dispose();
    }
    this._tabs.delete(sessionKey(session));
  }

  private _sessions: ISession[] = [];
  private _error: string | null = null;
  private _starting = 0;
  private _stopping = new Set<string>();
  private _tabs = new Map<string, Widget>();
  private _changed = new Signal<this, void>(this);
}
