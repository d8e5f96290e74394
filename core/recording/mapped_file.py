"""One persistent memory map of an interleaved raw file, with resident memory kept bounded."""

from __future__ import annotations

import mmap
import os
import queue
import threading
from pathlib import Path

import numpy as np

from .file_reads import mapped_resident_fraction, read_direct, wants_direct_read

#: Bytes read through a map before the ranges read are released from the process
#: (MADV_DONTNEED), so the resident memory of a long save or a long scroll stays bounded whatever
#: the file size. The page cache keeps the data.
MAPPED_BUDGET_BYTES = 64 * 1024 * 1024

#: ``MADV_POPULATE_READ`` (Linux >= 5.14): map a whole window in one call instead of one page
#: fault per 64 kB. Not exported by Python 3.11's ``mmap`` module.
MADV_POPULATE_READ = getattr(mmap, "MADV_POPULATE_READ", 22)


def check_file_not_truncated(file_path: Path, expected_bytes: int) -> None:
    """Refuse to read a raw file that is gone or shorter than when it was opened.

    Reading a memory map past the end of its file kills the process (SIGBUS): a file truncated
    or replaced by a shorter one after the recording was opened must fail with a message first.

    Raises
    ------
    FileNotFoundError
        If the file is gone.
    ValueError
        If it holds fewer than ``expected_bytes`` bytes.
    """
    try:
        size = os.stat(file_path).st_size
    except FileNotFoundError:
        raise FileNotFoundError(f"{file_path}: the file was removed after it was opened") from None
    if size < expected_bytes:
        raise ValueError(
            f"{file_path}: the file was truncated after it was opened "
            f"({size} bytes now, {expected_bytes} expected); open it again"
        )


class MappedRawFile:
    """Rows of a ``(num_samples, num_channels)`` raw file, read through one memory map.

    The map is made on the first read and kept: mapping each window anew costs more than the
    read (measured: a persistent map reads random windows as fast as a bare ``np.memmap``,
    per-window maps at about two thirds of that). Each window is mapped in one
    ``MADV_POPULATE_READ`` call where the kernel has it. A window of at least
    `file_reads.DIRECT_READ_MIN_BYTES` that the page cache mostly does not hold is instead read
    straight from the disk into a new array (`file_reads.read_direct`: faster, and it evicts
    nothing from the cache).

    Every `MAPPED_BUDGET_BYTES` read, the byte ranges read since the last release are handed to
    a background thread that releases them (``MADV_DONTNEED``): unmapping costs about a tenth of
    a read, and off the reading thread it is not paid by the reader. Only those ranges are
    released (releasing the whole map walks the page tables of everything ever touched). If the
    previous release has not finished when the next one is due, the reader releases itself, so
    at most about three budgets are ever resident. A caller still holding a view of a released
    range reads it again from the page cache: releasing never changes data.

    Parameters
    ----------
    file_path : Path
        The raw file.
    dtype : np.dtype
        Sample type.
    num_channels : int
        Interleaved channels per frame.
    file_offset : int
        Header bytes before the first frame.
    num_samples : int
        Frames to expose.
    """

    def __init__(
        self,
        file_path: Path,
        dtype: np.dtype,
        num_channels: int,
        file_offset: int,
        num_samples: int,
    ) -> None:
        self.file_path = Path(file_path)
        self.dtype = np.dtype(dtype)
        self.num_channels = num_channels
        self.file_offset = file_offset
        self.num_samples = num_samples
        self._map: mmap.mmap | None = None
        self._array: np.ndarray | None = None
        self._address = 0
        self._release = hasattr(mmap.mmap, "madvise")
        self._populate = self._release
        self._read_bytes = 0
        self._touched: list[tuple[int, int]] = []
        self._released = threading.Event()
        self._released.set()
        self._releasing_pid = os.getpid()  # a forked child never sees its parent's release end
        self._lock = threading.Lock()

    def rows(self, start: int, end: int) -> np.ndarray:
        """Frames ``[start, end)``: a read-only view of the map, or a new array for a long
        window read direct (see the class)."""
        end = min(end, self.num_samples)
        if end <= start:
            return np.zeros((0, self.num_channels), dtype=self.dtype)
        frame_bytes = self.num_channels * self.dtype.itemsize
        check_file_not_truncated(self.file_path, self.file_offset + end * frame_bytes)
        array = self._mapped()
        if self._release:
            first = self.file_offset + start * frame_bytes
            first -= first % mmap.PAGESIZE
            stop = self.file_offset + end * frame_bytes
            if wants_direct_read(
                stop - first, mapped_resident_fraction(self._address + first, stop - first)
            ):
                data = read_direct(
                    self.file_path,
                    self.file_offset + start * frame_bytes,
                    (end - start) * frame_bytes,
                )
                if data is not None:
                    return data.view(self.dtype).reshape(end - start, self.num_channels)
            self._remember(first, stop)
            self._populate_range(first, stop)
        return array[start:end]

    def _mapped(self) -> np.ndarray:
        if self._array is None:
            with open(self.file_path, "rb") as file:
                self._map = mmap.mmap(file.fileno(), 0, access=mmap.ACCESS_READ)
            self._array = np.ndarray(
                (self.num_samples, self.num_channels),
                dtype=self.dtype,
                buffer=self._map,
                offset=self.file_offset,
            )
            self._address = np.frombuffer(self._map, dtype=np.uint8).ctypes.data
        return self._array

    def _populate_range(self, first: int, stop: int) -> None:
        if self._populate:
            try:
                self._map.madvise(MADV_POPULATE_READ, first, stop - first)
            except OSError:  # kernels before 5.14: pages fault in as they are read
                self._populate = False

    def _remember(self, first: int, stop: int) -> None:
        """Note that bytes ``[first, stop)`` were read; release earlier ranges past the budget."""
        with self._lock:
            if self._read_bytes + stop - first > MAPPED_BUDGET_BYTES and self._touched:
                ranges, self._touched, self._read_bytes = self._touched, [], 0
                if self._released.is_set() or self._releasing_pid != os.getpid():
                    self._released.clear()
                    self._releasing_pid = os.getpid()
                    _RELEASER.submit(self._map, ranges, self._released)
                else:  # the background release is behind: do this one here
                    _release_ranges(self._map, ranges)
            self._touched.append((first, stop))
            self._read_bytes += stop - first


def _release_ranges(mapping: mmap.mmap, ranges: list[tuple[int, int]]) -> None:
    for first, stop in ranges:
        mapping.madvise(mmap.MADV_DONTNEED, first, stop - first)


class _BackgroundReleaser:
    """One daemon thread per process that releases mapped ranges handed to it."""

    def __init__(self) -> None:
        self._queue: queue.SimpleQueue | None = None
        self._pid = -1
        self._lock = threading.Lock()

    def submit(
        self, mapping: mmap.mmap, ranges: list[tuple[int, int]], done: threading.Event
    ) -> None:
        with self._lock:
            if self._pid != os.getpid():  # first use, or a forked child without the thread
                self._queue = queue.SimpleQueue()
                self._pid = os.getpid()
                threading.Thread(
                    target=self._run, args=(self._queue,), name="mapped-release", daemon=True
                ).start()
            self._queue.put((mapping, ranges, done))

    @staticmethod
    def _run(jobs: queue.SimpleQueue) -> None:
        while True:
            mapping, ranges, done = jobs.get()
            try:
                _release_ranges(mapping, ranges)
            except (OSError, ValueError):  # a closed map: nothing left to release
                pass
            finally:
                done.set()


_RELEASER = _BackgroundReleaser()
