/**
 * Session records as the sidecar reports them, and the logic of the
 * sessions panel: parsing, ordering, ages, and error wording.
 *
 * Pure: no DOM and no JupyterLab imports, so `node --test` covers it.
 */
import { sessionName, shortenTitle } from './client';

export type SessionStatus = 'starting' | 'ready' | 'stopping';

/** One Firefox session, as `GET /api/sessions` lists it. */
export interface ISession {
  port: number;
  status: SessionStatus | string;
  pid?: number;
  pgid?: number;
  display?: string | number;
  dir?: string;
  url?: string | null;
  /** RFC 3339 */
  created_at: string;
  /** Relative path of the session's page (our Xpra client), `sessions/<port>/`. */
  path: string;
  /** Firefox's window title now: text from the web page, hostile. */
  title?: string | null;
  /** `temporary` (a fresh profile) or `persistent` (the one that lasts). */
  profile?: string;
  /** Which way text may cross the clipboard: both, to-firefox, from-firefox, off. */
  clipboard?: string;
  /** Whether Firefox's sound is forwarded to the tab. */
  audio?: boolean;
  /** Where Firefox saves downloads (absolute). */
  downloads_dir?: string;
  /** Finished downloads, oldest first (see downloads.ts). */
  downloads?: unknown;
}

/** The answer of `DELETE /api/sessions/<port>`. */
export interface IStopResult {
  port: number;
  signal?: string;
  elapsed_ms?: number;
}

/** One row of the sessions panel. */
export interface ISessionRow {
  key: string;
  port: number;
  status: string;
  age: string;
  /** `Firefox :PORT`, for buttons' tooltips. */
  label: string;
  /** The session's page title, else its start address, else its port. */
  name: string;
  /** `name` cut short for the panel. */
  shortName: string;
  /** True while a stop request from this page is under way. */
  stopping: boolean;
  /** True when a tab of this page shows the session. */
  open: boolean;
  /** True when it runs on the persistent profile (it remembers logins). */
  persistent: boolean;
}

/**
 * A key that tells two sessions apart even when the sidecar reuses a port:
 * port plus creation time.
 */
export function sessionKey(s: Pick<ISession, 'port' | 'created_at'>): string {
  return `${s.port}@${s.created_at}`;
}

/** Check one session object from the sidecar; throws on a malformed one. */
export function parseSession(value: unknown): ISession {
  if (typeof value !== 'object' || value === null) {
    throw new Error('session is not an object');
  }
  const v = value as Record<string, unknown>;
  if (typeof v.port !== 'number' || !Number.isInteger(v.port)) {
    throw new Error('session has no numeric port');
  }
  if (typeof v.status !== 'string') {
    throw new Error(`session ${v.port} has no status`);
  }
  return {
    ...(v as object),
    port: v.port,
    status: v.status,
    created_at: typeof v.created_at === 'string' ? v.created_at : '',
    path: typeof v.path === 'string' ? v.path : `sessions/${v.port}/`,
    title: typeof v.title === 'string' ? v.title : null
  } as ISession;
}

/** Check `{"sessions": [...]}` from the sidecar. */
export function parseSessionList(value: unknown): ISession[] {
  if (
    typeof value !== 'object' ||
    value === null ||
    !Array.isArray((value as { sessions?: unknown }).sessions)
  ) {
    throw new Error('sidecar answered without a session list');
  }
  return (value as { sessions: unknown[] }).sessions.map(parseSession);
}

/** "5 s", "3 min", "2 h 5 min", "1 d 4 h" — how long ago `createdAt` was. */
export function formatAge(createdAt: string, now: number): string {
  const t = Date.parse(createdAt);
  if (Number.isNaN(t)) {
    return '?';
  }
  const s = Math.max(0, Math.floor((now - t) / 1000));
  if (s < 60) {
    return `${s} s`;
  }
  const m = Math.floor(s / 60);
  if (m < 60) {
    return `${m} min`;
  }
  const h = Math.floor(m / 60);
  if (h < 24) {
    return m % 60 ? `${h} h ${m % 60} min` : `${h} h`;
  }
  const d = Math.floor(h / 24);
  return h % 24 ? `${d} d ${h % 24} h` : `${d} d`;
}

