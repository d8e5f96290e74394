"""Tests of core.jobs: job kwargs, globals, and the chunk executor."""

from __future__ import annotations

import copy
import dataclasses
import multiprocessing
import tempfile
import threading
import time

import pytest

from core.jobs import (
    CancelToken,
    ChunkRecordingExecutor,
    JobCancelled,
    JobOptions,
    divide_recording_into_chunks,
    ensure_chunk_size,
    ensure_n_jobs,
    fix_job_kwargs,
    get_global_dataset_folder,
    get_global_job_kwargs,
    get_global_tmp_folder,
    is_set_global_dataset_folder,
    is_set_global_tmp_folder,
    job_keys,
    normalize_n_jobs,
    parse_duration_seconds,
    parse_memory_size,
    reset_global_job_kwargs,
    reset_global_tmp_folder,
    set_global_dataset_folder,
    set_global_job_kwargs,
    set_global_tmp_folder,
    split_job_kwargs,
)
from core.jobs import globals as jobs_globals
from core.jobs import job_kwargs as jobs_kwargs

from .jobs_fakes import (
    ChunkFailed,
    FakeRecording,
    chunk_bounds,
    chunk_fails_in_segment_1,
    chunk_max_threads,
    chunk_traces_sum,
    init_failing,
    init_with_recording,
)

DEFAULT_GLOBALS = {
    "n_jobs": 1,
    "chunk_duration": "1s",
    "progress_bar": True,
    "mp_context": None,
    "max_threads_per_process": 1,
}
PARALLEL_MODES = [(2, "thread"), (2, "process")]
ALL_MODES = [(1, "process"), *PARALLEL_MODES]


@pytest.fixture(autouse=True)
def isolated_globals(monkeypatch, tmp_path):
    """Give each test fresh job kwargs and folders; the "set" flag on avoids the n_jobs warning."""
    monkeypatch.setattr(jobs_kwargs, "_global_job_kwargs", copy.deepcopy(DEFAULT_GLOBALS))
    monkeypatch.setattr(jobs_kwargs, "_global_job_kwargs_set", True)
    monkeypatch.setattr(jobs_globals, "_tmp_folder", None)
    monkeypatch.setattr(jobs_globals, "_tmp_folder_set", False)
    monkeypatch.setattr(jobs_globals, "_dataset_folder", tmp_path / "datasets")
    monkeypatch.setattr(jobs_globals, "_dataset_folder_set", False)
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "tmp"))
    (tmp_path / "tmp").mkdir()


@pytest.fixture
def eight_cpus(monkeypatch):
    monkeypatch.setattr(jobs_kwargs, "get_cpu_count", lambda: 8)


def expected_chunks(num_samples, chunk_size):
    chunks = []
    for segment_index, n in enumerate(num_samples):
        starts = range(0, n, chunk_size) if n else [0]
        chunks.extend((segment_index, s, min(s + chunk_size, n)) for s in starts)
    return chunks


def make_executor(recording, func=chunk_bounds, n_jobs=1, pool_engine="process", **kwargs):
    kwargs.setdefault("chunk_size", 10)
    kwargs.setdefault("handle_returns", True)
    return ChunkRecordingExecutor(
        recording,
        func,
        init_with_recording,
        (recording,),
        n_jobs=n_jobs,
        pool_engine=pool_engine,
        **kwargs,
    )


# --------------------------------------------------------------------------- n_jobs
@pytest.mark.parametrize(
    ("n_jobs", "expected"),
    [(-1, 8), (-2, 7), (-20, 1), (0.5, 4), (1.0, 8), (0.01, 1), (2.7, 2), (3, 3), (1, 1)],
)
def test_normalize_n_jobs(eight_cpus, n_jobs, expected):
    assert normalize_n_jobs(n_jobs) == expected


def test_normalize_n_jobs_zero_raises_value_error():
    with pytest.raises(ValueError, match="n_jobs"):
        normalize_n_jobs(0)


