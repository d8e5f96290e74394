"""Lazy sorting views: a selection of units, a range of frames.

Views read spike trains through their parent sorting (and so share its per-unit cache). When the
parent's spike vector is cached, or can itself be derived from cached vectors, a view derives its
own vector from it with a few vectorised operations instead of going unit by unit.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from ..argument_checks import checked_frame
from ..errors import InvalidInputError
from ..registry import register_extractor_class
from .base import BaseSorting, BaseSortingSegment
from .spike_vector import segment_bounds, sort_spike_vector


def spike_vector_if_available(sorting: BaseSorting) -> np.ndarray | None:
    """The spike vector of ``sorting`` when it is cached or cheap to derive, else None.

    It is cheap to derive for a `SpikeVectorViewSorting` whose sources all have their vector
    available; it is then computed and cached.

    Parameters
    ----------
    sorting : BaseSorting

    Returns
    -------
    np.ndarray | None
    """
    if sorting._cached_spike_vector is not None:
        return sorting._cached_spike_vector
    if isinstance(sorting, SpikeVectorViewSorting) and all(
        spike_vector_if_available(source) is not None for source in sorting._spike_vector_sources()
    ):
        return sorting.to_spike_vector()
    return None


def last_spike_frames(sorting: BaseSorting) -> np.ndarray:
    """The largest spike frame of each segment (-1 for a segment without spikes).

    Parameters
    ----------
    sorting : BaseSorting

    Returns
    -------
    np.ndarray
        int64, one value per segment.
    """
    num_segments = sorting.get_num_segments()
    last = np.full(num_segments, -1, dtype="int64")
    spikes = spike_vector_if_available(sorting)
    if spikes is not None:
        bounds = segment_bounds(spikes, num_segments)
        non_empty = bounds[1:] > bounds[:-1]
        last[non_empty] = spikes["sample_index"][bounds[1:][non_empty] - 1]
        return last
    for segment_index in range(num_segments):
        for unit_id in sorting.unit_ids:
            train = sorting.get_unit_spike_train(unit_id, segment_index=segment_index)
            if train.size:
                last[segment_index] = max(last[segment_index], int(train[-1]))
    return last


class SpikeVectorViewSorting(BaseSorting):
    """Base of lazy views whose spike vector derives from the vectors of the sortings they read.

    Subclasses list those sortings in ``_spike_vector_sources()`` and build their vector from
    the sources' vectors in ``_derive_spike_vector()``. When a source's vector is neither cached
    nor cheap to derive, the vector is built unit by unit from the segments instead.
    """

    def _spike_vector_sources(self) -> list[BaseSorting]:
        raise NotImplementedError(f"{type(self).__name__} must list its source sortings")

    def _derive_spike_vector(self, source_vectors: list[np.ndarray]) -> np.ndarray:
        raise NotImplementedError(
            f"{type(self).__name__} must derive its spike vector from its sources' vectors"
        )

    def _compute_spike_vector(self) -> np.ndarray:
        vectors = [spike_vector_if_available(s) for s in self._spike_vector_sources()]
        if any(vector is None for vector in vectors):
            return super()._compute_spike_vector()
        return self._derive_spike_vector(vectors)


class ProxySortingSegment(BaseSortingSegment):
    """A segment reading one segment of a parent sorting, through its (cached) trains.

    Parameters
    ----------
    parent_sorting : BaseSorting
    segment_index : int
        The parent's segment; its start time is kept.
    parent_unit_ids : dict | None
        Unit id here -> unit id in the parent (None: the same ids).
    """

    def __init__(
        self, parent_sorting: BaseSorting, segment_index: int, parent_unit_ids: dict | None = None
    ) -> None:
        super().__init__(t_start=parent_sorting._sorting_segments[segment_index]._t_start)
        self._parent = parent_sorting
        self._segment_index = segment_index
        self._parent_unit_ids = parent_unit_ids

    def get_unit_spike_train(
        self, unit_id, start_frame: int | None, end_frame: int | None
    ) -> np.ndarray:
        if self._parent_unit_ids is not None:
            unit_id = self._parent_unit_ids[unit_id]
        return self._parent.get_unit_spike_train(
            unit_id,
            segment_index=self._segment_index,
            start_frame=start_frame,
            end_frame=end_frame,
        )


class UnitsSelectionSorting(SpikeVectorViewSorting):
    """A lazy view on some units of a sorting, in the order given, optionally renamed.

    Properties and annotations of the kept units are copied; a registered recording is kept.

    Parameters
    ----------
    parent_sorting : BaseSorting
    unit_ids : array-like | None
        Units to keep, unique, in the order wanted (None: all).
    renamed_unit_ids : array-like | None
        New ids, unique, one per kept unit (None: keep the ids).
    """

    def __init__(
        self,
        parent_sorting: BaseSorting,
        unit_ids: ArrayLike | None = None,
        renamed_unit_ids: ArrayLike | None = None,
    ) -> None:
        unit_ids = _as_id_array(
            parent_sorting.unit_ids if unit_ids is None else unit_ids, "unit_ids", parent_sorting
        )
        if np.unique(unit_ids).size != unit_ids.size:
            raise InvalidInputError("select_units(): unit_ids has duplicates: ids must be unique")
        try:
            parent_indices = parent_sorting.ids_to_indices(unit_ids)
        except ValueError as error:
            raise ValueError(f"select_units(): unit_ids: {error}") from None
        renamed = (
            unit_ids
            if renamed_unit_ids is None
            else _as_id_array(renamed_unit_ids, "renamed_unit_ids", parent_sorting)
        )
        if renamed.size != unit_ids.size:
            raise ValueError(
                f"select_units(): renamed_unit_ids has {renamed.size} ids for {unit_ids.size} units"
            )
        if np.unique(renamed).size != renamed.size:
            raise InvalidInputError(
                "select_units(): renamed_unit_ids has duplicates: ids must be unique"
            )
        super().__init__(parent_sorting.sampling_frequency, renamed)
        self._parent = parent_sorting
        self._parent_unit_indices = parent_indices
        parent_ids = dict(zip(renamed.tolist(), unit_ids.tolist()))
        for segment_index in range(parent_sorting.get_num_segments()):
            self.add_sorting_segment(ProxySortingSegment(parent_sorting, segment_index, parent_ids))
        parent_sorting.copy_metadata(self, ids=unit_ids)
        if parent_sorting.has_recording():
            self.register_recording(parent_sorting._recording, check_spike_frames=False)
        self._kwargs = {
            "parent_sorting": parent_sorting,
            "unit_ids": unit_ids,
            "renamed_unit_ids": renamed,
        }

    def _spike_vector_sources(self) -> list[BaseSorting]:
        return [self._parent]

    def _derive_spike_vector(self, source_vectors: list[np.ndarray]) -> np.ndarray:
        (parent_spikes,) = source_vectors
        indices = self._parent_unit_indices
        if np.array_equal(indices, np.arange(self._parent.get_num_units())):
            return parent_spikes
        lookup = np.full(self._parent.get_num_units(), -1, dtype="int64")
        lookup[indices] = np.arange(indices.size)
        new_unit_index = lookup[parent_spikes["unit_index"]]
        keep = new_unit_index >= 0
        spikes = parent_spikes[keep]
        spikes["unit_index"] = new_unit_index[keep]
        if np.all(np.diff(indices) > 0):
            return spikes  # unit order kept: simultaneous spikes stay ordered by unit
        return _with_ties_ordered_by_unit(spikes)


class FrameSliceSorting(SpikeVectorViewSorting):
    """A lazy view on frames ``[start_frame, end_frame)`` of a mono-segment sorting.

    Spike frames are re-referenced to ``start_frame``; the segment's start time moves to the
    time of ``start_frame``, so times in seconds stay absolute. A registered recording is sliced
    the same way and registered.

    Parameters
    ----------
    parent_sorting : BaseSorting
        Mono-segment sorting.
    start_frame : int | None
        First frame kept (default 0).
    end_frame : int | None
        First frame not kept. Default: the registered recording's length, or without one the
        frame after the last spike (at least ``start_frame + 1``, so sortings without spikes
        slice too).
    check_spike_frames : bool
        With a registered recording, raise if the parent has spikes beyond its end.
    """

    def __init__(
        self,
        parent_sorting: BaseSorting,
        start_frame: int | None = None,
        end_frame: int | None = None,
        check_spike_frames: bool = True,
    ) -> None:
        if parent_sorting.get_num_segments() != 1:
            raise ValueError(
                "frame_slice() needs a mono-segment sorting: use select_segment_sorting() or "
                "split_sorting() first"
            )
        start_frame = 0 if start_frame is None else _as_frame(start_frame, "start_frame")
        recording = parent_sorting._recording
        if recording is not None:
            end_frame = _frames_within_recording(
                parent_sorting, start_frame, end_frame, check_spike_frames
            )
        elif end_frame is None:
            # the frame after the last spike (as SpikeInterface); a sorting without spikes
            # slices anywhere
            last = int(last_spike_frames(parent_sorting)[0])
            end_frame = last + 1 if last >= 0 else start_frame + 1
        else:
            end_frame = _as_frame(end_frame, "end_frame")
        if end_frame <= start_frame:
            raise InvalidInputError(
                f"end_frame ({end_frame}) must be after start_frame ({start_frame}); without a "
                "registered recording the default end_frame is the frame after the last spike"
            )
        super().__init__(parent_sorting.sampling_frequency, parent_sorting.unit_ids)
        self._parent = parent_sorting
        self.start_frame = start_frame
        self.end_frame = end_frame
        parent_t_start = parent_sorting._sorting_segments[0]._t_start
        t_start = None
        if parent_t_start is not None or start_frame > 0:
            t_start = (parent_t_start or 0.0) + start_frame / parent_sorting.sampling_frequency
        self.add_sorting_segment(
            FrameSliceSortingSegment(parent_sorting, start_frame, end_frame, t_start)
        )
        parent_sorting.copy_metadata(self)
        if recording is not None:
            self.register_recording(
                recording.frame_slice(start_frame=start_frame, end_frame=end_frame),
                check_spike_frames=False,
            )
        self._kwargs = {
            "parent_sorting": parent_sorting,
            "start_frame": start_frame,
            "end_frame": end_frame,
            "check_spike_frames": check_spike_frames,
        }

    def _spike_vector_sources(self) -> list[BaseSorting]:
        return [self._parent]

    def _derive_spike_vector(self, source_vectors: list[np.ndarray]) -> np.ndarray:
        (parent_spikes,) = source_vectors
        first, last = np.searchsorted(
            parent_spikes["sample_index"], [self.start_frame, self.end_frame], side="left"
        )
        if self.start_frame == 0:
            return parent_spikes[first:last]
        spikes = parent_spikes[first:last].copy()
        spikes["sample_index"] -= self.start_frame
        return spikes


class FrameSliceSortingSegment(BaseSortingSegment):
    """Frames ``[start_frame, end_frame)`` of a mono-segment parent, re-referenced to 0.

    Parameters
    ----------
    parent_sorting : BaseSorting
        Mono-segment sorting, read through its (cached) ``get_unit_spike_train``.
    start_frame, end_frame : int
        Range of parent frames.
    t_start : float | None
        Time of the first frame in seconds.
    """

    def __init__(
        self,
        parent_sorting: BaseSorting,
        start_frame: int,
        end_frame: int,
        t_start: float | None = None,
    ) -> None:
        super().__init__(t_start=t_start)
        self._parent = parent_sorting
        self.start_frame = start_frame
        self.end_frame = end_frame

    def get_unit_spike_train(
        self, unit_id, start_frame: int | None, end_frame: int | None
    ) -> np.ndarray:
        start = self.start_frame + (0 if start_frame is None else max(int(start_frame), 0))
        end = (
            self.end_frame
            if end_frame is None
            else min(self.end_frame, self.start_frame + int(end_frame))
        )
        if end <= start:
            return np.zeros(0, dtype="int64")
        train = self._parent.get_unit_spike_train(
            unit_id, segment_index=0, start_frame=start, end_frame=end
        )
        return train - self.start_frame


def _as_id_array(ids: ArrayLike, argument: str, parent_sorting: BaseSorting) -> np.ndarray:
    if isinstance(ids, str | bytes) or np.ndim(ids) != 1:
        raise TypeError(f"select_units(): {argument} must be a list or 1-D array of unit ids")
    ids = np.asarray(ids)
    return parent_sorting.unit_ids[:0] if ids.size == 0 else ids


def _as_frame(value, argument: str) -> int:
    """A frame index from an int or an integral float (``90000.0``, as scripts compute them)."""
    value = checked_frame(value, argument)
    if value < 0:
        raise InvalidInputError(f"{argument} must be >= 0, got {value}")
    return int(value)


def _frames_within_recording(
    parent_sorting: BaseSorting, start_frame: int, end_frame: int | None, check_spike_frames: bool
) -> int:
    """``end_frame`` resolved and checked against the registered recording's length."""
    num_samples = parent_sorting._recording.get_num_samples(0)
    end_frame = num_samples if end_frame is None else _as_frame(end_frame, "end_frame")
    if end_frame > num_samples:
        raise InvalidInputError(
            f"end_frame ({end_frame}) is beyond the registered recording ({num_samples} samples)"
        )
    if check_spike_frames:
        last = int(last_spike_frames(parent_sorting)[0])
        if last >= num_samples:
            raise ValueError(
                f"the sorting has spikes (up to frame {last}) beyond the registered recording "
                f"({num_samples} samples); remove them or pass check_spike_frames=False"
            )
    return end_frame


def _with_ties_ordered_by_unit(spikes: np.ndarray) -> np.ndarray:
    """Spikes re-sorted only if simultaneous spikes are out of unit order."""
    same_time = (np.diff(spikes["sample_index"]) == 0) & (np.diff(spikes["segment_index"]) == 0)
    if np.any(same_time & (np.diff(spikes["unit_index"]) < 0)):
        return sort_spike_vector(spikes)
    return spikes


register_extractor_class(
    UnitsSelectionSorting, "spikeinterface.core.unitsselectionsorting.UnitsSelectionSorting"
)
register_extractor_class(
    FrameSliceSorting, "spikeinterface.core.frameslicesorting.FrameSliceSorting"
)
