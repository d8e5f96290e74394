"""SpikeInterface's ``job_tools``, ``globals`` and ``recording_tools`` helpers."""

import io
from concurrent.futures import ProcessPoolExecutor

import numpy as np
import pytest
from core.job_tools import (
    MockFuture,
    MockPoolExecutor,
    MockQueue,
    divide_segment_into_chunks,
    ensure_chunk_size,
    ensure_n_jobs,
    function_wrapper,
    get_poolexecutor,
    split_job_kwargs,
    worker_initializer,
)
from core.recording_tools import (
    check_probe_do_not_overlap,
    determine_cast_unsigned,
    get_rec_attributes,
    read_binary_recording,
    write_binary_recording_file_handle,
    write_memory_recording,
    write_to_h5_dataset_format,
)
from probeinterface import generate_linear_probe

import core as si

TRACES = np.arange(40, dtype="int16").reshape(10, 4)


@pytest.fixture
def recording():
    return si.NumpyRecording([TRACES], sampling_frequency=1000.0)


# --------------------------------------------------------------------------- job tools
def test_divide_segment_into_chunks():
    assert divide_segment_into_chunks(10, 4) == [(0, 4), (4, 8), (8, 10)]
    assert divide_segment_into_chunks(10, None) == [(0, 10)]


def test_ensure_chunk_size_from_memory(recording):
    # 4 int16 channels: 8 bytes per frame
    assert ensure_chunk_size(recording, chunk_memory="80") == 10
    assert ensure_chunk_size(recording, total_memory="160", n_jobs=2) == 10
    assert ensure_chunk_size(recording, chunk_duration="5ms") == 5


def test_ensure_n_jobs(recording):
    assert ensure_n_jobs(recording, n_jobs=1) == 1
    assert ensure_n_jobs(recording, n_jobs=None) == 1


def test_split_job_kwargs_separates_and_completes():
    specific, job = split_job_kwargs({"n_jobs": 2, "chunk_size": 5, "method": "mad"})
    assert specific == {"method": "mad"}
    assert job["n_jobs"] == 2 and job["chunk_size"] == 5 and "progress_bar" in job


def _add(a, b):
    return a + b


def test_mock_pool_executor_runs_in_this_thread():
    calls = []
    with get_poolexecutor(1)(initializer=calls.append, initargs=("init",)) as executor:
        future = executor.submit(_add, 2, 3)
        assert isinstance(future, MockFuture)
        assert future.result() == 5
        assert list(executor.map(_add, [1, 2], [10, 20])) == [11, 22]
    assert calls == ["init"] and get_poolexecutor(2) is ProcessPoolExecutor
    assert MockPoolExecutor is get_poolexecutor(1)


def test_mock_queue_is_first_in_first_out():
    queue = MockQueue()
    queue.put(1)
    queue.put(2)
    assert (queue.get(), queue.get()) == (1, 2)


def _chunk_sum(segment_index, start_frame, end_frame, worker_ctx):
    return worker_ctx["offset"] + end_frame - start_frame


def test_worker_initializer_and_function_wrapper_run_a_chunk():
    worker_initializer(_chunk_sum, dict, ({"offset": 100},), None)
    assert function_wrapper((0, 10, 30)) == 120


def test_global_job_kwargs_module_names_follow_the_setters(monkeypatch):
    from core.jobs import job_kwargs

    monkeypatch.setattr(job_kwargs, "_global_job_kwargs", dict(job_kwargs._global_job_kwargs))
    monkeypatch.setattr(job_kwargs, "_global_job_kwargs_set", False)
    si.set_global_job_kwargs(n_jobs=3)
    assert si.globals.global_job_kwargs["n_jobs"] == 3
    assert si.globals.global_job_kwargs_set is True
    assert si.globals.is_set_global_job_kwargs_set()


# --------------------------------------------------------------------------- recording tools
def test_read_binary_recording_maps_samples_by_channels(tmp_path):
    path = tmp_path / "x.raw"
    path.write_bytes(b"HEAD" + TRACES.tobytes() + b"\x01")  # header, then a partial frame
    traces = read_binary_recording(path, num_channels=4, dtype="int16", offset=4)
    np.testing.assert_array_equal(traces, TRACES)


