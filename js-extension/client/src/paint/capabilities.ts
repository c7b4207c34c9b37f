/**
 * The hello capabilities for pictures, per Xpra version. What is offered is only what this worker
 * decodes: video codecs only where this browser's VideoDecoder says it decodes them (WebCodecs
 * exists in secure contexts only), so a browser without them falls back to pictures unasked.
 *
 * 3.1 reads flat "encoding.*" keys (as Debian's 3.1 HTML5 client sends them); 6.x reads the
 * nested "encodings" and "encoding" dictionaries (xpra/server/source/encoding.py: a list may be a
 * dict whose "" key holds it).
 */
import type { Encodable } from "../protocol/values.js";
import { RGB_FORMATS } from "./rgb.js";

export interface PictureCapabilityOptions {
  /** The server's major version (3 for Debian 12's 3.1.3; 4 and later use the nested form). */
  xpraMajor: number;
  /** Offer video codecs (when this browser decodes them). */
  video: boolean;
  /** The encoding preference sent to the server. */
  encoding: "auto" | "jpeg" | "webp" | "png";
}

/** Codec strings probed for each Xpra video encoding; the first supported one wins. */
const PROBES: Record<string, Array<{ codec: string; profile: string }>> = {
  h264: [
    { codec: "avc1.640028", profile: "high" },
    { codec: "avc1.4d0028", profile: "main" },
    { codec: "avc1.42e01f", profile: "baseline" },
  ],
  vp8: [{ codec: "vp8", profile: "" }],
  vp9: [{ codec: "vp09.00.10.08", profile: "" }],
};

/** The video encodings this browser decodes, with the H.264 profile to ask for. */
export async function videoSupport(): Promise<Map<string, string>> {
  const found = new Map<string, string>();
  if (!globalThis.isSecureContext || typeof VideoDecoder === "undefined") return found;
  for (const [coding, probes] of Object.entries(PROBES)) {
    for (const p of probes) {
      try {
        const r = await VideoDecoder.isConfigSupported({ codec: p.codec, optimizeForLatency: true });
        if (r.supported === true) {
          found.set(coding, p.profile);
          break;
        }
      } catch {
        // An unknown codec string is a TypeError in some browsers: not supported.
      }
    }
  }
  return found;
}

const PICTURES = ["jpeg", "png", "webp", "rgb", "rgb24", "rgb32", "scroll", "void"];

export async function pictureCapabilities(opts: PictureCapabilityOptions): Promise<Record<string, Encodable>> {
  const video = opts.video ? await videoSupport() : new Map<string, string>();
  const encodings = [...PICTURES, ...video.keys()];
  const csc: Record<string, Encodable> = {
    jpeg: ["BGRX", "BGRA", "RGBX", "RGBA", "RGB", "BGR", "YUV420P", "YUV422P", "YUV444P"],
    webp: ["BGRX", "BGRA"],
  };
  for (const v of video.keys()) csc[v] = ["YUV420P"];
  const h264 = video.get("h264");
  if (opts.xpraMajor < 4) {
    const caps: Record<string, Encodable> = {
      encoding: opts.encoding,
      encodings,
      "encodings.core": encodings,
      "encodings.rgb_formats": [...RGB_FORMATS],
      "encoding.transparency": true,
      "encoding.rgb_lz4": true,
      "encoding.flush": true,
      "encoding.client_options": true,
      "encoding.csc_atoms": true,
      "encoding.scrolling": true,
      "encoding.generic": true,
      "encoding.eos": true,
      "encoding.video_scaling": true,
      "encoding.full_csc_modes": csc,
    };
    if (h264 !== undefined) {
      caps["encoding.h264.YUV420P.profile"] = h264;
      // 3.1's x264 options: no tuning for a software decoder, WebCodecs decodes the real thing.
      caps["encoding.h264.fast-decode"] = false;
    }
    return caps;
  }
  const encoding: Record<string, Encodable> = {
    "": opts.encoding,
    transparency: true,
    rgb_lz4: true,
    video_scaling: true,
    full_csc_modes: csc,
  };
  if (h264 !== undefined) encoding["h264"] = { "fast-decode": false, YUV420P: { profile: h264 } };
  return {
    encodings: { "": encodings, core: encodings, rgb_formats: [...RGB_FORMATS] },
    encoding,
  };
}
