"""Binary-search lookups in sorted arrays (core.sorted_lookup)."""

from __future__ import annotations

import numpy as np

from core.sorted_lookup import in_sorted, positions_in_sorted


def test_in_sorted_equals_isin_on_random_values():
    rng = np.random.default_rng(4)
    for _ in range(20):
        sorted_values = np.unique(rng.integers(0, 500, rng.integers(0, 200)))
        values = rng.integers(-5, 505, rng.integers(0, 50))
        np.testing.assert_array_equal(
            in_sorted(values, sorted_values), np.isin(values, sorted_values)
        )


def test_positions_of_a_subset_and_none_for_values_missing():
    whole = np.array([2, 5, 9, 14, 20])
    np.testing.assert_array_equal(positions_in_sorted(whole, np.array([5, 14, 20])), [1, 3, 4])
    assert positions_in_sorted(whole, np.array([], dtype=int)).size == 0
    assert positions_in_sorted(whole, np.array([5, 6])) is None  # 6 falls between
    assert positions_in_sorted(whole, np.array([20, 21])) is None  # past the end
