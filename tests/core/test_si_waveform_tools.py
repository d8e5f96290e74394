"""SpikeInterface's ``waveform_tools`` and ``sorting_tools`` helpers."""

import numpy as np
import pytest
from core.sorting_tools import (
    get_numba_vector_to_list_of_spiketrain,
    random_spikes_selection,
    spike_vector_to_spike_trains,
    vector_to_list_of_spiketrain_numpy,
)
from core.waveform_tools import (
    allocate_waveforms_buffers,
    distribute_waveforms_to_buffers,
    estimate_templates,
    extract_waveforms_to_buffers,
    extract_waveforms_to_single_buffer,
    has_exceeding_spikes,
    split_waveforms_by_units,
)

import core as si

NBEFORE, NAFTER = 2, 3


@pytest.fixture(scope="module")
def data():
    """A ramp recording (value = frame * 10 + channel) and three units, one spike on a border."""
    frames = np.arange(200)[:, None] * 10 + np.arange(3)[None, :]
    recording = si.NumpyRecording([frames.astype("float32")], sampling_frequency=1000.0)
    sorting = si.NumpySorting.from_unit_dict(
        {0: np.array([1, 50, 120]), 1: np.array([20, 60]), 2: np.array([199])}, 1000.0
    )
    return recording, sorting, sorting.to_spike_vector()


def _window(frame):
    """The expected waveform of a spike at ``frame`` (every channel)."""
    return (np.arange(frame - NBEFORE, frame + NAFTER)[:, None] * 10 + np.arange(3)).astype(
        "float32"
    )


# --------------------------------------------------------------------------- sorting tools
SPIKES = np.array(
    [(3, 1, 0), (5, 0, 0), (5, 1, 0), (9, 0, 0)],
    dtype=si.minimum_spike_dtype,
)


def test_vector_to_list_of_spiketrain_numpy():
    trains = vector_to_list_of_spiketrain_numpy(SPIKES["sample_index"], SPIKES["unit_index"], 3)
    assert [t.tolist() for t in trains] == [[5, 9], [3, 5], []]


def test_numba_getter_gives_the_same_trains():
    split = get_numba_vector_to_list_of_spiketrain()
    trains = split(SPIKES["sample_index"], SPIKES["unit_index"], 3)
    assert [t.tolist() for t in trains] == [[5, 9], [3, 5], []]


def test_spike_vector_to_spike_trains():
    trains = spike_vector_to_spike_trains([SPIKES, SPIKES[:1]], np.array(["a", "b", "c"]))
    assert {k: v.tolist() for k, v in trains[0].items()} == {"a": [5, 9], "b": [3, 5], "c": []}
    assert {k: v.tolist() for k, v in trains[1].items()} == {"a": [], "b": [3], "c": []}


def test_random_spikes_selection_caps_each_unit_and_is_seeded():
    sorting = si.generate_sorting(num_units=3, durations=[5.0], firing_rates=10.0, seed=0)
    spikes = sorting.to_spike_vector()
    selected = random_spikes_selection(sorting, max_spikes_per_unit=7, seed=5)
    assert np.all(np.diff(selected) > 0)
    assert np.bincount(spikes["unit_index"][selected]).tolist() == [7, 7, 7]
    np.testing.assert_array_equal(
        selected, random_spikes_selection(sorting, max_spikes_per_unit=7, seed=5)
    )


def test_random_spikes_selection_margin_drops_border_spikes(data):
    _, sorting, spikes = data
    selected = random_spikes_selection(sorting, [200], max_spikes_per_unit=10, margin_size=5)
    assert spikes["sample_index"][selected].tolist() == [20, 50, 60, 120]


def test_random_spikes_selection_other_method_is_an_error(data):
    with pytest.raises(ValueError, match="uniform"):
        random_spikes_selection(data[1], method="all")


# --------------------------------------------------------------------------- waveform tools
def test_buffers_hold_each_spike_window_and_zeros_beyond_borders(data, tmp_path):
    recording, sorting, spikes = data
    waveforms = extract_waveforms_to_buffers(
        recording, spikes, sorting.unit_ids, NBEFORE, NAFTER, folder=tmp_path, dtype="float32"
    )
    first = _window(1)
    first[0] = 0  # spike at 1: its window starts at -1
    np.testing.assert_array_equal(waveforms[0][0], first)
    np.testing.assert_array_equal(waveforms[0][1], _window(50))
    np.testing.assert_array_equal(waveforms[1][1], _window(60))
    last = _window(199)
    last[3:] = 0  # spike at 199: its window ends at 202, past the 200 samples
    np.testing.assert_array_equal(waveforms[2][0], last)


