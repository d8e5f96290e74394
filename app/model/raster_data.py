"""Rasters without Qt: spikes of a time window painted into pixels, and a whole-segment overview.

`SpikeIndex` keeps the sorting's spike vector split by segment, so that the spikes of a window
are two ``searchsorted`` away. `paint_raster` draws them as ticks, one row per unit, straight
into a premultiplied ARGB32 pixel array the size of the plot on screen: no per-unit items and
no Python loop over spikes, so a window of tens of thousands of spikes among 10 M draws in
milliseconds. `OverviewCounts` bins every spike of a segment by unit and time once; the
overview image (spikes by depth over the whole segment) is summed from it for the visible units.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass

import numpy as np

#: Time bins of the whole-segment overview.
OVERVIEW_BINS = 1500
#: Shortest time bin of the overview, in seconds.
MIN_BIN_S = 0.5
#: Most depth bins of the overview (when unit depths are known).
OVERVIEW_DEPTH_BINS = 64
#: Thinnest depth bin of the overview, in µm.
MIN_DEPTH_BIN_UM = 10.0
#: Spikes binned per step when building the overview (a few ms of work each).
CHUNK_SPIKES = 500_000
#: Alpha (0-255) of units that are not selected while some are.
DIMMED_ALPHA = 70


class SpikeIndex:
    """The spikes of a sorting by segment: ``(sample_index, unit_index)`` in time order.

    A curated sorting (`core.curation.CuratedSorting`) is indexed on its base sorting's spikes
    and their units' slots (`CuratedSorting.base_spike_slots`: patched, after a curation
    action, for the units it made only); a window's unit indices are looked up through the
    curation's ``slot -> unit index`` table. The spike times of an index of the same base
    (``previous``) are shared.

    Parameters
    ----------
    sorting : BaseSorting
        Its spike vector (or its base's) is computed (and cached by the sorting) here: build
        this off the GUI thread for large sortings.
    previous : SpikeIndex or None
        An index of another curation of the same base sorting, to share its spike times.
    """

    def __init__(self, sorting, previous: SpikeIndex | None = None) -> None:
        self.sorting = sorting
        self.unit_ids = sorting.unit_ids
        base = curation_base(sorting)
        self.base = base
        self._table: np.ndarray | None = None  # slot -> unit index (curated sortings)
        if base is None:
            segments = sorting.to_spike_vector(concatenated=False)
            self._samples = [_contiguous(s["sample_index"]) for s in segments]
            self._units = [_contiguous(s["unit_index"]) for s in segments]
            self._removed = False
            return
        if previous is not None and base in (previous.base, previous.sorting):
            self._samples = previous._samples
        else:
            segments = base.to_spike_vector(concatenated=False)
            self._samples = [_contiguous(s["sample_index"]) for s in segments]
        slots = sorting.base_spike_slots()
        offsets = np.cumsum([0, *(s.size for s in self._samples)])
        self._units = [slots.slots[a:b] for a, b in zip(offsets[:-1], offsets[1:], strict=True)]
        self._table = slots.unit_index_of_slot
        self._removed = sorting.count_total_num_spikes() < int(offsets[-1])

    def same_spikes(self, sorting) -> bool:
        """Whether ``sorting`` is a curation with this index's units and spikes (a label
        changed at most)."""
        return self.base is not None and self.sorting.same_spikes_as(sorting)

    def for_sorting(self, sorting) -> SpikeIndex:
        """This index, for ``sorting`` with the same units and spikes (see `same_spikes`)."""
        index = copy.copy(self)
        index.sorting, index.unit_ids = sorting, sorting.unit_ids
        return index

    @property
    def num_segments(self) -> int:
        """Segments of the sorting."""
        return len(self._samples)

    def window(self, segment_index: int, start_frame: int, end_frame: int):
        """``(sample_index, unit_index)`` of the spikes in ``[start_frame, end_frame)``."""
        samples = self._samples[segment_index]
        first, last = np.searchsorted(samples, [start_frame, end_frame], side="left")
        samples, units = samples[first:last], self._units[segment_index][first:last]
        if self._table is not None:
            units = self._table[units]
        if self._removed:
            held = units >= 0
            samples, units = samples[held], units[held]
        return samples, units

    def segment(self, segment_index: int):
        """``(sample_index, unit_index)`` of every spike of a segment (unit index -1: a spike
        the curation removed)."""
        units = self._units[segment_index]
        if self._table is not None:
            units = self._table[units]
        return self._samples[segment_index], units

    def unit_spikes(self, unit_id, segment_index: int) -> np.ndarray:
        """Sample indices of one unit's spikes in a segment."""
        return self.sorting.get_unit_spike_train(unit_id, segment_index=segment_index)


