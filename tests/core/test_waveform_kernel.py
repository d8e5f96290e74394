"""Spike sampling and the waveform extraction kernel (core.waveforms.kernel)."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import numpy as np
import pytest

from core.drop_behind import DropBehind
from core.generate import generate_ground_truth_recording
from core.jobs import CancelToken, JobCancelled
from core.recording import NumpyRecording
from core.sorting import NumpySorting
from core.waveforms import extract_waveforms, kernel_outputs
from core.waveforms.kernel import (
    estimate_templates_average,
    extract_waveforms_to_buffers,
    sample_spikes,
    sampled_index_dtype,
    select_random_spikes_uniformly,
)
from core.waveforms.kernel_cutting import _UnitPiece
from core.waveforms.kernel_outputs import RunningAverages, allocate_arrays

FS = 10_000.0
NBEFORE, NAFTER = 5, 8
NUM_CHANNELS = 6
SEGMENT_SAMPLES = (1000, 700)
CHUNK = 97  # small and odd: many spikes sit near chunk borders


def make_recording() -> NumpyRecording:
    rng = np.random.default_rng(1)
    traces = [
        rng.integers(-500, 500, size=(n, NUM_CHANNELS)).astype("int16") for n in SEGMENT_SAMPLES
    ]
    recording = NumpyRecording(traces, sampling_frequency=FS)
    recording.set_channel_gains(np.linspace(0.1, 0.6, NUM_CHANNELS))
    recording.set_channel_offsets(np.linspace(-2.0, 3.0, NUM_CHANNELS))
    return recording


def make_sorting() -> NumpySorting:
    """Three units; spikes at segment starts and ends and around multiples of CHUNK."""
    times = [
        np.array([0, 2, 5, 6, 96, 97, 98, 100, 193, 194, 400, 600, 987, 991, 992, 999]),
        np.array([1, 4, 5, 95, 96, 97, 150, 300, 690, 691, 692, 699]),
    ]
    labels = [
        np.array([0, 1, 2, 0, 1, 2, 0, 1, 2, 0, 1, 2, 0, 1, 2, 0]),
        np.array([2, 1, 0, 2, 1, 0, 2, 1, 0, 2, 1, 0]),
    ]
    unit_ids = np.array([10, 20, 30])
    return NumpySorting.from_times_labels(
        times, [unit_ids[index] for index in labels], FS, unit_ids
    )


def naive_waveforms(recording, spikes, unit_ids, return_scaled, dtype, mask=None) -> dict:
    """One slice per spike; beyond a segment border, zeros."""
    result = {}
    for unit_index, unit_id in enumerate(unit_ids):
        rows = []
        channels = slice(None) if mask is None else mask[unit_index]
        width = NUM_CHANNELS if mask is None else int(mask[unit_index].sum())
        for spike in spikes[spikes["unit_index"] == unit_index]:
            segment, sample = int(spike["segment_index"]), int(spike["sample_index"])
            start = max(sample - NBEFORE, 0)
            stop = min(sample + NAFTER, recording.get_num_samples(segment))
            traces = recording.get_traces(
                segment_index=segment,
                start_frame=start,
                end_frame=stop,
                return_scaled=return_scaled,
            )
            row = np.zeros((NBEFORE + NAFTER, width), dtype=dtype)
            row[start - (sample - NBEFORE) : stop - (sample - NBEFORE)] = traces[:, channels]
            rows.append(row)
        result[unit_id] = np.stack(rows) if rows else np.zeros((0, NBEFORE + NAFTER, width), dtype)
    return result


@pytest.fixture
def recording():
    return make_recording()


@pytest.fixture
def sorting():
    return make_sorting()


def extract(recording, sorting, **kwargs):
    options = dict(mode="memory", return_scaled=True, chunk_size=CHUNK, progress_bar=False)
    options.update(kwargs)
    spikes = sorting.to_spike_vector()
    return extract_waveforms_to_buffers(
        recording, spikes, sorting.unit_ids, NBEFORE, NAFTER, **options
    )


def assert_same(a: dict, b: dict) -> None:
    assert a.keys() == b.keys()
    for unit_id in a:
        assert a[unit_id].dtype == b[unit_id].dtype
        np.testing.assert_array_equal(np.asarray(a[unit_id]), np.asarray(b[unit_id]))


# --------------------------------------------------------------------------- sampling
def test_sample_all_spikes_keeps_border_spikes(recording, sorting):
    spikes, sampled = sample_spikes(recording, sorting, None)
    assert spikes.size == sorting.to_spike_vector().size
    assert sum(index.size for index in sampled.values()) == spikes.size


def test_sampled_index_points_into_unit_trains(recording, sorting):
    spikes, sampled = sample_spikes(recording, sorting, 3, NBEFORE, NAFTER, seed=4)
    for unit_index, unit_id in enumerate(sorting.unit_ids):
        index = sampled[unit_id]
        assert index.dtype == sampled_index_dtype
        frames = [
            sorting.get_unit_spike_train(unit_id, segment_index=int(seg))[int(i)]
            for i, seg in zip(index["spike_index"], index["segment_index"])
        ]
        np.testing.assert_array_equal(
            frames, spikes["sample_index"][spikes["unit_index"] == unit_index]
        )


def test_sampling_drops_border_spikes_when_subsampling(recording, sorting):
    spikes, _ = sample_spikes(recording, sorting, 1000, NBEFORE, NAFTER, seed=0)
    limits = np.array(SEGMENT_SAMPLES)[spikes["segment_index"]] - NAFTER
    assert np.all(spikes["sample_index"] >= NBEFORE)
    assert np.all(spikes["sample_index"] < limits)


def test_sampling_is_reproducible_and_leaves_global_rng_alone(recording, sorting):
    state = np.random.get_state()  # noqa: NPY002  (the legacy global generator SI seeds)
    first = select_random_spikes_uniformly(recording, sorting, 4, NBEFORE, NAFTER, seed=7)
    after = np.random.get_state()  # noqa: NPY002
    assert all(np.array_equal(a, b) for a, b in zip(state, after))
    second = select_random_spikes_uniformly(recording, sorting, 4, NBEFORE, NAFTER, seed=7)
    for unit_id in sorting.unit_ids:
        for a, b in zip(first[unit_id], second[unit_id]):
            np.testing.assert_array_equal(a, b)


def test_sampling_uses_spikeinterface_draws(recording, sorting):
    """Per unit, in unit order: RandomState(seed).choice over the unit's spikes, sorted."""
    rng = np.random.RandomState(3)
    selected = select_random_spikes_uniformly(recording, sorting, 4, 0, 0, seed=3)
    for unit_id in sorting.unit_ids:
        counts = [sorting.get_unit_spike_train(unit_id, segment_index=s).size for s in (0, 1)]
        picks = np.sort(rng.choice(sum(counts), size=4, replace=False))
        np.testing.assert_array_equal(selected[unit_id][0], picks[picks < counts[0]])
        np.testing.assert_array_equal(selected[unit_id][1], picks[picks >= counts[0]] - counts[0])


