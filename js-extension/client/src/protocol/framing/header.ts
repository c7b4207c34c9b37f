/**
 * Xpra's 8-byte record header: 'P', protocol flags, compression, chunk index, payload size
 * (big-endian u32). docs/Network/Protocol.md §3 of the Xpra sdist; the same layout in 3.1.
 */

export const HEADER_SIZE = 8;
export const MAGIC = 0x50; // 'P'

/** Protocol flags (byte 1). */
export const FLAG_RENCODE = 0x01;
export const FLAG_CIPHER = 0x02;
export const FLAG_YAML = 0x04;
export const FLAG_FLUSH = 0x08;
export const FLAG_RENCODEPLUS = 0x10;
export const KNOWN_FLAGS = FLAG_RENCODE | FLAG_CIPHER | FLAG_YAML | FLAG_FLUSH | FLAG_RENCODEPLUS;
export const ENCODER_FLAGS = FLAG_RENCODE | FLAG_YAML | FLAG_RENCODEPLUS;

/**
 * Compression byte (byte 2): level in the low nibble, compressor in the high one. Level > 0 with
 * no compressor bit is zlib (Xpra ≤ 5); 0x20 was lzo.
 */
export const LEVEL_MASK = 0x0f;
export const COMPRESSOR_MASK = 0xf0;
export const COMPRESS_LZ4 = 0x10;
export const COMPRESS_LZO = 0x20;
export const COMPRESS_BROTLI = 0x40;
export const COMPRESS_ZSTD = 0x80;

export interface RecordHeader {
  readonly flags: number;
  readonly compression: number;
  /** 0 for a main packet, N > 0 for a raw chunk that replaces item N of the next main packet. */
  readonly index: number;
  readonly size: number;
}

/** Reads a header from 8 bytes at `at` (the caller checked there are 8 and that byte 0 is 'P'). */
export function readHeader(bytes: Uint8Array, at = 0): RecordHeader {
  const view = new DataView(bytes.buffer, bytes.byteOffset + at, HEADER_SIZE);
  return {
    flags: view.getUint8(1),
    compression: view.getUint8(2),
    index: view.getUint8(3),
    size: view.getUint32(4),
  };
}

export function writeHeader(header: RecordHeader): Uint8Array {
  const bytes = new Uint8Array(HEADER_SIZE);
  const view = new DataView(bytes.buffer);
  view.setUint8(0, MAGIC);
  view.setUint8(1, header.flags);
  view.setUint8(2, header.compression);
  view.setUint8(3, header.index);
  view.setUint32(4, header.size);
  return bytes;
}
