"""Pieces the plot views share: themed axes, a view box that only reports clicks, spin boxes."""

from __future__ import annotations

import pyqtgraph as pg
from PySide6.QtCore import QPointF, Qt, Signal
from PySide6.QtWidgets import QDoubleSpinBox

from app.theme import Theme


def style_axes(plot: pg.PlotItem, theme: Theme, left: str = "", bottom: str = "") -> None:
    """Theme colours and labels on the left and bottom axes, no buttons, no context menu, no SI
    prefixes (units such as µV or ms stay as written)."""
    plot.hideButtons()
    plot.setMenuEnabled(False)
    for name, label in (("left", left), ("bottom", bottom)):
        axis = plot.getAxis(name)
        axis.setPen(theme.foreground)
        axis.setTextPen(theme.foreground)
        axis.enableAutoSIPrefix(False)
        if label:
            plot.setLabel(name, label)


class ClickOnlyViewBox(pg.ViewBox):
    """A view box that reports left clicks (in data coordinates) and never pans or zooms: the
    views whose x range follows the session use it."""

    clicked = Signal(QPointF)

    def __init__(self) -> None:
        super().__init__(enableMenu=False)
        self.setMouseEnabled(x=False, y=False)

    def mouseClickEvent(self, ev) -> None:
        """Report left clicks."""
        if ev.button() == Qt.MouseButton.LeftButton:
            self.clicked.emit(self.mapToView(ev.pos()))
            ev.accept()

    def mouseDragEvent(self, ev, axis=None) -> None:
        """Ignore drags."""
        ev.ignore()

    def wheelEvent(self, ev, axis=None) -> None:
        """Ignore the wheel."""
        ev.ignore()


def spin_box(
    low: float, high: float, value: float, suffix: str, tip: str, decimals: int = 2
) -> QDoubleSpinBox:
    """A spin box that reports a value once editing ends (not at every keystroke)."""
    spin = QDoubleSpinBox()
    spin.setRange(low, high)
    spin.setDecimals(decimals)
    spin.setValue(value)
    spin.setSuffix(suffix)
    spin.setKeyboardTracking(False)
    spin.setToolTip(tip)
    return spin
