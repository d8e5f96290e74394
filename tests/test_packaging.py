"""Packaging: desktop entry, AppStream metainfo and MIME types validate; icons at every theme
size; the wheel carries the icons and resources."""

import shutil
import struct
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LINUX = ROOT / "packaging" / "linux"
APP_ID = "org.spikedesk.SpikeDesk"
THEME_SIZES = (16, 22, 24, 32, 48, 64, 128, 256, 512)


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        pytest.skip(f"{name} is not installed (Debian: desktop-file-utils / appstream)")
    return path


def test_desktop_entry_validates():
    result = subprocess.run(
        [_tool("desktop-file-validate"), str(LINUX / f"{APP_ID}.desktop")],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0 and result.stdout.strip() == "", result.stdout


def test_metainfo_validates():
    result = subprocess.run(
        [_tool("appstreamcli"), "validate", "--no-net", str(LINUX / f"{APP_ID}.metainfo.xml")],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def _png_size(path: Path) -> tuple[int, int]:
    header = path.read_bytes()[:24]
    assert header[:8] == b"\x89PNG\r\n\x1a\n", f"{path} is not a PNG"
    return struct.unpack(">II", header[16:24])


@pytest.mark.parametrize("size", THEME_SIZES)
def test_theme_icon_has_its_size(size):
    icon = ROOT / "app" / "resources" / "icons" / "hicolor" / f"{size}x{size}" / "apps"
    assert _png_size(icon / f"{APP_ID}.png") == (size, size)


def test_wheel_carries_the_icons_and_resources(tmp_path):
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q"]
        + ["-w", str(tmp_path), str(ROOT)],
        check=True,
        capture_output=True,
    )
    wheel = next(tmp_path.glob("spikedesk-*.whl"))
    names = set(zipfile.ZipFile(wheel).namelist())
    assert "app/resources/spikedesk.png" in names and "app/resources/spikedesk.svg" in names
    for size in THEME_SIZES:
        assert f"app/resources/icons/hicolor/{size}x{size}/apps/{APP_ID}.png" in names
    assert "core/__init__.py" in names and "app/__main__.py" in names
    assert not any(name.startswith("tests/") for name in names)
