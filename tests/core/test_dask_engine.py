"""pool_engine="dask": chunked jobs on a LocalCluster of two single-thread worker processes.

One cluster for the whole module (started once, a few seconds). Outputs are compared byte for
byte with the same job run with n_jobs=1.
"""

from __future__ import annotations

import contextlib
import copy
import filecmp
import os
import threading
from pathlib import Path

import numpy as np
import pytest

import core as si
from core.jobs import (
    CancelToken,
    ChunkRecordingExecutor,
    JobCancelled,
    dask_engine,
    get_global_job_kwargs,
    set_global_job_kwargs,
)
from core.jobs import job_kwargs as jobs_kwargs
from core.recording.writing import _init_binary_writer, write_binary_recording

from . import dask_fakes

distributed = pytest.importorskip(
    "distributed",
    reason="Dask distributed is not installed (pip install 'spikedesk[distributed]')",
)

NUM_WORKERS = 2
QUIET = {"progress_bar": False}


@pytest.fixture(scope="module")
def cluster():
    cluster = distributed.LocalCluster(
        n_workers=NUM_WORKERS,
        threads_per_worker=1,
        processes=True,
        dashboard_address=None,
    )
    yield cluster
    cluster.close()


@pytest.fixture(scope="module")
def client(cluster):
    client = distributed.Client(cluster, set_as_default=False)
    yield client
    client.close()


@pytest.fixture(autouse=True)
def isolated_globals(monkeypatch):
    defaults = copy.deepcopy(jobs_kwargs._DEFAULT_GLOBAL_JOB_KWARGS)
    monkeypatch.setattr(jobs_kwargs, "_global_job_kwargs", defaults)
    monkeypatch.setattr(jobs_kwargs, "_global_job_kwargs_set", True)


@pytest.fixture(scope="module")
def source(tmp_path_factory):
    """A two-segment binary recording on disk (what workers can rebuild), with a probe."""
    folder = tmp_path_factory.mktemp("source") / "recording"
    generated = si.generate_recording(num_channels=6, durations=[1.5, 0.8], seed=3)
    return generated.save(folder=folder, n_jobs=1, **QUIET)


@pytest.fixture(scope="module")
def ground_truth(tmp_path_factory):
    """A saved recording and sorting for waveform extraction."""
    folder = tmp_path_factory.mktemp("ground_truth")
    recording, sorting = si.generate_ground_truth_recording(
        durations=[2.0, 1.0], num_channels=6, num_units=4, seed=5
    )
    recording = recording.save(folder=folder / "recording", n_jobs=1, **QUIET)
    return recording, sorting.save(folder=folder / "sorting")


def scheduler_transitions(client) -> int:
    """How many task transitions the scheduler has made: unchanged means nothing submitted."""
    return client.run_on_scheduler(lambda dask_scheduler: dask_scheduler.transition_counter)


@contextlib.contextmanager
def on_the_cluster(client):
    """Check that the block ran tasks on the cluster (and not quietly in this process)."""
    before = scheduler_transitions(client)
    yield
    assert scheduler_transitions(client) > before


def same_files(first: Path, second: Path, pattern: str) -> list[str]:
    """Names matching ``pattern`` under ``first``, checked identical byte for byte in ``second``."""
    names = sorted(str(p.relative_to(first)) for p in first.rglob(pattern) if p.is_file())
    assert names, f"no {pattern} under {first}"
    for name in names:
        assert filecmp.cmp(first / name, second / name, shallow=False), name
    return names


def partials(folder: Path) -> list[Path]:
    return sorted(folder.glob("*.partial-*"))


# --------------------------------------------------------------------------- identical outputs
def test_binary_save_is_identical_to_one_job(client, source, tmp_path):
    source.save(folder=tmp_path / "one", n_jobs=1, **QUIET)
    with on_the_cluster(client):
        saved = source.save(
            folder=tmp_path / "dask",
            pool_engine="dask",
            dask_client=client,
            chunk_duration="0.1s",
            **QUIET,
        )
    assert same_files(tmp_path / "one", tmp_path / "dask", "*.raw") == [
        "traces_cached_seg0.raw",
        "traces_cached_seg1.raw",
    ]
    np.testing.assert_array_equal(saved.get_traces(segment_index=1), source.get_traces(1))


def test_zarr_save_is_identical_to_one_job(client, source, tmp_path):
    kwargs = {"format": "zarr", "chunk_duration": "0.2s", **QUIET}
    source.save(folder=tmp_path / "one", n_jobs=1, **kwargs)
    with on_the_cluster(client):
        source.save(folder=tmp_path / "dask", pool_engine="dask", dask_client=client, **kwargs)
    names = same_files(tmp_path / "one.zarr", tmp_path / "dask.zarr", "*")
    # 1.5 s in 0.2 s chunks: eight trace chunks in segment 0, all compared
    assert len([n for n in names if n.startswith("traces_seg0/") and ".z" not in n]) == 8


