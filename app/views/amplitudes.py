"""Amplitudes over time: one dot per spike of the selected units, their histogram beside it,
the trace window marked; a lasso picks spikes of a unit (for curation splits)."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
import qtawesome as qta
from PySide6.QtCore import QPointF, QTimer
from PySide6.QtGui import QAction, QFontMetrics
from PySide6.QtWidgets import QLabel, QToolBar, QWidget

from app.model.curation_reuse import same_unit_spikes, seed_channels
from app.model.polygon import points_in_polygon
from app.model.session import Session
from app.model.spike_amplitudes import UnitAmplitudes, amplitudes_from_parts, unit_amplitudes
from app.views.computed_view import ComputedView
from app.views.dot_items import DotsItem
from app.views.plot_parts import style_axes
from app.views.probe_items import LassoViewBox

#: Units drawn at most (the first selected ones).
MAX_UNITS = 6
#: Bins of the amplitude histogram.
HISTOGRAM_BINS = 60
#: Width of the amplitude axis in pixels (its label and ticks such as "-1500").
AMPLITUDE_AXIS_WIDTH = 58


def compute_amplitudes(
    snapshot: dict, unit_ids: list, known: dict | None = None, parts: dict | None = None
) -> list[UnitAmplitudes]:
    """Amplitudes of each unit of ``unit_ids`` in the snapshot's segment.

    Those of ``known`` (``{unit_id: UnitAmplitudes}`` still valid for the snapshot) are taken
    as they are; a unit of ``parts`` (``{unit_id: (previous sorting, [UnitAmplitudes read on
    its channel])}``) made by a merge or a split of them takes their values
    (`amplitudes_from_parts`); the others are read.
    """
    known, parts = known or {}, parts or {}
    units = []
    for unit_id in unit_ids:
        unit = known.get(unit_id)
        if unit is None and unit_id in parts:
            previous, read = parts[unit_id]
            unit = amplitudes_from_parts(
                snapshot["sorting"], unit_id, snapshot["segment_index"], previous, read
            )
        if unit is None:
            unit = unit_amplitudes(
                snapshot["sorting"],
                unit_id,
                snapshot["segment_index"],
                recording=snapshot["recording"],
                channel_id=snapshot["unit_channel_ids"].get(unit_id),
                waveform_extractor=snapshot["waveform_extractor"],
                return_scaled=snapshot["return_scaled"],
            )
        units.append(unit)
    return units


def _context(snapshot: dict) -> tuple:
    """What a unit's amplitudes depend on besides its spikes and its channel."""
    return (
        snapshot["segment_index"],
        snapshot["recording"],
        snapshot["waveform_extractor"],
        snapshot["return_scaled"],
    )


