"""Where the trace view marks spikes: on each unit's own channel, in the unit's colour (no Qt).

A unit's spikes are marked only on the channel ``session.unit_channel_ids`` gives it, so a unit
sits on the same channel whatever window, channel subset or view is on display; a unit whose
channel is not known yet (or is hidden) is not marked. `find_spike_marks` runs on the trace
fetcher's worker thread with a `SpikeMarkerStyle` snapshot taken on the GUI thread.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from app.model.decimation import span_rows

#: More spikes than this on screen are not marked (zoom in to see them).
MAX_SPIKE_MARKS = 20_000


class SpikeTrainIndex:
    """The spikes of a sorting by segment, with their samples in a contiguous array: built once,
    on first use (on the worker thread), and searched by every frame.

    A column of the structured spike vector is strided, and searching it copies it: tens of
    milliseconds per frame for millions of spikes.

    Parameters
    ----------
    sorting : BaseSorting
    """

    def __init__(self, sorting) -> None:
        self.sorting = sorting
        self._lock = threading.Lock()
        self._segments: list[tuple] | None = None

    def spikes_between(self, segment_index: int, start_frame: int, end_frame: int) -> np.ndarray:
        """The spikes of ``[start_frame, end_frame)`` in a segment (``sample_index`` and
        ``unit_index`` fields)."""
        with self._lock:
            if self._segments is None:
                self._segments = _indexed_segments(self.sorting)
        if segment_index >= len(self._segments):
            return np.empty(0, dtype=[("sample_index", "int64"), ("unit_index", "int64")])
        samples, units = self._segments[segment_index]
        first, last = np.searchsorted(samples, [start_frame, end_frame], side="left")
        if not isinstance(units, tuple):  # the sorting's own spike vector
            return units[first:last]
        offset, spike_slots = units  # a curated sorting's units, by base spike
        units = spike_slots.unit_indices(offset + first, offset + last)
        held = units >= 0  # -1: a spike the curation removed
        spikes = np.empty(
            int(held.sum()), dtype=[("sample_index", "int64"), ("unit_index", "int64")]
        )
        spikes["sample_index"] = samples[first:last][held]
        spikes["unit_index"] = units[held]
        return spikes


#: Contiguous spike samples of each base sorting, shared by the indexes of its curations.
_BASE_SAMPLES: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _indexed_segments(sorting) -> list[tuple]:
    """``(samples, spike vector)`` per segment; for a curated sorting, ``(samples, (first
    base row of the segment, spike slots))`` with its base's spike samples (shared by every
    curation of that base) and `CuratedSorting.base_spike_slots` (after a curation action
    only the rows of the units it made are written)."""
    from core.curation import CuratedSorting

    if not isinstance(sorting, CuratedSorting):
        return [
            (np.ascontiguousarray(vector["sample_index"]), vector)
            for vector in sorting.to_spike_vector(concatenated=False)
        ]
    base = sorting.base_sorting
    samples = _BASE_SAMPLES.get(base)
    if samples is None:
        samples = [
            np.ascontiguousarray(vector["sample_index"])
            for vector in base.to_spike_vector(concatenated=False)
        ]
        _BASE_SAMPLES[base] = samples
    slots = sorting.base_spike_slots()
    offsets = np.cumsum([0, *(s.size for s in samples)])
    return [(s, (int(a), slots)) for s, a in zip(samples, offsets[:-1], strict=True)]


@dataclass(frozen=True, eq=False)
class SpikeMarkerStyle:
    """What the spike marks of a window depend on besides the window.

    Attributes
    ----------
    spikes : SpikeTrainIndex
        The spikes of the sorting to mark.
    unit_channels : np.ndarray
        int64 recording channel index of each unit (by unit index); -1 for units that get no
        mark (hidden, or channel not known yet).
    colors : np.ndarray
        uint32 opaque ARGB of each unit's mark (dimmed already for units left in the
        background of a selection).
    emphasised : np.ndarray
        bool per unit: marked more boldly (the selected units).
    samples_before, samples_after : int
        Samples of the waveform coloured before and after each spike's sample.
    """

    spikes: SpikeTrainIndex
    unit_channels: np.ndarray
    colors: np.ndarray
    emphasised: np.ndarray
    samples_before: int
    samples_after: int

    def same_as(self, other: SpikeMarkerStyle | None) -> bool:
        """Whether ``other`` gives the same marks."""
        if other is None:
            return False
        return (
            self.spikes is other.spikes
            and (self.samples_before, self.samples_after)
            == (other.samples_before, other.samples_after)
            and all(
                np.array_equal(a, b)
                for a, b in (
                    (self.unit_channels, other.unit_channels),
                    (self.colors, other.colors),
                    (self.emphasised, other.emphasised),
                )
            )
        )


@dataclass(frozen=True)
class SpikeMarks:
    """The spikes marked in a window, emphasised ones last (drawn on top).

    Attributes
    ----------
    sample_indices : np.ndarray
        Spike samples (of the window's segment).
    times : np.ndarray
        Their times in seconds (the recording's own time axis).
    first_times, last_times : np.ndarray
        Times of the first and last sample coloured around each spike (within the window).
    unit_indices : np.ndarray
        Unit index of each spike.
    positions : np.ndarray
        Row (list position, i.e. y) of each spike's channel in the trace view.
    colors : np.ndarray
        uint32 ARGB of each mark.
    emphasised : np.ndarray
        bool: a spike of a selected unit.
    skipped : int
        Spikes on screen left unmarked because there were more than `MAX_SPIKE_MARKS`.
    """

    sample_indices: np.ndarray
    times: np.ndarray
    first_times: np.ndarray
    last_times: np.ndarray
    unit_indices: np.ndarray
    positions: np.ndarray
    colors: np.ndarray
    emphasised: np.ndarray
    skipped: int = 0

    @classmethod
    def empty(cls, skipped: int = 0) -> SpikeMarks:
        """No mark."""
        nothing = np.empty(0, dtype="int64")
        return cls(
            nothing,
            np.empty(0),
            np.empty(0),
            np.empty(0),
            nothing,
            nothing,
            np.empty(0, dtype="uint32"),
            np.empty(0, dtype=bool),
            skipped,
        )

    def __len__(self) -> int:
        return len(self.sample_indices)


def find_spike_marks(
    style: SpikeMarkerStyle,
    segment_index: int,
    start_frame: int,
    end_frame: int,
    position_of_channel: np.ndarray,
    rows: tuple[int, int],
    sample_to_time: Callable[[np.ndarray], np.ndarray],
) -> SpikeMarks:
    """The spikes of ``[start_frame, end_frame)`` whose unit's channel is on rows ``rows``.

    Parameters
    ----------
    style : SpikeMarkerStyle
        Units, channels and colours.
    segment_index, start_frame, end_frame : int
        The window.
    position_of_channel : np.ndarray
        Row of each recording channel index in the view, -1 when not listed.
    rows : tuple of int
        ``(first, stop)``: the rows drawn.
    sample_to_time : callable
        Sample indices of the segment to times in seconds.

    Returns
    -------
    SpikeMarks
    """
    spikes = style.spikes.spikes_between(segment_index, start_frame, end_frame)
    units = spikes["unit_index"].astype("int64")
    channels = style.unit_channels[units]
    positions = np.where(channels >= 0, position_of_channel[np.maximum(channels, 0)], -1)
    on_screen = (positions >= rows[0]) & (positions < rows[1])
    if np.count_nonzero(on_screen) > MAX_SPIKE_MARKS:
        return SpikeMarks.empty(skipped=int(np.count_nonzero(on_screen)))
    samples, units, positions = (
        spikes["sample_index"][on_screen].astype("int64"),
        units[on_screen],
        positions[on_screen],
    )
    emphasised = style.emphasised[units]
    order = np.argsort(emphasised, kind="stable")  # emphasised last: drawn on top
    samples, units, positions, emphasised = (
        samples[order],
        units[order],
        positions[order],
        emphasised[order],
    )
    last_sample = max(end_frame - 1, start_frame)
    return SpikeMarks(
        sample_indices=samples,
        times=np.asarray(sample_to_time(samples), dtype="float64"),
        first_times=np.asarray(
            sample_to_time(np.maximum(samples - style.samples_before, start_frame)),
            dtype="float64",
        ),
        last_times=np.asarray(
            sample_to_time(np.minimum(samples + style.samples_after, last_sample)),
            dtype="float64",
        ),
        unit_indices=units,
        positions=positions,
        colors=style.colors[units],
        emphasised=emphasised,
    )


def paint_spike_marks(
    pixels: np.ndarray,
    marks: SpikeMarks,
    columns: tuple[np.ndarray, np.ndarray],
    extents: tuple[np.ndarray, np.ndarray],
    painted_positions: tuple[int, int],
    thicken: int = 1,
    max_pixels: int = 4_000_000,
) -> None:
    """Colour the traces under each mark in its colour, in place.

    Parameters
    ----------
    pixels : np.ndarray
        ``(height, columns)`` uint32 image, top row first.
    marks : SpikeMarks
        What to mark.
    columns : tuple of np.ndarray
        First and last pixel column of each mark (inclusive, unclipped).
    extents : tuple of np.ndarray
        ``(lo_rows, hi_rows)`` ``(columns, painted channels)``: each channel's span in each
        column, in pixel rows from the bottom, as given to `rasterize_spans`.
    painted_positions : tuple of int
        ``(first, stop)``: the rows (list positions) of the painted channels.
    thicken : int
        Pixels added above and below each stroke (twice as many for emphasised marks, which
        also get a column more on each side).
    max_pixels : int
        Marks covering more pixels than this are thinned to their middle part.
    """
    if len(marks) == 0:
        return
    height, num_columns = pixels.shape
    lo_rows, hi_rows = extents
    first_col, last_col = columns
    # strokes are a pixel thicker than the trace so that the colour shows, emphasised ones two
    # pixels and a column wider
    grow = marks.emphasised.astype("int64")
    first_col = np.clip(first_col - grow, 0, num_columns - 1)
    last_col = np.clip(last_col + grow, 0, num_columns - 1)
    widths = np.maximum(last_col - first_col + 1, 0)
    mark_of_column = np.repeat(np.arange(len(marks)), widths)
    column = _ranges(first_col, widths)
    channel = marks.positions[mark_of_column] - painted_positions[0]
    extra = thicken + thicken * grow[mark_of_column]
    low, high = span_rows(lo_rows[column, channel], hi_rows[column, channel], height)
    low = np.clip(low - extra, 0, height)
    high = np.clip(high + extra, 0, height)
    lengths = np.maximum(high - low, 0).astype("int64")
    total = int(lengths.sum())
    if total > max_pixels:  # keep the middle of each stroke
        keep = max(max_pixels // max(len(lengths), 1), 1)
        low = low + np.maximum(lengths - keep, 0) // 2
        lengths = np.minimum(lengths, keep)
    rows = _ranges(low.astype("int64"), lengths)
    pixels[height - 1 - rows, np.repeat(column, lengths)] = np.repeat(
        marks.colors[mark_of_column], lengths
    )


def _ranges(starts: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """Concatenated ``arange(start, start + length)`` for each pair."""
    lengths = np.asarray(lengths, dtype="int64")
    total = int(lengths.sum())
    if total == 0:
        return np.empty(0, dtype="int64")
    offsets = np.arange(total, dtype="int64") - np.repeat(np.cumsum(lengths) - lengths, lengths)
    return np.repeat(np.asarray(starts, dtype="int64"), lengths) + offsets
