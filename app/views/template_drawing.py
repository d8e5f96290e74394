"""What the templates view draws, computed off the GUI thread: placement and painter paths.

`plan_drawing` takes the units read by `app.model.waveform_source` and the view's settings and
returns a `TemplateDrawing`: where each channel's window goes (`Placement`), and per unit its
mean (on its sparsity channels, and dashed off them), its ± std band, its individual waveforms
and its dark outline as finished `QPainterPath`s with their extents, plus the sparsity boxes,
the scale bars and the extent of the whole. `QPainterPath` is reentrant: the paths are built on
the view's worker thread, and the GUI thread only hands them to its items.

A unit whose data, channels, settings and placement are those of the previous drawing keeps its
`UnitDrawing` (the same object): the view leaves that unit's items alone.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF
from PySide6.QtGui import QPainterPath

from app.model.template_geometry import Pitch, Placement, flat_placement, probe_placement
from app.model.waveform_source import ChannelLayout, UnitWaveforms
from app.views.template_items import ScaleBars, band_path


@dataclass(frozen=True)
class DrawSettings:
    """What the view's controls and the session ask of a drawing.

    Attributes
    ----------
    mode : {"probe", "flat"}
    gain : float
        Vertical scale of the probe layout.
    show_std : bool
        Draw the ± std band.
    channel_count : int
        Channels drawn around each unit's extremum channel.
    waveform_count : int
        Individual waveforms drawn per unit.
    pitch : Pitch or None
        Contact spacing of the probe (`contact_pitch`); needed in ``"probe"`` mode.
    sparsity : ChannelSparsity or None
        The session's sparsity: its channels are marked.
    """

    mode: str
    gain: float
    show_std: bool
    channel_count: int
    waveform_count: int
    pitch: Pitch | None
    sparsity: Any = None

    def sparsity_channels(self, unit_id) -> frozenset:
        """``unit_id``'s channels in the sparsity (empty without one, or for a unit it lacks)."""
        sparsity = self.sparsity
        if sparsity is None:
            return frozenset()
        units = sparsity.unit_ids.tolist()
        if unit_id not in units:
            return frozenset()
        return frozenset(sparsity.channel_ids[sparsity.mask[units.index(unit_id)]].tolist())


@dataclass(frozen=True, eq=False)
class Curve:
    """Pieces drawn as one path: ``x``/``y`` with a NaN after each piece, and their path."""

    x: np.ndarray
    y: np.ndarray
    path: QPainterPath
    rect: QRectF

    @classmethod
    def of(cls, x: np.ndarray, y: np.ndarray) -> Curve:
        """One curve for many pieces: each row of ``x``/``y`` (last axis: samples) is one piece.

        The path is the one pyqtgraph's `PlotCurveItem` builds for these arrays with
        ``connect="finite"``.
        """
        x = np.asarray(x, dtype="float64")
        y = np.asarray(y, dtype="float64")
        if y.size == 0:
            return cls(np.empty(0), np.empty(0), QPainterPath(), QRectF())
        gap = np.full(y.shape[:-1] + (1,), np.nan)
        x = np.concatenate([np.broadcast_to(x, y.shape), gap], axis=-1).ravel()
        y = np.concatenate([y, gap], axis=-1).ravel()
        path = pg.functions.arrayToQPath(x, y, connect="finite")
        return cls(x, y, path, path.controlPointRect())


@dataclass(frozen=True, eq=False)
class UnitDrawing:
    """One unit's finished geometry.

    Attributes
    ----------
    data : UnitWaveforms
        What it was drawn from.
    inputs : tuple
        The unit's share of the settings (channels, sparsity, band, waveform count, mode).
    channels : dict
        ``{channel id: (x, y)}`` of the mean on each channel drawn.
    marked : frozenset
        Channels drawn as part of the unit's sparsity.
    mean, outside, waveforms : Curve
        The mean on the sparsity channels (all, without a sparsity), the mean off them, and
        the individual waveforms.
    band : QPainterPath
        The ± std outlines (empty when hidden or unknown).
    band_rect : QRectF
    waveform_count : int
    low, high : float
        Lowest and highest value drawn (view coordinates).
    """

    data: UnitWaveforms
    inputs: tuple
    channels: dict
    marked: frozenset
    mean: Curve
    outside: Curve
    waveforms: Curve
    band: QPainterPath
    band_rect: QRectF
    waveform_count: int
    low: float
    high: float


