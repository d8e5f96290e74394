"""ISI histograms of the selected units, overlaid, with the refractory period marked."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyqtgraph as pg
from PySide6.QtWidgets import QWidget

from app.model.session import Session
from app.views.computed_view import ComputedView, toolbar
from app.views.plot_parts import spin_box, style_axes
from core.postprocessing import compute_isi_histograms

#: Units drawn at most (the first selected ones).
MAX_UNITS = 8


@dataclass(frozen=True)
class IsiData:
    """``histograms[i]``: ISI counts of ``unit_ids[i]``; ``bins``: edges in ms."""

    unit_ids: list
    histograms: np.ndarray
    bins: np.ndarray


def compute_unit_isi(sorting, unit_ids: list, window_ms: float, bin_ms: float) -> IsiData:
    """ISI histograms of ``unit_ids`` only."""
    histograms, bins = compute_isi_histograms(
        sorting.select_units(unit_ids), window_ms=window_ms, bin_ms=bin_ms
    )
    return IsiData(list(unit_ids), histograms, bins)


class IsiView(ComputedView):
    """Inter-spike-interval histograms of the selected units.

    Parameters
    ----------
    session : Session
    parent : QWidget | None

    Signals
    -------
    drawn()
        New histograms are on display.
    """

    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__(session, "IsiWorker", "ISI histograms", parent)
        theme = self._theme
        self._curves: list[pg.PlotCurveItem] = []

        self.window_spin = spin_box(1.0, 5000.0, 50.0, " ms", "Longest interval shown")
        self.bin_spin = spin_box(0.05, 100.0, 1.0, " ms", "Bin width")
        self.refractory_spin = spin_box(0.0, 20.0, 1.5, " ms", "Refractory period marked")
        bar = toolbar(
            "Up to ", self.window_spin, " bin ", self.bin_spin, " refractory ", self.refractory_spin
        )
        self.plot_widget = pg.PlotWidget(background=theme.background)
        plot = self.plot_widget.getPlotItem()
        style_axes(plot, theme, left="Count", bottom="Inter-spike interval (ms)")
        self.refractory_shade = pg.LinearRegionItem(
            (0.0, 1.5), movable=False, brush=theme.epoch, pen=None
        )
        plot.addItem(self.refractory_shade)
        self._legend = plot.addLegend(offset=(-10, 10))
        self._compose(bar, self.plot_widget)

        for spin in (self.window_spin, self.bin_spin):
            spin.valueChanged.connect(self.refresh)
        self.refractory_spin.valueChanged.connect(
            lambda value: self.refractory_shade.setRegion((0.0, value))
        )
        for name in ("sorting", "selected_unit_ids"):
            getattr(session.signals, name).connect(self._schedule_refresh)
        self.refresh()

    @property
    def data(self) -> IsiData | None:
        """What is on display."""
        return self._value

    def refresh(self, *_) -> None:
        """Recompute for the selected units and the window and bin."""
        session = self._session
        units = list(session.selected_unit_ids)[:MAX_UNITS]
        if session.sorting is None:
            self._show_message("Open a sorting to see ISI histograms.")
            return
        if not units:
            self._show_message("Select units to see their inter-spike intervals.")
            return
        sorting = session.sorting
        window_ms, bin_ms = self.window_spin.value(), self.bin_spin.value()
        self._compute(lambda: compute_unit_isi(sorting, units, window_ms, bin_ms))

    def _draw(self, data: IsiData) -> None:
        plot = self.plot_widget.getPlotItem()
        for curve in self._curves:
            plot.removeItem(curve)
        self._legend.clear()
        self._curves = []
        for unit_id, counts in zip(data.unit_ids, data.histograms):
            color = self._theme.unit_color(self._session.unit_color_index(unit_id))
            curve = pg.PlotCurveItem(
                data.bins, counts, stepMode="center", pen=pg.mkPen(color, width=2)
            )
            plot.addItem(curve)
            self._legend.addItem(curve, str(unit_id))
            self._curves.append(curve)
        plot.setXRange(0, data.bins[-1], padding=0)
        plot.enableAutoRange(axis="y")
