/**
 * The "Firefox sessions" side panel: one row per session with its page
 * title (text from the web: set as text, shortened), port, age and status,
 * whether it remembers the person (the persistent profile), and buttons to
 * open it again or stop it. Besides "New", a second button starts a Firefox
 * on the persistent profile whatever the settings say. Polls every 5 s
 * while it is visible.
 */
import { Message } from '@lumino/messaging';
import { Widget } from '@lumino/widgets';

import { firefoxIcon } from './icons';
import { SessionManager } from './manager';
import { Profile } from './options';
import { ISession, sessionRows } from './sessions';

export const POLL_INTERVAL_MS = 5000;

export interface ISessionsPanelOptions {
  manager: SessionManager;
  /** Start a session: on `profile`, or as the settings say when unset. */
  onNew: (profile?: Profile) => void;
  onOpen: (session: ISession) => void;
  onStop: (session: ISession) => void;
}

export class SessionsPanel extends Widget {
  constructor(private readonly _options: ISessionsPanelOptions) {
    super();
    this.id = 'jp-firefox-sessions';
    this.addClass('jp-FirefoxSessions');
    this.title.icon = firefoxIcon;
    this.title.caption = 'Firefox sessions';

    const header = document.createElement('div');
    header.className = 'jp-FirefoxSessions-header';
    const h = document.createElement('h2');
    h.textContent = 'Firefox sessions';
    header.appendChild(h);
    header.appendChild(
      button('New', 'jp-FirefoxSessions-new', 'Start a new Firefox session', () =>
        this._options.onNew()
      )
    );
    header.appendChild(
      button('Refresh', 'jp-FirefoxSessions-refresh', 'Refresh the list', () =>
        void this._options.manager.refresh()
      )
    );
    this.node.appendChild(header);

    const starts = document.createElement('div');
    starts.className = 'jp-FirefoxSessions-starts';
    starts.appendChild(
      button(
        'New Firefox (remembers you)',
        'jp-FirefoxSessions-newPersistent',
        'Start Firefox on the profile that lasts: it keeps logins, cookies, bookmarks and history (one session at a time)',
        () => this._options.onNew('persistent')
      )
    );
    this.node.appendChild(starts);

    this._status = document.createElement('div');
    this._status.className = 'jp-FirefoxSessions-status';
    this.node.appendChild(this._status);

    this._list = document.createElement('ul');
    this._list.className = 'jp-FirefoxSessions-list';
    this.node.appendChild(this._list);

    this._options.manager.changed.connect(this._render, this);
    this._render();
  }

  dispose(): void {
    this._stopPolling();
    this._options.manager.changed.disconnect(this._render, this);
    super.dispose();
  }

  protected onAfterShow(msg: Message): void {
    super.onAfterShow(msg);
    this._startPolling();
  }

  protected onAfterAttach(msg: Message): void {
    super.onAfterAttach(msg);
    if (this.isVisible) {
      this._startPolling();
    }
  }

  protected onAfterHide(msg: Message): void {
    super.onAfterHide(msg);
    this._stopPolling();
  }

  protected onBeforeDetach(msg: Message): void {
    this._stopPolling();
    super.onBeforeDetach(msg);
  }

  private _startPolling(): void {
    if (this._timer !== null) {
      return;
    }
    void this._options.manager.refresh();
    this._timer = window.setInterval(() => {
      if (this.isVisible && !document.hidden) {
        void this._options.manager.refresh();
      }
    }, POLL_INTERVAL_MS);
  }

  private _stopPolling(): void {
    if (this._timer !== null) {
      window.clearInterval(this._timer);
      this._timer = null;
    }
  }

  private _render(): void {
    const m = this._options.manager;
    const parts: string[] = [];
    if (m.starting > 0) {
      parts.push(
        m.starting === 1
          ? 'Starting Firefox…'
          : `Starting ${m.starting} Firefox sessions…`
      );
    }
    if (m.error) {
      parts.push(m.error);
    }
    this._status.textContent = parts.join(' ');
    this._status.classList.toggle('jp-mod-error', !!m.error);
    this._status.classList.toggle('jp-mod-starting', m.starting > 0);

    const rows = sessionRows(m.sessions, Date.now(), m.stopping, m.openKeys);
    this._list.replaceChildren();
    if (rows.length === 0) {
      const empty = document.createElement('li');
      empty.className = 'jp-FirefoxSessions-empty';
      empty.textContent = m.starting > 0 ? '' : 'No Firefox session is running.';
      this._list.appendChild(empty);
    }
    for (const row of rows) {
      const session = m.sessions.find(
        s => `${s.port}@${s.created_at}` === row.key
      );
      if (!session) {
        continue;
      }
      const li = document.createElement('li');
      li.className = 'jp-FirefoxSessions-item';
      li.dataset.port = String(row.port);
      li.dataset.status = row.status;

      // The page's title (else its address, else its port), as text.
      const name = document.createElement('div');
      name.className = 'jp-FirefoxSessions-name';
      name.textContent = row.shortName;
      name.title = row.name;
      const label = document.createElement('span');
      label.className = 'jp-FirefoxSessions-label';
      label.textContent = `:${row.port}`;
      label.title = row.label;
      const status = document.createElement('span');
      status.className = `jp-FirefoxSessions-state jp-mod-${row.status}`;
      status.textContent = row.status;
      const age = document.createElement('span');
      age.className = 'jp-FirefoxSessions-age';
      age.textContent = row.age;
      age.title = `started ${session.created_at}`;

      const open = button(
        'Open',
        'jp-FirefoxSessions-open',
        `Open ${row.label}`,
        () => this._options.onOpen(session),
        'jp-mod-accept'
      );
      open.disabled = row.stopping;
      const stop = button(
        row.stopping ? 'Stopping…' : 'Stop',
        'jp-FirefoxSessions-stop',
        `Stop ${row.label}`,
        () => this._options.onStop(session),
        'jp-mod-warn'
      );
      stop.disabled = row.stopping;

      const line = document.createElement('div');
      line.className = 'jp-FirefoxSessions-line';
      line.append(label, status, age, open, stop);
      li.append(name, line);
      if (row.persistent) {
        li.dataset.profile = 'persistent';
        const remembers = document.createElement('div');
        remembers.className = 'jp-FirefoxSessions-profile';
        remembers.textContent = 'Remembers you (persistent profile)';
        remembers.title = 'This Firefox keeps logins, cookies, bookmarks and history for the next session';
        li.insertBefore(remembers, line);
      }
      this._list.appendChild(li);
    }
  }

  private _status: HTMLDivElement;
  private _list: HTMLUListElement;
  private _timer: number | null = null;
}

function button(
  text: string,
  className: string,
  title: string,
  onClick: () => void,
  look = 'jp-mod-minimal'
): HTMLButtonElement {
  const b = document.createElement('button');
  b.type = 'button';
  b.className = `jp-Button jp-mod-styled ${look} ${className}`;
  b.textContent = text;
  b.title = title;
  b.addEventListener('click', onClick);
  return b;
}