@pytest.mark.parametrize("n_jobs", ["2", True, None])
def test_normalize_n_jobs_non_number_raises_type_error(n_jobs):
    with pytest.raises(TypeError, match="n_jobs"):
        normalize_n_jobs(n_jobs)


@pytest.mark.parametrize("n_jobs", [0, None])
def test_ensure_n_jobs_zero_or_none_means_one(n_jobs):
    assert ensure_n_jobs(FakeRecording(), n_jobs) == 1


def test_ensure_n_jobs_minus_one_is_cpu_count(eight_cpus):
    assert ensure_n_jobs(FakeRecording(), -1) == 8


def test_ensure_n_jobs_process_pool_needs_memory_serializable_recording():
    with pytest.raises(RuntimeError, match="FakeRecording"):
        ensure_n_jobs(FakeRecording(memory_serializable=False), 2)


def test_ensure_n_jobs_thread_pool_accepts_any_recording():
    recording = FakeRecording(memory_serializable=False)
    assert ensure_n_jobs(recording, 2, pool_engine="thread") == 2


# --------------------------------------------------------------------------- parsing
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("100M", 100_000_000),
        ("1G", 1_000_000_000),
        ("500k", 500_000),
        ("1.5GB", 1_500_000_000),
        ("2Mi", 2 * 1024**2),
        (4096, 4096),
    ],
)
def test_parse_memory_size(text, expected):
    assert parse_memory_size(text) == expected


@pytest.mark.parametrize("text", ["12X", "M", "", "-1M"])
def test_parse_memory_size_rejects_bad_strings_naming_argument(text):
    with pytest.raises(ValueError, match="chunk_memory"):
        parse_memory_size(text, "chunk_memory")


@pytest.mark.parametrize(
    ("duration", "expected"),
    [(0.5, 0.5), (1, 1.0), ("500ms", 0.5), ("1.5s", 1.5), ("2 s", 2.0)],
)
def test_parse_duration_seconds(duration, expected):
    assert parse_duration_seconds(duration) == pytest.approx(expected)


@pytest.mark.parametrize("duration", ["10", "1min", "-1s", 0, -0.5, float("nan")])
def test_parse_duration_seconds_rejects_bad_values(duration):
    with pytest.raises(ValueError, match="chunk_duration"):
        parse_duration_seconds(duration)


def test_parse_duration_seconds_rejects_bool():
    with pytest.raises(TypeError, match="chunk_duration"):
        parse_duration_seconds(True)


# --------------------------------------------------------------------------- chunk size
def test_chunk_size_wins_over_everything():
    recording = FakeRecording()
    size = ensure_chunk_size(
        recording, total_memory="1k", chunk_size=7, chunk_memory="1k", chunk_duration="1s"
    )
    assert size == 7


def test_chunk_memory_wins_over_total_memory_and_duration():
    recording = FakeRecording(num_channels=4, dtype="int16")  # 8 bytes per sample
    size = ensure_chunk_size(
        recording, total_memory="1k", chunk_memory="8k", chunk_duration="1s", n_jobs=2
    )
    assert size == 1000


def test_total_memory_is_shared_by_the_workers():
    recording = FakeRecording(num_channels=4, dtype="int16")
    assert ensure_chunk_size(recording, total_memory="16k", chunk_duration="1s", n_jobs=2) == 1000


@pytest.mark.parametrize(("duration", "expected"), [("0.5s", 500), ("20ms", 20), (1, 1000)])
def test_chunk_duration_uses_sampling_frequency(duration, expected):
    recording = FakeRecording(sampling_frequency=1000.0)
    assert ensure_chunk_size(recording, chunk_duration=duration) == expected


def test_no_chunking_with_one_job_means_whole_segments():
    assert ensure_chunk_size(FakeRecording(), n_jobs=1) is None


def test_no_chunking_with_several_jobs_raises():
    with pytest.raises(ValueError, match="chunk_size"):
        ensure_chunk_size(FakeRecording(), n_jobs=2)


def test_chunk_memory_smaller_than_one_sample_raises():
    with pytest.raises(ValueError, match="chunk_memory"):
        ensure_chunk_size(FakeRecording(num_channels=4), chunk_memory=3)


