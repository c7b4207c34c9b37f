"""Links opened by code go to a Firefox session (``BROWSER``): the value the server extension
sets, that the wheel enables the extension, and ``webbrowser.open`` in a Python process with
that ``BROWSER`` against a real service: the newest session shows the link, and JupyterLab is
asked to show its tab (an event a JupyterLab following the service receives)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import firefox_launcher
import jupyterlab_firefox_launcher
from jupyterlab_firefox_launcher import browser


def test_ours_comes_first_and_a_previous_browser_stays_as_the_fallback():
    assert browser.browser_value(None) == browser.OURS
    assert browser.browser_value("") == browser.OURS
    both = browser.browser_value("w3m %s")
    assert both == browser.OURS + os.pathsep + "w3m %s"
    assert browser.browser_value(both) == both, "setting it twice adds nothing"
    assert browser.OURS.endswith("-m firefox_launcher %s")


def test_the_package_enables_its_server_extension():
    assert jupyterlab_firefox_launcher._jupyter_server_extension_points() == [{"module": "jupyterlab_firefox_launcher"}]
    config = Path(sys.prefix) / "etc/jupyter/jupyter_server_config.d/jupyterlab_firefox_launcher.json"
    assert json.loads(config.read_text())["ServerApp"]["jpserver_extensions"] == {"jupyterlab_firefox_launcher": True}


def _webbrowser_open(url: str, home: Path, path: str | None = None) -> subprocess.CompletedProcess:
    env = {**os.environ, "BROWSER": browser.browser_value(None), "FIREFOX_LAUNCHER_HOME": str(home)}
    if path is not None:
        env["PATH"] = path
    code = "import sys, webbrowser; sys.exit(0 if webbrowser.open(sys.argv[1]) else 1)"
    return subprocess.run([sys.executable, "-c", code, url], env=env, capture_output=True, text=True, timeout=180)


def test_webbrowser_open_shows_the_link_in_the_newest_session(service, origin):
    first = _webbrowser_open(f"{origin}/first", service)
    assert first.returncode == 0, first.stderr
    [session] = firefox_launcher.sessions()
    try:
        assert session.title == "First page", "with no session running, a new one shows the link"
        second = _webbrowser_open(f"{origin}/second", service)
        assert second.returncode == 0, second.stderr
        assert [s.port for s in firefox_launcher.sessions()] == [session.port], "the running session is reused"
        assert session.title == "Second page"
        events = session._service.json("GET", "/api/events?after=0")["events"]
        assert [(e["type"], e["port"]) for e in events] == [("show", session.port)] * 2
    finally:
        session.stop()


def test_without_a_service_the_browser_program_fails_and_says_why(tmp_path):
    # PATH with no program on it: webbrowser finds no browser of the machine's to fall back to
    # (ours is named by its absolute interpreter).
    empty = tmp_path / "empty-path"
    empty.mkdir()
    opened = _webbrowser_open("https://example.org/", tmp_path / "none", path=str(empty))
    assert opened.returncode == 1, "webbrowser must hear that ours failed (and try the next)"
    assert "no firefox-launcher service is running" in opened.stderr
    usage = subprocess.run([sys.executable, "-m", "firefox_launcher"], capture_output=True, text=True)
    assert usage.returncode == 2 and "usage" in usage.stderr
