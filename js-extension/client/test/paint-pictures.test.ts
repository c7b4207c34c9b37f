/**
 * Still pictures from both Xpra versions' own encoders (jpeg, webp, png, rgb32 with and without
 * lz4), painted by the worker into Debian's Chromium and read back from the screen.
 */
import { strict as assert } from "node:assert";
import { describe, test } from "node:test";
import { addWindow, distance, draw, painterPage, results, shot } from "./helpers/paint/harness.js";
import { drawOf, pictures, quadrantPoints, type XpraVersion } from "./helpers/paint/pictures.js";

const STILLS = ["jpeg", "webp", "png", "rgb-lz4", "rgb-plain"];
// jpeg at quality 95 on flat colours stays within a few levels; lossless ones are exact.
const TOLERANCE: Record<string, number> = { jpeg: 12, webp: 2, png: 0, "rgb-lz4": 0, "rgb-plain": 0 };

const chromium = painterPage();

let nextWid = 1;
for (const v of ["6.5", "3.1"] as XpraVersion[]) {
  describe(`Xpra ${v} pictures`, () => {
    for (const name of STILLS) {
      test(`${name} lands on the canvas with its colours`, async () => {
        const p = pictures(v).pictures.find((x) => x.name === name);
        assert.ok(p, `Xpra ${v} produced no ${name}`);
        if (name === "rgb-lz4") assert.ok(Number(p.options["lz4"]) > 0, "the encoder compressed with lz4");
        const wid = nextWid++;
        // Each window in its own spot, the picture drawn at an offset inside it.
        const left = ((wid - 1) % 8) * 100;
        const top = Math.floor((wid - 1) / 8) * 80;
        assert.equal(await addWindow(chromium.page, wid, 80, 60, left, top), "");
        const before = (await results(chromium.page, 0)).length;
        await draw(chromium.page, drawOf(v, p, wid, 100 + wid, 8, 6));
        const r = (await results(chromium.page, before + 1)).filter((x) => x.wid === wid);
        assert.deepEqual(r.map((x) => [x.sequence, x.width, x.height, x.error]), [[100 + wid, 64, 48, ""]]);
        assert.ok(r[0]!.decodeMicros >= 0);
        const px = await shot(chromium.page, left, top, 80, 60);
        quadrantPoints(p, 8, 6).forEach(([x, y], i) => {
          const got = px.at(x, y);
          assert.ok(distance(got, p.colours[i]!) <= TOLERANCE[name]!, `${name} at ${x},${y}: got ${got.join(",")}, want ${p.colours[i]!.join(",")}`);
        });
        // Outside the draw the window is still blank (transparent canvas over the white chromium.page).
        assert.deepEqual(px.at(2, 2).slice(0, 3), [255, 255, 255]);
      });
    }
  });
}
