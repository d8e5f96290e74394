"""Counting only the pairs that involve some spikes (`correlograms_involving`): exactly what
counting all pairs gives, less what counting the other spikes alone gives."""

from __future__ import annotations

from contextlib import contextmanager

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core.postprocessing import correlogram_counts
from core.postprocessing.correlogram_counts import (
    correlograms_involving,
    correlograms_of_segment,
)

from .test_postprocessing_correlograms import brute_force


def brute_force_involving(times, labels, involved, num_units, window, bin_size):
    """Ordered pairs of distinct spikes, one of them involved, by lag bin."""
    half = window // bin_size
    counts = np.zeros((num_units, num_units, 2 * half), dtype="int64")
    for i in range(times.size):
        for j in range(times.size):
            lag = times[i] - times[j]
            if i != j and (involved[i] or involved[j]) and -window <= lag < window:
                counts[labels[i], labels[j], lag // bin_size + half] += 1
    return counts


def involving_by_difference(times, labels, involved, num_units, window, bin_size):
    full = correlograms_of_segment(times, labels, num_units, window, bin_size)
    rest = correlograms_of_segment(times[~involved], labels[~involved], num_units, window, bin_size)
    return full - rest


@contextmanager
def counted_by(mode: str):
    """Rows counted column by column whatever their number, or by blocks of rows."""
    saved = correlogram_counts._ROWS_PER_COLUMN_PASS, correlogram_counts._MAX_COLUMN_PASSES
    correlogram_counts._ROWS_PER_COLUMN_PASS = 0 if mode == "column" else 1 << 62
    correlogram_counts._MAX_COLUMN_PASSES = 1 << 62
    try:
        yield
    finally:
        correlogram_counts._ROWS_PER_COLUMN_PASS, correlogram_counts._MAX_COLUMN_PASSES = saved


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.tuples(st.integers(0, 50), st.integers(0, 3), st.booleans()), max_size=40),
    st.integers(1, 4),
    st.integers(1, 5),
)
def test_counts_equal_brute_force_by_columns_and_by_blocks(spikes, bin_size, half_bins):
    spikes = sorted(spikes, key=lambda spike: spike[0])  # ties keep any unit order
    times = np.array([t for t, _, _ in spikes], dtype="int64")
    labels = np.array([u for _, u, _ in spikes], dtype="int64")
    involved = np.array([i for _, _, i in spikes], dtype=bool)
    window = bin_size * half_bins
    everything = np.ones(times.size, dtype=bool)
    for mode in ("column", "block"):
        with counted_by(mode):
            counts = correlograms_involving(times, labels, 4, involved, window, bin_size)
            np.testing.assert_array_equal(
                counts, brute_force_involving(times, labels, involved, 4, window, bin_size)
            )
            np.testing.assert_array_equal(
                correlograms_of_segment(times, labels, 4, window, bin_size),
                brute_force_involving(times, labels, everything, 4, window, bin_size),
            )


@pytest.mark.parametrize("share", [0.0, 0.001, 0.1, 0.5, 0.9, 1.0])
@pytest.mark.parametrize("mode", ["column", "block"])
def test_many_spikes_with_ties_equal_all_pairs_less_the_others(share, mode):
    rng = np.random.default_rng(11)
    times = np.sort(rng.integers(0, 200_000, 30_000))
    times[100:130] = times[100]  # a run of spikes at one sample, several units
    labels = rng.integers(0, 5, times.size)
    involved = rng.random(times.size) < share
    with counted_by("block"):
        expected = involving_by_difference(times, labels, involved, 5, 750, 30)
    with counted_by(mode):
        counts = correlograms_involving(times, labels, 5, involved, 750, 30)
        np.testing.assert_array_equal(counts, expected)
        if share == 1.0:  # every pair
            np.testing.assert_array_equal(
                counts, correlograms_of_segment(times, labels, 5, 750, 30)
            )


def test_one_involved_spike_counts_its_pairs_both_ways():
    times = np.array([0, 3, 5, 5, 9, 20])
    labels = np.array([0, 1, 0, 1, 1, 0])
    involved = np.zeros(6, dtype=bool)
    involved[2] = True  # unit 0 at 5: lags to the others -5, -2, 0, 4 (and 15, out)
    counts = correlograms_involving(times, labels, 2, involved, 6, 2)
    np.testing.assert_array_equal(counts, brute_force_involving(times, labels, involved, 2, 6, 2))
    assert counts.sum() == 8
    # only pairs with the involved spike: none between spikes not involved
    assert counts[1, 1].sum() == 0


def test_adds_to_the_given_correlograms_and_checks_the_mask():
    times, labels = np.array([0, 1, 2]), np.array([0, 0, 1])
    out = np.ones((2, 2, 4), dtype="int64")
    involved = np.array([True, False, False])
    correlograms_involving(times, labels, 2, involved, 4, 2, correlograms=out)
    np.testing.assert_array_equal(out - 1, brute_force_involving(times, labels, involved, 2, 4, 2))
    with pytest.raises(ValueError, match="involved"):
        correlograms_involving(times, labels, 2, np.array([True]), 4, 2)


def test_nothing_involved_or_no_spikes_counts_nothing():
    times, labels = np.array([0, 1, 2]), np.array([0, 0, 1])
    none = correlograms_involving(times, labels, 2, np.zeros(3, dtype=bool), 4, 2)
    assert none.shape == (2, 2, 4) and none.sum() == 0
    empty = correlograms_involving(
        np.array([], dtype="int64"), np.array([], dtype="int64"), 2, np.array([], bool), 4, 2
    )
    assert empty.sum() == 0


def test_brute_force_helper_agrees_with_the_full_count():
    # the reference used above is the full count's own reference when all spikes are involved
    times = np.array([0, 2, 2, 7, 9])
    labels = np.array([0, 1, 0, 1, 0])
    np.testing.assert_array_equal(
        brute_force_involving(times, labels, np.ones(5, dtype=bool), 2, 6, 2),
        brute_force(times, labels, 2, 6, 2),
    )
