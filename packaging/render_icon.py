"""Render ``app/resources/spikedesk.svg`` to PNG icons: ``python packaging/render_icon.py`` after
editing the SVG.

Writes ``app/resources/spikedesk.png`` (256 px, the window icon) and the freedesktop icon theme
sizes under ``app/resources/icons/hicolor/<size>x<size>/apps/org.spikedesk.SpikeDesk.png``, so the
wheel and the bundle carry them.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication, QImage, QPainter
from PySide6.QtSvg import QSvgRenderer

RESOURCES = Path(__file__).resolve().parents[1] / "app" / "resources"
APP_ID = "org.spikedesk.SpikeDesk"
#: Sizes of the hicolor icon theme that desktops look up.
THEME_SIZES = (16, 22, 24, 32, 48, 64, 128, 256, 512)
WINDOW_ICON_SIZE = 256


def render(svg: Path, png: Path, size: int) -> None:
    """Draw ``svg`` antialiased on a transparent ``size`` x ``size`` image saved as ``png``."""
    renderer = QSvgRenderer(str(svg))
    if not renderer.isValid():
        raise ValueError(f"{svg}: not a valid SVG file")
    image = QImage(size, size, QImage.Format.Format_ARGB32_Premultiplied)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    renderer.render(painter)
    painter.end()
    png.parent.mkdir(parents=True, exist_ok=True)
    if not image.save(str(png)):
        raise OSError(f"{png}: could not write the PNG")


def theme_icon(size: int, resources: Path = RESOURCES) -> Path:
    """Path of the theme icon of ``size`` pixels."""
    return resources / "icons" / "hicolor" / f"{size}x{size}" / "apps" / f"{APP_ID}.png"


def render_all(resources: Path = RESOURCES) -> None:
    """The window icon, every theme size, and the scalable SVG in the theme folder."""
    svg = resources / "spikedesk.svg"
    render(svg, resources / "spikedesk.png", WINDOW_ICON_SIZE)
    for size in THEME_SIZES:
        render(svg, theme_icon(size, resources), size)
    scalable = resources / "icons" / "hicolor" / "scalable" / "apps" / f"{APP_ID}.svg"
    scalable.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(svg, scalable)


if __name__ == "__main__":
    app = QGuiApplication(sys.argv[:1])
    render_all()
