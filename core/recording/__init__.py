"""Recordings: the base class, in-memory and on-disk formats, views and tools."""

from .base import BaseRecording, BaseRecordingSegment
from .binary import (
    BinaryFolderRecording,
    BinaryRecordingExtractor,
    read_binary,
    read_binary_folder,
)
from .channels import BaseRecordingSnippets
from .numpy import NumpyRecording, SharedMemoryRecording
from .slicing import ChannelSliceRecording, FrameSliceRecording
from .writing import write_binary_recording

__all__ = [
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
