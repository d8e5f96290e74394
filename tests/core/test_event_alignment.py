"""align_spikes and peri_event_histogram against hand-computed values."""

import numpy as np
import pytest

from core.event import align_spikes, peri_event_histogram


def test_spikes_are_aligned_per_event_in_event_order():
    spikes = np.array([0.1, 0.9, 1.05, 1.2, 3.0])
    trials, offsets = align_spikes(spikes, np.array([1.0, 0.0]), (-0.2, 0.25))
    assert trials.tolist() == [0, 0, 0, 1]
    np.testing.assert_allclose(offsets, [-0.1, 0.05, 0.2, 0.1])


def test_window_start_is_inclusive_and_end_exclusive():
    trials, offsets = align_spikes(np.array([0.5, 1.5]), np.array([1.0]), (-0.5, 0.5))
    assert trials.tolist() == [0] and offsets.tolist() == [-0.5]


def test_a_spike_near_two_events_counts_for_both():
    trials, offsets = align_spikes(np.array([1.0]), np.array([0.9, 1.1]), (-0.2, 0.2))
    assert trials.tolist() == [0, 1]
    np.testing.assert_allclose(offsets, [0.1, -0.1])


def test_no_events_or_no_spikes_give_empty_results():
    assert align_spikes(np.array([1.0]), np.array([]))[0].size == 0
    assert align_spikes(np.array([]), np.array([1.0]))[1].size == 0


def test_histogram_is_a_rate_averaged_over_events():
    spikes = np.array([1.01, 1.02, 2.01, 2.15])
    rates, edges = peri_event_histogram(spikes, np.array([1.0, 2.0]), (0.0, 0.2), bin_s=0.1)
    np.testing.assert_allclose(edges, [0.0, 0.1, 0.2])
    np.testing.assert_allclose(rates, [3 / (0.1 * 2), 1 / (0.1 * 2)])


def test_histogram_without_events_is_zero():
    rates, _ = peri_event_histogram(np.array([1.0]), np.array([]), (0, 1), 0.5)
    assert rates.tolist() == [0.0, 0.0]


@pytest.mark.parametrize("window", [(1.0, 0.5), (0.0, 0.0), (np.nan, 1.0)])
def test_bad_windows_are_refused(window):
    with pytest.raises(ValueError, match="window_s"):
        align_spikes(np.array([1.0]), np.array([1.0]), window)


def test_bad_bin_is_refused():
    with pytest.raises(ValueError, match="bin_s"):
        peri_event_histogram(np.array([1.0]), np.array([1.0]), (0, 1), 0)
