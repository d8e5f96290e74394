"""Build one segment's pyramid on disk: chunked, resumable, complete only when finished (no Qt).

The build reads the raw samples once, in chunks of about `CHUNK_BYTES`, and writes the finest
level's bins; after each chunk every coarser level is brought up to date from the level below it
(read back from its file, still in the page cache), so memory stays bounded by a few chunks
whatever the recording's length.

Everything happens in ``<name>.building/`` next to the final folder. The number of bins done in
each level is saved in ``state.json`` at checkpoints (every `CHECKPOINT_INTERVAL_S`, on cancel and
on error), after the level files are synced: a build that is cancelled, fails or is killed
continues from its last checkpoint. A finished build writes ``manifest.json`` and renames the
folder to ``<name>/``: only a folder with that name and a manifest is ever read, so a partial
pyramid never looks complete.
"""

from __future__ import annotations

import logging
import os
import shutil
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from app.model.display_pyramid.files import (
    BuildLock,
    open_binary,
    read_json,
    read_rows,
    write_json_atomic,
    write_rows,
)
from app.model.display_pyramid.identity import PyramidIdentity
from app.model.display_pyramid.layout import PyramidLayout
from core.drop_behind import DropBehind
from core.jobs import CancelToken, JobCancelled

_log = logging.getLogger(__name__)

#: Raw bytes read per chunk.
CHUNK_BYTES = 16 * 1024 * 1024
#: Seconds between two checkpoints (a killed build redoes at most this much).
CHECKPOINT_INTERVAL_S = 5.0
MANIFEST = "manifest.json"
STATE = "state.json"
BUILDING_SUFFIX = ".building"


def build_segment(
    recording,
    segment_index: int,
    layout: PyramidLayout,
    identity: PyramidIdentity,
    cache_dir: Path,
    report: Callable[[int], None] | None = None,
    cancel_token: CancelToken | None = None,
) -> Path:
    """Build (or finish building) the pyramid of one segment; return its complete folder.

    Parameters
    ----------
    recording : BaseRecording
        Read with ``get_traces`` (raw values, all channels).
    segment_index : int
    layout : PyramidLayout
        The levels to build.
    identity : PyramidIdentity
        Names the folder; a partial build of another identity is never continued.
    cache_dir : Path
        Where the folder goes.
    report : callable | None
        ``report(frames_done)``: raw frames of the segment covered so far (resumed ones
        included), called after each chunk.
    cancel_token : CancelToken | None
        Checked between chunks.

    Returns
    -------
    Path
        The complete folder.

    Raises
    ------
    JobCancelled
        If ``cancel_token`` was cancelled (after a checkpoint: the next build resumes).
    BlockingIOError
        If another build of the same pyramid is running.
    """
    final = cache_dir / identity.folder_name
    if is_complete_folder(final, identity, layout):
        return final
    partial = cache_dir / f"{identity.folder_name}{BUILDING_SUFFIX}"
    partial.mkdir(parents=True, exist_ok=True)
    lock = BuildLock(partial)
    try:
        build = _SegmentBuild(recording, segment_index, layout, identity, partial)
        try:
            build.run(report, cancel_token)
        finally:
            build.close()
        return _publish(partial, final, identity, layout)
    finally:
        lock.release()


def is_complete_folder(folder: Path, identity: PyramidIdentity, layout: PyramidLayout) -> bool:
    """Whether ``folder`` holds a finished pyramid of ``identity`` with ``layout``."""
    manifest = read_json(folder / MANIFEST)
    if manifest is None or manifest.get("digest") != identity.digest:
        return False
    if manifest.get("layout") != layout.to_dict():
        return False
    for level in range(layout.num_levels):
        try:
            size = os.stat(folder / layout.file_name(level)).st_size
        except OSError:
            return False
        if size != layout.level_bytes(level):
            return False
    return True


