"""Snippets: waveform cutouts around peaks, in memory or in ``.npy`` files, and their views."""

from ..lazy_exports import lazy_exports

#: Public name -> module that defines it, imported on first access (PEP 562).
_EXPORTS = {
    "BaseSnippets": ".base",
    "BaseSnippetsSegment": ".base",
    "GeneratedSnippets": ".from_sorting",
    "generate_snippets": ".from_sorting",
    "snippets_from_sorting": ".from_sorting",
    "NpyFolderSnippets": ".npy",
    "NpySnippetsExtractor": ".npy",
    "read_npy_snippets": ".npy",
    "read_npy_snippets_folder": ".npy",
    "NumpySnippets": ".numpy",
    "SelectSegmentSnippets": ".segments",
    "ChannelSliceSnippets": ".slicing",
}

__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)

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
