/**
 * Keys from the keyboard translator into a real Xpra server (Debian's 3.1.3 and the 6.5 build),
 * read back in the session by `xev`: the cases the browser keyboard suite types
 * (js-extension/ui-tests/keyboard.test.mjs) for US, German (AltGr as Linux and Windows report it,
 * Option on a Mac, dead keys, a US keyboard's characters on the German layout), French (AZERTY,
 * dead circumflex) and Swiss German, each after the client switched the server's layout with its
 * own packet, and `setxkbmap -query` on the session's display shows the layout the client asked
 * for. One server and one xev per version. Heavy: run under flock /tmp/fl-heavy.lock.
 *
 * Also measured: Xpra 6.5 started without XPRA_XKB_CONFIG_ROOT (the venv build looks for XKB's
 * rules under /opt/xpra6/share) stays on US whatever the client sends, and ä is dropped; this is
 * the failure docs/input.md describes, and why the product must start 6.5 with that variable.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { after, describe, test } from "node:test";
import { KeyboardTranslator, keyboardCapabilities, keyboardConfigPacket } from "../src/input/keyboard.js";
import type { KeyEventLike, Platform } from "../src/input/keyboard.js";
import type { Layout } from "../src/input/layouts.js";
import { modifierMapFromHello } from "../src/input/modifiers.js";
import { inputProtocolFor } from "../src/input/protocol.js";
import { Client, sleep, startServer } from "./helpers/input/xpra.js";
import type { Server, Version } from "./helpers/input/xpra.js";

/** A browser key event: key, code, Windows keyCode, modifiers held, location. */
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

/** A step of a case: tap a key (press+release), or press / release one (modifiers). */
type Step = ["tap" | "press" | "release", KeyEventLike];

const tap = (key: string, code: string, keyCode: number, mods: string[] = []): Step => ["tap", ev(key, code, keyCode, mods)];
const dead = (code: string, keyCode: number): Step => tap("Dead", code, keyCode);
const SHIFT_DOWN: Step = ["press", ev("Shift", "ShiftLeft", 16, ["Shift"], 1)];
const SHIFT_UP: Step = ["release", ev("Shift", "ShiftLeft", 16, [], 1)];
const ALTGR_DOWN: Step = ["press", ev("AltGraph", "AltRight", 225, [], 2)];
const ALTGR_UP: Step = ["release", ev("AltGraph", "AltRight", 225, [], 2)];
const shifted = (...steps: Step[]): Step[] => [SHIFT_DOWN, ...steps, SHIFT_UP];
const altgr = (...steps: Step[]): Step[] => [ALTGR_DOWN, ...steps, ALTGR_UP];
/** Plain ASCII letters, digits and spaces on any Latin layout (Shift for capitals). */
const ascii = (text: string): Step[] => [...text].flatMap((c): Step[] => {
  if (c === " ") return [tap(" ", "Space", 32)];
  if (/[0-9]/.test(c)) return [tap(c, `Digit${c}`, c.charCodeAt(0))];
  const upper = c.toUpperCase();
  return c === upper ? shifted(tap(c, `Key${upper}`, upper.charCodeAt(0), ["Shift"])) : [tap(c, `Key${upper}`, upper.charCodeAt(0))];
});

interface Case {
  readonly what: string;
  readonly layout: Layout;
  readonly platform?: Platform;
  readonly steps: Step[];
  readonly expected: string;
}

