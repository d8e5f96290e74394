"""Binary saves of raw-file recordings copy byte ranges in the kernel (os.copy_file_range)."""

from __future__ import annotations

import errno
import os

import numpy as np
import pytest

import core as si
from core.recording.writing import raw_sources

FS = 10_000.0


@pytest.fixture
def raw_files(tmp_path):
    """Two segments of a 5-channel int16 file with a 16-byte header."""
    rng = np.random.default_rng(0)
    traces = [rng.integers(-900, 900, size=(n, 5)).astype("int16") for n in (3001, 1234)]
    paths = []
    for index, data in enumerate(traces):
        path = tmp_path / f"segment{index}.bin"
        path.write_bytes(b"H" * 16 + data.tobytes())
        paths.append(path)
    return paths, traces


def open_raw(paths):
    return si.read_binary(paths, FS, "int16", num_channels=5, file_offset=16)


def copies(monkeypatch) -> list[int]:
    counted = []
    original = os.copy_file_range

    def spy(source, target, count, source_offset, offset):
        counted.append(count)
        return original(source, target, count, source_offset, offset)

    monkeypatch.setattr(os, "copy_file_range", spy)
    return counted


@pytest.mark.parametrize(
    "job", [{"n_jobs": 1}, {"n_jobs": 2, "pool_engine": "thread"}], ids=["main", "threads"]
)
def test_raw_recording_is_copied_in_the_kernel(raw_files, tmp_path, monkeypatch, job):
    paths, traces = raw_files
    counted = copies(monkeypatch)
    saved = open_raw(paths).save(folder=tmp_path / "saved", chunk_size=700, **job)
    assert sum(counted) == sum(t.nbytes for t in traces)
    for index, data in enumerate(traces):
        stored = (tmp_path / "saved" / f"traces_cached_seg{index}.raw").read_bytes()
        assert stored == data.tobytes()
        np.testing.assert_array_equal(saved.get_traces(segment_index=index), data)


def test_refused_kernel_copy_falls_back_to_reading(raw_files, tmp_path, monkeypatch):
    paths, traces = raw_files

    def refuse(*args):
        raise OSError(errno.EXDEV, "cross-device")

    monkeypatch.setattr(os, "copy_file_range", refuse)
    saved = open_raw(paths).save(folder=tmp_path / "saved", chunk_size=700)
    for index, data in enumerate(traces):
        np.testing.assert_array_equal(saved.get_traces(segment_index=index), data)


def test_converted_or_sliced_recordings_are_read(raw_files, tmp_path, monkeypatch):
    paths, traces = raw_files
    recording = open_raw(paths)
    assert raw_sources(recording, np.dtype("int16"), False) == [
        (str(paths[0]), 16),
        (str(paths[1]), 16),
    ]
    assert raw_sources(recording, np.dtype("float32"), False) == [None, None]
    assert raw_sources(recording, np.dtype("int16"), True) == [None, None]
    counted = copies(monkeypatch)
    sliced = recording.channel_slice(recording.channel_ids[[4, 0]])
    saved = sliced.save(folder=tmp_path / "sliced")
    converted = recording.save(folder=tmp_path / "converted", dtype="float32")
    assert counted == []
    np.testing.assert_array_equal(saved.get_traces(segment_index=1), traces[1][:, [4, 0]])
    np.testing.assert_array_equal(converted.get_traces(segment_index=0), traces[0])
