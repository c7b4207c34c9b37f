#!/usr/bin/env node
// Safety lint for the client (issue 21: "safety by construction"). Fails on every way to turn a
// string into markup or code anywhere under the given paths (default: src), and on DOM globals in
// the protocol layer (src/protocol/ must work in a worker and under Node, and never touch a page).
// Comments and strings are scanned too: a forbidden name is not written at all, so a later edit
// cannot turn a mention into a use. A string-typed timer argument held in a variable is not
// traced; the TypeScript sources pass functions, and a literal or template is caught.
//
//   node tools/lint-safety.mjs [path…]    exit 0: clean; exit 1: findings, one per line
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, sep } from "node:path";

const RULES = [
  ["innerHTML", /\binnerHTML\b/],
  ["outerHTML", /\bouterHTML\b/],
  ["insertAdjacentHTML", /\binsertAdjacentHTML\b/],
  ["document.write", /\bdocument\s*\.\s*write(?:ln)?\b/],
  ["createContextualFragment", /\bcreateContextualFragment\b/],
  ["srcdoc", /\bsrcdoc\b/],
  ["eval", /\beval\s*\(/],
  ["new Function", /\bnew\s+Function\b/],
  ["Function()", /(?<![\w$.])Function\s*\(/],
  ["string timer", /\bset(?:Timeout|Interval)\s*\(\s*["'`]/],
  ["jQuery", /\bjQuery\b|["']jquery["']/],
];

// Per-layer rules: path fragment -> rules.
const LAYER_RULES = [
  [`${sep}protocol${sep}`, [["DOM in the protocol layer", /\b(?:document|window|navigator|localStorage|sessionStorage|DOMParser|HTML[A-Za-z]*Element)\b/]]],
];

const SOURCE = /\.(?:ts|tsx|js|mjs|cjs)$/;

function* files(path) {
  if (statSync(path).isDirectory()) {
    for (const entry of readdirSync(path).sort()) yield* files(join(path, entry));
  } else if (SOURCE.test(path)) {
    yield path;
  }
}

const findings = [];
const roots = process.argv.slice(2);
let scanned = 0;
for (const root of roots.length ? roots : ["src"]) {
  for (const file of files(root)) {
    scanned++;
    const rules = [...RULES, ...LAYER_RULES.filter(([part]) => file.includes(part)).flatMap(([, r]) => r)];
    readFileSync(file, "utf8").split("\n").forEach((line, i) => {
      for (const [name, re] of rules) {
        if (re.test(line)) findings.push(`${file}:${i + 1}: ${name}: ${line.trim().slice(0, 120)}`);
      }
    });
  }
}
for (const f of findings) console.log(f);
if (scanned === 0) {
  console.log("lint-safety: no source files found");
  process.exit(1);
}
console.log(`lint-safety: ${scanned} files, ${findings.length} findings`);
process.exit(findings.length ? 1 : 0);
