"""Where the kernel's cut waveforms go: ``.npy`` files, in-memory arrays, or per-unit sums.

A unit's spikes are stored in spike-vector order (segment, then sample), so the spikes of one
unit that fall in one chunk fill consecutive rows of its buffer: each write is one slice
assignment (:class:`_ArrayWriter`, or in place by :func:`~.kernel_cutting._chunk_pieces`), or one
``os.pwrite`` into the pre-sized (:func:`create_npy_files`) ``.npy`` file done by the writer threads of
:class:`_NpyFiles` while the next waveforms are cut. :class:`_SumAccumulator` adds up waveforms for
template averages without storing them. In-memory outputs come from :func:`allocate_arrays`.
"""

from __future__ import annotations

import errno
import mmap
import os
import threading
from collections import deque
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from .kernel_cutting import _UnitPiece

# waveform bytes cut but not yet written (per process), and threads writing them
_PENDING_WRITE_BYTES = 32 * 1024 * 1024
_BATCH_BYTES = 2 * 1024 * 1024
_WRITER_THREADS = 2
# below this many bytes per waveform (sparse units), one writer thread is faster than two:
# the writes are cheap and a second thread only adds contention for the GIL
_SMALL_WAVEFORM_BYTES = 32 * 1024


def allocate_arrays(shapes: Sequence[tuple[int, ...]], dtype: np.dtype) -> list[np.ndarray]:
    """Zeroed arrays of ``shapes``, carved out of one private anonymous memory map.

    Not from numpy's allocator: numpy asks the kernel for transparent huge pages on every large
    array (``MADV_HUGEPAGE``), and where THP defrag is ``madvise`` (the default of most Linux
    distributions) the first write of each 2 MB then waits on memory compaction. Measured on the
    benchmark VM: 4.1 GB of waveform outputs took 6.3 s to fill through numpy arrays, 1.7 s
    through this map. The arrays keep the map alive; it is unmapped with the last of them.
    """
    dtype = np.dtype(dtype)
    sizes = [int(np.prod(shape)) * dtype.itemsize for shape in shapes]
    total = sum(sizes)
    if total == 0:
        return [np.zeros(shape, dtype=dtype) for shape in shapes]
    buffer = mmap.mmap(-1, total, flags=mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS)
    arrays, offset = [], 0
    for shape, size in zip(shapes, sizes):
        arrays.append(np.ndarray(shape, dtype=dtype, buffer=buffer, offset=offset))
        offset += size
    return arrays


class RunningAverages:
    """Per-unit averages of float32 waveforms, folded in as the waveforms are written.

    ``np.mean(waveforms, axis=0)`` of float32 waveforms adds the rows one after the other in
    float32, then divides by their number in float64. Folding each unit's pieces in row order
    with ``np.add.reduce`` does the same additions, so :meth:`averages` equals ``np.mean`` of
    the stored waveforms bit for bit, without reading them back. Pieces that arrive before
    their turn (chunks run in parallel) wait until the rows before them are folded. Rows no
    piece fills (spikes too close to a segment border) are zeros: adding them changes nothing.

    Parameters
    ----------
    counts : Sequence[int]
        Waveforms per unit.
    shapes : Sequence[tuple[int, int]]
        ``(nsamples, unit channels)`` per unit.
    zero_rows : Sequence[Iterable[int]]
        Rows of each unit that stay zeros.
    """

    def __init__(
        self,
        counts: Sequence[int],
        shapes: Sequence[tuple[int, int]],
        zero_rows: Sequence[Iterable[int]],
    ) -> None:
        self.counts = [int(c) for c in counts]
        self.sums = [np.zeros(shape, dtype=np.float32) for shape in shapes]
        self._zero_rows = [set(rows) for rows in zero_rows]
        self._next_row = [0] * len(self.counts)
        self._started = [False] * len(self.counts)
        self._early: list[dict[int, np.ndarray]] = [{} for _ in self.counts]
        self._locks = [threading.Lock() for _ in self.counts]
        for unit in range(len(self.counts)):
            self._skip_zero_rows(unit)

    def add(self, piece: _UnitPiece) -> None:
        """Fold in a piece; its waveforms array is consumed (changed in place)."""
        unit = piece.unit_index
        with self._locks[unit]:
            if piece.first_row != self._next_row[unit]:
                self._early[unit][piece.first_row] = piece.waveforms
                return
            self._fold(unit, piece.waveforms)
            early = self._early[unit]
            while self._next_row[unit] in early:
                self._fold(unit, early.pop(self._next_row[unit]))

    def averages(self) -> list[np.ndarray]:
        """The per-unit averages (zeros for units without waveforms)."""
        if any(self._early):
            raise RuntimeError("some waveforms were never folded into the averages")
        averages = []
        for count, sums in zip(self.counts, self.sums):
            if count:
                sums = np.true_divide(sums, np.intp(count), out=sums, casting="unsafe")
            averages.append(sums)
        return averages

    def _fold(self, unit: int, waveforms: np.ndarray) -> None:
        if len(waveforms):
            if self._started[unit]:
                waveforms[0] += self.sums[unit]
            np.add.reduce(waveforms, axis=0, out=self.sums[unit])
            self._started[unit] = True
        self._next_row[unit] += len(waveforms)
        self._skip_zero_rows(unit)

    def _skip_zero_rows(self, unit: int) -> None:
        while self._next_row[unit] in self._zero_rows[unit]:
            self._next_row[unit] += 1


