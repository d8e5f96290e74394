"""pool_engine="dask" without a cluster: the optional dependency, job kwargs, what may travel."""

from __future__ import annotations

import copy
import sys
import threading

import numpy as np
import pytest

import core as si
from core.jobs import (
    ChunkRecordingExecutor,
    JobOptions,
    fix_job_kwargs,
    get_global_job_kwargs,
    set_global_job_kwargs,
)
from core.jobs import job_kwargs as jobs_kwargs
from core.jobs.dask_checks import dumps_for_workers, import_distributed
from core.jobs.job_kwargs import default_pool_engine

from .jobs_fakes import FakeRecording, chunk_bounds, init_with_recording


@pytest.fixture(autouse=True)
def isolated_globals(monkeypatch):
    defaults = copy.deepcopy(jobs_kwargs._DEFAULT_GLOBAL_JOB_KWARGS)
    monkeypatch.setattr(jobs_kwargs, "_global_job_kwargs", defaults)
    monkeypatch.setattr(jobs_kwargs, "_global_job_kwargs_set", True)


@pytest.fixture
def without_distributed(monkeypatch):
    """Make ``import distributed`` fail as if the extra were not installed."""
    monkeypatch.setitem(sys.modules, "distributed", None)


def test_missing_extra_is_named(without_distributed):
    with pytest.raises(ImportError, match=r"pip install 'spikedesk\[distributed\]'"):
        import_distributed()


def test_executor_names_the_missing_extra_before_running(without_distributed):
    with pytest.raises(ImportError, match=r"spikedesk\[distributed\]"):
        ChunkRecordingExecutor(
            FakeRecording(),
            chunk_bounds,
            init_with_recording,
            (FakeRecording(),),
            pool_engine="dask",
            chunk_size=10,
        )


def test_save_names_the_missing_extra_and_writes_nothing(without_distributed, tmp_path):
    recording = si.generate_recording(num_channels=2, durations=[0.5], seed=0)
    with pytest.raises(ImportError, match=r"spikedesk\[distributed\]"):
        recording.save(folder=tmp_path / "saved", pool_engine="dask", progress_bar=False)
    assert list(tmp_path.iterdir()) == []


def test_dask_is_an_accepted_pool_engine_and_dask_client_a_job_key():
    job_kwargs = fix_job_kwargs({"pool_engine": "dask", "dask_client": "tcp://host:8786"})
    assert job_kwargs["pool_engine"] == "dask"
    assert job_kwargs["dask_client"] == "tcp://host:8786"


@pytest.mark.parametrize(
    ("value", "error"), [(8786, TypeError), ("  ", ValueError), (object(), TypeError)]
)
def test_bad_dask_client_is_refused(value, error):
    with pytest.raises(error, match="dask_client"):
        set_global_job_kwargs(dask_client=value)


def test_global_dask_client_is_not_copied():
    # a stand-in for a Client: the globals must hand back the very object, never a deep copy
    distributed = pytest.importorskip("distributed", reason="Dask distributed is not installed")

    class FakeClient(distributed.Client):
        def __init__(self):
            self.lock = threading.Lock()  # deepcopy would fail on it

        def __del__(self):
            pass

    client = FakeClient()
    set_global_job_kwargs(dask_client=client)
    assert get_global_job_kwargs()["dask_client"] is client


def test_job_options_carry_the_dask_client():
    options = JobOptions.from_kwargs(
        si.generate_recording(num_channels=2, durations=[0.5], seed=0),
        pool_engine="dask",
        dask_client="tcp://host:8786",
        chunk_size=100,
    )
    assert options.to_executor_kwargs()["dask_client"] == "tcp://host:8786"
    assert options.to_executor_kwargs()["pool_engine"] == "dask"


def test_in_memory_recording_cannot_travel():
    in_memory = si.NumpyRecording([np.zeros((100, 2), dtype="int16")], sampling_frequency=1e3)
    view = in_memory.channel_slice([0])
    with pytest.raises(ValueError, match="ChannelSliceRecording .* Save it first"):
        dumps_for_workers((chunk_bounds, {"nested": [view]}))


def test_open_files_cannot_travel(tmp_path):
    with open(tmp_path / "file.bin", "wb") as file:
        with pytest.raises(TypeError, match="cannot be sent to Dask workers"):
            dumps_for_workers((chunk_bounds, file))


def test_noise_levels_refuse_an_unknown_engine():
    recording = si.generate_recording(num_channels=2, durations=[1.0], seed=0)
    with pytest.raises(ValueError, match="pool_engine"):
        si.get_noise_levels(recording, return_scaled=False, pool_engine="ray")


def test_default_pool_engine_yields_to_the_call_and_to_the_globals():
    assert default_pool_engine({}, "thread")["pool_engine"] == "thread"
    assert default_pool_engine({"pool_engine": "process"}, "thread")["pool_engine"] == "process"
    set_global_job_kwargs(pool_engine="dask")
    assert default_pool_engine({}, "thread")["pool_engine"] == "dask"
    assert default_pool_engine({"pool_engine": "thread"}, "thread")["pool_engine"] == "thread"
