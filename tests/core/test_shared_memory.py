"""Shared-memory sortings and recordings reach other processes without copying their data."""

import multiprocessing
from concurrent.futures import ProcessPoolExecutor

import numpy as np
import pytest

import core as si

from .jobs_fakes import spike_train_in_child, traces_sum_in_child


@pytest.mark.parametrize("context", ["spawn", "fork"])
def test_shared_memory_sorting_works_in_another_process(context):
    sorting = si.generate_sorting(num_units=3, durations=[5.0], seed=0)
    shared = sorting.to_shared_memory_sorting()
    with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context(context)) as pool:
        child_train = pool.submit(spike_train_in_child, shared, 1).result()
    assert child_train == sorting.get_unit_spike_train(1).tolist()
    assert shared.get_unit_spike_train(1).tolist() == child_train  # still readable here


def test_shared_memory_sorting_copy_is_not_owner():
    shared = si.generate_sorting(num_units=2, durations=[1.0], seed=0).to_shared_memory_sorting()
    assert shared.main_shm_owner and not shared.to_dict()["kwargs"]["main_shm_owner"]


def test_empty_sorting_cannot_go_to_shared_memory():
    empty = si.NumpySorting.from_unit_dict({0: np.array([], dtype=int)}, 1000.0)
    with pytest.raises(ValueError, match="without spikes"):
        empty.to_shared_memory_sorting()


def test_shared_memory_recording_works_in_another_process():
    recording = si.generate_recording(num_channels=4, durations=[1.0], seed=0)
    shared = recording.save(format="memory", progress_bar=False)
    with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as pool:
        total = pool.submit(traces_sum_in_child, shared).result()
    assert total == pytest.approx(float(recording.get_traces().astype("float64").sum()))
