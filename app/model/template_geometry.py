"""Where the templates view draws each channel's window (no Qt).

On the probe layout every channel's window sits at its contact's position: time runs across a
box a little narrower than the distance to the next contact of the same row, and values are
scaled so that the largest template spans about two rows, as in phy's waveform view. Gaps
between the drawn channels wider than a few rows are shortened (units far apart on a long probe
stay readable; the depth axis keeps the true depths). Flattened, the channels' windows are laid
side by side in depth order on a common value axis.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from app.model.waveform_source import ChannelLayout

#: Share of the contact pitch a window's box takes across.
BOX_FILL = 0.9
#: Rows the largest template spans at gain 1.
ROWS_PER_LARGEST = 2.0
#: Gap between flattened windows, as a share of a window.
FLAT_GAP = 0.15
#: Two coordinates closer than this (µm) are the same row or column.
SAME_POSITION_UM = 0.5


@dataclass(frozen=True)
class Pitch:
    """Spacing of the contacts (µm): across a row (``x``) and between rows (``y``)."""

    x: float
    y: float


def contact_pitch(layout: ChannelLayout) -> Pitch:
    """The smallest spacing between contacts of a group, across a row and between rows.

    A probe with one contact per row (a single column, or a zigzag) uses the smallest spacing
    between its columns; a single column spans one and a half rows across.
    """
    locations, groups = layout.locations, layout.groups
    ys, same_row, columns = [], [], []
    for group in np.unique(groups):
        points = locations[groups == group]
        y_values = _distinct(points[:, 1])
        ys.extend(np.diff(y_values).tolist())
        columns.extend(np.diff(_distinct(points[:, 0])).tolist())
        rows = np.round(points[:, 1] / SAME_POSITION_UM)
        for row in np.unique(rows):
            same_row.extend(np.diff(_distinct(points[rows == row, 0])).tolist())
    pitch_y = min(ys) if ys else 20.0
    if same_row:
        pitch_x = min(same_row)
    elif columns:
        pitch_x = min(columns)
    else:
        pitch_x = 1.5 * pitch_y
    return Pitch(float(pitch_x), float(pitch_y))


def _distinct(values: np.ndarray) -> np.ndarray:
    values = np.sort(np.asarray(values, dtype="float64"))
    if values.size < 2:
        return values
    return values[np.concatenate([[True], np.diff(values) > SAME_POSITION_UM])]


#: On the probe layout, a gap wider than this many rows (or boxes across) between drawn channels
#: is shortened to it, so that units far apart on the probe are drawn at a readable scale.
MAX_GAP_ROWS = 2.5


def compress_gaps(values: np.ndarray, max_step: float) -> tuple[np.ndarray, list]:
    """``values`` with every gap between consecutive distinct values cut to ``max_step``.

    Returns
    -------
    mapped : np.ndarray
        The new positions (the lowest value stays where it is).
    breaks : list of float
        Mapped positions in the middle of each shortened gap.
    """
    values = np.asarray(values, dtype="float64")
    if values.size == 0:
        return values, []
    distinct = _distinct(values)
    steps = np.diff(distinct)
    short = np.minimum(steps, max_step)
    mapped_distinct = distinct[0] + np.concatenate([[0.0], np.cumsum(short)])
    breaks = [float(mapped_distinct[i] + short[i] / 2) for i in np.flatnonzero(steps > max_step)]
    nearest = np.clip(np.searchsorted(distinct, values - SAME_POSITION_UM), 0, distinct.size - 1)
    return mapped_distinct[nearest] + (values - distinct[nearest]), breaks


@dataclass(frozen=True)
class Placement:
    """Where each channel's window is drawn: ``x = x0 + t_ms * x_per_ms``,
    ``y = y0 + value * y_per_value``.

    Attributes
    ----------
    channel_ids : np.ndarray
        The channels placed, in drawing order.
    x0, y0 : np.ndarray
        Per channel: where time 0 (the spike) and value 0 fall.
    depths : np.ndarray or None
        Per channel: its true depth (µm) when ``y0`` was moved to shorten gaps, else None.
    breaks : tuple of float
        ``y`` of the middle of each shortened gap.
    x_per_ms, y_per_value : float
    box_width : float
        Width of one window.
    row_height : float
        Vertical distance between neighbouring rows (probe) or the value span (flat).
    """

    channel_ids: np.ndarray
    x0: np.ndarray
    y0: np.ndarray
    x_per_ms: float
    y_per_value: float
    box_width: float
    row_height: float
    depths: np.ndarray | None = None
    breaks: tuple = ()

    def index(self) -> dict:
        """Position of each channel id in the placement."""
        return {c: i for i, c in enumerate(self.channel_ids.tolist())}

    def xy(self, times_ms: np.ndarray, values: np.ndarray, positions: np.ndarray):
        """Screen-free coordinates of ``values`` drawn on the channels at ``positions``.

        Parameters
        ----------
        times_ms : np.ndarray
            ``(num_samples,)``.
        values : np.ndarray
            ``(..., num_samples, len(positions))``.
        positions : np.ndarray
            Indices into ``channel_ids`` of the columns of ``values``.

        Returns
        -------
        x, y : np.ndarray
            ``(..., len(positions), num_samples)``.
        """
        values = np.moveaxis(np.asarray(values, dtype="float64"), -1, -2)
        x = self.x0[positions][:, None] + times_ms[None, :] * self.x_per_ms
        y = self.y0[positions][:, None] + values * self.y_per_value
        return np.broadcast_to(x, y.shape), y

    def channel_at(self, x: float, y: float, centre_ms: float, flat: bool):
        """The channel whose window holds ``(x, y)`` (nearest centre first), or None.

        Parameters
        ----------
        x, y : float
            A point in drawing coordinates.
        centre_ms : float
            Time at the middle of the windows (ms).
        flat : bool
            Windows side by side (`flat_placement`): only ``x`` counts.
        """
        dx = np.abs(x - (self.x0 + centre_ms * self.x_per_ms)) / self.box_width
        if flat:
            inside = dx <= 0.5 * (1 + FLAT_GAP)
            distance = dx
        else:
            dy = np.abs(y - self.y0) / self.row_height
            inside = (dx <= 0.5) & (dy <= 0.5)
            distance = np.hypot(dx, dy)
        if not inside.any():
            return None
        best = np.flatnonzero(inside)[np.argmin(distance[inside])]
        return self.channel_ids[best].item()

    def bounds(self, t_first: float, t_last: float) -> tuple[float, float, float, float]:
        """``(left, bottom, right, top)`` of the boxes of every channel."""
        left = float(np.min(self.x0) + t_first * self.x_per_ms)
        right = float(np.max(self.x0) + t_last * self.x_per_ms)
        bottom = float(np.min(self.y0) - self.row_height)
        top = float(np.max(self.y0) + self.row_height)
        return left, bottom, right, top


def probe_placement(
    layout: ChannelLayout,
    channel_ids,
    pitch: Pitch,
    t_first: float,
    t_last: float,
    largest_peak_to_peak: float,
    gain: float = 1.0,
) -> Placement:
    """Each channel's window centred on its contact (µm).

    Parameters
    ----------
    layout : ChannelLayout
    channel_ids : sequence
        Channels to place.
    pitch : Pitch
        From `contact_pitch`.
    t_first, t_last : float
        Time of the first and last sample, in ms.
    largest_peak_to_peak : float
        Of the templates drawn: it spans `ROWS_PER_LARGEST` rows at ``gain`` 1.
    gain : float, default: 1.0
        Multiplies the vertical scale.
    """
    channel_ids = np.asarray(channel_ids)
    positions = layout.locations[layout.indices(channel_ids)]
    span = max(t_last - t_first, 1e-9)
    box = BOX_FILL * pitch.x
    x_per_ms = box / span
    centre = 0.5 * (t_first + t_last)
    peak_to_peak = largest_peak_to_peak if largest_peak_to_peak > 0 else 1.0
    xs, _ = compress_gaps(positions[:, 0], MAX_GAP_ROWS * pitch.x)
    ys, breaks = compress_gaps(positions[:, 1], MAX_GAP_ROWS * pitch.y)
    return Placement(
        channel_ids=channel_ids,
        x0=xs - centre * x_per_ms,
        y0=ys,
        x_per_ms=x_per_ms,
        y_per_value=gain * ROWS_PER_LARGEST * pitch.y / peak_to_peak,
        box_width=box,
        row_height=pitch.y,
        depths=positions[:, 1].astype("float64") if breaks else None,
        breaks=tuple(breaks),
    )


def flat_placement(
    layout: ChannelLayout, channel_ids, t_first: float, t_last: float, value_span: float
) -> Placement:
    """Each channel's window side by side, ordered by depth then across (x in ms, y in values).

    ``channel_ids`` are reordered; ``value_span`` is the height of the drawing.
    """
    channel_ids = np.asarray(channel_ids)
    positions = layout.locations[layout.indices(channel_ids)]
    order = np.lexsort((positions[:, 0], positions[:, 1]))
    channel_ids = channel_ids[order]
    span = max(t_last - t_first, 1e-9)
    step = span * (1.0 + FLAT_GAP)
    return Placement(
        channel_ids=channel_ids,
        x0=np.arange(channel_ids.size) * step - t_first,
        y0=np.zeros(channel_ids.size),
        x_per_ms=1.0,
        y_per_value=1.0,
        box_width=span,
        row_height=max(float(value_span) / 2, 1e-9),
    )


def nice_length(limit: float) -> float:
    """The largest 1, 2 or 5 × 10^k not above ``limit`` (``limit`` > 0)."""
    if not limit > 0 or not math.isfinite(limit):
        return 1.0
    power = 10.0 ** math.floor(math.log10(limit))
    for factor in (5.0, 2.0, 1.0):
        if factor * power <= limit * (1 + 1e-9):
            return factor * power
    return power
