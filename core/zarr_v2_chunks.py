"""Chunks of zarr format 2 arrays, encoded in parallel and written straight to their files.

zarr-python 3 writes an array region through its asyncio codec pipeline, one region at a time,
and encodes in threads where numcodecs' Blosc compresses with a single thread: saving a
recording to zarr then runs at about one core. Compression is the cost of a zarr save, so this
module drives the codecs itself: :class:`V2ChunkWriter` encodes each chunk with the array's own
filters and compressor and writes it straight to its file ``<array>/<i>.<j>`` with one write,
several chunks at a time: one encoder per core, the caller being one of them. (zarr-python 3
sets ``numcodecs.blosc.use_threads = False`` when imported, so Blosc never uses its own threads
in a process that imports zarr; numcodecs releases the GIL while it compresses, so threads do.)
A Blosc compressor compresses into one output buffer per thread (`core.blosc_into`), reused
from chunk to chunk, rather than into a fresh 23 MB allocation per chunk. Edge chunks are
padded with the fill value to the full chunk shape, as zarr 2 stores them, so the files are
those zarr (2 or 3) writes for the same array.

Only local arrays are written this way; remote stores go through zarr.
"""

from __future__ import annotations

import os
import threading
from collections import deque
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .blosc_into import BloscInto

__all__ = ["OutputBuffers", "V2ArrayLayout", "V2ChunkWriter", "encoder_threads"]

#: At most this many encoder threads (Blosc's own default cap).
_MAX_ENCODER_THREADS = 8


def encoder_threads() -> int:
    """Encoder threads of a writer: one per core, at most `_MAX_ENCODER_THREADS`."""
    return max(1, min(os.cpu_count() or 1, _MAX_ENCODER_THREADS))


@dataclass(frozen=True)
class V2ArrayLayout:
    """How the chunks of one zarr v2 array are stored (from its ``.zarray``).

    Attributes
    ----------
    folder : str
        The array's folder.
    chunks : tuple of int
        Chunk shape.
    dtype : str
        Stored dtype.
    fill_value : Any
        Value of the padding of edge chunks.
    filters : tuple
        numcodecs filters, applied in order before the compressor.
    compressor : Any
        numcodecs compressor, or None.
    separator : str
        Separator of the chunk indices in file names (``"."`` as zarr 2 writes).
    blosc_into : BloscInto or None
        The compressor as a `BloscInto` (compressing into a reused buffer) when it is a Blosc
        codec and there are no filters; None otherwise.
    """

    folder: str
    chunks: tuple[int, ...]
    dtype: str
    fill_value: Any
    filters: tuple
    compressor: Any
    separator: str
    blosc_into: BloscInto | None = field(default=None, compare=False, repr=False)

    @classmethod
    def of(cls, array, folder: str) -> V2ArrayLayout:
        """The layout of a zarr-python 3 array in zarr format 2, stored in ``folder``."""
        metadata = array.metadata
        if metadata.order != "C":
            raise ValueError(f"{folder}: only C-order chunks are written directly")
        filters = tuple(metadata.filters or ())
        return cls(
            folder=str(folder),
            chunks=tuple(int(c) for c in metadata.chunks),
            dtype=np.dtype(array.dtype).str,
            fill_value=metadata.fill_value,
            filters=filters,
            compressor=metadata.compressor,
            separator=metadata.dimension_separator or ".",
            blosc_into=None if filters else BloscInto.of(metadata.compressor),
        )

    def encode(self, data: np.ndarray, buffers: OutputBuffers | None = None) -> memoryview:
        """The stored bytes of one chunk holding ``data`` (padded to the chunk shape).

        With ``buffers``, a Blosc compressor compresses into the calling thread's buffer: the
        view returned is valid until this thread encodes its next chunk.
        """
        data = np.asarray(data)
        if data.dtype != np.dtype(self.dtype):
            raise TypeError(f"{self.folder}: chunk of dtype {data.dtype}, expected {self.dtype}")
        if data.shape != self.chunks:
            if any(size > full for size, full in zip(data.shape, self.chunks)):
                raise ValueError(f"{self.folder}: chunk of shape {data.shape} > {self.chunks}")
            fill = 0 if self.fill_value is None else self.fill_value
            padded = np.full(self.chunks, fill, dtype=data.dtype)
            padded[tuple(slice(0, size) for size in data.shape)] = data
            data = padded
        encoded: Any = np.ascontiguousarray(data)
        if buffers is not None and self.blosc_into is not None:
            output = buffers.get(BloscInto.output_size(encoded.nbytes))
            return self.blosc_into.compress(encoded, output)
        for codec in self.filters:
            encoded = codec.encode(encoded)
        if self.compressor is not None:
            encoded = self.compressor.encode(encoded)
        if isinstance(encoded, np.ndarray):
            encoded = np.ascontiguousarray(encoded)
        return memoryview(encoded).cast("B")

    def chunk_path(self, coordinates: Sequence[int]) -> str:
        """The file of the chunk at ``coordinates`` (chunk indices)."""
        return os.path.join(self.folder, self.separator.join(str(int(c)) for c in coordinates))


