/**
 * PacketReader: bytes from the connection in, decoded packets out.
 *
 * feed() never throws. Whatever the input, it returns the packets completed so far and, at the
 * first malformed byte, a ProtocolError; the reader then stays failed (every later feed returns
 * the same error and nothing else) and drops what it buffered, so the caller closes the
 * connection. Errors are found as early as the bytes allow: a wrong first byte at once, a bad
 * header (flags, size over the limit) as soon as its 8 bytes are in, so a hostile size is never
 * waited for. Memory: whole records in a feed are read in place; only the incomplete tail is
 * copied, into one buffer that holds at most one record (plus the feed that completes it).
 */
import { CODECS } from "../codecs.js";
import type { EncoderName } from "../codecs.js";
import { utf8Decode } from "../utf8.js";
import { CodecError } from "../values.js";
import type { Value } from "../values.js";
import { ProtocolError } from "./errors.js";
import type { ProtocolErrorCode } from "./errors.js";
import * as H from "./header.js";
import { HELLO_LIMITS } from "./limits.js";
import type { FramingLimits } from "./limits.js";
import { Lz4Error, lz4DecompressSized } from "./lz4.js";

export interface Packet {
  /** items[0] as text. */
  readonly type: string;
  /** The whole packet, raw chunks in place; items[0] is `type`. */
  readonly items: Value[];
  readonly encoder: EncoderName;
}

export interface FeedResult {
  readonly packets: Packet[];
  readonly error: ProtocolError | null;
}

export interface PacketReaderOptions {
  /** Encodings accepted in main records (narrow it to the negotiated one after hello). */
  readonly encoders: readonly EncoderName[];
  readonly limits?: Partial<FramingLimits>;
}

/** Packet type names: Xpra's are short ASCII words ("hello", "draw", "ping_echo", "cursor-data"). */
const PACKET_TYPE = /^[A-Za-z][A-Za-z0-9_.:-]{0,63}$/;

class Refusal extends Error {
  constructor(
    readonly code: ProtocolErrorCode,
    message: string,
  ) {
    super(message);
  }
}

export class PacketReader {
  private limits: FramingLimits;
  private encoders: ReadonlySet<EncoderName>;
  /** Bytes of an incomplete record: buf[start, end). Whole records in a feed are never copied. */
  private buf = new Uint8Array(0);
  private start = 0;
  private end = 0;
  private readonly chunks = new Map<number, Uint8Array>();
  /** Stream offset of the next record to read (for error reports). */
  private streamOffset = 0;
  private failure: ProtocolError | null = null;

  constructor(options: PacketReaderOptions) {
    this.limits = { ...HELLO_LIMITS, ...options.limits };
    this.encoders = new Set(options.encoders);
  }

  get failed(): ProtocolError | null {
    return this.failure;
  }

  /** Bytes held for an incomplete record (the buffer's capacity), for diagnostics and tests. */
  get heldBytes(): number {
    return this.buf.length;
  }

  setLimits(limits: Partial<FramingLimits>): void {
    this.limits = { ...this.limits, ...limits };
  }

  setEncoders(encoders: readonly EncoderName[]): void {
    this.encoders = new Set(encoders);
  }

  /** Takes the next bytes of the stream (the reader copies what it keeps beyond this call). */
  feed(data: Uint8Array): FeedResult {
    const packets: Packet[] = [];
    if (this.failure) return { packets, error: this.failure };
    try {
      if (this.start === this.end) {
        const used = this.drain(data, packets);
        if (used < data.length) this.keep(data.subarray(used));
      } else {
        this.keep(data);
        this.start += this.drain(this.buf.subarray(this.start, this.end), packets);
        if (this.start === this.end) this.release();
      }
      return { packets, error: null };
    } catch (e) {
      this.failure = toProtocolError(e, this.streamOffset);
      this.buf = new Uint8Array(0);
      this.start = this.end = 0;
      this.chunks.clear();
      return { packets, error: this.failure };
    }
  }

  /**
   * Reads every complete record of `input`; returns how many bytes it used (the rest is one
   * incomplete record, whose header has been checked once its 8 bytes are there).
   */
  private drain(input: Uint8Array, packets: Packet[]): number {
    let pos = 0;
    while (pos < input.length) {
      if (input[pos] !== H.MAGIC) throw new Refusal("magic", "record does not start with 'P'");
      if (input.length - pos < H.HEADER_SIZE) break;
      const header = H.readHeader(input, pos);
      this.checkHeader(header);
      const recordEnd = pos + H.HEADER_SIZE + header.size;
      if (recordEnd > input.length) break;
      const packet = this.record(header, input.subarray(pos + H.HEADER_SIZE, recordEnd));
      pos = recordEnd;
      this.streamOffset += H.HEADER_SIZE + header.size;
      if (packet) packets.push(packet);
    }
    return pos;
  }

  /** Appends to the incomplete-record buffer (compacting or growing it). */
  private keep(data: Uint8Array): void {
    const length = this.end - this.start;
    if (this.end + data.length > this.buf.length) {
      if (length + data.length <= this.buf.length) {
        this.buf.copyWithin(0, this.start, this.end);
      } else {
        const record = this.declaredRecord(data);
        const grown = record > 0 ? record : this.buf.length * 2;
        const next = new Uint8Array(Math.max(length + data.length, grown, 4096));
        next.set(this.buf.subarray(this.start, this.end));
        this.buf = next;
      }
      this.start = 0;
      this.end = length;
    }
    this.buf.set(data, this.end);
    this.end += data.length;
  }

