"""Lazy snippets views: channel slices."""

from __future__ import annotations

import numpy as np

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
        if channel_ids is None:
            channel_ids = parent_snippets.channel_ids
        channel_ids = np.asarray(channel_ids)
        if np.unique(channel_ids).size != channel_ids.size:
            raise ValueError("channel_ids must be unique")
        parent_indices = parent_snippets.ids_to_indices(channel_ids)
        if renamed_channel_ids is None:
            renamed_channel_ids = channel_ids
        renamed_channel_ids = np.asarray(renamed_channel_ids)
        if renamed_channel_ids.size != channel_ids.size:
            raise ValueError(
                f"renamed_channel_ids has {renamed_channel_ids.size} ids for "
                f"{channel_ids.size} channels"
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
        parent_snippets.copy_metadata(self, ids=channel_ids)
        contact_vector = self.get_property("contact_vector")
        if contact_vector is not None:
            contact_vector = contact_vector.copy()
            contact_vector["device_channel_indices"] = np.arange(channel_ids.size, dtype="int64")
            self.set_property("contact_vector", contact_vector)
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
        self._parent_indices = parent_indices
        consecutive = parent_indices.size > 0 and np.all(np.diff(parent_indices) == 1)
        self._parent_selection = (
            slice(int(parent_indices[0]), int(parent_indices[-1]) + 1)
            if consecutive
            else parent_indices
        )

    def get_num_snippets(self) -> int:
        return self._parent_segment.get_num_snippets()

    def get_frames(self, indices=None) -> np.ndarray:
        return self._parent_segment.get_frames(indices)

    def get_snippets(self, indices, channel_indices) -> np.ndarray:
        if channel_indices is None or (
            isinstance(channel_indices, slice) and channel_indices == slice(None)
        ):
            selection = self._parent_selection
        else:
            selection = self._parent_indices[channel_indices]
        return self._parent_segment.get_snippets(indices, selection)

    def frames_to_indices(self, start_frame=None, end_frame=None) -> slice:
        return self._parent_segment.frames_to_indices(start_frame, end_frame)


register_extractor_class(
    ChannelSliceSnippets, "spikeinterface.core.channelslice.ChannelSliceSnippets"
)
