/**
 * A small greedy LZ4 block compressor, for tests only: it makes valid LZ4 (matches, overlaps,
 * long lengths) out of any bytes, so the fuzz tests can corrupt real compressed records. The
 * cross-checks use Xpra's own compressors instead.
 */
function writeLength(out: number[], n: number): void {
  while (n >= 255) {
    out.push(255);
    n -= 255;
  }
  out.push(n);
}

export function lz4CompressBlock(src: Uint8Array): Uint8Array {
  const out: number[] = [];
  const table = new Int32Array(1 << 14).fill(-1); // hash of 4 bytes -> last position
  let anchor = 0;
  let i = 0;
  const matchLimit = src.length - 5; // the last 5 bytes are always literals
  while (i + 4 <= matchLimit) {
    const word = src[i]! | (src[i + 1]! << 8) | (src[i + 2]! << 16) | (src[i + 3]! << 24);
    const slot = Math.imul(word, 2654435761) >>> 18;
    const candidate = table[slot]!;
    table[slot] = i;
    if (
      candidate < 0 ||
      i - candidate > 65535 ||
      src[candidate] !== src[i] ||
      src[candidate + 1] !== src[i + 1] ||
      src[candidate + 2] !== src[i + 2] ||
      src[candidate + 3] !== src[i + 3]
    ) {
      i++;
      continue;
    }
    let length = 4;
    while (i + length < matchLimit && src[candidate + length] === src[i + length]) length++;
    const literals = i - anchor;
    const m = length - 4;
    out.push((Math.min(literals, 15) << 4) | Math.min(m, 15));
    if (literals >= 15) writeLength(out, literals - 15);
    for (let j = anchor; j < i; j++) out.push(src[j]!);
    const offset = i - candidate;
    out.push(offset & 0xff, offset >> 8);
    if (m >= 15) writeLength(out, m - 15);
    i += length;
    anchor = i;
  }
  const literals = src.length - anchor;
  out.push(Math.min(literals, 15) << 4);
  if (literals >= 15) writeLength(out, literals - 15);
  for (let j = anchor; j < src.length; j++) out.push(src[j]!);
  return Uint8Array.from(out);
}

/** Xpra's record-level form: the size as u32 little-endian, then the block. */
export function lz4CompressSized(src: Uint8Array): Uint8Array {
  const block = lz4CompressBlock(src);
  const out = new Uint8Array(4 + block.length);
  new DataView(out.buffer).setUint32(0, src.length, true);
  out.set(block, 4);
  return out;
}
