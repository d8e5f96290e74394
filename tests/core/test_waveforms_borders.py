"""Spikes near the segment borders: their waveforms hold the samples that exist, zeros beyond.

Every storage (binary folder, memory, zarr store), dense and sparse, one and two workers, raw
and scaled, and on a Dask cluster (tasks writing file pages): each waveform is compared with the
traces it was cut from.
"""

from __future__ import annotations

import numpy as np
import pytest

from core.recording import NumpyRecording
from core.sorting import NumpySorting
from core.waveforms.api import extract_waveforms, load_waveforms
from core.waveforms.sparsity import ChannelSparsity

FS = 10_000.0
NUM_CHANNELS = 5
NBEFORE, NAFTER = 10, 20  # ms_before=1, ms_after=2 at 10 kHz
SEGMENT_SAMPLES = (600, 450)
# both borders of both segments, the last fitting window and the first crossing one
SPIKE_TIMES = (
    np.array([0, 3, 9, 10, 300, 579, 580, 581, 599]),
    np.array([0, 1, 200, 429, 430, 449]),
)


@pytest.fixture(scope="module")
def recording(tmp_path_factory):
    rng = np.random.default_rng(5)
    traces = [
        rng.integers(-400, 400, size=(n, NUM_CHANNELS)).astype("int16") for n in SEGMENT_SAMPLES
    ]
    recording = NumpyRecording(traces, sampling_frequency=FS)
    recording.set_channel_gains(np.linspace(0.2, 0.6, NUM_CHANNELS))
    recording.set_channel_offsets(np.linspace(-3.0, 2.0, NUM_CHANNELS))  # scaled padding != 0
    recording.set_dummy_probe_from_locations(
        np.column_stack([np.zeros(NUM_CHANNELS), 20.0 * np.arange(NUM_CHANNELS)])
    )
    recording.annotate(is_filtered=True)
    return recording.save(
        folder=tmp_path_factory.mktemp("recording") / "r", n_jobs=1, progress_bar=False
    )


@pytest.fixture(scope="module")
def sorting(tmp_path_factory):
    labels = [np.arange(t.size) % 2 for t in SPIKE_TIMES]  # two units, both at every border
    sorting = NumpySorting.from_times_labels(list(SPIKE_TIMES), labels, FS)
    return sorting.save(folder=tmp_path_factory.mktemp("sorting") / "s")


def expected_waveforms(recording, sorting, unit_id, return_scaled, channels) -> np.ndarray:
    """Each spike's window from the traces, zeros where the segment does not reach."""
    rows = []
    for segment in range(recording.get_num_segments()):
        num_samples = recording.get_num_samples(segment)
        for sample in sorting.get_unit_spike_train(unit_id, segment_index=segment).tolist():
            start, stop = max(sample - NBEFORE, 0), min(sample + NAFTER, num_samples)
            traces = recording.get_traces(
                segment_index=segment,
                start_frame=start,
                end_frame=stop,
                return_scaled=return_scaled,
            )
            row = np.zeros((NBEFORE + NAFTER, len(channels)), traces.dtype)
            row[start - (sample - NBEFORE) : stop - (sample - NBEFORE)] = traces[:, channels]
            rows.append(row)
    return np.stack(rows)


def extracted(recording, sorting, tmp_path, storage, sparse, n_jobs, return_scaled):
    sparsity = None
    if sparse:
        mask = np.zeros((2, NUM_CHANNELS), dtype=bool)
        mask[0, :2] = mask[1, [1, 3, 4]] = True
        sparsity = ChannelSparsity(mask, sorting.unit_ids, recording.channel_ids)
    we = extract_waveforms(
        recording,
        sorting,
        folder=tmp_path / "wf" if storage == "folder" else None,
        mode="folder" if storage == "folder" else "memory",
        ms_before=1.0,
        ms_after=2.0,
        max_spikes_per_unit=None,
        return_scaled=return_scaled,
        sparse=False,
        sparsity=sparsity,
        n_jobs=n_jobs,
        chunk_size=100,
        progress_bar=False,
    )
    if storage == "zarr":
        we.save(tmp_path / "wf.zarr", format="zarr")
        we = load_waveforms(tmp_path / "wf.zarr")
    return we


@pytest.mark.parametrize("return_scaled", [False, True], ids=["raw", "scaled"])
@pytest.mark.parametrize("n_jobs", [1, 2])
@pytest.mark.parametrize("sparse", [False, True], ids=["dense", "sparse"])
@pytest.mark.parametrize("storage", ["folder", "memory", "zarr"])
def test_border_waveforms_equal_the_traces(
    recording, sorting, tmp_path, storage, sparse, n_jobs, return_scaled
):
    we = extracted(recording, sorting, tmp_path, storage, sparse, n_jobs, return_scaled)
    for unit_index, unit_id in enumerate(sorting.unit_ids):
        channels = np.arange(NUM_CHANNELS)
        if sparse:
            channels = np.flatnonzero(we.sparsity.mask[unit_index])
        expected = expected_waveforms(recording, sorting, unit_id, return_scaled, channels)
        waveforms = np.asarray(we.get_waveforms(unit_id))
        assert waveforms.dtype == expected.dtype
        np.testing.assert_array_equal(waveforms, expected)
        np.testing.assert_array_equal(
            we.get_template(unit_id), np.mean(expected, axis=0).astype(np.float32)
        )


def test_border_waveforms_on_a_dask_cluster_equal_the_traces(recording, sorting, tmp_path):
    distributed = pytest.importorskip(
        "distributed",
        reason="Dask distributed is not installed (pip install 'spikedesk[distributed]')",
    )
    with (
        distributed.LocalCluster(
            n_workers=1, threads_per_worker=1, processes=False, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster, set_as_default=False) as client,
    ):
        we = extract_waveforms(
            recording,
            sorting,
            folder=tmp_path / "wf",
            ms_before=1.0,
            ms_after=2.0,
            max_spikes_per_unit=None,
            return_scaled=True,
            sparse=False,
            pool_engine="dask",
            dask_client=client,
            n_jobs=2,
            chunk_size=100,
            progress_bar=False,
        )
    channels = np.arange(NUM_CHANNELS)
    for unit_id in sorting.unit_ids:
        expected = expected_waveforms(recording, sorting, unit_id, True, channels)
        np.testing.assert_array_equal(np.asarray(we.get_waveforms(unit_id)), expected)