def test_sampling_requires_window_when_subsampling(recording, sorting):
    with pytest.raises(ValueError, match="nbefore and nafter"):
        sample_spikes(recording, sorting, 10)


# --------------------------------------------------------------------------- extraction
@pytest.mark.parametrize("return_scaled", [True, False])
def test_extraction_matches_per_spike_slicing(recording, sorting, return_scaled):
    waveforms = extract(recording, sorting, return_scaled=return_scaled)
    dtype = np.float32 if return_scaled else np.int16
    expected = naive_waveforms(
        recording, sorting.to_spike_vector(), sorting.unit_ids, return_scaled, dtype
    )
    assert_same(waveforms, expected)


def test_border_spikes_hold_existing_samples_padded_with_zeros(recording, sorting):
    waveforms = extract(recording, sorting)  # offsets != 0: padding stays zero once scaled
    first_spike = waveforms[10][0]  # sample 0 of segment 0: NBEFORE samples before the start
    assert not first_spike[:NBEFORE].any()
    expected = recording.get_traces(segment_index=0, end_frame=NAFTER, return_scaled=True)
    np.testing.assert_array_equal(first_spike[NBEFORE:], expected)
    last_spike = waveforms[10][-1]  # sample 699 of segment 1: NAFTER - 1 samples after the end
    assert not last_spike[NBEFORE + 1 :].any()
    expected = recording.get_traces(segment_index=1, start_frame=699 - NBEFORE, return_scaled=True)
    np.testing.assert_array_equal(last_spike[: NBEFORE + 1], expected)