def test_chunk_size_zero_raises():
    with pytest.raises(ValueError, match="chunk_size"):
        ensure_chunk_size(FakeRecording(), chunk_size=0)


# --------------------------------------------------------------------------- job kwargs
def test_job_keys_are_spikeinterface_keys():
    assert set(job_keys) == {
        "n_jobs",
        "total_memory",
        "chunk_size",
        "chunk_memory",
        "chunk_duration",
        "progress_bar",
        "mp_context",
        "verbose",
        "max_threads_per_process",
    }


def test_fix_job_kwargs_starts_from_globals():
    assert fix_job_kwargs({}) == DEFAULT_GLOBALS


def test_fix_job_kwargs_runtime_overrides_globals():
    assert fix_job_kwargs({"progress_bar": False})["progress_bar"] is False


def test_fix_job_kwargs_runtime_chunk_key_removes_global_chunk_keys():
    job_kwargs = fix_job_kwargs({"chunk_size": 100})
    assert job_kwargs["chunk_size"] == 100
    assert "chunk_duration" not in job_kwargs


def test_fix_job_kwargs_ignores_runtime_none():
    job_kwargs = fix_job_kwargs({"chunk_size": None, "progress_bar": None})
    assert job_kwargs["chunk_duration"] == "1s"
    assert job_kwargs["progress_bar"] is True


def test_fix_job_kwargs_normalises_n_jobs(eight_cpus):
    assert fix_job_kwargs({"n_jobs": -1})["n_jobs"] == 8


def test_fix_job_kwargs_n_jobs_zero_raises():
    with pytest.raises(ValueError, match="n_jobs"):
        fix_job_kwargs({"n_jobs": 0})


def test_fix_job_kwargs_unknown_key_raises_naming_it():
    with pytest.raises(ValueError, match="n_job_s"):
        fix_job_kwargs({"n_job_s": 2})


def test_fix_job_kwargs_accepts_pool_engine_and_new_thread_key_name():
    job_kwargs = fix_job_kwargs({"pool_engine": "thread", "max_threads_per_worker": 2})
    assert job_kwargs["pool_engine"] == "thread"
    assert job_kwargs["max_threads_per_process"] == 2


def test_fix_job_kwargs_rejects_unknown_pool_engine():
    with pytest.raises(ValueError, match="pool_engine"):
        fix_job_kwargs({"pool_engine": "ray"})


def test_fix_job_kwargs_warns_when_n_jobs_never_set(monkeypatch):
    monkeypatch.setattr(jobs_kwargs, "_global_job_kwargs_set", False)
    with pytest.warns(UserWarning, match="n_jobs"):
        assert fix_job_kwargs({})["n_jobs"] == 1


def test_fix_job_kwargs_is_silent_once_globals_are_set(monkeypatch, recwarn):
    monkeypatch.setattr(jobs_kwargs, "_global_job_kwargs_set", True)
    assert fix_job_kwargs({})["n_jobs"] == 1
    assert not recwarn.list


def test_split_job_kwargs_separates_job_keys():
    specific, job_kwargs = split_job_kwargs({"folder": "x", "n_jobs": 2, "chunk_size": 5})
    assert specific == {"folder": "x"}
    assert job_kwargs["n_jobs"] == 2
    assert job_kwargs["chunk_size"] == 5


def test_set_global_job_kwargs_merges():
    set_global_job_kwargs(n_jobs=4, chunk_duration="5s")
    assert get_global_job_kwargs() == {**DEFAULT_GLOBALS, "n_jobs": 4, "chunk_duration": "5s"}


def test_set_global_job_kwargs_sets_flag(monkeypatch):
    monkeypatch.setattr(jobs_kwargs, "_global_job_kwargs_set", False)
    set_global_job_kwargs(progress_bar=False)
    assert jobs_kwargs.is_set_global_job_kwargs_set()


