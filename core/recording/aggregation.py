"""Channel aggregation: several recordings side by side as one recording (aggregate_channels)."""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence

import numpy as np
from numpy.typing import ArrayLike

from ..argument_checks import sampling_frequency_mismatch
from ..errors import InvalidInputError
from ..registry import register_extractor_class
from .base import BaseRecording, BaseRecordingSegment
from .segments import check_recording_list


class ChannelsAggregationRecording(BaseRecording):
    """The channels of several recordings stacked into one lazy recording.

    Channel ids become ``0..N-1`` (as in SpikeInterface 0.100) unless ``renamed_channel_ids``
    is given. A property is kept when every recording has it with the same dtype kind; probes
    are merged into one probe group (each source probe stays a distinct probe). The result is
    filtered when every recording is.

    Parameters
    ----------
    recording_list : list of BaseRecording
        Recordings with the same sampling frequency, dtype, segment count, samples per segment
        and segment times.
    renamed_channel_ids : array-like | None
        One unique id per channel of the result.
    """

    def __init__(
        self, recording_list: Sequence[BaseRecording], renamed_channel_ids: ArrayLike | None = None
    ) -> None:
        recording_list = check_recording_list(recording_list)
        _check_same_layout(recording_list)
        num_channels = sum(recording.get_num_channels() for recording in recording_list)
        channel_ids = _new_channel_ids(renamed_channel_ids, num_channels)
        first = recording_list[0]
        super().__init__(first.sampling_frequency, channel_ids, first.get_dtype())
        self._recordings = recording_list
        self._set_aggregated_metadata(recording_list)
        owners = np.concatenate(
            [
                np.full(recording.get_num_channels(), index, dtype="int64")
                for index, recording in enumerate(recording_list)
            ]
        )
        local_indices = np.concatenate(
            [np.arange(recording.get_num_channels(), dtype="int64") for recording in recording_list]
        )
        for segment_index in range(first.get_num_segments()):
            parents = [recording._recording_segments[segment_index] for recording in recording_list]
            _check_same_times(parents, segment_index)
            self.add_recording_segment(
                ChannelsAggregationRecordingSegment(parents, owners, local_indices)
            )
        self._kwargs = {
            "recording_list": recording_list,
            "renamed_channel_ids": renamed_channel_ids,
        }

    def _set_aggregated_metadata(self, recording_list: list[BaseRecording]) -> None:
        skip = set(self._skip_properties)
        for key in recording_list[0].get_property_keys():
            if key in skip or not all(key in rec.get_property_keys() for rec in recording_list):
                continue
            values = [recording.get_property(key) for recording in recording_list]
            merged = (
                _merge_contact_vectors(values)
                if key == "contact_vector"
                else _concatenate_property(key, values)
            )
            if merged is not None:
                self.set_property(key, merged)
        _check_unique_locations(self.get_property("location"))
        if self.has_probe():
            _merge_probe_annotations(self, recording_list)
        self.annotate(is_filtered=all(recording.is_filtered() for recording in recording_list))


class ChannelsAggregationRecordingSegment(BaseRecordingSegment):
    """One segment whose channels come from the same segment of several recordings.

    Only the recordings owning requested channels are read.

    Parameters
    ----------
    parent_segments : list of BaseRecordingSegment
        One segment per source recording (same length and times).
    owners : np.ndarray
        For each channel, the position of its source in ``parent_segments``.
    local_indices : np.ndarray
        For each channel, its index in its source.
    """

    def __init__(
        self,
        parent_segments: list[BaseRecordingSegment],
        owners: np.ndarray,
        local_indices: np.ndarray,
    ) -> None:
        super().__init__(**parent_segments[0].get_times_kwargs())
        self._parent_segments = parent_segments
        self._owners = owners
        self._local_indices = local_indices

    def get_num_samples(self) -> int:
        return self._parent_segments[0].get_num_samples()

    def get_traces(
        self,
        start_frame: int | None = None,
        end_frame: int | None = None,
        channel_indices: slice | np.ndarray | None = None,
    ) -> np.ndarray:
        if channel_indices is None or (
            isinstance(channel_indices, slice) and channel_indices == slice(None)
        ):
            pieces = [
                segment.get_traces(start_frame, end_frame, None)
                for segment in self._parent_segments
            ]
            return pieces[0] if len(pieces) == 1 else np.concatenate(pieces, axis=1)
        positions = np.arange(self._owners.size)[channel_indices]
        owners = self._owners[positions]
        local = self._local_indices[positions]
        children = np.unique(owners)
        if children.size <= 1:
            child = int(children[0]) if children.size else 0
            return self._parent_segments[child].get_traces(
                start_frame, end_frame, _as_selection(local)
            )
        traces = None
        for child in children:
            mask = owners == child
            piece = self._parent_segments[child].get_traces(
                start_frame, end_frame, _as_selection(local[mask])
            )
            if traces is None:
                traces = np.empty((piece.shape[0], positions.size), dtype=piece.dtype)
            traces[:, mask] = piece
        return traces