class _NpyFiles:
    """Writes rows of the pre-sized ``.npy`` buffers with ``os.pwrite``, from writer threads.

    Page-cache writes of new file blocks cost more than cutting and scaling, so pieces are
    written by ``_WRITER_THREADS`` helper threads (one for waveforms under
    ``_SMALL_WAVEFORM_BYTES``, measured faster) while the next ones are being cut; at most
    ``_PENDING_WRITE_BYTES`` wait. In the calling process (main thread or thread pool) one writer
    serves every worker across chunks and :meth:`close` waits for it; a worker process gets its
    own copy, which waits at the end of each chunk (pools have no teardown hook).

    Files are opened per write: with thousands of units, keeping one descriptor (or one memmap,
    which holds a descriptor) per unit would exceed the usual open-file limit.
    """

    def __init__(
        self,
        paths: Sequence[str],
        header_bytes: Sequence[int],
        row_bytes: Sequence[int],
        averages: RunningAverages | None = None,
    ):
        self.paths = list(paths)
        self.header_bytes = list(header_bytes)
        self.row_bytes = list(row_bytes)
        self.averages = averages  # folded in after each write, in the calling process only
        self.shared = True  # False in the copies sent to worker processes
        self._writer: ThreadPoolExecutor | None = None
        self._pending: deque[tuple[Future, int]] = deque()
        self._pending_bytes = 0
        self._lock = threading.Lock()

    def __getstate__(self) -> dict:
        return {"paths": self.paths, "header_bytes": self.header_bytes, "row_bytes": self.row_bytes}

    def __setstate__(self, state: dict) -> None:
        self.__init__(state["paths"], state["header_bytes"], state["row_bytes"])
        self.shared = False

    def write(self, piece: _UnitPiece) -> None:
        """Write one piece (in the calling thread)."""
        unit = piece.unit_index
        data = memoryview(np.ascontiguousarray(piece.waveforms)).cast("B")
        offset = self.header_bytes[unit] + piece.first_row * self.row_bytes[unit]
        fd = os.open(self.paths[unit], os.O_WRONLY)
        try:
            while data.nbytes:
                written = os.pwrite(fd, data, offset)
                data = data[written:]
                offset += written
        finally:
            os.close(fd)

    def write_batch(self, pieces: list[_UnitPiece]) -> None:
        """Write pieces one after the other (in the calling thread), then fold them in."""
        for piece in pieces:
            self.write(piece)
            if self.averages is not None:
                self.averages.add(piece)

    def write_all(self, pieces: Iterator[_UnitPiece]) -> None:
        """Queue ``pieces`` for the writer threads (waiting while too many bytes are queued).

        Pieces go in batches of at least `_BATCH_BYTES`: sparse units give many small pieces,
        and one queued job per piece costs more than writing it.
        """
        with self._lock:
            if self._writer is None:
                small = np.mean(self.row_bytes) < _SMALL_WAVEFORM_BYTES if self.row_bytes else True
                threads = 1 if small else _WRITER_THREADS
                self._writer = ThreadPoolExecutor(threads, thread_name_prefix="npy-writer")
        batch, batch_bytes = [], 0
        for piece in pieces:
            batch.append(piece)
            batch_bytes += piece.waveforms.nbytes
            if batch_bytes >= _BATCH_BYTES:
                self._submit(batch, batch_bytes)
                batch, batch_bytes = [], 0
        if batch:
            self._submit(batch, batch_bytes)
        if not self.shared:
            self._wait(0)

    def _submit(self, batch: list[_UnitPiece], batch_bytes: int) -> None:
        future = self._writer.submit(self.write_batch, batch)
        with self._lock:
            self._pending.append((future, batch_bytes))
            self._pending_bytes += batch_bytes
        self._wait(_PENDING_WRITE_BYTES)

    def _wait(self, budget: int) -> None:
        """Wait for the oldest writes until at most ``budget`` bytes are queued."""
        while True:
            with self._lock:
                if self._pending_bytes <= budget or not self._pending:
                    return
                future, size = self._pending.popleft()
                self._pending_bytes -= size
            future.result()

    def close(self, cancel: bool = False) -> None:
        """Wait for every queued write (or drop them with ``cancel``) and stop the threads."""
        if self._writer is None:
            return
        if not cancel:
            self._wait(0)
        self._writer.shutdown(wait=True, cancel_futures=cancel)
        self._writer = None