/**
 * The panel's rows: newest session first, with age, and what this page is
 * doing to each (stopping, shown in a tab).
 */
export function sessionRows(
  sessions: readonly ISession[],
  now: number,
  stopping: ReadonlySet<string> = new Set(),
  openKeys: ReadonlySet<string> = new Set()
): ISessionRow[] {
  return [...sessions]
    .sort((a, b) => {
      const ta = Date.parse(a.created_at) || 0;
      const tb = Date.parse(b.created_at) || 0;
      return tb - ta || b.port - a.port;
    })
    .map(s => {
      const key = sessionKey(s);
      const isStopping = stopping.has(key) || s.status === 'stopping';
      return {
        key,
        port: s.port,
        status: stopping.has(key) ? 'stopping' : s.status,
        age: formatAge(s.created_at, now),
        label: `Firefox :${s.port}`,
        name: sessionName(s),
        shortName: shortenTitle(sessionName(s)),
        stopping: isStopping,
        open: openKeys.has(key),
        persistent: s.profile === 'persistent'
      };
    });
}

/**
 * What the sidecar's answer to `GET api/sessions/PORT` says of the session
 * `expected` a tab shows: `ended` when it is gone (404) or the port now
 * belongs to another session, `ending` while it is being stopped, `alive`,
 * or `unknown` when the sidecar could not be asked.
 */
export type SessionVerdict = 'alive' | 'ending' | 'ended' | 'unknown';

export function sessionVerdict(
  expected: Pick<ISession, 'port' | 'created_at'>,
  status: number | null,
  found: ISession | null
): SessionVerdict {
  if (status === 404) {
    return 'ended';
  }
  if (status !== 200 || !found || found.port !== expected.port) {
    return 'unknown';
  }
  if (expected.created_at && found.created_at !== expected.created_at) {
    return 'ended';
  }
  return found.status === 'stopping' ? 'ending' : 'alive';
}

/** Keys in `before` that `after` no longer lists. */
export function goneKeys(
  before: Iterable<string>,
  after: readonly ISession[]
): string[] {
  const now = new Set(after.map(sessionKey));
  return [...before].filter(k => !now.has(k));
}

/**
 * Whether a refused start says the persistent profile is taken:
 * `409 {"code": "profile_in_use"}`.
 */
export function isProfileInUse(status: number | null, body: unknown): boolean {
  return (
    status === 409 &&
    typeof body === 'object' &&
    body !== null &&
    (body as { code?: unknown }).code === 'profile_in_use'
  );
}

/** The session running on the persistent profile, if the list has one. */
export function profileHolder(sessions: readonly ISession[]): ISession | undefined {
  return sessions.find(s => s.profile === 'persistent' && s.status !== 'stopping');
}

/**
 * The sentence to show a person for a failed sidecar call: the sidecar's own
 * `error` text when it sent one, otherwise words for the HTTP status.
 */
export function describeError(
  action: string,
  status: number | null,
  body: unknown
): string {
  let detail = '';
  if (body && typeof body === 'object') {
    const b = body as { error?: unknown; code?: unknown; message?: unknown };
    if (typeof b.error === 'string' && b.error) {
      detail = b.error;
      if (typeof b.code === 'string' && b.code) {
        detail += ` (${b.code})`;
      }
    } else if (typeof b.message === 'string' && b.message) {
      detail = b.message;
    }
  } else if (
    typeof body === 'string' &&
    body.trim() &&
    !body.trim().startsWith('<')
  ) {
    // Plain text only: an HTML error page from a proxy says nothing useful.
    detail = body.trim().slice(0, 300);
  }
  if (!detail) {
    if (status === null) {
      detail = 'the server could not be reached';
    } else if (status === 504) {
      detail = 'Firefox did not become ready in time (504)';
    } else if (status === 401 || status === 403) {
      detail = `the firefox-launcher service refused the request (${status})`;
    } else if (status === 404) {
      detail = 'not found (404)';
    } else if (status >= 500) {
      detail = `the firefox-launcher service failed (HTTP ${status})`;
    } else {
      detail = `HTTP ${status}`;
    }
  }
  return `Could not ${action}: ${detail}`;
}
