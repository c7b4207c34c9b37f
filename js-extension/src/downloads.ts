/**
 * Downloads Firefox finished, as the sidecar lists them in each session
 * (`downloads`, oldest first), and what this window tells the person about
 * them: each new one once, never those already there when the page loaded,
 * named as text, with the path the file browser can go to when the file
 * lies under Jupyter's root directory.
 *
 * A file name comes from a web site: hostile text. It is only ever shown as
 * text (JupyterLab's notifications render their message as text), cleaned of
 * control and reordering characters, and cut short.
 *
 * Pure: no DOM and no JupyterLab imports, so `node --test` covers it.
 */
import { cleanTitle, shortenTitle } from './client';
import { normalizeAbsolute } from './options';
import { ISession } from './sessions';

/** One finished download, as the sidecar reports it. */
export interface IDownload {
  /** The file's name (from the web site). */
  name: string;
  /** Absolute path of the finished file. */
  path: string;
  size: number | null;
  /** RFC 3339 */
  finished_at: string;
}

/** A download seen for the first time, and the session that made it. */
export interface INewDownload {
  session: ISession;
  download: IDownload;
}

/** The well-formed entries of a session's `downloads` (anything else is skipped). */
export function parseDownloads(value: unknown): IDownload[] {
  if (!Array.isArray(value)) {
    return [];
  }
  const out: IDownload[] = [];
  for (const v of value) {
    if (typeof v !== 'object' || v === null) {
      continue;
    }
    const d = v as Record<string, unknown>;
    if (typeof d.path !== 'string' || !d.path.startsWith('/')) {
      continue;
    }
    const base = d.path.slice(d.path.lastIndexOf('/') + 1);
    out.push({
      name: typeof d.name === 'string' && d.name ? d.name : base,
      path: d.path,
      size: typeof d.size === 'number' && Number.isFinite(d.size) ? d.size : null,
      finished_at: typeof d.finished_at === 'string' ? d.finished_at : ''
    });
  }
  return out;
}

/** What tells one download from another: where it landed, and when. */
export function downloadKey(d: Pick<IDownload, 'path' | 'finished_at'>): string {
  return `${d.finished_at}\n${d.path}`;
}

/**
 * Which downloads are new to this window. The first list it is given (the
 * first poll after the page loaded) only records what is there: a reload
 * announces nothing again.
 */
export class DownloadTracker {
  /** Whether the first list was seen. */
  get primed(): boolean {
    return this._primed;
  }

  /** The downloads in `sessions` not seen before (none for the first list), oldest first per session. */
  update(sessions: readonly ISession[]): INewDownload[] {
    const fresh: INewDownload[] = [];
    for (const session of sessions) {
      for (const download of parseDownloads(session.downloads)) {
        const key = downloadKey(download);
        if (this._seen.has(key)) {
          continue;
        }
        this._seen.add(key);
        if (this._primed) {
          fresh.push({ session, download });
        }
      }
    }
    this._primed = true;
    return fresh;
  }

  private _primed = false;
  private _seen = new Set<string>();
}

/**
 * The path the file browser goes to for the file at `path` (absolute): the
 * file relative to Jupyter's root directory, as `/dir/file` (a leading slash,
 * so no first segment is taken for a drive name), for the first of `roots`
 * it lies under; null when it lies under none (or is not a plain absolute
 * path).
 */
export function revealPath(path: string, roots: readonly string[]): string | null {
  const file = normalizeAbsolute(path);
  // A path the sidecar sends is already plain: one that needed resolving is
  // not trusted to mean what it says.
  if (file === null || file !== path.replace(/\/+$/, '') || file === '/') {
    return null;
  }
  for (const root of roots) {
    const r = normalizeAbsolute(root);
    if (r === null) {
      continue;
    }
    const prefix = r === '/' ? '/' : `${r}/`;
    if (file.startsWith(prefix)) {
      return `/${file.slice(prefix.length)}`;
    }
  }
  return null;
}

// JupyterLab cuts a notification's message at 140 characters: the name and
// the path are shortened so that the whole message fits.
/** Longest file name shown in a notification, in characters. */
export const NAME_CHARS = 60;
/** Longest file name shown next to its path. */
export const NAME_WITH_PATH_CHARS = 40;
/** Longest path shown in a notification, in characters. */
export const PATH_CHARS = 72;

/** `text` cleaned, cut in the middle to `max` characters (the end of a path says most). */
export function shortenMiddle(text: string, max: number): string {
  const chars = Array.from(cleanTitle(text));
  if (chars.length <= max) {
    return chars.join('');
  }
  const head = Math.floor((max - 1) / 3);
  const tail = max - 1 - head;
  return chars.slice(0, head).join('') + '\u2026' + chars.slice(chars.length - tail).join('');
}

/**
 * The notification's text for `download`: its name, and, when the file
 * browser cannot show it (`reveal` null), where it is.
 */
export function downloadMessage(download: IDownload, reveal: string | null): string {
  if (reveal !== null) {
    return `Firefox downloaded ${shortenTitle(download.name, NAME_CHARS) || 'a file'}`;
  }
  const name = shortenTitle(download.name, NAME_WITH_PATH_CHARS) || 'a file';
  return `Firefox downloaded ${name} to ${shortenMiddle(download.path, PATH_CHARS)}`;
}
