"""In-memory snippets: NumpySnippets."""

from __future__ import annotations

import numpy as np

from ..registry import register_extractor_class
from .base import BaseSnippets, BaseSnippetsSegment


class NumpySnippets(BaseSnippets):
    """Snippets held in numpy arrays.

    Parameters
    ----------
    snippets_list : np.ndarray | list of np.ndarray
        One ``(num_snippets, snippet_len, num_channels)`` array per segment (same dtype, snippet
        length and channel count in every segment).
    spikesframes_list : np.ndarray | list of np.ndarray
        One array of integer peak frames per segment, one frame per snippet.
    sampling_frequency : float
        Hz.
    nbefore : int | None
        Samples before the peak in each snippet (None: not aligned).
    channel_ids : array-like | None
        Defaults to ``0..num_channels-1``.
    """

    def __init__(
        self,
        snippets_list,
        spikesframes_list,
        sampling_frequency: float,
        nbefore: int | None = None,
        channel_ids=None,
    ) -> None:
        snippets_list = _as_segment_list(snippets_list, "snippets_list")
        spikesframes_list = _as_segment_list(spikesframes_list, "spikesframes_list")
        _check_snippet_arrays(snippets_list)
        if len(spikesframes_list) != len(snippets_list):
            raise ValueError(
                f"spikesframes_list has {len(spikesframes_list)} segments but snippets_list has "
                f"{len(snippets_list)}"
            )
        frames_list = [
            _checked_frames(frames, snippets.shape[0], f"spikesframes_list[{index}]")
            for index, (frames, snippets) in enumerate(zip(spikesframes_list, snippets_list))
        ]
        first = snippets_list[0]
        num_channels = first.shape[2]
        if channel_ids is None:
            channel_ids = np.arange(num_channels)
        channel_ids = np.asarray(channel_ids)
        if channel_ids.size != num_channels:
            raise ValueError(
                f"channel_ids has {channel_ids.size} ids for {num_channels} channels "
                "(last axis of the snippets)"
            )
        super().__init__(sampling_frequency, nbefore, first.shape[1], channel_ids, first.dtype)
        for snippets, frames in zip(snippets_list, frames_list):
            self.add_snippets_segment(NumpySnippetsSegment(snippets, frames))
        self._serializability["memory"] = False
        self._serializability["json"] = False
        self._serializability["pickle"] = False
        self._kwargs = {
            "snippets_list": snippets_list,
            "spikesframes_list": frames_list,
            "sampling_frequency": self.sampling_frequency,
            "nbefore": self.nbefore,
            "channel_ids": self.channel_ids,
        }


class NumpySnippetsSegment(BaseSnippetsSegment):
    """A segment over a snippet array (in memory or memory-mapped) and its frames.

    Parameters
    ----------
    snippets : np.ndarray
        ``(num_snippets, snippet_len, num_channels)``.
    frames : np.ndarray
        int64 peak frames, one per snippet (kept read-only).
    """

    def __init__(self, snippets: np.ndarray, frames: np.ndarray) -> None:
        super().__init__()
        self._snippets = snippets
        self._frames = frames
        self._frames.flags.writeable = False

    def get_num_snippets(self) -> int:
        return self._frames.shape[0]

    def get_frames(self, indices=None) -> np.ndarray:
        return self._frames if indices is None else self._frames[indices]

    def get_snippets(self, indices, channel_indices) -> np.ndarray:
        snippets = self._snippets if indices is None else self._snippets[indices]
        return snippets if channel_indices is None else snippets[:, :, channel_indices]


def _as_segment_list(values, argument: str) -> list[np.ndarray]:
    """One array per segment: a single array is one segment."""
    if isinstance(values, np.ndarray):
        return [values]
    if not isinstance(values, list | tuple):
        raise TypeError(
            f"{argument} must be an array or a list of arrays (one per segment), "
            f"got {type(values).__name__}"
        )
    if len(values) == 0:
        raise ValueError(f"{argument} is empty: give one array per segment")
    return [np.asarray(v) for v in values]


def _check_snippet_arrays(snippets_list: list[np.ndarray]) -> None:
    """Every segment: 3-D, same dtype, snippet length and channel count as the first."""
    for index, snippets in enumerate(snippets_list):
        if snippets.ndim != 3:
            raise ValueError(
                f"snippets_list[{index}] must be 3-D (num_snippets, snippet_len, num_channels), "
                f"got shape {snippets.shape}"
            )
    first = snippets_list[0]
    for index, snippets in enumerate(snippets_list[1:], start=1):
        if snippets.dtype != first.dtype:
            raise ValueError(
                f"snippets_list[{index}] has dtype {snippets.dtype}, snippets_list[0] has "
                f"{first.dtype}: every segment needs the same dtype"
            )
        if snippets.shape[1] != first.shape[1]:
            raise ValueError(
                f"snippets_list[{index}] has snippets of {snippets.shape[1]} samples, "
                f"snippets_list[0] of {first.shape[1]}: every segment needs the same snippet_len"
            )
        if snippets.shape[2] != first.shape[2]:
            raise ValueError(
                f"snippets_list[{index}] has {snippets.shape[2]} channels, snippets_list[0] has "
                f"{first.shape[2]}"
            )


def _checked_frames(frames, num_snippets: int, argument: str) -> np.ndarray:
    """A read-only int64 copy of ``frames`` after checking it has one integer per snippet."""
    frames = np.asarray(frames)
    if frames.ndim != 1:
        raise ValueError(f"{argument} must be one-dimensional, got shape {frames.shape}")
    if frames.size and frames.dtype.kind not in "iu":
        raise TypeError(f"{argument} must hold integer frames, got dtype {frames.dtype}")
    if frames.size != num_snippets:
        raise ValueError(f"{argument} has {frames.size} frames for {num_snippets} snippets")
    return np.array(frames, dtype=np.int64)


register_extractor_class(NumpySnippets, "spikeinterface.core.numpyextractors.NumpySnippets")
