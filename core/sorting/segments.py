"""Segment utilities for sortings: append, concatenate, split and select segments."""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import numpy as np

from ..recording.base import BaseRecording
from ..recording.segments import (
    ConcatenateSegmentRecording,
    concatenate_recordings,
    select_segment_recording,
)
from ..registry import register_extractor_class
from ..segment_checks import check_sampling_frequencies, check_segment_indices
from .aggregation import check_sorting_list
from .base import BaseSorting, BaseSortingSegment
from .slicing import (
    FrameSliceSortingSegment,
    ProxySortingSegment,
    SpikeVectorViewSorting,
    last_spike_frames,
)
from .spike_vector import segment_bounds


class AppendSegmentSorting(SpikeVectorViewSorting):
    """All segments of several sortings, one after the other, as one multi-segment sorting.

    Metadata comes from the first sorting.

    Parameters
    ----------
    sorting_list : list of BaseSorting
        Sortings with the same unit ids.
    sampling_frequency_max_diff : float, default: 0
        Largest allowed difference of sampling rates in Hz (a smaller non-zero one warns).
    """

    def __init__(
        self, sorting_list: Sequence[BaseSorting], sampling_frequency_max_diff: float = 0
    ) -> None:
        sorting_list = _checked_sorting_list(sorting_list, sampling_frequency_max_diff)
        first = sorting_list[0]
        super().__init__(first.sampling_frequency, first.unit_ids)
        first.copy_metadata(self)
        self.sorting_list = sorting_list
        for sorting in sorting_list:
            for segment_index in range(sorting.get_num_segments()):
                self.add_sorting_segment(ProxySortingSegment(sorting, segment_index))
        self._kwargs = {
            "sorting_list": sorting_list,
            "sampling_frequency_max_diff": sampling_frequency_max_diff,
        }

    def _spike_vector_sources(self) -> list[BaseSorting]:
        return self.sorting_list

    def _derive_spike_vector(self, parts: list[np.ndarray]) -> np.ndarray:
        return _appended_spike_vectors(parts, self.sorting_list)


class ConcatenateSegmentSorting(SpikeVectorViewSorting):
    """All segments of several sortings joined, lazily, into one segment.

    Spike frames are shifted by the lengths of the segments before theirs. Lengths come from the
    registered recordings (then the concatenated recording is registered) or, for mono-segment
    sortings without recordings, from ``total_samples_list``. Times are dropped; metadata
    comes from the first sorting.

    Parameters
    ----------
    sorting_list : list of BaseSorting
        Sortings with the same unit ids: all with a registered recording, or all mono-segment.
    total_samples_list : list of int | None
        Length of each sorting's segment when the sortings have no registered recording.
    ignore_times : bool, default: True
        Drop start times and time vectors. With False, no segment may have a start time.
    sampling_frequency_max_diff : float, default: 0
        Largest allowed difference of sampling rates in Hz (a smaller non-zero one warns).
    """

    def __init__(
        self,
        sorting_list: Sequence[BaseSorting],
        total_samples_list: Sequence[int] | None = None,
        ignore_times: bool = True,
        sampling_frequency_max_diff: float = 0,
    ) -> None:
        sorting_list = _checked_sorting_list(sorting_list, sampling_frequency_max_diff)
        lengths = _segment_lengths(sorting_list, total_samples_list, ignore_times)
        first = sorting_list[0]
        super().__init__(first.sampling_frequency, first.unit_ids)
        first.copy_metadata(self)
        self.sorting_list = sorting_list
        self.parent_num_samples = lengths
        parents = [(s, i) for s in sorting_list for i in range(s.get_num_segments())]
        self.add_sorting_segment(ConcatenateSortingSegment(parents, lengths))
        if all(sorting.has_recording() for sorting in sorting_list):
            self.register_recording(
                concatenate_recordings(
                    [sorting._recording for sorting in sorting_list],
                    ignore_times=ignore_times,
                    sampling_frequency_max_diff=sampling_frequency_max_diff,
                ),
                check_spike_frames=False,
            )
        self._kwargs = {
            "sorting_list": sorting_list,
            "total_samples_list": total_samples_list,
            "ignore_times": ignore_times,
            "sampling_frequency_max_diff": sampling_frequency_max_diff,
        }

    def get_num_samples(self, segment_index: int | None = None) -> int:
        """Samples of the concatenated segment (known without a registered recording)."""
        self._check_segment_index(segment_index)
        return int(sum(self.parent_num_samples))

    def _spike_vector_sources(self) -> list[BaseSorting]:
        return self.sorting_list

    def _derive_spike_vector(self, parts: list[np.ndarray]) -> np.ndarray:
        spikes = _appended_spike_vectors(parts, self.sorting_list)
        # spikes lie inside their segment (checked), so shifted parts stay in order
        frame_offsets = np.cumsum([0, *self.parent_num_samples[:-1]], dtype="int64")
        spikes["sample_index"] += frame_offsets[spikes["segment_index"]]
        spikes["segment_index"] = 0
        return spikes


