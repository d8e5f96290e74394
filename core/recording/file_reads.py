"""Reading rows of a raw file: from the page cache when it holds them, else straight from the disk.

A window of a recording that is not in the page cache costs the kernel more than the disk read
when it goes through the cache: every page is allocated, filled and copied again into the reader's
array, and the pages it evicts are the ones other programs (and the user's next window) wanted.
Direct I/O (``O_DIRECT``) reads the disk straight into the array. Measured on this project's
machine for one second of 384 int16 channels (23 MB) not in the cache: 21 ms through the cache,
14.5 ms direct on a written file; 11 ms and 4 ms over a sparse file's holes. A window the cache
holds is copied from it (4.6 ms), as before: `read_rows` asks the kernel which pages are resident
(``mincore``) and reads direct only when most are not.

Direct I/O is used where the platform and the file system take it (Linux ``O_DIRECT``); anywhere
else, or for reads under `DIRECT_READ_MIN_BYTES`, rows are read through the cache.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import mmap
import os
from pathlib import Path

import numpy as np

#: Reads this large or larger skip the page cache when it does not hold them. Smaller ones (the
#: windows of single spikes, read by the thousand) stay cached: they are often read again. A
#: reader that reduces a long window piece by piece (the trace view) reads pieces of a little more
#: than this, each direct, each still in the CPU cache when it is reduced.
DIRECT_READ_MIN_BYTES = 1 << 20
#: A range whose resident fraction is at least this is read through the cache: copying the
#: resident part and reading the rest costs less than reading everything from the disk.
RESIDENT_FRACTION_FOR_CACHE = 0.5
#: Offset, length and address alignment of a direct read (any block size up to a page).
_ALIGNMENT = mmap.PAGESIZE
_O_DIRECT = getattr(os, "O_DIRECT", 0)

CACHED = "cache"
DIRECT = "direct"


def read_rows(
    file_path: str | Path, byte_start: int, num_rows: int, num_channels: int, dtype
) -> np.ndarray:
    """Rows ``(num_rows, num_channels)`` of ``dtype`` starting ``byte_start`` bytes into a file.

    Parameters
    ----------
    file_path : str | Path
        The raw file.
    byte_start : int
        Byte offset of the first row (any alignment).
    num_rows, num_channels : int
        Shape of the result.
    dtype : numpy dtype-like
        Sample type.

    Returns
    -------
    np.ndarray
        A new, writable array (never a view of a file).

    Raises
    ------
    ValueError
        If the file ends before the last row.
    """
    dtype = np.dtype(dtype)
    nbytes = int(num_rows) * int(num_channels) * dtype.itemsize
    with open(file_path, "rb", buffering=0) as file:
        descriptor = file.fileno()
        data = None
        if read_strategy(descriptor, byte_start, nbytes) == DIRECT:
            data = read_direct(file_path, byte_start, nbytes)
        if data is None:
            data = np.empty(nbytes, dtype=np.uint8)
            if nbytes and os.preadv(descriptor, [memoryview(data)], byte_start) != nbytes:
                data = None
    if data is None:
        raise ValueError(f"{file_path}: the file ended while reading (truncated?)")
    return data.view(dtype).reshape(int(num_rows), int(num_channels))


def read_strategy(descriptor: int, byte_start: int, nbytes: int) -> str:
    """How `read_rows` reads ``nbytes`` at ``byte_start`` of an open file: `CACHED` or `DIRECT`.

    `DIRECT` when the read is at least `DIRECT_READ_MIN_BYTES`, the platform has direct I/O and
    less than `RESIDENT_FRACTION_FOR_CACHE` of its pages are in the page cache.
    """
    if not _O_DIRECT or nbytes < DIRECT_READ_MIN_BYTES:
        return CACHED
    resident = resident_fraction(descriptor, byte_start, nbytes)
    return DIRECT if wants_direct_read(nbytes, resident) else CACHED


def resident_fraction(descriptor: int, byte_start: int, nbytes: int) -> float | None:
    """Fraction of the pages of a byte range of an open file that are in the page cache.

    None when the platform cannot tell (no ``mincore``, or the file cannot be mapped).
    """
    if nbytes <= 0 or _MINCORE is None:
        return None
    first = byte_start - byte_start % mmap.ALLOCATIONGRANULARITY
    length = byte_start + nbytes - first
    try:
        mapping = mmap.mmap(descriptor, length, access=mmap.ACCESS_READ, offset=first)
    except (OSError, ValueError):
        return None
    try:
        view = np.frombuffer(mapping, dtype=np.uint8)
        fraction = mapped_resident_fraction(view.ctypes.data, length)
        del view
    finally:
        mapping.close()
    return fraction


def mapped_resident_fraction(address: int, length: int) -> float | None:
    """Fraction of the pages of ``length`` bytes of a file mapping at ``address`` (page-aligned)
    that are in the page cache; None when the platform cannot tell."""
    if length <= 0 or _MINCORE is None:
        return None
    pages = -(-length // mmap.PAGESIZE)
    vector = (ctypes.c_ubyte * pages)()
    if _MINCORE(ctypes.c_void_p(int(address)), ctypes.c_size_t(int(length)), vector):
        return None
    return float(np.count_nonzero(np.frombuffer(vector, dtype=np.uint8) & 1)) / pages


def wants_direct_read(nbytes: int, resident: float | None) -> bool:
    """Whether a read of ``nbytes`` of which ``resident`` is in the page cache goes direct."""
    return bool(
        _O_DIRECT
        and nbytes >= DIRECT_READ_MIN_BYTES
        and resident is not None
        and resident < RESIDENT_FRACTION_FOR_CACHE
    )


def read_direct(file_path: str | Path, byte_start: int, nbytes: int) -> np.ndarray | None:
    """``nbytes`` at ``byte_start`` of a file read with ``O_DIRECT``, bypassing the page cache.

    Returns
    -------
    np.ndarray | None
        A new uint8 array, or None when the platform or the file system refuses direct I/O or
        the file ends first (the caller then reads through the cache).
    """
    first = byte_start - byte_start % _ALIGNMENT
    stop = -(-(byte_start + nbytes) // _ALIGNMENT) * _ALIGNMENT
    buffer = np.empty(stop - first + _ALIGNMENT, dtype=np.uint8)
    skip = (-buffer.ctypes.data) % _ALIGNMENT
    target = memoryview(buffer[skip : skip + stop - first])
    needed = byte_start + nbytes - first
    try:
        descriptor = os.open(file_path, os.O_RDONLY | _O_DIRECT)
    except OSError:
        return None
    got = 0
    try:
        while got < needed:
            count = os.preadv(descriptor, [target[got:]], first + got)
            if count <= 0:
                return None
            got += count
    except OSError:  # EINVAL: the file system takes O_DIRECT at open but not these reads
        return None
    finally:
        os.close(descriptor)
    start = skip + byte_start - first
    return buffer[start : start + nbytes]


def _libc_mincore():
    """``mincore(addr, length, vec)`` from the C library, or None where there is none."""
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)
        function = libc.mincore
    except (OSError, AttributeError, TypeError):
        return None
    function.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.POINTER(ctypes.c_ubyte)]
    function.restype = ctypes.c_int
    return function


_MINCORE = _libc_mincore()
