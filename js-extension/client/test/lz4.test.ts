/**
 * Our LZ4 block decoder: hand-built blocks for each rule, corrupt blocks it must refuse, and
 * payloads from both Xpra versions' own compressors (python-lz4's three modes as Xpra 3.1 calls
 * them, xpra.net.lz4 at four levels in 6.5) decoded to the exact original bytes.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { Lz4Error, lz4DecodeBlock, lz4DecompressSized } from "../src/protocol/framing/lz4.js";
import { assertBytes } from "./helpers/compare.js";
import { lz4CompressBlock, lz4CompressSized } from "./helpers/lz4-compress.js";
import { referenceOrFailure } from "./helpers/python.js";
import { Rng } from "./helpers/random.js";
import { bytesFromBase64 } from "./helpers/tagged.js";

const decode = (block: number[], size: number) => {
  const out = new Uint8Array(size);
  lz4DecodeBlock(Uint8Array.from(block), out);
  return out;
};
const refuses = (block: number[], size: number, pattern: RegExp) =>
  assert.throws(() => decode(block, size), (e: unknown) => e instanceof Lz4Error && pattern.test(e.message));

describe("lz4 block rules", () => {
  test("literals only, including the 15+255+… length extension", () => {
    assertBytes(decode([0x30, 1, 2, 3], 3), Uint8Array.from([1, 2, 3]));
    const long = Array.from({ length: 300 }, (_, i) => i & 0xff);
    assertBytes(decode([0xf0, 255, 300 - 15 - 255, ...long], 300), Uint8Array.from(long));
    assertBytes(decode([0x00], 0), new Uint8Array(0));
  });

  test("overlapping matches repeat the last bytes (offset 1 and 3)", () => {
    // "a" then match offset 1 length 4+5=9 then last literal "b"
    assertBytes(decode([0x15, 0x61, 1, 0, 0x10, 0x62], 11), Uint8Array.from("aaaaaaaaaab", (c) => c.charCodeAt(0)));
    assertBytes(decode([0x3f, 0x61, 0x62, 0x63, 3, 0, 20, 0x00], 42), Uint8Array.from("abc".repeat(14), (c) => c.charCodeAt(0)));
  });

  test("refuses offsets outside the output, overruns and a short output", () => {
    refuses([0x10, 0x61, 0, 0, 0x00], 10, /offset 0/);
    refuses([0x10, 0x61, 2, 0, 0x00], 10, /offset 2 outside/);
    refuses([0x30, 1, 2], 3, /past the end of the block/);
    refuses([0x30, 1, 2, 3], 2, /past the declared size/);
    refuses([0x1f, 0x61, 1, 0, 255], 400, /inside a match length/);
    refuses([0x1f, 0x61, 1, 0, 100, 0x00], 50, /match runs past/);
    refuses([0x10, 0x61, 1], 10, /inside a match offset/);
    refuses([0xf0, 255, 255], 1000, /inside a literal length/);
    refuses([0x20, 1, 2], 5, /decodes to 2 bytes, 5 declared/);
    refuses([], 0, /ends inside a sequence/);
  });

  test("the declared size is checked before anything is allocated", () => {
    const bomb = Uint8Array.from([0xff, 0xff, 0xff, 0xff, 0x00]); // declares 4 GiB
    const t0 = performance.now();
    assert.throws(() => lz4DecompressSized(bomb, 64 << 20), /4294967295 bytes, more than the limit/);
    assert.ok(performance.now() - t0 < 50);
  });

  test("round trip through the test compressor, random and repetitive data", () => {
    const rng = new Rng(7);
    for (let i = 0; i < 200; i++) {
      const n = rng.int(5000);
      const data = rng.int(2) ? rng.bytes(n) : Uint8Array.from({ length: n }, (_, j) => (j % (1 + rng.int(9))) + rng.int(2));
      assertBytes(lz4DecompressSized(lz4CompressSized(data), n), data, `case ${i}`);
      assert.ok(lz4CompressBlock(data).length > 0);
    }
  });
});

for (const version of ["3.1", "6.5"] as const) {
  describe(`lz4 payloads from Xpra ${version}'s compressor`, () => {
    const reference = referenceOrFailure<{ xpra: string; cases: { name: string; original: string; payload: string }[] }>(version, ["lz4"]);
    if (!reference) return;
    test(`the reference is Xpra ${version}`, () => assert.ok(reference.xpra.startsWith(version), reference.xpra));
    for (const c of reference.cases) {
      test(c.name, () => {
        const original = bytesFromBase64(c.original);
        assertBytes(lz4DecompressSized(bytesFromBase64(c.payload), 1 << 24), original);
      });
    }
  });
}
