"""The recording, probe, saving, job_kwargs, slicing and multi-segment examples of
``core-module.txt``, run against ``core`` with only the import changed (one test per section)."""

from pathlib import Path

import numpy as np
import probeinterface as pi
import pytest

import core as si
from core import (
    aggregate_channels,
    append_recordings,
    concatenate_recordings,
    read_binary,
    select_segment_recording,
    split_recording,
)


@pytest.fixture
def recording():
    """A 16-channel, 2-segment recording with gains (the examples assume 16 channels)."""
    rng = np.random.default_rng(0)
    traces = [rng.integers(-500, 500, size=(n, 16)).astype("int16") for n in (300_000, 60_000)]
    recording = si.NumpyRecording(traces, sampling_frequency=30_000.0)
    recording.set_channel_gains(0.195)
    recording.set_channel_offsets(0.0)
    return recording


def test_recording_section(recording):
    channel_ids = recording.channel_ids
    num_channels = recording.get_num_channels()
    sampling_frequency = recording.sampling_frequency

    num_samples_segment = recording.get_num_samples(segment_index=0)
    num_total_samples = recording.get_total_samples()
    total_duration = recording.get_total_duration()
    assert (num_samples_segment, num_total_samples, total_duration) == (300_000, 360_000, 12.0)

    traces = recording.get_traces(start_frame=100, end_frame=200, segment_index=0)
    traces_slice = recording.get_traces(
        start_frame=100, end_frame=200, segment_index=0, channel_ids=channel_ids[:4]
    )
    traces_uV = recording.get_traces(
        start_frame=100, end_frame=200, segment_index=0, return_scaled=True
    )
    assert traces.shape == (100, 16) and traces_slice.shape == (100, 4)
    np.testing.assert_allclose(traces_uV, traces * np.float32(0.195), rtol=1e-6)

    recording.set_property(key="quality", values=["good"] * num_channels)
    quality_values = recording.get_property("quality")
    property_keys = recording.get_property_keys()
    assert quality_values.tolist() == ["good"] * 16 and "quality" in property_keys

    recording.annotate(date="Recording acquired today")

    recording_one_segment = select_segment_recording(recording, segment_indices=0)
    recording_slice_frames = recording_one_segment.frame_slice(
        start_frame=0, end_frame=int(10 * sampling_frequency)
    )
    recording_slice_chans = recording.channel_slice(channel_ids=channel_ids[:4])
    recording_rm_chans = recording.remove_channels(channel_ids=channel_ids[-2:])
    assert recording_slice_frames.get_num_samples() == 300_000
    assert recording_slice_chans.get_num_channels() == 4
    assert recording_rm_chans.get_num_channels() == 14

    groups = [0] * 4 + [1] * 4 + [2] * 4 + [3] * 4
    recording.set_property(key="group", values=groups)
    recording_by_group = recording.split_by("group")
    assert sorted(recording_by_group) == [0, 1, 2, 3]
    assert all(r.get_num_channels() == 4 for r in recording_by_group.values())

    num_samples = recording.get_num_samples(segment_index=0)
    timestamps = np.arange(num_samples) / sampling_frequency + 300
    with pytest.warns(UserWarning):
        recording.set_times(times=timestamps, segment_index=0)
    assert recording.get_times(segment_index=0)[0] == 300


def test_probe_section():
    recording = si.generate_recording(num_channels=64, durations=[1.0], set_probe=False)
    probe = pi.generate_multi_shank(num_shank=4, num_columns=2, num_contact_per_column=8)
    channel_indices = np.arange(64)[::-1]
    probe.set_device_channel_indices(channel_indices)

    recording_w_probe = recording.set_probe(probe)
    recording_w_probe = recording.set_probe(probe, group_mode="by_shank")
    recording.set_probe(probe, group_mode="by_shank", in_place=True)

    probe_from_recording = recording.get_probe()
    locations = recording.get_channel_locations()
    np.testing.assert_array_equal(locations, recording.get_property("location"))
    assert probe_from_recording.get_contact_count() == 64
    assert len(np.unique(recording_w_probe.get_channel_groups())) == 4


def test_saving_section(recording, tmp_path, monkeypatch):
    from numcodecs import LZMA, Delta

    monkeypatch.chdir(tmp_path)
    recording = (
        recording.frame_slice(0, 90_000)
        if recording.get_num_segments() == 1
        else select_segment_recording(recording, 1)
    )
    job_kwargs = dict(n_jobs=2, chunk_duration="1s")
    recording_bin = recording.save(folder="recording", **job_kwargs)
    recording_zarr = recording.save(folder="recording", format="zarr", **job_kwargs)
    assert Path("recording").is_dir() and Path("recording.zarr").is_dir()
    np.testing.assert_array_equal(recording_bin.get_traces(), recording.get_traces())
    np.testing.assert_array_equal(recording_zarr.get_traces(), recording.get_traces())

    compressor = LZMA()
    filters = [Delta(dtype="int16")]
    recording_custom_comp = recording.save(
        folder="recording_lzma", format="zarr", compressor=compressor, filters=filters, **job_kwargs
    )
    np.testing.assert_array_equal(recording_custom_comp.get_traces(), recording.get_traces())

    reloaded = si.load_extractor("recording")
    assert reloaded.get_num_samples() == recording.get_num_samples()


