/**
 * What a new Firefox session is asked for (`POST api/sessions`): its start
 * address, its profile, its clipboard direction, its downloads folder and
 * whether it has sound,
 * from the extension's settings or the person's choice in the panel.
 *
 * A field is sent only when someone chose it: otherwise the service decides
 * (its `--clipboard` and `--downloads`, which an administrator may have set),
 * and the sidecar refuses fields it does not know. The downloads folder goes
 * out absolute: a relative setting is taken from Jupyter's root directory.
 *
 * Pure: no DOM and no JupyterLab imports, so `node --test` covers it.
 */

export const PROFILES = ['temporary', 'persistent'] as const;
/** `temporary`: a fresh profile, deleted with its session; `persistent`: one that lasts. */
export type Profile = (typeof PROFILES)[number];

export const CLIPBOARD_MODES = ['both', 'to-firefox', 'from-firefox', 'off'] as const;
/** Which way text may cross between the person's clipboard and Firefox's. */
export type ClipboardMode = (typeof CLIPBOARD_MODES)[number];

/** What a start asks for; unset fields are left to the service. */
export interface IStartRequest {
  url?: string | null;
  profile?: Profile | null;
  clipboard?: ClipboardMode | null;
  /** Absolute. */
  downloads?: string | null;
  /** `false`: no sound for this session; otherwise the service's default. */
  audio?: boolean | null;
}

/** The JSON body of `POST api/sessions`: only the fields that are set. */
export function startRequestBody(request: IStartRequest = {}): Record<string, string | boolean> {
  const body: Record<string, string | boolean> = {};
  const url = (request.url ?? '').trim();
  if (url) {
    body.url = url;
  }
  const profile = asProfile(request.profile);
  if (profile) {
    body.profile = profile;
  }
  const clipboard = asClipboardMode(request.clipboard);
  if (clipboard) {
    body.clipboard = clipboard;
  }
  const downloads = (request.downloads ?? '').trim();
  if (downloads) {
    if (!downloads.startsWith('/')) {
      throw new Error(`the downloads folder must be an absolute path: ${downloads}`);
    }
    body.downloads = downloads;
  }
  // Only ever turned off: a session cannot have sound the service does not offer.
  if (request.audio === false) {
    body.audio = false;
  }
  return body;
}

/** `value` if it names a profile, else null. */
export function asProfile(value: unknown): Profile | null {
  return (PROFILES as readonly unknown[]).includes(value) ? (value as Profile) : null;
}

/** `value` if it names a clipboard direction, else null. */
export function asClipboardMode(value: unknown): ClipboardMode | null {
  return (CLIPBOARD_MODES as readonly unknown[]).includes(value)
    ? (value as ClipboardMode)
    : null;
}

/** Whether text copied on the person's computer may be pasted into Firefox. */
export function clipboardIntoFirefox(mode: unknown): boolean {
  return mode === 'both' || mode === 'to-firefox';
}

/**
 * `path` (absolute) with `.` and `..` segments resolved, repeated and
 * trailing slashes removed; null if it is not absolute or holds a NUL.
 */
export function normalizeAbsolute(path: string): string | null {
  if (!path.startsWith('/') || path.includes('\0')) {
    return null;
  }
  const out: string[] = [];
  for (const seg of path.split('/')) {
    if (seg === '' || seg === '.') {
      continue;
    }
    if (seg === '..') {
      out.pop();
    } else {
      out.push(seg);
    }
  }
  return '/' + out.join('/');
}

/**
 * Jupyter's root directory as absolute paths this page can know, best
 * first: the page config's `serverRoot` when it is absolute (Jupyter writes
 * it as `~/...` when it lies under the home directory), then the path of
 * jupyter-lsp's `rootUri` (`file:///...`, symbolic links resolved), which
 * JupyterLab 4 installs alongside.
 */
export function jupyterRoots(serverRoot: string | null | undefined, rootUri: string | null | undefined): string[] {
  const roots: string[] = [];
  const add = (p: string | null) => {
    if (p && !roots.includes(p)) {
      roots.push(p);
    }
  };
  add(normalizeAbsolute(serverRoot ?? ''));
  if (rootUri) {
    try {
      const u = new URL(rootUri);
      if (u.protocol === 'file:' && (u.host === '' || u.host === 'localhost')) {
        add(normalizeAbsolute(decodeURIComponent(u.pathname)));
      }
    } catch {
      // not a URL
    }
  }
  return roots;
}

/**
 * The `downloadsDir` setting as the absolute folder to send, or null when
 * it is empty (the service's default). A relative path is taken from
 * Jupyter's root directory (`roots[0]`). Throws, in words, when it cannot be
 * made absolute.
 */
export function resolveDownloadsDir(setting: unknown, roots: readonly string[]): string | null {
  const value = typeof setting === 'string' ? setting.trim() : '';
  if (!value) {
    return null;
  }
  if (value.includes('\0')) {
    throw new Error('the downloadsDir setting holds a NUL character');
  }
  if (value === '~' || value.startsWith('~/')) {
    throw new Error(
      `the downloadsDir setting "${value}" starts with ~: give an absolute path, or one relative to Jupyter's root directory`
    );
  }
  if (value.startsWith('/')) {
    return normalizeAbsolute(value);
  }
  const root = roots[0];
  if (!root) {
    throw new Error(
      `the downloadsDir setting "${value}" is relative, and Jupyter's root directory is not known here: give an absolute path`
    );
  }
  return normalizeAbsolute(`${root}/${value}`);
}
