#!/usr/bin/env python3
"""Writes src/input/keysyms.ts: character -> X keysym name, from X.Org's keysymdef.h (MIT).

Xpra finds a server key by keysym *name*, so the client must name each character as X does.
Only exact Unicode mappings are kept (`/* U+XXXX ... */`; keysymdef marks approximate ones with
parentheses or angle brackets), first name per character wins (keysymdef lists the preferred
name first). Run: python3 test/helpers/input/gen_keysyms.py /usr/include/X11/keysymdef.h > src/input/keysyms.ts
"""
import re
import sys

path = sys.argv[1] if len(sys.argv) > 1 else "/usr/include/X11/keysymdef.h"
line_re = re.compile(r"^#define XK_([A-Za-z0-9_]+)\s+0x([0-9a-fA-F]+)\s*/\* U\+([0-9A-Fa-f]{4,6}) ")
seen = {}
with open(path, encoding="latin-1") as f:
    for line in f:
        m = line_re.match(line)
        if not m:
            continue
        name, cp = m.group(1), int(m.group(3), 16)
        if cp < 0x20 or 0xD800 <= cp <= 0xDFFF or name.startswith("KP_"):
            continue
        seen.setdefault(cp, name)

out = []
out.append("/**\n * Characters and the X keysym names X gives them (generated from X.Org's keysymdef.h, MIT, by\n"
           " * test/helpers/input/gen_keysyms.py; do not edit). Xpra's servers find the key to press by\n"
           " * keysym name, so a typed character must travel under X's own name for it. Only exact Unicode\n"
           " * mappings are listed; each entry is `name` + space + hex code point, joined by `;`.\n */\n")
out.append("const TABLE =\n")
entries = ["%s %x" % (seen[cp], cp) for cp in sorted(seen)]
chunk = []
lines = []
for e in entries:
    chunk.append(e)
    if len(";".join(chunk)) > 90:
        lines.append(";".join(chunk))
        chunk = []
if chunk:
    lines.append(";".join(chunk))
out.append(" +\n".join('  "%s;"' % l for l in lines))
out.append(";\n\n")
out.append("""let charToName: Map<string, string> | null = null;

/** The keysym name of one character (a single code point), or undefined when X has none. */
export function keysymNameForChar(ch: string): string | undefined {
  if (charToName === null) {
    charToName = new Map();
    for (const entry of TABLE.split(";")) {
      const space = entry.indexOf(" ");
      if (space > 0) {
        charToName.set(String.fromCodePoint(parseInt(entry.slice(space + 1), 16)), entry.slice(0, space));
      }
    }
  }
  return charToName.get(ch);
}
""")
sys.stdout.write("".join(out))