def test_set_global_job_kwargs_unknown_key_raises_naming_it():
    with pytest.raises(ValueError, match="chunk_durations"):
        set_global_job_kwargs(chunk_durations="1s")


def test_get_global_job_kwargs_returns_a_copy():
    get_global_job_kwargs()["n_jobs"] = 99
    assert get_global_job_kwargs()["n_jobs"] == 1


def test_reset_global_job_kwargs_restores_all_five_keys():
    set_global_job_kwargs(n_jobs=3, mp_context="spawn", max_threads_per_process=4, chunk_size=9)
    reset_global_job_kwargs()
    assert get_global_job_kwargs() == DEFAULT_GLOBALS


def test_job_options_from_kwargs_parses_once():
    options = JobOptions.from_kwargs(
        FakeRecording(), n_jobs=2, chunk_duration="50ms", pool_engine="thread"
    )
    assert options == JobOptions(
        n_jobs=2,
        chunk_size=50,
        progress_bar=True,
        mp_context=None,
        max_threads_per_process=1,
        verbose=False,
        pool="thread",
    )


def test_job_options_takes_recording_preferred_mp_context():
    options = JobOptions.from_kwargs(FakeRecording(preferred_mp_context="spawn"), n_jobs=1)
    assert options.mp_context == "spawn"


def test_job_options_are_frozen():
    options = JobOptions()
    with pytest.raises(dataclasses.FrozenInstanceError):
        options.n_jobs = 3


def test_job_options_drive_the_executor():
    recording = FakeRecording()
    options = JobOptions.from_kwargs(recording, n_jobs=2, chunk_size=25, pool_engine="thread")
    executor = ChunkRecordingExecutor(
        recording,
        chunk_bounds,
        init_with_recording,
        (recording,),
        handle_returns=True,
        **{**options.to_executor_kwargs(), "progress_bar": False},
    )
    assert executor.run() == expected_chunks((100, 37), 25)


# --------------------------------------------------------------------------- globals
def test_default_tmp_folder_is_created_once_and_reused(tmp_path):
    first = get_global_tmp_folder()
    assert first.is_dir()
    assert first.parent == tmp_path / "tmp" / "spikeinterface_cache"
    assert get_global_tmp_folder() == first


def test_set_global_tmp_folder_is_returned_and_created(tmp_path):
    set_global_tmp_folder(tmp_path / "cache" / "here")
    assert is_set_global_tmp_folder()
    assert get_global_tmp_folder() == tmp_path / "cache" / "here"
    assert (tmp_path / "cache" / "here").is_dir()


def test_reset_global_tmp_folder_clears_flag_and_gives_new_folder(tmp_path):
    set_global_tmp_folder(tmp_path / "mine")
    reset_global_tmp_folder()
    assert not is_set_global_tmp_folder()
    assert get_global_tmp_folder().parent == tmp_path / "tmp" / "spikeinterface_cache"


def test_global_dataset_folder_is_created(tmp_path):
    assert get_global_dataset_folder() == tmp_path / "datasets"
    assert (tmp_path / "datasets").is_dir()


def test_set_global_dataset_folder(tmp_path):
    set_global_dataset_folder(tmp_path / "data")
    assert is_set_global_dataset_folder()
    assert get_global_dataset_folder() == tmp_path / "data"


# --------------------------------------------------------------------------- executor: chunks
def test_divide_recording_into_chunks_covers_segments_in_order():
    chunks = divide_recording_into_chunks(FakeRecording(num_samples=(25, 0, 10)), 10)
    assert chunks == [(0, 0, 10), (0, 10, 20), (0, 20, 25), (1, 0, 0), (2, 0, 10)]


@pytest.mark.parametrize(("n_jobs", "pool_engine"), ALL_MODES)
def test_executor_covers_each_segment_once_in_order(n_jobs, pool_engine):
    recording = FakeRecording(num_samples=(100, 37))
    results = make_executor(recording, n_jobs=n_jobs, pool_engine=pool_engine).run()
    assert results == expected_chunks((100, 37), 10)


