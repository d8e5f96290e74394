"""Events and epochs (e.g. TTL pulses): the base class, in-memory events and saved folders."""

from .alignment import align_spikes, peri_event_histogram
from .base import BaseEvent, BaseEventSegment
from .npy_folder import NpyFolderEvent, NpyFolderEventSegment, read_npy_folder_event
from .numpy import NumpyEvent, NumpyEventSegment

__all__ = [
    "align_spikes",
    "peri_event_histogram",
    "BaseEvent",
    "BaseEventSegment",
    "NpyFolderEvent",
    "NpyFolderEventSegment",
    "NumpyEvent",
    "NumpyEventSegment",
    "read_npy_folder_event",
]
