"""BaseSnippets and BaseSnippetsSegment: waveform cutouts around peaks, read lazily by segments."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..base import BaseSegment
from ..recording.channels import BaseRecordingSnippets


class BaseSnippets(BaseRecordingSnippets):
    """Multi-channel, multi-segment snippets: one cutout of ``snippet_len`` samples per peak.

    Parameters
    ----------
    sampling_frequency : float
        Hz.
    nbefore : int | None
        Samples before the peak in each snippet; None for snippets that are not aligned on a peak.
    snippet_len : int
        Samples per snippet.
    channel_ids : array-like
        One id per channel.
    dtype : numpy dtype-like
        Dtype of the stored (raw) values.
    """

    _main_annotations: list[str] = []

    def __init__(
        self, sampling_frequency: float, nbefore: int | None, snippet_len: int, channel_ids, dtype
    ) -> None:
        super().__init__(sampling_frequency, channel_ids, dtype)
        if isinstance(snippet_len, bool) or not isinstance(snippet_len, int | np.integer):
            raise TypeError(f"snippet_len must be an int, got {snippet_len!r}")
        if snippet_len <= 0:
            raise ValueError(f"snippet_len must be positive, got {snippet_len}")
        if nbefore is not None:
            if isinstance(nbefore, bool) or not isinstance(nbefore, int | np.integer):
                raise TypeError(f"nbefore must be an int or None, got {nbefore!r}")
            if not 0 <= nbefore <= snippet_len:
                raise ValueError(
                    f"nbefore must be between 0 and snippet_len ({snippet_len}), got {nbefore}"
                )
            nbefore = int(nbefore)
        self._nbefore = nbefore
        self._snippet_len = int(snippet_len)
        self._snippets_segments: list[BaseSnippetsSegment] = []

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}: {self.get_num_channels()} channels - "
            f"{self.get_num_segments()} segments - {self.sampling_frequency / 1000:.1f}kHz - "
            f"snippet_len: {self._snippet_len} - nbefore: {self._nbefore}"
        )

    # ------------------------------------------------------------------ shape facts
    @property
    def nbefore(self) -> int | None:
        """Samples before the peak (None if not aligned)."""
        return self._nbefore

    @property
    def snippet_len(self) -> int:
        """Samples per snippet."""
        return self._snippet_len

    @property
    def nafter(self) -> int | None:
        """Samples from the peak to the end of a snippet (None if not aligned)."""
        return None if self._nbefore is None else self._snippet_len - self._nbefore

    def is_aligned(self) -> bool:
        """Whether snippets are aligned on their peak (``nbefore`` is known)."""
        return self._nbefore is not None

    def has_scaled_snippets(self) -> bool:
        """Whether snippets can be returned in µV (gains and offsets are set)."""
        return self.has_scaled()

    # ------------------------------------------------------------------ segments and counts
    def get_num_segments(self) -> int:
        """Number of segments."""
        return len(self._snippets_segments)

    def add_snippets_segment(self, snippets_segment: BaseSnippetsSegment) -> None:
        """Append a segment and make this object its parent."""
        self._snippets_segments.append(snippets_segment)
        snippets_segment.set_parent_extractor(self)

    def get_num_snippets(self, segment_index: int | None = None) -> int:
        """Number of snippets in a segment (``segment_index`` required if several)."""
        segment_index = self._check_segment_index(segment_index)
        return int(self._snippets_segments[segment_index].get_num_snippets())

    def get_total_snippets(self) -> int:
        """Number of snippets summed over segments."""
        return sum(self.get_num_snippets(i) for i in range(self.get_num_segments()))

    # ------------------------------------------------------------------ data
    def get_frames(self, indices=None, segment_index: int | None = None):
        """Sample index of each snippet's peak.

        Parameters
        ----------
        indices : int | slice | array-like of int or bool | None
            Snippets to return (numpy indexing rules; None for all).
        segment_index : int | None
            Required for multi-segment snippets.

        Returns
        -------
        np.ndarray | np.int64
            int64 frames (one value for an int ``indices``).
        """
        segment_index = self._check_segment_index(segment_index)
        segment = self._snippets_segments[segment_index]
        index, scalar = _check_indices(indices, segment.get_num_snippets())
        frames = segment.get_frames(index)
        return frames[0] if scalar else frames

    def get_snippets(
        self,
        indices=None,
        segment_index: int | None = None,
        channel_ids=None,
        return_scaled: bool = False,
    ) -> np.ndarray:
        """Read snippets of one segment.

        Parameters
        ----------
        indices : int | slice | array-like of int or bool | None
            Snippets to return (numpy indexing rules; None for all).
        segment_index : int | None
            Required for multi-segment snippets.
        channel_ids : list | np.ndarray | tuple | None
            Channels, in the order wanted; None for all.
        return_scaled : bool
            Return float32 µV using ``gain_to_uV`` and ``offset_to_uV``.

        Returns
        -------
        np.ndarray
            ``(num_snippets, snippet_len, num_channels)`` (``(snippet_len, num_channels)`` for an
            int ``indices``); may be a read-only view of a memmap.

        Raises
        ------
        ValueError
            For unknown channel ids, indices out of range, or ``return_scaled`` without gains
            and offsets.
        """
        segment_index = self._check_segment_index(segment_index)
        segment = self._snippets_segments[segment_index]
        index, scalar = _check_indices(indices, segment.get_num_snippets())
        channel_indices = self.ids_to_indices(channel_ids, prefer_slice=True)
        snippets = segment.get_snippets(index, channel_indices)
        if return_scaled:
            missing = [k for k in ("gain_to_uV", "offset_to_uV") if k not in self._properties]
            if missing:
                raise ValueError(
                    "These snippets do not support return_scaled=True: they need the gain_to_uV "
                    f"and offset_to_uV properties (missing: {', '.join(missing)}); set them with "
                    "set_channel_gains() / set_channel_offsets()"
                )
            gains = self._properties["gain_to_uV"][channel_indices].astype("float32")
            offsets = self._properties["offset_to_uV"][channel_indices].astype("float32")
            snippets = snippets.astype("float32") * gains + offsets
        return snippets[0] if scalar else snippets

    def get_snippets_from_frames(
        self,
        segment_index: int | None = None,
        start_frame: int | None = None,
        end_frame: int | None = None,
        channel_ids=None,
        return_scaled: bool = False,
    ) -> np.ndarray:
        """Snippets whose peak frame is in ``[start_frame, end_frame)``.

        Parameters
        ----------
        segment_index : int | None
            Required for multi-segment snippets.
        start_frame, end_frame : int | None
            Frame range (None: from the first / to the last snippet).
        channel_ids : list | np.ndarray | tuple | None
            Channels, in the order wanted; None for all.
        return_scaled : bool
            Return float32 µV.

        Returns
        -------
        np.ndarray
            ``(num_snippets, snippet_len, num_channels)``.
        """
        segment_index = self._check_segment_index(segment_index)
        indices = self._snippets_segments[segment_index].frames_to_indices(start_frame, end_frame)
        return self.get_snippets(
            indices,
            segment_index=segment_index,
            channel_ids=channel_ids,
            return_scaled=return_scaled,
        )

    def get_times(self, segment_index: int | None = None) -> np.ndarray:
        """Time in seconds of each snippet's peak (frames / sampling frequency)."""
        return self.get_frames(segment_index=segment_index) / self.sampling_frequency

    # ------------------------------------------------------------------ views
    def channel_slice(self, channel_ids, renamed_channel_ids=None):
        """A lazy view on ``channel_ids`` (optionally renamed)."""
        from .slicing import ChannelSliceSnippets

        return ChannelSliceSnippets(
            self, channel_ids=channel_ids, renamed_channel_ids=renamed_channel_ids
        )

    def frame_slice(self, start_frame: int | None, end_frame: int | None):
        """Not available for snippets.

        Raises
        ------
        TypeError
            Always: use `get_snippets_from_frames` to read the snippets of a frame range.
        """
        raise TypeError("snippets cannot be frame-sliced; use get_snippets_from_frames")

    def select_segments(self, segment_indices):
        """A lazy view on some segments, in the order given."""
        from .segments import SelectSegmentSnippets

        return SelectSegmentSnippets(self, segment_indices=segment_indices)

    # ------------------------------------------------------------------ saving
    def _saved_folder_class_path(self) -> str:
        return "spikeinterface.core.npyfoldersnippets.NpyFolderSnippets"

    def _save_data_to_folder(
        self,
        folder: Path,
        format: str | None = None,
        dtype=None,
        progress_callback=None,
        cancel_token=None,
        **job_kwargs,
    ) -> None:
        """Write ``traces_cached_seg{N}.npy``, ``npy.json`` and ``probe.json`` (FORMATS.md §6).

        Job keyword arguments are accepted (and unused: writing is sequential).
        """
        from ..jobs import split_job_kwargs
        from .npy import write_npy_snippets_folder_data

        if format not in (None, "npy"):
            raise ValueError(
                f"format: snippets save to 'npy' (default) or 'memory', not {format!r}"
            )
        unknown, _ = split_job_kwargs(job_kwargs)
        if unknown:
            raise TypeError(f"save(): unexpected arguments for snippets: {sorted(unknown)}")
        write_npy_snippets_folder_data(
            self,
            folder,
            dtype=dtype,
            progress_callback=progress_callback,
            cancel_token=cancel_token,
        )
        self.save_probe_to_folder(folder)

    def save_to_zarr(self, *args, **kwargs) -> None:
        """Not available for snippets.

        Raises
        ------
        ValueError
            Always: snippets save to ``format="npy"`` or ``format="memory"``.
        """
        raise ValueError("format: snippets save to 'npy' (default) or 'memory', not 'zarr'")

    def _save_to_memory(self, sharedmem: bool = True, **save_kwargs) -> BaseSnippets:
        from .numpy import NumpySnippets

        num_segments = self.get_num_segments()
        snippets = NumpySnippets(
            snippets_list=[
                np.array(self.get_snippets(segment_index=i)) for i in range(num_segments)
            ],
            spikesframes_list=[self.get_frames(segment_index=i) for i in range(num_segments)],
            sampling_frequency=self.sampling_frequency,
            nbefore=self.nbefore,
            channel_ids=self.channel_ids,
        )
        self.copy_metadata(snippets)
        return snippets

    def load_metadata_from_folder(self, folder_metadata, allow_pickle: bool = False) -> None:
        """Apply the probe, annotations and property files of a saved folder."""
        self.load_probe_from_folder(folder_metadata)
        super().load_metadata_from_folder(folder_metadata, allow_pickle=allow_pickle)