def test_job_kwargs_section():
    try:
        global_job_kwargs = dict(n_jobs=16, chunk_duration="5s", progress_bar=False)
        si.set_global_job_kwargs(**global_job_kwargs)
        current = si.get_global_job_kwargs()
        assert {k: current[k] for k in global_job_kwargs} == global_job_kwargs
    finally:
        si.reset_global_job_kwargs()
    assert si.get_global_job_kwargs()["n_jobs"] == 1


def test_in_memory_recording_section():
    sampling_frequency = 30_000.0
    duration = 10.0
    num_samples = int(duration * sampling_frequency)
    num_channels = 16
    random_traces = np.random.default_rng(0).standard_normal((num_samples, num_channels))
    with pytest.raises(TypeError, match="sampling_frequency"):
        si.NumpyRecording(traces_list=[random_traces])
    recording_memory = si.NumpyRecording(
        traces_list=[random_traces], sampling_frequency=sampling_frequency
    )
    assert recording_memory.get_num_samples() == num_samples


def test_slicing_and_aggregating_section(tmp_path):
    num_samples = 30_000 * 60 * 13
    big = np.zeros((num_samples, 4), dtype="int16")
    big[:, 0] = np.arange(num_samples) % 1000
    for name in ("fileA.raw", "fileB.raw"):
        big.tofile(tmp_path / name)
    recording = read_binary(tmp_path / "fileA.raw", 30_000.0, "int16", num_channels=4)

    keep_ids = recording.channel_ids[::10]
    sub_recording = recording.channel_slice(channel_ids=keep_ids)
    fs = recording.sampling_frequency
    sub_recording = recording.frame_slice(start_frame=int(fs * 60 * 5), end_frame=int(fs * 60 * 12))
    assert sub_recording.get_total_duration() == pytest.approx(420)
    assert sub_recording.get_traces(end_frame=1)[0, 0] == int(fs * 60 * 5) % 1000

    recA_4_chans = read_binary(tmp_path / "fileA.raw", 30_000.0, "int16", num_channels=4)
    recB_4_chans = read_binary(tmp_path / "fileB.raw", 30_000.0, "int16", num_channels=4)
    rec_8_chans = aggregate_channels([recA_4_chans, recB_4_chans])
    assert rec_8_chans.get_num_channels() == 8


def test_multi_segment_section():
    recording2 = si.generate_recording(num_channels=4, durations=[1.0, 2.0], seed=1)
    recording3 = si.generate_recording(num_channels=4, durations=[1.0, 0.5, 0.25], seed=2)

    recording5 = append_recordings([recording2, recording3])
    assert recording5.get_num_segments() == 5
    recording_mono = concatenate_recordings([recording2, recording5])
    assert recording_mono.get_num_segments() == 1
    assert (
        recording_mono.get_total_samples()
        == recording2.get_total_samples() + recording5.get_total_samples()
    )
    recording_mono_list = split_recording(recording5)
    assert len(recording_mono_list) == 5
    recording_select1 = select_segment_recording(recording5, segment_indices=3)
    assert recording_select1.get_num_segments() == 1
    np.testing.assert_array_equal(
        recording_select1.get_traces(), recording3.get_traces(segment_index=1)
    )
    recording_select2 = select_segment_recording(recording5, segment_indices=[0, 4])
    assert recording_select2.get_num_segments() == 2


def test_recording_tools_section():
    recording = si.generate_recording(num_channels=8, durations=[5.0], seed=0)
    chunks = si.get_random_data_chunks(recording, num_chunks_per_segment=5, chunk_size=1000)
    assert chunks.shape == (5000, 8)
    noise = si.get_noise_levels(recording, return_scaled=False)
    np.testing.assert_allclose(noise, 1.0, rtol=0.1)
    traces, left, right = si.get_chunk_with_margin(
        recording._recording_segments[0], 100, 200, None, margin=50
    )
    assert traces.shape == (200, 8) and (left, right) == (50, 50)
    indices, distances = si.get_closest_channels(recording, num_channels=2)
    assert indices.shape == (8, 2) and np.all(distances[:, 0] == 20)
    assert si.get_channel_distances(recording).shape == (8, 8)
    order_f, order_r = si.order_channels_by_depth(recording)
    np.testing.assert_array_equal(order_f[order_r], np.arange(8))


def test_generate_recording_section():
    recording = si.generate_recording(
        num_channels=4, sampling_frequency=30000.0, durations=[10.325, 3.5], set_probe=True
    )
    assert recording.get_num_segments() == 2
    assert recording.get_num_samples(segment_index=0) == 309_750
    assert recording.has_probe()