def _publish(partial: Path, final: Path, identity: PyramidIdentity, layout: PyramidLayout) -> Path:
    """Make the finished ``partial`` folder the complete ``final`` one (atomic rename)."""
    if is_complete_folder(final, identity, layout):  # finished elsewhere meanwhile
        shutil.rmtree(partial, ignore_errors=True)
        return final
    if final.exists():  # an unreadable leftover with the final name: never a valid pyramid
        shutil.rmtree(final)
    manifest = {
        "digest": identity.digest,
        "layout": layout.to_dict(),
        "files": identity.document["files"],
        "segment_index": identity.document["segment_index"],
    }
    write_json_atomic(partial / MANIFEST, manifest)
    (partial / STATE).unlink(missing_ok=True)
    os.replace(partial, final)
    (final / "lock").unlink(missing_ok=True)
    _sync_folder(final.parent)
    return final


def _sync_folder(folder: Path) -> None:
    """Make a rename in ``folder`` durable (where folders can be opened)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


class _SegmentBuild:
    """The files and progress of one build in its ``.building`` folder."""

    def __init__(
        self,
        recording,
        segment_index: int,
        layout: PyramidLayout,
        identity: PyramidIdentity,
        folder: Path,
    ) -> None:
        self.recording = recording
        self.segment_index = segment_index
        self.layout = layout
        self.identity = identity
        self.folder = folder
        self.done = self._resumed_progress()
        self.fds: list[int] = []
        self.drop_behind = DropBehind()
        for level in range(layout.num_levels):
            fd = open_binary(folder / layout.file_name(level), writable=True)
            self.fds.append(fd)
            if os.fstat(fd).st_size != layout.level_bytes(level):
                os.ftruncate(fd, layout.level_bytes(level))
        self.last_checkpoint = time.monotonic()

    def _resumed_progress(self) -> list[int]:
        """Bins done per level according to the last checkpoint of this very build."""
        levels = self.layout.num_levels
        state = read_json(self.folder / STATE)
        if (
            state is not None
            and state.get("digest") == self.identity.digest
            and state.get("layout") == self.layout.to_dict()
            and isinstance(state.get("bins_done"), list)
            and len(state["bins_done"]) == levels
        ):
            done = [int(count) for count in state["bins_done"]]
            if all(0 <= count <= self.layout.num_bins(k) for k, count in enumerate(done)):
                _log.info("resuming pyramid %s at %s bins", self.folder.name, done)
                return done
        return [0] * levels

    def run(self, report: Callable[[int], None] | None, cancel_token: CancelToken | None) -> None:
        layout = self.layout
        if layout.num_levels == 0:
            return
        try:
            self._cascade()  # a resumed build may have levels to catch up
            base = layout.factors[0]
            bins_per_chunk = max(1, CHUNK_BYTES // (base * layout.num_channels * layout.itemsize))
            total_bins = layout.num_bins(0)
            while self.done[0] < total_bins:
                if cancel_token is not None and cancel_token.cancelled:
                    raise JobCancelled("the overview build was cancelled")
                first = self.done[0]
                stop = min(first + bins_per_chunk, total_bins)
                traces = self.recording.get_traces(
                    segment_index=self.segment_index,
                    start_frame=first * base,
                    end_frame=min(stop * base, layout.num_samples),
                    return_scaled=False,
                )
                bins = reduce_samples(np.asarray(traces, dtype=layout.dtype), base)
                self._write(0, first, bins)
                self.done[0] = stop
                self._cascade()
                if report is not None:
                    report(min(stop * base, layout.num_samples))
                if time.monotonic() - self.last_checkpoint >= CHECKPOINT_INTERVAL_S:
                    self.checkpoint()
            self._sync()
        except BaseException:
            try:  # keep what is done for the next build, without hiding why this one stopped
                self.checkpoint()
            except OSError:
                _log.warning("could not save the progress of %s", self.folder, exc_info=True)
            raise

    def _cascade(self) -> None:
        """Bring every coarser level up to date with the bins done in the level below it."""
        layout = self.layout
        max_parent_bins = max(1, CHUNK_BYTES // layout.bin_bytes)
        for level in range(1, layout.num_levels):
            ratio = layout.factors[level] // layout.factors[level - 1]
            parent_done, parent_total = self.done[level - 1], layout.num_bins(level - 1)
            # the last bin is partial: made only once the whole level below is done
            target = layout.num_bins(level) if parent_done == parent_total else parent_done // ratio
            while self.done[level] < target:
                first = self.done[level]
                stop = min(target, first + max(1, max_parent_bins // ratio))
                parent_first, parent_stop = first * ratio, min(stop * ratio, parent_total)
                parent = read_rows(
                    self.fds[level - 1],
                    parent_first * layout.bin_bytes,
                    (parent_stop - parent_first, 2, layout.num_channels),
                    layout.dtype,
                )
                self._write(level, first, reduce_bins(parent, ratio))
                self.done[level] = stop

    def _write(self, level: int, first_bin: int, bins: np.ndarray) -> None:
        fd = self.fds[level]
        end = write_rows(fd, first_bin * self.layout.bin_bytes, bins)
        self.drop_behind.written(fd, end)

    def _sync(self) -> None:
        for fd in self.fds:
            os.fsync(fd)

    def checkpoint(self) -> None:
        """Sync the level files, then save how far each level is (in that order)."""
        if not self.fds:
            return
        self._sync()
        state = {"digest": self.identity.digest, "layout": self.layout.to_dict()}
        write_json_atomic(self.folder / STATE, {**state, "bins_done": list(self.done)})
        self.last_checkpoint = time.monotonic()

    def close(self) -> None:
        self.drop_behind.stop()  # before closing: no advice may reach a reused descriptor
        for fd in self.fds:
            os.close(fd)
        self.fds = []


def reduce_samples(traces: np.ndarray, factor: int) -> np.ndarray:
    """Min/max of every run of ``factor`` samples (the last run may be shorter).

    Parameters
    ----------
    traces : np.ndarray
        ``(num_samples, num_channels)``.
    factor : int
        Samples per bin.

    Returns
    -------
    np.ndarray
        ``(ceil(num_samples / factor), 2, num_channels)``: ``[:, 0]`` minima, ``[:, 1]`` maxima.
    """
    num_samples, num_channels = traces.shape
    count = -(-num_samples // factor)
    full = num_samples // factor
    out = np.empty((count, 2, num_channels), dtype=traces.dtype)
    body = traces[: full * factor].reshape(full, factor, num_channels)
    body.min(axis=1, out=out[:full, 0])
    body.max(axis=1, out=out[:full, 1])
    if count > full:
        rest = traces[full * factor :]
        rest.min(axis=0, out=out[full, 0])
        rest.max(axis=0, out=out[full, 1])
    return out


def reduce_bins(bins: np.ndarray, ratio: int) -> np.ndarray:
    """Min/max bins of ``ratio`` consecutive bins (the last group may be shorter).

    Parameters
    ----------
    bins : np.ndarray
        ``(num_bins, 2, num_channels)`` as `reduce_samples` returns.
    ratio : int
        Bins per coarser bin.

    Returns
    -------
    np.ndarray
        ``(ceil(num_bins / ratio), 2, num_channels)``.
    """
    num_bins, _, num_channels = bins.shape
    count = -(-num_bins // ratio)
    full = num_bins // ratio
    out = np.empty((count, 2, num_channels), dtype=bins.dtype)
    body = bins[: full * ratio].reshape(full, ratio, 2, num_channels)
    body[:, :, 0].min(axis=1, out=out[:full, 0])
    body[:, :, 1].max(axis=1, out=out[:full, 1])
    if count > full:
        rest = bins[full * ratio :]
        rest[:, 0].min(axis=0, out=out[full, 0])
        rest[:, 1].max(axis=0, out=out[full, 1])
    return out