class AmplitudesView(ComputedView):
    """Spike amplitudes of the selected units over the segment.

    Click a dot to centre the traces on its spike. Drag with Shift (or in lasso mode) around
    dots to pick them: the unit with most dots inside is picked (``session.spike_selection``).

    Parameters
    ----------
    session : Session
    parent : QWidget | None

    Signals
    -------
    drawn()
        New amplitudes are on display.
    """

    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__(session, "AmplitudesWorker", "spike amplitudes", parent)
        theme = self._theme
        self._value: tuple[dict, list[UnitAmplitudes]] | None = None
        # the last amplitudes drawn, kept while a message shows (e.g. a merged unit's
        # channel is being found): what still holds, or its parts, is not read again
        self._read: tuple[dict, list[UnitAmplitudes]] | None = None
        # per unit drawn: its amplitudes and their dots (kept while they hold)
        self._dots: dict[object, tuple[UnitAmplitudes, DotsItem]] = {}
        self._spare_dots: list[DotsItem] = []
        self._histograms: list[pg.PlotCurveItem] = []  # by position, hidden when unused

        self.lasso_action = QAction(qta.icon("mdi6.lasso", color=theme.foreground), "Lasso", self)
        self.lasso_action.setCheckable(True)
        self.lasso_action.setToolTip("Drag around spikes to pick them (or Shift+drag)")
        self.lasso_action.toggled.connect(self._set_lasso)
        clear = QAction(qta.icon("mdi6.selection-remove", color=theme.foreground), "Clear", self)
        clear.setToolTip("Forget the picked spikes")
        clear.triggered.connect(self._clear_pick)
        bar = QToolBar()
        bar.addAction(self.lasso_action)
        bar.addAction(clear)
        self.status = QLabel()
        bar.addWidget(self.status)
        self.view_box = LassoViewBox()
        self.view_box.setAspectLocked(False)
        self.plots = pg.GraphicsLayoutWidget()
        self.plots.setBackground(theme.background)
        self.scatter_plot = self.plots.addPlot(row=0, col=0, viewBox=self.view_box)
        self.histogram_plot = self.plots.addPlot(row=0, col=1)
        self.plots.ci.layout.setColumnStretchFactor(0, 5)
        self.plots.ci.layout.setColumnStretchFactor(1, 1)
        self.histogram_plot.setYLink(self.scatter_plot)
        style_axes(self.scatter_plot, theme, bottom="Time (s)")
        style_axes(self.histogram_plot, theme, bottom="count")
        self.histogram_plot.getAxis("left").setStyle(showValues=False)
        # a fixed width: tick labels of other widths (another unit's amplitudes) would
        # otherwise lay the plots out again after each drawing, and paint them twice
        self.scatter_plot.getAxis("left").setWidth(AMPLITUDE_AXIS_WIDTH)
        self._amplitude_unit = "µV"
        # a short dock has no room for "Amplitude (µV)" along the axis: the unit alone then
        self.scatter_plot.getAxis("left").geometryChanged.connect(self._fit_amplitude_label)
        self.window_marker = pg.LinearRegionItem(
            movable=False, brush=pg.mkBrush(theme.selection.red(), theme.selection.green(),
                                            theme.selection.blue(), 50), pen=None
        )  # fmt: skip
        self.window_marker.setZValue(-10)
        self.scatter_plot.addItem(self.window_marker)
        self.picked = pg.ScatterPlotItem(
            size=7, pen=pg.mkPen(theme.foreground, width=1.5), brush=None, pxMode=True
        )
        self.picked.setZValue(10)
        self.scatter_plot.addItem(self.picked)

        self._compose(bar, self.plots)

        self.view_box.clicked.connect(self._on_click)
        self.view_box.lasso_finished.connect(self._on_lasso)
        signals = session.signals
        for name in ("sorting", "selected_unit_ids", "segment_index", "unit_channel_ids"):
            getattr(signals, name).connect(self._schedule_refresh)
        signals.waveform_extractor.connect(self._schedule_refresh)
        signals.frame_window.connect(self._mark_window)
        signals.spike_selection.connect(self._on_pick)
        # a pick cleared waits until the signals of the call that cleared it are out: a
        # curation action clears it before it changes the sorting, whose drawing clears it
        self._clear_pick_timer = QTimer(self, singleShot=True, interval=0)
        self._clear_pick_timer.timeout.connect(self._show_pick)
        self.refresh()

    # ------------------------------------------------------------------ public
    @property
    def units(self) -> list[UnitAmplitudes]:
        """Amplitudes on display, per unit."""
        return list(self._units)

    def wait_until_idle(self, timeout: float = 30.0) -> bool:
        """Block until the newest computation has been delivered (tests)."""
        return super().wait_until_idle(timeout)

    def refresh(self, *_) -> None:
        """Recompute for the selected units and the segment."""
        session = self._session
        units = list(session.selected_unit_ids)[:MAX_UNITS]
        if session.sorting is None:
            self._show_message("Open a sorting to see spike amplitudes.")
            return
        if not units:
            self._show_message("Select units to see their spike amplitudes over time.")
            return
        channels = dict(session.unit_channel_ids)
        waiting = [u for u in units if u not in channels]
        estimated = session.recording is not None and session.recording.get_num_channels() >= 2
        if waiting and session.waveform_extractor is None and estimated:
            # the unit-channel estimate runs (a new or merged unit): meanwhile a unit made by
            # an action from units on display takes their channel, and its amplitudes from
            # theirs; it is drawn again if its estimated channel differs
            channels.update(self._provisional_channels(waiting))
            waiting = [u for u in waiting if u not in channels]
            if waiting:
                names = ", ".join(str(u) for u in waiting)
                self._show_message(f"Finding the extremum channel of unit {names}…")
                return
        snapshot = {
            "sorting": session.sorting,
            "segment_index": session.segment_index,
            "recording": session.recording,
            "unit_channel_ids": channels,
            "waveform_extractor": session.waveform_extractor,
            "return_scaled": session.return_scaled,
        }
        known = self._still_valid(snapshot, units)
        parts = self._parts(snapshot, [u for u in units if u not in known])
        self._compute(lambda: (snapshot, compute_amplitudes(snapshot, units, known, parts)))

    def _provisional_channels(self, unit_ids: list) -> dict:
        """Channels of new units of ``unit_ids`` taken from the units on display they were
        made of (`seed_channels`: a split part's unit, a merged unit's largest part)."""
        if self._read is None:
            return {}
        drawn_snapshot, drawn = self._read
        drawn_channels = drawn_snapshot["unit_channel_ids"]
        channels = {
            u.unit_id: drawn_channels[u.unit_id] for u in drawn if u.unit_id in drawn_channels
        }
        return seed_channels(self._session.sorting, drawn_snapshot["sorting"], channels, unit_ids)

    def _read_in_context_of(self, snapshot: dict) -> tuple | None:
        """``(snapshot, units)`` of the amplitudes on display when they were read from the same
        segment, recording, waveforms and scaling as ``snapshot``; else None."""
        if self._read is None or _context(self._read[0]) != _context(snapshot):
            return None
        return self._read

    def _parts(self, snapshot: dict, unit_ids: list) -> dict:
        """For each unit of ``unit_ids`` with a channel: the amplitudes on display read on
        that channel (those of the units a merge or a split made it from may give its
        amplitudes without reading the recording, see `amplitudes_from_parts`)."""
        on_display = self._read_in_context_of(snapshot)
        if on_display is None:
            return {}
        drawn_snapshot, drawn = on_display
        channels, drawn_channels = snapshot["unit_channel_ids"], drawn_snapshot["unit_channel_ids"]
        parts = {}
        for unit_id in unit_ids:
            channel = channels.get(unit_id)
            read = [
                u for u in drawn if channel is not None and drawn_channels.get(u.unit_id) == channel
            ]
            if read:
                parts[unit_id] = (drawn_snapshot["sorting"], read)
        return parts

    def _still_valid(self, snapshot: dict, unit_ids: list) -> dict:
        """The amplitudes on display that hold for ``snapshot``: same segment, recording,
        waveforms and scaling, same channel, and the unit's spikes unchanged (a curation
        action leaves the units it does not touch as they were)."""
        on_display = self._read_in_context_of(snapshot)
        if on_display is None:
            return {}
        drawn_snapshot, units = on_display
        channels, drawn_channels = snapshot["unit_channel_ids"], drawn_snapshot["unit_channel_ids"]
        return {
            unit.unit_id: unit
            for unit in units
            if unit.unit_id in unit_ids
            and channels.get(unit.unit_id) == drawn_channels.get(unit.unit_id)
            and same_unit_spikes(drawn_snapshot["sorting"], snapshot["sorting"], unit.unit_id)
        }

    # ------------------------------------------------------------------ drawing
    @property
    def _units(self) -> list[UnitAmplitudes]:
        return [] if self._value is None else self._value[1]

    @property
    def dot_items(self) -> list[DotsItem]:
        """The dots on display, one item per unit in the order of `units`."""
        return [self._dots[u.unit_id][1] for u in self._units]

    def _clear(self) -> None:
        for _, item in self._dots.values():
            item.hide()
            self._spare_dots.append(item)
        self._dots = {}
        for curve in self._histograms:
            curve.hide()

    def _draw(self, _value) -> None:
        """Draw the amplitudes: the dots of a unit whose amplitudes are the ones on display
        stay (recoloured if need be); other units' dots are set in a spare item."""
        units = self._units
        self._read = self._value
        drawn = [amplitudes for amplitudes, _ in self._dots.values()]
        if len(drawn) == len(units) and all(a is b for a, b in zip(drawn, units)):
            # the same amplitudes (e.g. a new unit's estimated channel is its provisional
            # one): nothing to draw again, only the snapshot they hold for changed
            self._show_pick()
            return
        previous = self._dots
        self._dots = {}
        for amplitudes, item in previous.values():
            if not any(u is amplitudes for u in units):
                item.hide()
                self._spare_dots.append(item)
        for order, unit in enumerate(units):
            color = self._theme.unit_color(self._session.unit_color_index(unit.unit_id))
            entry = previous.get(unit.unit_id)
            if entry is not None and entry[0] is unit:
                item = entry[1]
            else:
                item = self._spare_dots.pop() if self._spare_dots else self._new_dots()
                item.set_data(unit.times, unit.amplitudes)
            item.set_color(color)
            item.setZValue(order)
            item.show()
            self._dots[unit.unit_id] = (unit, item)
        values = [u.amplitudes for u in units if u.amplitudes.size]
        edges = np.histogram_bin_edges(np.concatenate(values), HISTOGRAM_BINS) if values else None
        while len(self._histograms) < len(units):
            curve = pg.PlotCurveItem()
            self.histogram_plot.addItem(curve)
            self._histograms.append(curve)
        most = 0
        for position, curve in enumerate(self._histograms):
            if edges is None or position >= len(units):
                curve.hide()
                continue
            unit = units[position]
            color = self._theme.unit_color(self._session.unit_color_index(unit.unit_id))
            counts, _ = np.histogram(unit.amplitudes, edges)
            most = max(most, int(counts.max(initial=0)))
            # a histogram on its side: steps along the amplitude axis
            curve.setData(
                np.repeat(counts, 2), np.repeat(edges, 2)[1:-1], pen=pg.mkPen(color, width=1.5)
            )
            curve.show()
        # the histogram is narrow: two labelled counts, never a crowd of them
        self.histogram_plot.getAxis("bottom").setTicks([count_axis_ticks(most)])
        self._amplitude_unit = "µV" if all(u.scaled for u in self._units) else "raw"
        self._fit_amplitude_label()
        shown = sum(u.amplitudes.size for u in self._units)
        total = sum(u.total_spikes for u in self._units)
        sampled = "" if shown == total else f" (a sample of {total:,})"
        self.status.setText(f"  {shown:,} spikes{sampled}")
        self.scatter_plot.autoRange()
        self._mark_window()
        self._show_pick()

    def _new_dots(self) -> DotsItem:
        item = DotsItem(size=3)
        self.scatter_plot.addItem(item)
        return item

    def amplitude_label(self) -> str:
        """The amplitude axis's label: "Amplitude (µV)" (or "(raw)"), or the unit alone when the
        axis is too short to show the whole label."""
        axis = self.scatter_plot.getAxis("left")
        full = f"Amplitude ({self._amplitude_unit})"
        room = axis.geometry().height() - 8
        fits = QFontMetrics(axis.label.font()).horizontalAdvance(full) <= room
        return full if fits else self._amplitude_unit

    def _fit_amplitude_label(self) -> None:
        label = self.amplitude_label()
        axis = self.scatter_plot.getAxis("left")
        if axis.labelText != label:
            self.scatter_plot.setLabel("left", label)

    def _mark_window(self, *_) -> None:
        session = self._session
        start, end = session.frame_window
        if end > start:
            self.window_marker.setRegion(
                (float(session.frame_to_time(start)), float(session.frame_to_time(end)))
            )

    def _on_pick(self, *_) -> None:
        if self._session.spike_selection is None:
            self._clear_pick_timer.start()
        else:
            self._show_pick()

    def _show_pick(self, *_) -> None:
        pick = self._session.spike_selection
        if pick is None and self._read is not None:
            if self._read[0]["sorting"] is not self._session.sorting:
                # a curation action: the amplitudes of its sorting are drawn next, which
                # clears the pick (the plot is painted once, not also in between)
                return
        unit = None if pick is None else self._unit(pick.unit_id)
        if unit is None:
            if len(self.picked.data):  # (clearing no dots would still repaint the plot)
                self.picked.clear()
            return
        shown = np.isin(unit.spike_indices, pick.indices)
        self.picked.setData(unit.times[shown], unit.amplitudes[shown])

    # ------------------------------------------------------------------ mouse
    def _set_lasso(self, enabled: bool) -> None:
        self.view_box.lasso_mode = bool(enabled)

    def _clear_pick(self) -> None:
        self._session.spike_selection = None

    def _unit(self, unit_id) -> UnitAmplitudes | None:
        return next((u for u in self._units if u.unit_id == unit_id), None)

    def _on_click(self, position: QPointF, _add: bool) -> None:
        best, best_distance = None, np.inf
        width, height = self.view_box.viewPixelSize()
        for unit in self._units:
            if unit.times.size == 0:
                continue
            distance = np.hypot(
                (unit.times - position.x()) / width, (unit.amplitudes - position.y()) / height
            )
            nearest = int(np.argmin(distance))
            if distance[nearest] < best_distance:
                best, best_distance = unit.times[nearest], distance[nearest]
        if best is not None and best_distance <= 6:  # pixels
            self._session.go_to_time(float(best))

    def _on_lasso(self, points: list, add: bool) -> None:
        polygon = np.array([(p.x(), p.y()) for p in points])
        best, best_inside = None, np.zeros(0, dtype=bool)
        for unit in self._units:
            inside = points_in_polygon(unit.times, unit.amplitudes, polygon)
            if inside.sum() > best_inside.sum():
                best, best_inside = unit, inside
        if best is None:
            return
        indices = best.spike_indices[best_inside]
        previous = self._session.spike_selection
        if add and previous is not None and previous.unit_id == best.unit_id:
            indices = np.union1d(previous.indices, indices)
        self._session.select_spikes(best.unit_id, indices)


def count_axis_ticks(most: int) -> list[tuple[float, str]]:
    """The labelled ticks of a narrow count axis: 0 and the largest round count (1, 2 or 5
    times a power of ten) not above ``most``.

    Parameters
    ----------
    most : int
        The largest count shown.

    Returns
    -------
    list of (float, str)
        ``[(0, "0")]`` when ``most`` is below 1, else ``[(0, "0"), (round_count, label)]``.
    """
    if most < 1:
        return [(0.0, "0")]
    power = 10 ** int(np.floor(np.log10(most)))
    step = max(d * power for d in (1, 2, 5) if d * power <= most)
    return [(0.0, "0"), (float(step), f"{step:,}")]
