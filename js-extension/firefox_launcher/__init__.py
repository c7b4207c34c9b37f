"""Drive a firefox-launcher session's Firefox from Python: a notebook, a script, a terminal.

    import firefox_launcher
    s = firefox_launcher.start("http://localhost:8787/status")   # ready when it returns
    s.title, s.url
    s.goto("http://localhost:6006/")                              # waits for the load
    s.evaluate("document.querySelectorAll('a').length")           # a JSON value back
    s.screenshot()                                                # PNG; shown inline in a notebook
    s.show()                                                      # its tab, in the user's JupyterLab
    s.stop()

Every call goes to the user's own firefox-launcher service (the sidecar), found as its command
line finds it: ``$FIREFOX_LAUNCHER_HOME/runtime.json``, else ``~/.firefox-launcher/runtime.json``,
which the service started by JupyterLab writes too. The service talks to Firefox through a
private channel of the session (a unix socket only the user can reach); nothing here opens a
port. Errors are :class:`FirefoxLauncherError` with the service's own sentence.
"""

from __future__ import annotations

import http.client
import json
import os
import socket
import time
from pathlib import Path
from typing import Any

__all__ = ["FirefoxLauncherError", "Screenshot", "Session", "attach", "open_url", "sessions", "start"]

#: How long a request may take: a session's start waits for Firefox on screen.
_TIMEOUT = 180.0


class FirefoxLauncherError(Exception):
    """What the service refused or what failed, in its words; ``code`` is its error code."""

    def __init__(self, message: str, code: str = "", status: int = 0):
        super().__init__(message)
        self.code = code
        self.status = status


class Screenshot(bytes):
    """PNG bytes of what the session shows; a notebook displays it when it is a cell's value."""

    def _repr_png_(self) -> bytes:
        return bytes(self)

    def save(self, path: str | os.PathLike) -> None:
        Path(path).write_bytes(self)


class _UnixConnection(http.client.HTTPConnection):
    def __init__(self, path: str, timeout: float):
        super().__init__("localhost", timeout=timeout)
        self._path = path

    def connect(self) -> None:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(self.timeout)
        sock.connect(self._path)
        self.sock = sock


class _Service:
    """The user's running service, from its runtime file."""

    def __init__(self, home: Path | None = None):
        home = home or _home()
        runtime = home / "runtime.json"
        try:
            info = json.loads(runtime.read_text())
        except FileNotFoundError:
            raise FirefoxLauncherError(
                f"no firefox-launcher service is running for this user (no {runtime}): open Firefox once from "
                "JupyterLab's launcher, or run `firefox-launcher serve`",
                "not_running",
            ) from None
        except (OSError, ValueError) as e:
            raise FirefoxLauncherError(f"cannot read {runtime}: {e}", "not_running") from None
        self.address = str(info.get("address", ""))
        self.token = info.get("token")
        self.runtime = runtime

    def _connection(self, timeout: float) -> http.client.HTTPConnection:
        if self.address.startswith("unix:"):
            return _UnixConnection(self.address[len("unix:") :], timeout)
        if self.address.startswith("http://"):
            return http.client.HTTPConnection(self.address[len("http://") :].rstrip("/"), timeout=timeout)
        raise FirefoxLauncherError(f"{self.runtime} names an address this client cannot use: {self.address!r}", "not_running")

    def call(self, method: str, path: str, body: Any = None, timeout: float = _TIMEOUT) -> tuple[str, bytes]:
        headers = {"Accept": "application/json"}
        if self.token:
            headers["Authorization"] = f"token {self.token}"
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        repeatable = method in ("GET", "DELETE")
        try:
            try:
                response, payload = self._exchange(method, path, data, headers, timeout)
            except (BrokenPipeError, ConnectionResetError):
                # The service closed the connection as the request went out: once more on a new
                # one, for requests that may be repeated.
                if not repeatable:
                    raise
                response, payload = self._exchange(method, path, data, headers, timeout)
        except (BrokenPipeError, ConnectionResetError) as e:
            raise FirefoxLauncherError(f"{method} {path} to the firefox-launcher service at {self.address} failed: {e}") from None
        if response.status >= 400:
            try:
                error = json.loads(payload)
                raise FirefoxLauncherError(str(error["error"]), str(error.get("code", "")), response.status)
            except (ValueError, KeyError, TypeError):
                raise FirefoxLauncherError(f"{method} {path}: HTTP {response.status}", "", response.status) from None
        return response.getheader("Content-Type", ""), payload

    def _exchange(self, method: str, path: str, data, headers: dict, timeout: float):
        connection = self._connection(timeout)
        try:
            connection.request(method, path, body=data, headers=headers)
            response = connection.getresponse()
            return response, response.read()
        except (BrokenPipeError, ConnectionResetError):
            raise
        except (ConnectionRefusedError, FileNotFoundError) as e:
            raise FirefoxLauncherError(
                f"the firefox-launcher service at {self.address} does not answer ({e}): it has stopped; "
                "open Firefox once from JupyterLab's launcher, or run `firefox-launcher serve`",
                "not_running",
            ) from None
        except (OSError, http.client.HTTPException) as e:
            raise FirefoxLauncherError(f"{method} {path} to the firefox-launcher service at {self.address} failed: {e}") from None
        finally:
            connection.close()

    def json(self, method: str, path: str, body: Any = None, timeout: float = _TIMEOUT) -> Any:
        return json.loads(self.call(method, path, body, timeout)[1])


