/**
 * The display layer: the window model (DOM-free), its view (canvases in the page), cursors, the
 * device-pixel geometry and the display's hello capabilities. See docs/display.md.
 */
export { DisplayModel } from "./model.js";
export type { DisplayChange, DisplayModelOptions, DisplayOutput } from "./model.js";
export { DisplayView } from "./view.js";
export type { CanvasOwner } from "./view.js";
export { readCursor } from "./cursor.js";
export type { CursorImage } from "./cursor.js";
export { displayCapabilities, desktopSizePacket } from "./capabilities.js";
export { DISPLAY_LIMITS, canvasSize, deviceSize, dpiFor, keepInside, screenSizes, toCss, toDevice } from "./geometry.js";
export type { Rect, Size } from "./geometry.js";
export type { XWindow } from "./window.js";