def test_write_binary_recording_with_relative_path_is_identical(
    client, source, tmp_path, monkeypatch
):
    write_binary_recording(source, [tmp_path / "one_0", tmp_path / "one_1"], n_jobs=1, **QUIET)
    # the workers started elsewhere: a relative target must reach them as an absolute path
    monkeypatch.chdir(tmp_path)
    with on_the_cluster(client):
        write_binary_recording(
            source,
            ["dask_0", "dask_1"],
            pool_engine="dask",
            dask_client=client,
            chunk_size=7000,
            **QUIET,
        )
    for index in (0, 1):
        assert filecmp.cmp(
            tmp_path / f"one_{index}.raw", tmp_path / f"dask_{index}.raw", shallow=False
        )


def test_waveforms_are_identical_to_one_job(client, ground_truth, tmp_path):
    recording, sorting = ground_truth
    kwargs = {
        "ms_before": 1.0,
        "ms_after": 2.0,
        "max_spikes_per_unit": 40,
        "sparse": False,
        "seed": 0,
        "precompute_template": ("average",),
        "chunk_duration": "0.25s",
        **QUIET,
    }
    si.extract_waveforms(recording, sorting, folder=tmp_path / "one", n_jobs=1, **kwargs)
    with on_the_cluster(client):
        si.extract_waveforms(
            recording,
            sorting,
            folder=tmp_path / "dask",
            pool_engine="dask",
            dask_client=client,
            **kwargs,
        )
    names = same_files(tmp_path / "one", tmp_path / "dask", "*.npy")
    assert {f"waveforms/waveforms_{unit}.npy" for unit in sorting.unit_ids} <= set(names)
    assert "templates_average.npy" in names


def test_spike_amplitudes_are_the_same_on_the_cluster(client, ground_truth):
    recording, sorting = ground_truth
    we = si.extract_waveforms(
        recording, sorting, mode="memory", sparse=False, seed=0, n_jobs=1, **QUIET
    )
    kwargs = {"chunk_duration": "0.25s", "return_scaled": False, **QUIET}
    local = [a.copy() for a in si.compute_spike_amplitudes(we, n_jobs=1, **kwargs)]
    done = []
    with on_the_cluster(client):
        remote = si.compute_spike_amplitudes(
            we,
            pool_engine="dask",
            dask_client=client,
            progress_callback=lambda d, t: done.append(d),
            **kwargs,
        )
    assert len(remote) == len(local) == 2
    for ours, reference in zip(remote, local):
        np.testing.assert_array_equal(ours, reference)
    assert done[-1] == 12  # 2 s + 1 s in 0.25 s chunks


def test_noise_levels_are_the_same_on_the_cluster(client, source):
    local = si.get_noise_levels(source, return_scaled=False, chunk_size=2000, seed=4)
    done = []
    remote = si.get_noise_levels(
        source,
        return_scaled=False,
        force_recompute=True,
        chunk_size=2000,
        seed=4,
        pool_engine="dask",
        dask_client=client,
        progress_callback=lambda d, t: done.append((d, t)),
    )
    np.testing.assert_array_equal(remote, local)
    assert done[-1] == (40, 40)  # 20 random chunks in each of the 2 segments


# --------------------------------------------------------------------------- progress and cancel
def test_progress_is_monotonic_up_to_the_total(client, source, tmp_path):
    calls = []
    source.save(
        folder=tmp_path / "saved",
        pool_engine="dask",
        dask_client=client,
        chunk_duration="0.1s",
        progress_callback=lambda done, total: calls.append((done, total)),
        **QUIET,
    )
    # 1.5 s + 0.8 s in 0.1 s chunks
    assert calls == [(done, 23) for done in range(24)]


def test_submission_window_is_bounded(client, source, tmp_path, monkeypatch):
    in_flight = []
    submit = dask_engine._DaskRun.submit

    def counting_submit(run, index):
        submit(run, index)
        in_flight.append(len(run.in_flight))

    monkeypatch.setattr(dask_engine._DaskRun, "submit", counting_submit)
    source.save(
        folder=tmp_path / "saved",
        pool_engine="dask",
        dask_client=client,
        chunk_duration="0.05s",
        **QUIET,
    )
    assert len(in_flight) == 46
    assert max(in_flight) == 2 * NUM_WORKERS


