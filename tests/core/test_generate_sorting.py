"""Synthetic sortings: generate_sorting, random firings, and sortings with mistakes."""

import numpy as np
import pytest

from core.generate.mistakes import (
    add_synchrony_to_sorting,
    inject_some_duplicate_units,
    inject_some_split_units,
    synthetize_spike_train_bad_isi,
)
from core.generate.sorting import (
    clean_refractory_period,
    create_sorting_npz,
    generate_sorting,
    synthesize_random_firings,
)
from core.sorting.numpy import NumpySorting

FS = 30000.0


def spike_trains(sorting, segment_index=0):
    return {
        u: sorting.get_unit_spike_train(u, segment_index=segment_index) for u in sorting.unit_ids
    }


# ---------------------------------------------------------------------- generate_sorting
def test_documented_example_runs_as_written():
    sorting = generate_sorting(
        num_units=5,
        sampling_frequency=30000.0,
        durations=[10.325, 3.5],
        firing_rate=15,
        refractory_period=1.5,
    )
    assert sorting.get_num_segments() == 2
    assert sorting.unit_ids.tolist() == [0, 1, 2, 3, 4]
    assert sorting.sampling_frequency == 30000.0


def test_seed_spelling_equals_spikeinterface_spelling():
    documented = generate_sorting(firing_rate=15, refractory_period=1.5, seed=3)
    spikeinterface = generate_sorting(firing_rates=15, refractory_period_ms=1.5, seed=3)
    assert np.array_equal(documented.to_spike_vector(), spikeinterface.to_spike_vector())


def test_name_and_alias_together_are_rejected():
    with pytest.raises(TypeError, match="firing_rate"):
        generate_sorting(firing_rates=10.0, firing_rate=15.0)


def test_per_unit_firing_rates_are_met():
    rates = np.array([2.0, 10.0, 40.0])
    sorting = generate_sorting(
        num_units=3, durations=[200.0], firing_rates=rates, refractory_period_ms=4.0, seed=0
    )
    counts = sorting.count_num_spikes_per_unit(outputs="array")
    assert np.allclose(counts / 200.0, rates, rtol=0.1)


def test_no_interval_is_shorter_than_the_refractory_period():
    sorting = generate_sorting(
        num_units=4, durations=[20.0, 5.0], firing_rates=100.0, refractory_period_ms=4.0, seed=1
    )
    refractory_samples = 4.0 * FS / 1000
    for segment_index in range(2):
        for train in spike_trains(sorting, segment_index).values():
            assert np.diff(train).min() >= refractory_samples


def test_empty_units_have_no_spikes():
    sorting = generate_sorting(num_units=5, empty_units=[1, 3], firing_rates=20.0, seed=2)
    counts = sorting.count_num_spikes_per_unit()
    assert counts[1] == 0 and counts[3] == 0
    assert all(counts[u] > 0 for u in (0, 2, 4))


def test_unknown_empty_unit_is_rejected():
    with pytest.raises(ValueError, match="empty_units"):
        generate_sorting(num_units=3, empty_units=[7])


def test_trailing_empty_segment_is_kept():
    sorting = generate_sorting(num_units=2, durations=[1.0, 1.0], empty_units=[0, 1], seed=0)
    assert sorting.get_num_segments() == 2
    assert sorting.count_total_num_spikes() == 0


def test_border_spikes_are_added_to_every_segment():
    sorting = generate_sorting(
        num_units=3,
        durations=[5.0, 2.0],
        firing_rates=0.1,
        add_spikes_on_borders=True,
        num_spikes_per_border=3,
        border_size_samples=20,
        seed=4,
    )
    for segment_index, duration in enumerate([5.0, 2.0]):
        frames = np.concatenate(list(spike_trains(sorting, segment_index).values()))
        num_samples = int(duration * FS)
        assert np.sum(frames < 20) >= 3
        assert np.sum(frames >= num_samples - 20) >= 3
        assert frames.max() < num_samples


def test_same_seed_gives_same_sorting():
    first = generate_sorting(seed=11).to_spike_vector()
    assert np.array_equal(first, generate_sorting(seed=11).to_spike_vector())
    assert not np.array_equal(first, generate_sorting(seed=12).to_spike_vector())


def test_unreachable_rate_is_rejected():
    with pytest.raises(ValueError, match="firing_rates"):
        generate_sorting(firing_rates=300.0, refractory_period_ms=4.0)


def test_wrong_number_of_rates_is_rejected():
    with pytest.raises(ValueError, match="firing_rates"):
        generate_sorting(num_units=3, firing_rates=[1.0, 2.0])


# ---------------------------------------------------------------------- random firings
def test_random_firings_are_sorted_int64_with_labels_per_unit():
    times, labels = synthesize_random_firings(num_units=6, duration=20, firing_rates=5.0, seed=0)
    assert times.dtype == np.int64 and labels.dtype == np.int64
    assert np.all(np.diff(times) >= 0)
    assert set(labels.tolist()) == set(range(6))
    assert abs(times.size / (6 * 20) - 5.0) < 0.75