def curation_base(sorting):
    """The base sorting of a curated sorting (None for any other sorting)."""
    from core.curation import CuratedSorting

    return sorting.base_sorting if isinstance(sorting, CuratedSorting) else None


def _contiguous(field: np.ndarray) -> np.ndarray:
    """A contiguous copy of a field of the spike vector, copied in slices: a strided copy (of a
    memory-mapped file, say) holds the GIL, and the GUI thread must not wait for it long."""
    out = np.empty(field.shape, dtype=field.dtype)
    for first in range(0, field.size, CHUNK_SPIKES):
        out[first : first + CHUNK_SPIKES] = field[first : first + CHUNK_SPIKES]
    return out


@dataclass(frozen=True)
class RasterStyle:
    """How a raster is painted.

    Attributes
    ----------
    row_of_unit : np.ndarray
        Row (0 at the top) of each unit index of the sorting; -1: not drawn (hidden).
    num_rows : int
    colors : np.ndarray
        ``(num_units, 4)`` uint8 RGBA of each unit index.
    selected : np.ndarray
        Bool per unit index: drawn on top, full colour, over a highlighted row; the others
        are dimmed while any unit is selected.
    highlight : tuple of int
        RGBA of the highlighted rows' background.
    """

    row_of_unit: np.ndarray
    num_rows: int
    colors: np.ndarray
    selected: np.ndarray
    highlight: tuple[int, int, int, int] = (255, 140, 0, 40)


def row_bounds(num_rows: int, height: int) -> tuple[np.ndarray, np.ndarray]:
    """Pixel span ``[top, bottom)`` of each row in a plot ``height`` pixels high (>= 1 pixel)."""
    edges = np.floor(np.arange(num_rows + 1) * (height / max(num_rows, 1))).astype(int)
    top = np.minimum(edges[:-1], height - 1)
    bottom = np.maximum(edges[1:], top + 1)
    return top, bottom


