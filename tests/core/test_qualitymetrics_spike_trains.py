"""Spike-train metrics against values worked out by hand (1 kHz: one sample is one ms).

The recording has two segments of 2500 and 1600 samples (4.1 s); metrics take a
WaveformExtractor or a sorting with that recording registered.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from core.qualitymetrics import (
    compute_firing_ranges,
    compute_firing_rates,
    compute_isi_violations,
    compute_num_spikes,
    compute_presence_ratios,
    compute_refrac_period_violations,
    compute_sliding_rp_violations,
    compute_synchrony_metrics,
)

from .postprocessing_data import recording_with_spikes, sorting_of, waveform_extractor

LENGTHS = [2500, 1600]
DURATION = 4.1


def registered(*segments, unit_ids=("a", "b")):
    sorting = sorting_of(*segments, unit_ids=unit_ids)
    sorting.register_recording(recording_with_spikes(sorting, LENGTHS))
    return sorting


# --------------------------------------------------------------------------- counts and rates
def test_num_spikes_and_firing_rates_over_segments():
    sorting = registered({"a": [10, 20, 30], "b": [5]}, {"a": [1], "b": []})
    assert compute_num_spikes(sorting) == {"a": 4, "b": 1}
    rates = compute_firing_rates(sorting)
    assert rates == {"a": 4 / DURATION, "b": 1 / DURATION}
    assert compute_firing_rates(sorting, unit_ids=["b"]) == {"b": 1 / DURATION}


def test_waveform_extractor_and_sorting_give_the_same_values():
    sorting = registered({"a": [10, 20, 300], "b": [5, 7]}, {"a": [100], "b": [1500]})
    we = waveform_extractor(sorting._recording, sorting)
    assert compute_firing_rates(we) == compute_firing_rates(sorting)
    assert compute_isi_violations(we) == compute_isi_violations(sorting)


def test_durations_need_a_registered_recording():
    sorting = sorting_of({"a": [10]})
    assert compute_num_spikes(sorting) == {"a": 1, "b": 0}
    with pytest.raises(ValueError, match="register_recording"):
        compute_firing_rates(sorting)


def test_unknown_unit_and_wrong_input_are_named():
    sorting = registered({"a": [10]}, {})
    with pytest.raises(ValueError, match="unit_ids"):
        compute_num_spikes(sorting, unit_ids=["z"])
    with pytest.raises(TypeError, match="compute_num_spikes"):
        compute_num_spikes([1, 2, 3])


# --------------------------------------------------------------------------- presence
def test_presence_ratio_bins_segments_laid_end_to_end():
    # 1 s bins over 4100 samples: 4 bins [0,1000) .. [3000,4000]; segment 1 starts at 2500
    # a: bins 0, 2 (2500 + 0), 3 (the closed edge 4000 = 2500 + 1500); 4050 is dropped
    # b: bin 1 only
    sorting = registered({"a": [10, 20], "b": [1500]}, {"a": [0, 1500, 1550], "b": []})
    ratios = compute_presence_ratios(sorting, bin_duration_s=1.0)
    assert ratios == {"a": 3 / 4, "b": 1 / 4}


def test_presence_ratio_threshold_is_a_fraction_of_the_mean_rate():
    # a: 5 spikes in 4.1 s; threshold floor(5 / 4.1 * 1 * 0.9) = 1 spike: bins with 2 or more
    sorting = registered({"a": [10, 20, 1100, 2100]}, {"a": [600]})
    ratios = compute_presence_ratios(sorting, bin_duration_s=1.0, mean_fr_ratio_thresh=0.9)
    assert math.floor(5 / DURATION * 0.9) == 1
    assert ratios["a"] == 1 / 4


def test_presence_ratio_is_nan_when_the_recording_is_shorter_than_a_bin():
    sorting = registered({"a": [10]}, {})
    with pytest.warns(UserWarning, match="larger than recording duration"):
        ratios = compute_presence_ratios(sorting)
    assert np.isnan(ratios["a"])
    with pytest.raises(ValueError, match="mean_fr_ratio_thresh"):
        compute_presence_ratios(sorting, bin_duration_s=1.0, mean_fr_ratio_thresh=-1)


# --------------------------------------------------------------------------- ISI violations
def test_isi_violations_by_hand():
    # a's intervals: 1 ms (violation), 2 ms, 1 ms (violation); none across segments
    sorting = registered({"a": [10, 11, 13, 2499], "b": [100]}, {"a": [0], "b": [5]})
    result = compute_isi_violations(sorting, isi_threshold_ms=1.5)
    assert result._fields == ("isi_violations_ratio", "isi_violations_count")
    assert type(result).__name__ == "isi_violation"
    num_spikes, violations = 5, 1
    # 2499 -> 0 is across segments and 2499 - 13 is long: only 10 -> 11 violates
    expected = (violations / (2 * num_spikes * 0.0015)) / (num_spikes / DURATION)
    assert result.isi_violations_count == {"a": 1, "b": 0}
    assert result.isi_violations_ratio["a"] == expected
    assert result.isi_violations_ratio["b"] == 0.0


def test_isi_violations_leave_out_empty_units_and_use_min_isi():
    sorting = registered({"a": [10, 11, 12]}, {}, unit_ids=("a", "b"))
    result = compute_isi_violations(sorting, isi_threshold_ms=1.5, min_isi_ms=0.5)
    assert list(result.isi_violations_count) == ["a"]
    assert result.isi_violations_ratio["a"] == (2 / (2 * 3 * (0.0015 - 0.0005))) / (3 / DURATION)


# --------------------------------------------------------------------------- firing range
def test_firing_range_over_bins_of_all_segments():
    # 1 s bins: segment 0 has 2 full bins, segment 1 one; a fires 3, 0, 1 spikes in them
    sorting = registered({"a": [1, 2, 3, 2200]}, {"a": [999]})
    ranges = compute_firing_ranges(sorting, bin_size_s=1, percentiles=(0, 100))
    assert ranges["a"] == 3.0  # max 3 Hz - min 0 Hz; 2200 is in no full bin
    ranges = compute_firing_ranges(sorting, bin_size_s=1, percentiles=(5, 95))
    assert ranges["a"] == pytest.approx(np.percentile([3, 0, 1], 95) - np.percentile([3, 0, 1], 5))


def test_firing_range_is_nan_when_every_segment_is_shorter_than_a_bin():
    sorting = registered({"a": [1]}, {})
    with pytest.warns(UserWarning, match="larger than each segment"):
        assert np.isnan(compute_firing_ranges(sorting)["a"])


# --------------------------------------------------------------------------- synchrony
def test_synchrony_counts_samples_shared_with_other_spikes():
    # sample 10: a, b, c (3 spikes); sample 20: a twice and b (a counts it once); 30: a alone
    sorting = registered(
        {"a": [10, 20, 20, 30], "b": [10, 20], "c": [10]}, {}, unit_ids=("a", "b", "c")
    )
    result = compute_synchrony_metrics(sorting, synchrony_sizes=(2, 3))
    assert result._fields == ("sync_spike_2", "sync_spike_3")
    assert result.sync_spike_2 == {"a": 2 / 4, "b": 2 / 2, "c": 1 / 1}
    assert result.sync_spike_3 == {"a": 2 / 4, "b": 2 / 2, "c": 1 / 1}
    with pytest.raises(ValueError, match="greater than 1"):
        compute_synchrony_metrics(sorting, synchrony_sizes=(1, 2))


# --------------------------------------------------------------------------- refractory period
def test_refractory_violations_count_all_close_pairs():
    # a: pairs within 2 ms: (10,11), (10,12), (11,12); 12 -> 15 is 3 ms; b: none
    sorting = registered({"a": [10, 11, 12, 15], "b": [100, 200]}, {})
    result = compute_refrac_period_violations(sorting, refractory_period_ms=2.0)
    assert result.rp_violations == {"a": 3, "b": 0}
    total, n, t_r = 4100, 4, 2
    d = 1 - 3 * total / (n**2 * t_r)
    assert d < 0 and result.rp_contamination["a"] == 1.0
    assert result.rp_contamination["b"] == 0.0


def test_refractory_contamination_formula_with_censored_period():
    sorting = registered({"a": list(range(0, 2000, 20)) + [1001]}, {})
    result = compute_refrac_period_violations(
        sorting, refractory_period_ms=2.0, censored_period_ms=1.0
    )
    n, total, t_r, t_c = 101, 4100, 2, 1
    d = 1 - 1 * (total - 2 * n * t_c) / (n**2 * (t_r - t_c))
    assert result.rp_contamination["a"] == 1 - math.sqrt(d)


def _sliding_rp_reference(train_segments, duration, bin_size, max_rp_ms=10.0, bin_ms=0.25):
    """The IBL test written out: positive autocorrelogram bins (zero lags count twice)."""
    from scipy.stats import poisson

    rp_edges = np.arange(0, max_rp_ms / 1000, bin_ms / 1000)
    rp_centers = rp_edges + (rp_edges[1] - rp_edges[0]) / 2
    counts = np.zeros(rp_centers.size)
    for train in train_segments:
        lags = (train[None, :] - train[:, None])[~np.eye(train.size, dtype=bool)]
        lags = lags[(lags >= 0) & (lags < bin_size * rp_centers.size)]
        counts += np.bincount(lags // bin_size, minlength=rp_centers.size)
    n = sum(len(t) for t in train_segments)
    contaminations = np.arange(0.5, 35, 0.5) / 100
    expected = (n / duration * contaminations[:, None]) * (rp_centers + bin_ms / 2000) * 2 * n
    confidence = 1 - poisson.cdf(np.cumsum(counts)[None, :], expected)
    rows = np.flatnonzero((confidence[:, rp_centers > 0.0005] > 0.9).any(axis=1))
    return contaminations[rows[0]] if rows.size else np.nan


def test_sliding_refractory_period_matches_the_written_out_test():
    # 20 Hz trains with a 3 ms refractory period, a few violations and duplicated spikes
    rng = np.random.default_rng(0)
    fs, length = 30_000.0, 600_000
    trains = [np.cumsum(rng.exponential(1400, 380).astype("int64") + 90) for _ in range(2)]
    trains = [train[train < length - 100] for train in trains]
    trains[0] = np.sort(np.concatenate([trains[0], trains[0][:4] + 20, trains[0][10:12]]))
    from core import NumpyRecording, NumpySorting

    sorting = NumpySorting.from_times_labels(trains, [np.zeros(t.size, int) for t in trains], fs)
    sorting.register_recording(NumpyRecording([np.zeros((length, 1), "int16")] * 2, fs))
    value = compute_sliding_rp_violations(sorting)[0]
    assert value == _sliding_rp_reference(trains, 2 * length / fs, bin_size=7)
    assert not np.isnan(value)


def test_sliding_refractory_period_leaves_out_units_without_spikes():
    sorting = registered({"a": [10, 20]}, {}, unit_ids=("a", "b"))
    result = compute_sliding_rp_violations(sorting)
    assert list(result) == ["a"]
    assert np.isnan(compute_sliding_rp_violations(sorting, min_spikes=5)["a"])
