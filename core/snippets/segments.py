"""Segment utilities for snippets: SelectSegmentSnippets."""

from __future__ import annotations

import numpy as np

from ..registry import register_extractor_class
from ..segment_checks import check_segment_indices
from .base import BaseSnippets, BaseSnippetsSegment


class SelectSegmentSnippets(BaseSnippets):
    """A lazy view on some segments of a snippets object, in the order given.

    Parameters
    ----------
    snippets : BaseSnippets
        The multi-segment snippets.
    segment_indices : int | list of int
        Segments to keep, each ``0 <= i < num_segments``.
    """

    def __init__(self, snippets: BaseSnippets, segment_indices: int | list[int]) -> None:
        segment_indices = check_segment_indices(
            segment_indices, snippets.get_num_segments(), "the snippets have"
        )
        super().__init__(
            snippets.sampling_frequency,
            snippets.nbefore,
            snippets.snippet_len,
            snippets.channel_ids,
            snippets.get_dtype(),
        )
        snippets.copy_metadata(self)
        for segment_index in segment_indices:
            self.add_snippets_segment(
                ProxySnippetsSegment(snippets._snippets_segments[segment_index])
            )
        self._kwargs = {"snippets": snippets, "segment_indices": segment_indices}


class ProxySnippetsSegment(BaseSnippetsSegment):
    """A segment that reads through another one (views must not re-parent a segment)."""

    def __init__(self, parent_segment: BaseSnippetsSegment) -> None:
        super().__init__()
        self._parent_segment = parent_segment

    def get_num_snippets(self) -> int:
        return self._parent_segment.get_num_snippets()

    def get_frames(self, indices=None) -> np.ndarray:
        return self._parent_segment.get_frames(indices)

    def get_snippets(self, indices, channel_indices) -> np.ndarray:
        return self._parent_segment.get_snippets(indices, channel_indices)

    def frames_to_indices(self, start_frame=None, end_frame=None) -> slice:
        return self._parent_segment.frames_to_indices(start_frame, end_frame)


register_extractor_class(
    SelectSegmentSnippets, "spikeinterface.core.segmentutils.SelectSegmentSnippets"
)
