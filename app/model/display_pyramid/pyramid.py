"""`DisplayPyramid`: a recording's min/max pyramid, cached on disk, built and read (no Qt)."""

from __future__ import annotations

import os
import threading
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from app.model.display_pyramid.builder import (
    BUILDING_SUFFIX,
    STATE,
    build_segment,
    is_complete_folder,
)
from app.model.display_pyramid.cache import (
    cache_entries,
    default_cache_limit,
    mark_used,
    remove_entry,
    trim_pyramid_cache,
)
from app.model.display_pyramid.files import open_binary, read_json, read_rows
from app.model.display_pyramid.identity import PyramidIdentity, pyramid_identity
from app.model.display_pyramid.layout import LayoutParameters, PyramidLayout, choose_level
from core.jobs import CancelToken


class PyramidNotReady(RuntimeError):
    """The pyramid of a segment is not built (or no longer valid)."""


@dataclass
class _Segment:
    """What is known of one segment: its layout, identity and, once complete, its open files."""

    layout: PyramidLayout
    identity: PyramidIdentity | None
    fds: list[int] = field(default_factory=list)


class DisplayPyramid:
    """Min/max pyramid of a recording's traces for drawing any window at screen speed.

    One pyramid per segment lies in ``cache_dir``, named after the recording's identity (see
    `pyramid_identity`): the files it reads (paths, sizes, modification times), its description
    (channel selection, dtype, ...) and the segment. A recording whose files change gets a new
    pyramid; the stale one is removed when the new one is complete.

    Parameters
    ----------
    recording : BaseRecording
        The recording (only read).
    cache_dir : str | Path
        Folder of the cache (for the app, its ``QStandardPaths`` cache location).
    parameters : LayoutParameters | None
        Level factors (default: 64, 256, 1024, ...).
    allow_in_data_folder : bool
        Accept a ``cache_dir`` next to the recording's files or inside its folder (refused
        otherwise: the cache never writes into the user's data unless asked).
    private : bool
        Key the pyramid on this object alone rather than on the recording's identity: for
        recordings without files or JSON description (in-memory arrays), whose pyramid no other
        object can reuse. Give it a temporary ``cache_dir`` and remove it after use.

    Raises
    ------
    ValueError
        If ``cache_dir`` is in the recording's data folder and that was not allowed.

    Notes
    -----
    The identity is taken when the pyramid is made: a recording whose files change while it is
    open keeps its pyramid until it is opened again.
    """

    def __init__(
        self,
        recording,
        cache_dir: str | Path,
        parameters: LayoutParameters | None = None,
        allow_in_data_folder: bool = False,
        private: bool = False,
        cache_limit_bytes: int | None = None,
    ) -> None:
        self._recording = recording
        self._private_token = uuid.uuid4().hex if private else None
        self._cache_dir = Path(cache_dir).expanduser().resolve()
        self._parameters = parameters or LayoutParameters()
        if not allow_in_data_folder:
            _check_outside_data(self._cache_dir, recording.get_source_paths())
        self._cache_limit = (
            default_cache_limit(self._cache_dir) if cache_limit_bytes is None else cache_limit_bytes
        )
        self._segments: dict[int, _Segment] = {}
        self._lock = threading.Lock()
        self._closed = False

    # ------------------------------------------------------------------ description
    @property
    def recording(self):
        """The recording."""
        return self._recording

    @property
    def cache_dir(self) -> Path:
        """The cache folder."""
        return self._cache_dir

    @property
    def cacheable(self) -> bool:
        """Whether the recording has an identity (files or a JSON description) to cache under."""
        return self._segment(0).identity is not None

    def layout(self, segment_index: int) -> PyramidLayout:
        """Levels of ``segment_index``'s pyramid."""
        return self._segment(segment_index).layout

    def factors(self, segment_index: int) -> tuple[int, ...]:
        """Samples per bin of each level of ``segment_index`` (finest first)."""
        return self._segment(segment_index).layout.factors

    def folder(self, segment_index: int) -> Path | None:
        """The folder of ``segment_index``'s complete pyramid (None: not cacheable)."""
        identity = self._segment(segment_index).identity
        return None if identity is None else self._cache_dir / identity.folder_name

    def is_complete(self, segment_index: int | None = None) -> bool:
        """Whether the pyramid of ``segment_index`` (None: of every segment) is built."""
        indices = self._indices(segment_index)
        return all(self._open_segment(index) for index in indices)

    def build_fraction(self, segment_index: int | None = None) -> float:
        """Fraction of the raw samples of ``segment_index`` (None: all) already reduced.

        1.0 when complete; a partial build's last checkpoint otherwise (0.0 if none).
        """
        indices = self._indices(segment_index)
        total = sum(self._segment(index).layout.num_samples for index in indices)
        if total == 0:
            return 1.0
        done = 0
        for index in indices:
            segment = self._segment(index)
            if self._open_segment(index):
                done += segment.layout.num_samples
            elif segment.identity is not None and segment.layout.num_levels:
                state = read_json(
                    self._cache_dir / f"{segment.identity.folder_name}{BUILDING_SUFFIX}" / STATE
                )
                if state is not None and state.get("digest") == segment.identity.digest:
                    bins = int(state.get("bins_done", [0])[0])
                    done += min(bins * segment.layout.factors[0], segment.layout.num_samples)
        return done / total

    def bytes_on_disk(self, segment_index: int | None = None) -> int:
        """Size of the levels of ``segment_index`` (None: all segments) once built."""
        return sum(
            self._segment(index).layout.total_bytes for index in self._indices(segment_index)
        )

    # ------------------------------------------------------------------ building
    def build(
        self,
        segment_indices: Iterable[int] | None = None,
        progress_callback: Callable[[int, int], None] | None = None,
        cancel_token: CancelToken | None = None,
    ) -> None:
        """Build the missing pyramids (resuming partial builds); a job function.

        Parameters
        ----------
        segment_indices : iterable of int | None
            Segments to build (None: all).
        progress_callback : callable | None
            ``progress_callback(done, total)`` in raw frames over the segments to build.
        cancel_token : CancelToken | None
            Stops the build between chunks (raising `core.jobs.JobCancelled`); the next build
            continues where this one stopped.

        Raises
        ------
        ValueError
            If the recording has no identity to cache under (see `cacheable`).
        JobCancelled
            If cancelled.
        """
        indices = self._indices(None) if segment_indices is None else list(segment_indices)
        todo = [index for index in indices if not self._open_segment(index)]
        if todo and not self.cacheable:
            raise ValueError(
                "the recording has no files or JSON description to key an overview cache on"
            )
        total = sum(self._segment(index).layout.num_samples for index in todo)
        finished = 0
        for index in todo:
            segment = self._segment(index)

            def report(frames: int, before: int = finished) -> None:
                if progress_callback is not None:
                    progress_callback(before + frames, total)

            build_segment(
                self._recording,
                index,
                segment.layout,
                segment.identity,
                self._cache_dir,
                report=report,
                cancel_token=cancel_token,
            )
            finished += segment.layout.num_samples
            self._remove_stale(segment.identity)
        if todo:  # once for the whole build, keeping every segment of this recording
            own = [self.folder(index) for index in self._indices(None)]
            trim_pyramid_cache(self._cache_dir, self._cache_limit, keep=filter(None, own))
        if progress_callback is not None:
            progress_callback(total, total)

    # ------------------------------------------------------------------ reading
    def choose_level(
        self, segment_index: int, start_frame: int, end_frame: int, num_pixels: int
    ) -> int | None:
        """The level to read for a window drawn ``num_pixels`` wide (None: raw samples).

        See `choose_level`; the choice does not depend on whether the pyramid is built.
        """
        return choose_level(self.factors(segment_index), end_frame - start_frame, num_pixels)

    def bin_range(
        self, level: int, segment_index: int, start_frame: int, end_frame: int
    ) -> tuple[int, int]:
        """Bins ``[first, stop)`` of ``level`` that `read` returns for this window."""
        return self.layout(segment_index).bin_range(level, start_frame, end_frame)

    def read(
        self, level: int, segment_index: int, start_frame: int, end_frame: int, channel_ids=None
    ) -> tuple[np.ndarray, np.ndarray]:
        """Minima and maxima of the bins of ``level`` covering ``[start_frame, end_frame)``.

        Parameters
        ----------
        level : int
            Index into `factors`.
        segment_index, start_frame, end_frame : int
            The window (clamped to the segment); bin ``b`` covers frames ``[b f, (b + 1) f)``
            for the level's factor ``f``: see `bin_range`.
        channel_ids : sequence | None
            Channels in the order wanted (None: all).

        Returns
        -------
        lo, hi : np.ndarray
            ``(num_bins, num_channels)`` raw values (the recording's dtype).

        Raises
        ------
        PyramidNotReady
            If the pyramid of the segment is not built.
        ValueError
            If ``level`` is not a level of the segment.
        """
        segment = self._segment(segment_index)
        layout = segment.layout
        if not 0 <= int(level) < layout.num_levels:
            raise ValueError(f"level must be in [0, {layout.num_levels}), got {level}")
        channel_indices = None
        if channel_ids is not None:
            channel_indices = np.asarray(self._recording.ids_to_indices(channel_ids))
        first, stop = layout.bin_range(level, start_frame, end_frame)
        with self._lock:
            if not self._open_segment_locked(segment_index):
                raise PyramidNotReady(f"the overview of segment {segment_index} is not built yet")
            rows = read_rows(
                segment.fds[level],
                first * layout.bin_bytes,
                (stop - first, 2, layout.num_channels),
                layout.dtype,
            )
        if channel_indices is None:
            return rows[:, 0], rows[:, 1]
        return rows[:, 0, channel_indices], rows[:, 1, channel_indices]

    def close(self) -> None:
        """Close the open level files (reads then raise `PyramidNotReady`)."""
        with self._lock:
            self._closed = True
            for segment in self._segments.values():
                for fd in segment.fds:
                    os.close(fd)
                segment.fds = []

    # ------------------------------------------------------------------ internals
    def _indices(self, segment_index: int | None) -> list[int]:
        if segment_index is None:
            return list(range(self._recording.get_num_segments()))
        return [int(segment_index)]

    def _segment(self, segment_index: int) -> _Segment:
        segment_index = int(segment_index)
        segment = self._segments.get(segment_index)
        if segment is None:
            if not 0 <= segment_index < self._recording.get_num_segments():
                raise ValueError(
                    f"segment_index must be in [0, {self._recording.get_num_segments()}), "
                    f"got {segment_index}"
                )
            num_samples = self._recording.get_num_samples(segment_index)
            layout = PyramidLayout(
                num_samples=int(num_samples),
                num_channels=int(self._recording.get_num_channels()),
                dtype=str(np.dtype(self._recording.get_dtype())),
                factors=self._parameters.factors(num_samples),
            )
            identity = pyramid_identity(
                self._recording, segment_index, self._parameters.to_dict(), self._private_token
            )
            segment = self._segments.setdefault(segment_index, _Segment(layout, identity))
        return segment

    def _open_segment(self, segment_index: int) -> bool:
        with self._lock:
            return self._open_segment_locked(segment_index)

    def _open_segment_locked(self, segment_index: int) -> bool:
        """Open the level files of a complete pyramid once; whether it is complete."""
        segment = self._segment(segment_index)
        if self._closed:
            return False
        if segment.layout.num_levels == 0 or segment.fds:
            return True  # a segment too short for levels needs none: it is read raw
        if segment.identity is None:
            return False
        folder = self._cache_dir / segment.identity.folder_name
        if not is_complete_folder(folder, segment.identity, segment.layout):
            return False
        segment.fds = [
            open_binary(folder / segment.layout.file_name(level))
            for level in range(segment.layout.num_levels)
        ]
        mark_used(folder)
        return True

    def _remove_stale(self, identity: PyramidIdentity) -> None:
        """Remove other versions of the same source (their files changed since)."""
        prefix = identity.folder_name.split("-")[0] + "-"
        for entry in cache_entries(self._cache_dir):
            if entry.name.startswith(prefix) and entry.name != identity.folder_name:
                remove_entry(entry)


def _check_outside_data(cache_dir: Path, sources: list[Path]) -> None:
    """Refuse a cache folder beside the recording's files or inside one of its folders."""
    for source in sources:
        data_folder = source if source.is_dir() else source.parent
        if cache_dir == data_folder or (source.is_dir() and cache_dir.is_relative_to(source)):
            raise ValueError(
                f"cache_dir {cache_dir} is in the recording's data folder {data_folder}; "
                "pass allow_in_data_folder=True to cache there"
            )
