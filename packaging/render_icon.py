"""Render ``app/resources/spikedesk.svg`` to the 256 px PNG next to it: ``python
packaging/render_icon.py`` after editing the SVG."""

from __future__ import annotations

import sys
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication, QImage, QPainter
from PySide6.QtSvg import QSvgRenderer

RESOURCES = Path(__file__).resolve().parents[1] / "app" / "resources"
SIZE = 256


def render(
    svg: Path = RESOURCES / "spikedesk.svg", png: Path = RESOURCES / "spikedesk.png"
) -> None:
    """Draw ``svg`` antialiased on a transparent ``SIZE`` x ``SIZE`` image saved as ``png``."""
    renderer = QSvgRenderer(str(svg))
    if not renderer.isValid():
        raise ValueError(f"{svg}: not a valid SVG file")
    image = QImage(SIZE, SIZE, QImage.Format.Format_ARGB32_Premultiplied)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    renderer.render(painter)
    painter.end()
    if not image.save(str(png)):
        raise OSError(f"{png}: could not write the PNG")


if __name__ == "__main__":
    app = QGuiApplication(sys.argv[:1])
    render()
