"""Segment utilities: append, concatenate, select and split the segments of recordings."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ..registry import register_extractor_class
from ..segment_checks import (
    check_extractor_list,
    check_sampling_frequencies,
    check_segment_indices,
)
from .base import BaseRecording, BaseRecordingSegment


def check_recording_list(
    recording_list: Sequence[BaseRecording], argument: str = "recording_list"
) -> list[BaseRecording]:
    """Return ``recording_list`` as a list after checking it holds at least one recording.

    Parameters
    ----------
    recording_list : list | tuple of BaseRecording
        The recordings to combine.
    argument : str
        Name of the argument, used in error messages.

    Returns
    -------
    list of BaseRecording

    Raises
    ------
    TypeError
        If it is not a list or tuple of recordings.
    ValueError
        If it is empty.
    """
    return check_extractor_list(recording_list, BaseRecording, "recording", argument)


def _check_same_dtype_and_channels(recording_list: Sequence[BaseRecording]) -> None:
    reference = recording_list[0]
    for index, recording in enumerate(recording_list[1:], start=1):
        if recording.get_dtype() != reference.get_dtype():
            raise ValueError(
                f"recording_list[{index}] has dtype {recording.get_dtype()} but "
                f"recording_list[0] has dtype {reference.get_dtype()}"
            )
        problem = _channel_ids_difference(recording.channel_ids, reference.channel_ids)
        if problem:
            raise ValueError(f"recording_list[{index}] {problem} (channel ids must be the same)")


def _channel_ids_difference(ids: np.ndarray, reference: np.ndarray) -> str:
    if ids.size != reference.size:
        return f"has {ids.size} channels but recording_list[0] has {reference.size}"
    if (
        ids.size
        and ids.dtype.kind != reference.dtype.kind
        and not (ids.dtype.kind in "iu" and reference.dtype.kind in "iu")
    ):
        return (
            f"has {ids.dtype.kind!r}-typed channel ids but recording_list[0] has "
            f"{reference.dtype.kind!r}-typed ones"
        )
    different = np.flatnonzero(ids != reference)
    if different.size == 0:
        return ""
    position = int(different[0])
    return (
        f"has channel id {ids[position].item()!r} at position {position} where recording_list[0] "
        f"has {reference[position].item()!r}"
    )


class ProxyRecordingSegment(BaseRecordingSegment):
    """A segment reading from a parent segment, with the parent's time information.

    Parameters
    ----------
    parent_segment : BaseRecordingSegment
        The segment that holds the data.
    """

    def __init__(self, parent_segment: BaseRecordingSegment) -> None:
        super().__init__(**parent_segment.get_times_kwargs())
        self._parent_segment = parent_segment

    def get_num_samples(self) -> int:
        return self._parent_segment.get_num_samples()

    def get_traces(
        self,
        start_frame: int | None = None,
        end_frame: int | None = None,
        channel_indices: slice | np.ndarray | None = None,
    ) -> np.ndarray:
        return self._parent_segment.get_traces(start_frame, end_frame, channel_indices)


class AppendSegmentRecording(BaseRecording):
    """All segments of several recordings, one after the other, as one multi-segment recording.

    Two recordings of 2 and 3 segments give a recording of 5 segments; each segment keeps its
    time information. Metadata comes from the first recording.

    Parameters
    ----------
    recording_list : list of BaseRecording
        Recordings with the same dtype and channel ids.
    sampling_frequency_max_diff : float, default: 0
        Largest allowed difference of sampling rates in Hz (a smaller non-zero one warns).
    """

    def __init__(
        self, recording_list: Sequence[BaseRecording], sampling_frequency_max_diff: float = 0
    ) -> None:
        recording_list = check_recording_list(recording_list)
        _check_same_dtype_and_channels(recording_list)
        check_sampling_frequencies(recording_list, sampling_frequency_max_diff)
        first = recording_list[0]
        super().__init__(first.sampling_frequency, first.channel_ids, first.get_dtype())
        first.copy_metadata(self)
        self.recording_list = recording_list
        for recording in recording_list:
            for segment in recording._recording_segments:
                self.add_recording_segment(ProxyRecordingSegment(segment))
        self._kwargs = {
            "recording_list": recording_list,
            "sampling_frequency_max_diff": sampling_frequency_max_diff,
        }


class ConcatenateSegmentRecording(BaseRecording):
    """All segments of several recordings joined, lazily, into one segment.

    Two recordings of 2 and 3 segments give one segment as long as the 5 together. Time
    information is dropped; metadata comes from the first recording.

    Parameters
    ----------
    recording_list : list of BaseRecording
        Recordings with the same dtype and channel ids.
    ignore_times : bool, default: True
        Drop time vectors and start times. With False, every segment must have neither.
    sampling_frequency_max_diff : float, default: 0
        Largest allowed difference of sampling rates in Hz (a smaller non-zero one warns).
    """

    def __init__(
        self,
        recording_list: Sequence[BaseRecording],
        ignore_times: bool = True,
        sampling_frequency_max_diff: float = 0,
    ) -> None:
        recording_list = check_recording_list(recording_list)
        _check_same_dtype_and_channels(recording_list)
        check_sampling_frequencies(recording_list, sampling_frequency_max_diff)
        if not ignore_times:
            _check_no_times(recording_list)
        first = recording_list[0]
        super().__init__(first.sampling_frequency, first.channel_ids, first.get_dtype())
        first.copy_metadata(self)
        self.recording_list = recording_list
        parent_segments = [
            segment for recording in recording_list for segment in recording._recording_segments
        ]
        self.add_recording_segment(
            ProxyConcatenateRecordingSegment(parent_segments, self.sampling_frequency)
        )
        self._kwargs = {
            "recording_list": recording_list,
            "ignore_times": ignore_times,
            "sampling_frequency_max_diff": sampling_frequency_max_diff,
        }


def _check_no_times(recording_list: Sequence[BaseRecording]) -> None:
    for index, recording in enumerate(recording_list):
        for segment_index, segment in enumerate(recording._recording_segments):
            if segment.time_vector is not None or segment.t_start is not None:
                what = "a time vector" if segment.time_vector is not None else "a t_start"
                raise ValueError(
                    f"ignore_times=False but recording_list[{index}] segment {segment_index} has "
                    f"{what}: concatenation cannot keep times; use ignore_times=True"
                )


class ProxyConcatenateRecordingSegment(BaseRecordingSegment):
    """One segment reading from several parent segments placed end to end.

    Parameters
    ----------
    parent_segments : list of BaseRecordingSegment
        The parts, in order.
    sampling_frequency : float
        Hz.
    """

    def __init__(
        self, parent_segments: list[BaseRecordingSegment], sampling_frequency: float
    ) -> None:
        super().__init__(sampling_frequency=sampling_frequency)
        self._parent_segments = parent_segments
        lengths = [segment.get_num_samples() for segment in parent_segments]
        # part i covers samples [self._bounds[i], self._bounds[i + 1])
        self._bounds = np.cumsum([0, *lengths], dtype="int64")

    def get_num_samples(self) -> int:
        return int(self._bounds[-1])

    def get_traces(
        self,
        start_frame: int | None = None,
        end_frame: int | None = None,
        channel_indices: slice | np.ndarray | None = None,
    ) -> np.ndarray:
        total = self.get_num_samples()
        start = 0 if start_frame is None else int(start_frame)
        end = total if end_frame is None else min(int(end_frame), total)
        if end <= start:
            return self._parent_segments[0].get_traces(0, 0, channel_indices)
        first = int(np.searchsorted(self._bounds, start, side="right")) - 1
        last = int(np.searchsorted(self._bounds, end, side="left")) - 1
        pieces = [
            self._read_part(part, start, end, channel_indices)
            for part in range(first, last + 1)
            if self._part_length(part) > 0
        ]
        return pieces[0] if len(pieces) == 1 else np.concatenate(pieces, axis=0)

    def _part_length(self, part: int) -> int:
        return int(self._bounds[part + 1] - self._bounds[part])

    def _read_part(
        self, part: int, start: int, end: int, channel_indices: slice | np.ndarray | None
    ) -> np.ndarray:
        offset = int(self._bounds[part])
        local_start = max(start - offset, 0)
        local_end = min(end - offset, self._part_length(part))
        return self._parent_segments[part].get_traces(local_start, local_end, channel_indices)


class SelectSegmentRecording(BaseRecording):
    """A lazy view on some segments of a recording, in the order given.

    Parameters
    ----------
    recording : BaseRecording
        The multi-segment recording.
    segment_indices : int | list of int
        Segments to keep, each ``0 <= i < num_segments``.
    """

    def __init__(self, recording: BaseRecording, segment_indices: int | list[int]) -> None:
        segment_indices = check_segment_indices(
            segment_indices, recording.get_num_segments(), "the recording has"
        )
        super().__init__(recording.sampling_frequency, recording.channel_ids, recording.get_dtype())
        recording.copy_metadata(self)
        for segment_index in segment_indices:
            self.add_recording_segment(
                ProxyRecordingSegment(recording._recording_segments[segment_index])
            )
        self._kwargs = {"recording": recording, "segment_indices": segment_indices}


def split_recording(recording: BaseRecording) -> list[SelectSegmentRecording]:
    """One mono-segment recording per segment of ``recording``.

    Parameters
    ----------
    recording : BaseRecording
        The multi-segment recording.

    Returns
    -------
    list of SelectSegmentRecording
    """
    return [
        SelectSegmentRecording(recording, [segment_index])
        for segment_index in range(recording.get_num_segments())
    ]


# SpikeInterface's functions are the classes themselves (``si.append_recordings`` is the class).
append_recordings = AppendSegmentRecording
concatenate_recordings = ConcatenateSegmentRecording
select_segment_recording = SelectSegmentRecording

register_extractor_class(
    AppendSegmentRecording, "spikeinterface.core.segmentutils.AppendSegmentRecording"
)
register_extractor_class(
    ConcatenateSegmentRecording, "spikeinterface.core.segmentutils.ConcatenateSegmentRecording"
)
register_extractor_class(
    SelectSegmentRecording, "spikeinterface.core.segmentutils.SelectSegmentRecording"
)