@pytest.mark.parametrize("fmt", ["binary", "zarr"])
def test_cancel_after_some_tasks_leaves_no_target_and_no_partial(client, source, tmp_path, fmt):
    token = CancelToken()
    seen = []

    def cancel_after_three(done, total):
        seen.append(done)
        if done == 3:
            token.cancel()

    with pytest.raises(JobCancelled):
        source.save(
            folder=tmp_path / "saved",
            format=fmt,
            pool_engine="dask",
            dask_client=client,
            chunk_duration="0.05s",
            progress_callback=cancel_after_three,
            cancel_token=token,
            **QUIET,
        )
    assert max(seen) < 46
    assert not (tmp_path / "saved").exists()
    assert not (tmp_path / "saved.zarr").exists()
    assert partials(tmp_path) == []


def test_running_tasks_stop_when_the_job_is_cancelled(client, source, tmp_path):
    token = CancelToken()
    executor = ChunkRecordingExecutor(
        source,
        dask_fakes.wait_for_stop,
        dask_fakes.init_markers,
        (str(tmp_path),),
        pool_engine="dask",
        dask_client=client,
        chunk_size=10_000,
        cancel_token=token,
    )

    def cancel_once_a_task_runs():
        for _ in range(3000):  # at most 60 s
            if list(tmp_path.glob("started-*")):
                break
            threading.Event().wait(0.02)
        token.cancel()

    canceller = threading.Thread(target=cancel_once_a_task_runs)
    canceller.start()
    with pytest.raises(JobCancelled):
        executor.run()
    canceller.join()
    started = {p.name.split("-")[1] for p in tmp_path.glob("started-*")}
    stopped = {p.name.split("-")[1] for p in tmp_path.glob("stopped-*")}
    # every task that was running saw the stop flag and ended before run() returned
    assert started
    assert stopped == started


# --------------------------------------------------------------------------- errors
def test_task_error_is_raised_naming_its_chunk(client, source):
    executor = ChunkRecordingExecutor(
        source,
        dask_fakes.fail_in_segment_1,
        dask_fakes.init_markers,
        ("unused",),
        pool_engine="dask",
        dask_client=client,
        chunk_size=10_000,
    )
    with pytest.raises(KeyError, match=r"segment 1, frames \d+-\d+ \(chunk \d+ of 8\)"):
        executor.run()


def test_task_error_leaves_no_target(client, tmp_path):
    recording = si.generate_recording(num_channels=4, durations=[1.0], seed=1)
    write_binary_recording(recording, tmp_path / "data.raw", n_jobs=1, **QUIET)
    source = si.read_binary(
        tmp_path / "data.raw", sampling_frequency=30000.0, dtype="float32", num_channels=4
    )
    # the workers rebuild the recording from a file that lost its second half
    os.truncate(tmp_path / "data.raw", 15000 * 4 * 4)
    with pytest.raises(Exception, match=r"in the Dask task of write_binary_recording"):
        source.save(
            folder=tmp_path / "saved",
            pool_engine="dask",
            dask_client=client,
            chunk_duration="0.1s",
            **QUIET,
        )
    assert not (tmp_path / "saved").exists()
    assert partials(tmp_path) == []


def test_killed_worker_is_retried_and_the_output_is_identical(client, source, tmp_path):
    paths = [tmp_path / "one_0.raw", tmp_path / "one_1.raw"]
    write_binary_recording(source, paths, n_jobs=1, **QUIET)
    targets = [tmp_path / "dask_0.raw", tmp_path / "dask_1.raw"]
    for path, segment in zip(targets, (0, 1)):
        with open(path, "wb") as file:
            file.truncate(source.get_num_samples(segment) * 6 * 4)
    flag = tmp_path / "worker-killed"
    executor = ChunkRecordingExecutor(
        source,
        dask_fakes.crash_once_then_write,
        dask_fakes.init_crash_once_writer,
        (source, [str(p) for p in targets], "<f4", 0, False, str(flag), 20_000),
        pool_engine="dask",
        dask_client=client,
        chunk_size=5000,
    )
    executor.run()
    assert flag.exists()  # a worker did die in the middle of the job
    for first, second in zip(paths, targets):
        assert filecmp.cmp(first, second, shallow=False)
    client.wait_for_workers(NUM_WORKERS, timeout=60)


def test_in_memory_recording_is_refused_before_submission(client, tmp_path):
    in_memory = si.NumpyRecording([np.zeros((3000, 2), dtype="int16")], sampling_frequency=1e3)
    before = scheduler_transitions(client)
    with pytest.raises(ValueError, match="Save it first"):
        in_memory.save(folder=tmp_path / "saved", pool_engine="dask", dask_client=client)
    assert scheduler_transitions(client) == before
    assert not (tmp_path / "saved").exists()
    assert partials(tmp_path) == []


def test_in_memory_recording_inside_the_job_arguments_is_refused(client, source, tmp_path):
    in_memory = si.NumpyRecording([np.zeros((3000, 2), dtype="int16")], sampling_frequency=1e3)
    executor = ChunkRecordingExecutor(
        source,
        dask_fakes.process_and_context,
        dask_fakes.init_markers_with_recording,
        (str(tmp_path), in_memory),
        pool_engine="dask",
        dask_client=client,
        chunk_size=10_000,
    )
    before = scheduler_transitions(client)
    with pytest.raises(ValueError, match="NumpyRecording holds its data in this process's memory"):
        executor.run()
    assert scheduler_transitions(client) == before


