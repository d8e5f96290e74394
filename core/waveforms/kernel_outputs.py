"""Where the kernel's cut waveforms go: ``.npy`` files, in-memory arrays, or per-unit sums.

A unit's spikes are stored in spike-vector order (segment, then sample), so the spikes of one
unit that fall in one chunk fill consecutive rows of its buffer: each write is one slice
assignment (:class:`_ArrayWriter`, or in place by :func:`~.kernel_cutting._chunk_pieces`), or one
``os.pwrite`` into the pre-sized (:func:`create_npy_files`) ``.npy`` file by :class:`_NpyFiles`. :class:`_SumAccumulator` adds up waveforms for
template averages without storing them. In-memory outputs come from :func:`allocate_arrays`.
"""

from __future__ import annotations

import ctypes
import errno
import mmap
import os
import threading
import weakref
from collections import deque
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from ..drop_behind import DropBehind

try:
    import resource
except ImportError:  # Windows
    resource = None

if TYPE_CHECKING:
    from .kernel_cutting import _UnitPiece

# with one worker: waveform bytes cut but not yet written, and the threads writing them
_PENDING_WRITE_BYTES = 32 * 1024 * 1024
_BATCH_BYTES = 2 * 1024 * 1024
_WRITER_THREADS = 2
# below this many bytes per waveform (sparse units), one writer thread is faster than two:
# the writes are cheap and a second thread only adds contention for the GIL
_SMALL_WAVEFORM_BYTES = 32 * 1024


