"""Links opened by code in kernels and terminals go to a Firefox session tab (issue 23).

The Jupyter server extension sets ``BROWSER`` in the server's own environment, which every
kernel and terminal it starts afterwards inherits: ``python -m firefox_launcher %s`` first, the
previous ``BROWSER`` (if any) after it as the fallback that :mod:`webbrowser` tries when ours
fails (no firefox-launcher service running, a ``file:`` link it refuses).

It is set once the server runs, not when the extension loads: the server opens JupyterLab in
the user's own browser at start (``launch_browser``), and that must not go to a Firefox session.
"""

from __future__ import annotations

import os
import shlex
import sys

OURS = f"{shlex.quote(sys.executable)} -m firefox_launcher %s"


def browser_value(previous: str | None) -> str:
    """``BROWSER`` with ours first; a previous one that already starts with ours is kept as is."""
    if not previous:
        return OURS
    if previous.split(os.pathsep, 1)[0] == OURS:
        return previous
    return OURS + os.pathsep + previous


def install(serverapp) -> None:
    """Called by the server extension: sets ``BROWSER`` on the server's first loop turn."""

    def set_browser() -> None:
        os.environ["BROWSER"] = browser_value(os.environ.get("BROWSER"))
        serverapp.log.info("firefox-launcher: links opened by kernels and terminals go to Firefox (BROWSER=%s)", os.environ["BROWSER"])

    loop = getattr(serverapp, "io_loop", None)
    if loop is None:
        from tornado.ioloop import IOLoop

        loop = IOLoop.current()
    loop.add_callback(set_browser)
