"""Snippets: waveform cutouts around peaks, in memory or in ``.npy`` files, and their views."""

from .base import BaseSnippets, BaseSnippetsSegment
from .npy import (
    NpyFolderSnippets,
    NpySnippetsExtractor,
    read_npy_snippets,
    read_npy_snippets_folder,
)
from .numpy import NumpySnippets
from .segments import SelectSegmentSnippets
from .slicing import ChannelSliceSnippets

__all__ = [
    "BaseSnippets",
    "BaseSnippetsSegment",
    "ChannelSliceSnippets",
    "NpyFolderSnippets",
    "NpySnippetsExtractor",
    "NumpySnippets",
    "SelectSegmentSnippets",
    "read_npy_snippets",
    "read_npy_snippets_folder",
]
