"""Reading rows of raw files from the page cache or straight from the disk (core.recording.file_reads)."""

from __future__ import annotations

import errno
import os
from pathlib import Path

import numpy as np
import pytest

from core.recording import file_reads
from core.recording.file_reads import (
    CACHED,
    DIRECT,
    read_direct,
    read_rows,
    read_strategy,
    resident_fraction,
)
from core.recording.mapped_file import MappedRawFile

NUM_CHANNELS = 6
HEADER_BYTES = 6  # not a multiple of a page: direct reads must realign


def write_raw(path: Path, num_rows: int) -> np.ndarray:
    values = np.random.default_rng(3).integers(-3000, 3000, (num_rows, NUM_CHANNELS)).astype("<i2")
    with open(path, "wb") as file:
        file.write(b"HEADER"[:HEADER_BYTES])
        file.write(values.tobytes())
        file.flush()
        os.fsync(file.fileno())
    return values


def evict(path: Path) -> float:
    """Drop the file's clean pages from the page cache; the fraction still resident."""
    with open(path, "rb") as file:
        os.posix_fadvise(file.fileno(), 0, 0, os.POSIX_FADV_DONTNEED)
        return resident_fraction(file.fileno(), 0, path.stat().st_size)


def direct_io_works(path: Path) -> bool:
    return read_direct(path, 0, 4096) is not None


needs_linux_cache_control = pytest.mark.skipif(
    not hasattr(os, "O_DIRECT") or not hasattr(os, "posix_fadvise"),
    reason="O_DIRECT and posix_fadvise are Linux-only",
)


@pytest.fixture
def small_threshold(monkeypatch):
    """Reads of 64 kB and more may go direct (the default is a few MB)."""
    monkeypatch.setattr(file_reads, "DIRECT_READ_MIN_BYTES", 1 << 16)


@pytest.mark.parametrize("path_taken", [CACHED, DIRECT])
@pytest.mark.parametrize("first_row, num_rows", [(0, 40_000), (1, 12_345), (9_999, 30_001)])
def test_rows_equal_the_file_both_ways(
    tmp_path, monkeypatch, small_threshold, path_taken, first_row, num_rows
):
    path = tmp_path / "raw.bin"
    values = write_raw(path, 40_000)
    wanted = DIRECT if path_taken == DIRECT else "never"
    monkeypatch.setattr(file_reads, "read_strategy", lambda *args: wanted)
    rows = read_rows(
        path, HEADER_BYTES + first_row * NUM_CHANNELS * 2, num_rows, NUM_CHANNELS, "<i2"
    )
    assert rows.shape == (num_rows, NUM_CHANNELS) and rows.dtype == np.dtype("<i2")
    np.testing.assert_array_equal(rows, values[first_row : first_row + num_rows])
    rows[0, 0] = 1  # a new array, writable


@needs_linux_cache_control
def test_a_cold_long_read_goes_direct_and_leaves_the_cache_alone(tmp_path, small_threshold):
    path = tmp_path / "raw.bin"
    values = write_raw(path, 100_000)  # 1.2 MB
    if not direct_io_works(path):
        pytest.skip(f"the file system of {tmp_path} refuses O_DIRECT")
    if evict(path) > 0.1:
        pytest.skip("this kernel keeps the file's pages despite POSIX_FADV_DONTNEED")
    nbytes = 90_000 * NUM_CHANNELS * 2
    with open(path, "rb") as file:
        assert read_strategy(file.fileno(), HEADER_BYTES, nbytes) == DIRECT
    rows = read_rows(path, HEADER_BYTES, 90_000, NUM_CHANNELS, "<i2")
    np.testing.assert_array_equal(rows, values[:90_000])
    with open(path, "rb") as file:
        # read past the cache: still not resident, so the next read goes direct too
        assert resident_fraction(file.fileno(), 0, path.stat().st_size) < 0.1
        file.read()  # now the cache holds the whole file
        assert resident_fraction(file.fileno(), 0, path.stat().st_size) > 0.9
        assert read_strategy(file.fileno(), HEADER_BYTES, nbytes) == CACHED


@needs_linux_cache_control
def test_short_reads_stay_cached(tmp_path):
    path = tmp_path / "raw.bin"
    write_raw(path, 100_000)
    evict(path)
    with open(path, "rb") as file:  # 0.6 MB, under the default threshold; 1.2 MB over it
        assert read_strategy(file.fileno(), 0, 600_000) == CACHED
        long = DIRECT if hasattr(os, "O_DIRECT") else CACHED
        assert read_strategy(file.fileno(), 0, path.stat().st_size) == long


def test_a_file_system_without_direct_io_is_read_through_the_cache(
    tmp_path, monkeypatch, small_threshold
):
    path = tmp_path / "raw.bin"
    values = write_raw(path, 50_000)
    real_open = os.open

    def open_without_direct(file, flags, *args, **kwargs):
        if flags & getattr(os, "O_DIRECT", 0):
            raise OSError(errno.EINVAL, "Invalid argument", str(file))
        return real_open(file, flags, *args, **kwargs)

    monkeypatch.setattr(os, "open", open_without_direct)
    monkeypatch.setattr(file_reads, "read_strategy", lambda *args: DIRECT)
    assert read_direct(path, 0, 1 << 16) is None
    rows = read_rows(path, HEADER_BYTES, 50_000, NUM_CHANNELS, "<i2")
    np.testing.assert_array_equal(rows, values)


@pytest.mark.parametrize("path_taken", [CACHED, DIRECT])
def test_reading_past_the_end_names_the_file(tmp_path, monkeypatch, small_threshold, path_taken):
    path = tmp_path / "raw.bin"
    write_raw(path, 20_000)
    monkeypatch.setattr(file_reads, "read_strategy", lambda *args: path_taken)
    with pytest.raises(ValueError, match=r"raw\.bin: the file ended while reading"):
        read_rows(path, HEADER_BYTES + 10_000 * NUM_CHANNELS * 2, 10_001, NUM_CHANNELS, "<i2")


@needs_linux_cache_control
def test_a_mapped_file_reads_a_cold_long_window_direct_and_a_cached_one_as_a_view(
    tmp_path, small_threshold
):
    path = tmp_path / "raw.bin"
    values = write_raw(path, 100_000)
    if not direct_io_works(path):
        pytest.skip(f"the file system of {tmp_path} refuses O_DIRECT")
    mapped = MappedRawFile(path, np.dtype("<i2"), NUM_CHANNELS, HEADER_BYTES, 100_000)
    mapped.rows(0, 10)  # the map exists
    if evict(path) > 0.1:
        pytest.skip("this kernel keeps the file's pages despite POSIX_FADV_DONTNEED")
    cold = mapped.rows(5_000, 95_000)
    np.testing.assert_array_equal(cold, values[5_000:95_000])
    assert cold.flags.writeable  # a new array, not the read-only map
    with open(path, "rb") as file:
        assert resident_fraction(file.fileno(), 0, path.stat().st_size) < 0.1
        file.read()
    warm = mapped.rows(5_000, 95_000)
    np.testing.assert_array_equal(warm, values[5_000:95_000])
    assert not warm.flags.writeable  # a view of the map
