"""OverviewRunner: the session's display pyramid, from the cache or built in a job."""

import threading

import numpy as np
import pytest

import core as si
from app import overview_runner
from app.jobs import JobManager
from app.model.display_pyramid import builder
from app.model.session import Session
from app.model.window_source import BUILDING, IDLE, NO_OVERVIEW, READY
from app.overview_runner import OverviewRunner

NUM_SAMPLES = 40_000  # 4 s at 10 kHz: one level of 625 bins of 64 samples


@pytest.fixture
def recording(tmp_path):
    traces = np.random.default_rng(0).integers(-500, 500, (NUM_SAMPLES, 3)).astype("int16")
    traces.tofile(tmp_path / "t.raw")
    return si.BinaryRecordingExtractor([str(tmp_path / "t.raw")], 10_000.0, "int16", 3)


@pytest.fixture
def manager():
    manager = JobManager()
    yield manager
    manager.shutdown(10_000)


@pytest.fixture
def make_runner(manager, tmp_path):
    runners = []

    def make(session):
        runner = OverviewRunner(session, manager, tmp_path / "cache")
        runners.append(runner)
        return runner

    yield make
    for runner in runners:
        runner.shutdown()


def wait_for_status(qtbot, session, status):
    qtbot.waitUntil(lambda: session.overview.status == status, timeout=10_000)


def test_a_long_recording_gets_its_pyramid_built_when_opened(
    qtbot, recording, manager, make_runner, monkeypatch
):
    monkeypatch.setattr(overview_runner, "AUTO_BUILD_MIN_S", 3.0)
    session = Session()
    runner = make_runner(session)
    with qtbot.waitSignal(manager.job_added, timeout=10_000):
        session.open(recording=recording)
    wait_for_status(qtbot, session, READY)
    pyramid = session.overview.pyramid
    assert pyramid.is_complete() and session.overview.fraction == 1.0
    assert pyramid.read(0, 0, 0, NUM_SAMPLES)[0].shape == (625, 3)
    assert runner.job is None


def test_a_cached_pyramid_is_ready_without_a_job(qtbot, recording, manager, make_runner):
    session = Session()
    make_runner(session)
    session.open(recording=recording)
    wait_for_status(qtbot, session, IDLE)  # 4 s: too short to be built unasked
    session.request_overview()
    wait_for_status(qtbot, session, READY)
    added = []
    manager.job_added.connect(added.append)
    other = Session()
    runner = make_runner(other)
    other.open(
        recording=si.BinaryRecordingExtractor(recording.get_source_paths(), 10_000.0, "int16", 3)
    )
    wait_for_status(qtbot, other, READY)
    assert added == [] and runner.job is None


def test_a_cancelled_build_is_idle_with_its_progress_and_resumes(
    qtbot, recording, manager, make_runner, monkeypatch
):
    monkeypatch.setattr(builder, "CHUNK_BYTES", 3 * 64 * 2 * 10)  # many chunks
    reduce_samples, calls, gate = builder.reduce_samples, [], threading.Event()

    def slow_reduce(*args):
        calls.append(1)
        if len(calls) == 3:  # the build waits in its third chunk until it is cancelled
            gate.wait(10.0)
        return reduce_samples(*args)

    monkeypatch.setattr(builder, "reduce_samples", slow_reduce)
    session = Session()
    runner = make_runner(session)
    session.open(recording=recording)
    wait_for_status(qtbot, session, IDLE)
    session.request_overview()
    assert session.overview.status == BUILDING
    job = runner.job
    qtbot.waitUntil(lambda: len(calls) == 3, timeout=10_000)
    with qtbot.waitSignal(job.signals.cancelled, timeout=10_000):
        job.cancel()
        gate.set()
    assert session.overview.status == IDLE and 0 < session.overview.fraction < 1
    session.request_overview()
    wait_for_status(qtbot, session, READY)


def test_an_in_memory_recording_gets_a_private_pyramid_removed_on_close(
    qtbot, manager, make_runner
):
    traces = np.random.default_rng(1).integers(-5, 5, (NUM_SAMPLES, 2)).astype("int16")
    session = Session()
    make_runner(session)
    session.open(recording=si.NumpyRecording([traces], 10_000.0))
    wait_for_status(qtbot, session, IDLE)
    session.request_overview()
    wait_for_status(qtbot, session, READY)
    folder = session.overview.pyramid.cache_dir
    assert folder.exists() and "spikedesk-overview-" in folder.name
    session.close()
    assert session.overview.status == NO_OVERVIEW and not folder.exists()


def test_clear_cache_forgets_the_built_pyramid(qtbot, recording, make_runner, tmp_path):
    session = Session()
    runner = make_runner(session)
    session.open(recording=recording)
    wait_for_status(qtbot, session, IDLE)
    session.request_overview()
    wait_for_status(qtbot, session, READY)
    runner.clear_cache()
    wait_for_status(qtbot, session, IDLE)
    assert list((tmp_path / "cache").iterdir()) == []


def test_request_overview_does_nothing_without_a_pyramid():
    session = Session()
    session.request_overview()
    assert session.overview.status == NO_OVERVIEW
