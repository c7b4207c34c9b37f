/**
 * The display's part of the hello: the page as the X display's size (device pixels), one
 * screen, the DPI of the device pixels, windows and png cursors; every window feature we do not
 * show (trays, bells, icons) off. Both 3.1 and 6.5 read these flat keys (6.5 still reads
 * `desktop_size`, `screen_sizes`, `cursors` and `encodings.cursor` as its legacy forms).
 */
import type { Encodable } from "../protocol/values.js";
import { screenSizes, type Size } from "./geometry.js";

export function displayCapabilities(size: Size, dpi: number): Record<string, Encodable> {
  return {
    windows: true,
    // Xpra 6 handles pointer packets only from a client that declares a pointer (it drops them
    // silently otherwise: no click reached Firefox); 3.1 ignores the key.
    pointer: true,
    // A region sent lossy is repainted losslessly after this many ms of calm; both versions read
    // 0 (never) when it is missing, which leaves JPEG artefacts on a still page.
    auto_refresh_delay: 500,
    desktop_size: [size.w, size.h],
    desktop_mode_size: [size.w, size.h],
    screen_sizes: screenSizes(size, dpi),
    dpi,
    "dpi.x": dpi,
    "dpi.y": dpi,
    randr_notify: true,
    "window.raise": true,
    "metadata.supported": ["title", "transient-for", "window-type", "modal", "size-hints", "set-initial-position"],
    cursors: true,
    "encodings.cursor": ["png"],
    named_cursors: false,
    bell: false,
    system_tray: false,
    "window.icons": false,
    "window.pre-map": false,
  };
}

/** The packet that tells the server the page changed size. */
export function desktopSizePacket(size: Size, dpi: number): Encodable[] {
  return ["desktop_size", size.w, size.h, screenSizes(size, dpi)];
}