def create_npy_files(
    folder: Path, names: Sequence[str], shapes: Sequence[tuple[int, ...]], dtype: np.dtype
) -> list[int]:
    """Empty ``.npy`` files of ``shapes`` (zeros) in ``folder``, to be filled with ``os.pwrite``.

    The files are sized with ``truncate`` (sparse where the file system allows): reserving the
    blocks up front (``posix_fallocate``) was measured to cost 0.26 s for 4 GB and to make the
    writes no faster. A full disk still fails before any waveform is cut: the free space of
    ``folder`` is checked against the total size first.

    Returns
    -------
    list of int
        Header bytes of each file (where its data starts).
    """
    dtype = np.dtype(dtype)
    sizes = [int(np.prod(shape)) * dtype.itemsize for shape in shapes]
    _check_free_space(folder, sum(sizes))
    headers = []
    for name, shape, size in zip(names, shapes, sizes):
        with open(folder / name, "wb") as file:
            header = {"descr": np.lib.format.dtype_to_descr(dtype), "fortran_order": False}
            np.lib.format.write_array_header_1_0(file, {**header, "shape": tuple(shape)})
            headers.append(file.tell())
            file.truncate(file.tell() + size)
    return headers


def _check_free_space(folder: Path, needed: int) -> None:
    stats = os.statvfs(folder)
    available = stats.f_bavail * stats.f_frsize
    if needed > available:
        raise OSError(
            errno.ENOSPC,
            f"{folder}: not enough disk space for the waveforms ({needed / 1e9:.2f} GB needed, "
            f"{available / 1e9:.2f} GB free)",
        )


class _ArrayWriter:
    """``gather_func`` that writes pieces returned by worker processes into the arrays."""

    def __init__(self, arrays: list[np.ndarray]) -> None:
        self.arrays = arrays

    def __call__(self, pieces: list[_UnitPiece]) -> None:
        for piece in pieces:
            rows = slice(piece.first_row, piece.first_row + len(piece.waveforms))
            self.arrays[piece.unit_index][rows] = piece.waveforms


class _SumAccumulator:
    """``gather_func`` adding per-unit waveform sums and counts."""

    def __init__(self, num_units: int, nsamples: int, num_channels: int) -> None:
        self.sums = np.zeros((num_units, nsamples, num_channels), dtype="float64")
        self.counts = np.zeros(num_units, dtype="int64")

    def __call__(self, results: list[tuple[int, np.ndarray, int]]) -> None:
        for unit_index, total, count in results:
            self.sums[unit_index] += total
            self.counts[unit_index] += count
