"""Peri-event view: raster and PSTH of the selected units around the events of one channel."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyqtgraph as pg
from PySide6.QtWidgets import QComboBox, QWidget

from app.model.session import Session
from app.views.computed_view import ComputedView, toolbar
from app.views.plot_parts import spin_box, style_axes
from core.event import align_spikes, peri_event_histogram

#: Units drawn at most (the first selected ones).
MAX_UNITS = 8
#: Empty rows between two units' blocks of trials.
BLOCK_GAP = 2


@dataclass(frozen=True)
class PeriEventData:
    """What the view draws, computed off the GUI thread.

    Attributes
    ----------
    unit_ids : list
    num_events : int
    trials : list of np.ndarray
        Per unit, the trial (event index) of each aligned spike.
    offsets : list of np.ndarray
        Per unit, each aligned spike's time relative to its event (s).
    rates : list of np.ndarray
        Per unit, the PSTH (spikes/s per bin).
    edges : np.ndarray
        PSTH bin edges (s).
    """

    unit_ids: list
    num_events: int
    trials: list
    offsets: list
    rates: list
    edges: np.ndarray


def compute_peri_event(
    session_snapshot: dict, unit_ids: list, event_times: np.ndarray, window_s, bin_s
) -> PeriEventData:
    """Align each unit's spikes (of the snapshot's segment) on ``event_times``."""
    sorting, to_time = session_snapshot["sorting"], session_snapshot["to_time"]
    segment = session_snapshot["segment_index"]
    trials, offsets, rates, edges = [], [], [], np.empty(0)
    for unit_id in unit_ids:
        train = sorting.get_unit_spike_train(unit_id, segment_index=segment)
        times = np.asarray(to_time(train), dtype="float64")
        trial, offset = align_spikes(times, event_times, window_s)
        rate, edges = peri_event_histogram(times, event_times, window_s, bin_s)
        trials.append(trial)
        offsets.append(offset)
        rates.append(rate)
    return PeriEventData(list(unit_ids), int(event_times.size), trials, offsets, rates, edges)


class PeriEventView(ComputedView):
    """Raster (trials by unit) over the PSTH of the selected units around a chosen event channel.

    Parameters
    ----------
    session : Session
    parent : QWidget | None

    Signals
    -------
    drawn()
        New data is on display.
    """

    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__(session, "PeriEventWorker", "spikes around events", parent)
        theme = self._theme

        self.channel_box = QComboBox()
        self.channel_box.setToolTip("Event channel to align on")
        self.before_spin = spin_box(
            -60.0, 0.0, -0.5, " s", "Window start relative to each event", 3
        )
        self.after_spin = spin_box(0.001, 60.0, 1.0, " s", "Window end relative to each event", 3)
        self.bin_spin = spin_box(0.1, 10_000.0, 10.0, " ms", "PSTH bin width", 1)
        bar = toolbar(  # overflows into a menu instead of widening the dock
            "Align on", self.channel_box, "from", self.before_spin, "to", self.after_spin,
            "bin", self.bin_spin,
        )  # fmt: skip
        self.plots = pg.GraphicsLayoutWidget()
        self.plots.setBackground(theme.background)
        self.plots.setMinimumHeight(180)  # raster and PSTH stay readable in a crowded column
        self.raster_plot = self.plots.addPlot(row=0, col=0)
        self.psth_plot = self.plots.addPlot(row=1, col=0)
        self.psth_plot.setXLink(self.raster_plot)
        self.plots.ci.layout.setRowStretchFactor(0, 3)
        self.plots.ci.layout.setRowStretchFactor(1, 2)
        for plot, left in ((self.raster_plot, "Trial"), (self.psth_plot, "Rate (Hz)")):
            style_axes(plot, theme, left=left)
            plot.addItem(pg.InfiniteLine(0.0, angle=90, pen=pg.mkPen(theme.event, width=1)))
        self.psth_plot.setLabel("bottom", "Time from event (s)")
        self._raster_items: list[pg.PlotCurveItem] = []
        self._psth_items: list[pg.PlotCurveItem] = []

        self._compose(bar, self.plots)

        for spin in (self.before_spin, self.after_spin, self.bin_spin):
            spin.valueChanged.connect(self.refresh)
        self.channel_box.currentIndexChanged.connect(self.refresh)
        signals = session.signals
        signals.events.connect(self._on_events)
        for name in ("sorting", "selected_unit_ids", "segment_index", "recording"):
            getattr(signals, name).connect(self.refresh)
        self._on_events()

    # ------------------------------------------------------------------ public
    @property
    def data(self) -> PeriEventData | None:
        """What is on display."""
        return self._value

    def refresh(self, *_) -> None:
        """Recompute for the session's selection, segment and the chosen channel and window."""
        session = self._session
        units = list(session.selected_unit_ids)[:MAX_UNITS]
        channel = self._chosen_channel()
        if session.sorting is None or session.events is None or channel is None:
            self._show_message("Open events and a sorting to see spikes around events.")
            return
        if not units:
            self._show_message("Select units (units table or rasters) to see them around events.")
            return
        events = session.event_times([channel])
        window = (self.before_spin.value(), self.after_spin.value())
        bin_s = self.bin_spin.value() / 1000.0
        snapshot = {
            "sorting": session.sorting,
            "segment_index": session.segment_index,
            "to_time": _time_converter(session),
        }
        self._compute(lambda: compute_peri_event(snapshot, units, events, window, bin_s))

    # ------------------------------------------------------------------ drawing
    def _on_events(self, *_) -> None:
        events = self._session.events
        self.channel_box.blockSignals(True)
        self.channel_box.clear()
        if events is not None:
            self.channel_box.addItems([str(c) for c in events.channel_ids.tolist()])
        self.channel_box.blockSignals(False)
        self.refresh()

    def _chosen_channel(self):
        events, name = self._session.events, self.channel_box.currentText()
        if events is None or not name:
            return None
        return next((c for c in events.channel_ids.tolist() if str(c) == name), None)

    def _draw(self, data: PeriEventData) -> None:
        for item in self._raster_items:
            self.raster_plot.removeItem(item)
        for item in self._psth_items:
            self.psth_plot.removeItem(item)
        self._raster_items, self._psth_items = [], []
        block = data.num_events + BLOCK_GAP
        session = self._session
        for position, unit_id in enumerate(data.unit_ids):
            color = self._theme.unit_color(session.unit_color_index(unit_id))
            rows = position * block + data.trials[position]
            x = np.repeat(data.offsets[position], 2)
            y = np.column_stack([rows + 0.1, rows + 0.9]).ravel()
            raster = pg.PlotCurveItem(x, y, connect="pairs", pen=pg.mkPen(color, width=1))
            self.raster_plot.addItem(raster)
            self._raster_items.append(raster)
            psth = pg.PlotCurveItem(
                data.edges, data.rates[position], stepMode="center", pen=pg.mkPen(color, width=2)
            )
            self.psth_plot.addItem(psth)
            self._psth_items.append(psth)
        self.raster_plot.setXRange(data.edges[0], data.edges[-1], padding=0)
        self.raster_plot.setYRange(0, max(len(data.unit_ids) * block - BLOCK_GAP, 1), padding=0)
        self.raster_plot.getAxis("left").setTicks(
            [[(p * block + data.num_events / 2, str(u)) for p, u in enumerate(data.unit_ids)], []]
        )
        self.psth_plot.enableAutoRange(axis="y")


def _time_converter(session: Session):
    """Spike samples of the session's segment to seconds on the recording's time axis."""
    recording, segment = session.recording, session.segment_index
    if recording is None:
        rate = session.sampling_frequency
        return lambda samples: np.asarray(samples) / rate
    return lambda samples: recording.sample_index_to_time(samples, segment_index=segment)
