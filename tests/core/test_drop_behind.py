"""Drop-behind of written files (core.drop_behind)."""

from __future__ import annotations

import ctypes
import ctypes.util
import mmap
import os
import threading
from pathlib import Path

import numpy as np
import pytest

from core.drop_behind import DropBehind

MB = 1024 * 1024
pytestmark = pytest.mark.skipif(
    not hasattr(os, "posix_fadvise"), reason="os.posix_fadvise is Linux/BSD only"
)


def resident_pages(path: Path) -> np.ndarray:
    """Per page of ``path``: whether it is in the page cache (``mincore``)."""
    libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)
    size = path.stat().st_size
    pages = (size + mmap.PAGESIZE - 1) // mmap.PAGESIZE
    vector = (ctypes.c_ubyte * pages)()
    with open(path, "rb") as file, mmap.mmap(file.fileno(), size, access=mmap.ACCESS_READ) as m:
        view = np.frombuffer(m, dtype=np.uint8)
        status = libc.mincore(ctypes.c_void_p(view.ctypes.data), ctypes.c_size_t(size), vector)
        del view
    if status != 0:
        raise OSError(ctypes.get_errno(), f"mincore failed on {path}")
    return (np.frombuffer(bytes(vector), dtype=np.uint8) & 1) == 1


def write_in_steps(path: Path, drop_behind: DropBehind, total: int, step: int) -> bytes:
    """Write ``total`` random bytes in ``step`` pieces, each made clean (fdatasync) first."""
    data = np.random.default_rng(0).integers(0, 256, total, dtype=np.uint8).tobytes()
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
    try:
        for offset in range(0, total, step):
            os.pwrite(fd, data[offset : offset + step], offset)
            os.fdatasync(fd)  # written back: a release request drops the pages at once
            drop_behind.written(fd, offset + step)
            drop_behind.wait_until_idle()
    finally:
        drop_behind.stop()
        os.close(fd)
    return data


def file_system_drops_pages(folder: Path) -> bool:
    probe = folder / "probe.bin"
    probe.write_bytes(b"x" * MB)
    fd = os.open(probe, os.O_RDONLY)
    try:
        os.fdatasync(fd)
        os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
    finally:
        os.close(fd)
    dropped = not resident_pages(probe).any()
    probe.unlink()
    return dropped


def test_written_pages_far_behind_are_dropped_and_recent_ones_kept(tmp_path) -> None:
    if not file_system_drops_pages(tmp_path):
        pytest.skip(f"the file system of {tmp_path} keeps pages on POSIX_FADV_DONTNEED (tmpfs?)")
    path = tmp_path / "out.bin"
    data = write_in_steps(path, DropBehind(lag_bytes=8 * MB, step_bytes=1 * MB), 32 * MB, MB)
    resident = resident_pages(path)
    page = mmap.PAGESIZE
    # the last request covered [0, 32 MB - 8 MB): dropped; the last 8 MB were never released
    assert not resident[: 24 * MB // page].any()
    assert resident[24 * MB // page :].all()
    assert path.read_bytes() == data  # dropping never changes what the file holds


def test_nothing_is_released_before_the_lag_is_reached(tmp_path, monkeypatch) -> None:
    calls = []
    monkeypatch.setattr(os, "posix_fadvise", lambda *args: calls.append(args))
    write_in_steps(tmp_path / "out.bin", DropBehind(lag_bytes=64 * MB, step_bytes=MB), 8 * MB, MB)
    assert calls == []


def test_requests_are_spaced_by_the_step_and_cover_the_file_start(tmp_path, monkeypatch) -> None:
    calls = []
    original = os.posix_fadvise
    monkeypatch.setattr(os, "posix_fadvise", lambda *args: calls.append(args) or original(*args))
    path = tmp_path / "out.bin"
    write_in_steps(path, DropBehind(lag_bytes=2 * MB, step_bytes=4 * MB), 16 * MB, MB)
    # furthest byte 4, 8, 12, 16 MB -> release [0, 2), [0, 6), [0, 10), [0, 14) MB
    assert [(offset, length) for _, offset, length, _ in calls] == [
        (0, 2 * MB),
        (0, 6 * MB),
        (0, 10 * MB),
        (0, 14 * MB),
    ]
    assert {advice for *_, advice in calls} == {os.POSIX_FADV_DONTNEED}


def test_no_request_after_stop_and_stop_joins_the_thread(tmp_path, monkeypatch) -> None:
    calls = []
    monkeypatch.setattr(os, "posix_fadvise", lambda *args: calls.append(args))
    drop_behind = DropBehind(lag_bytes=0, step_bytes=1)
    drop_behind.written(5, 10)
    drop_behind.wait_until_idle()
    assert calls == [(5, 0, 10, os.POSIX_FADV_DONTNEED)]
    drop_behind.stop()
    assert not any(t.name == "drop-behind" and t.is_alive() for t in threading.enumerate())
    drop_behind.written(5, 20)
    drop_behind.stop()  # idempotent
    assert len(calls) == 1


def test_refused_advice_is_ignored(tmp_path) -> None:
    drop_behind = DropBehind(lag_bytes=0, step_bytes=1)
    read_end, write_end = os.pipe()  # a pipe refuses fadvise (ESPIPE)
    try:
        drop_behind.written(read_end, 100)
        drop_behind.wait_until_idle()
    finally:
        drop_behind.stop()
        os.close(read_end)
        os.close(write_end)


def test_does_nothing_without_posix_fadvise(monkeypatch) -> None:
    monkeypatch.delattr(os, "posix_fadvise")
    drop_behind = DropBehind(lag_bytes=0, step_bytes=1)
    assert not drop_behind.enabled
    drop_behind.written(3, 100)
    assert drop_behind._thread is None
    drop_behind.stop()