const de = { layout: "de", variant: "" };
const CASES: Case[] = [
  { what: "US: ASCII, @ on Shift+2", layout: { layout: "us", variant: "" }, expected: "Hello world 42@!",
    steps: [...ascii("Hello world 42"), ...shifted(tap("@", "Digit2", 50, ["Shift"]), tap("!", "Digit1", 49, ["Shift"]))] },
  { what: "German: umlauts, ß, € and @ and { on AltGr, Shift+1", layout: de, expected: "Hiäöüß€@{!",
    steps: [...ascii("Hi"), tap("ä", "Quote", 222), tap("ö", "Semicolon", 192), tap("ü", "BracketLeft", 186), tap("ß", "Minus", 219),
      ...altgr(tap("€", "KeyE", 69, ["AltGraph"]), tap("@", "KeyQ", 81, ["AltGraph"]), tap("{", "Digit7", 55, ["AltGraph"])),
      ...shifted(tap("!", "Digit1", 49, ["Shift"]))] },
  { what: "German dead keys: ´ e, x, ´ e, ^ space", layout: de, expected: "éxé^",
    steps: [dead("Equal", 221), tap("é", "KeyE", 69), tap("x", "KeyX", 88), dead("Equal", 221), tap("é", "KeyE", 69),
      dead("Backquote", 220), tap("^", "Space", 32)] },
  { what: "German, AltGr as Windows reports it (Control+Alt)", layout: de, expected: "@€{x",
    steps: [["press", ev("Control", "ControlLeft", 17, ["Control"], 1)], ["press", ev("AltGraph", "AltRight", 18, ["Control", "Alt"], 2)],
      tap("@", "KeyQ", 81, ["Control", "Alt"]), tap("€", "KeyE", 69, ["Control", "Alt"]), tap("{", "Digit7", 55, ["Control", "Alt"]),
      ["release", ev("AltGraph", "AltRight", 18, ["Control"], 2)], ["release", ev("Control", "ControlLeft", 17, [], 1)],
      tap("x", "KeyX", 88)] },
  { what: "German, Option on a Mac", layout: de, platform: "mac", expected: "@€x",
    steps: [["press", ev("Alt", "AltLeft", 18, ["Alt"], 1)], tap("@", "KeyL", 76, ["Alt"]), tap("€", "KeyE", 69, ["Alt"]),
      ["release", ev("Alt", "AltLeft", 18, [], 1)], tap("x", "KeyX", 88)] },
  { what: "a US keyboard's characters on the German layout", layout: de, expected: "[]{}\\|~@",
    steps: [tap("[", "BracketLeft", 219), tap("]", "BracketRight", 221),
      ...shifted(tap("{", "BracketLeft", 219, ["Shift"]), tap("}", "BracketRight", 221, ["Shift"])),
      tap("\\", "Backslash", 220), ...shifted(tap("|", "Backslash", 220, ["Shift"]), tap("~", "Backquote", 192, ["Shift"]),
        tap("@", "Digit2", 50, ["Shift"]))] },
  { what: "French (AZERTY): éèàç, dead ^ e, x, dead ^ Shift+E", layout: { layout: "fr", variant: "" }, expected: "éèàçêxÊ",
    steps: [tap("é", "Digit2", 50), tap("è", "Digit7", 55), tap("à", "Digit0", 48), tap("ç", "Digit9", 57),
      dead("BracketLeft", 221), tap("ê", "KeyE", 69), tap("x", "KeyX", 88),
      dead("BracketLeft", 221), ...shifted(tap("Ê", "KeyE", 69, ["Shift"]))] },
  { what: "Swiss German: äöü, éàè on Shift, @ and € on AltGr, dead ^ e", layout: { layout: "ch", variant: "" }, expected: "äöüéàè@€êz",
    steps: [tap("ä", "Quote", 222), tap("ö", "Semicolon", 192), tap("ü", "BracketLeft", 186),
      ...shifted(tap("é", "Semicolon", 192, ["Shift"]), tap("à", "Quote", 222, ["Shift"]), tap("è", "BracketLeft", 186, ["Shift"])),
      ...altgr(tap("@", "Digit2", 50, ["AltGraph"]), tap("€", "KeyE", 69, ["AltGraph"])),
      dead("Equal", 221), tap("ê", "KeyE", 69), tap("z", "KeyY", 90)] }
];

const servers: Server[] = [];
after(async () => {
  for (const s of servers) await s.stop();
});

/** `setxkbmap -query`'s layout on the session's display. */
function serverLayout(server: Server): string {
  const out = execFileSync("setxkbmap", ["-query"], { env: { ...server.env, DISPLAY: server.display } }).toString();
  return /^layout:\s*(\S+)/m.exec(out)?.[1] ?? "";
}