def _home() -> Path:
    home = os.environ.get("FIREFOX_LAUNCHER_HOME")
    return Path(home) if home else Path.home() / ".firefox-launcher"


class Session:
    """One Firefox session of the service, by its port. Use it in a ``with`` block to stop it
    at the end."""

    def __init__(self, service: _Service, view: dict):
        self._service = service
        self._view = view
        self.port: int = int(view["port"])

    def __repr__(self) -> str:
        return f"<firefox_launcher.Session port={self.port} url={self._view.get('url', '')!r}>"

    def __enter__(self) -> Session:
        return self

    def __exit__(self, *_exc) -> None:
        self.stop()

    @property
    def _base(self) -> str:
        return f"/api/sessions/{self.port}"

    def _page(self) -> dict:
        return self._service.json("GET", f"{self._base}/page")

    def _wait_for_first_page(self) -> None:
        """A session is ready once Firefox is on screen; its own start page (a local file in the
        session's directory) then hands over to the address. Waits until that has happened and
        the page has loaded (at most ``_FIRST_LOAD`` seconds: a page that never finishes loading
        is still returned)."""
        deadline = time.monotonic() + _FIRST_LOAD
        start_page = f"/session-{self.port}/start.html"
        wanted = self._view.get("url") or "about:blank"
        while time.monotonic() < deadline:
            page = self._page()
            handed_over = wanted == "about:blank" or not (page["url"] == "about:blank" or page["url"].endswith(start_page))
            if handed_over and not page.get("loading"):
                return
            time.sleep(0.1)

    @property
    def url(self) -> str:
        """The URL the session's tab shows now."""
        return self._page()["url"]

    @property
    def title(self) -> str:
        """The title of the page the session's tab shows now."""
        return self._page()["title"]

    def goto(self, url: str) -> Session:
        """Loads ``url`` in the session's tab and returns once it has loaded."""
        self._service.json("POST", f"{self._base}/goto", {"url": url})
        return self

    def evaluate(self, source: str) -> Any:
        """Runs JavaScript in the page and returns its value as JSON (a promise is awaited).
        On a page whose policy forbids eval, it runs beside the page: the DOM, not its globals."""
        return self._service.json("POST", f"{self._base}/evaluate", {"source": source})["value"]

    def screenshot(self) -> Screenshot:
        """A PNG of what the tab shows."""
        kind, payload = self._service.call("GET", f"{self._base}/screenshot")
        if not kind.startswith("image/png"):
            raise FirefoxLauncherError(f"the screenshot came back as {kind!r}, not a PNG")
        return Screenshot(payload)

    def show(self) -> Session:
        """Opens (or brings forward) the session's tab in the user's JupyterLab, so a person can
        watch and take over."""
        self._service.json("POST", f"{self._base}/show", {})
        return self

    def stop(self) -> None:
        """Stops the session: Firefox, its display, its files. Stopping a stopped one is a no-op."""
        try:
            self._service.json("DELETE", self._base)
        except FirefoxLauncherError as e:
            if e.code != "not_found":
                raise


#: How long :func:`start` waits for the session's first page to load, after Firefox is up.
_FIRST_LOAD = 60.0


def start(url: str | None = None, *, audio: bool | None = None) -> Session:
    """Starts a new session (at ``url``, or the service's start page) and returns it once
    Firefox is on screen and its first page has loaded."""
    body: dict[str, Any] = {}
    if url is not None:
        body["url"] = url
    if audio is not None:
        body["audio"] = bool(audio)
    service = _Service()
    session = Session(service, service.json("POST", "/api/sessions", body))
    session._wait_for_first_page()
    return session


def open_url(url: str) -> Session:
    """Shows ``url`` in the user's newest session (a new one if none runs) and brings its tab
    forward in JupyterLab: what ``webbrowser.open`` does in kernels and terminals of a Jupyter
    server with this package (``BROWSER``)."""
    running = sessions()
    if not running:
        return start(url).show()
    newest = max(running, key=lambda s: str(s._view.get("created_at", "")))
    return newest.goto(url).show()


def sessions() -> list[Session]:
    """The user's running sessions."""
    service = _Service()
    return [Session(service, view) for view in service.json("GET", "/api/sessions")["sessions"]]


def attach(port: int) -> Session:
    """The running session on ``port``."""
    service = _Service()
    return Session(service, service.json("GET", f"/api/sessions/{int(port)}"))