def _max_open_files() -> int:
    """How many waveform files may stay open: a quarter of the open-file limit, at most 4096."""
    if resource is None:
        return 128
    soft = resource.getrlimit(resource.RLIMIT_NOFILE)[0]
    return 4096 if soft == resource.RLIM_INFINITY else min(soft // 4, 4096)


_MAX_OPEN_FILES = _max_open_files()


def allocate_arrays(shapes: Sequence[tuple[int, ...]], dtype: np.dtype) -> list[np.ndarray]:
    """Zeroed arrays of ``shapes``, carved out of one private anonymous memory map.

    Not from numpy's allocator: numpy asks the kernel for transparent huge pages on every large
    array (``MADV_HUGEPAGE``), and where THP defrag is ``madvise`` (the default of most Linux
    distributions) the first write of each 2 MB then waits on memory compaction. Measured on the
    benchmark VM: 4.1 GB of waveform outputs took 6.3 s to fill through numpy arrays, 1.7 s
    through this map. The map is populated when it is made (``MAP_POPULATE``): every page is
    written by the extraction anyway, and the kernel maps them all in one call for about half
    the cost of a fault per page (1.38 GB on the benchmark VM: 0.85-1.2 s against 1.7-1.9 s).
    The arrays keep the map alive; it is unmapped with the last of them.

    The map is made through ``ctypes`` where it can (`_populated_map`): Python's ``mmap.mmap``
    holds the GIL for the whole call, populating included (78 ms for the ~60 MB of a sampled
    extraction of 500 units, every other thread, a GUI thread too, waiting), ``ctypes``
    releases it.
    """
    dtype = np.dtype(dtype)
    sizes = [int(np.prod(shape)) * dtype.itemsize for shape in shapes]
    total = sum(sizes)
    if total == 0:
        return [np.zeros(shape, dtype=dtype) for shape in shapes]
    buffer = _populated_map(total)
    if buffer is None:  # no libc mmap (Windows): the mmap module
        flags = mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS | getattr(mmap, "MAP_POPULATE", 0)
        buffer = mmap.mmap(-1, total, flags=flags)
    arrays, offset = [], 0
    for shape, size in zip(shapes, sizes):
        arrays.append(np.ndarray(shape, dtype=dtype, buffer=buffer, offset=offset))
        offset += size
    return arrays


def _libc_mmap():
    """libc's ``mmap`` and ``munmap`` through ctypes (the GIL released during the calls), or
    None where there are none."""
    if not hasattr(mmap, "MAP_ANONYMOUS") or os.name != "posix":
        return None
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        map_fn, unmap_fn = libc.mmap, libc.munmap
    except (OSError, AttributeError):
        return None
    map_fn.restype = ctypes.c_void_p
    map_fn.argtypes = (
        ctypes.c_void_p,
        ctypes.c_size_t,
        ctypes.c_int,
        ctypes.c_int,
        ctypes.c_int,
        ctypes.c_long,
    )
    unmap_fn.restype = ctypes.c_int
    unmap_fn.argtypes = (ctypes.c_void_p, ctypes.c_size_t)
    return map_fn, unmap_fn


_LIBC_MMAP = _libc_mmap()
_MAP_FAILED = ctypes.c_void_p(-1).value


def _populated_map(size: int):
    """``size`` bytes of zeroed private anonymous memory, mapped and populated in one libc call
    without the GIL, as a ctypes buffer that unmaps itself once collected; None when libc's
    ``mmap`` is not available or fails (the caller falls back on the mmap module)."""
    if _LIBC_MMAP is None:
        return None
    map_fn, unmap_fn = _LIBC_MMAP
    flags = mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS | getattr(mmap, "MAP_POPULATE", 0)
    address = map_fn(None, size, mmap.PROT_READ | mmap.PROT_WRITE, flags, -1, 0)
    if address is None or address == _MAP_FAILED:
        return None
    buffer = (ctypes.c_char * size).from_address(address)
    weakref.finalize(buffer, unmap_fn, address, size)
    return buffer


class RunningAverages:
    """Per-unit averages of float32 waveforms, folded in as the waveforms are written.

    ``np.mean(waveforms, axis=0)`` of float32 waveforms adds the rows one after the other in
    float32, then divides by their number in float64. Folding each unit's pieces in row order
    with ``np.add.reduce`` does the same additions, so :meth:`averages` equals ``np.mean`` of
    the stored waveforms bit for bit, without reading them back. Pieces that arrive before
    their turn (chunks run in parallel) wait until the rows before them are folded.

    Parameters
    ----------
    counts : Sequence[int]
        Waveforms per unit.
    shapes : Sequence[tuple[int, int]]
        ``(nsamples, unit channels)`` per unit.
    """

    def __init__(self, counts: Sequence[int], shapes: Sequence[tuple[int, int]]) -> None:
        self.counts = [int(c) for c in counts]
        self.sums = [np.zeros(shape, dtype=np.float32) for shape in shapes]
        self._next_row = [0] * len(self.counts)
        self._started = [False] * len(self.counts)
        self._early: list[dict[int, np.ndarray]] = [{} for _ in self.counts]
        self._locks = [threading.Lock() for _ in self.counts]

    def add(self, piece: _UnitPiece, keep: bool = True) -> None:
        """Fold in a piece (copied if it must wait).

        With ``keep`` its waveforms are left as they are; without, their first row may be
        changed (the piece is written already and its buffer is scratch).
        """
        unit = piece.unit_index
        with self._locks[unit]:
            if piece.first_row != self._next_row[unit]:
                self._early[unit][piece.first_row] = piece.waveforms.copy()
                return
            self._fold(unit, piece.waveforms, restore=keep)
            early = self._early[unit]
            while self._next_row[unit] in early:
                self._fold(unit, early.pop(self._next_row[unit]), restore=False)

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

    def _fold(self, unit: int, waveforms: np.ndarray, restore: bool) -> None:
        """Add ``waveforms`` row after row to the unit's sum.

        The sum so far is added into the first row, so that one ``np.add.reduce`` makes the
        additions in ``np.mean``'s order; with ``restore`` that row is put back afterwards (it
        may be the caller's output).
        """
        if len(waveforms):
            first = None
            if self._started[unit]:
                first = waveforms[0].copy() if restore else None
                waveforms[0] += self.sums[unit]
            np.add.reduce(waveforms, axis=0, out=self.sums[unit])
            if first is not None:
                waveforms[0] = first
            self._started[unit] = True
        self._next_row[unit] += len(waveforms)


class _NpyFiles:
    """Writes rows of the pre-sized ``.npy`` files with ``os.pwrite``.

    Page-cache writes of new file blocks cost about twice as much as cutting and scaling, so
    they must run on every core:

    - With several workers (``background_writes=False``), each worker writes its pieces as soon
      as they are cut, from one scratch buffer per thread (:meth:`scratch`) that stays in the CPU
      cache. Measured on 4.1 GB of dense waveforms with two threads: 1.5 s, against 2.1 s with
      writer threads behind the two workers.
    - With one worker, pieces go to ``_WRITER_THREADS`` writer threads (one for waveforms under
      ``_SMALL_WAVEFORM_BYTES``, measured faster) while the next ones are cut; at most
      ``_PENDING_WRITE_BYTES`` wait. :meth:`close` waits for them.

    A worker process gets its own copy (files reopened there). Up to ``_MAX_OPEN_FILES`` files
    stay open for the whole extraction; with more units, each write opens its file, so that
    thousands of units never exceed the open-file limit. Files held open are written with
    drop-behind (:class:`~core.drop_behind.DropBehind`): gigabytes of waveforms do not push the
    recording out of the page cache, and the writes reuse the memory of pages already written
    back (4.1 GB with two workers on the benchmark VM: 1.5-1.75 s against 1.55-3.0 s without).

    Parameters
    ----------
    paths : Sequence[str]
        One ``.npy`` file per unit.
    header_bytes : Sequence[int]
        Where each file's data starts.
    row_shapes : Sequence[tuple[int, int]]
        ``(nsamples, unit channels)`` per unit.
    dtype : np.dtype
        Dtype of the files.
    averages : RunningAverages or None
        Folded in after each write (in the calling process only).
    background_writes : bool
        Write from writer threads (one worker) rather than from the workers.
    """

    def __init__(
        self,
        paths: Sequence[str],
        header_bytes: Sequence[int],
        row_shapes: Sequence[tuple[int, int]],
        dtype: np.dtype,
        averages: RunningAverages | None = None,
        background_writes: bool = False,
    ):
        self.paths = list(paths)
        self.header_bytes = list(header_bytes)
        self.row_shapes = [tuple(shape) for shape in row_shapes]
        self.dtype = np.dtype(dtype)
        self.row_bytes = [int(np.prod(shape)) * self.dtype.itemsize for shape in self.row_shapes]
        self.averages = averages
        self.background_writes = background_writes
        self._writer: ThreadPoolExecutor | None = None
        self._pending: deque[tuple[Future, int]] = deque()
        self._pending_bytes = 0
        self._lock = threading.Lock()
        self._scratch = threading.local()
        self._descriptors: list[int] | None = None
        self._close_descriptors: weakref.finalize | None = None
        self._drop_behind = DropBehind()

    @property
    def reuses_buffers(self) -> bool:
        """Whether pieces may be cut into :meth:`scratch` (written before the next is cut)."""
        return not self.background_writes

    def __getstate__(self) -> dict:
        return {
            "paths": self.paths,
            "header_bytes": self.header_bytes,
            "row_shapes": self.row_shapes,
            "dtype": self.dtype.str,
            "background_writes": self.background_writes,
        }

    def __setstate__(self, state: dict) -> None:
        self.__init__(**state)

    def scratch(self, unit: int, first_row: int, count: int) -> np.ndarray:
        """This thread's scratch buffer, as ``count`` rows of ``unit`` (a :data:`Destination`)."""
        size = count * self.row_bytes[unit]
        buffer = getattr(self._scratch, "buffer", None)
        if buffer is None or buffer.nbytes < size:
            buffer = self._scratch.buffer = np.empty(max(size, _BATCH_BYTES), dtype=np.uint8)
        return buffer[:size].view(self.dtype).reshape(count, *self.row_shapes[unit])

    def write(self, piece: _UnitPiece) -> None:
        """Write one piece (in the calling thread)."""
        unit = piece.unit_index
        data = memoryview(np.ascontiguousarray(piece.waveforms)).cast("B")
        offset = self.header_bytes[unit] + piece.first_row * self.row_bytes[unit]
        descriptors = self._open_all()
        fd = descriptors[unit] if descriptors else os.open(self.paths[unit], os.O_WRONLY)
        try:
            while data.nbytes:
                written = os.pwrite(fd, data, offset)
                data = data[written:]
                offset += written
        finally:
            if not descriptors:
                os.close(fd)
        if descriptors:
            self._drop_behind.written(fd, offset)

    def write_batch(self, pieces: Iterable[_UnitPiece]) -> None:
        """Write pieces one after the other (in the calling thread), then fold them in."""
        for piece in pieces:
            self.write(piece)
            if self.averages is not None:
                self.averages.add(piece, keep=False)  # written: its rows are not needed again

    def write_all(self, pieces: Iterator[_UnitPiece]) -> None:
        """Write ``pieces`` here, or queue them for the writer threads with ``background_writes``.

        Queued pieces go in batches of at least `_BATCH_BYTES`: sparse units give many small
        pieces, and one queued job per piece costs more than writing it. Queuing waits while
        more than `_PENDING_WRITE_BYTES` are queued.
        """
        if not self.background_writes:
            self.write_batch(pieces)
            return
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

    def _open_all(self) -> list[int] | None:
        """Descriptors of every file, opened on first use; None with too many files."""
        if self._descriptors is None and len(self.paths) <= _MAX_OPEN_FILES:
            with self._lock:
                if self._descriptors is None:
                    descriptors = [os.open(path, os.O_WRONLY) for path in self.paths]
                    self._close_descriptors = weakref.finalize(
                        self, _close_all, descriptors, self._drop_behind
                    )
                    self._descriptors = descriptors
        return self._descriptors

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
        """Wait for every queued write (or drop them with ``cancel``) and close the files."""
        if self._writer is not None:
            if not cancel:
                self._wait(0)
            self._writer.shutdown(wait=True, cancel_futures=cancel)
            self._writer = None
        if self._close_descriptors is not None:
            self._close_descriptors()


def _close_all(descriptors: list[int], drop_behind: DropBehind) -> None:
    drop_behind.stop()  # no release request may reach a descriptor once closed
    for fd in descriptors:
        os.close(fd)


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