class BaseSnippetsSegment(BaseSegment):
    """The snippets of one segment.

    Subclasses implement ``get_num_snippets()``, ``get_frames(indices=None)`` and
    ``get_snippets(indices, channel_indices)``; ``frames_to_indices`` works from ``get_frames``
    and may be overridden.
    """

    def __init__(self) -> None:
        self._frames_sorted: bool | None = None

    def get_num_snippets(self) -> int:
        """Number of snippets."""
        raise NotImplementedError

    def get_frames(self, indices=None) -> np.ndarray:
        """int64 peak frames, all or ``indices`` (None, a slice or an int64 array)."""
        raise NotImplementedError

    def get_snippets(self, indices, channel_indices) -> np.ndarray:
        """Snippets ``(n, snippet_len, num_selected_channels)``.

        Parameters
        ----------
        indices : None | slice | np.ndarray
            Snippets (None for all; arrays hold in-range int64 positions).
        channel_indices : None | slice | np.ndarray
            Channel positions (None for all).
        """
        raise NotImplementedError

    def frames_to_indices(
        self, start_frame: int | None = None, end_frame: int | None = None
    ) -> slice:
        """The snippets whose frame is in ``[start_frame, end_frame)``, as a slice.

        Raises
        ------
        ValueError
            If ``end_frame < start_frame`` or the frames of this segment are not sorted.
        """
        frames = self.get_frames()
        if self._frames_sorted is None:
            self._frames_sorted = bool(np.all(np.diff(frames) >= 0))
        if not self._frames_sorted:
            raise ValueError(
                "the frames of this segment are not sorted: snippets cannot be selected by "
                "frame range (use get_frames() and get_snippets(indices=...))"
            )
        if start_frame is not None and end_frame is not None and end_frame < start_frame:
            raise ValueError(f"end_frame {end_frame} is before start_frame {start_frame}")
        first = 0 if start_frame is None else int(np.searchsorted(frames, start_frame, "left"))
        last = frames.size if end_frame is None else int(np.searchsorted(frames, end_frame, "left"))
        return slice(first, last)