class ConcatenateSortingSegment(BaseSortingSegment):
    """One segment reading several parent segments placed end to end.

    Parameters
    ----------
    parents : list of (BaseSorting, int)
        Parent sorting and segment index of each part, in order.
    lengths : list of int
        Samples of each part.
    """

    def __init__(self, parents: list[tuple[BaseSorting, int]], lengths: list[int]) -> None:
        super().__init__(t_start=None)
        self._parents = parents
        # part i covers frames [self._bounds[i], self._bounds[i + 1])
        self._bounds = np.cumsum([0, *lengths], dtype="int64")

    def get_num_samples(self) -> int:
        """Samples of all parts."""
        return int(self._bounds[-1])

    def get_unit_spike_train(
        self, unit_id, start_frame: int | None, end_frame: int | None
    ) -> np.ndarray:
        start = 0 if start_frame is None else int(start_frame)
        end = self.get_num_samples() if end_frame is None else int(end_frame)
        pieces = [np.zeros(0, dtype="int64")]
        for (sorting, segment_index), offset, part_end in zip(
            self._parents, self._bounds[:-1], self._bounds[1:]
        ):
            if offset >= end or part_end <= start:
                continue
            train = sorting.get_unit_spike_train(
                unit_id,
                segment_index=segment_index,
                start_frame=max(start - offset, 0),
                end_frame=min(end, part_end) - offset,
            )
            pieces.append(train + offset)
        return np.concatenate(pieces)


class SplitSegmentSorting(SpikeVectorViewSorting):
    """A mono-segment sorting cut into segments at the lengths of recording segments.

    Each piece is re-referenced to its first frame, its times start at 0; spikes after the last
    piece are left out with a warning. Metadata comes from the parent.

    Parameters
    ----------
    parent_sorting : BaseSorting
        Mono-segment sorting, e.g. of a concatenated recording.
    recording_or_recording_list : list of BaseRecording | ConcatenateSegmentRecording | None
        The recordings whose segments give the lengths: a list, a concatenated recording (its
        parts are used), or None for the parent's registered recording.
    """

    def __init__(
        self,
        parent_sorting: BaseSorting,
        recording_or_recording_list: Sequence[BaseRecording]
        | ConcatenateSegmentRecording
        | None = None,
    ) -> None:
        if parent_sorting.get_num_segments() != 1:
            raise ValueError(
                f"split_sorting(): parent_sorting must be mono-segment, it has "
                f"{parent_sorting.get_num_segments()} segments"
            )
        recording_list = _recordings_to_split_by(parent_sorting, recording_or_recording_list)
        lengths = [
            r.get_num_samples(i) for r in recording_list for i in range(r.get_num_segments())
        ]
        last = int(last_spike_frames(parent_sorting)[0])
        if last >= sum(lengths):
            warnings.warn(
                f"split_sorting(): spikes after frame {sum(lengths)} (up to {last}) lie beyond "
                "the recordings and are left out",
                stacklevel=2,
            )
        super().__init__(parent_sorting.sampling_frequency, parent_sorting.unit_ids)
        parent_sorting.copy_metadata(self)
        self._parent = parent_sorting
        self._bounds = np.cumsum([0, *lengths], dtype="int64")
        for start, end in zip(self._bounds[:-1], self._bounds[1:]):
            self.add_sorting_segment(FrameSliceSortingSegment(parent_sorting, int(start), int(end)))
        self._kwargs = {
            "parent_sorting": parent_sorting,
            "recording_or_recording_list": recording_list,
        }

    def get_num_samples(self, segment_index: int | None = None) -> int:
        """Samples of a piece (known without a registered recording)."""
        segment_index = self._check_segment_index(segment_index)
        return int(self._bounds[segment_index + 1] - self._bounds[segment_index])

    def _spike_vector_sources(self) -> list[BaseSorting]:
        return [self._parent]

    def _derive_spike_vector(self, source_vectors: list[np.ndarray]) -> np.ndarray:
        (parent_spikes,) = source_vectors
        num_pieces = self._bounds.size - 1
        piece = np.searchsorted(self._bounds, parent_spikes["sample_index"], side="right") - 1
        keep = piece < num_pieces
        spikes = parent_spikes[keep]
        spikes["segment_index"] = piece[keep]
        spikes["sample_index"] -= self._bounds[piece[keep]]
        return spikes