def test_shared_memory_buffers_without_copy_return_their_blocks(data):
    recording, sorting, spikes = data
    waveforms, info = extract_waveforms_to_buffers(
        recording, spikes, sorting.unit_ids, NBEFORE, NAFTER, mode="shared_memory"
    )
    np.testing.assert_array_equal(waveforms[1][0], _window(20))
    shm, shm_name, dtype, shape = info[1]
    assert shm.name == shm_name and dtype == "<f4" and shape == (2, 5, 3)
    del waveforms
    for shm, *_ in info.values():
        shm.close()
        shm.unlink()


def test_shared_memory_buffers_with_copy_are_plain_arrays(data):
    recording, sorting, spikes = data
    waveforms = extract_waveforms_to_buffers(
        recording, spikes, sorting.unit_ids, NBEFORE, NAFTER, mode="shared_memory", copy=True
    )
    assert isinstance(waveforms, dict)
    np.testing.assert_array_equal(waveforms[0][2], _window(120))


@pytest.mark.parametrize("mode", ["memmap", "shared_memory"])
def test_allocate_then_distribute(data, tmp_path, mode):
    recording, sorting, spikes = data
    folder = tmp_path if mode == "memmap" else None
    mask = np.array([[True, False, True], [False, True, False], [True, True, True]])
    waveforms, info = allocate_waveforms_buffers(
        recording,
        spikes,
        sorting.unit_ids,
        NBEFORE,
        NAFTER,
        mode=mode,
        folder=folder,
        sparsity_mask=mask,
    )
    assert waveforms[0].shape == (3, 5, 2) and not waveforms[0].any()
    distribute_waveforms_to_buffers(
        recording,
        spikes,
        sorting.unit_ids,
        info,
        NBEFORE,
        NAFTER,
        False,
        mode=mode,
        sparsity_mask=mask,
    )
    if mode == "memmap":
        waveforms = {u: np.load(info[u]) for u in sorting.unit_ids}
    np.testing.assert_array_equal(waveforms[0][1], _window(50)[:, [0, 2]])
    np.testing.assert_array_equal(waveforms[1][0], _window(20)[:, [1]])
    if mode == "shared_memory":
        del waveforms
        for shm, *_ in info.values():
            shm.close()
            shm.unlink()


@pytest.mark.parametrize("mode", ["memmap", "shared_memory"])
def test_single_buffer_in_spike_order_then_split(data, tmp_path, mode):
    recording, sorting, spikes = data
    mask = np.array([[True, False, True], [False, True, False], [True, True, True]])
    file_path = tmp_path / "all.npy" if mode == "memmap" else None
    all_waveforms = extract_waveforms_to_single_buffer(
        recording,
        spikes,
        sorting.unit_ids,
        NBEFORE,
        NAFTER,
        mode=mode,
        file_path=file_path,
        sparsity_mask=mask,
        copy=True,
    )
    assert all_waveforms.shape == (spikes.size, 5, 3)
    row = int(np.flatnonzero(spikes["sample_index"] == 60)[0])  # unit 1, one channel
    np.testing.assert_array_equal(all_waveforms[row, :, 0], _window(60)[:, 1])
    np.testing.assert_array_equal(all_waveforms[row, :, 1:], 0)
    split = split_waveforms_by_units(sorting.unit_ids, spikes, all_waveforms, mask, tmp_path)
    np.testing.assert_array_equal(split[0][1], _window(50)[:, [0, 2]])
    assert (tmp_path / "waveforms_2.npy").is_file()


def test_estimate_templates_is_the_mean_of_the_windows(data):
    recording, sorting, spikes = data
    templates = estimate_templates(
        recording, spikes, sorting.unit_ids, NBEFORE, NAFTER, return_scaled=False
    )
    assert templates.shape == (3, 5, 3)
    np.testing.assert_allclose(templates[1], (_window(20) + _window(60)) / 2)


def test_estimate_templates_needs_spikes(data):
    recording, sorting, spikes = data
    with pytest.raises(ValueError, match="at least one spike"):
        estimate_templates(recording, spikes[:0], sorting.unit_ids, NBEFORE, NAFTER)


def test_has_exceeding_spikes(data):
    recording, sorting, _ = data
    assert not has_exceeding_spikes(recording, sorting)
    short = si.NumpyRecording([np.zeros((150, 3), "float32")], sampling_frequency=1000.0)
    assert has_exceeding_spikes(short, sorting)
