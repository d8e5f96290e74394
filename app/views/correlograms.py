"""Correlograms: auto- (diagonal) and cross-correlograms of the selected units as a grid."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QLabel, QToolBar, QVBoxLayout, QWidget

from app.model.latest_worker import LatestWorker, WorkResult
from app.model.session import Session
from app.theme import current_theme
from app.views.plot_parts import spin_box, style_axes
from core.postprocessing import compute_correlograms
from core.sorting.numpy import NumpySorting

#: Units in the grid at most (the first selected ones).
MAX_UNITS = 6


@dataclass(frozen=True)
class CorrelogramData:
    """``ccgs[i, j]``: histogram of ``t_i - t_j`` for the units in ``unit_ids``; ``bins``: edges
    in ms."""

    unit_ids: list
    ccgs: np.ndarray
    bins: np.ndarray


def compute_unit_correlograms(sorting, unit_ids: list, window_ms: float, bin_ms: float):
    """Correlograms of ``unit_ids`` only (the selection, not the whole sorting).

    They are computed on a sorting of those units' trains alone: a slice of a large sorting
    could otherwise build the whole sorting's spike vector (a curated one after each action).
    """
    trains = [
        {u: sorting.get_unit_spike_train(u, segment_index=s) for u in unit_ids}
        for s in range(sorting.get_num_segments())
    ]
    selected = NumpySorting.from_unit_dict(trains, sorting.sampling_frequency)
    ccgs, bins = compute_correlograms(selected, window_ms=window_ms, bin_ms=bin_ms)
    return CorrelogramData(list(unit_ids), ccgs, bins)


class CorrelogramsView(QWidget):
    """A grid of correlograms of the selected units, the refractory period shaded.

    Parameters
    ----------
    session : Session
    parent : QWidget | None

    Signals
    -------
    drawn()
        New correlograms are on display.
    """

    drawn = Signal()
    _ready = Signal(object)

    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._session = session
        self._theme = current_theme()
        self._worker = LatestWorker(name="CorrelogramsWorker")
        self._data: CorrelogramData | None = None
        self.plots: dict[tuple[int, int], pg.PlotItem] = {}

        self.window_spin = spin_box(2.0, 2000.0, 50.0, " ms", "Whole window of lags")
        self.bin_spin = spin_box(0.05, 100.0, 1.0, " ms", "Bin width")
        self.refractory_spin = spin_box(
            0.0, 20.0, 1.5, " ms", "Refractory period shaded around zero"
        )
        bar = QToolBar()
        for widget in (
            QLabel("Window "),
            self.window_spin,
            QLabel(" bin "),
            self.bin_spin,
            QLabel(" refractory "),
            self.refractory_spin,
        ):
            bar.addWidget(widget)
        self.message = QLabel(alignment=Qt.AlignmentFlag.AlignCenter, wordWrap=True)
        self.grid = pg.GraphicsLayoutWidget()
        self.grid.setBackground(self._theme.background)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(bar)
        layout.addWidget(self.message)
        layout.addWidget(self.grid, 1)

        self._ready.connect(self._show)
        for spin in (self.window_spin, self.bin_spin):
            spin.valueChanged.connect(self.refresh)
        self.refractory_spin.valueChanged.connect(self._redraw)
        for name in ("sorting", "selected_unit_ids"):
            getattr(session.signals, name).connect(self.refresh)
        self.refresh()

    # ------------------------------------------------------------------ public
    @property
    def data(self) -> CorrelogramData | None:
        """What is on display."""
        return self._data

    def wait_until_idle(self, timeout: float = 10.0) -> bool:
        """Block until the newest computation has been delivered (tests)."""
        return self._worker.wait_until_idle(timeout)

    def shutdown(self) -> None:
        """Stop the worker."""
        self._worker.close()

    def refresh(self, *_) -> None:
        """Recompute for the selected units and the window and bin."""
        session = self._session
        units = list(session.selected_unit_ids)[:MAX_UNITS]
        if session.sorting is None:
            self._show_message("Open a sorting to see correlograms.")
            return
        if not units:
            self._show_message("Select units to see their auto- and cross-correlograms.")
            return
        sorting, ready = session.sorting, self._ready
        window_ms, bin_ms = self.window_spin.value(), self.bin_spin.value()
        self._worker.submit(
            lambda: compute_unit_correlograms(sorting, units, window_ms, bin_ms), ready.emit
        )

    # ------------------------------------------------------------------ drawing
    def _show_message(self, text: str) -> None:
        self._worker.cancel()
        self._data = None
        self.grid.clear()
        self.plots = {}
        self.message.setText(text)
        self.message.show()
        self.grid.hide()

    def _show(self, result: WorkResult) -> None:
        if result.request_id != self._worker.latest_id:
            return
        if result.error is not None:
            self._show_message(f"Cannot compute correlograms: {result.error}")
            return
        self._data = result.value
        self.message.hide()
        self.grid.show()
        self._redraw()
        self.drawn.emit()

    def _redraw(self, *_) -> None:
        data = self._data
        if data is None:
            return
        theme, session = self._theme, self._session
        self.grid.clear()
        self.plots = {}
        count = len(data.unit_ids)
        refractory = self.refractory_spin.value()
        for row in range(count):
            for col in range(count):
                plot = self.grid.addPlot(row=row, col=col)
                style_axes(plot, theme)
                plot.setMouseEnabled(x=False, y=False)
                if row == col:
                    unit_id = data.unit_ids[row]
                    color = theme.unit_color(session.unit_color_index(unit_id))
                    plot.setTitle(str(unit_id), color=color, size="9pt")
                else:
                    color = theme.foreground
                brush = pg.mkColor(color)
                brush.setAlpha(170)
                curve = pg.PlotCurveItem(
                    data.bins,
                    data.ccgs[row, col],
                    stepMode="center",
                    fillLevel=0,
                    brush=brush,
                    pen=pg.mkPen(color, width=1),
                )
                plot.addItem(curve)
                if refractory > 0:
                    shade = pg.LinearRegionItem(
                        (-refractory, refractory), movable=False, brush=theme.epoch, pen=None
                    )
                    shade.setZValue(-10)
                    plot.addItem(shade)
                for name in ("left", "bottom"):
                    plot.getAxis(name).setStyle(tickLength=-3)
                plot.getAxis("left").setWidth(34)
                if row < count - 1:
                    plot.getAxis("bottom").setStyle(showValues=False)
                else:
                    plot.setLabel("bottom", "lag (ms)")
                plot.setXRange(data.bins[0], data.bins[-1], padding=0)
                plot.setYRange(0, max(float(data.ccgs[row, col].max()), 1.0), padding=0.05)
                self.plots[(row, col)] = plot