class OutputBuffers(threading.local):
    """One reusable output buffer per thread: compressed chunks are written from it.

    A fresh buffer per chunk (what ``Blosc.encode`` allocates) is zero-filled by the kernel page
    by page and unmapped after the write; one buffer per thread is allocated once.
    """

    def __init__(self) -> None:
        self.buffer: np.ndarray | None = None

    def get(self, nbytes: int) -> np.ndarray:
        """This thread's buffer, grown to at least ``nbytes``."""
        if self.buffer is None or self.buffer.nbytes < nbytes:
            self.buffer = None
            self.buffer = np.empty(nbytes, dtype=np.uint8)
        return self.buffer


def _write_file(path: str, data: memoryview) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o666)
    try:
        while data.nbytes:
            written = os.write(fd, data)
            data = data[written:]
    finally:
        os.close(fd)


class V2ChunkWriter:
    """Encodes chunks of zarr v2 arrays and writes their files, ``threads`` chunks at a time.

    The calling thread is one of the ``threads`` encoders; the others are a pool of
    ``threads - 1`` threads. :meth:`write` hands the chunk to the pool when a pool thread is
    free and returns at once, else encodes it itself: every encoder stays busy, and at most
    ``threads`` chunks (each with its encoded bytes) are held at any time. :meth:`close` waits
    for the pool and raises the first error of a pool thread. A writer sent to a worker process
    encodes there in the calling thread only: the process is one of several workers already.

    Parameters
    ----------
    layouts : sequence of V2ArrayLayout
        The arrays written, addressed by position in :meth:`write`.
    threads : int, default: encoder_threads()
        Encoders, the calling thread included (0 or 1: the calling thread only).
    """

    def __init__(self, layouts: Sequence[V2ArrayLayout], threads: int | None = None) -> None:
        self.layouts = list(layouts)
        self.threads = encoder_threads() if threads is None else int(threads)
        self._pool: ThreadPoolExecutor | None = None
        self._pending: deque[Future] = deque()
        self._lock = threading.Lock()
        self._buffers = OutputBuffers()

    def __getstate__(self) -> dict:
        return {"layouts": self.layouts, "threads": 0}

    def __setstate__(self, state: dict) -> None:
        self.__init__(**state)

    def write(self, array_index: int, coordinates: Sequence[int], data: np.ndarray) -> None:
        """Store ``data`` as the chunk at ``coordinates`` of array ``array_index``.

        ``data`` must not change until the writer is closed (a pool thread may encode it
        later).
        """
        layout = self.layouts[array_index]
        if self.threads > 1:
            with self._lock:
                self._forget_done()
                if len(self._pending) < self.threads - 1:
                    if self._pool is None:
                        self._pool = ThreadPoolExecutor(
                            self.threads - 1, thread_name_prefix="zarr-encoder"
                        )
                    self._pending.append(
                        self._pool.submit(
                            _encode_and_write, layout, tuple(coordinates), data, self._buffers
                        )
                    )
                    return
        _encode_and_write(layout, tuple(coordinates), data, self._buffers)

    def _forget_done(self) -> None:
        """Drop finished chunks from the queue; raise the error of a failed one."""
        while self._pending and self._pending[0].done():
            self._pending.popleft().result()

    def close(self, cancel: bool = False) -> None:
        """Wait for the pool's chunks (drop them with ``cancel``), stop its threads and free
        the output buffers."""
        self._buffers = OutputBuffers()  # encoders hold the one they use
        if self._pool is None:
            return
        try:
            if not cancel:
                while self._pending:
                    self._pending.popleft().result()
        finally:
            self._pool.shutdown(wait=True, cancel_futures=cancel)
            self._pool = None
            self._pending.clear()


def _encode_and_write(
    layout: V2ArrayLayout, coordinates: tuple, data: np.ndarray, buffers: OutputBuffers
) -> None:
    _write_file(layout.chunk_path(coordinates), layout.encode(data, buffers))
