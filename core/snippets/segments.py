"""Segment utilities for snippets: SelectSegmentSnippets."""

from __future__ import annotations

import numpy as np

from ..registry import register_extractor_class
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
        segment_indices = _as_segment_indices(segment_indices, snippets.get_num_segments())
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


def _as_segment_indices(segment_indices, num_segments: int) -> list[int]:
    if isinstance(segment_indices, int | np.integer) and not isinstance(segment_indices, bool):
        segment_indices = [segment_indices]
    if not isinstance(segment_indices, list | tuple | np.ndarray) or not all(
        isinstance(i, int | np.integer) and not isinstance(i, bool) for i in segment_indices
    ):
        raise TypeError(
            f"segment_indices must be an int or a list of ints, got {segment_indices!r}"
        )
    if len(segment_indices) == 0:
        raise ValueError("segment_indices is empty: select at least one segment")
    for index in segment_indices:
        if not 0 <= index < num_segments:
            raise ValueError(
                f"segment_indices: {index} is out of range, the snippets have {num_segments} "
                "segments"
            )
    return [int(i) for i in segment_indices]


register_extractor_class(
    SelectSegmentSnippets, "spikeinterface.core.segmentutils.SelectSegmentSnippets"
)