  /**
   * Header size + declared payload of the record the buffer starts, once its header is in
   * (buffered bytes then `data`) and the size within the limit; else 0. Growing to it at once
   * saves the copies of doubling while a large record arrives in pieces.
   */
  private declaredRecord(data: Uint8Array): number {
    const held = this.end - this.start;
    if (held + data.length < H.HEADER_SIZE) return 0;
    const header = new Uint8Array(H.HEADER_SIZE);
    header.set(this.buf.subarray(this.start, this.start + Math.min(held, H.HEADER_SIZE)));
    if (held < H.HEADER_SIZE) header.set(data.subarray(0, H.HEADER_SIZE - held), held);
    if (header[0] !== H.MAGIC) return 0;
    const size = H.readHeader(header).size;
    return size <= this.limits.maxRecordSize ? H.HEADER_SIZE + size : 0;
  }

  /** Empties the buffer; a large one is dropped rather than kept for an idle connection. */
  private release(): void {
    this.start = 0;
    this.end = 0;
    if (this.buf.length > 1 << 20) this.buf = new Uint8Array(0);
  }

  private checkHeader(h: H.RecordHeader): void {
    const l = this.limits;
    if (h.flags & ~H.KNOWN_FLAGS) throw new Refusal("flags", `unknown protocol flags 0x${h.flags.toString(16)}`);
    if (h.flags & H.FLAG_CIPHER) throw new Refusal("flags", "encrypted record (no cipher was negotiated)");
    if (h.flags & H.FLAG_YAML) throw new Refusal("flags", "yaml record (not accepted)");
    if (h.index > 0) {
      if (h.flags !== 0) throw new Refusal("flags", "raw chunk with protocol flags");
      if (h.index > l.maxChunkIndex) throw new Refusal("chunk", `raw chunk index ${h.index} over ${l.maxChunkIndex}`);
    } else {
      const encoder = encoderOf(h.flags);
      if (encoder === null) throw new Refusal("flags", "main record names two encoders");
      if (!this.encoders.has(encoder)) throw new Refusal("flags", `${encoder} record (not accepted here)`);
    }
    if (h.size === 0) throw new Refusal("size", "empty record");
    if (h.size > l.maxRecordSize) {
      throw new Refusal("size", `record of ${h.size} bytes, more than the limit of ${l.maxRecordSize}`);
    }
    if (h.compression !== 0) {
      const compressor = h.compression & H.COMPRESSOR_MASK;
      if ((h.compression & H.LEVEL_MASK) === 0) throw new Refusal("compression", "compressor without a level");
      if (compressor !== H.COMPRESS_LZ4) throw new Refusal("compression", `${compressorName(compressor)} record (only lz4 is spoken)`);
    }
  }

  private record(h: H.RecordHeader, raw: Uint8Array): Packet | null {
    const payload = h.compression === 0 ? raw : lz4DecompressSized(raw, this.limits.maxInflatedSize);
    if (h.index > 0) {
      if (this.chunks.has(h.index)) throw new Refusal("chunk", `second raw chunk for index ${h.index}`);
      if (this.chunks.size >= this.limits.maxChunks) {
        throw new Refusal("chunk", `more than ${this.limits.maxChunks} raw chunks before a packet`);
      }
      // A copy: a view would keep the whole network buffer alive as long as the packet lives.
      this.chunks.set(h.index, payload === raw ? raw.slice() : payload);
      return null;
    }
    const encoder = encoderOf(h.flags)!;
    const decoded = CODECS[encoder].decode(payload, this.limits);
    if (!Array.isArray(decoded) || decoded.length === 0) throw new Refusal("packet", "main record is not a non-empty list");
    const type = packetType(decoded[0]!);
    decoded[0] = type;
    for (const [index, chunk] of this.chunks) {
      if (index >= decoded.length) {
        throw new Refusal("chunk", `raw chunk index ${index} outside a packet of ${decoded.length} items`);
      }
      decoded[index] = chunk;
    }
    this.chunks.clear();
    return { type, items: decoded, encoder };
  }
}

function encoderOf(flags: number): EncoderName | null {
  const plus = (flags & H.FLAG_RENCODEPLUS) !== 0;
  const rencode = (flags & H.FLAG_RENCODE) !== 0;
  if (plus && rencode) return null;
  return plus ? "rencodeplus" : rencode ? "rencode" : "bencode";
}

function compressorName(bits: number): string {
  switch (bits) {
    case 0:
      return "zlib";
    case H.COMPRESS_LZO:
      return "lzo";
    case H.COMPRESS_BROTLI:
      return "brotli";
    case H.COMPRESS_ZSTD:
      return "zstd";
    default:
      return `compressor 0x${bits.toString(16)}`;
  }
}

function packetType(first: Value): string {
  // 3.1's rencode and bencode carry the name as bytes; rencodeplus as text. Integer aliases are
  // only sent to a peer that asked for them, and this client never does.
  const name = first instanceof Uint8Array ? utf8Decode(first, 0) : first;
  if (typeof name !== "string" || !PACKET_TYPE.test(name)) throw new Refusal("packet", "packet type is not a name");
  return name;
}

function toProtocolError(e: unknown, offset: number): ProtocolError {
  if (e instanceof Refusal) return new ProtocolError(e.code, e.message, offset);
  if (e instanceof Lz4Error) return new ProtocolError("lz4", e.message, offset);
  if (e instanceof CodecError) return new ProtocolError("decode", e.message, offset);
  // Anything else is a bug of ours (or the engine running out of memory): still no throw.
  const message = e instanceof Error ? `${e.name}: ${e.message}` : "non-error thrown";
  return new ProtocolError("internal", message, offset);
}
