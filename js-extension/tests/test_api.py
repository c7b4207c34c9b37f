"""The Python API (``firefox_launcher``) against a real service: the bundled binary, real Xpra
and Firefox. A session is started on a local page, read, driven to a second page, evaluated and
photographed (the PNG decoded and a pixel checked), then stopped without a trace."""

from __future__ import annotations

import base64
import json
import struct
import zlib
from pathlib import Path

import nbclient
import nbformat
import pytest

import firefox_launcher


def _pixel(png: bytes, x: int, y: int) -> tuple[int, ...]:
    """The (r, g, b) at x, y of an 8-bit RGB or RGBA PNG, decoded here (no imaging library)."""
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat, header = 8, b"", None
    while pos < len(png):
        length, kind = struct.unpack(">I4s", png[pos : pos + 8])
        data = png[pos + 8 : pos + 8 + length]
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", data)
        elif kind == b"IDAT":
            idat += data
        pos += 12 + length
    width, _height, depth, color, _, _, interlace = header
    assert depth == 8 and color in (2, 6) and interlace == 0, header
    bpp = 4 if color == 6 else 3
    raw, stride = zlib.decompress(idat), width * bpp
    previous = bytearray(stride)
    for row in range(y + 1):
        start = row * (stride + 1)
        kind, line = raw[start], bytearray(raw[start + 1 : start + 1 + stride])
        for i in range(stride):
            a = line[i - bpp] if i >= bpp else 0
            b = previous[i]
            c = previous[i - bpp] if i >= bpp else 0
            if kind == 1:
                line[i] = (line[i] + a) & 0xFF
            elif kind == 2:
                line[i] = (line[i] + b) & 0xFF
            elif kind == 3:
                line[i] = (line[i] + (a + b) // 2) & 0xFF
            elif kind == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 0xFF
        previous = line
    return tuple(previous[x * bpp : x * bpp + 3])


def test_a_session_is_driven_from_python(service, origin):
    with firefox_launcher.start(f"{origin}/first") as s:
        assert s.title == "First page"
        assert s.url == f"{origin}/first"
        assert s.evaluate("[document.title, answer]") == ["First page", 42]
        shot = s.screenshot()
        assert shot._repr_png_()[:8] == b"\x89PNG\r\n\x1a\n"
        assert _pixel(shot, 20, 20) == (0, 255, 0)
        assert [x.port for x in firefox_launcher.sessions()] == [s.port]
        again = firefox_launcher.attach(s.port)
        assert again.goto(f"{origin}/second") is again
        assert s.title == "Second page"
        assert _pixel(s.screenshot(), 20, 20) == (0, 0, 255)
        with pytest.raises(firefox_launcher.FirefoxLauncherError) as thrown:
            s.evaluate("no_such_name.x")
        assert thrown.value.code == "control_failed" and "no_such_name" in str(thrown.value)
        with pytest.raises(firefox_launcher.FirefoxLauncherError) as refused:
            s.goto("javascript:alert(1)")
        assert refused.value.status == 400 and refused.value.code == "invalid_url"
        directory = Path(json.loads(json.dumps(s._view))["dir"])
        assert directory.is_dir()
    assert firefox_launcher.sessions() == []
    assert not directory.exists(), "the session's directory outlived it"


def test_without_a_service_the_error_says_how_to_get_one(tmp_path, monkeypatch):
    monkeypatch.setenv("FIREFOX_LAUNCHER_HOME", str(tmp_path / "none"))
    with pytest.raises(firefox_launcher.FirefoxLauncherError) as missing:
        firefox_launcher.sessions()
    assert missing.value.code == "not_running" and "firefox-launcher serve" in str(missing.value)


def test_a_notebook_drives_a_session(service, origin):
    """The README's example as a notebook, run by nbclient in a real IPython kernel: the
    screenshot is the cell's value, shown as a PNG, whose pixel is checked here."""
    cells = [
        f"import firefox_launcher\ns = firefox_launcher.start({origin + '/first'!r})\ns.title",
        "s.evaluate('answer * 2')",
        f"s.goto({origin + '/second'!r}).title",
        "s.screenshot()",
        "s.stop()\nfirefox_launcher.sessions()",
    ]
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in cells])
    nbclient.NotebookClient(nb, timeout=180, kernel_name="python3").execute()
    values = [cell.outputs[-1]["data"] for cell in nb.cells]
    assert values[0]["text/plain"] == "'First page'"
    assert values[1]["text/plain"] == "84"
    assert values[2]["text/plain"] == "'Second page'"
    png = base64.b64decode(values[3]["image/png"])
    assert _pixel(png, 20, 20) == (0, 0, 255)
    assert values[4]["text/plain"] == "[]"
