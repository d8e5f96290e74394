"""Sortings: the base class with its caches, in-memory and on-disk formats, views."""

from .aggregation import UnitsAggregationSorting, aggregate_units
from .base import BaseSorting, BaseSortingSegment, minimum_spike_dtype
from .folders import (
    NpzFolderSorting,
    NumpyFolderSorting,
    read_npz_folder,
    read_numpy_sorting_folder,
)
from .npz import NpzSortingExtractor, read_npz_sorting
from .numpy import NumpySorting, SharedMemorySorting, SpikeVectorSortingSegment
from .segments import (
    AppendSegmentSorting,
    ConcatenateSegmentSorting,
    SelectSegmentSorting,
    SplitSegmentSorting,
    append_sortings,
    concatenate_sortings,
    select_segment_sorting,
    split_sorting,
)
from .slicing import FrameSliceSorting, UnitsSelectionSorting
from .spike_vector import spike_vector_to_spike_trains
from .zarr import ZarrSortingExtractor, add_sorting_to_zarr_group, read_zarr_sorting

__all__ = [
    "FrameSliceSorting",
    "UnitsSelectionSorting",
    "UnitsAggregationSorting",
    "aggregate_units",
    "AppendSegmentSorting",
    "ConcatenateSegmentSorting",
    "SelectSegmentSorting",
    "SplitSegmentSorting",
    "append_sortings",
    "concatenate_sortings",
    "select_segment_sorting",
    "split_sorting",
    "NpzSortingExtractor",
    "read_npz_sorting",
    "NumpyFolderSorting",
    "NpzFolderSorting",
    "read_numpy_sorting_folder",
    "read_npz_folder",
    "ZarrSortingExtractor",
    "read_zarr_sorting",
    "add_sorting_to_zarr_group",
    "BaseSorting",
    "BaseSortingSegment",
    "NumpySorting",
    "SharedMemorySorting",
    "SpikeVectorSortingSegment",
    "minimum_spike_dtype",
    "spike_vector_to_spike_trains",
]