def test_chunk_size_does_not_change_waveforms(recording, sorting):
    assert_same(
        extract(recording, sorting, chunk_size=CHUNK), extract(recording, sorting, chunk_size=5000)
    )


def test_threads_and_processes_give_the_same_waveforms(recording, sorting):
    threads = extract(recording, sorting, n_jobs=2, pool_engine="thread")
    processes = extract(recording, sorting, n_jobs=2, pool_engine="process")
    assert_same(threads, processes)


@pytest.mark.parametrize("return_scaled", [True, False])
@pytest.mark.parametrize("n_jobs", [1, 2])
def test_memmap_equals_memory(recording, sorting, tmp_path, n_jobs, return_scaled):
    options = dict(return_scaled=return_scaled, n_jobs=n_jobs, pool_engine="thread")
    memmaps = extract(recording, sorting, mode="memmap", folder=tmp_path, **options)
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "waveforms_10.npy",
        "waveforms_20.npy",
        "waveforms_30.npy",
    ]
    assert_same(memmaps, extract(recording, sorting, **options))


@pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="needs /proc/self/fd (Linux)")
@pytest.mark.parametrize("max_open_files", [1, 1000])
def test_memmap_files_are_closed_after_writing(
    recording, sorting, tmp_path, monkeypatch, max_open_files
):
    from core.waveforms import kernel_outputs

    monkeypatch.setattr(kernel_outputs, "_MAX_OPEN_FILES", max_open_files)
    before = len(list(Path("/proc/self/fd").iterdir()))
    memmaps = extract(recording, sorting, mode="memmap", folder=tmp_path, n_jobs=2)
    expected = extract(recording, sorting)
    assert_same({u: np.array(w) for u, w in memmaps.items()}, expected)
    del memmaps
    assert len(list(Path("/proc/self/fd").iterdir())) == before


@pytest.mark.skipif(not hasattr(os, "posix_fadvise"), reason="drop-behind needs posix_fadvise")
@pytest.mark.parametrize("n_jobs", [1, 2])
def test_memmap_with_drop_behind_releasing_every_write_equals_memory(
    recording, sorting, tmp_path, monkeypatch, n_jobs
):
    from core.waveforms import kernel_outputs

    releases = []
    original = os.posix_fadvise

    def spy(fd, offset, length, advice):
        releases.append(length)
        original(fd, offset, length, advice)

    class ReleasingEachWrite(DropBehind):
        """Lag 0, and each release done before the next write (a loaded machine may not
        schedule the background thread before the extraction ends)."""

        def __init__(self):
            super().__init__(lag_bytes=0, step_bytes=1)

        def written(self, fd, stop):
            super().written(fd, stop)
            self.wait_until_idle()

    monkeypatch.setattr(os, "posix_fadvise", spy)
    monkeypatch.setattr(kernel_outputs, "DropBehind", ReleasingEachWrite)
    memmaps = extract(recording, sorting, mode="memmap", folder=tmp_path, n_jobs=n_jobs)
    assert releases  # pages were released while the files were being written
    assert_same(memmaps, extract(recording, sorting))


def test_memmap_in_processes_equals_memory(recording, sorting, tmp_path):
    memmaps = extract(
        recording, sorting, mode="memmap", folder=tmp_path, n_jobs=2, pool_engine="process"
    )
    assert_same(memmaps, extract(recording, sorting))


def test_sparse_equals_dense_restricted_to_mask(recording, sorting):
    mask = np.zeros((3, NUM_CHANNELS), dtype=bool)
    mask[0, [0, 1]] = mask[1, [2, 4, 5]] = mask[2, [1]] = True
    sparse = extract(recording, sorting, sparsity_mask=mask)
    dense = extract(recording, sorting)
    for unit_index, unit_id in enumerate(sorting.unit_ids):
        np.testing.assert_array_equal(sparse[unit_id], dense[unit_id][:, :, mask[unit_index]])


