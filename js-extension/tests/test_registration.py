"""The jupyter-server-proxy registration: command, token, socket, headers."""

from __future__ import annotations

import importlib
import os
import stat
from importlib.metadata import entry_points

import pytest

import jupyterlab_firefox_launcher
from jupyterlab_firefox_launcher import serverproxy


@pytest.fixture()
def fresh(monkeypatch):
    """serverproxy reloaded, so each test gets a new process token."""
    monkeypatch.delenv("FIREFOX_LAUNCHER_BIN", raising=False)
    return importlib.reload(serverproxy)


def test_entry_point_is_registered():
    eps = [ep for ep in entry_points(group="jupyter_serverproxy_servers") if ep.name == "firefox-launcher"]
    assert len(eps) == 1
    assert eps[0].value == "jupyterlab_firefox_launcher.serverproxy:setup_firefox_launcher"
    config = eps[0].load()()
    assert config["command"][1:] == ["serve", "--unix-socket", "{unix_socket}"]


def test_command_runs_bundled_binary_on_unix_socket(fresh):
    config = fresh.setup_firefox_launcher()
    binary = config["command"][0]
    assert os.path.isabs(binary)
    assert binary.endswith(os.path.join("jupyterlab_firefox_launcher", "bin", "firefox-launcher"))
    assert config["command"][1:] == ["serve", "--unix-socket", "{unix_socket}"]
    socket = config["unix_socket"]
    assert os.path.isabs(socket)
    directory = os.path.dirname(socket)
    assert os.path.basename(directory).startswith("firefox-launcher-")
    assert stat.S_IMODE(os.stat(directory).st_mode) == 0o700


def test_the_socket_directory_goes_when_the_server_process_exits(tmp_path):
    import subprocess
    import sys

    # A process like Jupyter's: it registers the sidecar, then exits normally.
    code = "from jupyterlab_firefox_launcher import serverproxy as s; print(s.setup_firefox_launcher()['unix_socket'])"
    env = dict(os.environ, TMPDIR=str(tmp_path))
    socket = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True).stdout.strip()
    assert socket.startswith(str(tmp_path)), socket
    assert not os.path.exists(os.path.dirname(socket)), "the socket directory outlived its process"
    assert list(tmp_path.iterdir()) == []


def test_bundled_binary_is_installed_and_executable(fresh):
    binary = fresh.binary_path()
    assert binary.is_file(), f"{binary} missing: the wheel should bundle the sidecar"
    mode = binary.stat().st_mode
    assert mode & stat.S_IXUSR, f"{binary} is not executable"


def test_token_is_random_secret_and_stable_per_process(fresh):
    config = fresh.setup_firefox_launcher()
    token = config["environment"]["FIREFOX_LAUNCHER_TOKEN"]
    assert len(token) >= 32
    assert config["request_headers_override"] == {"Authorization": f"token {token}"}
    # The same process hands the same token to the proxy on every call ...
    again = fresh.setup_firefox_launcher()
    assert again["environment"]["FIREFOX_LAUNCHER_TOKEN"] == token
    # ... and a new process (here: a reload) gets a different one.
    other = importlib.reload(fresh).setup_firefox_launcher()
    assert other["environment"]["FIREFOX_LAUNCHER_TOKEN"] != token


def test_token_survives_proxy_template_rendering(fresh):
    # jupyter-server-proxy renders environment and headers with str.format:
    # the token must not hold braces.
    config = fresh.setup_firefox_launcher()
    token = config["environment"]["FIREFOX_LAUNCHER_TOKEN"]
    assert "{" not in token and "}" not in token
    assert token.format(port=1, unix_socket="/s", base_url="/") == token


def test_proxy_options(fresh):
    config = fresh.setup_firefox_launcher()
    assert config["timeout"] >= 20
    assert config["absolute_url"] is False
    assert config["new_browser_tab"] is False
    assert config["launcher_entry"]["enabled"] is False


def test_jupyter_server_proxy_accepts_the_config(fresh):
    """jupyter-server-proxy turns the config into a supervised handler."""
    from jupyter_server_proxy.config import ServerProcess

    config = fresh.setup_firefox_launcher()
    process = ServerProcess(name="firefox-launcher", **config)
    handler, kwargs = process.make_proxy_handler()
    assert handler is not None
    assert handler.__mro__[1].__name__ == "SuperviseAndProxyHandler"
    attrs = process.get_proxy_attributes()
    assert attrs["requested_unix_socket"] == config["unix_socket"]
    assert attrs["timeout"] == config["timeout"]
    assert attrs["request_headers_override"] == config["request_headers_override"]


def test_binary_override(monkeypatch, fresh):
    monkeypatch.setenv("FIREFOX_LAUNCHER_BIN", "/opt/x/firefox-launcher")
    assert fresh.setup_firefox_launcher()["command"][0] == "/opt/x/firefox-launcher"


def test_labextension_paths_and_install():
    assert jupyterlab_firefox_launcher._jupyter_labextension_paths() == [
        {"src": "labextension", "dest": "jupyterlab-firefox-launcher"}
    ]


def test_labextension_is_installed_for_jupyterlab():
    from jupyter_core.paths import jupyter_path

    found = [
        p
        for p in jupyter_path("labextensions", "jupyterlab-firefox-launcher", "package.json")
        if os.path.isfile(p)
    ]
    assert found, "the prebuilt labextension is not in any share/jupyter/labextensions"
