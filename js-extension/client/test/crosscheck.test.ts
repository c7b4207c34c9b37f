/**
 * Our codecs against Xpra's own Python encoders, both ways, case by case:
 *   Xpra → ours: our decoder reads Xpra's bytes as the value Xpra's decoder reads (value-exact),
 *                and our encoder writes, for the same value, exactly Xpra's bytes (byte-exact);
 *   ours → Xpra: Xpra's decoder reads our bytes as the value it reads from its own (value-exact),
 *                and Xpra re-encodes what it read into exactly our bytes (byte-exact).
 * Pairs: rencode and bencode with Debian's Xpra 3.1.3, rencodeplus with Xpra 6.5.5.
 * Values Xpra refuses to encode (None in bencode, 64-character ints) must be refused by us too.
 */
import assert from "node:assert/strict";
import { before, describe, test } from "node:test";
import { CODECS } from "../src/protocol/codecs.js";
import { CodecError } from "../src/protocol/values.js";
import { assertBytes, assertSame } from "./helpers/compare.js";
import { referenceOrFailure, runReference, versionOf } from "./helpers/python.js";
import type { CodecName } from "./helpers/python.js";
import { bytesFromBase64, toEncodable, toExpected } from "./helpers/tagged.js";
import type { Tagged } from "./helpers/tagged.js";

interface Case {
  name: string;
  value: Tagged;
  mustRefuse: boolean;
  refused?: string;
  wire?: string;
  loaded?: Tagged;
}
interface Corpus {
  xpra: string;
  cases: Case[];
}
interface CheckResult {
  name: string;
  valueEqual?: boolean;
  reencodedEqual?: boolean;
  error?: string;
}
interface Check {
  xpra: string;
  results: CheckResult[];
}

const b64 = (bytes: Uint8Array) => Buffer.from(bytes).toString("base64");

for (const codecName of ["rencode", "bencode", "rencodeplus"] as CodecName[]) {
  const version = versionOf(codecName);
  const codec = CODECS[codecName];

  describe(`${codecName} against Xpra ${version}`, () => {
    const corpus = referenceOrFailure<Corpus>(version, ["corpus", codecName]);
    if (!corpus) return;
    const ours = new Map<string, Uint8Array>();
    let check: Map<string, CheckResult>;

    before(() => {
      for (const c of corpus.cases) {
        if (c.refused) continue;
        try {
          ours.set(c.name, codec.encode(toEncodable(c.value)));
        } catch {
          // the Xpra → ours test of this case reports it
        }
      }
      const sent = [...ours].map(([name, wire]) => ({ name, wire: b64(wire) }));
      const answer = runReference<Check>(version, ["check", codecName], sent);
      check = new Map(answer.results.map((r) => [r.name, r]));
    });

    test(`the reference is Xpra ${version}`, () => {
      assert.ok(corpus.xpra.startsWith(version), `reference Xpra is ${corpus.xpra}`);
      assert.ok(corpus.cases.length >= 40, `only ${corpus.cases.length} cases`);
    });

    for (const c of corpus.cases) {
      if (c.refused !== undefined) {
        test(`${c.name}: refused by Xpra and by us`, () => {
          assert.ok(c.mustRefuse, `Xpra refused a value the corpus expects it to take: ${c.refused}`);
          assert.throws(() => codec.encode(toEncodable(c.value)), CodecError);
        });
        continue;
      }
      test(`${c.name}: Xpra → ours`, () => {
        assert.ok(!c.mustRefuse, "Xpra encoded a value it should refuse");
        const wire = bytesFromBase64(c.wire!);
        assertSame(codec.decode(wire), toExpected(c.loaded!), "decoded value");
        assertBytes(codec.encode(toEncodable(c.value)), wire, "our encoding");
      });
      test(`${c.name}: ours → Xpra`, () => {
        const r = check.get(c.name);
        assert.ok(r, "our encoder produced nothing to check");
        assert.equal(r.error, undefined, `Xpra failed to read our bytes: ${r.error}`);
        assert.equal(r.valueEqual, true, "Xpra reads another value from our bytes");
        assert.equal(r.reencodedEqual, true, "Xpra re-encodes what it read into other bytes");
      });
    }

    // The checks above can fail: Xpra's side notices a wrong byte in what we send it.
    test("Xpra's check notices corrupted bytes from us", () => {
      const victims = ["int16", "str unicode", "dict nested"].map((name) => {
        const wire = ours.get(name)!.slice();
        wire[wire.length - 1] ^= 0x01; // a changed last byte: still decodable, another value
        return { name, wire: b64(wire) };
      });
      const answer = runReference<Check>(version, ["check", codecName], victims);
      for (const r of answer.results) {
        assert.ok(r.error !== undefined || r.valueEqual === false, `${r.name}: corruption not noticed`);
      }
    });
  });
}