/** A server, a client whose hello asks for `layout`, and xev's window on screen. */
async function session(version: Version, layout: Layout, keyboardRoot = true) {
  const server = await startServer(version, [], { keyboardRoot });
  servers.push(server);
  const protocol = inputProtocolFor(Number(version.split(".")[0]));
  const client = await Client.connect(server, { ...keyboardCapabilities(protocol, layout) });
  client.send(keyboardConfigPacket(protocol, layout));
  const xev = server.run("xev", ["-event", "keyboard", "-geometry", "300x200+0+0"]);
  await client.waitFor(() => client.windows.length > 0, 20_000, "xev's window");
  await sleep(1000); // mapped and focusable
  return { server, protocol, client, xev, wid: client.windows[0]! };
}

for (const version of ["3.1", "6.5"] as Version[]) {
  describe(`Xpra ${version}: typed keys reach an X app`, () => {
    test("US, German (AltGr, Windows AltGr, Mac Option, dead keys), French, Swiss: the text xev receives", { timeout: 240_000 }, async () => {
      const { server, protocol, client, xev, wid } = await session(version, CASES[0]!.layout);
      const typed = (): string => keyPresses(xev.output()).map(k => k.text).join("");
      try {
        let current = "";
        for (const c of CASES) {
          const key = `${c.layout.layout}(${c.layout.variant})`;
          if (key !== current) {
            client.send(keyboardConfigPacket(protocol, c.layout));
            current = key;
            const deadline = Date.now() + 10_000;
            while (serverLayout(server) !== c.layout.layout && Date.now() < deadline) await sleep(100);
            assert.equal(serverLayout(server), c.layout.layout, `${c.what}: the session's XKB layout (setxkbmap -query)`);
            await sleep(700); // the server re-reads the keymap after its own change (100 ms timer)
          }
          const keyboard = new KeyboardTranslator({ protocol, platform: c.platform ?? "linux", modifiers: modifierMapFromHello(client.hello!) });
          const before = [...typed()].length;
          for (const [action, e] of c.steps) {
            if (action !== "release") for (const p of keyboard.onKeyDown(e, wid).packets) client.send(p);
            if (action !== "press") for (const p of keyboard.onKeyUp(e, wid).packets) client.send(p);
          }
          const want = [...c.expected].length;
          await client.waitFor(() => [...typed()].length >= before + want, 15_000,
            `${c.what}: ${want} characters in xev (so far ${JSON.stringify([...typed()].slice(before).join(""))})`).catch(() => {});
          await sleep(300); // anything extra shows too
          assert.equal([...typed()].slice(before).join(""), c.expected,
            `${c.what} on Xpra ${version}: xev's key presses ${JSON.stringify(keyPresses(xev.output()).slice(-want - 4))}`);
        }
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

describe("Xpra 6.5 without XPRA_XKB_CONFIG_ROOT (the venv build's default)", () => {
  test("the layout the client asks for is never loaded: the session stays US, ä is dropped, a is typed", { timeout: 120_000 }, async () => {
    const { server, protocol, client, xev, wid } = await session("6.5", de, false);
    try {
      await sleep(1000);
      assert.equal(serverLayout(server), "us");
      assert.match(server.output(), /failed to set exact keymap/);
      const keyboard = new KeyboardTranslator({ protocol, platform: "linux", modifiers: modifierMapFromHello(client.hello!) });
      for (const e of [ev("ä", "Quote", 222), ev("a", "KeyA", 65)]) {
        for (const p of [...keyboard.onKeyDown(e, wid).packets, ...keyboard.onKeyUp(e, wid).packets]) client.send(p);
      }
      const typed = (): string => keyPresses(xev.output()).map(k => k.text).join("");
      await client.waitFor(() => typed().length > 0, 15_000, "a key press in xev");
      await sleep(500);
      assert.equal(typed(), "a");
    } finally {
      client.close();
      await server.stop();
    }
  });
});
