"""One theme object for every colour the views draw, following the system light/dark setting."""

from __future__ import annotations

import colorsys
import functools
from dataclasses import dataclass

from PySide6.QtGui import QColor, QGuiApplication, QPalette


@dataclass(frozen=True)
class Theme:
    """Colours of the plots (pyqtgraph accepts any of these ``QColor``)."""

    dark: bool
    background: QColor
    foreground: QColor
    trace: QColor
    grid: QColor
    selection: QColor
    bad_channel: QColor
    event: QColor
    epoch: QColor

    def unit_color(self, unit_index: int) -> QColor:
        """A distinct, stable colour per unit (golden-ratio hues)."""
        return _palette_color(unit_index, 0.65 if self.dark else 0.55)

    def group_color(self, group_index: int) -> QColor:
        """A distinct colour per channel group or shank (softer than unit colours)."""
        return _palette_color(group_index + 3, 0.45 if self.dark else 0.75)


def _palette_color(index: int, lightness: float) -> QColor:
    return QColor.fromRgbF(*_palette_rgb(index, lightness))


@functools.lru_cache(maxsize=4096)
def _palette_rgb(index: int, lightness: float) -> tuple[float, float, float]:
    # cached: every view asks for the colours of hundreds of units on each change
    hue = (index * 0.618033988749895) % 1.0
    return colorsys.hls_to_rgb(hue, lightness, 0.75)


LIGHT = Theme(
    dark=False,
    background=QColor("#ffffff"),
    foreground=QColor("#202020"),
    trace=QColor("#1f3a5f"),
    grid=QColor("#d0d0d0"),
    selection=QColor("#ff8c00"),
    bad_channel=QColor("#b0b0b0"),
    event=QColor("#c0392b"),
    epoch=QColor(192, 57, 43, 40),
)
DARK = Theme(
    dark=True,
    background=QColor("#1e1e1e"),
    foreground=QColor("#e0e0e0"),
    trace=QColor("#9ecbff"),
    grid=QColor("#3a3a3a"),
    selection=QColor("#ffb347"),
    bad_channel=QColor("#5a5a5a"),
    event=QColor("#ff6b5b"),
    epoch=QColor(255, 107, 91, 50),
)


def current_theme() -> Theme:
    """The theme matching the application palette (dark when the window colour is dark)."""
    app = QGuiApplication.instance()
    if app is None:
        return LIGHT
    window = app.palette().color(QPalette.ColorRole.Window)
    return DARK if window.lightness() < 128 else LIGHT
