/**
 * Runs test/xpra_reference.py under the Python of the Xpra version a codec is checked against.
 * No skipping: a missing Xpra is a failed test with the command that installs it.
 */
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { test } from "node:test";
import { fileURLToPath } from "node:url";

export type CodecName = "rencode" | "bencode" | "rencodeplus";

const SCRIPT = fileURLToPath(new URL("../../../test/xpra_reference.py", import.meta.url));

export const PYTHON_31 = process.env["XPRA31_PYTHON"] ?? "/usr/bin/python3";
export const PYTHON_65 = process.env["XPRA6_PYTHON"] ?? "/opt/xpra6/bin/python3";

export function pythonFor(version: "3.1" | "6.5"): string {
  return version === "3.1" ? PYTHON_31 : PYTHON_65;
}

export function versionOf(codec: CodecName): "3.1" | "6.5" {
  return codec === "rencodeplus" ? "6.5" : "3.1";
}

export function runReference<T>(version: "3.1" | "6.5", args: string[], input?: unknown): T {
  const python = pythonFor(version);
  if (!existsSync(python)) {
    const how = version === "3.1" ? "scripts/install-system-deps (Debian's xpra)" : "scripts/install-xpra6";
    throw new Error(`no Python for Xpra ${version} at ${python}: run ${how}`);
  }
  const out = execFileSync(python, [SCRIPT, ...args], {
    input: input === undefined ? "" : JSON.stringify(input),
    maxBuffer: 512 * 1024 * 1024,
    stdio: ["pipe", "pipe", "pipe"], // Xpra logs its warnings on stderr
  });
  return JSON.parse(out.toString("utf8")) as T;
}

/**
 * runReference while tests are being defined. If it fails, defines one failing test saying why
 * and returns null: a suite that throws while being defined is not counted as a failed test.
 */
export function referenceOrFailure<T>(version: "3.1" | "6.5", args: string[]): T | null {
  try {
    return runReference<T>(version, args);
  } catch (e) {
    test(`the Xpra ${version} reference runs (${args.join(" ")})`, () => {
      throw e;
    });
    return null;
  }
}
