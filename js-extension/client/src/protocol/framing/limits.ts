/**
 * What one connection may cost. Every bound is checked before the memory it guards is
 * allocated: a record's declared size before its payload is buffered, an LZ4 payload's declared
 * size before the output exists, counts and depth while decoding.
 */
export interface FramingLimits {
  /** Largest declared payload of one record. Xpra's spec: 4 MiB before the peer's hello is
   * accepted, 16 MiB normally after (a subsystem may raise it). */
  readonly maxRecordSize: number;
  /** Largest size an LZ4 record may inflate to (the spec's absolute cap is 256 MiB). */
  readonly maxInflatedSize: number;
  /** Raw chunks that may precede one main packet (3 in both 3.1 and the spec). */
  readonly maxChunks: number;
  /** Highest raw chunk index (the spec allows 1..15). */
  readonly maxChunkIndex: number;
  /** Deepest container nesting in a main packet. */
  readonly maxDepth: number;
  /** Most values (keys included) in a main packet. */
  readonly maxValues: number;
}

const MiB = 1024 * 1024;

/** Until the server's hello has been accepted. */
export const HELLO_LIMITS: FramingLimits = Object.freeze({
  maxRecordSize: 4 * MiB,
  maxInflatedSize: 16 * MiB,
  maxChunks: 3,
  maxChunkIndex: 15,
  maxDepth: 64,
  maxValues: 200_000,
});

/** Once the session runs: pictures arrive as records of several MiB. */
export const SESSION_LIMITS: FramingLimits = Object.freeze({
  ...HELLO_LIMITS,
  maxRecordSize: 16 * MiB,
  maxInflatedSize: 64 * MiB,
});