# --------------------------------------------------------------------------- workers
def test_each_worker_builds_the_job_once(client, source, tmp_path):
    executor = ChunkRecordingExecutor(
        source,
        dask_fakes.process_and_context,
        dask_fakes.init_markers_with_recording,
        (str(tmp_path), source),
        pool_engine="dask",
        dask_client=client,
        chunk_size=2000,
        handle_returns=True,
    )
    results = executor.run()
    assert len(results) == 35
    by_process: dict[int, set] = {}
    for pid, token, recording_id in results:
        by_process.setdefault(pid, set()).add((token, recording_id))
    assert os.getpid() not in by_process
    assert all(len(contexts) == 1 for contexts in by_process.values())


def test_large_job_arguments_travel_without_a_warning(client, source, recwarn):
    array = np.ones(3_000_000)  # 24 MB, sent once with the job
    executor = ChunkRecordingExecutor(
        source,
        dask_fakes.array_sum,
        dask_fakes.init_with_array,
        (array,),
        pool_engine="dask",
        dask_client=client,
        chunk_size=20_000,
        handle_returns=True,
    )
    assert executor.run() == [3e6] * 5
    assert not [w for w in recwarn if "large graph" in str(w.message)]


def test_job_payload_holds_descriptions_not_traces(source):
    from core.jobs.dask_checks import dumps_for_workers

    payload = dumps_for_workers((dask_fakes.init_markers_with_recording, (source,)))
    traces_bytes = sum(source.get_num_samples(s) for s in (0, 1)) * 6 * 4
    assert len(payload) < traces_bytes / 20
    assert source.to_dict()["kwargs"]["folder_path"].encode() in payload


# --------------------------------------------------------------------------- clients
def test_scheduler_address_opens_a_connection_that_is_closed_after(
    client, cluster, source, tmp_path
):
    def connected_clients():
        return client.run_on_scheduler(lambda dask_scheduler: len(dask_scheduler.clients))

    before = connected_clients()
    source.save(
        folder=tmp_path / "saved",
        pool_engine="dask",
        dask_client=cluster.scheduler_address,
        chunk_duration="0.5s",
        **QUIET,
    )
    for _ in range(500):  # the scheduler learns of the closed connection shortly after
        if connected_clients() == before:
            break
        threading.Event().wait(0.02)
    assert connected_clients() == before
    assert client.status == "running"


def test_global_dask_client_is_kept_by_reference_and_used(client, source, tmp_path):
    set_global_job_kwargs(pool_engine="dask", dask_client=client)
    assert get_global_job_kwargs()["dask_client"] is client
    before = scheduler_transitions(client)
    source.save(folder=tmp_path / "saved", chunk_duration="0.5s", **QUIET)
    assert scheduler_transitions(client) > before
    assert (tmp_path / "saved" / "traces_cached_seg0.raw").is_file()


def test_functions_preferring_threads_follow_a_global_dask_engine(client, source, tmp_path):
    set_global_job_kwargs(pool_engine="dask", dask_client=client)
    with on_the_cluster(client):
        write_binary_recording(source, [tmp_path / "a", tmp_path / "b"], chunk_size=20_000)
    np.testing.assert_array_equal(
        np.fromfile(tmp_path / "b.raw", dtype="<f4").reshape(-1, 6), source.get_traces(1)
    )


def test_without_a_client_the_error_says_how_to_give_one(client, source, tmp_path):
    with pytest.raises(ValueError, match="never starts a cluster"):
        source.save(folder=tmp_path / "saved", pool_engine="dask", **QUIET)
    assert not (tmp_path / "saved").exists()


def test_binary_writer_stops_between_blocks(source, tmp_path, monkeypatch):
    from core.recording import writing

    monkeypatch.setattr(writing, "_STOPPABLE_BLOCK_BYTES", 6 * 4 * 1000)
    path = tmp_path / "out.raw"
    path.write_bytes(b"\xff" * (source.get_num_samples(0) * 6 * 4))
    ctx = _init_binary_writer(source, [str(path), str(path)], "<f4", 0, False)
    answers = iter([False, False, True])
    ctx["should_stop"] = lambda: next(answers)
    writing._write_binary_chunk(0, 0, 10_000, ctx)
    written = np.fromfile(path, dtype="<f4").reshape(-1, 6)
    np.testing.assert_array_equal(written[:2000], source.get_traces(0, 0, 2000))
    assert (written[2000:].view("u4") == 0xFFFFFFFF).all()