def test_shift_shuffle_keeps_the_refractory_period():
    times, labels = synthesize_random_firings(
        num_units=3, duration=30, firing_rates=20.0, add_shift_shuffle=True, seed=5
    )
    for unit in range(3):
        assert np.diff(times[labels == unit]).min() > 4.0 * FS / 1000


# ---------------------------------------------------------------------- clean_refractory_period
def test_clean_refractory_period_compares_with_the_last_kept_spike():
    cleaned = clean_refractory_period(np.array([3, 0, 1, 2, 10]), refractory_period=1.5)
    assert cleaned.tolist() == [0, 2, 10]


def test_clean_refractory_period_removes_gaps_equal_to_the_period():
    cleaned = clean_refractory_period(np.array([0.0, 0.002, 0.005]), refractory_period=0.002)
    assert cleaned.tolist() == [0.0, 0.005]


# ---------------------------------------------------------------------- duplicates and splits
def test_duplicates_are_shifted_copies_of_the_first_units():
    sorting = generate_sorting(num_units=4, durations=[10.0], firing_rates=10.0, seed=0)
    duplicated = inject_some_duplicate_units(sorting, num=2, max_shift=5, seed=1)
    assert duplicated.unit_ids.tolist() == [0, 1, 2, 3, 4, 5]
    for original, copy in ((0, 4), (1, 5)):
        source = sorting.get_unit_spike_train(original)
        shifted = duplicated.get_unit_spike_train(copy)
        inner = (source >= 5) & (source <= source[-1] - 5)  # away from the clipping
        shifts = np.unique((shifted - source)[inner])
        assert shifts.size == 1 and shifts[0] != 0 and -5 <= shifts[0] <= 5
        assert np.array_equal(duplicated.get_unit_spike_train(original), source)


def test_duplicate_ratio_keeps_that_fraction():
    sorting = generate_sorting(num_units=2, durations=[10.0], firing_rates=10.0, seed=0)
    duplicated = inject_some_duplicate_units(sorting, num=1, ratio=0.5, seed=1)
    assert duplicated.get_unit_spike_train(2).size == sorting.get_unit_spike_train(0).size // 2


def test_split_unit_is_replaced_by_parts_sharing_its_spikes():
    sorting = generate_sorting(num_units=5, durations=[10.0], firing_rates=10.0, seed=0)
    split, new_ids = inject_some_split_units(
        sorting, split_ids=[1], num_split=3, output_ids=True, seed=2
    )
    assert split.unit_ids.tolist() == [0, 5, 6, 7, 2, 3, 4]
    assert new_ids[1].tolist() == [5, 6, 7]
    parts = [split.get_unit_spike_train(u) for u in (5, 6, 7)]
    assert all(part.size > 0 for part in parts)
    assert np.array_equal(np.sort(np.concatenate(parts)), sorting.get_unit_spike_train(1))


def test_split_needs_integer_unit_ids():
    sorting = NumpySorting.from_unit_dict({"a": np.array([1, 5])}, sampling_frequency=FS)
    with pytest.raises(TypeError, match="integer unit ids"):
        inject_some_split_units(sorting, split_ids=["a"])


# ---------------------------------------------------------------------- other mistakes
def test_bad_isi_train_has_the_requested_violations():
    train = synthetize_spike_train_bad_isi(duration=10, baseline_rate=10, num_violations=5)
    assert train.size == 105
    assert np.sum(np.diff(train) < 0.001) == 5


def test_synchrony_copies_spikes_to_other_units_at_the_same_sample():
    sorting = generate_sorting(num_units=4, durations=[10.0], firing_rates=10.0, seed=0)
    synced = add_synchrony_to_sorting(sorting, sync_event_ratio=0.3, seed=1)
    original = sorting.to_spike_vector()
    added = synced.count_total_num_spikes() - original.size
    assert 0.25 * original.size < added <= int(0.3 * original.size)
    for unit in sorting.unit_ids:
        extra = np.setdiff1d(synced.get_unit_spike_train(unit), sorting.get_unit_spike_train(unit))
        others = original["sample_index"][original["unit_index"] != unit]
        assert np.all(np.isin(extra, others))


def test_create_sorting_npz_writes_every_segment(tmp_path):
    create_sorting_npz(3, tmp_path / "sorting.npz")
    with np.load(tmp_path / "sorting.npz") as npz:
        assert npz["num_segment"].tolist() == [3]
        assert npz["unit_ids"].tolist() == [0, 1, 2]
        assert npz["sampling_frequency"].tolist() == [30000.0]
        for segment_index in range(3):
            assert npz[f"spike_indexes_seg{segment_index}"].size == 100
            assert npz[f"spike_labels_seg{segment_index}"][:4].tolist() == [0, 1, 2, 0]