def test_output_dtype_is_applied(recording, sorting):
    waveforms = extract(recording, sorting, return_scaled=False, dtype="float64")
    assert all(w.dtype == np.float64 for w in waveforms.values())


def test_spike_outside_recording_names_unit_and_segment(recording):
    sorting = NumpySorting.from_times_labels(
        [np.array([10]), np.array([5, 700])], [np.array([1]), np.array([1, 2])], FS, [1, 2]
    )
    with pytest.raises(ValueError, match=r"unit 2 .* segment 1"):
        extract(recording, sorting)


def test_unsorted_spikes_are_rejected(recording, sorting):
    spikes = sorting.to_spike_vector()[::-1].copy()
    with pytest.raises(ValueError, match="sorted"):
        extract_waveforms_to_buffers(recording, spikes, sorting.unit_ids, NBEFORE, NAFTER, "memory")


def test_mask_of_wrong_shape_is_rejected(recording, sorting):
    with pytest.raises(ValueError, match="sparsity_mask"):
        extract(recording, sorting, sparsity_mask=np.ones((2, NUM_CHANNELS), dtype=bool))


def test_memmap_needs_folder(recording, sorting):
    with pytest.raises(ValueError, match="folder"):
        extract(recording, sorting, mode="memmap")


def test_scaling_needs_gains(sorting):
    recording = NumpyRecording([np.zeros((1000, 2)), np.zeros((700, 2))], sampling_frequency=FS)
    with pytest.raises(ValueError, match="return_scaled"):
        extract(recording, sorting, return_scaled=True)


