"""Waveform files written from Dask tasks, where no two tasks ever write the same file page.

A unit's waveforms in one chunk fill a byte range of its ``.npy`` file. The whole pages inside
that range belong to it alone: the task writes them there, on the workers' shared storage. The
few bytes at either end share a page with the neighbouring chunks' rows (or the header): the task
returns them and the coordinator, the one writer of shared pages, writes them. So the waveforms
do not cross the network to the coordinator (at most two partial pages per unit and chunk do),
and every write is idempotent: the same bytes at the same place if Dask runs a task twice.
"""

from __future__ import annotations

import os
import weakref
from collections.abc import Sequence
from typing import Any

import numpy as np

from .kernel_cutting import _chunk_pieces

__all__ = [
    "PAGE_BYTES",
    "PageWriter",
    "extract_chunk_to_pages",
    "init_page_writer",
    "split_at_pages",
]

#: Writes of different tasks never share an aligned block of this many bytes.
PAGE_BYTES = 4096
# Descriptors a writer keeps open at most (units beyond are reopened as needed).
_MAX_OPEN = 256

#: ``(unit, byte offset, bytes)`` left for the coordinator to write.
Edge = tuple[int, int, bytes]


class PageWriter:
    """Writes bytes into the ``.npy`` files of the units with ``os.pwrite``.

    Parameters
    ----------
    paths : sequence of str
        One pre-sized file per unit (absolute: workers open them where they run).
    header_bytes : sequence of int
        Where each file's data starts.
    row_bytes : sequence of int
        Bytes of one waveform of each unit.
    """

    def __init__(
        self, paths: Sequence[str], header_bytes: Sequence[int], row_bytes: Sequence[int]
    ) -> None:
        self.paths = [str(p) for p in paths]
        self.header_bytes = [int(h) for h in header_bytes]
        self.row_bytes = [int(r) for r in row_bytes]
        self._fds: dict[int, int] = {}
        self._close = weakref.finalize(self, _close_all, self._fds)

    def __getstate__(self) -> dict[str, Any]:
        return {"paths": self.paths, "header_bytes": self.header_bytes, "row_bytes": self.row_bytes}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__(**state)

    def write(self, unit: int, data: memoryview | bytes, offset: int) -> None:
        """Write ``data`` at byte ``offset`` of the file of ``unit``."""
        fd = self._fds.get(unit)
        if fd is None:
            if len(self._fds) >= _MAX_OPEN:
                os.close(self._fds.pop(next(iter(self._fds))))
            fd = self._fds[unit] = os.open(self.paths[unit], os.O_WRONLY)
        data = memoryview(data).cast("B")
        while data.nbytes:
            written = os.pwrite(fd, data, offset)
            data = data[written:]
            offset += written

    def write_edges(self, edges: list[Edge]) -> None:
        """``gather_func`` of the coordinator: write the shared-page bytes a task returned."""
        for unit, offset, data in edges:
            self.write(unit, data, offset)

    def close(self) -> None:
        """Close the files."""
        self._close()


def _close_all(fds: dict[int, int]) -> None:
    for fd in fds.values():
        os.close(fd)
    fds.clear()


def split_at_pages(offset: int, nbytes: int) -> tuple[int, int]:
    """The whole pages inside ``[offset, offset + nbytes)``: ``(first byte, end byte)``.

    Empty (``first >= end``) when the range holds no whole page.
    """
    first = -(-offset // PAGE_BYTES) * PAGE_BYTES
    end = (offset + nbytes) // PAGE_BYTES * PAGE_BYTES
    return first, end


def init_page_writer(plan: Any, writer: PageWriter) -> dict:
    """Worker context of :func:`extract_chunk_to_pages`."""
    return {"plan": plan, "writer": writer}


def extract_chunk_to_pages(
    segment_index: int, start_frame: int, end_frame: int, ctx: dict
) -> list[Edge]:
    """Cut the chunk's waveforms, write their whole pages, return the bytes of shared pages."""
    writer: PageWriter = ctx["writer"]
    edges: list[Edge] = []
    for piece in _chunk_pieces(segment_index, start_frame, end_frame, ctx["plan"], None):
        unit = piece.unit_index
        data = memoryview(np.ascontiguousarray(piece.waveforms)).cast("B")
        offset = writer.header_bytes[unit] + piece.first_row * writer.row_bytes[unit]
        first, end = split_at_pages(offset, data.nbytes)
        if first >= end:
            edges.append((unit, offset, bytes(data)))
            continue
        writer.write(unit, data[first - offset : end - offset], first)
        if first > offset:
            edges.append((unit, offset, bytes(data[: first - offset])))
        if end < offset + data.nbytes:
            edges.append((unit, end, bytes(data[end - offset :])))
    return edges
