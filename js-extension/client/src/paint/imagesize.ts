/**
 * The pixel size a jpeg, png or webp declares in its header, read before the browser decodes it:
 * createImageBitmap allocates whatever the header says, so a 60000×60000 jpeg in a 100×100 draw
 * must be refused here, not discovered after the allocation.
 */

export type Size = [width: number, height: number];

export function imageSize(coding: string, b: Uint8Array): Size | null {
  if (coding === "png") return pngSize(b);
  if (coding === "jpeg") return jpegSize(b);
  if (coding === "webp") return webpSize(b);
  return null;
}

const be16 = (b: Uint8Array, i: number): number => (b[i]! << 8) | b[i + 1]!;
const le16 = (b: Uint8Array, i: number): number => b[i]! | (b[i + 1]! << 8);
const le24 = (b: Uint8Array, i: number): number => b[i]! | (b[i + 1]! << 8) | (b[i + 2]! << 16);

function pngSize(b: Uint8Array): Size | null {
  const sig = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
  if (b.length < 24 || sig.some((v, i) => b[i] !== v)) return null;
  if (b[12] !== 0x49 || b[13] !== 0x48 || b[14] !== 0x44 || b[15] !== 0x52) return null; // IHDR first
  const dv = new DataView(b.buffer, b.byteOffset, b.length);
  return [dv.getUint32(16), dv.getUint32(20)];
}

function jpegSize(b: Uint8Array): Size | null {
  if (b.length < 4 || b[0] !== 0xff || b[1] !== 0xd8) return null;
  let i = 2;
  while (i + 4 <= b.length) {
    if (b[i] !== 0xff) return null;
    const m = b[i + 1]!;
    if (m === 0xff) {
      i++; // fill byte
      continue;
    }
    if (m === 0xd8 || m === 0x01 || (m >= 0xd0 && m <= 0xd7)) {
      i += 2; // markers without a length
      continue;
    }
    const len = be16(b, i + 2);
    if (len < 2) return null;
    // Start of frame: every SOFn except DHT (c4), JPG (c8) and DAC (cc).
    if (m >= 0xc0 && m <= 0xcf && m !== 0xc4 && m !== 0xc8 && m !== 0xcc) {
      if (i + 9 > b.length) return null;
      return [be16(b, i + 7), be16(b, i + 5)];
    }
    if (m === 0xda || m === 0xd9) return null; // scan or end before any frame header
    i += 2 + len;
  }
  return null;
}

function webpSize(b: Uint8Array): Size | null {
  const tag = (i: number): string => String.fromCharCode(b[i]!, b[i + 1]!, b[i + 2]!, b[i + 3]!);
  if (b.length < 30 || tag(0) !== "RIFF" || tag(8) !== "WEBP") return null;
  const chunk = tag(12);
  if (chunk === "VP8 ") {
    if (b[23] !== 0x9d || b[24] !== 0x01 || b[25] !== 0x2a) return null;
    return [le16(b, 26) & 0x3fff, le16(b, 28) & 0x3fff];
  }
  if (chunk === "VP8L") {
    if (b[20] !== 0x2f) return null;
    const bits = b[21]! | (b[22]! << 8) | (b[23]! << 16) | (b[24]! << 24);
    return [(bits & 0x3fff) + 1, ((bits >>> 14) & 0x3fff) + 1];
  }
  if (chunk === "VP8X") return [le24(b, 24) + 1, le24(b, 27) + 1];
  return null;
}
