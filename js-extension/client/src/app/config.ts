/**
 * What the page is told before it connects: the sidecar's `session.json` (the session's Xpra
 * version and the user's settings) and the few query parameters we read. Both are checked field by
 * field; anything else, or anything malformed, reads as the default. The query string can never
 * name a server, a path or a password: the websocket is always this page's own directory.
 */
export type ClipboardSetting = "both" | "to-firefox" | "from-firefox" | "off";
export type EncodingSetting = "auto" | "jpeg" | "webp" | "png";

export interface PageConfig {
  xpraMajor: number;
  xpraMinor: number;
  xpraVersion: string;
  encoder: "rencodeplus" | "rencode";
  clipboard: ClipboardSetting;
  video: boolean;
  encoding: EncodingSetting;
  /** The session forwards Firefox's sound (the sidecar started it with a speaker). */
  audio: boolean;
  /** `keyboard_layout` from the query string ("" when unset). */
  keyboardLayout: string;
}

const CLIPBOARD: readonly ClipboardSetting[] = ["both", "to-firefox", "from-firefox", "off"];
const ENCODING: readonly EncodingSetting[] = ["auto", "jpeg", "webp", "png"];

function field(o: unknown, key: string): unknown {
  return typeof o === "object" && o !== null && Object.prototype.hasOwnProperty.call(o, key)
    ? (o as Record<string, unknown>)[key]
    : undefined;
}

function oneOf<T extends string>(v: unknown, allowed: readonly T[], fallback: T): T {
  return typeof v === "string" && (allowed as readonly string[]).includes(v) ? (v as T) : fallback;
}

function smallInt(v: unknown, fallback: number): number {
  return typeof v === "number" && Number.isInteger(v) && v >= 0 && v < 1000 ? v : fallback;
}

/** Reads session.json (already parsed) and the query string into the page's settings. */
export function readConfig(json: unknown, query: URLSearchParams): PageConfig {
  const xpra = field(json, "xpra");
  const major = smallInt(field(xpra, "major"), 3);
  const version = field(xpra, "version");
  const config: PageConfig = {
    xpraMajor: major,
    xpraMinor: smallInt(field(xpra, "minor"), 0),
    xpraVersion: typeof version === "string" && /^[0-9][0-9.]{0,31}$/.test(version) ? version : String(major),
    // rencodeplus from 4.3 on; 3.1 only has rencode. The sidecar says which, else the version does.
    encoder: oneOf(field(json, "encoder"), ["rencodeplus", "rencode"] as const, major >= 4 ? "rencodeplus" : "rencode"),
    clipboard: oneOf(field(json, "clipboard"), CLIPBOARD, "off"),
    video: field(json, "video") === true,
    encoding: oneOf(field(json, "encoding"), ENCODING, "auto"),
    audio: field(json, "audio") === true,
    keyboardLayout: "",
  };
  // The whitelist: a user's own choices for this tab, never where or as whom to connect.
  const layout = query.get("keyboard_layout");
  if (layout !== null && /^[A-Za-z0-9_()-]{1,64}$/.test(layout)) config.keyboardLayout = layout;
  const video = query.get("video");
  if (video === "true" || video === "1") config.video = true;
  if (video === "false" || video === "0") config.video = false;
  config.encoding = oneOf(query.get("encoding"), ENCODING, config.encoding);
  return config;
}

/** The websocket URL: this page's own directory, ws: or wss: as the page is http: or https:. */
export function socketUrl(page: { protocol: string; host: string; pathname: string }): string {
  const dir = page.pathname.endsWith("/") ? page.pathname : page.pathname.replace(/[^/]*$/, "");
  return `${page.protocol === "https:" ? "wss:" : "ws:"}//${page.host}${dir}`;
}
