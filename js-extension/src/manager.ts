/**
 * What this page knows about the sidecar's Firefox sessions: the last list,
 * the starts and stops under way, and which main-area tab shows which
 * session. The panel renders it; the commands change it; a tab learns from
 * `ended` that its session is gone (stopped here, or found missing).
 */
import { ISignal, Signal } from '@lumino/signaling';
import { Widget } from '@lumino/widgets';

import { SidecarApi, SidecarError } from './api';
import { IStartRequest } from './options';
import {
  goneKeys,
  ISession,
  IStopResult,
  sessionKey,
  SessionVerdict,
  sessionVerdict
} from './sessions';

export class SessionManager {
  constructor(readonly api: SidecarApi) {}

  /** Emitted whenever sessions, errors, starts or stops change. */
  get changed(): ISignal<this, void> {
    return this._changed;
  }

  /**
   * Emitted with a session's key when a tab of this page showed it and it
   * has ended: stopped from this page, no longer listed, or found gone.
   */
  get ended(): ISignal<this, string> {
    return this._ended;
  }

  /**
   * Emitted with each list the sidecar answered (not with a single session
   * looked up by `check`): what the download notifications follow.
   */
  get listed(): ISignal<this, readonly ISession[]> {
    return this._listed;
  }

  /** When the sidecar last answered a list (`Date.now()`), or 0. */
  get listedAt(): number {
    return this._listedAt;
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
    // Only a list asked for after a tab was tracked can say its session is
    // gone: an older one may predate the session.
    const asked = ++this._generation;
    try {
      const sessions = await this.api.list();
      this._error = null;
      this._sessions = sessions;
      this._listedAt = Date.now();
      for (const key of goneKeys(this._tabs.keys(), sessions)) {
        if ((this._trackedAt.get(key) ?? asked) < asked) {
          this._endTab(key);
        }
      }
      this._listed.emit(sessions);
    } catch (e) {
      this._error = e instanceof Error ? e.message : String(e);
    }
    this._changed.emit();
  }

  /**
   * Ask the sidecar whether `session` still runs. When it has ended, the tab
   * showing it (if any) is told through `ended`.
   */
  async check(session: ISession): Promise<SessionVerdict> {
    let verdict: SessionVerdict;
    try {
      const found = await this.api.get(session.port);
      verdict = sessionVerdict(session, 200, found);
      if (verdict === 'alive' || verdict === 'ending') {
        // Fresher than the last list: keep it (a restored tab reads it).
        const key = sessionKey(found);
        const others = this._sessions.filter(s => sessionKey(s) !== key);
        this._sessions = [...others, found];
        this._changed.emit();
      }
    } catch (e) {
      verdict = sessionVerdict(
        session,
        e instanceof SidecarError ? e.status : null,
        null
      );
    }
    if (verdict === 'ended') {
      const key = sessionKey(session);
      this._sessions = this._sessions.filter(s => sessionKey(s) !== key);
      this._endTab(key);
      this._changed.emit();
    }
    return verdict;
  }

  /** The title a tab's client reported for `session` (shown by the panel). */
  noteTitle(session: ISession, title: string): void {
    const key = sessionKey(session);
    let changed = false;
    this._sessions = this._sessions.map(s => {
      if (sessionKey(s) !== key || s.title === title) {
        return s;
      }
      changed = true;
      return { ...s, title };
    });
    if (changed) {
      this._changed.emit();
    }
  }

  /** Start a session; resolves once Firefox is ready. */
  async start(request: IStartRequest = {}): Promise<ISession> {
    this._starting++;
    this._changed.emit();
    try {
      return await this.api.start(request);
    } finally {
      this._starting--;
      void this.refresh();
    }
  }

  /** Stop a session; the tab that shows it learns it ended. */
  async stop(session: ISession): Promise<IStopResult> {
    const key = sessionKey(session);
    this._stopping.add(key);
    this._changed.emit();
    try {
      const result = await this.api.stop(session.port);
      this._endTab(key);
      return result;
    } catch (e) {
      if (e instanceof SidecarError && e.status === 404) {
        // Already gone: the wish is fulfilled.
        this._endTab(key);
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
    this._trackedAt.set(key, this._generation);
    widget.disposed.connect(() => this.untrackTab(session, widget));
    this._changed.emit();
  }

  /** Forget that `widget` shows `session` (it shows something else now). */
  untrackTab(session: ISession, widget: Widget): void {
    const key = sessionKey(session);
    if (this._tabs.get(key) === widget) {
      this._tabs.delete(key);
      this._trackedAt.delete(key);
      this._changed.emit();
    }
  }

  private _endTab(key: string): void {
    if (this._tabs.delete(key)) {
      this._trackedAt.delete(key);
      this._ended.emit(key);
    }
  }

  private _sessions: ISession[] = [];
  private _error: string | null = null;
  private _starting = 0;
  private _stopping = new Set<string>();
  private _tabs = new Map<string, Widget>();
  /** The list generation current when each tab was tracked. */
  private _trackedAt = new Map<string, number>();
  private _generation = 0;
  private _listedAt = 0;
  private _listed = new Signal<this, readonly ISession[]>(this);
  private _changed = new Signal<this, void>(this);
  private _ended = new Signal<this, string>(this);
}
