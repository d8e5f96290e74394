"""MappedRawFile: the persistent map reads the right rows and keeps resident memory bounded."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from core.recording import mapped_file
from core.recording.mapped_file import MappedRawFile

NUM_CHANNELS = 64
HEADER_BYTES = 100


def resident_file_mb() -> float:
    """File-backed resident memory of this process (RssFile), in MB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("RssFile:"):
            return int(line.split()[1]) / 1024
    pytest.skip("/proc/self/status has no RssFile on this system")


@pytest.fixture
def raw_file(tmp_path: Path) -> tuple[Path, np.ndarray]:
    frames = np.arange(300_000 * NUM_CHANNELS, dtype="int16").reshape(-1, NUM_CHANNELS)
    path = tmp_path / "raw.bin"
    with open(path, "wb") as file:
        file.write(b"\x01" * HEADER_BYTES)
        file.write(frames.tobytes())
    return path, frames


def test_rows_match_file_after_releases(raw_file, monkeypatch) -> None:
    path, frames = raw_file
    monkeypatch.setattr(mapped_file, "MAPPED_BUDGET_BYTES", 1_000_000)
    rows = MappedRawFile(path, np.int16, NUM_CHANNELS, HEADER_BYTES, len(frames))
    rng = np.random.default_rng(0)
    for start in rng.integers(0, len(frames) - 20_000, 40):
        np.testing.assert_array_equal(
            rows.rows(start, start + 20_000), frames[start : start + 20_000]
        )
    held = rows.rows(5, 9)
    for start in range(0, len(frames), 50_000):  # several releases while `held` is alive
        rows.rows(start, start + 50_000).sum()
    np.testing.assert_array_equal(held, frames[5:9])


def test_empty_and_clipped_ranges(raw_file) -> None:
    path, frames = raw_file
    rows = MappedRawFile(path, np.int16, NUM_CHANNELS, HEADER_BYTES, len(frames))
    assert rows.rows(10, 10).shape == (0, NUM_CHANNELS)
    np.testing.assert_array_equal(rows.rows(len(frames) - 3, len(frames) + 5), frames[-3:])


def test_resident_memory_stays_bounded(raw_file, monkeypatch) -> None:
    path, frames = raw_file  # 38 MB of frames
    monkeypatch.setattr(mapped_file, "MAPPED_BUDGET_BYTES", 4_000_000)
    rows = MappedRawFile(path, np.int16, NUM_CHANNELS, HEADER_BYTES, len(frames))
    before = resident_file_mb()
    for start in range(0, len(frames), 10_000):
        rows.rows(start, start + 10_000).sum()
    grown = resident_file_mb() - before
    # at most about three budgets stay resident; without the release, all 38 MB would
    assert grown < 16, f"the map kept {grown:.1f} MB resident"


def test_forked_child_keeps_releasing_in_the_background(raw_file, monkeypatch) -> None:
    path, frames = raw_file
    monkeypatch.setattr(mapped_file, "MAPPED_BUDGET_BYTES", 1_000_000)
    submitted = []

    class Releaser:
        def submit(self, mapping, ranges, done) -> None:
            submitted.append(ranges)
            mapped_file._release_ranges(mapping, ranges)
            done.set()

    monkeypatch.setattr(mapped_file, "_RELEASER", Releaser())
    rows = MappedRawFile(path, np.int16, NUM_CHANNELS, HEADER_BYTES, len(frames))
    rows._released.clear()  # what a child forked during its parent's release inherits
    rows._releasing_pid = -1
    for start in range(0, 100_000, 10_000):
        np.testing.assert_array_equal(
            rows.rows(start, start + 10_000), frames[start : start + 10_000]
        )
    assert len(submitted) >= 5  # every release went to the background, none waited for the parent
