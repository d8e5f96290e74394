"""Correlograms: auto- (diagonal) and cross-correlograms of the selected units as a grid."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyqtgraph as pg
from PySide6.QtWidgets import QWidget

from app.model.curation_reuse import same_unit_spikes, shared_spike_rows, union_parts
from app.model.session import Session
from app.views.computed_view import ComputedView, toolbar
from app.views.plot_parts import spin_box, style_axes
from core.postprocessing.correlogram_counts import (
    correlograms_involving,
    correlograms_of_segment,
)
from core.postprocessing.correlograms import _make_bins
from core.sorted_lookup import positions_in_sorted

#: Units in the grid at most (the first selected ones).
MAX_UNITS = 6


@dataclass(frozen=True)
class CorrelogramData:
    """``ccgs[i, j]``: histogram of ``t_i - t_j`` for the units in ``unit_ids``; ``bins``: edges
    in ms."""

    unit_ids: list
    ccgs: np.ndarray
    bins: np.ndarray


def compute_unit_correlograms(
    sorting, unit_ids: list, window_ms: float, bin_ms: float, previous=None
) -> CorrelogramData:
    """Correlograms of ``unit_ids`` only (the selection, not the whole sorting), as
    `core.postprocessing.compute_correlograms` counts them.

    They are counted on those units' trains alone, merged in time order segment by segment: a
    slice of a large sorting could otherwise build the whole sorting's spike vector (a curated
    one after each action). When ``unit_ids`` are the parts of a unit on display (``previous``
    as in `correlograms_after_action`), that unit's train is theirs, in time order already.
    """
    bins, window_size, bin_size = _make_bins(sorting, window_ms, bin_ms)
    ccgs = np.zeros((len(unit_ids), len(unit_ids), bins.size - 1), dtype="int64")
    for times, units in _segment_spikes(sorting, unit_ids, previous):
        correlograms_of_segment(
            times, units, len(unit_ids), window_size, bin_size, correlograms=ccgs
        )
    return CorrelogramData(list(unit_ids), ccgs, bins)


def _segment_spikes(sorting, unit_ids: list, previous=None):
    """For each segment, the spikes of ``unit_ids`` in time order and the position in
    ``unit_ids`` of each one's unit.

    Split parts of a unit on display (in ``previous``) take that unit's train, whose spikes
    the sorting it was shown for holds in memory, and label them by part (a part's first
    train would gather its samples from the whole sorting's, milliseconds per 100 000 spikes).
    """
    whole = _split_unit(sorting, unit_ids, previous)
    if whole is not None:
        before, unit_id, labels = whole
        start = 0
        for segment in range(sorting.get_num_segments()):
            train = np.asarray(before.get_unit_spike_train(unit_id, segment_index=segment))
            yield train.astype("int64", copy=False), labels[start : start + train.size]
            start += train.size
        return
    for segment in range(sorting.get_num_segments()):
        trains = [sorting.get_unit_spike_train(u, segment_index=segment) for u in unit_ids]
        times = np.concatenate([np.asarray(t, dtype="int64") for t in trains])
        units = np.repeat(np.arange(len(unit_ids)), [t.size for t in trains])
        order = np.argsort(times, kind="stable")  # merges the sorted trains, ties by unit
        yield times[order], units[order]


def _split_unit(sorting, unit_ids: list, previous):
    """``(sorting on display, unit, labels)`` when ``unit_ids`` hold together exactly the
    spikes of a unit on display that ``sorting`` lacks: ``labels``, for each of its spikes
    (in the order of its trains, segment after segment), the position in ``unit_ids`` of the
    unit holding it. None otherwise."""
    if previous is None or len(unit_ids) < 2:
        return None
    before = previous[0]
    rows_of = shared_spike_rows(sorting, before)
    if rows_of is None:
        return None
    present = set(sorting.unit_ids.tolist())
    parts = [rows_of(sorting, u) for u in unit_ids]
    total = sum(rows.size for rows in parts)
    for unit_id in previous[1].unit_ids:
        if unit_id in present:
            continue
        whole = rows_of(before, unit_id)
        if whole.size != total:
            continue
        labels = np.empty(whole.size, dtype="int64")
        for position, rows in enumerate(parts):
            at = positions_in_sorted(whole, rows)
            if at is None:
                break  # not a part of it
            labels[at] = position
        else:  # disjoint parts of it, as many spikes: all of it
            return before, unit_id, labels
    return None


#: Derive the correlograms of split parts when the spikes to count (the other parts') are at
#: most this share of the selected units' spikes: counting the pairs that involve some spikes
#: costs about twice as much per spike as counting all pairs.
MAX_COUNTED_SHARE = 1 / 3


def correlograms_after_action(
    sorting, unit_ids: list, window_ms: float, bin_ms: float, previous=None
) -> CorrelogramData:
    """Correlograms of ``unit_ids``, derived from those on display when a curation action
    allows it, else counted (`compute_unit_correlograms`).

    ``previous`` is ``(sorting, CorrelogramData)`` on display. Correlograms count ordered
    pairs of distinct spikes, so they add up over units. A unit of ``unit_ids`` that is a unit
    on display with the same spikes, or a union of units on display (a merge of them), takes
    the sum of their displayed pairs. A part of a unit U on display that another action split
    (the largest of its parts in ``unit_ids``) takes U's pairs less the pairs of U's other
    parts, which are counted (`correlograms_involving`: only pairs with a spike of the
    counted units), as are the units made of none of those on display. The result is what
    counting every pair gives; everything is counted when there is nothing to derive, or
    when the spikes to count are more than `MAX_COUNTED_SHARE` of the units'.
    """
    bins, window_size, bin_size = _make_bins(sorting, window_ms, bin_ms)
    plan = _derivation_plan(sorting, unit_ids, bins, previous)
    if plan is None:
        return compute_unit_correlograms(sorting, unit_ids, window_ms, bin_ms, previous)
    num_units = len(unit_ids)
    counted_pairs = np.zeros((len(plan.groups), len(plan.groups), bins.size - 1), dtype="int64")
    if plan.counted.any():
        for times, groups in _segment_spikes(sorting, plan.groups, previous):
            correlograms_involving(
                times,
                groups,
                len(plan.groups),
                plan.counted[groups],
                window_size,
                bin_size,
                correlograms=counted_pairs,
            )
    shown = previous[1].ccgs
    ccgs = counted_pairs[:num_units, :num_units].copy()
    for i, (shown_i, rest_i) in plan.sources.items():
        for j, (shown_j, rest_j) in plan.sources.items():
            # pairs of (i and the rest of its units on display) x (j and the rest of j's),
            # less those with a spike of a rest (counted)
            ccgs[i, j] = (
                shown[np.ix_(shown_i, shown_j)].sum(axis=(0, 1))
                - counted_pairs[rest_i, j].sum(axis=0)
                - counted_pairs[i, rest_j].sum(axis=0)
                - counted_pairs[np.ix_(rest_i, rest_j)].sum(axis=(0, 1))
            )
    return CorrelogramData(list(unit_ids), ccgs, bins)


@dataclass(frozen=True)
class _DerivationPlan:
    """How `correlograms_after_action` gets the correlograms of the units.

    ``groups``: the units (then the split parts not among them) whose spikes are counted
    or derived from; ``counted``: whether each group's pairs are counted; ``sources``: for
    each unit derived from the display (position in ``groups``), the positions of the units
    on display holding its spikes, and the positions in ``groups`` of the other units those
    hold (counted).
    """

    groups: list
    counted: np.ndarray
    sources: dict


def _derivation_plan(sorting, unit_ids: list, bins: np.ndarray, previous):
    """A `_DerivationPlan`, or None when counting every pair is the way (nothing on display
    to derive from, other bins, or too many spikes to count)."""
    if previous is None:
        return None
    before, data = previous
    if not np.array_equal(bins, data.bins):
        return None
    position = {u: i for i, u in enumerate(data.unit_ids)}
    present = set(sorting.unit_ids.tolist())
    kept = {u for u in position if u in present and same_unit_spikes(before, sorting, u)}
    changed = [u for u in position if u not in kept]  # a kept unit is not a part of another
    sources = {}  # unit id: (positions on display, ids of the other units they hold)
    for unit_id in unit_ids:
        if unit_id in kept:
            sources[unit_id] = ([position[unit_id]], [])
            continue
        parts = union_parts(sorting, before, unit_id, changed)
        if parts is not None:
            sources[unit_id] = ([position[u] for u in parts], [])
    undecided = [u for u in unit_ids if u not in sources]
    count = _spike_counter(sorting, before)
    if undecided and changed:
        # a split unit on display gives one part: the others are counted at least
        sizes = sorted(count(u) for u in undecided)
        selected = sum(count(u) for u in unit_ids)
        if sum(sizes[: max(len(sizes) - len(changed), 0)]) > MAX_COUNTED_SHARE * selected:
            return None
        sources.update(_split_sources(sorting, before, undecided, changed, position, count))
    if not sources:
        return None
    groups = list(unit_ids)
    for _, rest in sources.values():
        groups += [u for u in rest if u not in groups]
    index = {u: i for i, u in enumerate(groups)}
    counted = np.array([u not in sources for u in groups])
    if counted.any():
        sizes = np.array([count(u) for u in groups])
        if sizes[counted].sum() > MAX_COUNTED_SHARE * sizes[: len(unit_ids)].sum():
            return None
    return _DerivationPlan(
        groups,
        counted,
        {index[u]: (shown, [index[r] for r in rest]) for u, (shown, rest) in sources.items()},
    )


def _split_sources(sorting, before, undecided: list, changed: list, position: dict, count) -> dict:
    """For each unit on display that ``sorting`` split into parts, the largest of its parts
    among ``undecided`` (``count(unit)``: its spikes): ``{part: ([its position on display],
    [its other parts])}``."""
    new = set(sorting.unit_ids.tolist()) - set(before.unit_ids.tolist())
    candidates = [u for u in sorting.unit_ids.tolist() if u in new or u in undecided]
    sources = {}
    for shown_unit in changed:
        parts = union_parts(before, sorting, shown_unit, candidates)
        selected = [u for u in parts or () if u in undecided]
        if selected:
            largest = max(selected, key=count)
            sources[largest] = ([position[shown_unit]], [u for u in parts if u != largest])
    return sources


def _spike_counter(sorting, before):
    """``count(unit_id)``: the spikes of a unit of ``sorting`` in all segments, from its rows
    in a curation (no train is fetched), else from its trains."""
    rows_of = shared_spike_rows(sorting, before)
    if rows_of is not None:
        return lambda unit_id: rows_of(sorting, unit_id).size
    return lambda unit_id: sum(
        sorting.get_unit_spike_train(unit_id, segment_index=segment).size
        for segment in range(sorting.get_num_segments())
    )


class CorrelogramsView(ComputedView):
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

    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__(session, "CorrelogramsWorker", "correlograms", parent)
        self.plots: dict[tuple[int, int], pg.PlotItem] = {}
        self._cells: dict[tuple[int, int], tuple] = {}  # plot, curve, shade on display
        self._pool: dict[tuple[int, int], tuple] = {}  # every cell made, by grid position
        self._titles: dict[tuple[int, int], tuple] = {}  # (text, colour) of pooled titles
        self._lag_axis: dict[tuple[int, int], bool] = {}  # pooled plots showing lag values
        self._requested = None  # the sorting of the newest computation
        self._sorting_shown = None  # the sorting the correlograms on display are of

        self.window_spin = spin_box(2.0, 2000.0, 50.0, " ms", "Whole window of lags")
        self.bin_spin = spin_box(0.05, 100.0, 1.0, " ms", "Bin width")
        self.refractory_spin = spin_box(
            0.0, 20.0, 1.5, " ms", "Refractory period shaded around zero"
        )
        bar = toolbar(
            "Window ",
            self.window_spin,
            " bin ",
            self.bin_spin,
            " refractory ",
            self.refractory_spin,
        )
        self.grid = pg.GraphicsLayoutWidget()
        self.grid.setBackground(self._theme.background)
        self.grid.setMinimumHeight(150)  # a grid of several units stays readable
        self._compose(bar, self.grid)

        for spin in (self.window_spin, self.bin_spin):
            spin.valueChanged.connect(self.refresh)
        self.refractory_spin.valueChanged.connect(self._redraw)
        for name in ("sorting", "selected_unit_ids"):
            getattr(session.signals, name).connect(self._schedule_refresh)
        self.refresh()

    # ------------------------------------------------------------------ public
    @property
    def data(self) -> CorrelogramData | None:
        """What is on display."""
        return self._value

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
        sorting = session.sorting
        window_ms, bin_ms = self.window_spin.value(), self.bin_spin.value()
        previous = None if self._value is None else (self._sorting_shown, self._value)
        self._requested = sorting
        self._compute(
            lambda: correlograms_after_action(sorting, units, window_ms, bin_ms, previous)
        )

    # ------------------------------------------------------------------ drawing
    def _clear(self) -> None:
        for plot, _curve, _shade in self._cells.values():
            plot.hide()  # kept in the layout, shown again by `_place_grid`
        self.plots = {}
        self._cells = {}

    def _draw(self, _data: CorrelogramData) -> None:
        self._sorting_shown = self._requested
        self._redraw()

    def _redraw(self, *_) -> None:
        """Show the correlograms on display. Plots are made once per grid position and kept
        (after a curation action or another selection only their data, titles and colours
        change, and the grid takes the plots it needs from the pool: creating a pyqtgraph plot
        costs the GUI thread tens of ms)."""
        data = self._value
        if data is None:
            return
        theme, session = self._theme, self._session
        count = len(data.unit_ids)
        if len(self._cells) != count * count:
            self._place_grid(count)
        refractory = self.refractory_spin.value()
        for (row, col), (plot, curve, shade) in self._cells.items():
            if row == col:
                unit_id = data.unit_ids[row]
                color = theme.unit_color(session.unit_color_index(unit_id))
                title = (str(unit_id), pg.mkColor(color).name())
                if self._titles.get((row, col)) != title:  # (setting a title costs ms)
                    plot.setTitle(title[0], color=color, size="9pt")
                    self._titles[(row, col)] = title
            else:
                color = theme.foreground
            brush = pg.mkColor(color)
            brush.setAlpha(170)
            curve.setData(
                data.bins,
                data.ccgs[row, col],
                stepMode="center",
                fillLevel=0,
                brush=brush,
                pen=pg.mkPen(color, width=1),
            )
            shade.setRegion((-refractory, refractory))
            shade.setVisible(refractory > 0)
            plot.setXRange(data.bins[0], data.bins[-1], padding=0)
            plot.setYRange(0, max(float(data.ccgs[row, col].max()), 1.0), padding=0.05)
            # the new ranges reach the axes now, not in the next paint (whose axes' updates
            # would ask for one more paint of the whole grid)
            plot.vb.prepareForPaint()

    def _place_grid(self, count: int) -> None:
        """``count`` x ``count`` plots in the grid, from the pool (made when first needed).
        Every pooled plot stays in the layout at its position, hidden when the grid is
        smaller (a hidden item takes no room in the layout): taking a plot out of the scene
        and back, or restyling an axis, costs the GUI thread milliseconds each."""
        layout = self.grid.ci
        wanted = {(row, col) for row in range(count) for col in range(count)}
        for position, (plot, _curve, _shade) in self._pool.items():
            if position not in wanted and plot.isVisible():
                plot.hide()
        self.plots, self._cells = {}, {}
        for row in range(count):
            for col in range(count):
                cell = self._pool.get((row, col))
                if cell is None:
                    cell = self._pool[(row, col)] = self._new_cell()
                    layout.addItem(cell[0], row=row, col=col)
                plot = cell[0]
                if not plot.isVisible():
                    plot.show()
                last_row = row == count - 1
                if self._lag_axis.get((row, col)) != last_row:  # lag values under the last row
                    bottom = plot.getAxis("bottom")
                    bottom.setStyle(showValues=last_row)
                    bottom.setLabel("lag (ms)" if last_row else None)
                    bottom.showLabel(last_row)
                    self._lag_axis[(row, col)] = last_row
                self.plots[(row, col)] = plot
                self._cells[(row, col)] = cell
        layout.layout.activate()  # the plots' sizes now, not at the next paint

    def _new_cell(self) -> tuple:
        """A plot with its curve and refractory shade (data, style, title: `_redraw`)."""
        theme = self._theme
        plot = pg.PlotItem()
        style_axes(plot, theme)
        plot.setMouseEnabled(x=False, y=False)
        curve = pg.PlotCurveItem()
        plot.addItem(curve)
        shade = pg.LinearRegionItem((-1.0, 1.0), movable=False, brush=theme.epoch, pen=None)
        shade.setZValue(-10)
        plot.addItem(shade)
        for name in ("left", "bottom"):
            plot.getAxis(name).setStyle(tickLength=-3)
            # counts and ms as they are (an automatic prefix sets the axis label's text anew
            # at each change of range: milliseconds of GUI time per plot)
            plot.getAxis(name).enableAutoSIPrefix(False)
        plot.getAxis("left").setWidth(34)
        return plot, curve, shade
