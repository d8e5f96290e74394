"""Lazy snippets views: channel slices."""

from __future__ import annotations

import numpy as np

from ..recording.channels import (
    ChannelSliceSelection,
    copy_sliced_metadata,
    resolve_channel_slice,
)
from ..registry import register_extractor_class
from .base import BaseSnippets, BaseSnippetsSegment


class ChannelSliceSnippets(BaseSnippets):
    """A lazy view on some channels of a snippets object, optionally renamed.

    The probe (``contact_vector``) follows the kept channels and is re-wired ``0..k-1``.

    Parameters
    ----------
    parent_snippets : BaseSnippets
    channel_ids : array-like | None
        Channels to keep, in the order wanted (None: all).
    renamed_channel_ids : array-like | None
        New ids, one per kept channel.
    """

    def __init__(
        self, parent_snippets: BaseSnippets, channel_ids=None, renamed_channel_ids=None
    ) -> None:
        channel_ids, parent_indices, renamed_channel_ids = resolve_channel_slice(
            parent_snippets, channel_ids, renamed_channel_ids
        )
        super().__init__(
            parent_snippets.sampling_frequency,
            parent_snippets.nbefore,
            parent_snippets.snippet_len,
            renamed_channel_ids,
            parent_snippets.get_dtype(),
        )
        for segment in parent_snippets._snippets_segments:
            self.add_snippets_segment(ChannelSliceSnippetsSegment(segment, parent_indices))
        copy_sliced_metadata(parent_snippets, self, channel_ids)
        self._kwargs = {
            "parent_snippets": parent_snippets,
            "channel_ids": channel_ids,
            "renamed_channel_ids": renamed_channel_ids,
        }


class ChannelSliceSnippetsSegment(BaseSnippetsSegment):
    """A parent segment restricted to some channels."""

    def __init__(self, parent_segment: BaseSnippetsSegment, parent_indices: np.ndarray) -> None:
        super().__init__()
        self._parent_segment = parent_segment
        self._channels = ChannelSliceSelection(parent_indices)

    def get_num_snippets(self) -> int:
        return self._parent_segment.get_num_snippets()

    def get_frames(self, indices=None) -> np.ndarray:
        return self._parent_segment.get_frames(indices)

    def get_snippets(self, indices, channel_indices) -> np.ndarray:
        return self._parent_segment.get_snippets(
            indices, self._channels.parent_channel_indices(channel_indices)
        )

    def frames_to_indices(self, start_frame=None, end_frame=None) -> slice:
        return self._parent_segment.frames_to_indices(start_frame, end_frame)


register_extractor_class(
    ChannelSliceSnippets, "spikeinterface.core.channelslice.ChannelSliceSnippets"
)
