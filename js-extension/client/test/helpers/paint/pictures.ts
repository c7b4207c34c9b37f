/**
 * Pictures from Xpra's own encoders (encode_pictures.py run under each version's Python), cached
 * per test process. A missing Xpra is an error naming the script that installs it.
 */
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { pythonFor } from "../python.js";
import type { DrawSpec } from "./harness.js";

export interface Picture {
  name: string;
  coding: string;
  width: number;
  height: number;
  rowstride: number;
  options: Record<string, unknown>;
  data: string;
  /** Top-left, top-right, bottom-left, bottom-right colours. */
  colours: [number, number, number][];
}

export type XpraVersion = "3.1" | "6.5";

const SCRIPT = fileURLToPath(new URL("../../../../test/helpers/paint/encode_pictures.py", import.meta.url));
const cache = new Map<XpraVersion, { version: string; pictures: Picture[] }>();

export function pictures(v: XpraVersion): { version: string; pictures: Picture[] } {
  const hit = cache.get(v);
  if (hit) return hit;
  const python = pythonFor(v);
  if (!existsSync(python)) throw new Error(`no Python for Xpra ${v} at ${python}: run ${v === "3.1" ? "scripts/install-system-deps" : "scripts/install-xpra6"}`);
  const out = execFileSync(python, [SCRIPT], { maxBuffer: 64 * 1024 * 1024, stdio: ["ignore", "pipe", "pipe"] });
  const r = JSON.parse(out.toString("utf8")) as { version: string; pictures: Picture[] };
  cache.set(v, r);
  return r;
}

export function picture(v: XpraVersion, name: string): Picture {
  const p = pictures(v).pictures.find((x) => x.name === name);
  if (!p) throw new Error(`Xpra ${v} produced no ${name} picture`);
  return p;
}

/** A draw of the picture at (x, y) in window wid; 3.1's draws carry byte strings. */
export function drawOf(v: XpraVersion, p: Picture, wid: number, sequence: number, x = 0, y = 0): DrawSpec {
  return { wid, x, y, width: p.width, height: p.height, coding: p.coding, data: { b64: p.data }, sequence, rowstride: p.rowstride, options: p.options, asBytes: v === "3.1" };
}

/** Centres of the four quadrants of a picture drawn at (x, y). */
export function quadrantPoints(p: Picture, x = 0, y = 0): [number, number][] {
  const qx = p.width / 4;
  const qy = p.height / 4;
  return [
    [x + qx, y + qy],
    [x + 3 * qx, y + qy],
    [x + qx, y + 3 * qy],
    [x + 3 * qx, y + 3 * qy],
  ];
}