def test_progress_is_reported_per_chunk(recording, sorting):
    calls = []
    extract(recording, sorting, progress_callback=lambda done, total: calls.append((done, total)))
    total = sum(-(-n // CHUNK) for n in SEGMENT_SAMPLES)
    assert calls[0] == (0, total) and calls[-1] == (total, total)


def test_cancel_stops_the_extraction(recording, sorting):
    token = CancelToken()

    def cancel_after_first(done, total):
        if done == 1:
            token.cancel()

    with pytest.raises(JobCancelled):
        extract(recording, sorting, progress_callback=cancel_after_first, cancel_token=token)


def test_cancel_stops_the_file_writers(recording, sorting, tmp_path):
    token = CancelToken()

    def cancel_after_first(done, total):
        if done == 1:
            token.cancel()

    with pytest.raises(JobCancelled):
        extract(
            recording,
            sorting,
            mode="memmap",
            folder=tmp_path,
            progress_callback=cancel_after_first,
            cancel_token=token,
        )
    assert not [t for t in threading.enumerate() if t.name.startswith("npy-writer")]


def test_estimated_average_equals_mean_of_waveforms(recording, sorting):
    spikes, _ = sample_spikes(recording, sorting, 1000, NBEFORE, NAFTER, seed=0)
    average = estimate_templates_average(
        recording, spikes, sorting.unit_ids, NBEFORE, NAFTER, return_scaled=True, chunk_size=CHUNK
    )
    waveforms = extract_waveforms_to_buffers(
        recording, spikes, sorting.unit_ids, NBEFORE, NAFTER, "memory", return_scaled=True
    )
    for unit_index, unit_id in enumerate(sorting.unit_ids):
        np.testing.assert_allclose(
            average[unit_index], waveforms[unit_id].mean(axis=0), rtol=1e-5, atol=1e-4
        )


def test_allocated_output_arrays_are_zeroed_and_independent() -> None:
    shapes = [(3, 90, 8), (0, 90, 8), (5, 90, 2), (1, 1, 1)]
    arrays = allocate_arrays(shapes, np.float32)
    assert [a.shape for a in arrays] == shapes
    assert all(a.dtype == np.float32 and a.flags.writeable and not a.any() for a in arrays)
    for value, array in enumerate(arrays, start=1):
        array[...] = value
    for value, array in enumerate(arrays, start=1):
        assert (array == value).all()  # no array overlaps another
    assert [a.shape for a in allocate_arrays([(0, 4, 2)], np.int16)] == [(0, 4, 2)]


@pytest.mark.skipif(kernel_outputs._LIBC_MMAP is None, reason="no libc mmap (not POSIX)")
def test_output_arrays_are_mapped_without_the_gil_and_unmapped_with_the_last_array(
    monkeypatch,
) -> None:
    """The map comes from libc through ctypes (which releases the GIL while the kernel
    populates it; Python's mmap module holds it), and is unmapped once no array uses it."""
    import gc

    def refused(*args, **kwargs):
        raise AssertionError("mmap.mmap holds the GIL while it populates")

    monkeypatch.setattr(kernel_outputs.mmap, "mmap", refused)
    unmapped = []
    map_fn, unmap_fn = kernel_outputs._LIBC_MMAP

    def recorded_unmap(address, size):
        unmapped.append(size)
        return unmap_fn(address, size)

    monkeypatch.setattr(kernel_outputs, "_LIBC_MMAP", (map_fn, recorded_unmap))
    shapes = [(4, 90, 8), (2, 90, 3)]
    arrays = allocate_arrays(shapes, np.float32)
    assert not any(a.any() for a in arrays)
    arrays[0][...] = 1.5
    first = arrays[0]
    del arrays
    gc.collect()
    assert unmapped == []  # one array still holds the map
    assert (first == 1.5).all()
    del first
    gc.collect()
    assert unmapped == [(4 * 90 * 8 + 2 * 90 * 3) * 4]


@pytest.mark.parametrize("width", [1, 7, 384])
def test_running_averages_equal_np_mean_bit_for_bit(width: int) -> None:
    rng = np.random.default_rng(width)
    counts = [23, 0, 5]
    stored = [(rng.standard_normal((n, 30, width)) * 40).astype(np.float32) for n in counts]
    running = RunningAverages(counts, [(30, width)] * 3)
    pieces = [_UnitPiece(0, r, stored[0][r : r + 3].copy()) for r in (0, 3, 6)]
    pieces += [_UnitPiece(0, 9, stored[0][9:10].copy()), _UnitPiece(0, 11, stored[0][11:12].copy())]
    pieces += [_UnitPiece(0, 12, stored[0][12:].copy()), _UnitPiece(0, 10, stored[0][10:11].copy())]
    pieces += [_UnitPiece(2, 0, stored[2][:2].copy()), _UnitPiece(2, 2, stored[2][2:].copy())]
    for index in rng.permutation(len(pieces)):  # chunks finish in any order
        running.add(pieces[index])
        pieces[index].waveforms[...] = np.nan  # its buffer is reused for the next piece
    averages = running.averages()
    np.testing.assert_array_equal(averages[0], np.mean(stored[0], axis=0), strict=True)
    np.testing.assert_array_equal(averages[1], np.zeros((30, width), np.float32))
    np.testing.assert_array_equal(averages[2], np.mean(stored[2], axis=0), strict=True)


def test_running_averages_refuse_missing_rows() -> None:
    running = RunningAverages([4], [(2, 2)])
    running.add(_UnitPiece(0, 2, np.ones((2, 2, 2), np.float32)))
    with pytest.raises(RuntimeError, match="never folded"):
        running.averages()


@pytest.mark.parametrize("sparse", [False, True])
@pytest.mark.parametrize("n_jobs", [1, 2])
def test_average_templates_folded_while_writing_equal_np_mean(
    tmp_path, monkeypatch, sparse, n_jobs
) -> None:
    folded = []
    original = RunningAverages.averages
    monkeypatch.setattr(
        RunningAverages, "averages", lambda self: folded.append(1) or original(self)
    )
    recording, sorting = generate_ground_truth_recording(
        durations=[3.0, 2.0], num_channels=16, num_units=5, seed=3
    )
    n0, n1 = recording.get_num_samples(0), recording.get_num_samples(1)
    edges = NumpySorting.from_unit_dict(  # windows crossing the segment borders
        [{0: np.array([1, n0 // 2, n0 - 5])}, {0: np.array([2, n1 - 10])}],
        recording.sampling_frequency,
    )
    for name, current in (("gt", sorting), ("edges", edges)):
        we = extract_waveforms(
            recording,
            current,
            folder=tmp_path / name,
            sparse=sparse,
            n_jobs=n_jobs,
            chunk_duration="0.5s",
            max_spikes_per_unit=None,
            seed=0,
            progress_bar=False,
        )
        stored = np.load(tmp_path / name / "templates_average.npy")
        for unit_index, unit_id in enumerate(current.unit_ids):
            waveforms = np.load(tmp_path / name / "waveforms" / f"waveforms_{unit_id}.npy")
            columns = slice(None) if we.sparsity is None else we.sparsity.mask[unit_index]
            np.testing.assert_array_equal(
                stored[unit_index][:, columns], np.mean(waveforms, axis=0), strict=True
            )
    assert len(folded) == 2  # not read back from the files


def test_full_disk_fails_before_cutting_and_leaves_no_folder(tmp_path, monkeypatch) -> None:
    import os

    from core.waveforms import kernel_outputs

    recording, sorting = generate_ground_truth_recording(
        durations=[2.0], num_channels=8, num_units=3, seed=4
    )
    statvfs = os.statvfs

    def nearly_full(path):
        stats = statvfs(path)
        return os.statvfs_result((*stats[:4], 10, *stats[5:]))  # 10 blocks free

    monkeypatch.setattr(kernel_outputs.os, "statvfs", nearly_full)
    with pytest.raises(OSError, match="not enough disk space for the waveforms"):
        extract_waveforms(recording, sorting, folder=tmp_path / "wf", sparse=False, seed=0)
    assert not (tmp_path / "wf").exists()
    assert list(tmp_path.iterdir()) == []


def test_npy_files_are_valid_empty_arrays(tmp_path) -> None:
    from core.waveforms.kernel_outputs import create_npy_files

    headers = create_npy_files(tmp_path, ["a.npy", "b.npy"], [(3, 5, 2), (0, 5, 7)], "<f4")
    for name, shape, header in zip(["a.npy", "b.npy"], [(3, 5, 2), (0, 5, 7)], headers):
        loaded = np.load(tmp_path / name)
        assert loaded.shape == shape and loaded.dtype == np.float32 and not loaded.any()
        assert (tmp_path / name).stat().st_size == header + loaded.nbytes


def test_files_mode_returns_the_paths_of_the_memmap_files(recording, sorting, tmp_path):
    paths = extract(recording, sorting, mode="files", folder=tmp_path / "files")
    assert paths == {u: tmp_path / "files" / f"waveforms_{u}.npy" for u in sorting.unit_ids}
    loaded = {u: np.load(path) for u, path in paths.items()}
    assert_same(loaded, extract(recording, sorting))


@pytest.mark.parametrize("sparse", [False, True])
@pytest.mark.parametrize("n_jobs", [1, 2])
def test_average_templates_folded_in_memory_equal_np_mean(monkeypatch, sparse, n_jobs) -> None:
    folded = []
    original = RunningAverages.averages
    monkeypatch.setattr(
        RunningAverages, "averages", lambda self: folded.append(1) or original(self)
    )
    recording, sorting = generate_ground_truth_recording(
        durations=[3.0, 2.0], num_channels=16, num_units=5, seed=3
    )
    we = extract_waveforms(
        recording,
        sorting,
        mode="memory",
        sparse=sparse,
        n_jobs=n_jobs,
        chunk_duration="0.5s",
        max_spikes_per_unit=None,
        seed=0,
        progress_bar=False,
    )
    templates = we.get_all_templates()
    for unit_index, unit_id in enumerate(sorting.unit_ids):
        waveforms = we.get_waveforms(unit_id)  # unchanged by the folding
        columns = slice(None) if we.sparsity is None else we.sparsity.mask[unit_index]
        np.testing.assert_array_equal(
            templates[unit_index][:, columns], np.mean(waveforms, axis=0), strict=True
        )
    assert folded == [1]
