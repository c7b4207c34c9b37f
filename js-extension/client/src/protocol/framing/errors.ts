/**
 * Why a connection's byte stream was refused. Any ProtocolError means: stop reading, close the
 * connection (Xpra's spec §10). Messages are ours only and never quote the peer's bytes.
 */
export type ProtocolErrorCode =
  | "magic" //         a record does not start with 'P'
  | "flags" //         unknown, unsupported (cipher, yaml) or not-allowed encoder flags
  | "size" //          a declared size over the limits, or zero
  | "compression" //   a compressor we do not speak (zlib, lzo, brotli, zstd) or a bad level
  | "lz4" //           a corrupt LZ4 payload
  | "chunk" //         bad raw chunk: duplicate, too many, index outside the packet
  | "decode" //        the main payload is not valid in its encoding (or over decode limits)
  | "packet" //        decodes, but is not a packet: not a list, no valid type name
  | "internal"; //     a bug of ours, caught rather than thrown out of feed()

export class ProtocolError extends Error {
  override readonly name = "ProtocolError";
  constructor(
    readonly code: ProtocolErrorCode,
    message: string,
    /** Offset in the connection's byte stream of the record at fault. */
    readonly streamOffset: number,
  ) {
    super(message);
  }
}