def test_executor_without_chunk_size_runs_whole_segments():
    recording = FakeRecording(num_samples=(100, 37))
    assert make_executor(recording, chunk_size=None).run() == [(0, 0, 100), (1, 0, 37)]


def test_executor_without_handle_returns_returns_none():
    assert make_executor(FakeRecording(), handle_returns=False).run() is None


def test_executor_spawned_processes_read_the_pickled_recording():
    recording = FakeRecording(num_samples=(60, 30))
    executor = make_executor(
        recording, func=chunk_traces_sum, n_jobs=2, chunk_size=20, mp_context="spawn"
    )
    expected = [
        int(recording.get_traces(segment, start, stop).sum())
        for segment, start, stop in expected_chunks((60, 30), 20)
    ]
    assert executor.run() == expected


def slow_first_chunks(segment_index, start_frame, end_frame, worker_ctx):
    # Early chunks finish last, so completion order differs from chunk order.
    time.sleep(0.02 if start_frame < 20 else 0.0)
    return (segment_index, start_frame, end_frame)


def test_gather_func_sees_results_in_chunk_order():
    gathered = []
    make_executor(
        FakeRecording(num_samples=(60,)),
        func=slow_first_chunks,
        n_jobs=2,
        pool_engine="thread",
        gather_func=gathered.append,
    ).run()
    assert gathered == expected_chunks((60,), 10)


def test_gather_func_runs_in_calling_thread():
    threads = set()
    make_executor(
        FakeRecording(),
        n_jobs=2,
        pool_engine="thread",
        gather_func=lambda result: threads.add(threading.get_ident()),
    ).run()
    assert threads == {threading.get_ident()}


def test_in_flight_chunks_are_bounded():
    started = []
    backlog = []

    def record_start(segment_index, start_frame, end_frame, worker_ctx):
        started.append(start_frame)
        return start_frame

    def gather(result):
        backlog.append(len(started) - len(backlog))

    make_executor(
        FakeRecording(num_samples=(1000,)),
        func=record_start,
        n_jobs=2,
        pool_engine="thread",
        gather_func=gather,
    ).run()
    assert max(backlog) <= 4


# --------------------------------------------------------------------------- executor: workers
@pytest.mark.parametrize(("n_jobs", "pool_engine"), PARALLEL_MODES)
def test_worker_ctx_has_max_threads_per_process(n_jobs, pool_engine):
    executor = make_executor(
        FakeRecording(),
        func=chunk_max_threads,
        n_jobs=n_jobs,
        pool_engine=pool_engine,
        max_threads_per_process=3,
    )
    assert set(executor.run()) == {3}


def test_init_func_runs_once_per_worker_thread():
    init_threads = []

    def init(recording):
        init_threads.append(threading.get_ident())
        return {}

    ChunkRecordingExecutor(
        FakeRecording(num_samples=(200,)),
        chunk_bounds,
        init,
        (None,),
        n_jobs=2,
        pool_engine="thread",
        chunk_size=10,
    ).run()
    assert 1 <= len(init_threads) <= 2
    assert len(set(init_threads)) == len(init_threads)


def test_init_func_runs_once_in_main_thread_with_one_job():
    init_threads = []

    def init(recording):
        init_threads.append(threading.get_ident())
        return {}

    ChunkRecordingExecutor(FakeRecording(), chunk_bounds, init, (None,), chunk_size=10).run()
    assert init_threads == [threading.get_ident()]


@pytest.mark.parametrize(("n_jobs", "pool_engine"), ALL_MODES)
def test_worker_exception_propagates_with_its_type(n_jobs, pool_engine):
    executor = make_executor(
        FakeRecording(), func=chunk_fails_in_segment_1, n_jobs=n_jobs, pool_engine=pool_engine
    )
    with pytest.raises(ChunkFailed, match="chunk 1:0 failed"):
        executor.run()


