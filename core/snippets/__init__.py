"""Snippets: waveform cutouts around peaks, in memory or in ``.npy`` files, and their views."""

from .base import BaseSnippets, BaseSnippetsSegment
from .from_sorting import GeneratedSnippets, generate_snippets, snippets_from_sorting
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
    "snippets_from_sorting",
    "generate_snippets",
    "GeneratedSnippets",
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
