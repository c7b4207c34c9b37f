#!/usr/bin/python3
"""Peer session helper: a tiny window manager, and the link from the session to Jupyter's life.

    peerwm.py WRAPPER_PID      (run by xstartup with WRAPPER_PID=$PPID, the tigervncserver wrapper)

1. Window manager. Keeps every top-level window covering the whole X screen.

The peer's VNC desktop runs Firefox alone, with no desktop environment. Without a window manager
nothing resizes Firefox when noVNC's resizeSession changes the screen size to the browser's
viewport, and Firefox opens at 90% of the screen. This takes the window-manager role
(SubstructureRedirect on the root) and:

- maps each normal top-level window at 0,0 with the root's size and gives it the input focus;
- answers a normal window's own ConfigureRequest with that same geometry (Firefox restores sizes);
- grants transient windows (dialogs) what they ask for;
- refits every managed window when the root changes size (RandR, e.g. SetDesktopSize from noVNC).

No decorations, no EWMH hints.

2. Teardown. jupyter-server-proxy starts `/bin/sh -c 'cd DIR && vncserver ...'`; on SIGTERM it
signals only that sh, which dies without passing it on, so tigervncserver (perl), Xtigervnc and
Firefox (each of the last two in its own session, from the wrapper's setsid) would outlive the
Jupyter server. This watches the wrapper's parent (the sh) and grandparent (the Jupyter server)
through pidfds; when either exits it sends SIGTERM to the wrapper, which stops Xtigervnc; Firefox
then loses its display and exits, and so does this helper.

Runs under Debian's /usr/bin/python3 with python3-xlib; exits when the X server goes away.
"""
import os
import select
import signal
import sys

from Xlib import X, display, error

dpy = display.Display()
root = dpy.screen().root
managed = set()


def root_size():
    g = root.get_geometry()
    return g.width, g.height


def is_normal(win):
    try:
        return win.get_wm_transient_for() is None
    except error.XError:
        return False


def fit(win):
    w, h = root_size()
    try:
        win.configure(x=0, y=0, width=w, height=h, border_width=0)
    except error.XError:
        managed.discard(win.id)


def parent_of(pid):
    with open(f'/proc/{pid}/stat') as f:
        return int(f.read().rsplit(')', 1)[1].split()[1])


def watch_ancestors(wrapper):
    """pidfds of the wrapper's parent and grandparent (stopping at pid 1)."""
    fds = []
    pid = wrapper
    for _ in range(2):
        pid = parent_of(pid)
        if pid <= 1:
            break
        try:
            fds.append(os.pidfd_open(pid))
        except OSError:
            break
    return fds


def handle(ev):
    if ev.type == X.MapRequest:
        win = ev.window
        if is_normal(win):
            managed.add(win.id)
            fit(win)
        try:
            win.map()
            if win.id in managed:
                win.set_input_focus(X.RevertToPointerRoot, X.CurrentTime)
        except error.XError:
            managed.discard(win.id)
    elif ev.type == X.ConfigureRequest:
        if ev.window.id in managed:
            fit(ev.window)
        else:
            want = {}
            for flag, key in (
                (X.CWX, 'x'), (X.CWY, 'y'), (X.CWWidth, 'width'), (X.CWHeight, 'height'),
                (X.CWBorderWidth, 'border_width'), (X.CWStackMode, 'stack_mode'),
            ):
                if ev.value_mask & flag:
                    want[key] = getattr(ev, key)
            if ev.value_mask & X.CWSibling and 'stack_mode' in want:
                want['sibling'] = ev.above
            try:
                ev.window.configure(**want)
            except error.XError:
                pass
    elif ev.type == X.ConfigureNotify and ev.window.id == root.id:
        for wid in list(managed):
            fit(dpy.create_resource_object('window', wid))
    elif ev.type == X.DestroyNotify:
        managed.discard(ev.window.id)


def main():
    wrapper = int(sys.argv[1]) if len(sys.argv) > 1 else 0
    pidfds = watch_ancestors(wrapper) if wrapper > 1 else []
    caught = error.CatchError(error.BadAccess)
    root.change_attributes(
        event_mask=X.SubstructureRedirectMask | X.SubstructureNotifyMask | X.StructureNotifyMask,
        onerror=caught,
    )
    dpy.sync()
    if caught.get_error():
        print('peerwm: another window manager is running', file=sys.stderr)
        return 1
    # Windows mapped before we started (none, normally).
    for win in root.query_tree().children:
        attrs = win.get_attributes()
        if attrs.map_state == X.IsViewable and not attrs.override_redirect and is_normal(win):
            managed.add(win.id)
            fit(win)
    while True:
        # pending_events() reads what the X socket holds; it raises ConnectionClosedError at EOF.
        while dpy.pending_events():
            handle(dpy.next_event())
        ready, _, _ = select.select([dpy.fileno(), *pidfds], [], [])
        if any(fd in ready for fd in pidfds):
            print('peerwm: jupyter server side gone, stopping tigervncserver', file=sys.stderr)
            try:
                os.kill(wrapper, signal.SIGTERM)
            except ProcessLookupError:
                pass
            for fd in pidfds:
                os.close(fd)
            pidfds = []


if __name__ == '__main__':
    try:
        sys.exit(main())
    except error.ConnectionClosedError:
        sys.exit(0)
