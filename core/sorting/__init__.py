"""Sortings: the base class with its caches, in-memory and on-disk formats, views."""

from .base import BaseSorting, BaseSortingSegment, minimum_spike_dtype
from .numpy import NumpySorting, SharedMemorySorting, SpikeVectorSortingSegment
from .spike_vector import spike_vector_to_spike_trains

__all__ = [
    "BaseSorting",
    "BaseSortingSegment",
    "NumpySorting",
    "SharedMemorySorting",
    "SpikeVectorSortingSegment",
    "minimum_spike_dtype",
    "spike_vector_to_spike_trains",
]
