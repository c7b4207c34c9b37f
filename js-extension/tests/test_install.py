"""The installed package is what Jupyter sees: the labextension is enabled and OK, and the
jupyter-server-proxy server extension that routes to the sidecar is enabled."""

import os
import re
import subprocess
import sys


def jupyter(*args: str) -> str:
    env = dict(os.environ, NO_COLOR="1", JUPYTER_PLATFORM_DIRS="1")
    done = subprocess.run(
        [sys.executable, "-m", "jupyter", *args], capture_output=True, text=True, env=env, timeout=120
    )
    # Both commands print their listing on stderr.
    return re.sub(r"\x1b\[[0-9;]*m", "", done.stdout + done.stderr)


def test_labextension_is_installed_enabled_and_ok():
    out = jupyter("labextension", "list")
    line = next((l for l in out.splitlines() if "jupyterlab-firefox-launcher" in l and "v" in l), "")
    assert "enabled" in line and "OK" in line, out


def test_server_proxy_extension_is_enabled():
    out = jupyter("server", "extension", "list")
    assert re.search(r"jupyter_server_proxy\s+enabled", out), out
