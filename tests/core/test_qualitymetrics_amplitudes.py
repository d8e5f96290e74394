"""Template and amplitude metrics on noise-free recordings whose spike values are known.

Unit ``a`` dips on channel 0 and ``b`` on channel 1 one sample after each spike, by 100 / 200
raw units plus a per-spike depth; scaled values are ``raw * 0.5 + 1`` µV.
"""

from __future__ import annotations

import numpy as np
import pytest

from core import get_noise_levels
from core.postprocessing import compute_noise_levels, compute_spike_amplitudes
from core.qualitymetrics import (
    amplitude_cutoff,
    compute_amplitude_cutoffs,
    compute_amplitude_cv_metrics,
    compute_amplitude_medians,
    compute_sd_ratio,
    compute_snrs,
)
from core.qualitymetrics.amplitude_metrics import _censored_duplicates, _histogram_edges

from .postprocessing_data import GAIN, OFFSET, recording_with_spikes, sorting_of, waveform_extractor

JOB = {"progress_bar": False, "n_jobs": 1}


def make_we(depths_a, depths_b, length=400, folder=None, noise=0):
    trains = {
        "a": list(range(10, 10 + 13 * len(depths_a), 13)),
        "b": [5 + 17 * k for k in range(len(depths_b))],
    }
    sorting = sorting_of(trains)
    depths = {"a": [depths_a], "b": [depths_b]}
    recording = recording_with_spikes(sorting, [length], depths, noise=noise)
    return waveform_extractor(recording, sorting, folder)


def test_snr_is_template_trough_over_channel_noise():
    we = make_we([0, 10, 20], [0, 0, 30], noise=5)
    noise = compute_noise_levels(we, seed=0, chunk_size=50, num_chunks_per_segment=4)
    templates = we.get_all_templates()
    snrs = compute_snrs(we)
    for index, unit_id in enumerate(["a", "b"]):
        trough = -templates[index, :, index].min()
        assert snrs[unit_id] == pytest.approx(trough / noise[index])


def test_snr_without_noise_extension_samples_the_recording():
    we = make_we([0, 10, 20], [0, 0, 30], length=12_000, noise=5)
    noise = get_noise_levels(we.recording, return_scaled=True)
    amplitude = -we.get_all_templates()[1, :, 1].min()
    assert compute_snrs(we, unit_ids=["b"]) == {"b": pytest.approx(amplitude / noise[1])}


def test_amplitude_median_from_waveforms_then_from_spike_amplitudes():
    we = make_we([0, 10, 20, 30], [0, 40, 80])
    # waveforms: the value at nbefore (the spike sample) on the extremum channel: zero, as the
    # dip comes one sample later; spike amplitudes follow the peak shift
    assert compute_amplitude_medians(we) == {"a": np.float32(abs(OFFSET)), "b": np.float32(OFFSET)}
    compute_spike_amplitudes(we, **JOB)
    medians = compute_amplitude_medians(we)
    assert medians["a"] == np.median(np.abs(np.array([-100, -110, -120, -130]) * GAIN + OFFSET))
    assert medians["b"] == np.float32(-(240 * GAIN) + OFFSET) * -1


def test_amplitude_cutoff_of_a_symmetric_and_a_truncated_distribution():
    rng = np.random.default_rng(0)
    full = rng.normal(100.0, 10.0, 20_000)
    truncated = full[full > 100.0]
    assert amplitude_cutoff(full, num_histogram_bins=100) < 0.02
    assert amplitude_cutoff(truncated, num_histogram_bins=100) == 0.5
    assert np.isnan(amplitude_cutoff(full[:400], num_histogram_bins=100))


def test_histogram_edges_are_computed_in_float64():
    values = np.array([-73.123, -12.5, -40.0], dtype="float32")
    edges = _histogram_edges(values, 7)
    assert edges.dtype == np.float32
    np.testing.assert_array_equal(
        edges, np.linspace(float(values.min()), float(values.max()), 8).astype("float32")
    )
    assert _histogram_edges(np.array([3, 3]), 2).tolist() == [2.5, 3.0, 3.5]


