"""BaseEvent and BaseEventSegment: events and epochs (e.g. TTL pulses) per channel and segment.

Events of a channel are a 1-D numpy array. With a structured dtype, the ``"time"`` field (or the
legacy ``"timestamp"`` field) holds the times in seconds and other fields are free (an epoch has a
``"duration"`` field, in seconds, and often a ``"label"``); with a plain dtype the values are the
times themselves.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..base import BaseExtractor, BaseSegment

_TIME_FIELDS = ("time", "timestamp")


class BaseEvent(BaseExtractor):
    """Events of several channels, in one or more segments.

    Parameters
    ----------
    channel_ids : array-like
        One id per event channel (integers or strings).
    structured_dtype : numpy dtype-like | dict
        One dtype for every channel, or a dict ``channel_id -> dtype`` with an entry for every
        channel. A structured dtype must have a numeric ``"time"`` (or ``"timestamp"``) field in
        seconds; a plain numeric dtype means the values are the times.

    Raises
    ------
    ValueError
        If a channel has no dtype, or a structured dtype has no time field (naming the channel).
    TypeError
        If the times of a channel are not numeric.
    """

    _ids_argument = "channel_ids"

    def __init__(self, channel_ids, structured_dtype) -> None:
        super().__init__(channel_ids)
        self._event_segments: list[BaseEventSegment] = []
        self.structured_dtype = _dtypes_per_channel(self.channel_ids.tolist(), structured_dtype)

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}: {self.get_num_channels()} channels - "
            f"{self.get_num_segments()} segments"
        )

    @property
    def channel_ids(self) -> np.ndarray:
        """Channel ids."""
        return self._main_ids

    def get_num_channels(self) -> int:
        """Number of event channels."""
        return len(self._main_ids)

    def get_num_segments(self) -> int:
        """Number of segments."""
        return len(self._event_segments)

    def add_event_segment(self, event_segment: BaseEventSegment) -> None:
        """Append a segment.

        Parameters
        ----------
        event_segment : BaseEventSegment
        """
        if not isinstance(event_segment, BaseEventSegment):
            raise TypeError(
                f"event_segment must be a BaseEventSegment, got {type(event_segment).__name__}"
            )
        self._event_segments.append(event_segment)
        event_segment.set_parent_extractor(self)

    def get_dtype(self, channel_id) -> np.dtype:
        """Dtype of the events of ``channel_id``.

        Parameters
        ----------
        channel_id : int | str

        Returns
        -------
        np.dtype
        """
        return self.structured_dtype[self._resolve_channel_id(channel_id)]

    def get_events(
        self,
        channel_id=None,
        segment_index: int | None = None,
        start_time: float | None = None,
        end_time: float | None = None,
        include_overlapping: bool = False,
    ) -> np.ndarray:
        """Events of one channel in a segment, optionally within a time window.

        Parameters
        ----------
        channel_id : int | str | None
            May be omitted when there is only one channel.
        segment_index : int | None
            Required for multi-segment objects.
        start_time, end_time : float | None
            Keep events with ``start_time <= time <= end_time`` (seconds; either bound may be
            None).
        include_overlapping : bool
            Also keep epochs (events with a ``"duration"`` field) that start before
            ``start_time`` and last into the window. Events without duration are unaffected.

        Returns
        -------
        np.ndarray
            1-D array of the channel's dtype.
        """
        channel_id = self._resolve_channel_id(channel_id)
        segment = self._event_segments[self._check_segment_index(segment_index)]
        return segment.get_events(channel_id, start_time, end_time, include_overlapping)

    def get_event_times(
        self,
        channel_id=None,
        segment_index: int | None = None,
        start_time: float | None = None,
        end_time: float | None = None,
    ) -> np.ndarray:
        """Times in seconds of the events of one channel in a segment.

        Parameters
        ----------
        channel_id : int | str | None
            May be omitted when there is only one channel.
        segment_index : int | None
            Required for multi-segment objects.
        start_time, end_time : float | None
            Keep times with ``start_time <= time <= end_time`` (either bound may be None).

        Returns
        -------
        np.ndarray
            1-D times: the ``"time"`` field, else the ``"timestamp"`` field, else the values.
        """
        channel_id = self._resolve_channel_id(channel_id)
        segment = self._event_segments[self._check_segment_index(segment_index)]
        return segment.get_event_times(channel_id, start_time, end_time)

    def _resolve_channel_id(self, channel_id):
        if channel_id is None:
            if self.get_num_channels() != 1:
                raise ValueError(
                    f"channel_id is required: the object has {self.get_num_channels()} channels"
                )
            return self.channel_ids.tolist()[0]
        if channel_id not in self.structured_dtype:
            raise ValueError(
                f"channel_id {channel_id!r} is not among the channel ids "
                f"{self.channel_ids.tolist()}"
            )
        return channel_id

    # ------------------------------------------------------------------ saving
    def _saved_folder_class_path(self) -> str:
        from .npy_folder import NpyFolderEvent

        return NpyFolderEvent._dict_class_path

    def _save_data_to_folder(
        self,
        folder: Path,
        format: str | None = None,
        progress_callback=None,
        cancel_token=None,
        **job_kwargs,
    ) -> None:
        from ..jobs import split_job_kwargs
        from .npy_folder import write_npy_folder_event_data

        if format not in (None, "npy"):
            raise ValueError(f"events save to 'npy' or 'memory', not format={format!r}")
        unknown, _ = split_job_kwargs(job_kwargs)
        if unknown:
            raise TypeError(f"unexpected arguments for saving events: {sorted(unknown)}")
        write_npy_folder_event_data(
            self, folder, progress_callback=progress_callback, cancel_token=cancel_token
        )

    def _save_to_memory(self, sharedmem: bool = True, **save_kwargs):
        # Events are small: a NumpyEvent copy serves both the shared and the private case.
        from .numpy import NumpyEvent

        channel_ids = self.channel_ids.tolist()
        event_dict_list = [
            {ch: np.array(segment.get_events(ch)) for ch in channel_ids}
            for segment in self._event_segments
        ]
        event = NumpyEvent(channel_ids, self.structured_dtype, event_dict_list=event_dict_list)
        self.copy_metadata(event)
        return event


class BaseEventSegment(BaseSegment):
    """Data access for one segment of a `BaseEvent`.

    Subclasses implement ``get_events(channel_id, start_time, end_time, include_overlapping)``;
    ``channel_id`` is always one of the parent's channel ids.
    """

    def get_events(
        self,
        channel_id,
        start_time: float | None = None,
        end_time: float | None = None,
        include_overlapping: bool = False,
    ) -> np.ndarray:
        """Events of ``channel_id`` within ``[start_time, end_time]`` (see `BaseEvent.get_events`)."""
        raise NotImplementedError

    def get_event_times(
        self, channel_id, start_time: float | None = None, end_time: float | None = None
    ) -> np.ndarray:
        """Times in seconds of the events of ``channel_id`` within ``[start_time, end_time]``."""
        return event_times(self.get_events(channel_id, start_time, end_time))


def time_field(dtype: np.dtype) -> str | None:
    """Name of the time field of a structured event dtype (None for a plain dtype).

    Parameters
    ----------
    dtype : np.dtype

    Returns
    -------
    str | None
        ``"time"``, else ``"timestamp"``, else None (also when the dtype has neither field).
    """
    names = dtype.names or ()
    return next((name for name in _TIME_FIELDS if name in names), None)


def event_times(events: np.ndarray) -> np.ndarray:
    """Times in seconds of an event array: its time field, or the array if its dtype is plain.

    Parameters
    ----------
    events : np.ndarray

    Returns
    -------
    np.ndarray
    """
    if events.dtype.names is None:
        return events
    return events[time_field(events.dtype)]


def select_in_window(
    events: np.ndarray,
    start_time: float | None = None,
    end_time: float | None = None,
    include_overlapping: bool = False,
) -> np.ndarray:
    """Events with ``start_time <= time <= end_time`` (bounds inclusive, either may be None).

    Parameters
    ----------
    events : np.ndarray
        Events of one channel.
    start_time, end_time : float | None
        Window in seconds.
    include_overlapping : bool
        Also keep epochs (a ``"duration"`` field) that start before ``start_time`` and end at or
        after it. A NaN or negative duration counts as zero.

    Returns
    -------
    np.ndarray
        The selected events, in their stored order.
    """
    if start_time is None and end_time is None:
        return events
    times = event_times(events)
    keep = np.ones(times.shape, dtype=bool)
    if end_time is not None:
        keep &= times <= end_time
    if start_time is not None:
        if include_overlapping and "duration" in (events.dtype.names or ()):
            keep &= np.fmax(times, times + events["duration"]) >= start_time
        else:
            keep &= times >= start_time
    return events[keep]


def _dtypes_per_channel(channel_ids: list, structured_dtype) -> dict:
    if isinstance(structured_dtype, dict):
        missing = [ch for ch in channel_ids if ch not in structured_dtype]
        if missing:
            raise ValueError(f"structured_dtype has no dtype for channels {missing}")
        dtypes = {ch: structured_dtype[ch] for ch in channel_ids}
    else:
        dtypes = dict.fromkeys(channel_ids, structured_dtype)
    return {ch: _checked_dtype(ch, dtype) for ch, dtype in dtypes.items()}


def _checked_dtype(channel_id, dtype) -> np.dtype:
    try:
        dtype = np.dtype(dtype)
    except TypeError as err:
        raise TypeError(
            f"structured_dtype of channel {channel_id!r} is not a dtype: {err}"
        ) from None
    if dtype.names is None:
        times_dtype = dtype
    else:
        name = time_field(dtype)
        if name is None:
            raise ValueError(
                f"structured_dtype of channel {channel_id!r} needs a 'time' (or 'timestamp') "
                f"field, got fields {list(dtype.names)}"
            )
        times_dtype = dtype.fields[name][0]
    if times_dtype.kind not in "iuf" or times_dtype.shape:
        raise TypeError(
            f"event times of channel {channel_id!r} must be numeric scalars, got dtype {times_dtype}"
        )
    return dtype