class SelectSegmentSorting(SpikeVectorViewSorting):
    """A lazy view on some segments of a sorting, in the order given.

    A registered recording is kept (its same segments).

    Parameters
    ----------
    sorting : BaseSorting
        The multi-segment sorting.
    segment_indices : int | list of int
        Segments to keep, each ``0 <= i < num_segments``.
    """

    def __init__(self, sorting: BaseSorting, segment_indices: int | Sequence[int]) -> None:
        segment_indices = check_segment_indices(
            segment_indices, sorting.get_num_segments(), "the sorting has"
        )
        super().__init__(sorting.sampling_frequency, sorting.unit_ids)
        sorting.copy_metadata(self)
        self._parent = sorting
        self._segment_indices = segment_indices
        for segment_index in segment_indices:
            self.add_sorting_segment(ProxySortingSegment(sorting, segment_index))
        if sorting.has_recording():
            self.register_recording(
                select_segment_recording(sorting._recording, segment_indices),
                check_spike_frames=False,
            )
        self._kwargs = {"sorting": sorting, "segment_indices": segment_indices}

    def _spike_vector_sources(self) -> list[BaseSorting]:
        return [self._parent]

    def _derive_spike_vector(self, source_vectors: list[np.ndarray]) -> np.ndarray:
        (parent_spikes,) = source_vectors
        bounds = segment_bounds(parent_spikes, self._parent.get_num_segments())
        parts = []
        for new_index, segment_index in enumerate(self._segment_indices):
            part = parent_spikes[bounds[segment_index] : bounds[segment_index + 1]].copy()
            part["segment_index"] = new_index
            parts.append(part)
        return np.concatenate(parts)


# SpikeInterface's functions are the classes themselves (``si.append_sortings`` is the class).
append_sortings = AppendSegmentSorting
concatenate_sortings = ConcatenateSegmentSorting
select_segment_sorting = SelectSegmentSorting
split_sorting = SplitSegmentSorting


def _appended_spike_vectors(parts: list[np.ndarray], sorting_list: list[BaseSorting]) -> np.ndarray:
    """The sortings' vectors end to end, segments numbered across all sortings."""
    spikes = np.concatenate(parts)
    segment_offsets = np.cumsum([0] + [s.get_num_segments() for s in sorting_list[:-1]])
    spikes["segment_index"] += np.repeat(segment_offsets, [part.size for part in parts])
    return spikes


def _checked_sorting_list(
    sorting_list: Sequence[BaseSorting], sampling_frequency_max_diff: float
) -> list[BaseSorting]:
    """The sortings as a list, checked for unit ids and sampling rates."""
    sorting_list = check_sorting_list(sorting_list, same_unit_ids=True)
    check_sampling_frequencies(sorting_list, sampling_frequency_max_diff, argument="sorting_list")
    return sorting_list


