"""Recordings: the base class, in-memory and on-disk formats, views and tools."""

from .aggregation import ChannelsAggregationRecording, aggregate_channels
from .base import BaseRecording, BaseRecordingSegment
from .binary import (
    BinaryFolderRecording,
    BinaryRecordingExtractor,
    read_binary,
    read_binary_folder,
)
from .channels import BaseRecordingSnippets
from .numpy import NumpyRecording, SharedMemoryRecording
from .segments import (
    AppendSegmentRecording,
    ConcatenateSegmentRecording,
    SelectSegmentRecording,
    append_recordings,
    concatenate_recordings,
    select_segment_recording,
    split_recording,
)
from .slicing import ChannelSliceRecording, FrameSliceRecording
from .tools import (
    get_channel_distances,
    get_chunk_with_margin,
    get_closest_channels,
    get_noise_levels,
    get_random_data_chunks,
    order_channels_by_depth,
)
from .writing import write_binary_recording
from .zarr import (
    ZarrRecordingExtractor,
    get_default_zarr_compressor,
    read_zarr_recording,
)

__all__ = [
    "ZarrRecordingExtractor",
    "read_zarr_recording",
    "get_default_zarr_compressor",
    "get_random_data_chunks",
    "get_noise_levels",
    "get_chunk_with_margin",
    "get_closest_channels",
    "get_channel_distances",
    "order_channels_by_depth",
    "AppendSegmentRecording",
    "ChannelsAggregationRecording",
    "ConcatenateSegmentRecording",
    "SelectSegmentRecording",
    "aggregate_channels",
    "append_recordings",
    "concatenate_recordings",
    "select_segment_recording",
    "split_recording",
    "BaseRecording",
    "BaseRecordingSegment",
    "BaseRecordingSnippets",
    "BinaryFolderRecording",
    "BinaryRecordingExtractor",
    "ChannelSliceRecording",
    "FrameSliceRecording",
    "NumpyRecording",
    "SharedMemoryRecording",
    "read_binary",
    "read_binary_folder",
    "write_binary_recording",
]
