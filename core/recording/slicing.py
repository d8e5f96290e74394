"""Lazy recording views: channel slices, frame slices and dtype casts."""

from __future__ import annotations

import numpy as np

from ..argument_checks import checked_frame, checked_numeric_dtype
from ..registry import register_extractor_class
from .base import BaseRecording, BaseRecordingSegment
from .channels import ChannelSliceSelection, copy_sliced_metadata, resolve_channel_slice


class ChannelSliceRecording(BaseRecording):
    """A lazy view on some channels of a recording, optionally renamed.

    Parameters
    ----------
    parent_recording : BaseRecording
    channel_ids : array-like | None
        Channels to keep, in the order wanted (None: all).
    renamed_channel_ids : array-like | None
        New ids, one per kept channel.
    """

    def __init__(
        self, parent_recording: BaseRecording, channel_ids=None, renamed_channel_ids=None
    ) -> None:
        channel_ids, parent_indices, renamed_channel_ids = resolve_channel_slice(
            parent_recording, channel_ids, renamed_channel_ids
        )
        super().__init__(
            parent_recording.sampling_frequency, renamed_channel_ids, parent_recording.get_dtype()
        )
        self._parent = parent_recording
        self._parent_channel_indices = parent_indices
        for segment in parent_recording._recording_segments:
            self.add_recording_segment(ChannelSliceRecordingSegment(segment, parent_indices))
        copy_sliced_metadata(parent_recording, self, channel_ids)
        self._kwargs = {
            "parent_recording": parent_recording,
            "channel_ids": channel_ids,
            "renamed_channel_ids": renamed_channel_ids,
        }

    def is_binary_compatible(self) -> bool:
        return False


class ChannelSliceRecordingSegment(BaseRecordingSegment):
    """A parent segment restricted to some channels."""

    def __init__(self, parent_segment: BaseRecordingSegment, parent_indices: np.ndarray) -> None:
        super().__init__(**_times_kwargs(parent_segment))
        self._parent_segment = parent_segment
        self._channels = ChannelSliceSelection(parent_indices)

    def get_num_samples(self) -> int:
        return self._parent_segment.get_num_samples()

    def get_traces(self, start_frame=None, end_frame=None, channel_indices=None) -> np.ndarray:
        return self._parent_segment.get_traces(
            start_frame, end_frame, self._channels.parent_channel_indices(channel_indices)
        )


class FrameSliceRecording(BaseRecording):
    """A lazy view on samples ``[start_frame, end_frame)`` of a mono-segment recording.

    Times stay absolute: the first sample of the view has the parent's time at ``start_frame``.
    """

    def __init__(
        self,
        parent_recording: BaseRecording,
        start_frame: int | None = None,
        end_frame: int | None = None,
    ) -> None:
        if parent_recording.get_num_segments() != 1:
            raise ValueError(
                "frame_slice() needs a mono-segment recording: use "
                "select_segment_recording() or split_recording() first"
            )
        num_samples = parent_recording.get_num_samples(0)
        start_frame = checked_frame(start_frame, "start_frame")
        end_frame = checked_frame(end_frame, "end_frame")
        start_frame = 0 if start_frame is None else start_frame
        end_frame = num_samples if end_frame is None else end_frame
        if not 0 <= start_frame < num_samples:
            raise ValueError(f"start_frame {start_frame} is outside [0, {num_samples})")
        if not 0 < end_frame <= num_samples:
            raise ValueError(f"end_frame {end_frame} is outside (0, {num_samples}]")
        if end_frame <= start_frame:
            raise ValueError(f"end_frame {end_frame} must be after start_frame {start_frame}")
        super().__init__(
            parent_recording.sampling_frequency,
            parent_recording.channel_ids,
            parent_recording.get_dtype(),
        )
        self.add_recording_segment(
            FrameSliceRecordingSegment(
                parent_recording._recording_segments[0], start_frame, end_frame
            )
        )
        parent_recording.copy_metadata(self)
        self._kwargs = {
            "parent_recording": parent_recording,
            "start_frame": start_frame,
            "end_frame": end_frame,
        }


class FrameSliceRecordingSegment(BaseRecordingSegment):
    """A parent segment restricted to a sample range."""

    def __init__(
        self, parent_segment: BaseRecordingSegment, start_frame: int, end_frame: int
    ) -> None:
        if parent_segment.time_vector is not None:
            super().__init__(
                sampling_frequency=parent_segment.sampling_frequency,
                time_vector=parent_segment.time_vector[start_frame:end_frame],
            )
        else:
            t_start = (
                parent_segment.t_start or 0.0
            ) + start_frame / parent_segment.sampling_frequency
            super().__init__(sampling_frequency=parent_segment.sampling_frequency, t_start=t_start)
        self._parent_segment = parent_segment
        self.start_frame = start_frame
        self.end_frame = end_frame

    def get_num_samples(self) -> int:
        return self.end_frame - self.start_frame

    def get_traces(self, start_frame=None, end_frame=None, channel_indices=None) -> np.ndarray:
        start = self.start_frame + (start_frame or 0)
        end = self.end_frame if end_frame is None else self.start_frame + end_frame
        return self._parent_segment.get_traces(start, end, channel_indices)


class AstypeRecording(BaseRecording):
    """A lazy view returning traces cast to another dtype (scaling metadata kept)."""

    def __init__(self, recording: BaseRecording, dtype) -> None:
        dtype = checked_numeric_dtype(dtype)
        super().__init__(recording.sampling_frequency, recording.channel_ids, dtype)
        for segment in recording._recording_segments:
            self.add_recording_segment(AstypeRecordingSegment(segment, dtype))
        recording.copy_metadata(self)
        self._kwargs = {"recording": recording, "dtype": dtype.str}


class AstypeRecordingSegment(BaseRecordingSegment):
    """A parent segment cast to ``dtype``."""

    def __init__(self, parent_segment: BaseRecordingSegment, dtype: np.dtype) -> None:
        super().__init__(**_times_kwargs(parent_segment))
        self._parent_segment = parent_segment
        self._dtype = dtype

    def get_num_samples(self) -> int:
        return self._parent_segment.get_num_samples()

    def get_traces(self, start_frame=None, end_frame=None, channel_indices=None) -> np.ndarray:
        traces = self._parent_segment.get_traces(start_frame, end_frame, channel_indices)
        return traces.astype(self._dtype, copy=False)


def _times_kwargs(segment: BaseRecordingSegment) -> dict:
    """Time information a view segment shares with its parent segment."""
    return {
        "sampling_frequency": segment.sampling_frequency,
        "t_start": segment.t_start,
        "time_vector": segment.time_vector,
    }


register_extractor_class(
    ChannelSliceRecording, "spikeinterface.core.channelslice.ChannelSliceRecording"
)
register_extractor_class(
    FrameSliceRecording, "spikeinterface.core.frameslicerecording.FrameSliceRecording"
)
register_extractor_class(AstypeRecording, "spikeinterface.preprocessing.astype.AstypeRecording")
