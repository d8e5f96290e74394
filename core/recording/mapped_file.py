"""One persistent memory map of an interleaved raw file, prefaulted window by window."""

from __future__ import annotations

import collections
import mmap
import threading
from pathlib import Path

import numpy as np

#: Linux's MADV_POPULATE_READ (5.14+): fault a whole range in with one call. Python does not
#: name it; older kernels answer EINVAL and the pages are faulted in one by one as usual.
_MADV_POPULATE_READ = 22
#: Bytes of recently read windows kept mapped; older windows are released (MADV_DONTNEED), so the
#: resident memory of a long save or a long scroll stays bounded whatever the file size.
MAPPED_BUDGET_BYTES = 64 * 1024 * 1024


class MappedRawFile:
    """Rows of a ``(num_samples, num_channels)`` raw file, read through one memory map.

    The map is made on the first read and kept (mapping each window anew costs more than the
    read). Before a window is returned its pages are populated in one system call, so a reader
    that copies or writes the window does not take one page fault per 4 kB; windows read more
    than `MAPPED_BUDGET_BYTES` ago are released from the process (the page cache keeps them).

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
        self._populate = hasattr(mmap.mmap, "madvise")
        self._recent: collections.deque[tuple[int, int]] = collections.deque()
        self._recent_bytes = 0
        self._lock = threading.Lock()

    def rows(self, start: int, end: int) -> np.ndarray:
        """Frames ``[start, end)`` as a read-only view of the map."""
        if end <= start or self.num_samples == 0:
            return np.zeros((0, self.num_channels), dtype=self.dtype)
        array = self._mapped()
        frame_bytes = self.num_channels * self.dtype.itemsize
        self._prefault(self.file_offset + start * frame_bytes, (end - start) * frame_bytes)
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
        return self._array

    def _prefault(self, byte_start: int, length: int) -> None:
        if not self._populate:
            return
        aligned = byte_start - byte_start % mmap.PAGESIZE
        length += byte_start - aligned
        try:
            self._map.madvise(_MADV_POPULATE_READ, aligned, length)
        except OSError:  # kernel without MADV_POPULATE_READ
            self._populate = False
            return
        self._remember(aligned, length)

    def _remember(self, start: int, length: int) -> None:
        with self._lock:
            self._recent.append((start, length))
            self._recent_bytes += length
            while self._recent_bytes > MAPPED_BUDGET_BYTES and len(self._recent) > 1:
                old_start, old_length = self._recent.popleft()
                self._recent_bytes -= old_length
                self._map.madvise(mmap.MADV_DONTNEED, old_start, old_length)
