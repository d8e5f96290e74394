"""A narrow overview of a long probe beside the probe view: every contact as a dot, the part on
display as a band that can be dragged, a click moves the view there."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QVBoxLayout, QWidget

from app.theme import Theme

#: Width of the overview, in pixels.
OVERVIEW_WIDTH = 44


class _ClickViewBox(pg.ViewBox):
    """Reports left clicks (data y); no pan or zoom of its own."""

    clicked = Signal(float)

    def __init__(self) -> None:
        super().__init__(enableMenu=False)
        self.setMouseEnabled(x=False, y=False)

    def mouseClickEvent(self, ev) -> None:
        if ev.button() == Qt.MouseButton.LeftButton:
            ev.accept()
            self.clicked.emit(self.mapToView(ev.pos()).y())

    def wheelEvent(self, ev, axis=None) -> None:
        ev.ignore()


class ProbeOverview(QWidget):
    """The whole probe, squeezed to a strip, with the displayed depth range marked.

    Signals
    -------
    range_moved(float bottom, float top)
        The user dragged the band: show these depths (µm).
    centre_requested(float y)
        The user clicked: centre the view on this depth (µm).
    """

    range_moved = Signal(float, float)
    centre_requested = Signal(float)

    def __init__(self, theme: Theme, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setFixedWidth(OVERVIEW_WIDTH)
        self.setToolTip("The whole probe: drag the band or click to move the view")
        self.viewbox = _ClickViewBox()
        self.plot_widget = pg.PlotWidget(viewBox=self.viewbox, background=theme.background)
        self.plot_widget.hideButtons()
        self.plot_widget.hideAxis("left")
        self.plot_widget.hideAxis("bottom")
        self.plot_widget.getPlotItem().setContentsMargins(0, 0, 0, 0)
        self._default = pg.mkBrush(theme.foreground)
        self._dots = pg.ScatterPlotItem(size=3, pen=None, pxMode=True)
        self._colors: list | None = None  # rgba of each dot, as last set
        self._brushes: dict = {}  # one brush per rgba
        self.viewbox.addItem(self._dots)
        band = QColor(theme.selection)
        band.setAlpha(60)
        edge = QColor(theme.selection)
        self.band = pg.LinearRegionItem(
            orientation="horizontal", brush=band, pen=pg.mkPen(edge, width=1.5)
        )
        self.band.setZValue(10)
        self.viewbox.addItem(self.band, ignoreBounds=True)
        self.band.sigRegionChanged.connect(self._band_moved)
        self.viewbox.clicked.connect(self.centre_requested)
        self._updating = False
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.plot_widget)

    def set_contacts(self, positions: np.ndarray) -> None:
        """Draw one dot per contact (µm); the overview spans them all (see `set_brushes`)."""
        self._dots.setData(pos=np.asarray(positions, dtype="float64"), brush=self._default)
        self._colors = None
        if len(positions):
            low, high = np.min(positions, axis=0), np.max(positions, axis=0)
            margin = 0.02 * max(high[1] - low[1], 1.0)
            self.viewbox.setRange(
                xRange=(low[0] - 10, high[0] + 10),
                yRange=(low[1] - margin, high[1] + margin),
                padding=0,
            )

    def set_brushes(self, brushes: list) -> None:
        """Recolour the dots (same order as `set_contacts`)."""
        if len(brushes) != len(self._dots.data):
            return
        colors = [brush.color().rgba() for brush in brushes]
        if colors == self._colors:
            return
        self._colors = colors
        # one brush object per colour: pyqtgraph renders a dot's symbol once per brush object
        shared = [self._brushes.setdefault(c, brush) for c, brush in zip(colors, brushes)]
        self._dots.setBrush(shared)

    def show_range(self, bottom: float, top: float) -> None:
        """Mark the depths on display."""
        self._updating = True
        self.band.setRegion((bottom, top))
        self._updating = False

    def shown_range(self) -> tuple[float, float]:
        """The depths marked as on display."""
        low, high = self.band.getRegion()
        return float(low), float(high)

    def _band_moved(self) -> None:
        if not self._updating:
            low, high = self.band.getRegion()
            self.range_moved.emit(float(low), float(high))
