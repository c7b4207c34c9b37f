/**
 * The safety lint (tools/lint-safety.mjs): the client's sources pass it, and it catches each
 * forbidden form (so a pass means something), without flagging the safe lookalikes.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const LINT = join(ROOT, "tools", "lint-safety.mjs");

function lint(...paths: string[]): { status: number | null; out: string } {
  const r = spawnSync(process.execPath, [LINT, ...paths], { cwd: ROOT, encoding: "utf8" });
  return { status: r.status, out: r.stdout + r.stderr };
}

// Each line a use the lint must refuse, built from pieces (the uses never appear whole here).
const j = (...parts: string[]) => parts.join("");
const FORBIDDEN: Record<string, string> = {
  innerHTML: j("el.inner", "HTML = title;"),
  outerHTML: j("el.outer", "HTML = title;"),
  insertAdjacentHTML: j("el.insertAdjacent", "HTML('beforeend', title);"),
  "document.write": j("document.", "write(title);"),
  writeln: j("document .", "writeln(title);"),
  createContextualFragment: j("range.createContextual", "Fragment(title);"),
  srcdoc: j("frame.src", "doc = title;"),
  eval: j("const f = ev", "al(code);"),
  "window eval": j("globalThis.ev", "al (code);"),
  "new Function": j("const f = new Func", "tion('a', code);"),
  "Function()": j("const f = Func", "tion(code);"),
  "setTimeout string": j("setTime", "out('alert(1)', 10);"),
  "setInterval template": j("setInter", "val(`tick()`, 10);"),
  jQuery: j("import $ from 'jq", "uery';"),
};

test("the client's sources pass the safety lint", () => {
  const r = lint("src");
  assert.equal(r.status, 0, r.out);
  assert.match(r.out, /0 findings/);
});

test("each forbidden form is caught, safe lookalikes are not", () => {
  const dir = mkdtempSync(join(tmpdir(), "lint-safety-"));
  try {
    for (const [name, line] of Object.entries(FORBIDDEN)) {
      const file = join(dir, `${name.replace(/\W+/g, "_")}.ts`);
      writeFileSync(file, `// a fixture\n${line}\n`);
      const r = lint(file);
      assert.equal(r.status, 1, `${name} not caught: ${r.out}`);
      assert.ok(r.out.includes(`${file}:2:`), `${name}: ${r.out}`);
      rmSync(file);
    }
    const clean = join(dir, "clean.ts");
    writeFileSync(
      clean,
      [
        "el.textContent = title;",
        "setTimeout(() => tick(), 10);",
        "setInterval(tick, 10);",
        "const v = evaluate(x) + myFunction(y) + isFunction(z);",
        "const windowed = documentation;",
      ].join("\n"),
    );
    const r = lint(clean);
    assert.equal(r.status, 0, r.out);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("DOM globals are refused in the protocol layer only", () => {
  const dir = mkdtempSync(join(tmpdir(), "lint-safety-"));
  try {
    mkdirSync(join(dir, "protocol"));
    mkdirSync(join(dir, "display"));
    const line = j("const c = docu", "ment.createElement('canvas');\n");
    writeFileSync(join(dir, "protocol", "x.ts"), line);
    writeFileSync(join(dir, "display", "x.ts"), line);
    const r = lint(dir);
    assert.equal(r.status, 1);
    assert.match(r.out, /protocol.x\.ts:1: DOM in the protocol layer/);
    assert.doesNotMatch(r.out, /display.x\.ts/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