def test_read_binary_recording_channels_first(tmp_path):
    path = tmp_path / "x.raw"
    path.write_bytes(np.ascontiguousarray(TRACES.T).tobytes())
    traces = read_binary_recording(path, num_channels=4, dtype="int16", time_axis=1)
    np.testing.assert_array_equal(traces, TRACES)


@pytest.mark.parametrize("buffer_type", ["numpy", "sharedmem"])
def test_write_memory_recording_copies_every_segment(buffer_type):
    recording = si.NumpyRecording([TRACES, TRACES[:6] * 2], sampling_frequency=1000.0)
    arrays, shms = write_memory_recording(recording, buffer_type=buffer_type, n_jobs=1)
    np.testing.assert_array_equal(arrays[0], TRACES)
    np.testing.assert_array_equal(arrays[1], TRACES[:6] * 2)
    assert all((shm is None) == (buffer_type == "numpy") for shm in shms)
    del arrays
    for shm in shms:
        if shm is not None:
            shm.close()
            shm.unlink()


def test_write_memory_recording_centres_unsigned_values():
    unsigned = si.NumpyRecording([np.full((3, 1), 32770, "uint16")], sampling_frequency=1000.0)
    arrays, _ = write_memory_recording(unsigned, dtype="int16", n_jobs=1)
    assert arrays[0].tolist() == [[2], [2], [2]]


@pytest.mark.parametrize("time_axis", [0, 1])
def test_write_binary_recording_file_handle(recording, time_axis):
    handle = io.BytesIO()
    write_binary_recording_file_handle(
        recording, file_handle=handle, time_axis=time_axis, chunk_size=3
    )
    expected = TRACES if time_axis == 0 else np.ascontiguousarray(TRACES.T)
    assert handle.getvalue() == expected.tobytes()


def test_write_to_h5_dataset_format(recording, tmp_path):
    h5py = pytest.importorskip("h5py")
    path = write_to_h5_dataset_format(
        recording, "/traces", 0, save_path=tmp_path / "t", chunk_size=4
    )
    assert path == tmp_path / "t.h5"
    with h5py.File(path, "r") as file:
        np.testing.assert_array_equal(file["traces"][:], TRACES)


def test_determine_cast_unsigned(recording):
    unsigned = si.NumpyRecording([TRACES.astype("uint16")], sampling_frequency=1000.0)
    assert determine_cast_unsigned(unsigned, "int16")
    assert not determine_cast_unsigned(unsigned, "uint16")
    assert not determine_cast_unsigned(recording, "int32")


def test_check_probe_do_not_overlap():
    first = generate_linear_probe(num_elec=4, ypitch=20)
    apart = generate_linear_probe(num_elec=4, ypitch=20)
    apart.move([100, 0])
    check_probe_do_not_overlap([first, apart])
    crossing = generate_linear_probe(num_elec=4, ypitch=20)
    crossing.move([0, 10])
    crossing.set_contacts(positions=crossing.contact_positions + [[5, 0]] * 4)
    wide = generate_linear_probe(num_elec=4, ypitch=20)
    wide.set_contacts(positions=np.array([[0, 0], [10, 0], [0, 60], [10, 60]]))
    with pytest.raises(ValueError, match="overlapping"):
        check_probe_do_not_overlap([wide, crossing])


def test_get_rec_attributes(recording):
    recording.set_property("quality", np.array(["a", "b", "c", "d"]))
    attributes = get_rec_attributes(recording)
    assert attributes["channel_ids"].tolist() == [0, 1, 2, 3]
    assert attributes["sampling_frequency"] == 1000.0
    assert attributes["num_channels"] == 4 and attributes["num_samples"] == [10]
    assert attributes["is_filtered"] is False
    assert attributes["properties"]["quality"].tolist() == ["a", "b", "c", "d"]
    attributes["properties"]["quality"][0] = "z"  # a copy
    assert recording.get_property("quality")[0] == "a"