@pytest.mark.parametrize(("n_jobs", "pool_engine"), PARALLEL_MODES)
def test_init_func_exception_propagates_with_its_type(n_jobs, pool_engine):
    recording = FakeRecording()
    executor = ChunkRecordingExecutor(
        recording,
        chunk_bounds,
        init_failing,
        (recording,),
        n_jobs=n_jobs,
        pool_engine=pool_engine,
        chunk_size=10,
    )
    with pytest.raises(ChunkFailed, match="init failed"):
        executor.run()


def test_process_pool_is_shut_down_after_an_error():
    with pytest.raises(ChunkFailed):
        make_executor(FakeRecording(), func=chunk_fails_in_segment_1, n_jobs=2).run()
    assert multiprocessing.active_children() == []


def test_process_pool_refuses_recording_not_memory_serializable():
    recording = FakeRecording(memory_serializable=False)
    with pytest.raises(RuntimeError, match="serializable"):
        make_executor(recording, n_jobs=2)


def test_executor_rejects_unknown_pool_engine():
    with pytest.raises(ValueError, match="pool_engine"):
        make_executor(FakeRecording(), n_jobs=2, pool_engine="ray")


def test_executor_rejects_non_callable_func():
    with pytest.raises(TypeError, match="func"):
        make_executor(FakeRecording(), func="chunk_bounds")


# --------------------------------------------------------------------------- progress and cancel
@pytest.mark.parametrize(("n_jobs", "pool_engine"), ALL_MODES)
def test_progress_callback_counts_every_chunk(n_jobs, pool_engine):
    calls = []
    make_executor(
        FakeRecording(num_samples=(30, 15)),
        n_jobs=n_jobs,
        pool_engine=pool_engine,
        progress_callback=lambda done, total: calls.append((done, total)),
    ).run()
    assert calls == [(done, 5) for done in range(6)]


def test_progress_bar_writes_to_stderr(capsys):
    make_executor(FakeRecording(), progress_bar=True, job_name="bar-job").run()
    assert "bar-job" in capsys.readouterr().err


def test_cancelled_token_stops_before_first_chunk():
    token = CancelToken()
    token.cancel()
    calls = []

    def func(segment_index, start_frame, end_frame, worker_ctx):
        calls.append(start_frame)

    with pytest.raises(JobCancelled):
        make_executor(FakeRecording(), func=func, cancel_token=token).run()
    assert calls == []


def test_cancel_from_func_stops_main_thread_run_after_that_chunk():
    token = CancelToken()
    calls = []

    def func(segment_index, start_frame, end_frame, worker_ctx):
        calls.append(start_frame)
        if len(calls) == 3:
            token.cancel()

    with pytest.raises(JobCancelled):
        make_executor(FakeRecording(num_samples=(100,)), func=func, cancel_token=token).run()
    assert calls == [0, 10, 20]


def test_cancel_from_func_stops_thread_pool_early():
    token = CancelToken()
    calls = []
    lock = threading.Lock()

    def func(segment_index, start_frame, end_frame, worker_ctx):
        with lock:
            calls.append(start_frame)
            if len(calls) == 5:
                token.cancel()

    recording = FakeRecording(num_samples=(10_000,))
    executor = make_executor(
        recording, func=func, n_jobs=2, pool_engine="thread", cancel_token=token
    )
    with pytest.raises(JobCancelled):
        executor.run()
    assert len(calls) < 5 + 2 * 2 + 1
    assert len(calls) < len(divide_recording_into_chunks(recording, 10))


def test_cancel_stops_process_pool_and_leaves_no_workers():
    token = CancelToken()
    done_counts = []

    def progress(done, total):
        done_counts.append(done)
        if done == 3:
            token.cancel()

    executor = make_executor(
        FakeRecording(num_samples=(10_000,)),
        n_jobs=2,
        progress_callback=progress,
        cancel_token=token,
    )
    with pytest.raises(JobCancelled):
        executor.run()
    assert done_counts == [0, 1, 2, 3]
    assert multiprocessing.active_children() == []


def test_cancel_token_raise_if_cancelled():
    token = CancelToken()
    token.raise_if_cancelled()
    token.cancel()
    assert token.cancelled
    with pytest.raises(JobCancelled):
        token.raise_if_cancelled()
