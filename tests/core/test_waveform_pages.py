"""kernel_pages: waveform files written by chunk tasks that never share a file page."""

from __future__ import annotations

import numpy as np
import pytest

import core as si
from core.jobs import divide_recording_into_chunks
from core.waveforms.kernel import extract_waveforms_to_buffers
from core.waveforms.kernel_cutting import _build_plan
from core.waveforms.kernel_outputs import create_npy_files
from core.waveforms.kernel_pages import (
    PAGE_BYTES,
    PageWriter,
    extract_chunk_to_pages,
    init_page_writer,
    split_at_pages,
)

NBEFORE, NAFTER = 20, 35


class LoggingWriter(PageWriter):
    """A PageWriter that records the byte ranges it writes, under the current chunk."""

    chunk = -1

    def __init__(self, *args):
        super().__init__(*args)
        self.log: list[tuple[int, int, int, int]] = []  # chunk, unit, first byte, end byte

    def write(self, unit, data, offset):
        self.log.append((self.chunk, unit, offset, offset + memoryview(data).nbytes))
        super().write(unit, data, offset)


@pytest.mark.parametrize(
    ("offset", "nbytes", "pages"),
    [
        (100, 50, (4096, 0)),  # inside one page: no whole page
        (0, 4096, (0, 4096)),
        (100, 9000, (4096, 8192)),
        (4096, 8192, (4096, 12288)),
    ],
)
def test_split_at_pages(offset, nbytes, pages):
    assert split_at_pages(offset, nbytes) == pages


def test_chunks_never_write_the_same_page_and_the_files_are_complete(tmp_path):
    recording, sorting = si.generate_ground_truth_recording(
        durations=[3.0], num_channels=5, num_units=4, seed=2
    )
    spikes = sorting.to_spike_vector()
    num_units = len(sorting.unit_ids)
    plan = _build_plan(
        recording, spikes, num_units, NBEFORE, NAFTER, np.dtype("float32"), None, False
    )
    counts = np.bincount(spikes["unit_index"], minlength=num_units)
    shapes = [(int(c), NBEFORE + NAFTER, 5) for c in counts]
    names = [f"waveforms_{u}.npy" for u in range(num_units)]
    headers = create_npy_files(tmp_path, names, shapes, np.dtype("float32"))
    row_bytes = [(NBEFORE + NAFTER) * 5 * 4] * num_units
    tasks = LoggingWriter([str(tmp_path / n) for n in names], headers, row_bytes)
    coordinator = LoggingWriter([str(tmp_path / n) for n in names], headers, row_bytes)
    ctx = init_page_writer(plan, tasks)
    for index, chunk in enumerate(divide_recording_into_chunks(recording, 2500)):
        tasks.chunk = index
        coordinator.write_edges(extract_chunk_to_pages(*chunk, ctx))
    tasks.close()
    coordinator.close()

    owner: dict[tuple[int, int], int] = {}  # (unit, page) -> the chunk that wrote it
    for chunk, unit, first, end in tasks.log:
        assert first % PAGE_BYTES == 0 and end % PAGE_BYTES == 0
        for page in range(first // PAGE_BYTES, end // PAGE_BYTES):
            assert owner.setdefault((unit, page), chunk) == chunk
    for _, unit, first, end in coordinator.log:
        touched = range(first // PAGE_BYTES, (end - 1) // PAGE_BYTES + 1)
        assert not [page for page in touched if (unit, page) in owner]
    assert len(tasks.log) > 0 and len(coordinator.log) > 0

    expected = extract_waveforms_to_buffers(
        recording, spikes, sorting.unit_ids, NBEFORE, NAFTER, mode="memory", n_jobs=1,
        progress_bar=False,
    )  # fmt: skip
    for unit, name in enumerate(names):
        np.testing.assert_array_equal(np.load(tmp_path / name), expected[sorting.unit_ids[unit]])