def _check_indices(indices, num_snippets: int) -> tuple[None | slice | np.ndarray, bool]:
    """Validate snippet ``indices``; return (None | slice | int64 array, whether it was a scalar).

    Raises
    ------
    TypeError
        If ``indices`` is not an int, slice, or array of ints or booleans.
    ValueError
        If an index is out of range or a boolean mask has the wrong length.
    """
    if indices is None or isinstance(indices, slice):
        return indices, False
    scalar = isinstance(indices, int | np.integer) and not isinstance(indices, bool | np.bool_)
    array = np.atleast_1d(np.asarray(indices))
    if array.size == 0:
        return np.zeros(0, dtype=np.int64), False
    if array.ndim != 1:
        raise ValueError(f"indices must be one-dimensional, got shape {array.shape}")
    if array.dtype.kind == "b":
        if array.size != num_snippets:
            raise ValueError(
                f"indices: boolean mask has {array.size} values for {num_snippets} snippets"
            )
        return np.flatnonzero(array), False
    if array.dtype.kind not in "iu":
        raise TypeError(f"indices must be ints, a slice or a boolean mask, got {array.dtype}")
    out_of_range = (array < -num_snippets) | (array >= num_snippets)
    if np.any(out_of_range):
        raise ValueError(
            f"indices: {array[np.argmax(out_of_range)]} is out of range for a segment with "
            f"{num_snippets} snippets"
        )
    return np.where(array < 0, array + num_snippets, array).astype(np.int64), scalar