def tick_spans(num_rows: int, height: int) -> tuple[np.ndarray, np.ndarray]:
    """Pixel span of the tick in each row: the row minus a margin once rows are 4 px or more."""
    top, bottom = row_bounds(num_rows, height)
    margin = np.where(bottom - top >= 4, np.maximum((bottom - top) // 6, 1), 0)
    return top + margin, bottom - margin


def paint_raster(
    samples: np.ndarray,
    units: np.ndarray,
    start_frame: int,
    end_frame: int,
    width: int,
    height: int,
    style: RasterStyle,
    tick_width: int = 2,
) -> np.ndarray:
    """Spikes as vertical ticks in ``(height, width)`` premultiplied ARGB32 pixels.

    Parameters
    ----------
    samples, units : np.ndarray
        The window's spikes (see `SpikeIndex.window`).
    start_frame, end_frame : int
        The window: its first frame is the left edge of pixel column 0.
    width, height : int
        Pixel size of the plot.
    style : RasterStyle
    tick_width : int, default: 2
        Pixel width of a tick.

    Returns
    -------
    np.ndarray
        uint32 ``(height, width)``, top row first; transparent where nothing is drawn.
    """
    pixels = np.zeros((height, width), dtype=np.uint32)
    if style.num_rows == 0 or width < 1 or height < 1:
        return pixels
    any_selected = bool(style.selected.any())
    if any_selected:
        rows = np.unique(style.row_of_unit[style.selected & (style.row_of_unit >= 0)])
        top, bottom = row_bounds(style.num_rows, height)
        band = _premultiplied(np.asarray([style.highlight], dtype=np.uint8))[0]
        for row in rows.tolist():  # selected rows only: a handful
            pixels[top[row] : bottom[row]] = band
    rows = style.row_of_unit[units]
    drawn = rows >= 0
    samples, units, rows = samples[drawn], units[drawn], rows[drawn]
    columns = ((samples - start_frame) * (width / max(end_frame - start_frame, 1))).astype(int)
    inside = (columns >= 0) & (columns < width)
    columns, units, rows = columns[inside], units[inside], rows[inside]
    colors = style.colors.copy()
    if any_selected:
        colors[~style.selected, 3] = DIMMED_ALPHA
    argb = _premultiplied(colors)
    # the selected units last, so that they are on top
    order = np.argsort(style.selected[units], kind="stable") if any_selected else slice(None)
    columns, units, rows = columns[order], units[order], rows[order]
    tick_top, tick_bottom = tick_spans(style.num_rows, height)
    heights = tick_bottom[rows] - tick_top[rows]
    total = int(heights.sum())
    if total == 0:
        return pixels
    # one entry per painted pixel: spike k covers rows tick_top .. tick_bottom - 1
    spike_of_pixel = np.repeat(np.arange(rows.size), heights)
    first_pixel = np.cumsum(heights) - heights
    y = tick_top[rows][spike_of_pixel] + (np.arange(total) - first_pixel[spike_of_pixel])
    x = columns[spike_of_pixel]
    values = argb[units[spike_of_pixel]]
    if tick_width > 1:  # wider ticks, each spike's pixels still written in spike order
        y = np.repeat(y, tick_width)
        values = np.repeat(values, tick_width)
        x = np.minimum((x[:, None] + np.arange(tick_width)).ravel(), width - 1)
    pixels[y, x] = values
    return pixels


def _premultiplied(rgba: np.ndarray) -> np.ndarray:
    """uint8 RGBA rows as premultiplied ARGB32 (uint32)."""
    rgba = np.asarray(rgba, dtype=np.uint32)
    alpha = rgba[:, 3]
    red, green, blue = (rgba[:, i] * alpha // 255 for i in range(3))
    return (alpha << 24) | (red << 16) | (green << 8) | blue


def spike_at(
    samples: np.ndarray,
    units: np.ndarray,
    row_of_unit: np.ndarray,
    row: int,
    frame: float,
    tolerance_frames: float,
):
    """Index (into ``samples``) of the spike of row ``row`` nearest ``frame``, or None when
    none lies within ``tolerance_frames``."""
    in_row = np.flatnonzero(row_of_unit[units] == row)
    if in_row.size == 0:
        return None
    distance = np.abs(samples[in_row].astype("float64") - frame)
    nearest = int(np.argmin(distance))
    return int(in_row[nearest]) if distance[nearest] <= tolerance_frames else None


class OverviewCounts:
    """Spikes of every unit in each time bin of one segment (binned once per sorting).

    Parameters
    ----------
    samples, units : np.ndarray
        Every spike of the segment (see `SpikeIndex.segment`).
    num_units : int
    num_samples : int
        Samples of the segment.
    num_bins : int, default: OVERVIEW_BINS
        Fewer for short segments (bins of at least `MIN_BIN_S`).
    sampling_frequency : float, default: 30000.0

    Attributes
    ----------
    counts : np.ndarray
        ``(num_units, num_bins)`` int32.
    bin_samples : float
        Samples per bin.
    """

    def __init__(
        self,
        samples: np.ndarray,
        units: np.ndarray,
        num_units: int,
        num_samples: int,
        num_bins: int = OVERVIEW_BINS,
        sampling_frequency: float = 30_000.0,
    ) -> None:
        shortest = max(int(MIN_BIN_S * sampling_frequency), 1)
        num_bins = int(max(1, min(num_bins, num_samples // shortest)))
        self.num_samples = int(num_samples)
        self.bin_samples = max(num_samples, 1) / num_bins
        flat = np.zeros(num_units * num_bins, dtype=np.int64)
        # in slices: np.bincount holds the GIL, and the GUI thread must not wait for it long
        for first in range(0, samples.size, CHUNK_SPIKES):
            chunk = slice(first, first + CHUNK_SPIKES)
            bins = np.minimum((samples[chunk] / self.bin_samples).astype(np.int64), num_bins - 1)
            keys = units[chunk].astype(np.int64) * num_bins + bins
            if keys.size and keys.min() < 0:  # spikes a curation removed
                keys = keys[units[chunk] >= 0]
            flat += np.bincount(keys, minlength=flat.size)[: flat.size]
        self.counts = flat.reshape(num_units, num_bins).astype(np.int32)

    def follow_curation(self, previous_ids: list, index: SpikeIndex, segment_index: int):
        """The counts of ``index``'s units, copied from these (of units ``previous_ids``) for
        the units that kept their id, counted from their spikes for the new ones (a curation
        never gives another unit's id to new spikes). Returns a new `OverviewCounts`."""
        position = {u: i for i, u in enumerate(previous_ids)}
        unit_ids = index.unit_ids.tolist()
        counts = np.zeros((len(unit_ids), self.num_bins), dtype=np.int32)
        kept = [(row, position[u]) for row, u in enumerate(unit_ids) if u in position]
        if kept:  # one gather for the units that kept their id (no loop of row copies)
            rows, previous_rows = np.array(kept, dtype=np.int64).T
            counts[rows] = self.counts[previous_rows]
        for row, unit_id in enumerate(unit_ids):
            if unit_id not in position:
                samples = index.unit_spikes(unit_id, segment_index)
                bins = np.minimum((samples / self.bin_samples).astype(np.int64), self.num_bins - 1)
                counts[row] = np.bincount(bins, minlength=self.num_bins)[: self.num_bins]
        followed = OverviewCounts.__new__(OverviewCounts)
        followed.num_samples, followed.bin_samples = self.num_samples, self.bin_samples
        followed.counts = counts
        return followed

    @property
    def num_bins(self) -> int:
        """Time bins."""
        return self.counts.shape[1]

    def image(self, position_of_unit: np.ndarray, num_positions: int) -> np.ndarray:
        """``(num_positions, num_bins)`` spike counts summed by each unit's position (its
        depth bin or row); units at position -1 (hidden) are left out."""
        num_positions = max(num_positions, 1)
        image = np.zeros((num_positions, self.num_bins), dtype=np.float32)
        drawn = np.flatnonzero(position_of_unit >= 0)
        if drawn.size == 0:
            return image
        # the drawn units' rows grouped by position, each group summed along its rows (no
        # BLAS call: its threads crawl on a busy machine); a sum per group is 5x faster than
        # one np.add.reduceat over the rows, whose columns it walks with a stride
        order = drawn[np.argsort(position_of_unit[drawn], kind="stable")]
        positions = position_of_unit[order]
        if positions.size < 2 or bool(np.all(positions[1:] != positions[:-1])):
            # one unit per position (rows mode): each row as it is, in one assignment
            image[positions] = self.counts[order]
            return image
        starts = np.flatnonzero(np.r_[True, positions[1:] != positions[:-1]])
        ends = np.r_[starts[1:], positions.size]
        rows = self.counts[order]
        for start, end in zip(starts.tolist(), ends.tolist(), strict=True):
            image[positions[start]] = rows[start:end].sum(axis=0, dtype=np.int64)
        return image


def overview_picture(
    overview: OverviewCounts, position_of_unit: np.ndarray, num_positions: int
) -> tuple[np.ndarray, float]:
    """What the overview shows: ``log1p`` of `OverviewCounts.image`, and the top of its colour
    levels (the 99th percentile of the non-zero bins: the busiest bins saturate, the rest keeps
    contrast). Some milliseconds of numpy for hundreds of units: computed off the GUI thread.

    Returns
    -------
    shown : np.ndarray
        ``(num_positions, num_bins)`` float32.
    top : float
        Upper colour level (> 0).
    """
    shown = np.log1p(overview.image(position_of_unit, num_positions))
    nonzero = shown[shown > 0]
    top = float(np.percentile(nonzero, 99)) if nonzero.size else 1.0
    return shown, max(top, 1e-6)


def depth_positions(depths: np.ndarray, visible: np.ndarray, num_bins: int = OVERVIEW_DEPTH_BINS):
    """Depth bin of each unit for the overview.

    Parameters
    ----------
    depths : np.ndarray
        Depth (µm) per unit index; NaN when unknown.
    visible : np.ndarray
        Bool per unit index.
    num_bins : int
        At most this many bins, each at least `MIN_DEPTH_BIN_UM` thick.

    Returns
    -------
    positions : np.ndarray
        Bin per unit index (-1: hidden or unknown depth), bin 0 at the lowest y (the probe's
        tip end).
    extent : tuple of float
        ``(low, high)`` depths the bins span.
    num_bins : int
        Bins used.
    """
    known = visible & np.isfinite(depths)
    positions = np.full(depths.shape, -1, dtype=np.int64)
    if not known.any():
        return positions, (0.0, 1.0), 1
    low, high = float(depths[known].min()), float(depths[known].max())
    if high - low < 1e-9:
        low, high = low - MIN_DEPTH_BIN_UM, high + MIN_DEPTH_BIN_UM
    num_bins = int(min(num_bins, max(1, np.ceil((high - low) / MIN_DEPTH_BIN_UM))))
    pitch = (high - low) / num_bins
    low, high = low - pitch / 2, high + pitch / 2  # bins centred on the extreme units
    positions[known] = np.minimum(
        ((depths[known] - low) / (high - low) * num_bins).astype(np.int64), num_bins - 1
    )
    return positions, (low, high), num_bins
