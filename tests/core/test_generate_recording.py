"""NoiseGeneratorRecording, generate_recording and generate_recording_by_size."""

import pickle
import tracemalloc

import numpy as np
import pytest

from core import load_extractor
from core.base import BaseExtractor
from core.generate.noise import (
    NoiseGeneratorRecording,
    generate_recording,
    generate_recording_by_size,
    noise_generator_recording,
)

STRATEGIES = ["tile_pregenerated", "on_the_fly"]


def make_noise(strategy="on_the_fly", seed=42, **kwargs):
    params = dict(
        num_channels=3, sampling_frequency=1000.0, durations=[10.0, 4.0], noise_block_size=700
    )
    params.update(kwargs)
    return NoiseGeneratorRecording(seed=seed, strategy=strategy, **params)


# ---------------------------------------------------------------------- the signal
@pytest.mark.parametrize("strategy", STRATEGIES)
def test_noise_std_matches_noise_level(strategy):
    recording = make_noise(strategy, noise_level=5.0, noise_block_size=5000)
    traces = recording.get_traces(segment_index=0)
    assert np.allclose(traces.std(axis=0), 5.0, rtol=0.05)
    assert np.allclose(traces.mean(axis=0), 0.0, atol=0.25)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_traces_have_the_requested_dtype(dtype):
    recording = make_noise(dtype=dtype)
    assert recording.get_dtype() == np.dtype(dtype)
    assert recording.get_traces(segment_index=0, end_frame=10).dtype == np.dtype(dtype)


def test_integer_dtype_is_rejected():
    with pytest.raises(ValueError, match="dtype"):
        make_noise(dtype="int16")


def test_unknown_strategy_is_rejected():
    with pytest.raises(ValueError, match="strategy"):
        make_noise(strategy="fast")


def test_empty_durations_are_rejected():
    with pytest.raises(ValueError, match="durations"):
        make_noise(durations=[])


def test_segments_have_int_duration_times_rate_samples():
    recording = make_noise(durations=[10.0, 4.0005])
    assert recording.get_num_segments() == 2
    assert [recording.get_num_samples(i) for i in range(2)] == [10000, 4000]
    assert recording.channel_ids.tolist() == [0, 1, 2]


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_window_is_identical_across_reads(strategy):
    recording = make_noise(strategy)
    first = recording.get_traces(segment_index=0, start_frame=650, end_frame=2200)
    second = recording.get_traces(segment_index=0, start_frame=650, end_frame=2200)
    assert np.array_equal(first, second)


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_window_does_not_depend_on_how_it_is_split(strategy):
    recording = make_noise(strategy)
    whole = recording.get_traces(segment_index=0, start_frame=100, end_frame=3000)
    cuts = [100, 101, 699, 700, 1401, 2999, 3000]  # inside, on and across block boundaries
    pieces = [
        recording.get_traces(segment_index=0, start_frame=a, end_frame=b)
        for a, b in zip(cuts[:-1], cuts[1:])
    ]
    assert np.array_equal(np.concatenate(pieces), whole)


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_channel_selection_matches_full_read(strategy):
    recording = make_noise(strategy)
    full = recording.get_traces(segment_index=1, start_frame=500, end_frame=1600)
    some = recording.get_traces(
        segment_index=1, start_frame=500, end_frame=1600, channel_ids=[2, 0]
    )
    assert np.array_equal(some, full[:, [2, 0]])


def test_tile_strategy_repeats_one_block():
    recording = make_noise("tile_pregenerated")
    traces = recording.get_traces(segment_index=0, end_frame=2100)
    assert np.array_equal(traces[:700], traces[700:1400])


def test_on_the_fly_blocks_differ():
    recording = make_noise("on_the_fly")
    traces = recording.get_traces(segment_index=0, end_frame=1400)
    assert not np.allclose(traces[:700], traces[700:])


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_segments_differ(strategy):
    recording = make_noise(strategy)
    first = recording.get_traces(segment_index=0, end_frame=500)
    second = recording.get_traces(segment_index=1, end_frame=500)
    assert not np.allclose(first, second)


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_different_seeds_give_different_noise(strategy):
    first = make_noise(strategy, seed=1).get_traces(segment_index=0, end_frame=500)
    second = make_noise(strategy, seed=2).get_traces(segment_index=0, end_frame=500)
    assert not np.allclose(first, second)


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_same_seed_gives_same_noise(strategy):
    first = make_noise(strategy, seed=7).get_traces(segment_index=1)
    second = make_noise(strategy, seed=7).get_traces(segment_index=1)
    assert np.array_equal(first, second)


# ---------------------------------------------------------------------- serialisation
def test_seed_none_is_drawn_and_stored():
    first, second = make_noise(seed=None), make_noise(seed=None)
    assert isinstance(first._kwargs["seed"], int)
    assert first._kwargs["seed"] != second._kwargs["seed"]


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_to_dict_from_dict_reproduces_the_signal(strategy):
    recording = make_noise(strategy, seed=None)
    copy = BaseExtractor.from_dict(recording.to_dict())
    assert np.array_equal(
        copy.get_traces(segment_index=0, start_frame=1234, end_frame=4321),
        recording.get_traces(segment_index=0, start_frame=1234, end_frame=4321),
    )


