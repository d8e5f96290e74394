"""Events and epochs (e.g. TTL pulses): the base class, in-memory events and saved folders."""

from ..lazy_exports import lazy_exports

#: Public name -> module that defines it, imported on first access (PEP 562).
_EXPORTS = {
    "align_spikes": ".alignment",
    "peri_event_histogram": ".alignment",
    "BaseEvent": ".base",
    "BaseEventSegment": ".base",
    "NpyFolderEvent": ".npy_folder",
    "NpyFolderEventSegment": ".npy_folder",
    "read_npy_folder_event": ".npy_folder",
    "NumpyEvent": ".numpy",
    "NumpyEventSegment": ".numpy",
}

__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)

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
