"""``python -m firefox_launcher URL``: shows URL in the user's newest Firefox session (a new one
if none runs) and brings its tab forward in JupyterLab. The Jupyter server extension puts this
command in ``BROWSER`` for its kernels and terminals, so ``webbrowser.open(url)`` and
``python -m webbrowser URL`` open links there. Exits 1 with the reason on standard error when it
cannot (then ``webbrowser`` tries the next browser it knows)."""

import sys

from . import FirefoxLauncherError, open_url


def main(argv: list[str]) -> int:
    if len(argv) != 1 or not argv[0] or argv[0].startswith("-"):
        print("usage: python -m firefox_launcher URL", file=sys.stderr)
        return 2
    try:
        session = open_url(argv[0])
    except FirefoxLauncherError as e:
        print(f"firefox_launcher: {e}", file=sys.stderr)
        return 1
    print(f"firefox_launcher: {argv[0]} in the session on port {session.port}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