@dataclass(frozen=True, eq=False)
class TemplateDrawing:
    """Everything the view draws for one request.

    Attributes
    ----------
    settings : DrawSettings
    units : list of UnitWaveforms
        In selection order.
    placement : Placement
    unit_drawings : dict
        ``{unit id: UnitDrawing}``.
    t_first, t_last : float
        Time of the first and last sample (ms).
    scaled : bool
        Values in µV (else raw).
    boxes : QPainterPath
        The first unit's sparsity channels' boxes.
    bars : ScaleBars
    extent : QRectF
        The drawn windows and curves (not the scale bars' labels).
    """

    settings: DrawSettings
    units: list
    placement: Placement
    unit_drawings: dict
    t_first: float
    t_last: float
    scaled: bool
    boxes: QPainterPath
    bars: ScaleBars
    extent: QRectF = field(default_factory=QRectF)


def plan_drawing(
    layout: ChannelLayout,
    units: list[UnitWaveforms],
    settings: DrawSettings,
    previous: TemplateDrawing | None = None,
) -> TemplateDrawing:
    """The drawing of ``units`` (at least one) with ``settings``.

    Parameters
    ----------
    layout : ChannelLayout
        Positions of the channels (the waveform source's).
    units : list of UnitWaveforms
    settings : DrawSettings
    previous : TemplateDrawing or None
        The drawing on display: units drawn the same way keep their `UnitDrawing`.
    """
    if not units:
        raise ValueError("units must hold at least one unit to draw")
    if settings.mode == "probe" and settings.pitch is None:
        raise ValueError("settings.pitch is needed to draw on the probe layout")
    own = {unit.unit_id: _unit_channels(layout, unit, settings) for unit in units}
    wanted = set().union(*own.values())
    channels = np.array([c for c in layout.channel_ids.tolist() if c in wanted])
    times = units[0].times_ms()
    t_first, t_last = float(times[0]), float(times[-1])
    largest = max(_peak_to_peak(u, own[u.unit_id]) for u in units)
    if settings.mode == "probe":
        placement = probe_placement(
            layout, channels, settings.pitch, t_first, t_last, largest, settings.gain
        )
    else:
        placement = flat_placement(layout, channels, t_first, t_last, largest)
    if previous is not None and same_placement(previous.placement, placement):
        placement = previous.placement  # one object: the view compares placements by identity
        kept = previous.unit_drawings
    else:
        kept = {}
    drawings = {}
    for unit in units:
        inputs = (
            frozenset(own[unit.unit_id]),
            settings.sparsity_channels(unit.unit_id),
            settings.show_std,
            settings.waveform_count,
            settings.mode,
        )
        old = kept.get(unit.unit_id)
        if old is not None and old.data is unit and old.inputs == inputs:
            drawings[unit.unit_id] = old
        else:
            drawings[unit.unit_id] = _unit_drawing(unit, inputs, placement, settings)
    low = min(d.low for d in drawings.values())
    high = max(d.high for d in drawings.values())
    first = drawings[units[0].unit_id]
    bars = ScaleBars(settings.mode, placement, t_first, t_last, units[0].scaled, low)
    left, bottom, right, top = placement.bounds(t_first, t_last)
    if settings.mode == "flat":
        bottom, top = low, high
    else:
        bottom, top = min(bottom, low), max(top, high)
    return TemplateDrawing(
        settings=settings,
        units=list(units),
        placement=placement,
        unit_drawings=drawings,
        t_first=t_first,
        t_last=t_last,
        scaled=units[0].scaled,
        boxes=_sparsity_boxes(first.marked, placement, settings.mode, t_first, t_last),
        bars=bars,
        extent=QRectF(left, bottom, right - left, top - bottom),
    )


def same_placement(a: Placement, b: Placement) -> bool:
    """Whether two placements put every channel at the same place at the same scale."""
    return (
        a.x_per_ms == b.x_per_ms
        and a.y_per_value == b.y_per_value
        and a.box_width == b.box_width
        and a.row_height == b.row_height
        and a.breaks == b.breaks
        and np.array_equal(a.channel_ids, b.channel_ids)
        and np.array_equal(a.x0, b.x0)
        and np.array_equal(a.y0, b.y0)
        and (a.depths is None) == (b.depths is None)
        and (a.depths is None or np.array_equal(a.depths, b.depths))
    )