def test_amplitude_cutoffs_warn_for_small_units_and_invert_positive_peaks():
    we = make_we([0, 10, 20], [0, 0, 30])
    with pytest.warns(UserWarning, match="too few spikes"):
        cutoffs = compute_amplitude_cutoffs(we)
    assert np.isnan(cutoffs["a"]) and np.isnan(cutoffs["b"])
    rng = np.random.default_rng(1)
    depths = list(rng.integers(0, 60, 300))
    we = make_we(depths, [0], length=13 * 300 + 100)
    compute_spike_amplitudes(we, **JOB)
    expected = amplitude_cutoff(
        compute_spike_amplitudes(we, load_if_exists=True, outputs="by_unit")[0]["a"],
        num_histogram_bins=20,
    )
    assert compute_amplitude_cutoffs(we, num_histogram_bins=20, unit_ids=["a"]) == {"a": expected}


def test_amplitude_cv_needs_spike_amplitudes():
    we = make_we([0, 10, 20], [0, 0, 30])
    with pytest.warns(UserWarning, match="spike_amplitudes"):
        result = compute_amplitude_cv_metrics(we)
    assert isinstance(result, dict) and np.isnan(result["a"])


def test_amplitude_cv_in_time_bins():
    # a: 24 spikes every 13 ms from 10 in 322 ms; pairs of depths 0 and 10, 20, 30 or 40
    depths = [d for k in range(12) for d in (0, 10 * (k % 4 + 1))]
    we = make_we(depths, [0, 0], length=322)
    compute_spike_amplitudes(we, **JOB)
    result = compute_amplitude_cv_metrics(
        we, average_num_spikes_per_bin=2, min_num_bins=3, percentiles=(0, 100)
    )
    assert result._fields == ("amplitude_cv_median", "amplitude_cv_range")
    amplitudes = -(100 + np.array(depths)) * GAIN + OFFSET
    # rate 24 / 0.322 s: bins of int(2 / rate * 1000) = 26 samples hold 2 spikes each
    bin_size = int(2 / (24 / 0.322) * 1000)
    assert bin_size == 26
    edges = np.arange(0, 323, bin_size)
    times = np.arange(10, 10 + 13 * 24, 13)
    spreads = [
        np.std(amplitudes[(times >= t0) & (times < t1)]) / abs(amplitudes.mean())
        for t0, t1 in zip(edges[:-1], edges[1:])
    ]
    assert not np.isnan(spreads).any() and np.ptp(spreads) > 0
    assert result.amplitude_cv_median["a"] == pytest.approx(np.median(spreads))
    assert result.amplitude_cv_range["a"] == pytest.approx(np.ptp(spreads))


def test_amplitude_cv_is_nan_when_a_bin_is_empty():
    # the last bins of a 400 ms recording hold none of a's spikes: np.std([]) is NaN
    we = make_we([0, 20] * 12, [0, 0], length=400)
    compute_spike_amplitudes(we, **JOB)
    result = compute_amplitude_cv_metrics(we, average_num_spikes_per_bin=2, min_num_bins=3)
    assert np.isnan(result.amplitude_cv_median["a"])


def test_censored_duplicates_keep_the_first_of_each_burst():
    train = np.array([0, 2, 3, 5, 6, 20, 21, 30])
    # period 3: 0 kept, 2 and 3 within 3 of it; 5 kept (5 > 0 + 3), 6 dropped; 20 kept...
    np.testing.assert_array_equal(_censored_duplicates(train, 3), [1, 2, 4, 6])
    assert _censored_duplicates(np.array([4]), 3).size == 0


def test_sd_ratio_without_corrections_is_amplitude_std_over_noise_std():
    we = make_we([0, 10, 20, 30, 40, 50], [0, 0], length=12_000, noise=5)
    with pytest.warns(UserWarning, match="spike_amplitudes"):
        assert np.isnan(compute_sd_ratio(we)["a"])
    compute_spike_amplitudes(we, **JOB)
    ratios = compute_sd_ratio(we, correct_for_drift=False, correct_for_template_itself=False)
    noise = get_noise_levels(we.recording, return_scaled=True, method="std")
    traces = we.recording.get_traces(return_scaled=True)
    amplitudes = traces[we.sorting.get_unit_spike_train("a") + 1, 0]  # the dips, with noise
    assert ratios["a"] == pytest.approx(np.std(amplitudes) / noise[0], rel=1e-6)
    drift = compute_sd_ratio(we, correct_for_template_itself=False)
    assert drift["a"] == pytest.approx(np.std(np.diff(amplitudes)) / np.sqrt(2) / noise[0])
    assert np.isfinite(drift["b"])
