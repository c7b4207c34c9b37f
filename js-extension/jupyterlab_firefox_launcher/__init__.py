"""JupyterLab side of firefox-launcher.

Ships the labextension (launcher tile, sessions panel), the
jupyter-server-proxy registration (see :mod:`.serverproxy`), the server
extension that points kernels' and terminals' ``BROWSER`` at Firefox (see
:mod:`.browser`) and turns Nagle's delay off on the proxied websockets (see
:mod:`.nodelay`), and the bundled ``firefox-launcher`` sidecar binary.
"""

try:
    from ._version import __version__
except ImportError:  # running from a source tree that was never built
    __version__ = "dev"


def _jupyter_labextension_paths():
    return [{"src": "labextension", "dest": "jupyterlab-firefox-launcher"}]


def _jupyter_server_extension_points():
    return [{"module": "jupyterlab_firefox_launcher"}]


def _load_jupyter_server_extension(serverapp):
    """Kernels and terminals of this server open links in a Firefox session (``BROWSER``), and
    the sidecar's websockets reach the browser without Nagle's delay (see :mod:`.nodelay`)."""
    from . import browser, nodelay

    browser.install(serverapp)
    if not nodelay.install():
        serverapp.log.info("firefox-launcher: jupyter-server-proxy is not installed; websockets left as they are")
