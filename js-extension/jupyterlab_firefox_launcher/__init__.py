"""JupyterLab side of firefox-launcher.

Ships the labextension (launcher tile, sessions panel), the
jupyter-server-proxy registration (see :mod:`.serverproxy`) and the
bundled ``firefox-launcher`` sidecar binary.
"""

try:
    from ._version import __version__
except ImportError:  # running from a source tree that was never built
    __version__ = "dev"


def _jupyter_labextension_paths():
    return [{"src": "labextension", "dest": "jupyterlab-firefox-launcher"}]
