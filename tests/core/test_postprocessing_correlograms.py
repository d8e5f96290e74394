"""Correlograms against counts worked out by hand on small spike trains.

Sampling at 1 kHz makes one sample one millisecond. With ``window_ms=12`` and ``bin_ms=2`` the
half window is 6 samples and the bins are ``[-6,-4) [-4,-2) [-2,0) [0,2) [2,4) [4,6)``:
``ccgs[a, b, k]`` counts pairs with ``t_a - t_b`` in bin ``k``.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core import load_waveforms
from core.jobs import CancelToken, JobCancelled
from core.postprocessing import (
    CorrelogramsCalculator,
    compute_correlograms,
    correlogram_for_one_segment,
)

from .postprocessing_data import recording_with_spikes, sorting_of, waveform_extractor

WINDOW = dict(window_ms=12.0, bin_ms=2.0)
A = [10]
B = [4, 8, 10, 13, 16, 30]


def brute_force(times, labels, num_units, window, bin_size):
    half = window // bin_size
    counts = np.zeros((num_units, num_units, 2 * half), dtype="int64")
    for i, (t_i, u_i) in enumerate(zip(times, labels)):
        for j, (t_j, u_j) in enumerate(zip(times, labels)):
            lag = t_i - t_j
            if i != j and -window <= lag < window:
                counts[u_i, u_j, lag // bin_size + half] += 1
    return counts


def test_cross_and_auto_correlograms_by_hand():
    ccgs, bins = compute_correlograms(sorting_of({"a": A, "b": B}), **WINDOW)
    np.testing.assert_array_equal(bins, [-6.0, -4.0, -2.0, 0.0, 2.0, 4.0, 6.0])
    # t_a - t_b: 6 (out: the right edge is open), 2, 0, -3, -6 (in: the left edge is closed)
    np.testing.assert_array_equal(ccgs[0, 1], [1, 1, 0, 1, 1, 0])
    np.testing.assert_array_equal(ccgs[1, 0], [1, 0, 1, 1, 1, 0])
    # lags between b's spikes: 4, 6, 2, 5, 3, 6, 3 (each pair in both orders)
    np.testing.assert_array_equal(ccgs[1, 1], [3, 3, 1, 0, 3, 2])
    np.testing.assert_array_equal(ccgs[0, 0], [0, 0, 0, 0, 0, 0])
    assert ccgs.dtype == np.int64


def test_spikes_at_the_same_sample_count_in_both_orders():
    ccgs, _ = compute_correlograms(sorting_of({"a": [20], "b": [20]}), **WINDOW)
    assert ccgs[0, 1, 3] == ccgs[1, 0, 3] == 1
    assert ccgs.sum() == 2


def test_several_spikes_exactly_one_half_window_later_all_count():
    # SpikeInterface 0.100.8 counted only one of the two b spikes at lag -6
    ccgs, _ = compute_correlograms(sorting_of({"a": [0], "b": [6, 6]}), **WINDOW)
    assert ccgs[0, 1, 0] == 2
    assert ccgs[1, 0].sum() == 0  # +6 is outside the window
    assert ccgs[1, 1, 3] == 2  # the two b spikes, at lag 0 both ways


def test_empty_unit_gives_zero_rows_and_columns():
    sorting = sorting_of({"a": A, "b": B}, unit_ids=("a", "empty", "b"))
    ccgs, _ = compute_correlograms(sorting, **WINDOW)
    assert ccgs.shape == (3, 3, 6)
    assert ccgs[1].sum() == ccgs[:, 1].sum() == 0
    np.testing.assert_array_equal(ccgs[0, 2], [1, 1, 0, 1, 1, 0])


def test_segments_are_not_paired_and_are_summed():
    # segment 1's b at 12 would be 2 ms from segment 0's a at 10 on one time line
    sorting = sorting_of({"a": [10], "b": [11, 40]}, {"a": [100], "b": [12, 103]})
    ccgs, _ = compute_correlograms(sorting, **WINDOW)
    np.testing.assert_array_equal(ccgs[0, 1], [0, 1, 1, 0, 0, 0])  # 100 - 103, 10 - 11


def test_window_is_cut_to_whole_bins():
    # a 13 ms window gives a half window of 7 (rounded to 6.5 -> 7 samples), cut to 6
    _, bins = compute_correlograms(sorting_of({"a": A, "b": B}), window_ms=13.0, bin_ms=2.0)
    np.testing.assert_array_equal(bins, [-6.0, -4.0, -2.0, 0.0, 2.0, 4.0, 6.0])


@settings(max_examples=40, deadline=None)
@given(
    st.lists(st.tuples(st.integers(0, 60), st.integers(0, 3)), max_size=40),
    st.integers(1, 4),
    st.integers(1, 5),
)
def test_low_level_counts_equal_brute_force(spikes, bin_size, half_bins):
    spikes = sorted(spikes)
    times = np.array([t for t, _ in spikes], dtype="int64")
    labels = np.array([u for _, u in spikes], dtype="int64")
    window = bin_size * half_bins
    counts = correlogram_for_one_segment(times, labels, window, bin_size, num_units=4)
    np.testing.assert_array_equal(counts, brute_force(times, labels, 4, window, bin_size))


def test_low_level_infers_the_number_of_units():
    counts = correlogram_for_one_segment(np.array([0, 1]), np.array([0, 2]), 4, 2)
    assert counts.shape == (3, 3, 4)


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        (dict(window_ms=12.0, bin_ms=0.1), "less than one sample"),
        (dict(window_ms=2.0, bin_ms=2.0), "holds no bin"),
        (dict(window_ms=-1.0), "window_ms must be > 0"),
        (dict(method="fast"), "method must be"),
    ],
)
def test_bad_parameters_are_named(kwargs, error):
    with pytest.raises(ValueError, match=error):
        compute_correlograms(sorting_of({"a": A}), **kwargs)


def test_input_must_be_a_sorting_or_waveform_extractor():
    with pytest.raises(TypeError, match="WaveformExtractor or a sorting"):
        compute_correlograms(np.zeros(3))


def test_numba_method_warns_and_gives_the_same_counts():
    sorting = sorting_of({"a": A, "b": B})
    with pytest.warns(UserWarning, match="does not use numba"):
        ccgs, _ = compute_correlograms(sorting, method="numba", **WINDOW)
    np.testing.assert_array_equal(ccgs, compute_correlograms(sorting, **WINDOW)[0])


def test_progress_reaches_units_times_segments():
    calls = []
    sorting = sorting_of({"a": A, "b": B}, {"a": [3], "b": [5]})
    compute_correlograms(sorting, progress_callback=lambda d, t: calls.append((d, t)), **WINDOW)
    assert calls[0] == (0, 4) and calls[-1] == (4, 4)


# --------------------------------------------------------------------------- as an extension
def make_waveform_extractor(folder):
    sorting = sorting_of({"a": A, "b": B})
    return waveform_extractor(recording_with_spikes(sorting, [200]), sorting, folder)


def test_extension_is_saved_in_spikeinterface_layout_and_reloaded(tmp_path):
    we = make_waveform_extractor(tmp_path / "we")
    ccgs, bins = compute_correlograms(we, **WINDOW)
    folder = tmp_path / "we" / "correlograms"
    assert sorted(p.name for p in folder.iterdir()) == ["bins.npy", "ccgs.npy", "params.json"]
    np.testing.assert_array_equal(np.load(folder / "ccgs.npy"), ccgs)
    reloaded = load_waveforms(tmp_path / "we", with_recording=False, sorting=we.sorting)
    extension = reloaded.load_extension("correlograms")
    assert isinstance(extension, CorrelogramsCalculator)
    assert extension._params == {"window_ms": 12.0, "bin_ms": 2.0, "method": "auto"}
    np.testing.assert_array_equal(extension.get_data()[0], ccgs)
    np.testing.assert_array_equal(extension.get_data()[1], bins)


def test_load_if_exists_returns_the_stored_result_whatever_the_parameters(tmp_path):
    we = make_waveform_extractor(tmp_path / "we")
    stored, _ = compute_correlograms(we, **WINDOW)
    reloaded = load_waveforms(tmp_path / "we", with_recording=False, sorting=we.sorting)
    again, bins = compute_correlograms(reloaded, load_if_exists=True, window_ms=50.0)
    np.testing.assert_array_equal(again, stored)
    assert bins[0] == -6.0
    fresh, bins = compute_correlograms(reloaded, window_ms=50.0)
    assert bins[0] == -25.0
    assert reloaded.load_extension("correlograms")._params["window_ms"] == 50.0


def test_zarr_copy_keeps_the_extension(tmp_path):
    we = make_waveform_extractor(tmp_path / "we")
    ccgs, _ = compute_correlograms(we, **WINDOW)
    with pytest.warns(UserWarning, match="not JSON-serializable"):  # an in-memory sorting
        zarr_we = we.save(folder=tmp_path / "copy", format="zarr")
    reloaded = load_waveforms(tmp_path / "copy.zarr", with_recording=False, sorting=we.sorting)
    np.testing.assert_array_equal(reloaded.load_extension("correlograms").get_data()[0], ccgs)
    again, _ = compute_correlograms(zarr_we, load_if_exists=True)
    np.testing.assert_array_equal(again, ccgs)


def test_in_memory_extractor_keeps_the_result_in_memory():
    we = make_waveform_extractor(None)
    ccgs, _ = compute_correlograms(we, **WINDOW)
    assert we.has_extension("correlograms")
    np.testing.assert_array_equal(compute_correlograms(we, load_if_exists=True)[0], ccgs)


def test_cancelled_computation_keeps_the_previous_result(tmp_path):
    we = make_waveform_extractor(tmp_path / "we")
    stored, _ = compute_correlograms(we, **WINDOW)
    token = CancelToken()
    token.cancel()
    with pytest.raises(JobCancelled):
        compute_correlograms(we, window_ms=50.0, cancel_token=token)
    reloaded = load_waveforms(tmp_path / "we", with_recording=False, sorting=we.sorting)
    extension = reloaded.load_extension("correlograms")
    assert extension._params["window_ms"] == 12.0
    np.testing.assert_array_equal(extension.get_data()[0], stored)


def test_select_units_slices_the_correlograms(tmp_path):
    we = make_waveform_extractor(tmp_path / "we")
    ccgs, _ = compute_correlograms(we, **WINDOW)
    selected = we.select_units(["b"])
    np.testing.assert_array_equal(
        selected.load_extension("correlograms").get_data()[0], ccgs[1:, 1:]
    )
