/**
 * Asking, in words, for the browser's permission to read the clipboard.
 *
 * Pasting into Firefox means the session's client (in the tab's same-origin
 * iframe) reads the person's clipboard, which Chromium allows only after
 * the page was granted `clipboard-read`. When the session lets text into
 * Firefox and the permission is still to be asked, the tab offers to ask
 * (the browser shows its prompt only for a read started by a click); when it
 * was refused, the tab says so and where to change it. Browsers that do not
 * know this permission (Firefox, Safari) ask on each paste themselves: the
 * tab says nothing there. A person who dismisses the bar is not asked again
 * in this browser.
 *
 * Pure: no DOM globals and no JupyterLab imports, so `node --test` covers it.
 */
import { clipboardIntoFirefox } from './options';

export type ClipboardPermission = 'granted' | 'denied' | 'prompt';

/** `ask`: offer to ask for the permission; `denied`: say it is refused; null: nothing. */
export type ClipboardAdvice = 'ask' | 'denied' | null;

export const ASK_TEXT =
  'To paste text from your computer into Firefox, allow this page to read the clipboard.';
export const DENIED_TEXT =
  'Pasting into Firefox is blocked: this browser does not let this page read the clipboard. ' +
  'To allow it, open the site settings (the icon left of the address), set Clipboard to Allow, and reload the page.';

/** localStorage key remembering that the bar for `advice` was dismissed. */
export function dismissKey(advice: Exclude<ClipboardAdvice, null>): string {
  return `firefox-launcher:clipboard-bar-dismissed:${advice}`;
}

/**
 * What the tab of a session whose clipboard is `mode` should say, given the
 * browser's `clipboard-read` permission (`state`, null when the browser
 * cannot tell) and the advice already dismissed in this browser.
 */
export function clipboardAdvice(
  mode: unknown,
  state: ClipboardPermission | null,
  dismissed: (advice: Exclude<ClipboardAdvice, null>) => boolean
): ClipboardAdvice {
  if (!clipboardIntoFirefox(mode) || state === null || state === 'granted') {
    return null;
  }
  const advice = state === 'prompt' ? 'ask' : 'denied';
  return dismissed(advice) ? null : advice;
}

/** The parts of `navigator` asked. */
export interface INavigatorLike {
  permissions?: {
    query(descriptor: { name: string }): Promise<{ state: string }>;
  };
}

/**
 * The browser's `clipboard-read` permission, or null when it does not know
 * that permission (Firefox and Safari throw) or has no Permissions API.
 */
export async function clipboardReadPermission(
  nav: INavigatorLike | undefined
): Promise<ClipboardPermission | null> {
  try {
    const status = await nav?.permissions?.query({ name: 'clipboard-read' });
    const state = status?.state;
    return state === 'granted' || state === 'denied' || state === 'prompt' ? state : null;
  } catch {
    return null;
  }
}
