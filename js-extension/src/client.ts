/**
 * What the session's client page, in a tab's iframe, tells JupyterLab, and
 * how Firefox's titles are shown in JupyterLab.
 *
 * The client page (`sessions/PORT/`, served by the sidecar from JupyterLab's
 * own origin) posts `{type: 'firefox-launcher:title', title}` when Firefox's
 * window title changes and `{type: 'firefox-launcher:connection', state:
 * 'lost' | 'established' | 'closed'}` when its connection drops, comes back,
 * or is given up for good (replaced by another client, or refused). A title
 * is text from the web page shown in Firefox: hostile, so it is only ever
 * shown as text (Lumino's `title.label`, `textContent`), cleaned of control
 * and direction-override characters, and cut short.
 *
 * Pure: no DOM globals and no JupyterLab imports, so `node --test` covers it.
 */

export const TITLE_MESSAGE = 'firefox-launcher:title';
export const CONNECTION_MESSAGE = 'firefox-launcher:connection';

/** Longest tab label, in characters (graphemes), ellipsis included. */
export const LABEL_CHARS = 40;
/** A title is cut to this many characters before anything keeps it. */
export const MAX_TITLE_CHARS = 1000;

export type ClientMessage =
  | { kind: 'title'; title: string }
  | { kind: 'connection'; state: 'lost' | 'established' | 'closed' };

/** The parts of a `MessageEvent` the filter looks at. */
export interface IMessageEventLike {
  source: unknown;
  origin: string;
  data: unknown;
}

/**
 * The message `event` carries from the client in `frameWindow` (the tab's
 * `iframe.contentWindow`), or null when it is anything else: sent by another
 * window, from another origin than `origin` (JupyterLab's, which is the
 * client's), or not of a known shape.
 */
export function clientMessage(
  event: IMessageEventLike,
  frameWindow: unknown,
  origin: string
): ClientMessage | null {
  if (
    frameWindow === null ||
    frameWindow === undefined ||
    event.source !== frameWindow ||
    event.origin !== origin ||
    origin === 'null'
  ) {
    return null;
  }
  const data = event.data;
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    return null;
  }
  const m = data as { type?: unknown; title?: unknown; state?: unknown };
  if (m.type === TITLE_MESSAGE && typeof m.title === 'string') {
    return { kind: 'title', title: m.title.slice(0, MAX_TITLE_CHARS) };
  }
  if (
    m.type === CONNECTION_MESSAGE &&
    (m.state === 'lost' || m.state === 'established' || m.state === 'closed')
  ) {
    return { kind: 'connection', state: m.state };
  }
  return null;
}

// Control characters (C0, C1, DEL) and line or paragraph separators become
// spaces; the invisible characters that reorder text (bidi marks,
// embeddings, overrides and isolates) go: a title could use them to look
// like something else.
const CONTROLS = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g;
const REORDERING = /[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

/** `text` without control or reordering characters, its spaces collapsed. */
export function cleanTitle(text: string): string {
  return String(text)
    .slice(0, MAX_TITLE_CHARS)
    .replace(CONTROLS, ' ')
    .replace(REORDERING, '')
    .replace(/\s+/g, ' ')
    .trim();
}

/**
 * The page's title out of Firefox's window title: cleaned, without Firefox's
 * own " — Mozilla Firefox" suffix; empty when Firefox shows no page title.
 */
export function pageTitle(windowTitle: string | null | undefined): string {
  const t = cleanTitle(windowTitle ?? '');
  if (/^Mozilla Firefox( ESR)?$/.test(t)) {
    return '';
  }
  return t.replace(/\s+[\u2014\u2013-]\s+Mozilla Firefox( ESR)?$/, '');
}

/** The characters of `text` as a person counts them (grapheme clusters). */
function graphemes(text: string): string[] {
  const Segmenter = (Intl as { Segmenter?: any }).Segmenter;
  if (typeof Segmenter === 'function') {
    const seg = new Segmenter(undefined, { granularity: 'grapheme' });
    return Array.from(seg.segment(text) as Iterable<{ segment: string }>, s => s.segment);
  }
  return Array.from(text);
}

/**
 * `text` cleaned and cut to at most `max` characters, the last of them an
 * ellipsis when it was cut. Never splits a character (nor an emoji).
 */
export function shortenTitle(text: string, max = LABEL_CHARS): string {
  const t = cleanTitle(text);
  const chars = graphemes(t);
  if (chars.length <= max) {
    return t;
  }
  return chars.slice(0, Math.max(0, max - 1)).join('').trimEnd() + '\u2026';
}

/** What a tab showing a session is called: its page's title, shortened. */
export function tabLabel(windowTitle: string | null | undefined, port: number): string {
  const t = pageTitle(windowTitle);
  return t ? shortenTitle(t) : `Firefox :${port}`;
}

/** The tab's tooltip: the full title, the address Firefox started at, the session. */
export function tabCaption(
  windowTitle: string | null | undefined,
  url: string | null | undefined,
  port: number
): string {
  const lines: string[] = [];
  const t = cleanTitle(windowTitle ?? '');
  if (t) {
    lines.push(t);
  }
  const u = cleanTitle(url ?? '');
  if (u) {
    lines.push(u);
  }
  lines.push(`Firefox session :${port}`);
  return lines.join('\n');
}

/**
 * What a session is, for a person: its page title, else the address it
 * started at, else its port. Full length (shorten it for display).
 */
export function sessionName(s: {
  port: number;
  title?: string | null;
  url?: string | null;
}): string {
  return pageTitle(s.title) || cleanTitle(s.url ?? '') || `Firefox :${s.port}`;
}
