"""In-memory events: NumpyEvent and NumpyEventSegment."""

from __future__ import annotations

import numpy as np

from ..registry import register_extractor_class
from .base import BaseEvent, BaseEventSegment, event_times, select_in_window


class NumpyEventSegment(BaseEventSegment):
    """One segment of events held in numpy arrays.

    Parameters
    ----------
    event_dict : dict
        ``channel_id -> 1-D array`` of events.

    Attributes
    ----------
    event_dict : dict
        ``channel_id -> array`` (once added to a `NumpyEvent`: its channels, in its dtypes).
    """

    def __init__(self, event_dict: dict) -> None:
        if not isinstance(event_dict, dict):
            raise TypeError(
                f"event_dict must be a dict channel_id -> array, got {type(event_dict).__name__}"
            )
        self.event_dict = {}
        for channel_id, events in event_dict.items():
            events = np.asarray(events)
            if events.ndim != 1:
                raise ValueError(
                    f"event_dict: events of channel {channel_id!r} must be 1-D, "
                    f"got shape {events.shape}"
                )
            self.event_dict[channel_id] = events

    def get_events(
        self,
        channel_id,
        start_time: float | None = None,
        end_time: float | None = None,
        include_overlapping: bool = False,
    ) -> np.ndarray:
        """Events of ``channel_id`` within ``[start_time, end_time]`` (see `BaseEvent.get_events`)."""
        return select_in_window(
            self.event_dict[channel_id], start_time, end_time, include_overlapping
        )


class NumpyEvent(BaseEvent):
    """Events held in memory, one dict of arrays per segment.

    Parameters
    ----------
    channel_ids : array-like
        One id per event channel.
    structured_dtype : numpy dtype-like | dict
        One dtype for every channel or a dict ``channel_id -> dtype`` (see `BaseEvent`).
    event_dict_list : list of dict | None
        Segments to add now, each a dict ``channel_id -> array`` (this is how the object is
        rebuilt from its description; `NumpyEvent.from_dict` is the usual constructor).
    """

    def __init__(self, channel_ids, structured_dtype, event_dict_list: list | None = None) -> None:
        super().__init__(channel_ids, structured_dtype)
        self._event_dict_list: list[dict] = []
        for event_dict in event_dict_list or []:
            self.add_event_segment(NumpyEventSegment(event_dict))
        self._serializability["json"] = False
        self._kwargs = {
            "channel_ids": self.channel_ids,
            "structured_dtype": self.structured_dtype,
            "event_dict_list": self._event_dict_list,
        }

    @classmethod
    def from_dict(cls, event_dict_list) -> NumpyEvent:
        """Events from a dict (one segment) or a list of dicts (one per segment).

        Parameters
        ----------
        event_dict_list : dict | list of dict
            ``channel_id -> array``. Channel ids and dtypes are taken from the first segment;
            other segments must have the same channels and dtypes that cast safely to those.
            Arrays not sorted by time are sorted (stable).

        Returns
        -------
        NumpyEvent
        """
        if isinstance(event_dict_list, dict):
            event_dict_list = [event_dict_list]
        if not isinstance(event_dict_list, list | tuple) or not event_dict_list:
            raise ValueError("event_dict_list must be a dict or a non-empty list of dicts")
        segments = [NumpyEventSegment(event_dict) for event_dict in event_dict_list]
        first = segments[0].event_dict
        event = cls(list(first), {ch: events.dtype for ch, events in first.items()})
        for segment in segments:
            event.add_event_segment(segment)
            for channel_id, events in segment.event_dict.items():
                segment.event_dict[channel_id] = _sorted_by_time(events)
        return event

    def add_event_segment(self, event_segment: NumpyEventSegment) -> None:
        """Append a segment.

        The segment keeps the arrays of this object's channels only, cast (safely) to the
        channels' dtypes.

        Parameters
        ----------
        event_segment : NumpyEventSegment
            Must have events for every channel.
        """
        if not isinstance(event_segment, NumpyEventSegment):
            raise TypeError(
                f"event_segment must be a NumpyEventSegment, got {type(event_segment).__name__}"
            )
        event_segment.event_dict = self._conformed(event_segment.event_dict)
        super().add_event_segment(event_segment)
        self._event_dict_list.append(event_segment.event_dict)

    def _conformed(self, event_dict: dict) -> dict:
        """The arrays of each channel cast to its dtype, or a ValueError saying why they do not fit."""
        index = self.get_num_segments()
        conformed = {}
        for channel_id in self.channel_ids.tolist():
            if channel_id not in event_dict:
                raise ValueError(f"segment {index} has no events for channel {channel_id!r}")
            events, dtype = event_dict[channel_id], self.structured_dtype[channel_id]
            if events.dtype != dtype and (
                events.dtype.names != dtype.names or not np.can_cast(events.dtype, dtype, "safe")
            ):
                raise ValueError(
                    f"segment {index}: events of channel {channel_id!r} have dtype "
                    f"{events.dtype}, which does not safely cast to the channel's dtype {dtype}"
                )
            conformed[channel_id] = events.astype(dtype, copy=False)
        return conformed


def _sorted_by_time(events: np.ndarray) -> np.ndarray:
    times = event_times(events)
    if np.all(times[1:] >= times[:-1]):
        return events
    return events[np.argsort(times, kind="stable")]


register_extractor_class(NumpyEvent, "spikeinterface.core.numpyextractors.NumpyEvent")