def _unit_channels(layout: ChannelLayout, unit: UnitWaveforms, settings: DrawSettings) -> set:
    """The channels a unit is drawn on: those nearest its extremum, and its sparsity.

    Flattened, a unit with a sparsity is drawn on its sparsity only (side by side, every
    channel takes width).
    """
    with_data = set(unit.channel_ids.tolist())
    sparse = {c for c in settings.sparsity_channels(unit.unit_id) if c in with_data}
    if settings.mode == "flat" and sparse:
        return sparse
    nearest = layout.nearest(
        unit.extremum_channel_id(), settings.channel_count, among=unit.channel_ids
    )
    return set(nearest.tolist()) | sparse


def _peak_to_peak(unit: UnitWaveforms, channels: set) -> float:
    columns = np.isin(unit.channel_ids, np.array(list(channels)))
    if not columns.any():
        return 0.0
    template = unit.template[:, columns]
    return float(np.max(template.max(axis=0) - template.min(axis=0)))


def _unit_drawing(
    unit: UnitWaveforms, inputs: tuple, placement: Placement, settings: DrawSettings
) -> UnitDrawing:
    own, sparse = inputs[0], inputs[1]
    index = placement.index()
    columns = {c: i for i, c in enumerate(unit.channel_ids.tolist())}
    on = [c for c in columns if c in own]
    data_columns = np.array([columns[c] for c in on], dtype="int64")
    positions = np.array([index[c] for c in on], dtype="int64")
    inside = np.array([not sparse or c in sparse for c in on], dtype=bool)
    times = unit.times_ms()
    template = unit.template[:, data_columns]
    x, y = placement.xy(times, template, positions)
    low, high = float(y.min()), float(y.max())
    std = unit.std[:, data_columns]
    band, band_rect = QPainterPath(), QRectF()
    if settings.show_std and np.isfinite(std).all():
        _, upper = placement.xy(times, template + std, positions)
        _, lower = placement.xy(times, template - std, positions)
        band = band_path(x, upper, lower)
        band_rect = band.controlPointRect()
        low, high = min(low, float(lower.min())), max(high, float(upper.max()))
    waveforms, count = _waveforms(unit, placement, own, settings.waveform_count)
    return UnitDrawing(
        data=unit,
        inputs=inputs,
        channels=dict(zip(on, zip(x, y))),
        marked=frozenset(c for c in on if c in sparse),
        mean=Curve.of(x[inside], y[inside]),
        outside=Curve.of(x[~inside], y[~inside]),
        waveforms=waveforms,
        band=band,
        band_rect=band_rect,
        waveform_count=count,
        low=low,
        high=high,
    )


def _waveforms(unit: UnitWaveforms, placement: Placement, own: frozenset, wanted: int):
    count = min(int(wanted), unit.waveforms.shape[0])
    index = placement.index()
    columns = {c: i for i, c in enumerate(unit.waveform_channel_ids.tolist()) if c in own}
    on = list(columns)
    if count == 0 or not on:
        return Curve.of(np.empty((0, 0)), np.empty((0, 0))), 0
    positions = np.array([index[c] for c in on], dtype="int64")
    columns = np.array([columns[c] for c in on], dtype="int64")
    values = unit.waveforms[:count][:, :, columns]
    x, y = placement.xy(unit.times_ms(), values, positions)
    return Curve.of(x, y), count


def _sparsity_boxes(
    marked: frozenset, placement: Placement, mode: str, t_first: float, t_last: float
) -> QPainterPath:
    path = QPainterPath()
    index = placement.index()
    half = 0.5 * placement.row_height
    width = (t_last - t_first) * placement.x_per_ms
    for channel in marked:
        i = index[channel]
        left = placement.x0[i] + t_first * placement.x_per_ms
        if mode == "probe":
            path.addRect(QRectF(left, placement.y0[i] - half, width, 2 * half))
        else:
            span = 2 * placement.row_height
            path.addRect(QRectF(left, -span, width, 2 * span))
    return path
