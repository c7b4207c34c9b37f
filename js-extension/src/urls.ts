/**
 * URL building for the firefox-launcher sidecar.
 *
 * Pure functions (only `URLExt` from @jupyterlab/coreutils, which loads in
 * plain node), so `node --test` covers them. Every URL starts from the
 * server settings' `baseUrl` (e.g. `/user/alice/`): nothing here assumes the
 * server lives at `/`.
 */
import { URLExt } from '@jupyterlab/coreutils';

/** The jupyter-server-proxy route name the sidecar is registered under. */
export const PROXY_NAME = 'firefox-launcher';

/**
 * Join URL parts with `URLExt.join` (single slashes; a trailing slash of the
 * last part is kept; a full base URL with scheme and host stays whole).
 */
export function joinUrl(...parts: string[]): string {
  return URLExt.join(...parts);
}

/** `<baseUrl>firefox-launcher/` — the sidecar's root behind the proxy. */
export function sidecarRoot(baseUrl: string): string {
  return joinUrl(baseUrl, PROXY_NAME, '/');
}

/** `<baseUrl>firefox-launcher/api/sessions` */
export function healthApiUrl(baseUrl: string): string {
  return joinUrl(sidecarRoot(baseUrl), 'api', 'health');
}

export function sessionsApiUrl(baseUrl: string): string {
  return joinUrl(baseUrl, PROXY_NAME, 'api', 'sessions');
}

/** `<baseUrl>firefox-launcher/api/events`, `?after=<id>` when following from an id. */
export function eventsApiUrl(baseUrl: string, after: number | null): string {
  const url = joinUrl(baseUrl, PROXY_NAME, 'api', 'events');
  return after === null ? url : `${url}?after=${Math.max(0, Math.floor(after))}`;
}

/** `<baseUrl>firefox-launcher/api/sessions/<port>` */
export function sessionApiUrl(baseUrl: string, port: number): string {
  return joinUrl(baseUrl, PROXY_NAME, 'api', 'sessions', String(checkPort(port)));
}

/**
 * `<baseUrl>firefox-launcher/sessions/<port>/` — the session's page (our Xpra client).
 *
 * The sidecar reports the client's location as a relative `path`
 * (`sessions/<port>/`). It is used when it has that form, so a sidecar
 * that moves the client keeps working; anything else (absolute, with a
 * scheme, or climbing up with `..`) is ignored in favour of the default.
 */
export function sessionClientUrl(
  baseUrl: string,
  port: number,
  path?: string | null
): string {
  const fallback = `sessions/${checkPort(port)}/`;
  const rel = path && isSafeRelativePath(path) ? path : fallback;
  return joinUrl(baseUrl, PROXY_NAME, rel.endsWith('/') ? rel : rel + '/');
}

/** True for a relative path without scheme, leading slash or `..` segment. */
export function isSafeRelativePath(path: string): boolean {
  if (path === '' || path.startsWith('/') || path.startsWith('\\')) {
    return false;
  }
  if (/^[a-zA-Z][a-zA-Z0-9+.-]*:/.test(path)) {
    return false;
  }
  return !path.split(/[/\\]/).some(seg => seg === '..');
}

/** A TCP port number, or throws. */
export function checkPort(port: number): number {
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new Error(`invalid session port: ${port}`);
  }
  return port;
}

/**
 * Make an absolute URL (for `window.open`) out of a path from the server
 * settings, against the page's own location.
 */
export function absoluteUrl(path: string, pageHref: string): string {
  return new URL(path, pageHref).href;
}

/**
 * The `keyboardLayout` setting, as the schema allows it: an X layout name
 * with an optional variant (`de`, `de(nodeadkeys)`) or a language tag
 * (`de-CH`). The client page reads the same forms.
 */
export const KEYBOARD_LAYOUT_PATTERN =
  /^[a-z]{2,8}(\([a-z0-9_]{1,32}\))?$|^[A-Za-z]{2,3}([-_][A-Za-z]{2})?$/;

/** A usable keyboard layout setting, trimmed, or null (empty or malformed). */
export function keyboardLayout(value: unknown): string | null {
  const v = typeof value === 'string' ? value.trim() : '';
  return v && KEYBOARD_LAYOUT_PATTERN.test(v) ? v : null;
}

/** Options the client page takes from its query string. */
export interface IClientOptions {
  /** The keyboard layout Firefox types with (else the client guesses it). */
  keyboardLayout?: string | null;
}

/**
 * `clientUrl` (a session's client page, without query) with the client's
 * options in its query string: `?keyboard_layout=de`.
 */
export function withClientOptions(clientUrl: string, options: IClientOptions): string {
  const query = new URLSearchParams();
  const layout = keyboardLayout(options.keyboardLayout);
  if (layout) {
    query.set('keyboard_layout', layout);
  }
  const q = query.toString();
  return q ? `${clientUrl}?${q}` : clientUrl;
}

/**
 * A `file:///` URL for `path` (relative to the server's root), each segment
 * percent-encoded. Jupyter shortens a root inside the user's home to `~/...`:
 * that stays `file:///~/...`, which the sidecar (the same user) expands.
 */
export function fileUrl(serverRoot: string, path: string): string {
  const root = serverRoot.replace(/\/+$/, '');
  const segments = `${root}/${path}`.split('/').filter(s => s !== '' && s !== '.');
  const absolute = root.startsWith('/') || root === '~' || root.startsWith('~/');
  if (!absolute || segments.includes('..')) {
    throw new Error(`cannot tell the file's absolute path (server root ${JSON.stringify(serverRoot)})`);
  }
  const encoded = segments.map(s => (s === '~' ? s : encodeURIComponent(s)));
  return 'file:///' + encoded.join('/');
}

/** What a person may type: a web address, with `https://` added when no scheme is given. */
export function typedUrl(text: string): string | null {
  const t = text.trim();
  if (!t) {
    return null;
  }
  return /^[a-z][a-z0-9+.-]*:/i.test(t) ? t : `https://${t}`;
}
