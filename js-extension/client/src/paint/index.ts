/**
 * The paint layer: Xpra's draw packets decoded and painted off the main thread (see docs/paint.md).
 */
export { Painter } from "./painter.js";
export { pictureCapabilities } from "./capabilities.js";
export type { PictureCapabilityOptions } from "./capabilities.js";
export { MAX_PIXELS, MAX_SIDE } from "./limits.js";
export type { DrawRequest, DrawResult } from "./types.js";
