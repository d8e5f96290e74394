"""Firing rate over the segment of the selected units; click to move the traces there."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPointF
from PySide6.QtWidgets import QDoubleSpinBox, QWidget

from app.model.session import Session
from app.views.computed_view import ComputedView, toolbar
from app.views.plot_parts import ClickOnlyViewBox, style_axes

#: Units drawn at most (the first selected ones).
MAX_UNITS = 8
#: Bins a segment is cut into by default.
DEFAULT_BINS = 200


@dataclass(frozen=True)
class FiringRates:
    """``rates[i]``: spikes per second of ``unit_ids[i]`` in each bin; ``edges`` in seconds."""

    unit_ids: list
    rates: np.ndarray
    edges: np.ndarray


def firing_rates(snapshot: dict, unit_ids: list, bin_s: float) -> FiringRates:
    """Firing rate of each unit in bins of ``bin_s`` over the snapshot's segment."""
    sorting, segment, to_time = snapshot["sorting"], snapshot["segment_index"], snapshot["to_time"]
    start, end = snapshot["span"]
    edges = np.arange(start, end, bin_s)
    edges = np.append(edges, end)
    rates = np.zeros((len(unit_ids), edges.size - 1))
    for row, unit_id in enumerate(unit_ids):
        times = to_time(sorting.get_unit_spike_train(unit_id, segment_index=segment))
        counts, _ = np.histogram(times, edges)
        rates[row] = counts / np.diff(edges)
    return FiringRates(list(unit_ids), rates, edges)


def nice_bin(duration_s: float, bins: int = DEFAULT_BINS) -> float:
    """A round bin width (1, 2, 5 times a power of ten, seconds) giving about ``bins`` bins."""
    target = max(duration_s / bins, 1e-3)
    power = 10.0 ** np.floor(np.log10(target))
    return float(next(f * power for f in (1, 2, 5, 10) if f * power >= target))


class FiringRateView(ComputedView):
    """Firing rate over time of the selected units, the trace window marked.

    Parameters
    ----------
    session : Session
    parent : QWidget | None

    Signals
    -------
    drawn()
        New rates are on display.
    """

    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__(session, "FiringRateWorker", "firing rates", parent)
        theme = self._theme
        self._curves: list[pg.PlotCurveItem] = []

        self.bin_spin = QDoubleSpinBox()
        self.bin_spin.setRange(0.0, 3600.0)
        self.bin_spin.setDecimals(3)
        self.bin_spin.setSpecialValueText("auto")
        self.bin_spin.setSuffix(" s")
        self.bin_spin.setKeyboardTracking(False)
        self.bin_spin.setToolTip("Bin width (auto: about 200 bins over the segment)")
        bar = toolbar("Bin ", self.bin_spin)
        self._view_box = ClickOnlyViewBox()
        self.plot_widget = pg.PlotWidget(viewBox=self._view_box, background=theme.background)
        plot = self.plot_widget.getPlotItem()
        style_axes(plot, theme, left="Rate (spikes/s)", bottom="Time (s)")
        color = theme.selection
        self.window_marker = pg.LinearRegionItem(
            movable=False, brush=pg.mkBrush(color.red(), color.green(), color.blue(), 60), pen=None
        )
        plot.addItem(self.window_marker)
        self._compose(bar, self.plot_widget)

        self.bin_spin.valueChanged.connect(self.refresh)
        self._view_box.clicked.connect(self._on_click)
        signals = session.signals
        for name in ("sorting", "selected_unit_ids", "segment_index", "recording"):
            getattr(signals, name).connect(self.refresh)
        signals.frame_window.connect(self._mark_window)
        self.refresh()

    @property
    def data(self) -> FiringRates | None:
        """What is on display."""
        return self._value

    def refresh(self, *_) -> None:
        """Recompute for the selected units, the segment and the bin width."""
        session = self._session
        units = list(session.selected_unit_ids)[:MAX_UNITS]
        if session.sorting is None or session.recording is None:
            self._show_message("Open a recording and a sorting to see firing rates over time.")
            return
        if not units:
            self._show_message("Select units to see their firing rate over time.")
            return
        recording, segment = session.recording, session.segment_index
        span = (
            float(session.frame_to_time(0)),
            float(session.frame_to_time(recording.get_num_samples(segment))),
        )
        bin_s = self.bin_spin.value() or nice_bin(span[1] - span[0])
        snapshot = {
            "sorting": session.sorting,
            "segment_index": segment,
            "span": span,
            "to_time": lambda samples: recording.sample_index_to_time(
                samples, segment_index=segment
            ),
        }
        self._compute(lambda: firing_rates(snapshot, units, bin_s))

    def _draw(self, data: FiringRates) -> None:
        plot = self.plot_widget.getPlotItem()
        for curve in self._curves:
            plot.removeItem(curve)
        self._curves = []
        for unit_id, rates in zip(data.unit_ids, data.rates):
            color = self._theme.unit_color(self._session.unit_color_index(unit_id))
            curve = pg.PlotCurveItem(
                data.edges, rates, stepMode="center", pen=pg.mkPen(color, width=1.5)
            )
            plot.addItem(curve)
            self._curves.append(curve)
        plot.setXRange(data.edges[0], data.edges[-1], padding=0)
        plot.setYRange(0, max(float(data.rates.max()), 1.0), padding=0.05)
        self._mark_window()

    def _mark_window(self, *_) -> None:
        session = self._session
        start, end = session.frame_window
        if end > start:
            self.window_marker.setRegion(
                (float(session.frame_to_time(start)), float(session.frame_to_time(end)))
            )

    def _on_click(self, position: QPointF) -> None:
        if self._value is not None:
            self._session.go_to_time(float(position.x()))