def aggregate_channels(
    recording_list: Sequence[BaseRecording], renamed_channel_ids: ArrayLike | None = None
) -> ChannelsAggregationRecording:
    """Stack the channels of several recordings into one lazy recording.

    Parameters
    ----------
    recording_list : list of BaseRecording
        Recordings with the same sampling frequency, dtype, segment count, samples per segment
        and segment times.
    renamed_channel_ids : array-like | None
        One unique id per channel of the result; default ``0..N-1``.

    Returns
    -------
    ChannelsAggregationRecording
    """
    return ChannelsAggregationRecording(recording_list, renamed_channel_ids=renamed_channel_ids)


def _as_selection(indices: np.ndarray) -> slice | np.ndarray:
    """A slice when ``indices`` are consecutive and increasing (faster to read), else them."""
    if indices.size > 0 and np.all(np.diff(indices) == 1):
        return slice(int(indices[0]), int(indices[-1]) + 1)
    return indices


def _check_same_layout(recording_list: Sequence[BaseRecording]) -> None:
    """Sampling frequency, dtype, segment count and samples per segment of the first."""
    reference = recording_list[0]
    for index, recording in enumerate(recording_list[1:], start=1):
        name = f"recording_list[{index}]"
        if recording.sampling_frequency != reference.sampling_frequency:
            raise ValueError(
                sampling_frequency_mismatch(
                    name,
                    recording.sampling_frequency,
                    "recording_list[0]",
                    reference.sampling_frequency,
                )
            )
        if recording.get_dtype() != reference.get_dtype():
            raise ValueError(
                f"{name} has dtype {recording.get_dtype()} but recording_list[0] "
                f"has dtype {reference.get_dtype()}"
            )
        if recording.get_num_segments() != reference.get_num_segments():
            raise ValueError(
                f"{name} has {recording.get_num_segments()} segments but "
                f"recording_list[0] has {reference.get_num_segments()}"
            )
        for segment_index in range(reference.get_num_segments()):
            count = recording.get_num_samples(segment_index)
            expected = reference.get_num_samples(segment_index)
            if count != expected:
                raise ValueError(
                    f"{name} segment {segment_index} has {count} samples but "
                    f"recording_list[0] has {expected}"
                )


def _new_channel_ids(renamed_channel_ids: ArrayLike | None, num_channels: int) -> np.ndarray:
    if renamed_channel_ids is None:
        return np.arange(num_channels, dtype="int64")
    renamed = np.asarray(renamed_channel_ids)
    if renamed.ndim != 1 or renamed.size != num_channels:
        raise ValueError(f"renamed_channel_ids has {renamed.size} ids for {num_channels} channels")
    if np.unique(renamed).size != renamed.size:
        raise InvalidInputError("renamed_channel_ids has duplicates: ids must be unique")
    return renamed


def _check_same_times(segments: Sequence[BaseRecordingSegment], segment_index: int) -> None:
    reference = segments[0]
    for index, segment in enumerate(segments[1:], start=1):
        problem = _times_difference(segment, reference)
        if problem:
            raise ValueError(
                f"recording_list[{index}] segment {segment_index} {problem}: "
                "aggregated recordings must share their times"
            )


def _times_difference(segment: BaseRecordingSegment, reference: BaseRecordingSegment) -> str:
    has_vector, reference_has_vector = (
        segment.time_vector is not None,
        reference.time_vector is not None,
    )
    if has_vector != reference_has_vector:
        which = "has" if has_vector else "has no"
        other = "none" if has_vector else "one"
        return f"{which} time vector but recording_list[0] has {other}"
    if has_vector:
        if not np.array_equal(segment.time_vector, reference.time_vector):
            return "has a different time vector from recording_list[0]"
        return ""
    t_start, reference_t_start = segment.t_start or 0.0, reference.t_start or 0.0
    # start times agree to a nanosecond: computed starts (e.g. of frame slices) may differ by
    # rounding only
    if not math.isclose(t_start, reference_t_start, rel_tol=0.0, abs_tol=1e-9):
        return f"starts at t_start={t_start} s but recording_list[0] at {reference_t_start} s"
    return ""


