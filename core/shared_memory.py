"""Arrays in shared memory blocks (``multiprocessing.shared_memory``), for worker processes."""

from __future__ import annotations

import math
from multiprocessing.shared_memory import SharedMemory

import numpy as np

__all__ = ["make_shared_array"]


def make_shared_array(shape, dtype) -> tuple[np.ndarray, SharedMemory]:
    """A zero-filled array in a new shared memory block (SpikeInterface's ``make_shared_array``).

    Parameters
    ----------
    shape : tuple of int
    dtype : numpy dtype-like

    Returns
    -------
    array : np.ndarray
        Backed by the block: valid while ``shm`` is referenced and not closed.
    shm : SharedMemory
        The block; the caller closes it and unlinks it when done (other processes attach to
        it by ``shm.name``).
    """
    dtype = np.dtype(dtype)
    shape = tuple(int(size) for size in shape)
    if any(size < 0 for size in shape):
        raise ValueError(f"shape must not have negative sizes, got {shape}")
    # a block cannot be empty: an empty array still gets one byte
    shm = SharedMemory(create=True, size=max(math.prod(shape) * dtype.itemsize, 1))
    array = np.ndarray(shape, dtype=dtype, buffer=shm.buf)
    array[...] = 0
    return array, shm