def _segment_lengths(
    sorting_list: list[BaseSorting], total_samples_list: Sequence[int] | None, ignore_times: bool
) -> list[int]:
    """Samples of every segment of every sorting, checked against their spikes."""
    if all(sorting.has_recording() for sorting in sorting_list):
        if total_samples_list is not None:
            raise ValueError(
                "total_samples_list must be None: the sortings have registered recordings"
            )
        lengths = [
            [s.get_num_samples(i) for i in range(s.get_num_segments())] for s in sorting_list
        ]
    else:
        lengths = _lengths_from_total_samples(sorting_list, total_samples_list, ignore_times)
    if not ignore_times:
        for index, sorting in enumerate(sorting_list):
            if any(segment._t_start is not None for segment in sorting._sorting_segments):
                raise ValueError(
                    f"ignore_times=False but sorting_list[{index}] has a segment start time: "
                    "concatenation cannot keep times; use ignore_times=True"
                )
    for index, (sorting, sorting_lengths) in enumerate(zip(sorting_list, lengths)):
        last = last_spike_frames(sorting)
        for segment_index, length in enumerate(sorting_lengths):
            if last[segment_index] >= length:
                raise ValueError(
                    f"sorting_list[{index}] segment {segment_index} has a spike at frame "
                    f"{last[segment_index]}, beyond its {length} samples"
                )
    return [length for sorting_lengths in lengths for length in sorting_lengths]


def _lengths_from_total_samples(
    sorting_list: list[BaseSorting], total_samples_list: Sequence[int] | None, ignore_times: bool
) -> list[list[int]]:
    if total_samples_list is None:
        raise ValueError(
            "some sortings have no registered recording: register one with "
            "sorting.register_recording() or give total_samples_list"
        )
    if len(total_samples_list) != len(sorting_list):
        raise ValueError(
            f"total_samples_list has {len(total_samples_list)} values for "
            f"{len(sorting_list)} sortings"
        )
    if not ignore_times:
        raise ValueError("sortings without registered recordings need ignore_times=True")
    for index, (sorting, total) in enumerate(zip(sorting_list, total_samples_list)):
        if sorting.get_num_segments() != 1:
            raise ValueError(
                f"total_samples_list needs mono-segment sortings; sorting_list[{index}] has "
                f"{sorting.get_num_segments()} segments"
            )
        if isinstance(total, bool) or not isinstance(total, int | np.integer) or total < 0:
            raise ValueError(f"total_samples_list[{index}] must be an integer >= 0, got {total!r}")
    return [[int(total)] for total in total_samples_list]


def _recordings_to_split_by(
    parent_sorting: BaseSorting,
    recording_or_recording_list: Sequence[BaseRecording] | ConcatenateSegmentRecording | None,
) -> list[BaseRecording]:
    if recording_or_recording_list is None:
        if not parent_sorting.has_recording():
            raise ValueError(
                "split_sorting(): parent_sorting has no registered recording; give "
                "recording_or_recording_list"
            )
        recording_or_recording_list = parent_sorting._recording
        if not isinstance(recording_or_recording_list, ConcatenateSegmentRecording):
            return [recording_or_recording_list]
    if isinstance(recording_or_recording_list, ConcatenateSegmentRecording):
        return list(recording_or_recording_list.recording_list)
    if isinstance(recording_or_recording_list, list | tuple) and all(
        isinstance(r, BaseRecording) for r in recording_or_recording_list
    ):
        if not recording_or_recording_list:
            raise ValueError("split_sorting(): recording_or_recording_list is empty")
        return list(recording_or_recording_list)
    raise TypeError(
        "split_sorting(): recording_or_recording_list must be a list of recordings, a "
        f"ConcatenateSegmentRecording or None, got {type(recording_or_recording_list).__name__}"
    )


register_extractor_class(
    AppendSegmentSorting, "spikeinterface.core.segmentutils.AppendSegmentSorting"
)
register_extractor_class(
    ConcatenateSegmentSorting, "spikeinterface.core.segmentutils.ConcatenateSegmentSorting"
)
register_extractor_class(
    SplitSegmentSorting, "spikeinterface.core.segmentutils.SplitSegmentSorting"
)
register_extractor_class(
    SelectSegmentSorting, "spikeinterface.core.segmentutils.SelectSegmentSorting"
)