def test_json_dump_reproduces_the_signal(tmp_path):
    recording = generate_recording(num_channels=4, durations=[1.0])
    recording.dump_to_json(tmp_path / "recording.json")
    loaded = load_extractor(tmp_path / "recording.json")
    assert np.array_equal(loaded.get_traces(), recording.get_traces())


def test_pickle_reproduces_signal_and_probe():
    recording = generate_recording(num_channels=4, durations=[1.0])
    loaded = pickle.loads(pickle.dumps(recording))
    assert np.array_equal(loaded.get_traces(), recording.get_traces())
    assert np.array_equal(loaded.get_channel_locations(), recording.get_channel_locations())


def test_dict_names_the_spikeinterface_class():
    description = make_noise().to_dict()
    assert description["class"] == "spikeinterface.core.generate.NoiseGeneratorRecording"


def test_noise_generator_recording_is_the_class():
    assert noise_generator_recording is NoiseGeneratorRecording


# ---------------------------------------------------------------------- laziness
@pytest.mark.parametrize("strategy", STRATEGIES)
def test_huge_recording_is_free_to_build_and_reads_a_window(strategy):
    tracemalloc.start()
    recording = NoiseGeneratorRecording(384, 30000.0, [10 * 3600.0], seed=3, strategy=strategy)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert peak < 200e6  # the "tile" strategy keeps one block; nothing scales with duration
    assert recording.get_total_memory_size() > 150 * 1024**3
    start = 5 * 3600 * 30000
    window = recording.get_traces(start_frame=start, end_frame=start + 30000)
    assert window.shape == (30000, 384)
    assert abs(float(window.std()) - 1.0) < 0.01


def test_window_at_the_end_of_a_segment_is_clipped():
    recording = make_noise()
    traces = recording.get_traces(segment_index=1, start_frame=3990, end_frame=5000)
    assert traces.shape == (10, 3)


# ---------------------------------------------------------------------- generate_recording
def test_generate_recording_defaults():
    recording = generate_recording()
    assert recording.get_num_channels() == 2
    assert recording.get_num_segments() == 2
    assert recording.get_num_samples(0) == 150000 and recording.get_num_samples(1) == 75000
    assert recording.get_dtype() == np.dtype("float32")


def test_generate_recording_is_filtered_without_gains():
    recording = generate_recording(durations=[1.0])
    assert recording.is_filtered()
    assert not recording.has_scaled()


def test_generate_recording_attaches_linear_probe():
    recording = generate_recording(num_channels=4, durations=[1.0])
    assert recording.has_probe()
    locations = recording.get_channel_locations()
    assert locations.tolist() == [[0.0, 0.0], [0.0, 20.0], [0.0, 40.0], [0.0, 60.0]]
    assert recording.get_probe().device_channel_indices.tolist() == [0, 1, 2, 3]


def test_generate_recording_3d_probe():
    recording = generate_recording(num_channels=3, durations=[1.0], ndim=3)
    assert recording.get_probe().ndim == 3
    assert recording.get_channel_locations(axes="xyz").shape == (3, 3)


def test_generate_recording_without_probe():
    recording = generate_recording(num_channels=3, durations=[1.0], set_probe=False)
    assert not recording.has_probe()


def test_generate_recording_rejects_bad_ndim():
    with pytest.raises(ValueError, match="ndim"):
        generate_recording(ndim=4)


def test_generate_recording_seed_is_deterministic():
    first = generate_recording(durations=[1.0], seed=5).get_traces()
    second = generate_recording(durations=[1.0], seed=5).get_traces()
    assert np.array_equal(first, second)


# ---------------------------------------------------------------------- by size
def test_generate_recording_by_size_has_the_requested_size():
    recording = generate_recording_by_size(0.01, num_channels=16, seed=0)
    expected = int(0.01 * 1024**3) // (16 * 4)
    assert recording.get_num_channels() == 16
    assert recording.get_num_samples() == expected
    assert recording.get_sampling_frequency() == 30000.0


@pytest.mark.parametrize(
    ("strategy", "repeats"), [("tile_pregenerated", True), ("on_the_fly", False)]
)
def test_generate_recording_by_size_uses_the_strategy(strategy, repeats):
    recording = generate_recording_by_size(0.001, num_channels=4, seed=0, strategy=strategy)
    traces = recording.get_traces(end_frame=60000)  # two 30000-sample blocks
    assert np.array_equal(traces[:30000], traces[30000:]) == repeats


def test_generate_recording_by_size_rejects_negative_size():
    with pytest.raises(ValueError, match="full_traces_size_GiB"):
        generate_recording_by_size(-1.0)
