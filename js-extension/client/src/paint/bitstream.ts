/**
 * What the video decoder needs to know from a frame before it is decoded: is it a key frame, and
 * which WebCodecs codec string describes the stream. Read from the bitstream itself rather than
 * from the draw's options, which differ between Xpra versions.
 */

const hex2 = (n: number): string => n.toString(16).padStart(2, "0");

/** NAL unit payload offsets (the byte after each Annex-B start code). */
function* nalUnits(b: Uint8Array): Generator<number> {
  for (let i = 0; i + 3 < b.length; i++) {
    if (b[i] === 0 && b[i + 1] === 0 && b[i + 2] === 1) {
      yield i + 3;
      i += 2;
    }
  }
}

export interface FrameInfo {
  key: boolean;
  /** WebCodecs codec string, known only from a key frame ('' otherwise). */
  codec: string;
}

/** H.264 Annex-B: an IDR slice makes a key frame; its SPS gives avc1.PPCCLL. */
export function h264Info(b: Uint8Array): FrameInfo {
  let key = false;
  let codec = "";
  for (const i of nalUnits(b)) {
    const type = b[i]! & 0x1f;
    if (type === 5) key = true;
    if (type === 7 && !codec && i + 3 < b.length) codec = `avc1.${hex2(b[i + 1]!)}${hex2(b[i + 2]!)}${hex2(b[i + 3]!)}`;
  }
  // An IDR without an SPS cannot start a decoder: treat it as a delta frame.
  return key && codec ? { key, codec } : { key: false, codec: "" };
}

/** VP8: frame type is bit 0 of the frame tag (0 = key), and a key frame carries the start code. */
export function vp8Info(b: Uint8Array): FrameInfo {
  const key = b.length >= 10 && (b[0]! & 1) === 0 && b[3] === 0x9d && b[4] === 0x01 && b[5] === 0x2a;
  return { key, codec: key ? "vp8" : "" };
}

/** VP9 uncompressed header: frame_marker, profile bits, show_existing_frame, frame_type. */
export function vp9Info(b: Uint8Array): FrameInfo {
  if (b.length < 2) return { key: false, codec: "" };
  const bits = (b[0]! << 8) | b[1]!;
  let pos = 15; // bit index from the top of the 16-bit window
  const bit = (): number => (bits >> pos--) & 1;
  const marker = (bit() << 1) | bit();
  if (marker !== 2) return { key: false, codec: "" };
  const profile = bit() | (bit() << 1);
  if (profile === 3) bit(); // reserved zero
  if (bit() === 1) return { key: false, codec: "" }; // show_existing_frame
  const key = bit() === 0;
  // Level 1.0 is what the header cannot tell; Chromium does not enforce it. 8-bit for 0/1.
  return { key, codec: key ? `vp09.${hex2(profile)}.10.${profile >= 2 ? "10" : "08"}` : "" };
}

export function frameInfo(coding: string, b: Uint8Array): FrameInfo {
  if (coding === "h264") return h264Info(b);
  if (coding === "vp8") return vp8Info(b);
  return vp9Info(b);
}
