"""Hatch build hook: build the firefox-launcher sidecar and bundle it.

The Rust workspace is the parent of this directory (pip builds in-tree), so
`cargo build --release -p firefox-launcher` runs there and the binary is
copied to `jupyterlab_firefox_launcher/bin/firefox-launcher`, which goes
into the wheel. The wheel is then platform-specific.

Set FIREFOX_LAUNCHER_BINARY to a prebuilt binary to skip cargo, and
FIREFOX_LAUNCHER_WHEEL_TAG to the platform tag that binary truly satisfies
(scripts/wheel builds one for glibc 2.17 and sets manylinux_2_17_x86_64,
which auditwheel then checks). From an sdist the Rust workspace is the
`rust/` directory the sdist carries.
"""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sysconfig
from pathlib import Path

from hatchling.builders.hooks.plugin.interface import BuildHookInterface

BIN_REL = "jupyterlab_firefox_launcher/bin/firefox-launcher"


class CargoBuildHook(BuildHookInterface):
    PLUGIN_NAME = "custom"

    def initialize(self, version: str, build_data: dict) -> None:
        if self.target_name != "wheel":
            return
        here = Path(self.root).resolve()
        dest = here / BIN_REL
        prebuilt = os.environ.get("FIREFOX_LAUNCHER_BINARY")
        if prebuilt:
            src = Path(prebuilt)
            if not src.is_file():
                raise RuntimeError(f"FIREFOX_LAUNCHER_BINARY={prebuilt} is not a file")
        else:
            src = self._cargo_build(_workspace(here))
        dest.parent.mkdir(parents=True, exist_ok=True)
        tmp = dest.with_suffix(".tmp")
        shutil.copyfile(src, tmp)
        tmp.chmod(tmp.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH | stat.S_IRGRP | stat.S_IROTH)
        tmp.replace(dest)
        build_data["force_include"][str(dest)] = BIN_REL
        # Platform-specific (a native binary) but not tied to a Python ABI.
        build_data["pure_python"] = False
        build_data["tag"] = f"py3-none-{_platform_tag()}"

    def _cargo_build(self, workspace: Path) -> Path:
        cargo = shutil.which("cargo") or _home_cargo()
        if cargo is None:
            raise RuntimeError(
                "jupyterlab-firefox-launcher bundles the firefox-launcher binary, built "
                "from the Rust workspace with cargo, but `cargo` is not on PATH. Install "
                "Rust (https://rustup.rs) or set FIREFOX_LAUNCHER_BINARY to a built binary."
            )
        if not (workspace / "Cargo.toml").is_file():
            raise RuntimeError(
                f"no Cargo.toml in {workspace}: jupyterlab-firefox-launcher must be built "
                "from its place in the firefox-launcher repository (js-extension/), or "
                "with FIREFOX_LAUNCHER_BINARY set to a built binary."
            )
        _build_client(workspace / "js-extension" / "client")
        self.app.display_info(f"building firefox-launcher with cargo in {workspace}")
        subprocess.run(
            [cargo, "build", "--release", "-p", "firefox-launcher"],
            cwd=workspace,
            check=True,
        )
        meta = subprocess.run(
            [cargo, "metadata", "--format-version", "1", "--no-deps"],
            cwd=workspace,
            check=True,
            capture_output=True,
            text=True,
        )
        target_dir = Path(json.loads(meta.stdout)["target_directory"])
        binary = target_dir / "release" / "firefox-launcher"
        if not binary.is_file():
            raise RuntimeError(f"cargo build succeeded but {binary} does not exist")
        return binary


def _build_client(client: Path) -> None:
    """The client bundle the binary embeds: built here from a checkout (an sdist carries it)."""
    if (client / "dist" / "index.html").is_file() and not (client / "package.json").is_file():
        return
    npm = shutil.which("npm")
    if npm is None:
        if (client / "dist" / "index.html").is_file():
            return
        raise RuntimeError(
            f"the firefox-launcher client bundle ({client}/dist) is missing and npm is not on PATH: "
            "install Node.js and npm, or run scripts/build-client"
        )
    for args in (["ci", "--no-audit", "--no-fund"], ["run", "build"], ["run", "bundle"]):
        subprocess.run([npm, *args], cwd=client, check=True)


def _platform_tag() -> str:
    tag = os.environ.get("FIREFOX_LAUNCHER_WHEEL_TAG")
    if tag:
        return tag
    return sysconfig.get_platform().replace("-", "_").replace(".", "_")


def _workspace(here: Path) -> Path:
    """The repository root in a checkout; `rust/` inside an unpacked sdist."""
    for candidate in (here.parent, here / "rust"):
        if (candidate / "Cargo.toml").is_file():
            return candidate
    return here.parent


def _home_cargo() -> str | None:
    candidate = Path.home() / ".cargo" / "bin" / "cargo"
    return str(candidate) if candidate.is_file() else None
