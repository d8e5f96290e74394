"""Activity by depth over a whole segment, from the display pyramid (no Qt).

The overview strip shows, for each channel (sorted by depth) and each stretch of time, the mean
peak-to-peak range of the traces in short bins (a few milliseconds): it grows with spikes and
noise, so active depths and quiet or broken channels stand out over hours. It is computed from the
finest pyramid level that is cheap enough to read whole (`MAX_READ_BYTES`), in slices, so memory
stays bounded.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from app.model.display_pyramid import DisplayPyramid

#: Most bytes of a level read to make an overview image.
MAX_READ_BYTES = 512 * 2**20
#: Bins shorter than this are not needed: the finest level used spans at least this long.
MIN_BIN_S = 0.005
#: Bins read per slice.
SLICE_BINS = 16_384


@dataclass(frozen=True)
class OverviewImage:
    """Activity of each channel over a segment.

    Attributes
    ----------
    values : np.ndarray
        ``(columns, channels)`` float32 mean range per bin (µV when scaled), channels in
        ``channel_order``.
    channel_order : np.ndarray
        Recording index of each column of ``values`` (`depth_order` unless given).
    column_frames : int
        Frames spanned by each column (the last may span fewer).
    num_samples : int
        Frames of the segment.
    level : int
        Pyramid level it was computed from.
    """

    values: np.ndarray
    channel_order: np.ndarray
    column_frames: int
    num_samples: int
    level: int

    def levels(self, low_percentile: float = 2.0, high_percentile: float = 98.0) -> tuple:
        """Colour levels: the given percentiles of the values (a constant image gets a span)."""
        finite = self.values[np.isfinite(self.values)]
        if finite.size == 0:
            return 0.0, 1.0
        low, high = np.percentile(finite, [low_percentile, high_percentile])
        return float(low), float(high) if high > low else float(low) + 1.0


def depth_order(recording) -> np.ndarray:
    """Recording channel indices from the deepest (smallest y, the probe tip) to the shallowest,
    as a plot with y upwards draws them; channel order when the recording has no locations."""
    locations = recording.get_property("location")
    if locations is None or np.asarray(locations).ndim != 2:
        return np.arange(recording.get_num_channels())
    locations = np.asarray(locations, dtype="float64")
    x = locations[:, 0]
    y = locations[:, 1] if locations.shape[1] > 1 else np.zeros(len(x))
    return np.lexsort((x, y))


def overview_level(pyramid: DisplayPyramid, segment_index: int, num_columns: int) -> int | None:
    """The level an overview of ``num_columns`` is made from: the finest with bins of at least
    `MIN_BIN_S` whose file is at most `MAX_READ_BYTES`, and no coarser than a column.

    Returns None when the segment has no levels.
    """
    layout = pyramid.layout(segment_index)
    if layout.num_levels == 0:
        return None
    sampling_frequency = pyramid.recording.get_sampling_frequency()
    frames_per_column = layout.num_samples / max(int(num_columns), 1)
    for level, factor in enumerate(layout.factors):
        if factor < MIN_BIN_S * sampling_frequency and level + 1 < layout.num_levels:
            continue
        if layout.level_bytes(level) <= MAX_READ_BYTES or factor >= frames_per_column:
            return level
    return layout.num_levels - 1


def compute_overview(
    pyramid: DisplayPyramid,
    segment_index: int,
    num_columns: int,
    channel_order: np.ndarray | None = None,
    return_scaled: bool = True,
    cancelled=None,
) -> OverviewImage:
    """The activity image of a segment: mean bin range per channel and column.

    Parameters
    ----------
    pyramid : DisplayPyramid
        A complete pyramid.
    segment_index : int
    num_columns : int
        Columns wanted (fewer when the level has fewer bins).
    channel_order : np.ndarray | None
        Recording channel indices, in the order of the image rows (default: `depth_order`).
    return_scaled : bool
        Multiply by the channels' absolute gains (µV) when the recording has them.
    cancelled : callable | None
        Polled between slices; the computation stops (returning None) once it returns True.

    Returns
    -------
    OverviewImage | None
        None when cancelled.

    Raises
    ------
    ValueError
        If the segment has no pyramid levels or ``num_columns < 1``.
    PyramidNotReady
        If the pyramid is not built.
    """
    if num_columns < 1:
        raise ValueError(f"num_columns must be >= 1, got {num_columns}")
    recording = pyramid.recording
    level = overview_level(pyramid, segment_index, num_columns)
    if level is None:
        raise ValueError(f"segment {segment_index} is too short to have an overview")
    layout = pyramid.layout(segment_index)
    order = depth_order(recording) if channel_order is None else np.asarray(channel_order)
    channel_ids = recording.channel_ids[order]
    num_bins = layout.num_bins(level)
    factor = layout.factors[level]
    group = max(1, -(-num_bins // int(num_columns)))
    count = -(-num_bins // group)
    sums = np.zeros((count, order.size), dtype="float64")
    step = max(group, (SLICE_BINS // group) * group)  # slices of whole columns
    for first in range(0, num_bins, step):
        if cancelled is not None and cancelled():
            return None
        stop = min(first + step, num_bins)
        lo, hi = pyramid.read(level, segment_index, first * factor, stop * factor, channel_ids)
        ranges = hi.astype("float32") - lo.astype("float32")
        first_column, whole = first // group, (stop - first) // group
        if whole:
            sums[first_column : first_column + whole] += (
                ranges[: whole * group].reshape(whole, group, order.size).sum(axis=1)
            )
        if whole * group < ranges.shape[0]:  # the last column, shorter
            sums[first_column + whole] += ranges[whole * group :].sum(axis=0)
    per_column = np.full(count, group, dtype="float64")
    per_column[-1] = num_bins - group * (count - 1)
    values = (sums / per_column[:, None]).astype("float32")
    if return_scaled and recording.has_scaled():
        values *= np.abs(recording.get_channel_gains()[order]).astype("float32")
    return OverviewImage(values, order, group * factor, layout.num_samples, level)
