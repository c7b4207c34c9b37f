/**
 * LZ4 block decompression (the block format, not the frame format), written here so the client
 * needs no native module or dependency. Xpra's record-level LZ4 payload is the uncompressed
 * size as a little-endian u32 followed by one block (python-lz4's `store_size=True` layout in
 * 3.1, xpra/net/lz4 in 6.x).
 *
 * Every length and offset is checked before it is used: the output size is known up front (and
 * bounded by the caller before anything is allocated), a sequence may not read past the input,
 * write past the output, or copy from before the start of the output, and the block must fill
 * the output exactly.
 */

export class Lz4Error extends Error {
  override readonly name = "Lz4Error";
}

/** Decodes one LZ4 block into `out`, which it must fill exactly. */
export function lz4DecodeBlock(src: Uint8Array, out: Uint8Array): void {
  const srcEnd = src.length;
  const outEnd = out.length;
  let ip = 0;
  let op = 0;
  for (;;) {
    if (ip >= srcEnd) throw new Lz4Error("block ends inside a sequence");
    const token = src[ip++]!;

    let literals = token >>> 4;
    if (literals === 15) {
      let b: number;
      do {
        if (ip >= srcEnd) throw new Lz4Error("block ends inside a literal length");
        b = src[ip++]!;
        literals += b;
      } while (b === 255);
    }
    if (literals > srcEnd - ip) throw new Lz4Error("literals run past the end of the block");
    if (literals > outEnd - op) throw new Lz4Error("literals run past the declared size");
    if (literals < 16) {
      for (let i = 0; i < literals; i++) out[op++] = src[ip++]!;
    } else {
      out.set(src.subarray(ip, ip + literals), op);
      ip += literals;
      op += literals;
    }

    // The last sequence holds literals only.
    if (ip === srcEnd) break;

    if (srcEnd - ip < 2) throw new Lz4Error("block ends inside a match offset");
    const offset = src[ip]! | (src[ip + 1]! << 8);
    ip += 2;
    if (offset === 0 || offset > op) throw new Lz4Error(`match offset ${offset} outside the output`);

    let length = token & 15;
    if (length === 15) {
      let b: number;
      do {
        if (ip >= srcEnd) throw new Lz4Error("block ends inside a match length");
        b = src[ip++]!;
        length += b;
      } while (b === 255);
    }
    length += 4;
    if (length > outEnd - op) throw new Lz4Error("match runs past the declared size");

    let from = op - offset;
    if (length <= 32) {
      for (let i = 0; i < length; i++) out[op++] = out[from++]!;
    } else if (offset >= length) {
      out.copyWithin(op, from, from + length);
      op += length;
    } else {
      // Overlapping: the last `offset` bytes repeat. Copy them in blocks that double, each
      // starting at a multiple of `offset` and reading only bytes already written.
      for (let done = 0; done < length; ) {
        const n = Math.min(offset + done, length - done);
        out.copyWithin(op + done, from, from + n);
        done += n;
      }
      op += length;
    }
  }
  if (op !== outEnd) throw new Lz4Error(`block decodes to ${op} bytes, ${outEnd} declared`);
}

/**
 * Decompresses an Xpra LZ4 payload (u32 LE size + block). The declared size is checked against
 * `maxSize` before the output is allocated.
 */
export function lz4DecompressSized(payload: Uint8Array, maxSize: number): Uint8Array {
  if (payload.length < 5) throw new Lz4Error("lz4 payload shorter than its size field and one token");
  const size = new DataView(payload.buffer, payload.byteOffset, 4).getUint32(0, true);
  if (size > maxSize) throw new Lz4Error(`lz4 payload inflates to ${size} bytes, more than the limit of ${maxSize}`);
  const out = new Uint8Array(size);
  lz4DecodeBlock(payload.subarray(4), out);
  return out;
}
