"""Positional reads and writes of pyramid files, and the lock of a pyramid being built (no Qt).

Reads copy one contiguous byte range into a fresh array (``os.preadv``): nothing stays mapped,
so browsing a pyramid of many gigabytes never grows the process's resident memory, and threads
read one file at the same time without sharing a file position.
"""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path

import numpy as np

try:  # POSIX: advisory locks that the system releases when their process ends (even a crash)
    import fcntl
except ImportError:  # Windows: a second process building the same pyramid is not detected
    fcntl = None

_SEEK_LOCK = threading.Lock()  # only where positional I/O is missing (Windows)


def read_rows(fd: int, offset: int, shape: tuple[int, ...], dtype) -> np.ndarray:
    """A new array of ``shape`` read from ``fd`` at byte ``offset``.

    Raises
    ------
    EOFError
        If the file ends before the array is full.
    """
    out = np.empty(shape, dtype=dtype)
    view = memoryview(out.reshape(-1).view(np.uint8))
    done = 0
    while done < view.nbytes:
        if hasattr(os, "preadv"):
            count = os.preadv(fd, [view[done:]], offset + done)
        elif hasattr(os, "pread"):
            data = os.pread(fd, view.nbytes - done, offset + done)
            count = len(data)
            view[done : done + count] = data
        else:
            with _SEEK_LOCK:
                os.lseek(fd, offset + done, os.SEEK_SET)
                data = os.read(fd, view.nbytes - done)
            count = len(data)
            view[done : done + count] = data
        if count == 0:
            raise EOFError(f"the file ends at byte {offset + done}, {view.nbytes - done} short")
        done += count
    return out


def write_rows(fd: int, offset: int, array: np.ndarray) -> int:
    """Write ``array`` (C order) to ``fd`` at byte ``offset``; return the byte after it."""
    view = memoryview(np.ascontiguousarray(array).reshape(-1).view(np.uint8))
    while view.nbytes:
        if hasattr(os, "pwrite"):
            count = os.pwrite(fd, view, offset)
        else:
            with _SEEK_LOCK:
                os.lseek(fd, offset, os.SEEK_SET)
                count = os.write(fd, view)
        view = view[count:]
        offset += count
    return offset


def open_binary(path: Path, writable: bool = False) -> int:
    """A descriptor of ``path`` (created when ``writable``)."""
    flags = os.O_RDWR | os.O_CREAT if writable else os.O_RDONLY
    return os.open(path, flags | getattr(os, "O_BINARY", 0), 0o644)


def write_json_atomic(path: Path, document: dict) -> None:
    """Write ``document`` to ``path`` through a temporary file, synced, then renamed."""
    temporary = path.with_name(f"{path.name}.tmp")
    with open(temporary, "w", encoding="utf-8") as file:
        json.dump(document, file)
        file.flush()
        os.fsync(file.fileno())
    os.replace(temporary, path)


def read_json(path: Path) -> dict | None:
    """The JSON object in ``path``, or None when it is missing or unreadable."""
    try:
        with open(path, encoding="utf-8") as file:
            document = json.load(file)
    except (OSError, ValueError):
        return None
    return document if isinstance(document, dict) else None


class BuildLock:
    """An exclusive lock on a pyramid folder being built, held until `release`.

    Parameters
    ----------
    folder : Path
        The folder (its ``lock`` file is created).

    Raises
    ------
    BlockingIOError
        If another build (of this process or another) holds the lock.
    """

    def __init__(self, folder: Path) -> None:
        self._fd: int | None = os.open(folder / "lock", os.O_RDWR | os.O_CREAT, 0o644)
        if fcntl is not None:
            try:
                fcntl.flock(self._fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                os.close(self._fd)
                self._fd = None
                raise BlockingIOError(f"{folder} is being built by another job") from None

    def release(self) -> None:
        """Release the lock (idempotent)."""
        if self._fd is not None:
            os.close(self._fd)  # closing the descriptor releases the flock
            self._fd = None


def is_locked(folder: Path) -> bool:
    """Whether a build holds the lock of ``folder`` right now."""
    try:
        lock = BuildLock(folder)
    except BlockingIOError:
        return True
    except OSError:
        return False
    lock.release()
    return False