def _concatenate_property(key: str, values: list[np.ndarray]) -> np.ndarray | None:
    """Values of all recordings end to end, or None (with a warning) if they do not fit."""
    kinds = {value.dtype.kind for value in values}
    shapes = {value.shape[1:] for value in values}
    if len(kinds) > 1 or len(shapes) > 1:
        warnings.warn(
            f"aggregate_channels(): property {key!r} is dropped: its dtypes "
            f"({', '.join(str(v.dtype) for v in values)}) or shapes differ between "
            "recordings",
            stacklevel=4,
        )
        return None
    return np.concatenate(values, axis=0)


def _merge_contact_vectors(tables: list[np.ndarray]) -> np.ndarray | None:
    """One contact table for all channels, each source probe a distinct probe, wired 0..N-1.

    Fields missing from some tables are filled with zeros (as ``ProbeGroup.to_numpy`` does).
    Returns None (with a warning) when 2-D and 3-D probes are mixed or fields do not fit.
    """
    if len({"z" in table.dtype.names for table in tables}) > 1:
        warnings.warn(
            "aggregate_channels(): the probes are dropped: 2-D and 3-D probes are mixed",
            stacklevel=4,
        )
        return None
    try:
        dtype = _union_dtype(tables)
    except TypeError as error:  # numpy's DTypePromotionError is a TypeError
        warnings.warn(
            f"aggregate_channels(): the probes are dropped: their contact fields do "
            f"not fit together ({error})",
            stacklevel=4,
        )
        return None
    merged = np.zeros(sum(table.size for table in tables), dtype=dtype)
    start, probe_offset = 0, 0
    for table in tables:
        part = merged[start : start + table.size]
        for name in table.dtype.names:
            part[name] = table[name]
        _, ranks = np.unique(table["probe_index"], return_inverse=True)
        part["probe_index"] = ranks.reshape(-1) + probe_offset
        probe_offset += int(ranks.max()) + 1 if ranks.size else 0
        start += table.size
    merged["device_channel_indices"] = np.arange(merged.size, dtype="int64")
    if "probe_id" in dtype.names:
        _make_probe_ids_unique(merged)
    return merged


def _union_dtype(tables: list[np.ndarray]) -> np.dtype:
    field_dtypes: dict[str, list[np.dtype]] = {}
    for table in tables:
        for name in table.dtype.names:
            field_dtypes.setdefault(name, []).append(table.dtype[name])
    return np.dtype([(name, np.result_type(*dtypes)) for name, dtypes in field_dtypes.items()])


def _make_probe_ids_unique(merged: np.ndarray) -> None:
    """Number probes ``"0".."k-1"`` when two sources used the same probe id."""
    _, first_rows = np.unique(merged["probe_index"], return_index=True)
    ids = merged["probe_id"][first_rows]
    if np.unique(ids).size != ids.size:
        merged["probe_id"] = merged["probe_index"].astype(merged.dtype["probe_id"])


def _merge_probe_annotations(target: BaseRecording, recording_list: list[BaseRecording]) -> None:
    """Carry each source probe's planar contour and annotations to its new probe number."""
    probes_info: list[dict] = []
    for recording in recording_list:
        num_probes = np.unique(recording.get_property("contact_vector")["probe_index"]).size
        source_info = recording.get_annotation("probes_info") or []
        for rank in range(num_probes):
            contour = recording.get_annotation(f"probe_{rank}_planar_contour")
            if contour is not None:
                target.set_annotation(
                    f"probe_{len(probes_info)}_planar_contour", contour, overwrite=True
                )
            probes_info.append(source_info[rank] if rank < len(source_info) else {})
    if any(probes_info):
        target.annotate(probes_info=probes_info)


def _check_unique_locations(locations: np.ndarray | None) -> None:
    """Two channels at the same place mean the same probe was aggregated twice."""
    if locations is None:
        return
    known = locations[~np.isnan(locations).any(axis=1)]
    unique, counts = np.unique(known, axis=0, return_counts=True)
    if np.any(counts > 1):
        first = int(np.argmax(counts > 1))
        raise ValueError(
            f"aggregate_channels(): channel locations are not unique (e.g. "
            f"{unique[first].tolist()} appears {counts[first]} times); cannot aggregate "
            "recordings of the same probe positions"
        )


register_extractor_class(
    ChannelsAggregationRecording,
    "spikeinterface.core.channelsaggregationrecording.ChannelsAggregationRecording",
)
