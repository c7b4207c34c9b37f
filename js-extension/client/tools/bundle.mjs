#!/usr/bin/env node
/**
 * Assembles dist/, the files the sidecar serves under /sessions/PORT/: index.html and style.css
 * from src/app/, and the compiled modules (lib/, from `npm run build`) the page reaches from
 * lib/app/main.js, found by following its imports and its `new URL("…", import.meta.url)` worker
 * URLs. Nothing else: no source maps, no declarations, no module the page never loads.
 *
 * Usage: npm run build && npm run bundle
 */
import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync } from "node:fs";
import { dirname, join, relative, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const LIB = join(ROOT, "lib");
const DIST = join(ROOT, "dist");
const ENTRY = join(LIB, "app", "main.js");

// Static imports and re-exports (`from "./x.js"`, `import "./x.js"`) and worker URLs.
const IMPORT = /(?:\bfrom\s*|\bimport\s*)["'](\.{1,2}\/[^"']+)["']/g;
const URL_REF = /new URL\(\s*["'](\.{1,2}\/[^"']+)["']\s*,\s*import\.meta\.url\s*\)/g;

function fail(message) {
  console.error(`bundle: ${message}`);
  process.exit(1);
}

if (!existsSync(ENTRY)) fail(`${relative(ROOT, ENTRY)} is missing: run npm run build first`);

const seen = new Set();
const queue = [ENTRY];
while (queue.length > 0) {
  const file = queue.pop();
  if (seen.has(file)) continue;
  if (!file.startsWith(LIB + sep)) fail(`${relative(ROOT, file)} is outside lib/`);
  if (!existsSync(file)) fail(`${relative(ROOT, file)} is imported but missing`);
  seen.add(file);
  // Comments may show example URLs (tsc keeps them): scanned without them.
  const code = readFileSync(file, "utf8").replace(/\/\*[\s\S]*?\*\//g, "").replace(/^\s*\/\/.*$/gm, "");
  for (const re of [IMPORT, URL_REF]) {
    for (const m of code.matchAll(re)) queue.push(resolve(dirname(file), m[1]));
  }
}

rmSync(DIST, { recursive: true, force: true });
mkdirSync(DIST, { recursive: true });
for (const name of ["index.html", "style.css"]) copyFileSync(join(ROOT, "src", "app", name), join(DIST, name));
for (const file of [...seen].sort()) {
  const out = join(DIST, relative(LIB, file));
  mkdirSync(dirname(out), { recursive: true });
  copyFileSync(file, out);
}
console.log(`bundle: dist/ with index.html, style.css and ${seen.size} modules`);
