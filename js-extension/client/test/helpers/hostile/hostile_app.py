#!/usr/bin/python3
"""The hostile X application of test/app-hostile.test.ts, run inside the Xpra session.

Plain X through python-xlib (Debian's /usr/bin/python3 has it, whichever Xpra runs the session),
so every size, title and class is exactly what this script sets, with no toolkit in between.

    hostile_app.py DIR TITLE_B64 CLASS_B64

At start it maps:
  - the main window (400x300, NORMAL): title TITLE (WM_NAME as Latin-1 STRING and _NET_WM_NAME as
    UTF-8), WM_CLASS (CLASS, CLASS): the page's filling window;
  - a dialog (300x200, _NET_WM_WINDOW_TYPE_DIALOG, transient for the main window) titled TITLE;
  - an override-redirect window (200x100, _NET_WM_WINDOW_TYPE_POPUP_MENU) titled TITLE.
Then it writes DIR/ready and runs commands: the test writes DIR/cmd-N (N = 1, 2, ...) holding one
line, and this script answers DIR/ack-N with a line of facts when done:
  popups COUNT HOLD_MS   map COUNT override-redirect windows (titled TITLE) as fast as X
                         takes them, keep them HOLD_MS, destroy them; ack: "mapped=.. ms=.."
  big SIDE SECONDS       resize the main window to SIDExSIDE and, for SECONDS, put it back each
                         time someone else resizes it; ack: "resized=<times it was put back>"
  small                  resize the main window to 400x300 again; ack "ok"
  extras-off             destroy the dialog and the override-redirect window; ack "ok"
"""
import base64
import os
import sys
import time

from Xlib import X, Xatom, display

DIR = sys.argv[1]
TITLE = base64.b64decode(sys.argv[2]).decode("utf-8")
CLASS = base64.b64decode(sys.argv[3]).decode("utf-8")

d = display.Display()
screen = d.screen()
root = screen.root
A = lambda name: d.intern_atom(name)
UTF8 = A("UTF8_STRING")
NET_WM_NAME = A("_NET_WM_NAME")
NET_WM_TYPE = A("_NET_WM_WINDOW_TYPE")


def name(win, title):
    # WM_NAME as STRING must be Latin-1; what does not fit is replaced, _NET_WM_NAME has it all.
    win.change_property(Xatom.WM_NAME, Xatom.STRING, 8, title.encode("latin-1", "replace"))
    win.change_property(NET_WM_NAME, UTF8, 8, title.encode("utf-8"))


def kind(win, type_name):
    win.change_property(NET_WM_TYPE, Xatom.ATOM, 32, [A(type_name)])


def window(x, y, w, h, pixel, override=False):
    return root.create_window(
        x, y, w, h, 0, screen.root_depth, X.InputOutput, X.CopyFromParent,
        background_pixel=pixel,
        override_redirect=override,
        event_mask=X.StructureNotifyMask | X.ExposureMask,
    )


main = window(10, 10, 400, 300, 0xE0E0E0)
name(main, TITLE)
# WM_CLASS is "instance\0class\0" in STRING (Latin-1).
cls = CLASS.encode("latin-1", "replace")
main.change_property(Xatom.WM_CLASS, Xatom.STRING, 8, cls + b"\0" + cls + b"\0")
kind(main, "_NET_WM_WINDOW_TYPE_NORMAL")
main.map()

dialog = window(60, 60, 300, 200, 0xC0C0FF)
name(dialog, TITLE)
dialog.change_property(Xatom.WM_CLASS, Xatom.STRING, 8, cls + b"\0" + cls + b"\0")
kind(dialog, "_NET_WM_WINDOW_TYPE_DIALOG")
dialog.change_property(Xatom.WM_TRANSIENT_FOR, Xatom.WINDOW, 32, [main.id])
dialog.map()

popup = window(100, 100, 200, 100, 0xFFC0C0, override=True)
name(popup, TITLE)
kind(popup, "_NET_WM_WINDOW_TYPE_POPUP_MENU")
popup.map()
d.sync()


def write(path, text):
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        f.write(text + "\n")
    os.rename(tmp, path)


def drain():
    while d.pending_events():
        d.next_event()


def popups(count, hold_ms):
    start = time.monotonic()
    wins = []
    for i in range(count):
        w = window(20 + (i * 7) % 600, 20 + (i * 11) % 400, 40, 20, 0x40FF40 + i, override=True)
        name(w, TITLE)
        kind(w, "_NET_WM_WINDOW_TYPE_POPUP_MENU")
        w.map()
        wins.append(w)
    d.sync()
    ms = (time.monotonic() - start) * 1000
    end = time.monotonic() + hold_ms / 1000
    while time.monotonic() < end:
        drain()
        time.sleep(0.05)
    for w in wins:
        w.destroy()
    d.sync()
    return "mapped=%d ms=%d" % (count, ms)


def big(side, seconds):
    main.configure(width=side, height=side)
    d.sync()
    put_back = 0
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        while d.pending_events():
            e = d.next_event()
            if e.type == X.ConfigureNotify and e.window.id == main.id and (e.width != side or e.height != side):
                main.configure(width=side, height=side)
                put_back += 1
        d.sync()
        time.sleep(0.02)
    g = main.get_geometry()
    return "resized=%d now=%dx%d" % (put_back, g.width, g.height)


write(os.path.join(DIR, "ready"), "ok")
n = 1
while True:
    drain()
    path = os.path.join(DIR, "cmd-%d" % n)
    if not os.path.exists(path):
        time.sleep(0.05)
        continue
    with open(path) as f:
        words = f.read().split()
    if words[0] == "popups":
        ack = popups(int(words[1]), int(words[2]))
    elif words[0] == "big":
        ack = big(int(words[1]), float(words[2]))
    elif words[0] == "small":
        main.configure(width=400, height=300)
        d.sync()
        ack = "ok"
    elif words[0] == "extras-off":
        dialog.destroy()
        popup.destroy()
        d.sync()
        ack = "ok"
    else:
        ack = "unknown " + words[0]
    write(os.path.join(DIR, "ack-%d" % n), ack)
    n += 1
