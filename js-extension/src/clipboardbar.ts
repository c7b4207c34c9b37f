/**
 * The bar a Firefox tab shows over the bottom left of its client when pasting
 * into Firefox needs the browser's permission (what it says: clipboard.ts).
 * It lies over the client rather than beside it, so Firefox keeps the
 * whole tab and is not resized when the bar comes and goes. Every string is
 * set as text.
 */
import { Widget } from '@lumino/widgets';

import {
  ASK_TEXT,
  ClipboardAdvice,
  clipboardAdvice,
  clipboardReadPermission,
  DENIED_TEXT,
  dismissKey
} from './clipboard';

export class ClipboardBar extends Widget {
  constructor() {
    super();
    this.addClass('jp-FirefoxClipboardBar');
    this.node.setAttribute('role', 'status');
    this.hide();
  }

  /** What the bar shows now (null: hidden). */
  get advice(): ClipboardAdvice {
    return this._advice;
  }

  /**
   * Show what a session whose clipboard is `mode` needs, if anything, and
   * follow the permission's changes while the session is shown.
   */
  async watch(mode: unknown): Promise<void> {
    const generation = ++this._generation;
    this._mode = mode;
    this._render(null);
    const permission = await this._permissionStatus();
    if (generation !== this._generation || this.isDisposed) {
      return;
    }
    await this._refresh(generation, permission);
  }

  /** Hide the bar and stop following (the session is no longer shown). */
  clear(): void {
    this._generation++;
    this._mode = null;
    this._render(null);
  }

  dispose(): void {
    this.clear();
    if (this._status) {
      this._status.onchange = null;
      this._status = null;
    }
    super.dispose();
  }

  /** The browser's permission status, listened to once, or null. */
  private async _permissionStatus(): Promise<PermissionStatus | null> {
    if (this._status) {
      return this._status;
    }
    try {
      const status = await navigator.permissions.query({
        name: 'clipboard-read' as PermissionName
      });
      this._status = status;
      status.onchange = () => {
        void this._refresh(this._generation, status);
      };
      return status;
    } catch {
      return null; // Firefox, Safari: they ask on each paste themselves
    }
  }

  private async _refresh(generation: number, status: PermissionStatus | null): Promise<void> {
    const state = status
      ? await clipboardReadPermission({ permissions: { query: async () => status } })
      : null;
    if (generation !== this._generation || this.isDisposed) {
      return;
    }
    this._render(clipboardAdvice(this._mode, state, a => readFlag(dismissKey(a))));
  }

  private _render(advice: ClipboardAdvice): void {
    this._advice = advice;
    this.node.dataset.advice = advice ?? '';
    const node = this.node;
    node.replaceChildren();
    if (advice === null) {
      this.hide();
      return;
    }
    const text = document.createElement('span');
    text.className = 'jp-FirefoxClipboardBar-text';
    text.textContent = advice === 'ask' ? ASK_TEXT : DENIED_TEXT;
    node.appendChild(text);
    const buttons = document.createElement('span');
    buttons.className = 'jp-FirefoxClipboardBar-buttons';
    if (advice === 'ask') {
      buttons.appendChild(
        barButton('Allow', 'jp-FirefoxClipboardBar-allow', 'jp-mod-accept', () => this._allow())
      );
    }
    buttons.appendChild(
      barButton(
        advice === 'ask' ? 'Not now' : 'Got it',
        'jp-FirefoxClipboardBar-dismiss',
        'jp-mod-reject',
        () => {
          writeFlag(dismissKey(advice));
          this._render(null);
        }
      )
    );
    node.appendChild(buttons);
    this.show();
  }

  /** Read the clipboard from the click: the browser asks the person. */
  private _allow(): void {
    const generation = this._generation;
    const status = this._status;
    const after = () => void this._refresh(generation, status);
    try {
      navigator.clipboard.readText().then(after, after);
    } catch {
      after();
    }
  }

  private _advice: ClipboardAdvice = null;
  private _mode: unknown = null;
  private _generation = 0;
  private _status: PermissionStatus | null = null;
}

function barButton(
  label: string,
  className: string,
  look: string,
  onClick: () => void
): HTMLButtonElement {
  const b = document.createElement('button');
  b.type = 'button';
  b.className = `jp-Button jp-mod-styled ${look} ${className}`;
  b.textContent = label;
  b.addEventListener('click', onClick);
  return b;
}

function readFlag(key: string): boolean {
  try {
    return window.localStorage.getItem(key) !== null;
  } catch {
    return false;
  }
}

function writeFlag(key: string): void {
  try {
    window.localStorage.setItem(key, new Date().toISOString());
  } catch {
    // no storage: asked again next time
  }
}
