/**
 * Keys from the keyboard translator into a real Xpra server (Debian's 3.1.3 and the 6.5 build),
 * read back in the session by `xev`: the characters a German user types (umlauts, ß, € and @ on
 * AltGr, ´ + e composed), Shift, and plain ASCII as a control, arrive as the X app's own key
 * events with the right keysyms and text. Heavy: run under flock /tmp/fl-heavy.lock.
 */
import assert from "node:assert/strict";
import { after, describe, test } from "node:test";
import { KeyboardTranslator, keyboardCapabilities, keyboardConfigPacket } from "../src/input/keyboard.js";
import type { KeyEventLike } from "../src/input/keyboard.js";
import { modifierMapFromHello } from "../src/input/modifiers.js";
import { inputProtocolFor } from "../src/input/protocol.js";
import { Client, sleep, startServer } from "./helpers/input/xpra.js";
import type { Server, Version } from "./helpers/input/xpra.js";

function ev(key: string, code: string, keyCode: number, mods: string[] = [], location = 0): KeyEventLike {
  const set = new Set(mods);
  return { key, code, keyCode, location, shiftKey: set.has("Shift"), ctrlKey: set.has("Control"), altKey: set.has("Alt"),
    metaKey: set.has("Meta"), getModifierState: (m: string) => set.has(m) };
}

/** The KeyPress events xev printed: keysym name and the text its input method produced. */
function keyPresses(xev: string): { keysym: string; text: string }[] {
  const out: { keysym: string; text: string }[] = [];
  for (const block of xev.split(/\n(?=\S)/)) {
    // A press the input method took (a dead key, the letter it composes with) shows as the
    // composed character's own event after it.
    if (!block.startsWith("KeyPress event") || /XFilterEvent returns: True/.test(block)) continue;
    const keysym = /\(keysym 0x[0-9a-f]+, ([^)]+)\)/.exec(block)?.[1] ?? "?";
    const text = /XmbLookupString gives \d+ bytes: (?:\([0-9a-f ]+\) )?"(.*)"/.exec(block)?.[1] ?? "";
    out.push({ keysym, text });
  }
  return out;
}

const servers: Server[] = [];
after(async () => {
  for (const s of servers) await s.stop();
});

for (const version of ["3.1", "6.5"] as Version[]) {
  describe(`Xpra ${version}: typed keys reach an X app`, () => {
    // 6.5: open. The server sets up its keymap from keyboard-config (force, keycodes), yet its map
    // stays US (ä, ö, ü, ß, € dropped; @ found on Shift+2 level): see docs/input.md. Still run,
    // reported as todo, so the day it passes shows.
    const todo = version === "6.5" ? { todo: "6.5.5 keeps its US keymap (docs/input.md, open)" } : {};
    test("German layout: Hi, äöüß, € and @ on AltGr, ´ e composed as é, Shift+1", { timeout: 120_000, ...todo }, async () => {
      const server = await startServer(version, ["--clipboard=no", ...(process.env["INPUT_XPRA_ARGS"] ?? "").split(" ").filter(Boolean)]);
      servers.push(server);
      const protocol = inputProtocolFor(Number(version.split(".")[0]));
      const layout = { layout: "de", variant: "" };
      const client = await Client.connect(server, { ...keyboardCapabilities(protocol, layout) });
      client.send(keyboardConfigPacket(protocol, layout));
      try {
        const xev = server.run("xev", ["-event", "keyboard", "-geometry", "300x200+0+0"]);
        await client.waitFor(() => client.windows.length > 0, 20_000, "xev's window");
        const wid = client.windows[0]!;
        await sleep(1000); // mapped and focusable
        const keyboard = new KeyboardTranslator({ protocol, platform: "linux", modifiers: modifierMapFromHello(client.hello!) });
        const press = (e: KeyEventLike): void => { for (const p of keyboard.onKeyDown(e, wid).packets) client.send(p); };
        const release = (e: KeyEventLike): void => { for (const p of keyboard.onKeyUp(e, wid).packets) client.send(p); };
        const tap = (e: KeyEventLike): void => { press(e); release(e); };
        const shift = ev("Shift", "ShiftLeft", 16, ["Shift"], 1);
        const altgr = ev("AltGraph", "AltRight", 225, [], 2);
        press(shift); tap(ev("H", "KeyH", 72, ["Shift"])); release(ev("Shift", "ShiftLeft", 16, [], 1));
        tap(ev("i", "KeyI", 73));
        for (const [k, c, n] of [["ä", "Quote", 222], ["ö", "Semicolon", 192], ["ü", "BracketLeft", 186], ["ß", "Minus", 219]] as const) {
          tap(ev(k, c, n));
        }
        press(altgr); tap(ev("€", "KeyE", 69, ["AltGraph"])); tap(ev("@", "KeyQ", 81, ["AltGraph"])); release(altgr);
        tap(ev("Dead", "Equal", 221)); tap(ev("é", "KeyE", 69));
        press(shift); tap(ev("!", "Digit1", 49, ["Shift"])); release(ev("Shift", "ShiftLeft", 16, [], 1));
        tap(ev("x", "KeyX", 88));
        const typed = (): string => keyPresses(xev.output()).map(k => k.text).join("");
        await client.waitFor(() => typed().endsWith("x"), 20_000, `the last key in xev (typed so far: ${JSON.stringify(typed())})`);
        assert.equal(typed(), "Hiäöüß€@é!x", `xev's key presses: ${JSON.stringify(keyPresses(xev.output()))}`);
        // é: X composed the dead_acute and e we sent (its input method took both presses).
        const keysyms = keyPresses(xev.output()).map(k => k.keysym).filter(k => !/^(Shift_L|ISO_Level3_Shift)$/.test(k));
        assert.deepEqual(keysyms, ["H", "i", "adiaeresis", "odiaeresis", "udiaeresis", "ssharp", "EuroSign", "at",
          "eacute", "exclam", "x"]);
      } catch (e) {
        if (process.env["INPUT_DEBUG"]) (await import("node:fs")).writeFileSync(`/tmp/input-debug-${version}.log`, server.output());
        throw e;
      } finally {
        client.close();
        await server.stop();
      }
    });
  });
}
